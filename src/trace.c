/*
 * Tracing: trace contexts, the `_tracer-data` header, spans and the queue of finished spans
 * that an exporter takes (see include/temporal/tracing.h and src/trace_int.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "internal.h"
#include "trace_int.h"

#define DEFAULT_MAX_QUEUED 8192
/* The longest attribute value, error message or name a span keeps, in bytes (OTLP strings
 * must be UTF-8; a cut never splits a character). */
#define MAX_TEXT 4096

struct temporal_tracer {
    pthread_mutex_t lock;
    size_t max_queued;
    /* Finished spans, oldest first. */
    struct temporal__finished_span *head, *tail;
    size_t queued;
    uint64_t dropped;
    /* temporal_tracer_set_default_parent(); invalid when unset. */
    struct temporal__trace_ctx default_parent;
};

/* The open span is the finished one being filled in. */
struct temporal__span {
    struct temporal__finished_span s;
    size_t attr_cap;
};

/* Ids ------------------------------------------------------------------------------------------ */

/* The current time in Unix nanoseconds. */
static int64_t now_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Random bytes, never all zero (an all-zero id is invalid in W3C and OTLP). */
static void random_id(uint8_t *out, size_t n)
{
    do
        temporal__random_bytes(out, n);
    while (all_zero(out, n));
}

/* A new X-Ray compatible trace id: 4 bytes of Unix seconds, 12 random bytes. */
static void new_trace_id(uint8_t out[16])
{
    uint32_t secs = (uint32_t)(now_unix_ns() / 1000000000);
    out[0] = (uint8_t)(secs >> 24), out[1] = (uint8_t)(secs >> 16);
    out[2] = (uint8_t)(secs >> 8), out[3] = (uint8_t)secs;
    random_id(out + 4, 12);
}

/* FNV-1a over |a|, a separator and |b|, from |seed|. */
static uint64_t fnv1a(uint64_t seed, const char *a, const char *b)
{
    uint64_t h = 14695981039346656037ULL ^ seed;
    for (const char *p = a ? a : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    /* Final mix, so that similar inputs give unrelated ids. */
    h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33;
    return h;
}

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

void temporal__trace_span_id_for(const char *run_id, const char *what, uint8_t out[8])
{
    uint64_t h = fnv1a(0, run_id, what);
    put_u64(out, h ? h : 1);
}

void temporal__trace_ctx_for_run(const char *run_id, int64_t start_unix_s,
                                 struct temporal__trace_ctx *out)
{
    temporal__trace_ctx_clear(out);
    uint32_t secs = (uint32_t)start_unix_s;
    out->trace_id[0] = (uint8_t)(secs >> 24), out->trace_id[1] = (uint8_t)(secs >> 16);
    out->trace_id[2] = (uint8_t)(secs >> 8), out->trace_id[3] = (uint8_t)secs;
    uint64_t h1 = fnv1a(1, run_id, "trace"), h2 = fnv1a(2, run_id, "trace");
    uint8_t tail[16];
    put_u64(tail, h1);
    put_u64(tail + 8, h2);
    memcpy(out->trace_id + 4, tail, 12);
    /* span_id stays zero: the RunWorkflow span is the root of this trace. */
    out->flags = 1;
    out->valid = true;
}

/* Hex ------------------------------------------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads exactly 2*|n| hex digits at |s| into |out|.  Returns false on a non-hex digit. */
static bool from_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hi < 0 ? -1 : hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* A W3C traceparent "vv-<32 hex>-<16 hex>-<2 hex>[-...]" into |c| (ids and flags only). */
static bool parse_traceparent(const char *s, struct temporal__trace_ctx *c)
{
    uint8_t version;
    size_t len = strlen(s);
    if (len < 55 || !from_hex(s, &version, 1) || version == 0xff || s[2] != '-' || s[35] != '-' ||
        s[52] != '-')
        return false;
    if (version == 0 && len != 55)
        return false; /* version 00 has exactly four parts */
    if (len > 55 && s[55] != '-')
        return false;
    if (!from_hex(s + 3, c->trace_id, 16) || !from_hex(s + 36, c->span_id, 8) ||
        !from_hex(s + 53, &c->flags, 1))
        return false;
    if (all_zero(c->trace_id, 16) || all_zero(c->span_id, 8))
        return false;
    c->valid = true;
    return true;
}

/* An X-Ray trace header "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>" (any order,
 * other keys ignored) into |c|. */
static bool parse_xray(const char *s, struct temporal__trace_ctx *c)
{
    bool root = false, parent = false;
    c->flags = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 5 + 35 && strncmp(p, "Root=1-", 7) == 0 && p[15] == '-')
            root = from_hex(p + 7, c->trace_id, 4) && from_hex(p + 16, c->trace_id + 4, 12);
        else if (n == 7 + 16 && strncmp(p, "Parent=", 7) == 0)
            parent = from_hex(p + 7, c->span_id, 8);
        else if (n == 9 && strncmp(p, "Sampled=1", 9) == 0)
            c->flags = 1;
        p += n;
    }
    if (!root || !parent || all_zero(c->trace_id, 16) || all_zero(c->span_id, 8))
        return false;
    c->valid = true;
    return true;
}

/* The length of the valid UTF-8 sequence at |p| (at most |left| bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    size_t n;
    if (p[0] < 0x80)
        return 1;
    else if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] > 0x9f) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] > 0x8f))
        return 0; /* overlong, surrogate, or past U+10FFFF */
    return n;
}

/* A copy of |s| for a span: at most MAX_TEXT bytes, cut between characters, every invalid
 * UTF-8 byte replaced by '?' (a collector refuses a request with invalid strings).  NULL on
 * ENOMEM. */
static char *span_text(const char *s)
{
    size_t len = strlen(s), out_len = 0;
    char *out = malloc((len < MAX_TEXT ? len : MAX_TEXT) + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i, len - i);
        if (out_len + (n ? n : 1) > MAX_TEXT)
            break;
        if (n == 0) {
            out[out_len++] = '?';
            i++;
        } else {
            memcpy(out + out_len, p + i, n);
            out_len += n;
            i += n;
        }
    }
    out[out_len] = '\0';
    return out;
}

/* Contexts ------------------------------------------------------------------------------------- */

void temporal__trace_ctx_clear(struct temporal__trace_ctx *c)
{
    if (c == NULL)
        return;
    free(c->extra);
    memset(c, 0, sizeof(*c));
}

int temporal__trace_ctx_copy(struct temporal__trace_ctx *dst, const struct temporal__trace_ctx *src)
{
    temporal__trace_ctx_clear(dst);
    if (src == NULL || !src->valid)
        return 0;
    *dst = *src;
    dst->extra = NULL;
    if (src->extra != NULL && (dst->extra = strdup(src->extra)) == NULL) {
        dst->valid = false;
        return TEMPORAL_ENOMEM;
    }
    return 0;
}

static bool is_json_plain(const Temporal__Api__Common__V1__Payload *p)
{
    for (size_t i = 0; i < p->n_metadata; i++) {
        const Temporal__Api__Common__V1__Payload__MetadataEntry *m = p->metadata[i];
        if (m && m->key && strcmp(m->key, "encoding") == 0)
            return m->value.len == 10 && memcmp(m->value.data, "json/plain", 10) == 0;
    }
    return false;
}

bool temporal__trace_ctx_from_header(const Temporal__Api__Common__V1__Header *h,
                                     struct temporal__trace_ctx *out)
{
    temporal__trace_ctx_clear(out);
    if (h == NULL)
        return false;
    const Temporal__Api__Common__V1__Payload *p = NULL;
    for (size_t i = 0; i < h->n_fields; i++)
        if (h->fields[i] && h->fields[i]->key &&
            strcmp(h->fields[i]->key, TEMPORAL__TRACE_HEADER_KEY) == 0)
            p = h->fields[i]->value;
    if (p == NULL || !is_json_plain(p) || p->data.len == 0)
        return false;
    json_t *obj = json_loadb((const char *)p->data.data, p->data.len, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return false;
    }
    const char *tp = json_string_value(json_object_get(obj, "traceparent"));
    if (tp == NULL || !parse_traceparent(tp, out)) {
        json_decref(obj);
        temporal__trace_ctx_clear(out);
        return false;
    }
    /* Keep the other string keys (tracestate, baggage, ...), to pass them on. */
    json_object_del(obj, "traceparent");
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value)
    {
        if (!json_is_string(value))
            json_object_del(obj, key);
    }
    if (json_object_size(obj) > 0)
        out->extra = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS); /* NULL on ENOMEM: dropped */
    json_decref(obj);
    return true;
}

/* The carrier JSON of |ctx|: its extra keys and its traceparent.  NULL on ENOMEM. */
static char *carrier_json(const struct temporal__trace_ctx *ctx)
{
    char tp[56];
    memcpy(tp, "00-", 3);
    to_hex(ctx->trace_id, 16, tp + 3);
    tp[35] = '-';
    to_hex(ctx->span_id, 8, tp + 36);
    tp[52] = '-';
    to_hex(&ctx->flags, 1, tp + 53);
    json_t *obj = ctx->extra ? json_loads(ctx->extra, 0, NULL) : NULL;
    if (!json_is_object(obj)) {
        json_decref(obj);
        obj = json_object();
    }
    char *out = NULL;
    if (obj != NULL && json_object_set_new(obj, "traceparent", json_string(tp)) == 0)
        out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return out;
}

Temporal__Api__Common__V1__Header *temporal__trace_header_set(struct temporal__trace_header *h,
                                                              const struct temporal__trace_ctx *ctx,
                                                              int *rc)
{
    temporal__trace_header_clear(h);
    if (ctx == NULL || !ctx->valid || all_zero(ctx->span_id, 8))
        return NULL;
    if ((h->json = carrier_json(ctx)) == NULL) {
        if (rc)
            *rc = TEMPORAL_ENOMEM;
        return NULL;
    }
    Temporal__Api__Common__V1__Payload__MetadataEntry meta =
        TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    meta.key = "encoding";
    meta.value.data = (uint8_t *)"json/plain";
    meta.value.len = 10;
    h->meta = meta;
    h->metas[0] = &h->meta;
    Temporal__Api__Common__V1__Payload payload = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    payload.n_metadata = 1;
    payload.metadata = h->metas;
    payload.data.data = (uint8_t *)h->json;
    payload.data.len = strlen(h->json);
    h->payload = payload;
    Temporal__Api__Common__V1__Header__FieldsEntry entry =
        TEMPORAL__API__COMMON__V1__HEADER__FIELDS_ENTRY__INIT;
    entry.key = TEMPORAL__TRACE_HEADER_KEY;
    entry.value = &h->payload;
    h->entry = entry;
    h->entries[0] = &h->entry;
    Temporal__Api__Common__V1__Header msg = TEMPORAL__API__COMMON__V1__HEADER__INIT;
    msg.n_fields = 1;
    msg.fields = h->entries;
    h->msg = msg;
    return &h->msg;
}

void temporal__trace_header_clear(struct temporal__trace_header *h)
{
    if (h == NULL)
        return;
    free(h->json);
    memset(h, 0, sizeof(*h));
}

/* The tracer ----------------------------------------------------------------------------------- */

int temporal_tracer_new(struct temporal_tracer **out, const struct temporal_tracer_options *opts,
                        struct temporal_error *err)
{
    struct temporal_tracer_options o = TEMPORAL_TRACER_OPTIONS_INIT;
    if (out == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "temporal_tracer_new needs |out|");
    *out = NULL;
    if (opts != NULL && !temporal__copy_options(&o, sizeof(o), opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "tracer options must be made with TEMPORAL_TRACER_OPTIONS_INIT");
    struct temporal_tracer *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    pthread_mutex_init(&t->lock, NULL);
    t->max_queued = o.max_queued_spans ? o.max_queued_spans : DEFAULT_MAX_QUEUED;
    *out = t;
    return 0;
}

int temporal_tracer_set_default_parent(struct temporal_tracer *t, const char *header)
{
    if (t == NULL)
        return TEMPORAL_EINVAL;
    struct temporal__trace_ctx c = {0};
    int rc = 0;
    if (!temporal__empty(header) && !parse_traceparent(header, &c)) {
        memset(&c, 0, sizeof(c));
        if (!parse_xray(header, &c)) {
            memset(&c, 0, sizeof(c));
            rc = TEMPORAL_EINVAL;
        }
    }
    /* An unsampled parent (Lambda without active tracing says Sampled=0) has no recorded
     * span to join: spans then start traces of their own rather than being dropped. */
    if (c.valid && !(c.flags & 1))
        memset(&c, 0, sizeof(c));
    pthread_mutex_lock(&t->lock);
    t->default_parent = c;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

uint64_t temporal_tracer_dropped(const struct temporal_tracer *t)
{
    if (t == NULL)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    uint64_t n = t->dropped;
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    return n;
}

size_t temporal_tracer_queued(const struct temporal_tracer *t)
{
    if (t == NULL)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    size_t n = t->queued;
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    return n;
}

void temporal_tracer_free(struct temporal_tracer *t)
{
    if (t == NULL)
        return;
    temporal__finished_spans_free(t->head);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void finished_span_free(struct temporal__finished_span *s)
{
    free(s->name);
    free(s->trace_state);
    for (size_t i = 0; i < s->attr_count; i++) {
        free(s->attr_keys[i]);
        free(s->attr_values[i]);
    }
    free(s->attr_keys);
    free(s->attr_values);
    free(s->error_type);
    free(s->error_message);
    free(s);
}

void temporal__finished_spans_free(struct temporal__finished_span *list)
{
    while (list != NULL) {
        struct temporal__finished_span *next = list->next;
        finished_span_free(list);
        list = next;
    }
}

struct temporal__finished_span *temporal__tracer_take(struct temporal_tracer *t)
{
    if (t == NULL)
        return NULL;
    pthread_mutex_lock(&t->lock);
    struct temporal__finished_span *list = t->head;
    t->head = t->tail = NULL;
    t->queued = 0;
    pthread_mutex_unlock(&t->lock);
    return list;
}

void temporal__tracer_count_dropped(struct temporal_tracer *t, uint64_t n)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    t->dropped += n;
    pthread_mutex_unlock(&t->lock);
}

void temporal__tracer_give_back(struct temporal_tracer *t, struct temporal__finished_span *list)
{
    if (t == NULL || list == NULL) {
        temporal__finished_spans_free(list);
        return;
    }
    size_t n = 0;
    struct temporal__finished_span *last = list;
    for (struct temporal__finished_span *s = list; s; s = s->next, n++)
        last = s;
    pthread_mutex_lock(&t->lock);
    last->next = t->head;
    t->head = list;
    if (t->tail == NULL)
        t->tail = last;
    t->queued += n;
    /* Over the bound: the oldest go first. */
    while (t->queued > t->max_queued) {
        struct temporal__finished_span *s = t->head;
        t->head = s->next;
        t->queued--;
        t->dropped++;
        finished_span_free(s);
    }
    if (t->head == NULL)
        t->tail = NULL;
    pthread_mutex_unlock(&t->lock);
}

/* Spans ---------------------------------------------------------------------------------------- */

struct temporal__span *temporal__span_start(struct temporal_tracer *t, enum temporal__span_kind kind,
                                            const char *prefix, const char *name,
                                            const struct temporal__trace_ctx *parent,
                                            const uint8_t *span_id, int64_t start_unix_ns,
                                            struct temporal__trace_ctx *out)
{
    struct temporal__trace_ctx base = {0}, link = {0};
    bool has_parent = false;
    if (parent != NULL && parent->valid) {
        base = *parent;
        has_parent = !all_zero(parent->span_id, 8);
        if (!has_parent && t != NULL) {
            /* The root of a trace of its own: linked to the default parent, if any. */
            pthread_mutex_lock(&t->lock);
            link = t->default_parent;
            pthread_mutex_unlock(&t->lock);
        }
    } else if (t != NULL) {
        pthread_mutex_lock(&t->lock);
        base = t->default_parent;
        pthread_mutex_unlock(&t->lock);
        has_parent = base.valid;
    }
    if (!base.valid) {
        new_trace_id(base.trace_id);
        base.flags = 1;
        base.valid = true;
    }
    uint8_t id[8];
    if (span_id != NULL && !all_zero(span_id, 8))
        memcpy(id, span_id, 8);
    else
        random_id(id, 8);
    if (out != NULL) {
        temporal__trace_ctx_clear(out);
        out->valid = true;
        memcpy(out->trace_id, base.trace_id, 16);
        memcpy(out->span_id, id, 8);
        out->flags = base.flags;
        out->extra = parent && parent->valid && parent->extra ? strdup(parent->extra) : NULL;
    }
    if (t == NULL || !(base.flags & 1))
        return NULL;

    struct temporal__span *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    int n = snprintf(NULL, 0, "%s:%s", prefix ? prefix : "", name ? name : "");
    char *raw = n < 0 ? NULL : malloc((size_t)n + 1);
    if (raw != NULL) {
        snprintf(raw, (size_t)n + 1, "%s:%s", prefix ? prefix : "", name ? name : "");
        s->s.name = span_text(raw);
        free(raw);
    }
    if (s->s.name == NULL) {
        free(s);
        return NULL;
    }
    s->s.kind = kind;
    memcpy(s->s.trace_id, base.trace_id, 16);
    memcpy(s->s.span_id, id, 8);
    s->s.has_parent = has_parent;
    if (has_parent)
        memcpy(s->s.parent_span_id, base.span_id, 8);
    s->s.flags = base.flags;
    if (has_parent && parent != NULL && parent->valid && parent->extra != NULL) {
        json_t *extra = json_loads(parent->extra, 0, NULL);
        s->s.trace_state = temporal__strdup(json_string_value(json_object_get(extra, "tracestate")));
        json_decref(extra);
    }
    s->s.start_unix_ns = start_unix_ns > 0 ? start_unix_ns : now_unix_ns();
    if (link.valid) {
        s->s.has_link = true;
        memcpy(s->s.link_trace_id, link.trace_id, 16);
        memcpy(s->s.link_span_id, link.span_id, 8);
    }
    return s;
}

void temporal__span_attr(struct temporal__span *s, const char *key, const char *value)
{
    if (s == NULL || temporal__empty(key) || temporal__empty(value))
        return;
    if (s->s.attr_count == s->attr_cap) {
        size_t cap = s->attr_cap ? 2 * s->attr_cap : 4;
        char **k = realloc(s->s.attr_keys, cap * sizeof(*k));
        if (k == NULL)
            return;
        s->s.attr_keys = k;
        char **v = realloc(s->s.attr_values, cap * sizeof(*v));
        if (v == NULL)
            return;
        s->s.attr_values = v;
        s->attr_cap = cap;
    }
    char *k = span_text(key), *v = span_text(value);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return;
    }
    s->s.attr_keys[s->s.attr_count] = k;
    s->s.attr_values[s->s.attr_count] = v;
    s->s.attr_count++;
}

void temporal__span_link(struct temporal__span *s, const struct temporal__trace_ctx *ctx)
{
    if (s == NULL || ctx == NULL || !ctx->valid || all_zero(ctx->span_id, 8))
        return;
    s->s.has_link = true;
    memcpy(s->s.link_trace_id, ctx->trace_id, 16);
    memcpy(s->s.link_span_id, ctx->span_id, 8);
}

void temporal__span_error(struct temporal__span *s, const char *type, const char *message)
{
    if (s == NULL)
        return;
    s->s.error = true;
    free(s->s.error_type);
    free(s->s.error_message);
    s->s.error_type = type ? span_text(type) : NULL;
    s->s.error_message = span_text(message ? message : "");
}

void temporal__span_end(struct temporal_tracer *t, struct temporal__span *s, int64_t end_unix_ns)
{
    if (s == NULL)
        return;
    struct temporal__finished_span *f = &s->s;
    f->end_unix_ns = end_unix_ns > 0 ? end_unix_ns : now_unix_ns();
    if (f->end_unix_ns < f->start_unix_ns)
        f->end_unix_ns = f->start_unix_ns;
    f->next = NULL;
    if (t == NULL) {
        finished_span_free(f);
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (t->queued >= t->max_queued) {
        t->dropped++;
        pthread_mutex_unlock(&t->lock);
        finished_span_free(f);
        return;
    }
    if (t->tail)
        t->tail->next = f;
    else
        t->head = f;
    t->tail = f;
    t->queued++;
    pthread_mutex_unlock(&t->lock);
}

void temporal__span_record(struct temporal_tracer *t, enum temporal__span_kind kind,
                           const char *prefix, const char *name,
                           const struct temporal__trace_ctx *parent, const uint8_t *span_id,
                           int64_t unix_ns, const char *const *attrs,
                           const struct temporal__trace_ctx *link, struct temporal__trace_ctx *out)
{
    if (unix_ns <= 0)
        unix_ns = now_unix_ns();
    struct temporal__span *s =
        temporal__span_start(t, kind, prefix, name, parent, span_id, unix_ns, out);
    for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i += 2)
        temporal__span_attr(s, attrs[i], attrs[i + 1]);
    temporal__span_link(s, link);
    temporal__span_end(t, s, unix_ns);
}
