/*
 * temporal-c: workflows written in C.
 *
 * A workflow is a C function registered on a worker under a type name.  It runs inside the
 * worker on a coroutine, and must be deterministic: given the same history it must issue
 * the same commands in the same order, because the worker rebuilds its state by running it
 * again from the start (replay) whenever the state is not cached.  So workflow code talks to
 * the world only through this header: activities, timers, signals, time and randomness all
 * come from here.  It must not read the clock, sleep, do I/O, use threads or global mutable
 * state.
 *
 * Blocking calls (executing an activity, sleeping, waiting for a condition, joining a
 * branch) suspend only the calling coroutine; other branches of the same workflow run
 * meanwhile.  When the worker drops a run from memory (its cache is full, or it shuts
 * down) while code is blocked, the blocking call returns TEMPORAL_ECANCELED: free what
 * you hold and return; the run continues later by replay on some worker.  Everything of one workflow run happens on one thread, one coroutine at a
 * time, so branches need no locks.
 *
 *     static int greet(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
 *                      struct temporal_payloads *out)
 *     {
 *         struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
 *         o.start_to_close_timeout_ms = 10000;
 *         return temporal_workflow_execute_activity(ctx, "hello_activity", in, &o, out);
 *     }
 */
#ifndef TEMPORAL_WORKFLOW_H
#define TEMPORAL_WORKFLOW_H

#include "common.h"
#include "error.h"
#include "payload.h"

TEMPORAL_EXTERN_C_BEGIN

/** The workflow run, as seen from workflow code.  Opaque; valid during the workflow call. */
struct temporal_workflow_ctx;

/**
 * A workflow implementation.  Append the result to |out| and return 0 to complete the
 * workflow.  Return the value of temporal_workflow_fail() to fail it, TEMPORAL_ECANCELED
 * (after a cancellation request) to report it cancelled, or the value of
 * temporal_workflow_continue_as_new() to continue as a new run.  Any other non-zero value
 * fails the workflow with an ApplicationFailure of type "TemporalCError".
 */
typedef int (*temporal_workflow_fn)(struct temporal_workflow_ctx *ctx,
                                    const struct temporal_payloads *in,
                                    struct temporal_payloads *out);

/** Retry policy of an activity.  Zero fields take the server's defaults. */
struct temporal_retry_policy {
    int64_t initial_interval_ms;
    double backoff_coefficient;
    int64_t maximum_interval_ms;
    /** 0 = unlimited. */
    int32_t maximum_attempts;
    /** Failure types that are not retried (borrowed for the call). */
    const char *const *non_retryable_error_types;
    size_t non_retryable_error_types_count;
};

/** What cancelling the workflow does to an activity it is waiting for. */
enum temporal_activity_cancellation_type {
    /** Ask the server to cancel it and stop waiting at once (the default). */
    TEMPORAL_ACTIVITY_CANCEL_TRY = 0,
    /** Ask the server to cancel it and wait until the activity has stopped. */
    TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED = 1,
    /** Do not tell the activity; stop waiting at once. */
    TEMPORAL_ACTIVITY_CANCEL_ABANDON = 2,
};

/** Options of temporal_workflow_execute_activity().  Start from TEMPORAL_ACTIVITY_OPTIONS_INIT. */
struct temporal_activity_options {
    size_t self_size;
    /** Task queue of the activity.  Default: the workflow's task queue.  Borrowed. */
    const char *task_queue;
    /** At least one of schedule_to_close and start_to_close is required. */
    int64_t schedule_to_close_timeout_ms;
    int64_t schedule_to_start_timeout_ms;
    int64_t start_to_close_timeout_ms;
    int64_t heartbeat_timeout_ms;
    /** Optional retry policy (NULL = server default: retry with backoff, no limit). */
    const struct temporal_retry_policy *retry_policy;
    /** What a cancellation of the workflow does to the activity.  Default TRY. */
    enum temporal_activity_cancellation_type cancellation_type;
};

#define TEMPORAL_ACTIVITY_OPTIONS_INIT { .self_size = sizeof(struct temporal_activity_options) }

/** Facts about the run.  Strings are borrowed from the context. */
struct temporal_workflow_info {
    const char *workflow_id;
    const char *run_id;
    const char *workflow_type;
    const char *task_queue;
    const char *namespace_name;
    /** Attempt of this run under the workflow's retry policy (1 = first). */
    int32_t attempt;
    /** Run id of the run that continued as this one, or "". */
    const char *continued_run_id;
    /** When the run started, Unix epoch milliseconds. */
    int64_t start_time_ms;
    /** Number of history events so far (as of the current workflow task). */
    int64_t history_length;
    /** The cron schedule the run was started with, or "". */
    const char *cron_schedule;
    /** The parent workflow's id and run id, or "" for a workflow that is no child. */
    const char *parent_workflow_id;
    const char *parent_run_id;
    /** The first run of this workflow's chain (continue-as-new, retries, cron). */
    const char *first_execution_run_id;
    /** Timeouts the run was started with, 0 = none. */
    int64_t execution_timeout_ms;
    int64_t run_timeout_ms;
    int64_t task_timeout_ms;
};

/** Returns facts about the run (borrowed from |ctx|).  Since: 0.1 */
TEMPORAL_API const struct temporal_workflow_info *
temporal_workflow_info(const struct temporal_workflow_ctx *ctx);

/** The |user_data| given when the workflow type was registered.  Since: 0.1 */
TEMPORAL_API void *temporal_workflow_user_data(const struct temporal_workflow_ctx *ctx);

/**
 * Executes activity |activity_type| with |input| (may be NULL) and waits for it.  On
 * success its result payloads are appended to |out| and 0 is returned.  Otherwise returns
 * TEMPORAL_EACTIVITY_FAILED (failed, timed out; temporal_workflow_last_error() says how),
 * TEMPORAL_ECANCELED (the workflow was cancelled), or TEMPORAL_EINVAL (bad options, e.g.
 * no timeout).  Blocks the calling branch.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_execute_activity(struct temporal_workflow_ctx *ctx,
                                                    const char *activity_type,
                                                    const struct temporal_payloads *input,
                                                    const struct temporal_activity_options *opts,
                                                    struct temporal_payloads *out);

/** Options of temporal_workflow_execute_local_activity().  Start from
 * TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT. */
struct temporal_local_activity_options {
    size_t self_size;
    /** At least one of schedule_to_close and start_to_close is required. */
    int64_t schedule_to_close_timeout_ms;
    int64_t start_to_close_timeout_ms;
    /** Retry policy (NULL = retry with backoff from 1 s, x2, up to 100 s, no limit but the
     * schedule-to-close timeout). */
    const struct temporal_retry_policy *retry_policy;
    /** What a cancellation of the workflow does to the local activity.  Default TRY. */
    enum temporal_activity_cancellation_type cancellation_type;
    /** Retries whose backoff is longer than this wait on a durable timer in the workflow
     * (the failed attempt recorded) instead of in the worker.  Default 1 minute. */
    int64_t local_retry_threshold_ms;
};

#define TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT                                                  \
    { .self_size = sizeof(struct temporal_local_activity_options) }

/**
 * Executes activity |activity_type| (registered on this worker) as a local activity: the
 * worker runs it at once in this process, without a round trip through the server's task
 * queue, and records its outcome in history (a marker) when it finishes; retries happen in
 * the worker.  For short activities (a few seconds at most) where latency matters.  The
 * workflow task stays open while it runs (the worker keeps it alive by completing it with
 * a request for a new one at 80% of its timeout).  Returns as
 * temporal_workflow_execute_activity().  Blocks the calling branch.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_execute_local_activity(struct temporal_workflow_ctx *ctx,
                                                          const char *activity_type,
                                                          const struct temporal_payloads *input,
                                                          const struct temporal_local_activity_options *opts,
                                                          struct temporal_payloads *out);

/** What happens to a child workflow when its parent closes. */
enum temporal_parent_close_policy {
    /** Terminate the child (the server's default). */
    TEMPORAL_PARENT_CLOSE_TERMINATE = 0,
    /** Let the child run on. */
    TEMPORAL_PARENT_CLOSE_ABANDON = 2,
    /** Ask the child to cancel. */
    TEMPORAL_PARENT_CLOSE_REQUEST_CANCEL = 3,
};

/** What cancelling the parent does to a child workflow it is waiting for. */
enum temporal_child_cancellation_type {
    /** Ask the child to cancel and wait until it has closed (the default). */
    TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED = 0,
    /** Ask the child to cancel and stop waiting at once. */
    TEMPORAL_CHILD_CANCEL_TRY = 1,
    /** Ask the child to cancel and wait until the server has recorded the request. */
    TEMPORAL_CHILD_CANCEL_WAIT_REQUESTED = 2,
    /** Do not tell the child; stop waiting at once. */
    TEMPORAL_CHILD_CANCEL_ABANDON = 3,
};

/** Options of temporal_workflow_execute_child().  Start from TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT. */
struct temporal_child_workflow_options {
    size_t self_size;
    /** The child's workflow id.  Default: "<parent workflow id>-child-<n>" (deterministic).  Borrowed. */
    const char *workflow_id;
    /** Task queue of the child.  Default: the parent's.  Borrowed. */
    const char *task_queue;
    /** Optional timeouts; 0 = none. */
    int64_t execution_timeout_ms;
    int64_t run_timeout_ms;
    int64_t task_timeout_ms;
    enum temporal_parent_close_policy parent_close_policy;
    /** What cancelling the parent does to the child.  Default WAIT_COMPLETED. */
    enum temporal_child_cancellation_type cancellation_type;
    /** Optional retry policy of the child (NULL = the child is not retried). */
    const struct temporal_retry_policy *retry_policy;
};

#define TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT                                                  \
    { .self_size = sizeof(struct temporal_child_workflow_options) }

/**
 * Starts child workflow |workflow_type| (any SDK's) with |input| (may be NULL) and waits
 * for its result, which is appended to |out|.  Returns 0, TEMPORAL_EACTIVITY_FAILED if the
 * child failed, timed out, was terminated, or could not start (its id is in use);
 * temporal_workflow_last_error() and temporal_workflow_last_failure() say how; or
 * TEMPORAL_ECANCELED when the parent is cancelled (after what |opts->cancellation_type|
 * says; with WAIT_COMPLETED, the child's own outcome: it may complete despite the request).
 * Blocks the calling branch.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_execute_child(struct temporal_workflow_ctx *ctx,
                                                 const char *workflow_type,
                                                 const struct temporal_payloads *input,
                                                 const struct temporal_child_workflow_options *opts,
                                                 struct temporal_payloads *out);

/**
 * Sends signal |signal_name| with |args| (may be NULL) to another workflow (|run_id| NULL
 * or "" = its latest run) and waits until the server delivered it.  Returns 0,
 * TEMPORAL_ENOT_FOUND (no such running workflow), or TEMPORAL_EINVAL.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_signal_external(struct temporal_workflow_ctx *ctx,
                                                   const char *workflow_id, const char *run_id,
                                                   const char *signal_name,
                                                   const struct temporal_payloads *args);

/**
 * Asks another workflow to cancel (|reason| optional) and waits until the server recorded
 * the request.  Returns 0, TEMPORAL_ENOT_FOUND, or TEMPORAL_EINVAL.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_cancel_external(struct temporal_workflow_ctx *ctx,
                                                   const char *workflow_id, const char *run_id,
                                                   const char *reason);

/**
 * The failure of the last call of this branch that did not succeed: |code|, |message| (the
 * failure's message and causes) and |detail| (the ApplicationFailure type, or
 * "TimeoutFailure", "CanceledFailure").  Borrowed; valid until the next call.
 * Since: 0.1
 */
TEMPORAL_API const struct temporal_error *
temporal_workflow_last_error(const struct temporal_workflow_ctx *ctx);

/** The fields of a failure, as another SDK's ApplicationError carries them. */
struct temporal_failure_info {
    /** ApplicationFailure type (e.g. "ValueError", or a custom type); "" if not an ApplicationFailure. */
    const char *type;
    /** The failure's own message. */
    const char *message;
    bool non_retryable;
    /** Its details payloads (possibly empty). */
    const struct temporal_payloads *details;
};

/**
 * The ApplicationFailure behind the last failed activity call of this branch (the first
 * ApplicationFailure in the failure's cause chain), or NULL if there was none.  Borrowed;
 * valid until the branch's next call.
 * Since: 0.1
 */
TEMPORAL_API const struct temporal_failure_info *
temporal_workflow_last_failure(const struct temporal_workflow_ctx *ctx);

/**
 * Sleeps |ms| milliseconds of workflow time (a durable server-side timer).  Returns 0, or
 * TEMPORAL_ECANCELED if the workflow is cancelled first.  Blocks the calling branch.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_sleep(struct temporal_workflow_ctx *ctx, int64_t ms);

/** A condition for temporal_workflow_wait_condition(); must only read workflow state. */
typedef bool (*temporal_workflow_condition_fn)(struct temporal_workflow_ctx *ctx, void *arg);

/**
 * Blocks the calling branch until |cond|(ctx, arg) is true (checked whenever workflow state
 * may have changed: a signal, an activity result, another branch).  Returns 0, or
 * TEMPORAL_ECANCELED if the workflow is cancelled first.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_wait_condition(struct temporal_workflow_ctx *ctx,
                                                  temporal_workflow_condition_fn cond,
                                                  void *arg);

/**
 * Signal handler: runs, in history order, for each signal |name| the workflow receives,
 * inside the workflow (it may update state that a condition watches; it must not block).
 */
typedef void (*temporal_workflow_signal_fn)(struct temporal_workflow_ctx *ctx,
                                            const struct temporal_payloads *args, void *arg);

/**
 * Sets the handler of signal |name| (copied).  Signals that arrived before the handler was
 * set are delivered to it within this call, in arrival order.  Returns 0, TEMPORAL_EINVAL
 * or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_on_signal(struct temporal_workflow_ctx *ctx, const char *name,
                                             temporal_workflow_signal_fn fn, void *arg);

/**
 * Query handler: answers query |name| from workflow state, appending the answer to
 * |result|.  It must not change state or block.  Return 0, or non-zero to fail the query
 * (the client sees TEMPORAL_EQUERY_FAILED).
 */
typedef int (*temporal_workflow_query_fn)(struct temporal_workflow_ctx *ctx,
                                          const struct temporal_payloads *args,
                                          struct temporal_payloads *result, void *arg);

/**
 * Sets the handler of query |name| (copied).  Queries are also answered after the workflow
 * function has returned (a closed workflow can be queried), so the state a handler reads
 * must not live in the workflow function's stack frame: allocate it with
 * temporal_workflow_alloc().  Returns 0, TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_on_query(struct temporal_workflow_ctx *ctx, const char *name,
                                            temporal_workflow_query_fn fn, void *arg);

/**
 * Update handler: runs for each accepted update |name| on its own branch of the workflow,
 * so it may block (execute activities, sleep, wait for conditions) and change workflow
 * state.  Append the update's result to |result| and return 0; or return the value of
 * temporal_workflow_fail() (or any other non-zero code) to fail the update: the client
 * sees TEMPORAL_EUPDATE_FAILED with that failure, and the workflow goes on.
 */
typedef int (*temporal_workflow_update_fn)(struct temporal_workflow_ctx *ctx,
                                           const struct temporal_payloads *args,
                                           struct temporal_payloads *result, void *arg);

/**
 * Update validator: runs before an update is accepted, and decides whether it is: return 0
 * to accept, or non-zero (optionally via temporal_workflow_fail() to say why) to reject.  A
 * rejected update leaves no trace in history.  It must only read workflow state and must not
 * block; it is not run again when history is replayed.
 */
typedef int (*temporal_workflow_update_validator_fn)(struct temporal_workflow_ctx *ctx,
                                                     const struct temporal_payloads *args,
                                                     void *arg);

/**
 * Sets the handler (and optional |validator|) of update |name| (copied).  Updates that
 * arrive before the handler is set wait for it until the end of the workflow task; then
 * they are rejected as unknown.  Returns 0, TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_on_update(struct temporal_workflow_ctx *ctx, const char *name,
                                             temporal_workflow_update_fn fn,
                                             temporal_workflow_update_validator_fn validator,
                                             void *arg);

/** A branch of a workflow, started by temporal_workflow_spawn().  Opaque. */
struct temporal_workflow_branch;

/** The body of a branch; its return value is what temporal_workflow_join() returns. */
typedef int (*temporal_workflow_branch_fn)(struct temporal_workflow_ctx *ctx, void *arg);

/**
 * Starts |fn|(ctx, arg) as a concurrent branch of the workflow (for example to run several
 * activities at once).  |*out| receives a handle for temporal_workflow_join(); it stays
 * valid until the workflow returns.  Returns 0, TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_spawn(struct temporal_workflow_ctx *ctx,
                                         temporal_workflow_branch_fn fn, void *arg,
                                         struct temporal_workflow_branch **out);

/**
 * Waits until |branch| has returned and returns its value.  Blocks the calling branch, and
 * is the one wait that neither a cancellation nor the run being dropped from memory cuts
 * short (a branch may use its spawner's stack).
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_join(struct temporal_workflow_ctx *ctx,
                                        struct temporal_workflow_branch *branch);

/**
 * Like temporal_workflow_spawn(), but the branch is not cancelled when the workflow is
 * (only by temporal_workflow_cancel_branch()): for clean-up that must still run activities
 * or timers after a cancellation request.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_spawn_detached(struct temporal_workflow_ctx *ctx,
                                                  temporal_workflow_branch_fn fn, void *arg,
                                                  struct temporal_workflow_branch **out);

/**
 * Cancels |branch| alone, as cancelling the workflow would (a cancellation scope): its
 * blocking call, and every later one, returns TEMPORAL_ECANCELED, and the activity, timer
 * or child workflow it waits for is cancelled as its cancellation type says.  The rest of
 * the workflow goes on.  Cancelling a finished branch does nothing.  Returns 0 or
 * TEMPORAL_EINVAL.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_cancel_branch(struct temporal_workflow_ctx *ctx,
                                                 struct temporal_workflow_branch *branch);

/**
 * Changes workflow code safely while runs of the old code are in flight:
 *
 *     if (temporal_workflow_patched(ctx, "use-new-activity"))
 *         rc = temporal_workflow_execute_activity(ctx, "new_activity", ...);
 *     else
 *         rc = temporal_workflow_execute_activity(ctx, "old_activity", ...);
 *
 * Returns true for new executions (and records a marker in history saying so), and when
 * replaying history that recorded that marker; false when replaying history made by code
 * without this call.  The answer for a |patch_id| never changes within a run.  Once no run
 * of the old code remains, remove the old branch (keep the call while such runs may replay).
 * Since: 0.1
 */
TEMPORAL_API bool temporal_workflow_patched(struct temporal_workflow_ctx *ctx, const char *patch_id);

/**
 * The second step of removing a patch: once no run that took the old branch remains,
 * replace `if (temporal_workflow_patched(ctx, id)) new(); else old();` with
 * `temporal_workflow_deprecate_patch(ctx, id); new();`.  Runs that recorded the patch replay
 * cleanly, and so do runs started with this code; once none of those that started before
 * the deprecation remains either, the call can go too.
 * Since: 0.1
 */
TEMPORAL_API void temporal_workflow_deprecate_patch(struct temporal_workflow_ctx *ctx,
                                                    const char *patch_id);

/**
 * A non-deterministic computation for temporal_workflow_side_effect(): append its result
 * to |out| and return 0, or return non-zero if it failed.  It must not call workflow
 * functions.
 */
typedef int (*temporal_workflow_side_effect_fn)(void *arg, struct temporal_payloads *out);

/**
 * Runs |fn|(arg, ...) once and records its result in history, so that replay returns the
 * recorded result instead of running |fn| again: for a value that must not change on replay
 * (a random UUID, a configuration read) and is too cheap for an activity.  The result is
 * appended to |out|.  Returns 0; if |fn| fails, the current workflow task fails with its
 * code (and is retried), and that code is returned: return from the workflow with it.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_side_effect(struct temporal_workflow_ctx *ctx,
                                               temporal_workflow_side_effect_fn fn, void *arg,
                                               struct temporal_payloads *out);

/**
 * Allocates |size| zeroed bytes that live as long as the run (they are freed when the
 * worker drops the run from memory).  For state that handlers share with the workflow
 * function.  Returns NULL if out of memory.
 * Since: 0.1
 */
TEMPORAL_API void *temporal_workflow_alloc(struct temporal_workflow_ctx *ctx, size_t size);

/**
 * Sets (or, with a NULL value, removes) search attributes of the run: the indexed fields
 * that list and count queries filter on (`temporal workflow list -q 'CustomKeywordField =
 * "x"'`).  Each attribute must be registered in the namespace, and each value a JSON payload
 * of the attribute's type (see struct temporal_named_payload).  |attributes| are copied.
 * The new values are visible at once through temporal_workflow_search_attribute().
 * Returns 0 or TEMPORAL_EINVAL; a value the server rejects fails the workflow task.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_upsert_search_attributes(struct temporal_workflow_ctx *ctx,
                                                            const struct temporal_named_payload *attributes,
                                                            size_t count);

/**
 * Sets (or, with a NULL value, removes) fields of the run's memo: unindexed values shown by
 * describe.  |fields| are copied.  Returns 0 or TEMPORAL_EINVAL.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_upsert_memo(struct temporal_workflow_ctx *ctx,
                                               const struct temporal_named_payload *fields,
                                               size_t count);

/**
 * The current value of search attribute |name| (as the run started with it, or upserted
 * since), or NULL if it is not set.  Borrowed: valid until the next upsert.
 * Since: 0.1
 */
TEMPORAL_API const struct temporal_payload *
temporal_workflow_search_attribute(const struct temporal_workflow_ctx *ctx, const char *name);

/** The current value of memo field |name|, or NULL; as temporal_workflow_search_attribute().
 * Since: 0.1 */
TEMPORAL_API const struct temporal_payload *temporal_workflow_memo(const struct temporal_workflow_ctx *ctx,
                                                                   const char *name);

/** Workflow time: the time of the current workflow task, Unix epoch ms.  Since: 0.1 */
TEMPORAL_API int64_t temporal_workflow_now_ms(const struct temporal_workflow_ctx *ctx);

/** A deterministic pseudo-random number (the same on every replay of the run).  Since: 0.1 */
TEMPORAL_API uint64_t temporal_workflow_random(struct temporal_workflow_ctx *ctx);

/** True while the worker is replaying history (already-recorded steps).  Since: 0.1 */
TEMPORAL_API bool temporal_workflow_is_replaying(const struct temporal_workflow_ctx *ctx);

/** True once cancellation of the workflow has been requested.  Since: 0.1 */
TEMPORAL_API bool temporal_workflow_is_cancel_requested(const struct temporal_workflow_ctx *ctx);

/**
 * Logs |fmt| (printf-style) through the worker's log function with the workflow's ids, but
 * not while replaying, so each line appears once.
 * Since: 0.1
 */
TEMPORAL_API void temporal_workflow_log(struct temporal_workflow_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Records how the workflow fails: an ApplicationFailure of |type| (NULL = "TemporalCError")
 * with |message|, |non_retryable| and optional |details| (copied).  Returns
 * TEMPORAL_EWORKFLOW_FAILED, for `return temporal_workflow_fail(ctx, ...);`.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_fail(struct temporal_workflow_ctx *ctx, const char *type,
                                        const char *message, bool non_retryable,
                                        const struct temporal_payloads *details);

/**
 * Fails the current workflow task instead of the workflow: nothing the code did in this
 * task is recorded, and the server retries the task (on any worker) until it succeeds: for a
 * bug that a fix and a redeploy will cure, or a state the code cannot handle yet.  |message|
 * (printf-style) is shown in the WorkflowTaskFailed event.  Returns
 * TEMPORAL_EWORKFLOW_TASK_FAILED, for `return temporal_workflow_fail_task(ctx, ...);`.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_fail_task(struct temporal_workflow_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Ends this run and starts a new run of the same workflow type on the same task queue with
 * |input| (copied; may be NULL), so that history does not grow without bound.  Returns
 * TEMPORAL_ECONTINUED_AS_NEW, for `return temporal_workflow_continue_as_new(ctx, in);`.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_continue_as_new(struct temporal_workflow_ctx *ctx,
                                                   const struct temporal_payloads *input);

/** Options of temporal_workflow_continue_as_new_with().  Start from
 * TEMPORAL_CONTINUE_AS_NEW_OPTIONS_INIT; zero fields keep this run's value. */
struct temporal_continue_as_new_options {
    size_t self_size;
    /** The new run's workflow type and task queue (copied). */
    const char *workflow_type;
    const char *task_queue;
    /** The new run's run and task timeouts. */
    int64_t run_timeout_ms;
    int64_t task_timeout_ms;
};

#define TEMPORAL_CONTINUE_AS_NEW_OPTIONS_INIT                                                 \
    { .self_size = sizeof(struct temporal_continue_as_new_options) }

/**
 * Like temporal_workflow_continue_as_new(), with a different workflow type, task queue or
 * timeouts for the new run (|opts| may be NULL).  The memo and search attributes carry over.
 * Returns TEMPORAL_ECONTINUED_AS_NEW, or TEMPORAL_EINVAL for options not made with the
 * _INIT macro.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_continue_as_new_with(struct temporal_workflow_ctx *ctx,
                                                        const struct temporal_payloads *input,
                                                        const struct temporal_continue_as_new_options *opts);

/**
 * Replays a recorded history against workflow code, without a server: use it in your own
 * tests to check that a code change is safe for workflows already running.  |history| is a
 * serialized temporal.api.history.v1.History (as temporal_client_fetch_history() returns
 * in |serialized|), |len| bytes; |fn| is the workflow code (|user_data| for
 * temporal_workflow_user_data()).  Returns 0 if the code reproduces the history,
 * TEMPORAL_ENONDETERMINISM if it does not (|err| names the event and the difference),
 * TEMPORAL_EPROTOCOL for a history that cannot be decoded, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_replay(temporal_workflow_fn fn, void *user_data,
                                          const uint8_t *history, size_t len,
                                          struct temporal_error *err);

/**
 * Like temporal_workflow_replay(), for a history in JSON: |json| (|len| bytes) is a History
 * as `temporal workflow show --output json` writes it (protobuf's JSON mapping; enum values
 * by full or short name), or a JSON array of such histories (as the temporalio/features
 * repository stores them), replayed one after the other.  Returns what
 * temporal_workflow_replay() returns for the first history that does not replay cleanly,
 * or TEMPORAL_EINVAL for a document that is not a history (|err| names the place).
 * Since: 0.1
 */
TEMPORAL_API int temporal_workflow_replay_json(temporal_workflow_fn fn, void *user_data,
                                               const char *json, size_t len,
                                               struct temporal_error *err);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_WORKFLOW_H */
