/*
 * wf_engine: one workflow run, rebuilt from history and driven forward.  Internal.
 *
 * A run (struct temporal_workflow_ctx, the context workflow code sees) owns the user's
 * coroutines and the command state machines.  The worker feeds it history events in order
 * (temporal__wf_run_apply); at each workflow-task boundary (a WorkflowTaskStarted that was
 * completed, or the task being processed now) it runs the workflow code until every branch
 * is blocked.  Commands the code issues are queued; during replay each must match the next
 * command event in history (sdk-core's FIFO rule) or the task fails as non-deterministic.
 * The commands of the current (non-replay) task are what the worker sends.
 *
 * Tracing (temporal__wf_run_set_tracer()): the workflow spans of temporal/tracing.h are
 * recorded by the task that first runs the code, never on replay, at workflow time; the
 * workflow's context (RunWorkflow's) is derived from history, so every task and every
 * worker finds the same one.
 *
 * Threads: a run is used by one thread at a time (the worker serialises tasks of a run).
 */
#ifndef TEMPORAL_WF_ENGINE_H
#define TEMPORAL_WF_ENGINE_H

#include "temporal/worker.h"
#include "temporal/workflow.h"

#include "proto.h"

typedef Temporal__Api__History__V1__HistoryEvent temporal__pb_event;
typedef Temporal__Api__Command__V1__Command temporal__pb_command;

struct temporal__trace_ctx; /* trace_int.h */
struct temporal_tracer;

/** A registered workflow type. */
struct temporal__wf_def {
    char *name;
    temporal_workflow_fn fn;
    enum temporal_versioning_behavior versioning_behavior;
    void *user_data;
};

/** Where a run's log lines go (the worker's log function, may be NULL). */
struct temporal__wf_log {
    temporal_log_fn fn;
    void *user_data;
};

/**
 * Creates a run of |def| for execution |workflow_id|/|run_id| on |task_queue| of
 * |namespace_name| (all copied).  Returns 0 or TEMPORAL_ENOMEM.
 */
int temporal__wf_run_new(struct temporal_workflow_ctx **out, const struct temporal__wf_def *def,
                         const char *namespace_name, const char *task_queue,
                         const char *workflow_id, const char *run_id,
                         const struct temporal__wf_log *log);

/**
 * Makes the run record its workflow spans with |tracer| (see temporal/tracing.h), and put
 * trace context on the commands it issues.  Call before the first temporal__wf_run_apply().
 * NULL (the default): no tracing, at no cost.
 */
void temporal__wf_run_set_tracer(struct temporal_workflow_ctx *run, struct temporal_tracer *tracer);

/**
 * Says which attempt of its workflow task the next temporal__wf_run_apply() serves.  A
 * retried task (attempt > 1) records no workflow spans: the attempt that failed or timed
 * out ran the same code and recorded them, so a task that keeps failing does not record
 * them again on every retry.
 */
void temporal__wf_run_set_task_attempt(struct temporal_workflow_ctx *run, int32_t attempt);

/** Tears the run down (unwinding blocked branches first) and frees it.  NULL is a no-op. */
void temporal__wf_run_free(struct temporal_workflow_ctx *run);

/**
 * Applies |events| (consecutive, starting at temporal__wf_run_last_event_id() + 1) up to
 * and including |task_started_event_id|, running workflow code at each task boundary.
 * Events before |task_started_event_id| are replay.  Returns 0; TEMPORAL_ENONDETERMINISM
 * (workflow code no longer matches history; |err| says at which event and why);
 * TEMPORAL_EPROTOCOL (a gap or an event type this worker cannot handle); TEMPORAL_ENOMEM.
 * After an error the run must be evicted.
 */
int temporal__wf_run_apply(struct temporal_workflow_ctx *run, temporal__pb_event *const *events,
                           size_t count, int64_t task_started_event_id,
                           struct temporal_error *err);

/** The id of the last event applied (0 before any). */
int64_t temporal__wf_run_last_event_id(const struct temporal_workflow_ctx *run);

/**
 * The commands issued by the current task that the server has not seen yet, in order.
 * |*out| points to an array owned by the run, valid until the next call on the run.
 * Calling this marks them sent.
 */
size_t temporal__wf_run_take_commands(struct temporal_workflow_ctx *run,
                                      temporal__pb_command ***out);

/**
 * Hands the run a protocol message of the task at hand (before temporal__wf_run_apply()):
 * an update request, delivered when the task's activation runs.  Messages of other
 * protocols are ignored.  Returns 0, TEMPORAL_EPROTOCOL or TEMPORAL_ENOMEM.
 */
int temporal__wf_run_add_message(struct temporal_workflow_ctx *run,
                                 const Temporal__Api__Protocol__V1__Message *msg,
                                 struct temporal_error *err);

/**
 * The protocol messages (update acceptances, rejections, responses) the current task
 * produced, in order, to send with its completion.  |*out| is owned by the run and valid
 * until the next temporal__wf_run_apply().
 */
size_t temporal__wf_run_take_messages(struct temporal_workflow_ctx *run,
                                      Temporal__Api__Protocol__V1__Message ***out);

/** A local activity the run waits for, for the worker to execute (borrowed from the run). */
struct temporal__la_request {
    const char *seq; /* the command's sequence number: the local activity's id */
    const char *activity_type;
    const struct temporal_payloads *input;
    int64_t schedule_to_close_ms, start_to_close_ms;
    const struct temporal_retry_policy *retry; /* all fields set (defaults filled in) */
    int64_t scheduled_time_ms;                 /* workflow time it was first scheduled */
    int32_t attempt;                           /* the first attempt to make */
    /* A backoff longer than this ends the execution: the workflow waits it out on a timer
     * and schedules the next attempt. */
    int64_t local_retry_threshold_ms;
    /* The context of its StartActivity span, the parent of each attempt's RunActivity span
     * (NULL when not tracing). */
    const struct temporal__trace_ctx *trace;
};

/** What became of a local activity (all attempts). */
struct temporal__la_outcome {
    int code; /* 0, TEMPORAL_EACTIVITY_FAILED or TEMPORAL_ECANCELED */
    struct temporal_payloads result;
    const char *failure_type, *failure_message; /* when failed */
    bool non_retryable;
    struct temporal_payloads failure_details;
    int32_t attempt; /* the last attempt */
    /* > 0: it failed, and the next attempt is due after this backoff (past the local
     * retry threshold: the workflow sleeps it on a timer). */
    int64_t backoff_ms;
};

/**
 * The next local activity the current task requested that is not running yet (marked
 * running now), or NULL.  Valid until the run is resolved or freed.
 */
const struct temporal__la_request *temporal__wf_run_next_local_activity(struct temporal_workflow_ctx *run);

/** What the run wants of a running local activity. */
enum temporal__la_want {
    TEMPORAL__LA_WAIT,        /* its outcome */
    TEMPORAL__LA_WAIT_CANCEL, /* its outcome, after it was asked to stop (WAIT_COMPLETED) */
    TEMPORAL__LA_GONE,        /* nothing any more (cancelled, or unknown): stop it */
    TEMPORAL__LA_ABANDONED,   /* nothing any more, and it is not to be told */
};

enum temporal__la_want temporal__wf_run_local_activity_want(const struct temporal_workflow_ctx *run,
                                                            const char *seq);

/**
 * Resolves local activity |seq| with |outcome| (copied): the workflow code sees it at the
 * next temporal__wf_run_resume(), and its marker is among the next commands.  An outcome
 * the run no longer waits for is ignored.  Returns 0 or TEMPORAL_ENOMEM.
 */
int temporal__wf_run_resolve_local_activity(struct temporal_workflow_ctx *run, const char *seq,
                                            const struct temporal__la_outcome *outcome);

/**
 * Ends the current task's work on the run, before its completion is taken: updates still
 * without a handler are rejected as unknown.  Returns 0 or TEMPORAL_ENOMEM.
 */
int temporal__wf_run_end_task(struct temporal_workflow_ctx *run, struct temporal_error *err);

/** Runs workflow code again in the current task (after resolutions), like an activation. */
int temporal__wf_run_resume(struct temporal_workflow_ctx *run, struct temporal_error *err);

/** The start-to-close timeout of the run's workflow tasks (ms; 10 s if history says none). */
int64_t temporal__wf_run_task_timeout_ms(const struct temporal_workflow_ctx *run);

/** True once the run issued its final command (complete, fail, cancel, continue-as-new). */
bool temporal__wf_run_finished(const struct temporal_workflow_ctx *run);

/**
 * Answers query |type| with |args| (a read-only call of the query handler).  On success the
 * answer is appended to |answer| and 0 returned; otherwise a non-zero code and a message in
 * |err| (an unknown query type lists the known ones).  |header| is the query's (may be
 * NULL): when it carries trace context, a HandleQuery span is recorded (replaying or not).
 */
int temporal__wf_run_query(struct temporal_workflow_ctx *run, const char *type,
                           const struct temporal_payloads *args,
                           const Temporal__Api__Common__V1__Header *header,
                           struct temporal_payloads *answer, struct temporal_error *err);

/** The definition the run executes. */
const struct temporal__wf_def *temporal__wf_run_def(const struct temporal_workflow_ctx *run);

#endif /* TEMPORAL_WF_ENGINE_H */
