/*
 * OTLP/gRPC export of the metrics registry and the tracer's spans (include/temporal/otel.h).
 * A metrics export builds an ExportMetricsServiceRequest from a visit of the registry
 * (series names and labels are stable for the registry's life, so the request borrows
 * them; numbers are copied).  A trace export takes the tracer's finished spans and sends
 * them in batches of ExportTraceServiceRequest (borrowing from the spans, which it owns
 * until they are sent; what could not be sent goes back to the tracer for the next
 * export).  Both go over a plaintext connection made with rpc.c.  All memory of one
 * request comes from one arena, freed after the call.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"
#include "rpc.h"
#include "trace_int.h"

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#define DEFAULT_INTERVAL_MS 10000
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_INTERVAL_MS (7LL * 24 * 3600 * 1000)
#define METRICS_EXPORT "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
#define TRACES_EXPORT "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
/* Spans per ExportTraceServiceRequest: well under gRPC's 4 MiB message limit. */
#define SPANS_PER_REQUEST 512

typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;
typedef Opentelemetry__Proto__Metrics__V1__Metric pb_metric;
typedef Opentelemetry__Proto__Metrics__V1__NumberDataPoint pb_number_point;
typedef Opentelemetry__Proto__Metrics__V1__HistogramDataPoint pb_histogram_point;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;

struct temporal_otel_exporter {
    struct temporal_metrics *metrics; /* borrowed; may be NULL */
    struct temporal_tracer *tracer;   /* borrowed; may be NULL */
    struct temporal__rpc_conn *conn;
    char *endpoint;
    char *service_name;
    int64_t interval_ms;
    int64_t timeout_ms;
    pthread_mutex_t export_mu; /* one export at a time */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; wakes the background thread to stop */
    bool stopping;
    bool has_thread;
    pthread_t thread;
};

/* Arena ------------------------------------------------------------------------------------- */

struct arena {
    void **blocks;
    size_t count, cap;
    bool failed;
};

static void *arena_alloc(struct arena *a, size_t size)
{
    if (a->failed)
        return NULL;
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **blocks = realloc(a->blocks, cap * sizeof(*blocks));
        if (blocks == NULL) {
            a->failed = true;
            return NULL;
        }
        a->blocks = blocks;
        a->cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p == NULL) {
        a->failed = true;
        return NULL;
    }
    a->blocks[a->count++] = p;
    return p;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->count; i++)
        free(a->blocks[i]);
    free(a->blocks);
}

static pb_kv *string_kv(struct arena *a, const char *key, const char *value)
{
    pb_kv *kv = arena_alloc(a, sizeof(*kv));
    pb_any *v = arena_alloc(a, sizeof(*v));
    if (kv == NULL || v == NULL)
        return NULL;
    *v = (pb_any)OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
    v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    v->string_value = (char *)value;
    *kv = (pb_kv)OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
    kv->key = (char *)key;
    kv->value = v;
    return kv;
}

/* Building the request ------------------------------------------------------------------------ */

struct build {
    struct arena *arena;
    pb_metric **metrics;
    size_t n_metrics, cap_metrics;
    uint64_t now_unix_nano;
};

/* The Metric message for |p|'s name, created on first use (the registry visits series in
 * creation order, so those of one metric are not adjacent). */
static pb_metric *metric_for(struct build *b, const struct temporal_metric_point *p)
{
    for (size_t i = 0; i < b->n_metrics; i++)
        if (strcmp(b->metrics[i]->name, p->name) == 0)
            return b->metrics[i];
    if (b->n_metrics == b->cap_metrics) {
        size_t cap = b->cap_metrics ? b->cap_metrics * 2 : 32;
        pb_metric **grown = arena_alloc(b->arena, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        if (b->n_metrics)
            memcpy(grown, b->metrics, b->n_metrics * sizeof(*grown));
        b->metrics = grown;
        b->cap_metrics = cap;
    }
    pb_metric *m = arena_alloc(b->arena, sizeof(*m));
    if (m == NULL)
        return NULL;
    *m = (pb_metric)OPENTELEMETRY__PROTO__METRICS__V1__METRIC__INIT;
    m->name = (char *)p->name;
    m->description = (char *)p->description;
    m->unit = (char *)p->unit;
    switch (p->kind) {
    case TEMPORAL_METRIC_COUNTER: {
        Opentelemetry__Proto__Metrics__V1__Sum *sum = arena_alloc(b->arena, sizeof(*sum));
        if (sum == NULL)
            return NULL;
        *sum = (Opentelemetry__Proto__Metrics__V1__Sum)OPENTELEMETRY__PROTO__METRICS__V1__SUM__INIT;
        sum->aggregation_temporality =
            OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
        sum->is_monotonic = 1;
        m->data_case = OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM;
        m->sum = sum;
        break;
    }
    case TEMPORAL_METRIC_GAUGE: {
        Opentelemetry__Proto__Metrics__V1__Gauge *g = arena_alloc(b->arena, sizeof(*g));
        if (g == NULL)
            return NULL;
        *g = (Opentelemetry__Proto__Metrics__V1__Gauge)OPENTELEMETRY__PROTO__METRICS__V1__GAUGE__INIT;
        m->data_case = OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_GAUGE;
        m->gauge = g;
        break;
    }
    case TEMPORAL_METRIC_HISTOGRAM: {
        Opentelemetry__Proto__Metrics__V1__Histogram *h = arena_alloc(b->arena, sizeof(*h));
        if (h == NULL)
            return NULL;
        *h = (Opentelemetry__Proto__Metrics__V1__Histogram)
            OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM__INIT;
        h->aggregation_temporality =
            OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
        m->data_case = OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_HISTOGRAM;
        m->histogram = h;
        break;
    }
    }
    b->metrics[b->n_metrics++] = m;
    return m;
}

/* Appends |item| to the array |*items| of |*n| pointers (arena memory, grown by copying). */
static bool push(struct arena *a, void ***items, size_t *n, void *item)
{
    if (item == NULL)
        return false;
    /* The capacity is n rounded up to a power of two: full when n is 0 or a power of two. */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 1;
        void **grown = arena_alloc(a, cap * sizeof(*grown));
        if (grown == NULL)
            return false;
        if (*n)
            memcpy(grown, *items, *n * sizeof(*grown));
        *items = grown;
    }
    (*items)[(*n)++] = item;
    return true;
}

static pb_kv **attributes(struct arena *a, const struct temporal_metric_point *p)
{
    pb_kv **kvs = arena_alloc(a, (p->label_count ? p->label_count : 1) * sizeof(*kvs));
    for (size_t i = 0; kvs && i < p->label_count; i++)
        kvs[i] = string_kv(a, p->labels[i].key, p->labels[i].value);
    return kvs;
}

static void add_point(void *arg, const struct temporal_metric_point *p)
{
    struct build *b = arg;
    struct arena *a = b->arena;
    pb_metric *m = metric_for(b, p);
    if (m == NULL)
        return;
    if (p->kind == TEMPORAL_METRIC_HISTOGRAM) {
        pb_histogram_point *dp = arena_alloc(a, sizeof(*dp));
        uint64_t *counts = arena_alloc(a, (p->bound_count + 1) * sizeof(*counts));
        double *bounds = arena_alloc(a, (p->bound_count ? p->bound_count : 1) * sizeof(*bounds));
        if (dp == NULL || counts == NULL || bounds == NULL)
            return;
        *dp = (pb_histogram_point)OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM_DATA_POINT__INIT;
        memcpy(counts, p->bucket_counts, (p->bound_count + 1) * sizeof(*counts));
        memcpy(bounds, p->bounds, p->bound_count * sizeof(*bounds));
        dp->attributes = attributes(a, p);
        dp->n_attributes = p->label_count;
        dp->start_time_unix_nano = p->start_time_unix_nano;
        dp->time_unix_nano = b->now_unix_nano;
        dp->count = p->count;
        dp->sum = p->sum;
        dp->n_bucket_counts = p->bound_count + 1;
        dp->bucket_counts = counts;
        dp->n_explicit_bounds = p->bound_count;
        dp->explicit_bounds = bounds;
        push(a, (void ***)&m->histogram->data_points, &m->histogram->n_data_points, dp);
        return;
    }
    pb_number_point *dp = arena_alloc(a, sizeof(*dp));
    if (dp == NULL)
        return;
    *dp = (pb_number_point)OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__INIT;
    dp->attributes = attributes(a, p);
    dp->n_attributes = p->label_count;
    dp->start_time_unix_nano = p->start_time_unix_nano;
    dp->time_unix_nano = b->now_unix_nano;
    dp->value_case = OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_INT;
    dp->as_int = p->value;
    if (p->kind == TEMPORAL_METRIC_COUNTER)
        push(a, (void ***)&m->sum->data_points, &m->sum->n_data_points, dp);
    else
        push(a, (void ***)&m->gauge->data_points, &m->gauge->n_data_points, dp);
}

/* The Resource and InstrumentationScope every request carries (arena memory). */
struct origin {
    pb_kv *resource_attrs[3];
    Opentelemetry__Proto__Resource__V1__Resource resource;
    Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
};

static bool origin_init(struct origin *o, struct arena *a, const struct temporal_otel_exporter *e)
{
    o->resource_attrs[0] = string_kv(a, "service.name", e->service_name);
    o->resource_attrs[1] = string_kv(a, "telemetry.sdk.name", "temporal-c");
    o->resource_attrs[2] = string_kv(a, "telemetry.sdk.version", TEMPORAL_VERSION);
    o->resource = (Opentelemetry__Proto__Resource__V1__Resource)
        OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
    o->resource.n_attributes = 3;
    o->resource.attributes = o->resource_attrs;
    o->scope = (Opentelemetry__Proto__Common__V1__InstrumentationScope)
        OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
    o->scope.name = "temporal-sdk";
    o->scope.version = TEMPORAL_VERSION;
    return o->resource_attrs[0] && o->resource_attrs[1] && o->resource_attrs[2];
}

static int export_metrics(struct temporal_otel_exporter *e, int64_t timeout_ms,
                          struct temporal_error *err)
{
    struct arena a = {0};
    struct build b = {.arena = &a,
                      .now_unix_nano = (uint64_t)temporal__now_epoch_ms() * 1000000u};
    temporal_metrics_visit(e->metrics, add_point, &b);

    struct origin o;
    bool origin_ok = origin_init(&o, &a, e);
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics sm =
        OPENTELEMETRY__PROTO__METRICS__V1__SCOPE_METRICS__INIT;
    sm.scope = &o.scope;
    sm.n_metrics = b.n_metrics;
    sm.metrics = b.metrics;
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics *sms[1] = {&sm};
    Opentelemetry__Proto__Metrics__V1__ResourceMetrics rm =
        OPENTELEMETRY__PROTO__METRICS__V1__RESOURCE_METRICS__INIT;
    rm.resource = &o.resource;
    rm.n_scope_metrics = 1;
    rm.scope_metrics = sms;
    Opentelemetry__Proto__Metrics__V1__ResourceMetrics *rms[1] = {&rm};
    Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceRequest req =
        OPENTELEMETRY__PROTO__COLLECTOR__METRICS__V1__EXPORT_METRICS_SERVICE_REQUEST__INIT;
    req.n_resource_metrics = 1;
    req.resource_metrics = rms;

    int rc;
    if (a.failed || !origin_ok) {
        rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory building a metrics export");
    } else if (b.n_metrics == 0) {
        rc = 0; /* nothing recorded yet */
    } else {
        struct temporal__rpc_call_options co = {.timeout_ms = timeout_ms};
        rc = temporal__rpc_call_discard(
            e->conn, METRICS_EXPORT, &req.base,
            &opentelemetry__proto__collector__metrics__v1__export_metrics_service_response__descriptor,
            &co, err);
    }
    arena_free(&a);
    return rc;
}

/* The Span message of |f| (arena memory borrowing from |f|), or NULL on ENOMEM. */
static pb_span *span_message(struct arena *a, struct temporal__finished_span *f)
{
    pb_span *m = arena_alloc(a, sizeof(*m));
    if (m == NULL)
        return NULL;
    *m = (pb_span)OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT;
    m->trace_id = (ProtobufCBinaryData){16, f->trace_id};
    m->span_id = (ProtobufCBinaryData){8, f->span_id};
    if (f->has_parent)
        m->parent_span_id = (ProtobufCBinaryData){8, f->parent_span_id};
    if (f->trace_state != NULL)
        m->trace_state = f->trace_state;
    /* Span.flags: the W3C flags, and that the parent's remoteness is known (bit 8), set
     * (bit 9) when the parent came from another process. */
    m->flags = f->flags | 0x100u | (f->has_parent ? 0x200u : 0);
    m->name = f->name;
    m->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)f->kind;
    m->start_time_unix_nano = (uint64_t)f->start_unix_ns;
    m->end_time_unix_nano = (uint64_t)f->end_unix_ns;
    if (f->attr_count > 0) {
        m->attributes = arena_alloc(a, f->attr_count * sizeof(*m->attributes));
        if (m->attributes == NULL)
            return NULL;
        for (size_t i = 0; i < f->attr_count; i++)
            if ((m->attributes[i] = string_kv(a, f->attr_keys[i], f->attr_values[i])) == NULL)
                return NULL;
        m->n_attributes = f->attr_count;
    }
    if (f->has_link) {
        Opentelemetry__Proto__Trace__V1__Span__Link *l = arena_alloc(a, sizeof(*l));
        m->links = arena_alloc(a, sizeof(*m->links));
        if (l == NULL || m->links == NULL)
            return NULL;
        *l = (Opentelemetry__Proto__Trace__V1__Span__Link)
            OPENTELEMETRY__PROTO__TRACE__V1__SPAN__LINK__INIT;
        l->trace_id = (ProtobufCBinaryData){16, f->link_trace_id};
        l->span_id = (ProtobufCBinaryData){8, f->link_span_id};
        m->links[0] = l;
        m->n_links = 1;
    }
    if (f->error) {
        Opentelemetry__Proto__Trace__V1__Status *st = arena_alloc(a, sizeof(*st));
        if (st == NULL)
            return NULL;
        *st = (Opentelemetry__Proto__Trace__V1__Status)OPENTELEMETRY__PROTO__TRACE__V1__STATUS__INIT;
        st->code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
        st->message = f->error_message ? f->error_message : "";
        m->status = st;
        /* The semantic-conventions "exception" event. */
        Opentelemetry__Proto__Trace__V1__Span__Event *ev = arena_alloc(a, sizeof(*ev));
        pb_kv **kvs = arena_alloc(a, 2 * sizeof(*kvs));
        m->events = arena_alloc(a, sizeof(*m->events));
        if (ev == NULL || kvs == NULL || m->events == NULL)
            return NULL;
        *ev = (Opentelemetry__Proto__Trace__V1__Span__Event)
            OPENTELEMETRY__PROTO__TRACE__V1__SPAN__EVENT__INIT;
        ev->name = "exception";
        ev->time_unix_nano = (uint64_t)f->end_unix_ns;
        kvs[ev->n_attributes++] = string_kv(a, "exception.message", st->message);
        if (f->error_type != NULL)
            kvs[ev->n_attributes++] = string_kv(a, "exception.type", f->error_type);
        for (size_t i = 0; i < ev->n_attributes; i++)
            if (kvs[i] == NULL)
                return NULL;
        ev->attributes = kvs;
        m->events[0] = ev;
        m->n_events = 1;
    }
    return m;
}

/* Sends the spans of |batch| (|n| of them) in one request. */
static int send_spans(struct temporal_otel_exporter *e, struct temporal__finished_span *batch,
                      size_t n, int64_t timeout_ms, struct temporal_error *err)
{
    struct arena a = {0};
    struct origin o;
    bool ok = origin_init(&o, &a, e);
    pb_span **spans = arena_alloc(&a, n * sizeof(*spans));
    size_t i = 0;
    for (struct temporal__finished_span *f = batch; ok && spans && i < n; f = f->next, i++)
        ok = (spans[i] = span_message(&a, f)) != NULL;
    Opentelemetry__Proto__Trace__V1__ScopeSpans ss = OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
    ss.scope = &o.scope;
    ss.n_spans = n;
    ss.spans = spans;
    Opentelemetry__Proto__Trace__V1__ScopeSpans *sss[1] = {&ss};
    Opentelemetry__Proto__Trace__V1__ResourceSpans rs =
        OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
    rs.resource = &o.resource;
    rs.n_scope_spans = 1;
    rs.scope_spans = sss;
    Opentelemetry__Proto__Trace__V1__ResourceSpans *rss[1] = {&rs};
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
    req.n_resource_spans = 1;
    req.resource_spans = rss;
    int rc;
    if (!ok || spans == NULL || a.failed) {
        rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory building a trace export");
    } else {
        struct temporal__rpc_call_options co = {.timeout_ms = timeout_ms};
        rc = temporal__rpc_call_discard(
            e->conn, TRACES_EXPORT, &req.base,
            &opentelemetry__proto__collector__trace__v1__export_trace_service_response__descriptor,
            &co, err);
    }
    arena_free(&a);
    return rc;
}

/* Whether a failed export may succeed when sent again (OTLP's retryable statuses, and our
 * own out-of-memory); a batch refused for good (too large, invalid) is dropped instead, so
 * that it cannot block every later span. */
static bool export_retryable(int rc)
{
    return rc == TEMPORAL_EUNAVAILABLE || rc == TEMPORAL_ETIMEDOUT || rc == TEMPORAL_ECANCELED ||
           rc == TEMPORAL_ERESOURCE_EXHAUSTED || rc == TEMPORAL_ENOMEM || rc == TEMPORAL_EGRPC;
}

/* Sends every finished span, in batches, until done or |deadline| (monotonic ms).  What is
 * not sent for a reason that may pass goes back to the tracer. */
static int export_traces(struct temporal_otel_exporter *e, int64_t deadline,
                         struct temporal_error *err)
{
    struct temporal__finished_span *rest = temporal__tracer_take(e->tracer);
    int rc = 0; /* the first failure */
    struct temporal_error later;
    while (rest != NULL) {
        int64_t left = deadline - temporal__now_monotonic_ms();
        if (left < 1) {
            if (rc == 0)
                rc = temporal__fail(err, TEMPORAL_ETIMEDOUT, -1,
                                    "trace export to %s: out of time with spans left", e->endpoint);
            break;
        }
        struct temporal__finished_span *batch = rest, *last = rest;
        size_t n = 1;
        while (n < SPANS_PER_REQUEST && last->next != NULL)
            last = last->next, n++;
        rest = last->next;
        last->next = NULL;
        int src = send_spans(e, batch, n, left, rc == 0 ? err : &later);
        if (rc == 0)
            rc = src;
        if (src != 0 && export_retryable(src)) {
            last->next = rest; /* give back this batch and the rest */
            rest = batch;
            break;
        }
        if (src != 0)
            temporal__tracer_count_dropped(e->tracer, n);
        temporal__finished_spans_free(batch);
    }
    temporal__tracer_give_back(e->tracer, rest);
    return rc;
}

/* One export of everything: metrics, then spans. */
static int export_now(struct temporal_otel_exporter *e, int64_t timeout_ms,
                      struct temporal_error *err)
{
    int64_t deadline = temporal__now_monotonic_ms() + timeout_ms;
    int rc = 0;
    if (e->metrics != NULL)
        rc = export_metrics(e, timeout_ms, err);
    if (e->tracer != NULL) {
        struct temporal_error terr;
        int trc = export_traces(e, deadline, rc == 0 ? err : &terr);
        if (rc == 0)
            rc = trc;
    }
    return rc;
}

/* The exporter ------------------------------------------------------------------------------- */

static void *background(void *arg)
{
    struct temporal_otel_exporter *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stopping) {
        int64_t wake = temporal__now_monotonic_ms() + e->interval_ms;
        struct timespec ts = {(time_t)(wake / 1000), (long)(wake % 1000) * 1000000L};
        while (!e->stopping && temporal__now_monotonic_ms() < wake)
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        if (e->stopping)
            break;
        pthread_mutex_unlock(&e->mu);
        struct temporal_error ignored;
        temporal_otel_exporter_flush(e, e->timeout_ms, &ignored);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static const char *first_set(const char *a, const char *b, const char *c, const char *fallback)
{
    if (!temporal__empty(a))
        return a;
    if (!temporal__empty(b))
        return b;
    if (!temporal__empty(c))
        return c;
    return fallback;
}

int temporal_otel_exporter_new(struct temporal_otel_exporter **out,
                               struct temporal_metrics *metrics,
                               const struct temporal_otel_options *opts,
                               struct temporal_error *err)
{
    struct temporal_otel_options o;
    if (out == NULL || !temporal__copy_options(&o, sizeof(o), opts) ||
        (metrics == NULL && o.tracer == NULL))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "temporal_otel_exporter_new needs |out|, options made with "
                              "TEMPORAL_OTEL_OPTIONS_INIT, and a metrics registry or a tracer");
    *out = NULL;
    const char *endpoint =
        first_set(o.endpoint, getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), NULL, "localhost:4317");
    if (strncasecmp(endpoint, "https://", 8) == 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "OpenTelemetry endpoint '%s': TLS to the collector is not supported; "
                              "export to a collector on the same host (e.g. localhost:4317), "
                              "which forwards over TLS",
                              endpoint);
    const char *schemes[] = {"http://", "grpc://"};
    for (size_t i = 0; i < TEMPORAL__ARRAY_LEN(schemes); i++)
        if (strncasecmp(endpoint, schemes[i], strlen(schemes[i])) == 0)
            endpoint += strlen(schemes[i]);
    const char *service =
        first_set(o.service_name, getenv("OTEL_SERVICE_NAME"), getenv("AWS_LAMBDA_FUNCTION_NAME"),
                  temporal__empty(o.fallback_service_name) ? "temporal-c" : o.fallback_service_name);

    struct temporal_otel_exporter *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    e->metrics = metrics;
    e->tracer = o.tracer;
    e->endpoint = temporal__strdup(endpoint);
    size_t len = strlen(e->endpoint ? e->endpoint : "");
    if (e->endpoint && len > 0 && e->endpoint[len - 1] == '/')
        e->endpoint[len - 1] = '\0';
    e->service_name = temporal__strdup(service);
    e->interval_ms = o.export_interval_ms == 0 ? DEFAULT_INTERVAL_MS : o.export_interval_ms;
    if (e->interval_ms > MAX_INTERVAL_MS)
        e->interval_ms = MAX_INTERVAL_MS;
    e->timeout_ms = o.export_timeout_ms > 0 ? o.export_timeout_ms : DEFAULT_TIMEOUT_MS;
    pthread_mutex_init(&e->export_mu, NULL);
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e->endpoint == NULL || e->service_name == NULL) {
        temporal_otel_exporter_free(e);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    }
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = e->endpoint;
    struct temporal_error cerr;
    int rc = temporal__rpc_conn_new(&e->conn, &co, "", &cerr);
    if (rc != 0) {
        temporal_otel_exporter_free(e);
        return temporal__fail(err, rc, -1, "OpenTelemetry collector endpoint '%s': %s", endpoint,
                              cerr.message);
    }
    if (e->interval_ms > 0) {
        if (pthread_create(&e->thread, NULL, background, e) != 0) {
            temporal_otel_exporter_free(e);
            return temporal__fail(err, TEMPORAL_ENOMEM, -1, "cannot start the export thread");
        }
        e->has_thread = true;
    }
    *out = e;
    return 0;
}

int temporal_otel_exporter_flush(struct temporal_otel_exporter *e, int64_t timeout_ms,
                                 struct temporal_error *err)
{
    if (e == NULL || timeout_ms <= 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "temporal_otel_exporter_flush needs an exporter and a timeout > 0");
    /* Another export (the background one) may be in flight: wait for it only as long as
     * this flush may take, and give the RPC what is left. */
    int64_t start = temporal__now_monotonic_ms();
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_mutex_timedlock(&e->export_mu, &until) != 0)
        return temporal__fail(err, TEMPORAL_ETIMEDOUT, -1,
                              "OpenTelemetry flush: an export to %s was still in flight after %lld ms",
                              e->endpoint, (long long)timeout_ms);
    int64_t left = timeout_ms - (temporal__now_monotonic_ms() - start);
    int rc = export_now(e, left > 1 ? left : 1, err);
    pthread_mutex_unlock(&e->export_mu);
    return rc;
}

const char *temporal_otel_exporter_endpoint(const struct temporal_otel_exporter *e)
{
    return e ? e->endpoint : NULL;
}

const char *temporal_otel_exporter_service_name(const struct temporal_otel_exporter *e)
{
    return e ? e->service_name : NULL;
}

void temporal_otel_exporter_free(struct temporal_otel_exporter *e)
{
    if (e == NULL)
        return;
    if (e->has_thread) {
        pthread_mutex_lock(&e->mu);
        e->stopping = true;
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->thread, NULL);
    }
    temporal__rpc_conn_free(e->conn);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->export_mu);
    free(e->endpoint);
    free(e->service_name);
    free(e);
}
