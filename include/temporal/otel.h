/*
 * temporal-c: OpenTelemetry export of the SDK metrics (temporal/metrics.h) and spans
 * (temporal/tracing.h) over OTLP/gRPC, to a collector such as the ADOT Lambda layer's on
 * localhost:4317.
 *
 * An exporter reads one registry and/or one tracer.  Each export sends all of the
 * registry's series (cumulative) in one ExportMetricsServiceRequest, then the tracer's
 * finished spans in ExportTraceServiceRequests of up to 512 spans; spans that could not be
 * sent stay queued for the next export.  It exports every |export_interval_ms| on its own
 * thread, and whenever temporal_otel_exporter_flush() is called (from a Lambda shutdown
 * hook, for instance, so that nothing recorded during an invocation is lost when the
 * invocation ends).
 * Resource attributes: service.name, telemetry.sdk.name "temporal-c", telemetry.sdk.version.
 * Instrumentation scope: "temporal-sdk".
 */
#ifndef TEMPORAL_OTEL_H
#define TEMPORAL_OTEL_H

#include "common.h"
#include "error.h"
#include "metrics.h"
#include "tracing.h"

TEMPORAL_EXTERN_C_BEGIN

/** An OTLP exporter.  Opaque. */
struct temporal_otel_exporter;

/** Options of temporal_otel_exporter_new().  Start from TEMPORAL_OTEL_OPTIONS_INIT. */
struct temporal_otel_options {
    size_t self_size;
    /**
     * Collector address "host:port" (a leading "http://" or "grpc://" is dropped; the
     * connection is plaintext, as to a collector on the same host; "https://" is refused).  NULL:
     * $OTEL_EXPORTER_OTLP_ENDPOINT, else "localhost:4317".  Copied.
     */
    const char *endpoint;
    /**
     * The service.name resource attribute.  NULL: $OTEL_SERVICE_NAME, else
     * $AWS_LAMBDA_FUNCTION_NAME, else |fallback_service_name|.  Copied.
     */
    const char *service_name;
    /** The last choice of service name.  NULL: "temporal-c".  Copied. */
    const char *fallback_service_name;
    /** Optional: the tracer whose spans are exported too.  Borrowed: it must outlive the exporter. */
    struct temporal_tracer *tracer;
    /** Period of the background export.  0: 10000; negative: no background export; at most a week. */
    int64_t export_interval_ms;
    /** Deadline of one background export.  0: 10000. */
    int64_t export_timeout_ms;
};

#define TEMPORAL_OTEL_OPTIONS_INIT { .self_size = sizeof(struct temporal_otel_options) }

/**
 * Creates an exporter of |metrics| (may be NULL when |opts->tracer| is set; borrowed: it
 * must outlive the exporter) and starts its background thread.  Does no network I/O yet.  |*out| is freed with
 * temporal_otel_exporter_free().
 * Returns 0, TEMPORAL_EINVAL (bad endpoint) or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_otel_exporter_new(struct temporal_otel_exporter **out,
                                            struct temporal_metrics *metrics,
                                            const struct temporal_otel_options *opts,
                                            struct temporal_error *err);

/**
 * Exports everything recorded so far, now, on the calling thread, taking at most
 * |timeout_ms| (> 0), including any wait for a background export in flight.  Thread-safe
 * (exports never overlap).
 * Returns 0, TEMPORAL_ETIMEDOUT (another export held on for the whole time), or the
 * export's error (e.g. TEMPORAL_EUNAVAILABLE: no collector listening).
 * Since: 0.1
 */
TEMPORAL_API int temporal_otel_exporter_flush(struct temporal_otel_exporter *e, int64_t timeout_ms,
                                              struct temporal_error *err);

/** The resolved endpoint and service name (borrowed from |e|).  Since: 0.1 */
TEMPORAL_API const char *temporal_otel_exporter_endpoint(const struct temporal_otel_exporter *e);
TEMPORAL_API const char *temporal_otel_exporter_service_name(const struct temporal_otel_exporter *e);

/**
 * Stops the background thread and frees the exporter (it does not export: flush first to
 * send what is left).  NULL is a no-op.
 * Since: 0.1
 */
TEMPORAL_API void temporal_otel_exporter_free(struct temporal_otel_exporter *e);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_OTEL_H */
