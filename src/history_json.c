/*
 * history_json: a history in protobuf's JSON mapping (as `temporal workflow show --output
 * json` writes it) -> its binary form, so that the replayer takes both.
 *
 * protobuf-c has no JSON support, so this is a small JSON -> wire-format encoder driven by
 * the generated descriptors: object keys are matched against the fields' lowerCamelCase
 * (or original) names, values are encoded by field type, and the result is a serialized
 * message that protobuf-c unpacks as usual.  It follows the proto3 JSON mapping (int64 as
 * strings or numbers, bytes as base64, enums by name or number, Timestamp as RFC 3339,
 * Duration as "1.5s", maps as objects) and also takes the short enum names Temporal's tools
 * write ("WorkflowExecutionStarted" for EVENT_TYPE_WORKFLOW_EXECUTION_STARTED).  Unknown
 * fields are skipped, as a newer server's fields would be.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "history_json.h"

/* A growing byte buffer. */
struct wbuf {
    uint8_t *data;
    size_t len, cap;
};

/* Where in the document the encoder is, for error messages. */
struct json_ctx {
    struct temporal_error *err;
    char path[256];
};

static int put(struct wbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL)
            return TEMPORAL_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_varint(struct wbuf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            tmp[n] |= 0x80;
        n++;
    } while (v != 0);
    return put(b, tmp, n);
}

static int put_tag(struct wbuf *b, uint32_t id, int wire_type)
{
    return put_varint(b, ((uint64_t)id << 3) | (uint64_t)wire_type);
}

static int put_fixed(struct wbuf *b, uint64_t v, size_t bytes)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    return put(b, tmp, bytes);
}

static int put_length_delimited(struct wbuf *b, uint32_t id, const void *p, size_t n)
{
    int rc = put_tag(b, id, 2);
    if (rc == 0)
        rc = put_varint(b, n);
    return rc ? rc : put(b, p, n);
}

static int bad(struct json_ctx *c, const char *what)
{
    return temporal__fail(c->err, TEMPORAL_EINVAL, -1, "history JSON, at %s: %s",
                          c->path[0] ? c->path : "the top", what);
}

/* Decodes standard or URL-safe base64 (padding optional) into |out|. */
static int base64_decode(const char *s, struct wbuf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (; *s; s++) {
        int v;
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '+' || ch == '-')
            v = 62;
        else if (ch == '/' || ch == '_')
            v = 63;
        else if (ch == '=')
            break;
        else
            return TEMPORAL_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            uint8_t byte = (uint8_t)(acc >> bits);
            int rc = put(out, &byte, 1);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* A JSON number or numeric string as a signed / unsigned / floating value. */
static int json_i64(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    double d = json_is_real(v) ? json_real_value(v) : 0.5;
    if (floor(d) == d && d >= -9.2e18 && d <= 9.2e18) { /* integral and in range */
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v)) {
        char *end;
        errno = 0;
        long long x = strtoll(json_string_value(v), &end, 10);
        if (errno == 0 && *end == '\0' && end != json_string_value(v)) {
            *out = x;
            return 0;
        }
    }
    return TEMPORAL_EINVAL;
}

static int json_u64(json_t *v, uint64_t *out)
{
    if (json_is_string(v)) {
        if (json_string_value(v)[0] == '-')
            return TEMPORAL_EINVAL; /* strtoull would wrap it */
        char *end;
        errno = 0;
        unsigned long long x = strtoull(json_string_value(v), &end, 10);
        if (errno == 0 && *end == '\0' && end != json_string_value(v)) {
            *out = x;
            return 0;
        }
        return TEMPORAL_EINVAL;
    }
    int64_t s;
    int rc = json_i64(v, &s);
    if (rc == 0 && s < 0)
        return TEMPORAL_EINVAL;
    *out = (uint64_t)s;
    return rc;
}

static int json_f64(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0)
            *out = NAN;
        else if (strcmp(s, "Infinity") == 0)
            *out = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            *out = -INFINITY;
        else {
            char *end;
            *out = strtod(s, &end);
            if (*end != '\0' || end == s)
                return TEMPORAL_EINVAL;
        }
        return 0;
    }
    return TEMPORAL_EINVAL;
}

/* "WorkflowExecutionStarted" -> "WORKFLOW_EXECUTION_STARTED" into |out|. */
static void screaming_case(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; in[i] && n + 2 < cap; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (i > 0 && isupper(ch) &&
            (islower((unsigned char)in[i - 1]) || isdigit((unsigned char)in[i - 1])))
            out[n++] = '_';
        out[n++] = (char)toupper(ch);
    }
    out[n] = '\0';
}

/* An enum value by full name, Temporal's short name, or number. */
static int json_enum(const ProtobufCEnumDescriptor *d, json_t *v, int32_t *out)
{
    int64_t number;
    if (json_i64(v, &number) == 0 && !json_is_string(v)) {
        *out = (int32_t)number;
        return 0;
    }
    if (!json_is_string(v))
        return TEMPORAL_EINVAL;
    const char *name = json_string_value(v);
    char prefix[128], shouted[192], full[320];
    screaming_case(d->short_name, prefix, sizeof(prefix));
    screaming_case(name, shouted, sizeof(shouted));
    snprintf(full, sizeof(full), "%s_%s", prefix, shouted);
    for (unsigned i = 0; i < d->n_values; i++)
        if (strcmp(d->values[i].name, name) == 0 || strcmp(d->values[i].name, full) == 0) {
            *out = d->values[i].value;
            return 0;
        }
    return TEMPORAL_EINVAL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Fractional seconds ".123456789" at |*s| -> nanoseconds; advances |*s|. */
static int32_t parse_nanos(const char **s)
{
    int32_t nanos = 0;
    if (**s != '.')
        return 0;
    (*s)++;
    int digits = 0;
    for (; isdigit((unsigned char)**s); (*s)++, digits++)
        if (digits < 9)
            nanos = nanos * 10 + (**s - '0');
    for (; digits < 9; digits++)
        nanos *= 10;
    return nanos;
}

/* RFC 3339 "2024-01-02T03:04:05.123Z" (or with an offset) -> seconds and nanos. */
static int parse_timestamp(const char *s, int64_t *seconds, int32_t *nanos)
{
    int y, mo, d, h, mi, sec, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used == 0)
        return TEMPORAL_EINVAL;
    s += used;
    *nanos = parse_nanos(&s);
    int64_t offset = 0;
    if (*s == '+' || *s == '-') {
        int oh, om;
        if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
            return TEMPORAL_EINVAL;
        offset = (*s == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else if (*s != 'Z' && *s != 'z') {
        return TEMPORAL_EINVAL;
    }
    *seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

/* "1.5s", "-0.000000001s" -> seconds and nanos. */
static int parse_duration(const char *s, int64_t *seconds, int32_t *nanos)
{
    bool negative = *s == '-';
    if (negative)
        s++;
    char *end;
    errno = 0;
    long long whole = strtoll(s, &end, 10);
    if (errno != 0 || end == s)
        return TEMPORAL_EINVAL;
    s = end;
    *nanos = parse_nanos(&s);
    if (strcmp(s, "s") != 0)
        return TEMPORAL_EINVAL;
    *seconds = negative ? -whole : whole;
    if (negative)
        *nanos = -*nanos;
    return 0;
}

static int encode_message(struct json_ctx *c, const ProtobufCMessageDescriptor *d, json_t *obj,
                          struct wbuf *out);

/* Encodes one value |v| of field |f| (a single element for repeated fields). */
static int encode_value(struct json_ctx *c, const ProtobufCFieldDescriptor *f, json_t *v,
                        struct wbuf *out)
{
    int64_t i = 0;
    uint64_t u = 0;
    double x = 0;
    int32_t e = 0;
    int rc;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_INT64:
        if (json_i64(v, &i) != 0)
            return bad(c, "expected an integer");
        return put_tag(out, f->id, 0) || put_varint(out, (uint64_t)i) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SINT64:
        if (json_i64(v, &i) != 0)
            return bad(c, "expected an integer");
        return put_tag(out, f->id, 0) ||
                       put_varint(out, ((uint64_t)i << 1) ^ (uint64_t)(i >> 63))
                   ? TEMPORAL_ENOMEM
                   : 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_UINT64:
        if (json_u64(v, &u) != 0)
            return bad(c, "expected a non-negative integer");
        return put_tag(out, f->id, 0) || put_varint(out, u) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return bad(c, "expected true or false");
        return put_tag(out, f->id, 0) || put_varint(out, json_is_true(v)) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_ENUM:
        if (json_enum(f->descriptor, v, &e) != 0)
            return bad(c, "not a value of the field's enum");
        return put_tag(out, f->id, 0) || put_varint(out, (uint64_t)(int64_t)e) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (json_i64(v, &i) != 0)
            return bad(c, "expected an integer");
        return put_tag(out, f->id, 5) || put_fixed(out, (uint64_t)i, 4) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (json_i64(v, &i) != 0)
            return bad(c, "expected an integer");
        return put_tag(out, f->id, 1) || put_fixed(out, (uint64_t)i, 8) ? TEMPORAL_ENOMEM : 0;
    case PROTOBUF_C_TYPE_FLOAT: {
        if (json_f64(v, &x) != 0)
            return bad(c, "expected a number");
        float fl = (float)x;
        uint32_t bits;
        memcpy(&bits, &fl, 4);
        return put_tag(out, f->id, 5) || put_fixed(out, bits, 4) ? TEMPORAL_ENOMEM : 0;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        if (json_f64(v, &x) != 0)
            return bad(c, "expected a number");
        uint64_t bits;
        memcpy(&bits, &x, 8);
        return put_tag(out, f->id, 1) || put_fixed(out, bits, 8) ? TEMPORAL_ENOMEM : 0;
    }
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v))
            return bad(c, "expected a string");
        return put_length_delimited(out, f->id, json_string_value(v), json_string_length(v));
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v))
            return bad(c, "expected base64 bytes");
        struct wbuf bytes = { 0 };
        rc = base64_decode(json_string_value(v), &bytes);
        if (rc == 0)
            rc = put_length_delimited(out, f->id, bytes.data, bytes.len);
        free(bytes.data);
        return rc == TEMPORAL_EINVAL ? bad(c, "not base64") : rc;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        struct wbuf sub = { 0 };
        int64_t seconds = 0;
        int32_t nanos = 0;
        bool timestamp = strcmp(md->name, "google.protobuf.Timestamp") == 0;
        if (timestamp || strcmp(md->name, "google.protobuf.Duration") == 0) {
            if (!json_is_string(v) ||
                (timestamp ? parse_timestamp(json_string_value(v), &seconds, &nanos)
                           : parse_duration(json_string_value(v), &seconds, &nanos)) != 0)
                return bad(c, timestamp ? "expected an RFC 3339 time" : "expected a duration like \"1.5s\"");
            rc = 0;
            if (seconds != 0)
                rc = put_tag(&sub, 1, 0) || put_varint(&sub, (uint64_t)seconds);
            if (rc == 0 && nanos != 0)
                rc = put_tag(&sub, 2, 0) || put_varint(&sub, (uint64_t)(int64_t)nanos);
            rc = rc ? TEMPORAL_ENOMEM : 0;
        } else if (strcmp(md->name, "google.protobuf.Any") == 0 ||
                   strcmp(md->name, "google.protobuf.Struct") == 0 ||
                   strcmp(md->name, "google.protobuf.Value") == 0) {
            return 0; /* nothing replay reads; left out */
        } else if (strncmp(md->name, "google.protobuf.", 16) == 0 && md->n_fields == 1 &&
                   !json_is_object(v)) {
            rc = encode_value(c, &md->fields[0], v, &sub); /* a wrapper: Int64Value, ... */
        } else {
            rc = encode_message(c, md, v, &sub);
        }
        if (rc == 0)
            rc = put_length_delimited(out, f->id, sub.data, sub.len);
        free(sub.data);
        return rc;
    }
    }
    return bad(c, "unsupported field type");
}

/* Does JSON key |key| name field |f| ("workflowId" or "workflow_id")? */
static bool names_field(const char *key, const ProtobufCFieldDescriptor *f)
{
    if (strcmp(key, f->name) == 0)
        return true;
    const char *n = f->name;
    for (; *key && *n; key++, n++) {
        if (*n == '_' && n[1] != '\0') {
            n++;
            if (*key != toupper((unsigned char)*n))
                return false;
        } else if (*key != *n) {
            return false;
        }
    }
    return *key == '\0' && *n == '\0';
}

/* A map entry message: two fields, "key" and "value". */
static bool is_map_entry(const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *md = f->descriptor;
    return f->type == PROTOBUF_C_TYPE_MESSAGE && md->n_fields == 2 &&
           strcmp(md->fields[0].name, "key") == 0 && strcmp(md->fields[1].name, "value") == 0;
}

static int encode_message(struct json_ctx *c, const ProtobufCMessageDescriptor *d, json_t *obj,
                          struct wbuf *out)
{
    if (!json_is_object(obj))
        return bad(c, "expected an object");
    size_t path_len = strlen(c->path);
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(obj, key, v) {
        const ProtobufCFieldDescriptor *f = NULL;
        for (unsigned i = 0; i < d->n_fields && f == NULL; i++)
            if (names_field(key, &d->fields[i]))
                f = &d->fields[i];
        if (f == NULL || json_is_null(v))
            continue; /* a field this version of the API does not know */
        snprintf(c->path + path_len, sizeof(c->path) - path_len, "%s%s", path_len ? "." : "", key);
        if (f->label == PROTOBUF_C_LABEL_REPEATED && is_map_entry(f) && json_is_object(v)) {
            const ProtobufCMessageDescriptor *entry_d = f->descriptor;
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv) {
                struct wbuf entry = { 0 };
                json_t *k = json_string(mk);
                rc = encode_value(c, &entry_d->fields[0], k, &entry);
                json_decref(k);
                if (rc == 0 && !json_is_null(mv))
                    rc = encode_value(c, &entry_d->fields[1], mv, &entry);
                if (rc == 0)
                    rc = put_length_delimited(out, f->id, entry.data, entry.len);
                free(entry.data);
                if (rc != 0)
                    break;
            }
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!json_is_array(v)) {
                rc = bad(c, "expected an array");
                break;
            }
            size_t index;
            json_t *item;
            size_t field_len = strlen(c->path);
            json_array_foreach(v, index, item) {
                snprintf(c->path + field_len, sizeof(c->path) - field_len, "[%zu]", index);
                if ((rc = encode_value(c, f, item, out)) != 0)
                    break;
            }
        } else {
            rc = encode_value(c, f, v, out);
        }
        if (rc != 0)
            break;
    }
    c->path[path_len] = '\0';
    return rc;
}

int temporal__history_from_json(json_t *history, uint8_t **out, size_t *out_len,
                                struct temporal_error *err)
{
    struct json_ctx c = { err, "" };
    struct wbuf b = { 0 };
    int rc = encode_message(&c, &temporal__api__history__v1__history__descriptor, history, &b);
    if (rc != 0) {
        free(b.data);
        return rc == TEMPORAL_ENOMEM ? temporal__fail(err, rc, -1, "out of memory") : rc;
    }
    *out = b.data ? b.data : malloc(1);
    *out_len = b.len;
    return *out ? 0 : temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
}
