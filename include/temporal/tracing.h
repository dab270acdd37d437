/*
 * temporal-c: tracing.  A `struct temporal_tracer` collects the spans that a client, its
 * workers and their workflows and activities make; temporal/otel.h exports them over OTLP.
 * Give one to temporal_client_options.tracer.
 *
 * Spans (the names, kinds and attributes of the Temporal OpenTelemetry interceptors of the
 * other SDKs, so that traces read the same whichever SDK made them):
 *   client:    StartWorkflow:<type>, SignalWithStartWorkflow:<type>, SignalWorkflow:<name>,
 *              QueryWorkflow:<name>, StartWorkflowUpdate:<name> (CLIENT; temporalWorkflowID);
 *   workflow:  RunWorkflow:<type> (SERVER), CompleteWorkflow:<type> (INTERNAL; an error
 *              status when the workflow fails or is cancelled; none for a run that
 *              continues as new), HandleSignal:<name>, HandleQuery:<name>,
 *              ValidateUpdate:<name>, HandleUpdate:<name> (SERVER), StartActivity:<type>,
 *              StartChildWorkflow:<type>, SignalExternalWorkflow:<name> (CLIENT); all with
 *              temporalWorkflowID and temporalRunID;
 *   activity:  RunActivity:<type> (SERVER; temporalActivityID, temporalWorkflowID,
 *              temporalRunID; an error status when the attempt fails).
 *
 * Context travels in the `_tracer-data` header of the Temporal messages: one json/plain
 * payload holding a flat JSON object of strings with a W3C `traceparent`
 * ("00-<32 hex trace id>-<16 hex span id>-<2 hex flags>"), as the Go, TypeScript, Python
 * and Java interceptors write it.  Other keys of that object (tracestate, baggage) are
 * passed on unchanged.  A client span is the parent of RunWorkflow; RunWorkflow is the
 * parent of everything the workflow does; StartActivity is the parent of RunActivity.
 *
 * Workflow code is replayed, so a workflow span is recorded once, by the workflow task that
 * first runs that code, with zero duration at workflow time (as the Python interceptor
 * does), and the ids a later task needs are derived from the run: a workflow started
 * without trace context gets a trace of its own whose id and RunWorkflow span id come from
 * its run id, so every task of the run, on any worker, joins the same trace.
 *
 * New trace ids are X-Ray compatible (their first 4 bytes are the Unix time in seconds).
 * Sampling is parent-based: a context whose sampled flag is clear is passed on, but its
 * spans are not recorded.  Spans that have no parent from a header (an activity scheduled
 * without trace context, a client call) take the tracer's default parent, which the Lambda
 * worker sets to each invocation's X-Ray trace header, so that they join the invocation's
 * trace.
 */
#ifndef TEMPORAL_TRACING_H
#define TEMPORAL_TRACING_H

#include "common.h"
#include "error.h"

TEMPORAL_EXTERN_C_BEGIN

/** A span collector.  Opaque, thread-safe. */
struct temporal_tracer;

/** Options of temporal_tracer_new().  Start from TEMPORAL_TRACER_OPTIONS_INIT. */
struct temporal_tracer_options {
    size_t self_size;
    /**
     * Finished spans kept until an exporter takes them.  0: 8192.  When full, new spans are
     * dropped and counted (temporal_tracer_dropped()).
     */
    size_t max_queued_spans;
};

#define TEMPORAL_TRACER_OPTIONS_INIT { .self_size = sizeof(struct temporal_tracer_options) }

/**
 * Creates a tracer; |*out| is freed with temporal_tracer_free() after every client and
 * exporter using it.  Returns 0, TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_tracer_new(struct temporal_tracer **out,
                                     const struct temporal_tracer_options *opts,
                                     struct temporal_error *err);

/**
 * Sets the parent of spans that have no parent from a `_tracer-data` header.  |header| is
 * an X-Ray trace header ("Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1", as Lambda
 * passes in `_X_AMZN_TRACE_ID`) or a W3C traceparent; NULL or "" clears it.  Returns 0, or
 * TEMPORAL_EINVAL when |header| names no usable trace and span (the default parent is then
 * cleared).  Thread-safe.
 * Since: 0.1
 */
TEMPORAL_API int temporal_tracer_set_default_parent(struct temporal_tracer *t, const char *header);

/** Spans dropped so far because the queue was full.  Since: 0.1 */
TEMPORAL_API uint64_t temporal_tracer_dropped(const struct temporal_tracer *t);

/** Finished spans waiting for an exporter.  Since: 0.1 */
TEMPORAL_API size_t temporal_tracer_queued(const struct temporal_tracer *t);

/** Frees the tracer and any spans not exported.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_tracer_free(struct temporal_tracer *t);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_TRACING_H */
