/*
 * temporal-c: activities, the functions a worker runs for workflows (any SDK's workflows).
 *
 * An activity is a C function registered on a worker under a name (its "activity type").
 * It runs on one of the worker's activity threads, receives its arguments as payloads,
 * and either completes with result payloads (return 0) or fails (return non-zero, usually
 * through temporal_activity_fail()).  It may run again on failure, under the retry policy
 * the workflow gave it; temporal_activity_info() tells the attempt.
 *
 * Cancellation is cooperative: the activity learns of it from temporal_activity_heartbeat()
 * (which returns TEMPORAL_ECANCELED) or temporal_activity_is_cancelled(), and should then
 * return TEMPORAL_ECANCELED soon.  temporal_activity_cancel_reason() tells a cancellation
 * requested by the workflow (through the server) from one caused by the worker shutting
 * down after its graceful timeout.
 */
#ifndef TEMPORAL_ACTIVITY_H
#define TEMPORAL_ACTIVITY_H

#include "common.h"
#include "error.h"
#include "payload.h"

TEMPORAL_EXTERN_C_BEGIN

/** The execution of one activity attempt.  Opaque; valid only during the activity call. */
struct temporal_activity_ctx;

/**
 * An activity implementation.  |input| holds the arguments (borrowed for the call).
 * Append the result to |output| (an initialised, empty list owned by the worker) and
 * return 0; or return non-zero to fail the attempt: the value of temporal_activity_fail()
 * for an ApplicationFailure of your own, TEMPORAL_ECANCELED after a cancellation, or any
 * other code (reported as a retryable ApplicationFailure of type "TemporalCError").
 * Runs on a worker thread; several activities run at once on different threads.
 */
typedef int (*temporal_activity_fn)(struct temporal_activity_ctx *ctx,
                                    const struct temporal_payloads *input,
                                    struct temporal_payloads *output, void *user_data);

/** Facts about the running attempt.  Strings are borrowed from the context. */
struct temporal_activity_info {
    const char *activity_id;
    const char *activity_type;
    const char *task_queue;
    const char *workflow_namespace;
    const char *workflow_id;
    const char *workflow_run_id;
    const char *workflow_type;
    /** 1 for the first attempt. */
    int32_t attempt;
    /** Unix epoch milliseconds (0 when unknown). */
    int64_t scheduled_time_ms;
    int64_t current_attempt_scheduled_time_ms;
    int64_t started_time_ms;
    /** When this attempt times out (the earlier of schedule-to-close and start-to-close); 0 if none. */
    int64_t deadline_ms;
    /** The heartbeat timeout, 0 if none. */
    int64_t heartbeat_timeout_ms;
    /** Details of the last heartbeat of the previous attempt (empty on the first). */
    const struct temporal_payloads *heartbeat_details;
};

/** Why an activity was asked to stop. */
enum temporal_activity_cancel_reason {
    TEMPORAL_ACTIVITY_NOT_CANCELLED = 0,
    /** The workflow requested cancellation (delivered through a heartbeat response). */
    TEMPORAL_ACTIVITY_CANCEL_REQUESTED = 1,
    /** The worker is shutting down and the graceful shutdown timeout has passed. */
    TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN = 2,
    /** The server no longer knows the attempt (it timed out, or the workflow closed). */
    TEMPORAL_ACTIVITY_CANCEL_GONE = 3,
    /** The activity was paused (server heartbeat response). */
    TEMPORAL_ACTIVITY_CANCEL_PAUSED = 4,
};

/** Returns facts about the running attempt (borrowed from |ctx|).  Since: 0.1 */
TEMPORAL_API const struct temporal_activity_info *
temporal_activity_info(const struct temporal_activity_ctx *ctx);

/**
 * Milliseconds until this attempt times out (never negative), or INT64_MAX if it has no
 * deadline.  Since: 0.1
 */
TEMPORAL_API int64_t temporal_activity_time_remaining_ms(const struct temporal_activity_ctx *ctx);

/**
 * Records a heartbeat with optional |details| (copied; a retry sees the last ones).
 * Heartbeats are throttled: at most one call to the server per 0.8 x heartbeat timeout
 * (30 s without a heartbeat timeout, at most 60 s); in between, the latest details are
 * kept and sent when the interval ends.  Thread-safe.
 * Returns 0, TEMPORAL_ECANCELED once the activity has been asked to stop (see
 * temporal_activity_cancel_reason()), or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_activity_heartbeat(struct temporal_activity_ctx *ctx,
                                             const struct temporal_payloads *details);

/**
 * Returns true once the worker running the activity has begun to shut down (before any
 * graceful timeout has passed): an activity that can stop early and be retried elsewhere
 * may do so now.  Thread-safe.
 * Since: 0.1
 */
TEMPORAL_API bool temporal_activity_worker_stopping(const struct temporal_activity_ctx *ctx);

/** Returns true once the activity has been asked to stop.  Thread-safe.  Since: 0.1 */
TEMPORAL_API bool temporal_activity_is_cancelled(const struct temporal_activity_ctx *ctx);

/** Why the activity was asked to stop (TEMPORAL_ACTIVITY_NOT_CANCELLED if it was not).  Since: 0.1 */
TEMPORAL_API enum temporal_activity_cancel_reason
temporal_activity_cancel_reason(const struct temporal_activity_ctx *ctx);

/**
 * Fails the attempt with an ApplicationFailure: |type| (matched by the retry policy's
 * non-retryable error types; NULL means "TemporalCError"), |message|, |non_retryable|
 * (no more attempts), and optional |details| (copied).  Returns TEMPORAL_EACTIVITY_FAILED,
 * to be returned by the activity: `return temporal_activity_fail(ctx, ...);`.
 * Since: 0.1
 */
TEMPORAL_API int temporal_activity_fail(struct temporal_activity_ctx *ctx, const char *type,
                                        const char *message, bool non_retryable,
                                        const struct temporal_payloads *details);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_ACTIVITY_H */
