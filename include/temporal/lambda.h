/*
 * temporal-c: a Temporal Worker as an AWS Lambda function (library libtemporal_lambda).
 *
 * One call turns a program into a Lambda custom runtime (`bootstrap` on provided.al2023):
 *
 *     static int configure(struct temporal_lambda_config *cfg, void *ud, struct temporal_error *err)
 *     {
 *         cfg->worker.task_queue = "my-task-queue";
 *         return temporal_lambda_register_workflow(cfg, "SampleWorkflow", sample_workflow,
 *                                                  TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL);
 *     }
 *     int main(void)
 *     {
 *         struct temporal_deployment_version v = {"my-app", "build-1"};
 *         return temporal_lambda_run_worker(&v, configure, NULL);
 *     }
 *
 * At init (once per process): the connection is loaded from envconfig with the Lambda file
 * order ($TEMPORAL_CONFIG_FILE, else $LAMBDA_TASK_ROOT/temporal.toml, else ./temporal.toml;
 * a missing file is fine; TEMPORAL_* variables override it), the worker options get the
 * Lambda defaults below, the task queue is pre-filled from $TEMPORAL_TASK_QUEUE, and
 * |configure| runs once; then Worker Deployment Versioning is forced on with |version| and
 * the config is validated.  A failure posts /runtime/init/error and the process exits 1.
 *
 * Each invocation: ONE absolute stop time is computed, the invocation deadline minus
 * |shutdown_deadline_buffer_ms|; a fresh client connects (identity
 * "<request id>@<invoked function ARN>"), a fresh worker polls until the stop time (or until
 * it has been idle for |idle_exit_ms|, if set), then shuts down without losing a task
 * (temporal/worker.h), the shutdown hooks run in order (also when connecting or starting
 * failed; a failing hook is logged and the next one still runs), everything is freed, and
 * the response is posted.  No state outlives an invocation but the config.
 *
 * Lambda defaults (each may be changed in |configure|):
 *   worker.max_concurrent_activities       2
 *   worker.max_concurrent_local_activities 2
 *   worker.max_activity_pollers            1
 *   worker.max_concurrent_workflow_tasks   10
 *   worker.max_workflow_pollers            2
 *   worker.max_cached_workflows            30
 *   worker.graceful_shutdown_timeout_ms    5000
 *   shutdown_deadline_buffer_ms            graceful_shutdown_timeout_ms + 2000 (follows it)
 *   deployment default behaviour           PINNED
 * Eager activity execution is never used.
 *
 * Logs: one line per event on stderr, a JSON object with "timestamp", "level", "message",
 * "requestId" and fields (AWS_LAMBDA_LOG_FORMAT=Text gives plain text), filtered by
 * AWS_LAMBDA_LOG_LEVEL (DEBUG, INFO (default), WARN, ERROR).  gRPC's own log lines go the
 * same way under temporal_lambda_run_worker() (its errors as WARN).  No API key or private
 * key is ever logged.
 */
#ifndef TEMPORAL_LAMBDA_H
#define TEMPORAL_LAMBDA_H

#include "common.h"
#include "envconfig.h"
#include "error.h"
#include "metrics.h"
#include "otel.h"
#include "worker.h"

TEMPORAL_EXTERN_C_BEGIN

/** The Worker Deployment Version a Lambda function serves.  Both fields are required. */
struct temporal_deployment_version {
    /** Deployment name, e.g. "my-app".  Copied. */
    const char *deployment_name;
    /** Build id of this code, e.g. "build-1".  Copied. */
    const char *build_id;
};

/** A shutdown hook; runs after the worker of every invocation has stopped.  Non-zero = failed. */
typedef int (*temporal_lambda_hook_fn)(void *user_data, struct temporal_error *err);

struct temporal_lambda_config_private;

/**
 * What |configure| may change.  The library owns the struct; it outlives every invocation.
 * Strings and arrays that |configure| stores here are borrowed for the life of the process
 * (use literals or memory that is never freed).
 */
struct temporal_lambda_config {
    size_t self_size;
    /**
     * Worker options, pre-filled with the Lambda defaults and |task_queue| from
     * $TEMPORAL_TASK_QUEUE (code wins).  |identity| NULL means "<request id>@<function ARN>".
     * |deployment| is overwritten after |configure| with the version and use_versioning,
     * except |deployment.default_versioning_behavior| (UNSPECIFIED becomes PINNED).
     * |log_fn| defaults to the Lambda JSON logger.
     */
    struct temporal_worker_options worker;
    /**
     * Client options from envconfig (target, namespace, API key, TLS, metadata); the
     * strings are borrowed from |profile|.  |identity| is set for each invocation.
     * |connect_timeout_ms| is capped by the invocation's stop time.
     */
    struct temporal_client_options client;
    /** The loaded envconfig profile (owned by the library; read-only for |configure|). */
    const struct temporal_config_profile *profile;
    /**
     * Time kept free at the end of each invocation for the worker's shutdown and the hooks.
     * 0 (default): worker.graceful_shutdown_timeout_ms + 2000, computed after |configure|.
     * Must exceed worker.graceful_shutdown_timeout_ms.
     */
    int64_t shutdown_deadline_buffer_ms;
    /**
     * Opt-in idle exit: stop polling once the worker has held no task for this many
     * milliseconds, so the invocation is billed for work rather than for the whole timeout.
     * 0 (default): poll until the stop time, as the official Lambda workers do.  Trade-off:
     * a task that arrives after an idle exit waits until the function is invoked again.
     */
    int64_t idle_exit_ms;
    /** Private to the library. */
    struct temporal_lambda_config_private *private_;
};

/**
 * The user's configuration callback: runs once, at init, with the pre-filled config.
 * Returns 0, or non-zero (with |err| filled) to fail the init.
 */
typedef int (*temporal_lambda_configure_fn)(struct temporal_lambda_config *cfg, void *user_data,
                                            struct temporal_error *err);

/**
 * Registers workflow type |name| (copied) for every invocation's worker (see
 * temporal_worker_register_workflow()).  Returns 0, TEMPORAL_EINVAL, TEMPORAL_EALREADY_EXISTS
 * or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_register_workflow(struct temporal_lambda_config *cfg,
                                                   const char *name, temporal_workflow_fn fn,
                                                   enum temporal_versioning_behavior behavior,
                                                   void *user_data);

/**
 * Registers activity type |name| (copied) for every invocation's worker (see
 * temporal_worker_register_activity()).  Returns 0, TEMPORAL_EINVAL, TEMPORAL_EALREADY_EXISTS
 * or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_register_activity(struct temporal_lambda_config *cfg,
                                                   const char *name, temporal_activity_fn fn,
                                                   void *user_data);

/**
 * Adds a shutdown hook, run at the end of every invocation after the worker stopped, in the
 * order added (flush telemetry here).  Returns 0, TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_on_shutdown(struct temporal_lambda_config *cfg,
                                             temporal_lambda_hook_fn hook, void *user_data);

/**
 * The C form of the official packages' run_worker: initialises (see the top of this header),
 * then serves invocations from the Lambda Runtime API ($AWS_LAMBDA_RUNTIME_API) forever.
 * Returns only on a fatal error (init failure, Runtime API unreachable or malformed): 1,
 * suitable as main()'s exit status, after logging why.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_run_worker(const struct temporal_deployment_version *version,
                                            temporal_lambda_configure_fn configure,
                                            void *user_data);

/* Observability ----------------------------------------------------------------------------- */

/**
 * Options of temporal_lambda_otel_apply_defaults(), _apply_metrics() and _apply_tracing().
 * Start from TEMPORAL_LAMBDA_OTEL_OPTIONS_INIT.  The worker has one exporter: the first call
 * that creates it decides its endpoint, service name and period.
 */
struct temporal_lambda_otel_options {
    size_t self_size;
    /** Collector "host:port".  NULL: $OTEL_EXPORTER_OTLP_ENDPOINT, else "localhost:4317".  Copied. */
    const char *endpoint;
    /**
     * service.name.  NULL: $OTEL_SERVICE_NAME, else $AWS_LAMBDA_FUNCTION_NAME, else
     * "temporal-lambda-worker".  Copied.
     */
    const char *service_name;
    /** Period of the background export.  0: 10000.  Every invocation also flushes. */
    int64_t metric_export_interval_ms;
};

#define TEMPORAL_LAMBDA_OTEL_OPTIONS_INIT { .self_size = sizeof(struct temporal_lambda_otel_options) }

/**
 * The seeds' "apply defaults" of the OpenTelemetry module: metrics and traces.  Call it in
 * |configure|.  Same as temporal_lambda_otel_apply_metrics() then
 * temporal_lambda_otel_apply_tracing().
 * Returns 0, TEMPORAL_EINVAL (called twice, or bad options) or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_otel_apply_defaults(struct temporal_lambda_config *cfg,
                                                     const struct temporal_lambda_otel_options *opts,
                                                     struct temporal_error *err);

/**
 * SDK metrics only: creates a metrics registry (cfg->client.metrics) and the worker's
 * OTLP/gRPC exporter (temporal/otel.h), which live as long as the Lambda worker, and a
 * shutdown hook that flushes at the end of every invocation, bounded by the invocation's
 * deadline, so that nothing recorded during the invocation is lost.  No connection is made
 * here.  Returns 0, TEMPORAL_EINVAL (metrics already applied, or bad options) or
 * TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_otel_apply_metrics(struct temporal_lambda_config *cfg,
                                                    const struct temporal_lambda_otel_options *opts,
                                                    struct temporal_error *err);

/**
 * Traces only: creates a tracer (cfg->client.tracer; temporal/tracing.h) and the exporter
 * and flush hook as above.  Every invocation makes its X-Ray trace header (Lambda-Runtime-
 * Trace-Id) the tracer's default parent, so spans without a parent of their own join the
 * invocation's trace.  Returns 0, TEMPORAL_EINVAL (tracing already applied, or bad
 * options) or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_otel_apply_tracing(struct temporal_lambda_config *cfg,
                                                    const struct temporal_lambda_otel_options *opts,
                                                    struct temporal_error *err);

/* For hosts that run their own runtime loop ------------------------------------------------ */

/** An initialised Lambda worker: the config, ready to serve invocations.  Opaque. */
struct temporal_lambda_worker;

/** One invocation, as the Runtime API's /next response headers describe it. */
struct temporal_lambda_invocation {
    /** Lambda-Runtime-Aws-Request-Id.  Required.  Borrowed for the call. */
    const char *request_id;
    /** Lambda-Runtime-Invoked-Function-Arn, or NULL ("unknown" in the identity).  Borrowed. */
    const char *invoked_function_arn;
    /** Lambda-Runtime-Deadline-Ms: the deadline in milliseconds since the Unix epoch.  Required. */
    int64_t deadline_epoch_ms;
    /** Lambda-Runtime-Trace-Id, or NULL; exported as _X_AMZN_TRACE_ID.  Borrowed. */
    const char *trace_id;
};

/**
 * Runs the init steps (envconfig, defaults, |configure|, versioning, validation) and returns
 * the worker in |*out| (free with temporal_lambda_worker_free()).  Does not connect.
 * Returns 0, TEMPORAL_EINVAL (bad version, task queue or timing; the message says how to fix
 * it), TEMPORAL_ECONFIG / TEMPORAL_EIO / TEMPORAL_EPROFILE_NOT_FOUND (envconfig), the code
 * |configure| returned, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_worker_new(struct temporal_lambda_worker **out,
                                            const struct temporal_deployment_version *version,
                                            temporal_lambda_configure_fn configure,
                                            void *user_data, struct temporal_error *err);

/**
 * Serves one invocation (see the top of this header) on the calling thread and returns
 * when it is over, before |inv->deadline_epoch_ms|.  Not re-entrant: one invocation at a
 * time per worker.
 * Returns 0, or the invocation's error: TEMPORAL_ELAMBDA_TIME (deadline minus buffer leaves
 * 1 s or less; no worker is started), the client's connect error, or the worker's fatal
 * error.  The hooks have run in every case.
 * Since: 0.1
 */
TEMPORAL_API int temporal_lambda_worker_invoke(struct temporal_lambda_worker *lw,
                                               const struct temporal_lambda_invocation *inv,
                                               struct temporal_error *err);

/** The config the worker serves with (read-only after init); owned by |lw|.  Since: 0.1 */
TEMPORAL_API const struct temporal_lambda_config *
temporal_lambda_worker_config(const struct temporal_lambda_worker *lw);

/** Frees a Lambda worker that is not serving an invocation.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_lambda_worker_free(struct temporal_lambda_worker *lw);

/**
 * Writes one log line the Lambda way (see the top of this header), tagged with the current
 * invocation's request id.  Thread-safe.  Has the shape of temporal_log_fn (|user_data| is
 * ignored), so it can be any option's log function.
 * Since: 0.1
 */
TEMPORAL_API void temporal_lambda_log(void *user_data, enum temporal_log_level level,
                                      const char *message);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_LAMBDA_H */
