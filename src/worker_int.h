/*
 * Worker internals shared by worker.c (lifecycle, pollers, shutdown) and activity.c
 * (running one activity task, heartbeats).  Internal.
 *
 * Threads of a running worker:
 *   - the thread that called temporal_worker_run(): waits for stop, then runs shutdown;
 *   - activity pollers (max_activity_pollers): reserve a slot, long-poll, hand a task over;
 *   - activity executors (up to max_concurrent_activities, started on demand): run the
 *     user's function and report the outcome;
 *   - one heartbeat flusher: sends throttled heartbeats when their interval ends;
 *   - workflow pollers (max_workflow_pollers, normal and sticky queue): reserve a workflow
 *     task slot, long-poll, and process the task on the same thread (wf_worker.c).
 * One mutex (|mu|) guards the worker's shared state; RPCs are never made while holding it.
 */
#ifndef TEMPORAL_WORKER_INT_H
#define TEMPORAL_WORKER_INT_H

#include <pthread.h>

#include "proto.h"
#include "rpc.h"
#include "trace_int.h"
#include "wf_engine.h"

typedef Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse temporal__activity_task;

struct temporal__activity_reg {
    char *name;
    temporal_activity_fn fn;
    void *user_data;
};

/* One activity attempt, from poll to reported outcome.  Owned by the worker's lists. */
struct temporal_activity_ctx {
    struct temporal_worker *worker;
    temporal__activity_task *task; /* the poll response (owned) */
    struct temporal_activity_info info;
    struct temporal_payloads input;
    struct temporal_payloads previous_details; /* heartbeat details of the last attempt */

    /* Guarded by worker->mu. */
    enum temporal_activity_cancel_reason cancel_reason;
    struct temporal_payloads pending_details; /* latest heartbeat details not yet sent */
    bool heartbeat_pending;
    bool heartbeat_in_flight;
    int64_t last_heartbeat_sent_ms; /* monotonic; 0 = never */
    int64_t heartbeat_throttle_ms;
    struct temporal_payloads last_details; /* latest details, for a failure report */
    bool has_last_details;

    /* Set by temporal_activity_fail(). */
    bool failed;
    char *failure_type;
    char *failure_message;
    bool failure_non_retryable;
    struct temporal_payloads failure_details;

    struct temporal_activity_ctx *next; /* queue or running list */
};

/* Kinds of poller (the poller_type label of temporal_num_pollers). */
enum temporal__poller_kind {
    TEMPORAL__POLLER_WORKFLOW = 0, /* "workflow_task" */
    TEMPORAL__POLLER_STICKY,       /* "sticky_workflow_task" */
    TEMPORAL__POLLER_ACTIVITY,     /* "activity_task" */
    TEMPORAL__POLLER_KINDS
};

/* Kinds of task slot (the worker_type label of temporal_worker_task_slots_*). */
enum temporal__slot_kind {
    TEMPORAL__SLOTS_WORKFLOW = 0,   /* "WorkflowWorker" */
    TEMPORAL__SLOTS_ACTIVITY,       /* "ActivityWorker" */
    TEMPORAL__SLOTS_LOCAL_ACTIVITY, /* "LocalActivityWorker" */
};

/* What a poller thread polls. */
struct temporal__poller_arg {
    struct temporal_worker *w;
    struct temporal__rpc_cancel *cancel;
    bool sticky; /* workflow pollers: the sticky queue instead of the normal one */
    enum temporal__poller_kind kind;
};

struct temporal__wf_cache_entry;

struct temporal_worker {
    struct temporal_client *client;
    struct temporal__rpc_conn *conn;
    char *namespace_name;
    char *task_queue;
    char *identity;
    char instance_key[37];
    uint32_t max_concurrent_activities;
    uint32_t max_activity_pollers;
    int64_t graceful_shutdown_timeout_ms;
    int64_t shutdown_timeout_ms; /* 0: unbounded */
    uint32_t max_concurrent_local_activities;
    uint32_t la_running; /* local activity attempts running now; guarded by mu */
    char *deployment_name;
    char *build_id;
    bool use_versioning;
    enum temporal_versioning_behavior default_versioning_behavior;

    struct temporal__activity_reg *activities;
    size_t activity_count;
    struct temporal__wf_def *workflows;
    size_t workflow_count;
    uint32_t max_concurrent_workflow_tasks;
    uint32_t max_workflow_pollers;
    uint32_t max_cached_workflows;
    int64_t sticky_timeout_ms;
    char *sticky_queue;
    temporal_log_fn log_fn;
    void *log_user_data;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* any state change: stop, slot freed, task queued, task done */
    bool running;
    bool stopping;
    bool pollers_done;
    bool poll_complete_on_shutdown; /* namespace capability */
    bool include_heartbeat_on_failure; /* server capability */
    int fatal_code;
    struct temporal_error fatal;

    uint32_t active_pollers;
    bool sticky_released;         /* ShutdownWorker done: sticky pollers stop */
    uint32_t sticky_completions;  /* completions in flight that carry sticky attributes */
    int64_t last_sticky_task_ms;  /* monotonic time a sticky poll last brought a task */
    int64_t last_task_ms;         /* monotonic time a task last arrived or finished */
    uint32_t free_slots;    /* activity slots */
    uint32_t wf_free_slots; /* workflow task slots */
    /* Slots holding a polled task (the others not free are reserved by a poll in flight). */
    uint32_t act_used_slots, wf_used_slots;
    uint32_t pollers_of_kind[TEMPORAL__POLLER_KINDS]; /* poller threads running, by kind */
    struct temporal__wf_cache_entry *cache_head, *cache_tail; /* MRU first; guarded by mu */
    /* Local activities whose workflow abandoned them, left to finish on their own (guarded
     * by mu); stopped at shutdown. */
    struct temporal__la_exec *abandoned_las;
    /* Once the worker stops: when the graceful timeout ends (monotonic ms; 0 before). */
    int64_t grace_end_ms;
    size_t cache_count;
    uint32_t executors;      /* started */
    uint32_t idle_executors; /* waiting for a task */
    struct temporal_activity_ctx *queue_head, *queue_tail; /* polled, not yet started */
    struct temporal_activity_ctx *running_list;            /* being executed */
    pthread_t *poller_threads;
    struct temporal__rpc_cancel *poll_cancels; /* one per poller */
    uint32_t poller_count;
    pthread_t *executor_threads;
    pthread_t flusher_thread;
};

/** Notes that a polled task has just arrived or finished (it then took or gave back its used
 *  slot), for temporal_worker_idle_ms().  Called with |mu| held. */
void temporal__worker_note_task(struct temporal_worker *w);

/**
 * Records worker metric |name| (a counter: adds |delta|; a histogram: records |ms|) with
 * labels namespace and task_queue, plus |type_key| = |type_value| when |type_key| is set
 * (workflow_type, activity_type, worker_type).  No-op without a metrics registry.
 */
void temporal__worker_count(struct temporal_worker *w, const char *name, int64_t delta,
                            const char *type_key, const char *type_value);
void temporal__worker_latency(struct temporal_worker *w, const char *name, double ms,
                              const char *type_key, const char *type_value);

/** Sets worker gauge |name| to |value|, labelled like temporal__worker_count().  Gauges are
 *  set with |mu| held, so that the last value set is the current one. */
void temporal__worker_gauge(struct temporal_worker *w, const char *name, int64_t value,
                            const char *type_key, const char *type_value);

/** Sets temporal_worker_task_slots_available / _used of slot kind |k| from the worker's
 *  state.  Called with |mu| held whenever a slot is taken or given back. */
void temporal__worker_slots_changed(struct temporal_worker *w, enum temporal__slot_kind k);

/** Sets temporal_num_pollers of poller kind |k| (mu held; after a poller starts or stops). */
void temporal__worker_pollers_changed(struct temporal_worker *w, enum temporal__poller_kind k);

/** Fills the deployment options message of |w| (NULL if the worker has none). */
Temporal__Api__Deployment__V1__WorkerDeploymentOptions *
temporal__worker_deployment(const struct temporal_worker *w,
                            Temporal__Api__Deployment__V1__WorkerDeploymentOptions *storage);

/** Builds a context for a polled task (takes ownership of |task|); NULL on OOM. */
struct temporal_activity_ctx *temporal__activity_ctx_new(struct temporal_worker *w,
                                                         temporal__activity_task *task);
void temporal__activity_ctx_free(struct temporal_activity_ctx *ctx);

/** The registration of activity type |name|, or NULL. */
const struct temporal__activity_reg *temporal__activity_find(const struct temporal_worker *w,
                                                            const char *name);

/** "a, b, c" of the registered activity names into |buf|. */
void temporal__activity_registered_names(const struct temporal_worker *w, char *buf, size_t cap);

/**
 * Starts the RunActivity:<type> span (SERVER) of one attempt of the activity or local
 * activity |ctx|, child of |parent| (else the tracer's default parent), from just before
 * the function runs; it ends just after it returns, before the outcome is reported.
 * NULL without a tracer.
 */
struct temporal__span *temporal__run_activity_span_start(struct temporal_tracer *tracer,
                                                        const struct temporal_activity_ctx *ctx,
                                                        const struct temporal__trace_ctx *parent);

/**
 * Ends the RunActivity span of the attempt |ctx| that returned |rc|.  A failed attempt is
 * an error (|message| describes a failure the function did not describe with
 * temporal_activity_fail()); one that returned TEMPORAL_ECANCELED because it was
 * cancelled (|cancelled|) is not.  An explicit temporal_activity_fail() is an error
 * whatever the cancellation state.
 */
void temporal__run_activity_span_end(struct temporal_tracer *tracer, struct temporal__span *span,
                                     const struct temporal_activity_ctx *ctx, int rc,
                                     bool cancelled, const char *message);

/** Runs the activity of |ctx| and reports its outcome to the server.  Called without |mu|. */
void temporal__activity_execute(struct temporal_activity_ctx *ctx);

/**
 * Sends |ctx|'s pending heartbeat if one is due.  Called with |mu| held; may drop and
 * re-take it around the RPC.  Returns the monotonic time the next one is due, or 0.
 */
int64_t temporal__activity_flush_heartbeat(struct temporal_activity_ctx *ctx, bool force);

/** Logs through the worker's log function (if any). */
void temporal__worker_log(struct temporal_worker *w, enum temporal_log_level level,
                          const char *fmt, ...) TEMPORAL__PRINTF(3, 4);

/**
 * Handles a poll that failed with a non-retryable error (mu held): pauses, and after the
 * grace period stops the worker with that error.  |*since| tracks when the streak began.
 */
void temporal__worker_poll_error(struct temporal_worker *w, int rc, const struct temporal_error *err,
                                 int64_t *since);

/** Waits on |w->cv| for at most |ms| (mu held).  Returns false on timeout. */
bool temporal__worker_wait_ms(struct temporal_worker *w, int64_t ms);

/**
 * A local activity being executed (local_activity.c): one thread runs its attempts, with
 * the retry policy's backoff in between, and leaves the outcome here.  Owned by the cache
 * entry of its run; the run itself is touched only by the thread processing its task.
 */
struct temporal__la_exec {
    struct temporal_worker *w;
    char *seq, *activity_type, *workflow_id, *run_id, *workflow_type;
    struct temporal_payloads input;
    int64_t schedule_to_close_ms, start_to_close_ms;
    int64_t scheduled_ms; /* when the workflow first scheduled it (epoch ms) */
    int32_t first_attempt;
    int64_t local_retry_threshold_ms;
    struct temporal_retry_policy retry;
    char **non_retryable;
    struct temporal__trace_ctx trace; /* its StartActivity span's context (tracing) */
    pthread_t thread;
    /* Guarded by w->mu. */
    bool done;
    bool cancel;
    enum temporal_activity_cancel_reason cancel_reason; /* why, once |cancel| */
    struct temporal_activity_ctx *attempt; /* the attempt running, or NULL */
    /* Set once done. */
    struct temporal__la_outcome outcome;
    char *failure_type, *failure_message;
    struct temporal__la_exec *next;
};

/** Starts executing |r| for |run| on a new thread.  NULL on OOM (or no thread). */
struct temporal__la_exec *temporal__la_start(struct temporal_worker *w,
                                             const struct temporal_workflow_ctx *run,
                                             const struct temporal__la_request *r);

/** Asks |x| to stop for |reason| (its running attempt sees it).  mu held. */
void temporal__la_cancel_locked(struct temporal__la_exec *x, enum temporal_activity_cancel_reason reason);

/** Waits for |x|'s thread to end (ask it to stop first if it need not finish) and frees it. */
void temporal__la_free(struct temporal__la_exec *x);

/** Workflow poller thread (wf_worker.c); |arg| is a struct temporal__poller_arg. */
void *temporal__wf_poller_main(void *arg);

/**
 * At shutdown, once no poller runs: tells the server to send the next task of every cached
 * run that our last completion attached to our sticky queue to the normal queue instead
 * (ResetStickyTaskQueue), so that a task created later (a timer firing, an activity
 * finishing in the grace period) does not wait for a schedule-to-start timeout in a queue
 * nobody polls.
 */
void temporal__wf_cache_unstick(struct temporal_worker *w);

/** Evicts every cached run (at shutdown; no task may be running), then stops the local
 * activities their workflows abandoned. */
void temporal__wf_cache_clear(struct temporal_worker *w);

#endif /* TEMPORAL_WORKER_INT_H */
