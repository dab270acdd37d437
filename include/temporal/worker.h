/*
 * temporal-c: the worker, which polls a task queue and runs the registered workflows and
 * activities.
 *
 * Lifecycle: temporal_worker_new() on a connected client, register activities, then
 * temporal_worker_run() on a thread of your choice: it polls until temporal_worker_stop()
 * is called (from any thread, or from an activity), then shuts down without losing a task
 * and returns.  Free with temporal_worker_free() after run has returned.
 *
 * Shutdown, in order: polling stops (except on this worker's sticky queue, whose workflow
 * tasks are still completed so that none waits there); running activities get
 * |graceful_shutdown_timeout_ms| to finish; the server is told (ShutdownWorker), polls already
 * in flight are allowed to finish (tasks they bring are run, never dropped) when the server
 * supports it and cancelled otherwise; activities still running are then asked to stop
 * (reason WORKER_SHUTDOWN) and their outcome is still reported.  A task is never lost and no
 * workflow task waits for a timeout in a queue nobody polls.  |shutdown_timeout_ms| bounds
 * the whole sequence.
 *
 * Worker Deployment Versioning: when |deployment.use_versioning| is set, every poll and
 * every completion carries the deployment name and build id with mode VERSIONED.
 */
#ifndef TEMPORAL_WORKER_H
#define TEMPORAL_WORKER_H

#include "activity.h"
#include "client.h"
#include "common.h"
#include "error.h"
#include "workflow.h"

TEMPORAL_EXTERN_C_BEGIN

/** A worker.  Opaque. */
struct temporal_worker;

/** Versioning behaviour of a workflow type (values of temporal.api.enums.v1.VersioningBehavior). */
enum temporal_versioning_behavior {
    TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED = 0,
    /** A run stays on the version it started on. */
    TEMPORAL_VERSIONING_BEHAVIOR_PINNED = 1,
    /** A run moves to the current version at its next workflow task. */
    TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE = 2,
};

/** Worker Deployment Versioning settings.  Strings are copied. */
struct temporal_deployment_options {
    /** Deployment name (required with |use_versioning|). */
    const char *deployment_name;
    /** Build id of this code (required with |use_versioning|). */
    const char *build_id;
    /** Mode VERSIONED: the worker serves only its own version. */
    bool use_versioning;
    /** Behaviour of workflow types registered without one.  Default with versioning: PINNED. */
    enum temporal_versioning_behavior default_versioning_behavior;
};

/** Options of temporal_worker_new().  Start from TEMPORAL_WORKER_OPTIONS_INIT. */
struct temporal_worker_options {
    size_t self_size;
    /** Required.  The task queue to poll.  Copied. */
    const char *task_queue;
    /** Optional.  Identity shown in history.  Default: the client's identity.  Copied. */
    const char *identity;
    /** Activities that may run at once (activity threads).  Default 100. */
    uint32_t max_concurrent_activities;
    /** Concurrent activity polls (SimpleMaximum).  Default 5. */
    uint32_t max_activity_pollers;
    /** Time running activities get to finish when the worker stops.  Default 0 (cancel at once). */
    int64_t graceful_shutdown_timeout_ms;
    /** Versioning; all zero means an unversioned worker. */
    struct temporal_deployment_options deployment;
    /** Workflow tasks processed at once.  Default 100. */
    uint32_t max_concurrent_workflow_tasks;
    /** Concurrent workflow task polls, normal and sticky queue together (SimpleMaximum).  Default 5. */
    uint32_t max_workflow_pollers;
    /**
     * Workflow runs kept in memory between tasks (LRU), so that the next task needs no
     * replay; 0 turns the cache (and sticky execution) off.  Default (-1): 1000.
     */
    int32_t max_cached_workflows;
    /** How long a cached run's next task waits for this worker before going to any worker.  Default 10000. */
    int64_t sticky_schedule_to_start_timeout_ms;
    /** Optional.  Where the worker's log lines go (workflow logs, task failures); default: nowhere. */
    temporal_log_fn log_fn;
    void *log_user_data;
    /**
     * Upper bound of the whole shutdown, from temporal_worker_stop() until
     * temporal_worker_run() returns, for hosts with a hard deadline (the Lambda runtime).
     * The graceful timeout, the sticky drain, ShutdownWorker and the wait for in-flight
     * polls are cut to fit; activities still running are then asked to stop and their
     * outcome is reported (an activity that ignores the request can still overrun).
     * 0 (default): no bound.  Must be >= graceful_shutdown_timeout_ms when set.
     */
    int64_t shutdown_timeout_ms;
    /** Local activity attempts that run at once (the others wait their turn).  Default 100. */
    uint32_t max_concurrent_local_activities;
};

#define TEMPORAL_WORKER_OPTIONS_INIT                                                          \
    { .self_size = sizeof(struct temporal_worker_options), .max_cached_workflows = -1 }

/**
 * Creates a worker on |client| (which must outlive the worker).  |out| receives it; free
 * with temporal_worker_free().
 * Returns 0, TEMPORAL_EINVAL (the message names the bad option), or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_worker_new(struct temporal_worker **out, struct temporal_client *client,
                                     const struct temporal_worker_options *opts,
                                     struct temporal_error *err);

/**
 * Registers activity type |name| (copied) implemented by |fn|, which receives |user_data|.
 * Call before temporal_worker_run().
 * Returns 0, TEMPORAL_EINVAL (empty name, NULL function, or a running worker),
 * TEMPORAL_EALREADY_EXISTS (name already registered), or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_worker_register_activity(struct temporal_worker *w, const char *name,
                                                   temporal_activity_fn fn, void *user_data);

/**
 * Registers workflow type |name| (copied) implemented by |fn|; |user_data| is available to
 * it through temporal_workflow_user_data().  |behavior| is the type's versioning behaviour
 * (UNSPECIFIED takes the deployment's default; PINNED or AUTO_UPGRADE need a versioned
 * worker).  Call before temporal_worker_run().
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_EALREADY_EXISTS, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_worker_register_workflow(struct temporal_worker *w, const char *name,
                                                   temporal_workflow_fn fn,
                                                   enum temporal_versioning_behavior behavior,
                                                   void *user_data);

/**
 * Runs the worker on the calling thread until it is stopped and fully shut down.
 * Returns 0 after a requested stop, or the error that made the worker give up (e.g. the
 * task queue's namespace does not exist), described in |err|.
 * Since: 0.1
 */
TEMPORAL_API int temporal_worker_run(struct temporal_worker *w, struct temporal_error *err);

/**
 * Asks the worker to shut down (see the top of this header); temporal_worker_run() returns
 * once it has.  Thread-safe, idempotent, never blocks; may be called before run starts.
 * Since: 0.1
 */
TEMPORAL_API void temporal_worker_stop(struct temporal_worker *w);

/**
 * How long the worker has held no task: milliseconds since a polled activity or workflow
 * task last arrived or finished, counted from the start of temporal_worker_run(); 0 while
 * a task is being processed or when the worker is not running.  Thread-safe.  Lets a host
 * stop an idle worker early (the Lambda runtime's idle exit uses it).
 * Since: 0.1
 */
TEMPORAL_API int64_t temporal_worker_idle_ms(struct temporal_worker *w);

/** Frees a worker that is not running.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_worker_free(struct temporal_worker *w);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_WORKER_H */
