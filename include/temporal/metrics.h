/*
 * temporal-c: SDK metrics.  A `struct temporal_metrics` is an in-process registry that the
 * client, its workers and their workflows record into, with the standard Temporal SDK
 * metric names, types, units and labels (all prefixed `temporal_`; histograms in
 * milliseconds, as sdk-core records them).  It keeps cumulative values; an exporter reads
 * them (temporal/otel.h sends them over OTLP), or temporal_metrics_visit() does.
 *
 * Give one to temporal_client_options.metrics: every RPC (temporal_request,
 * temporal_long_request, with operation, namespace and, on failure, status_code), every
 * poll (workflow_task_queue_poll_succeed/_empty, activity_poll_no_task,
 * activity_task_received, the schedule-to-start latencies), every workflow task
 * (workflow_task_execution_latency, workflow_task_replay_latency for a run rebuilt from
 * history, sticky_cache_hit/_miss, workflow_task_execution_failed with failure_reason
 * NonDeterminismError or WorkflowError, counted when the failure is reported: on the
 * task's first attempt) and workflow outcome (workflow_completed, _failed, _canceled,
 * _continue_as_new, workflow_endtoend_latency), every activity (activity_execution_latency,
 * activity_execution_failed, activity_succeed_endtoend_latency), every local activity
 * attempt (local_activity_total, local_activity_execution_latency,
 * local_activity_execution_failed, local_activity_execution_cancelled,
 * local_activity_succeed_endtoend_latency) and worker_start are recorded.  Gauges are set
 * whenever their value changes, when the worker starts and once it has stopped:
 * num_pollers (poller_type workflow_task, sticky_workflow_task, activity_task: poller
 * threads running), worker_task_slots_available / worker_task_slots_used (worker_type
 * WorkflowWorker, ActivityWorker, LocalActivityWorker: a slot is used while it holds a
 * task, and neither used nor available while a poll waits for a task to fill it) and
 * sticky_cache_size (runs held by the cache, including one a task is processing).
 * Worker metrics carry namespace and task_queue; workflow and activity metrics add
 * workflow_type or activity_type.
 */
#ifndef TEMPORAL_METRICS_H
#define TEMPORAL_METRICS_H

#include "common.h"

TEMPORAL_EXTERN_C_BEGIN

/** A metrics registry.  Opaque, thread-safe. */
struct temporal_metrics;

/** Kinds of instrument. */
enum temporal_metric_kind {
    /** A monotonic sum (OTLP Sum, cumulative, monotonic). */
    TEMPORAL_METRIC_COUNTER = 0,
    /** A distribution over explicit bucket bounds (OTLP Histogram, cumulative). */
    TEMPORAL_METRIC_HISTOGRAM = 1,
    /** The last value set (OTLP Gauge). */
    TEMPORAL_METRIC_GAUGE = 2,
};

/** One label of a series. */
struct temporal_metric_label {
    const char *key;
    const char *value;
};

/** One series as temporal_metrics_visit() shows it.  Everything is borrowed for the call. */
struct temporal_metric_point {
    /** e.g. "temporal_request". */
    const char *name;
    const char *description;
    /** "1" for counts, "ms" for latencies. */
    const char *unit;
    enum temporal_metric_kind kind;
    const struct temporal_metric_label *labels;
    size_t label_count;
    /** COUNTER and GAUGE: the value. */
    int64_t value;
    /** HISTOGRAM: number of samples, their sum, and bucket_count counts for the bounds
     * (bucket i counts samples <= bounds[i] and > bounds[i-1]; the last one the rest). */
    uint64_t count;
    double sum;
    const uint64_t *bucket_counts;
    const double *bounds;
    size_t bound_count; /* bucket_counts has bound_count + 1 entries */
    /** When the series began (first recorded), Unix epoch nanoseconds. */
    uint64_t start_time_unix_nano;
};

/** Creates an empty registry in |*out| (free with temporal_metrics_free()).  Returns 0 or
 * TEMPORAL_ENOMEM.  Since: 0.1 */
TEMPORAL_API int temporal_metrics_new(struct temporal_metrics **out);

/**
 * Calls |fn| once per series, under the registry's lock (|fn| must not record into the
 * same registry).  Since: 0.1
 */
TEMPORAL_API void temporal_metrics_visit(struct temporal_metrics *m,
                                         void (*fn)(void *user_data,
                                                    const struct temporal_metric_point *p),
                                         void *user_data);

/** Frees a registry nobody records into any more.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_metrics_free(struct temporal_metrics *m);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_METRICS_H */
