/*
 * Tracing inside the library (see include/temporal/tracing.h).  Internal.
 *
 * A trace context is what a `_tracer-data` header carries: a trace id, the id of the span
 * that is the parent of what comes next, the W3C flags, and the carrier's other keys
 * (tracestate, baggage), which are passed on unchanged.
 *
 * Every function accepts a NULL tracer and then records nothing, so call sites need no
 * checks; contexts are still derived and propagated whenever there is one to propagate.
 */
#ifndef TEMPORAL_TRACE_INT_H
#define TEMPORAL_TRACE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "temporal/tracing.h"

/** The header key every Temporal SDK's OpenTelemetry interceptor uses. */
#define TEMPORAL__TRACE_HEADER_KEY "_tracer-data"

/** A span context to propagate.  Owns |extra|.  Zero-initialise; release with _clear(). */
struct temporal__trace_ctx {
    bool valid;
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags; /* W3C trace flags: bit 0 = sampled */
    /* The carrier's keys other than traceparent, as a JSON object text ("{...}"), or NULL. */
    char *extra;
};

/** Releases |c| and makes it invalid (empty). */
void temporal__trace_ctx_clear(struct temporal__trace_ctx *c);

/** Makes |dst| (cleared first) a copy of |src| (NULL: empty).  Returns 0 or TEMPORAL_ENOMEM. */
int temporal__trace_ctx_copy(struct temporal__trace_ctx *dst, const struct temporal__trace_ctx *src);

/**
 * Reads the `_tracer-data` header of |h| (NULL: none) into |out| (cleared first).  Returns
 * true if it held a valid traceparent.  A malformed header is ignored (false).
 */
bool temporal__trace_ctx_from_header(const Temporal__Api__Common__V1__Header *h,
                                     struct temporal__trace_ctx *out);

/**
 * The context of a workflow run that was started without one: a trace id whose first 4
 * bytes are |start_unix_s| and the rest derived from |run_id|, the span id of its
 * RunWorkflow span derived from |run_id|, sampled.  The same on every worker and replay.
 */
void temporal__trace_ctx_for_run(const char *run_id, int64_t start_unix_s,
                                 struct temporal__trace_ctx *out);

/** A span id derived from |run_id| and |what| (for spans that replay must name again). */
void temporal__trace_span_id_for(const char *run_id, const char *what, uint8_t out[8]);

/**
 * An outbound Header message holding one `_tracer-data` payload.  Owns everything it points
 * to; must not move while its message is in use (it points into itself).  Zero-initialise;
 * release with _clear().
 */
struct temporal__trace_header {
    Temporal__Api__Common__V1__Header msg;
    Temporal__Api__Common__V1__Header__FieldsEntry entry;
    Temporal__Api__Common__V1__Header__FieldsEntry *entries[1];
    Temporal__Api__Common__V1__Payload payload;
    Temporal__Api__Common__V1__Payload__MetadataEntry meta;
    Temporal__Api__Common__V1__Payload__MetadataEntry *metas[1];
    char *json; /* the carrier, owned */
};

/**
 * Fills |h| (cleared first) with |ctx| and returns its message, or NULL when |ctx| is NULL
 * or invalid (the field stays unset) or on allocation failure (|*rc| = TEMPORAL_ENOMEM when
 * |rc| is not NULL).
 */
Temporal__Api__Common__V1__Header *temporal__trace_header_set(struct temporal__trace_header *h,
                                                              const struct temporal__trace_ctx *ctx,
                                                              int *rc);

/** Releases |h| (its message must no longer be in use). */
void temporal__trace_header_clear(struct temporal__trace_header *h);

/** OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind). */
enum temporal__span_kind {
    TEMPORAL__SPAN_INTERNAL = 1,
    TEMPORAL__SPAN_SERVER = 2,
    TEMPORAL__SPAN_CLIENT = 3,
};

/** An open span.  Opaque. */
struct temporal__span;

/**
 * Starts the span "<prefix>:<name>" at |start_unix_ns| (0: now).  Its parent is |parent|
 * when valid, else the tracer's default parent, else none (a new trace with an X-Ray
 * compatible id).  |span_id| fixes its id (NULL: random).  |out| (may be NULL) receives the
 * new span's context, to pass on (the parent's extra keys included); it is filled even when
 * the span is not recorded (NULL tracer, unsampled parent), so propagation goes on.
 * Returns the span, or NULL when nothing is recorded; every function below accepts NULL.
 */
struct temporal__span *temporal__span_start(struct temporal_tracer *t, enum temporal__span_kind kind,
                                            const char *prefix, const char *name,
                                            const struct temporal__trace_ctx *parent,
                                            const uint8_t *span_id, int64_t start_unix_ns,
                                            struct temporal__trace_ctx *out);

/** Adds string attribute |key| = |value| (both copied, cut at 4 KiB and made valid UTF-8,
 * as are names and error messages; a NULL or empty value is skipped). */
void temporal__span_attr(struct temporal__span *s, const char *key, const char *value);

/** Adds a link to |ctx| (NULL or invalid: nothing). */
void temporal__span_link(struct temporal__span *s, const struct temporal__trace_ctx *ctx);

/** Marks the span failed with |message| (copied), as an error status and an exception event. */
void temporal__span_error(struct temporal__span *s, const char *type, const char *message);

/** Ends |s| at |end_unix_ns| (0: now) and queues it for export (it is then the tracer's). */
void temporal__span_end(struct temporal_tracer *t, struct temporal__span *s, int64_t end_unix_ns);

/**
 * Records a finished span in one call: start, attributes (|attrs|: NULL-terminated key,
 * value pairs), |link| (may be NULL) and end at the same instant |unix_ns| (workflow spans).
 * |out| as for temporal__span_start().
 */
void temporal__span_record(struct temporal_tracer *t, enum temporal__span_kind kind,
                           const char *prefix, const char *name,
                           const struct temporal__trace_ctx *parent, const uint8_t *span_id,
                           int64_t unix_ns, const char *const *attrs,
                           const struct temporal__trace_ctx *link, struct temporal__trace_ctx *out);

/* For the exporter (src/otel.c) ---------------------------------------------------------------- */

/** A finished span as queued.  Everything is owned by the span. */
struct temporal__finished_span {
    char *name;
    enum temporal__span_kind kind;
    uint8_t trace_id[16], span_id[8], parent_span_id[8];
    bool has_parent;
    char *trace_state; /* the parent's W3C tracestate, or NULL */
    uint8_t flags;
    int64_t start_unix_ns, end_unix_ns;
    size_t attr_count;
    char **attr_keys, **attr_values;
    bool has_link;
    uint8_t link_trace_id[16], link_span_id[8];
    bool error;
    char *error_type, *error_message;
    struct temporal__finished_span *next;
};

/** Takes every queued span, oldest first (the caller owns the list). */
struct temporal__finished_span *temporal__tracer_take(struct temporal_tracer *t);

/** Puts |list| (from _take(), not yet sent) back in front of the queue, as far as it fits. */
void temporal__tracer_give_back(struct temporal_tracer *t, struct temporal__finished_span *list);

/** Counts |n| spans the exporter gave up on (temporal_tracer_dropped()). */
void temporal__tracer_count_dropped(struct temporal_tracer *t, uint64_t n);

/** Frees a list of finished spans. */
void temporal__finished_spans_free(struct temporal__finished_span *list);

#endif /* TEMPORAL_TRACE_INT_H */
