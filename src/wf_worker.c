/*
 * wf_worker: the workflow side of the worker: pollers on the normal and sticky queues,
 * the cache of runs (LRU, max_cached_workflows), history fetching, and the workflow task
 * completion, failure and query replies.  Threads and locking: worker_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "metrics_int.h"
#include "worker_int.h"

#define WS(name) TEMPORAL__WORKFLOW_SERVICE(name)
#define COMPLETION_TIMEOUT_MS 30000

typedef Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse wf_task;
typedef Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse history_page;

void temporal__worker_log(struct temporal_worker *w, enum temporal_log_level level,
                          const char *fmt, ...)
{
    if (w->log_fn == NULL)
        return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    w->log_fn(w->log_user_data, level, msg);
}

/* History: the events of a task, across pages ----------------------------------------------- */

struct history {
    temporal__pb_event **events;
    size_t count, cap;
    history_page **pages; /* owned responses the events point into */
    size_t page_count, page_cap;
};

static void history_free(struct history *h)
{
    for (size_t i = 0; i < h->page_count; i++)
        protobuf_c_message_free_unpacked(&h->pages[i]->base, NULL);
    free(h->pages);
    free(h->events);
    memset(h, 0, sizeof(*h));
}

static int history_add(struct history *h, const Temporal__Api__History__V1__History *hist)
{
    size_t n = hist ? hist->n_events : 0;
    if (h->count + n > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        while (cap < h->count + n)
            cap *= 2;
        temporal__pb_event **e = realloc(h->events, cap * sizeof(*e));
        if (e == NULL)
            return TEMPORAL_ENOMEM;
        h->events = e;
        h->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        h->events[h->count++] = hist->events[i];
    return 0;
}

/* Fetches pages of |exec|'s history starting at |token| (empty = from event 1). */
static int history_fetch(struct temporal_worker *w, Temporal__Api__Common__V1__WorkflowExecution *exec,
                         ProtobufCBinaryData token, struct history *h, struct temporal_error *err)
{
    while (true) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.namespace_ = w->namespace_name;
        req.execution = exec;
        req.next_page_token = token;
        history_page *page = NULL;
        int rc = temporal__rpc_call(w->conn, WS("GetWorkflowExecutionHistory"), &req.base,
                                    &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
                                    (ProtobufCMessage **)&page, NULL, err);
        if (rc != 0)
            return rc;
        if (h->page_count == h->page_cap) {
            size_t cap = h->page_cap ? h->page_cap * 2 : 4;
            history_page **p = realloc(h->pages, cap * sizeof(*p));
            if (p == NULL) {
                protobuf_c_message_free_unpacked(&page->base, NULL);
                return TEMPORAL_ENOMEM;
            }
            h->pages = p;
            h->page_cap = cap;
        }
        h->pages[h->page_count++] = page;
        if ((rc = history_add(h, page->history)) != 0)
            return rc;
        if (page->next_page_token.len == 0)
            return 0;
        token = page->next_page_token; /* owned by |page|, which we keep */
    }
}

/* The run cache ------------------------------------------------------------------------------- */

struct temporal__wf_cache_entry {
    char *run_id;
    struct temporal_workflow_ctx *run;
    bool busy;
    bool sticky; /* our last completion for this run carried sticky attributes */
    struct temporal__la_exec *las; /* local activities of |run| being executed */
    struct temporal__wf_cache_entry *prev, *next; /* MRU first */
};

static void cache_unlink(struct temporal_worker *w, struct temporal__wf_cache_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        w->cache_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        w->cache_tail = e->prev;
    e->prev = e->next = NULL;
    w->cache_count--;
}

static void cache_push_front(struct temporal_worker *w, struct temporal__wf_cache_entry *e)
{
    e->prev = NULL;
    e->next = w->cache_head;
    if (w->cache_head)
        w->cache_head->prev = e;
    w->cache_head = e;
    if (w->cache_tail == NULL)
        w->cache_tail = e;
    w->cache_count++;
}

/* temporal_sticky_cache_size: the runs held (mu held; after an insert or eviction). */
static void cache_size_changed(struct temporal_worker *w)
{
    temporal__worker_gauge(w, "temporal_sticky_cache_size", (int64_t)w->cache_count, NULL, NULL);
}

/* Moves the finished local activities of |*list| to |*done| (mu held). */
static void take_finished(struct temporal__la_exec **list, struct temporal__la_exec **done)
{
    for (struct temporal__la_exec **pp = list; *pp;) {
        struct temporal__la_exec *x = *pp;
        if (!x->done) {
            pp = &x->next;
            continue;
        }
        *pp = x->next;
        x->next = *done;
        *done = x;
    }
}

static void free_all(struct temporal__la_exec *list)
{
    for (struct temporal__la_exec *x = list, *n; x; x = n) {
        n = x->next;
        temporal__la_free(x);
    }
}

/* Stops the local activities of |e|'s run (asked to stop, then waited for) and frees them;
 * those its workflow abandoned are left to finish on their own (the worker stops them at
 * shutdown). */
static void entry_drop_local_activities(struct temporal_worker *w, struct temporal__wf_cache_entry *e)
{
    struct temporal__la_exec *stop = NULL, *done = NULL;
    pthread_mutex_lock(&w->mu);
    for (struct temporal__la_exec *x = e->las, *n; x; x = n) {
        n = x->next;
        bool abandoned = e->run != NULL && !x->done &&
                         temporal__wf_run_local_activity_want(e->run, x->seq) == TEMPORAL__LA_ABANDONED;
        struct temporal__la_exec **to = abandoned ? &w->abandoned_las : &stop;
        if (!abandoned)
            temporal__la_cancel_locked(x, TEMPORAL_ACTIVITY_CANCEL_REQUESTED);
        x->next = *to;
        *to = x;
    }
    e->las = NULL;
    take_finished(&w->abandoned_las, &done);
    pthread_mutex_unlock(&w->mu);
    free_all(stop);
    free_all(done);
}

static void entry_free(struct temporal_worker *w, struct temporal__wf_cache_entry *e)
{
    entry_drop_local_activities(w, e);
    temporal__wf_run_free(e->run);
    free(e->run_id);
    free(e);
}

/* Takes the cache entry of |run_id| for exclusive use (waiting while another task has it).
 * Creates an empty one if there is none.  NULL on OOM. */
static struct temporal__wf_cache_entry *cache_acquire(struct temporal_worker *w, const char *run_id)
{
    pthread_mutex_lock(&w->mu);
    struct temporal__wf_cache_entry *e;
    for (;;) {
        for (e = w->cache_head; e; e = e->next)
            if (strcmp(e->run_id, run_id) == 0)
                break;
        if (e == NULL || !e->busy)
            break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    if (e != NULL) {
        cache_unlink(w, e);
    } else {
        e = calloc(1, sizeof(*e));
        if (e == NULL || (e->run_id = temporal__strdup(run_id)) == NULL) {
            free(e);
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
    }
    e->busy = true;
    cache_push_front(w, e);
    cache_size_changed(w);
    pthread_mutex_unlock(&w->mu);
    return e;
}

/* Ends the exclusive use of |e|: keeps it (most recently used) when |keep| and caching is
 * on, else evicts it.  Evicts least recently used idle runs beyond the capacity. */
static void cache_release(struct temporal_worker *w, struct temporal__wf_cache_entry *e, bool keep)
{
    struct temporal__wf_cache_entry *drop[8];
    size_t ndrop = 0;
    pthread_mutex_lock(&w->mu);
    e->busy = false;
    if (!keep || w->max_cached_workflows == 0 || e->run == NULL) {
        cache_unlink(w, e);
        drop[ndrop++] = e;
    }
    for (struct temporal__wf_cache_entry *t = w->cache_tail; t && w->cache_count > w->max_cached_workflows &&
                                                             ndrop < 8;) {
        struct temporal__wf_cache_entry *prev = t->prev;
        if (!t->busy) {
            cache_unlink(w, t);
            drop[ndrop++] = t;
        }
        t = prev;
    }
    cache_size_changed(w);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < ndrop; i++)
        entry_free(w, drop[i]);
}

void temporal__wf_cache_unstick(struct temporal_worker *w)
{
    /* No poller runs any more: the cache is ours alone. */
    for (struct temporal__wf_cache_entry *e = w->cache_head; e; e = e->next) {
        if (!e->sticky || e->run == NULL || temporal__wf_run_finished(e->run))
            continue;
        Temporal__Api__Common__V1__WorkflowExecution exec =
            TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
        exec.workflow_id = (char *)temporal_workflow_info(e->run)->workflow_id;
        exec.run_id = e->run_id;
        Temporal__Api__Workflowservice__V1__ResetStickyTaskQueueRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_STICKY_TASK_QUEUE_REQUEST__INIT;
        req.namespace_ = w->namespace_name;
        req.execution = &exec;
        struct temporal_error err;
        temporal__rpc_call_discard(w->conn, WS("ResetStickyTaskQueue"), &req.base,
                                   &temporal__api__workflowservice__v1__reset_sticky_task_queue_response__descriptor,
                                   NULL, &err);
        e->sticky = false;
    }
}

void temporal__wf_cache_clear(struct temporal_worker *w)
{
    pthread_mutex_lock(&w->mu);
    struct temporal__wf_cache_entry *all = w->cache_head;
    w->cache_head = w->cache_tail = NULL;
    w->cache_count = 0;
    cache_size_changed(w);
    pthread_mutex_unlock(&w->mu);
    for (struct temporal__wf_cache_entry *e = all, *n; e; e = n) {
        n = e->next;
        entry_free(w, e);
    }
    pthread_mutex_lock(&w->mu);
    struct temporal__la_exec *abandoned = w->abandoned_las;
    w->abandoned_las = NULL;
    for (struct temporal__la_exec *x = abandoned; x; x = x->next)
        temporal__la_cancel_locked(x, TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN);
    pthread_mutex_unlock(&w->mu);
    free_all(abandoned);
}

/* Replies ---------------------------------------------------------------------------------------- */

static const struct temporal__wf_def *find_workflow(const struct temporal_worker *w, const char *type)
{
    for (size_t i = 0; i < w->workflow_count; i++)
        if (strcmp(w->workflows[i].name, type) == 0)
            return &w->workflows[i];
    return NULL;
}

/* temporal_workflow_completed / _failed / _canceled / _continue_as_new, counted when the
 * completion carrying the run's terminal command was accepted. */
static void count_outcome(struct temporal_worker *w, struct temporal_workflow_ctx *run,
                          temporal__pb_command **commands, size_t n)
{
    const char *type = temporal__wf_run_def(run) ? temporal__wf_run_def(run)->name : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        switch (commands[i]->command_type) {
        case TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
            name = "temporal_workflow_completed";
            break;
        case TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
            name = "temporal_workflow_failed";
            break;
        case TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
            name = "temporal_workflow_canceled";
            break;
        case TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
            name = "temporal_workflow_continue_as_new";
            break;
        default:
            break;
        }
        if (name != NULL) {
            temporal__worker_count(w, name, 1, "workflow_type", type);
            int64_t started = temporal_workflow_info(run)->start_time_ms;
            if (started > 0)
                temporal__worker_latency(w, "temporal_workflow_endtoend_latency",
                                         (double)(temporal__now_epoch_ms() - started),
                                         "workflow_type", type);
        }
    }
}

static void respond_failed(struct temporal_worker *w, const wf_task *task, int code,
                           const char *message)
{
    if (task->attempt > 1)
        return; /* only the first attempt is reported; later ones time out (no retry spin) */
    /* Counted when reported, as sdk-core does. */
    const char *labels[] = {"namespace", w->namespace_name, "task_queue", w->task_queue,
                            "workflow_type", task->workflow_type ? task->workflow_type->name : NULL,
                            "failure_reason",
                            code == TEMPORAL_ENONDETERMINISM ? "NonDeterminismError" : "WorkflowError",
                            NULL};
    temporal__metric_add(temporal__rpc_conn_metrics(w->conn), "temporal_workflow_task_execution_failed",
                         1, labels);
    Temporal__Api__Failure__V1__ApplicationFailureInfo app;
    Temporal__Api__Failure__V1__Failure failure;
    temporal__failure_application(&failure, &app,
                                  code == TEMPORAL_ENONDETERMINISM ? "NonDeterminismError"
                                                                   : "WorkflowTaskError",
                                  message, false, NULL);
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_FAILED_REQUEST__INIT;
    req.task_token = task->task_token;
    req.cause = code == TEMPORAL_ENONDETERMINISM
                    ? TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
                    : TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    req.failure = &failure;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .timeout_ms = COMPLETION_TIMEOUT_MS };
    struct temporal_error err;
    temporal__rpc_call_discard(w->conn, WS("RespondWorkflowTaskFailed"), &req.base,
                       &temporal__api__workflowservice__v1__respond_workflow_task_failed_response__descriptor,
                       &co, &err);
}

/* The answers to the queries attached to a workflow task. */
struct query_answers {
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__QueryResultsEntry *entries;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__QueryResultsEntry **ptrs;
    Temporal__Api__Query__V1__WorkflowQueryResult *results;
    struct temporal_payloads *answers;
    struct temporal__payloads_view *views;
    struct temporal_error *errors;
    size_t count;
};

static void answers_free(struct query_answers *q)
{
    for (size_t i = 0; i < q->count; i++) {
        temporal_payloads_cleanup(&q->answers[i]);
        temporal__payloads_view_cleanup(&q->views[i]);
    }
    free(q->entries);
    free(q->ptrs);
    free(q->results);
    free(q->answers);
    free(q->views);
    free(q->errors);
}

static int answer_queries(struct temporal_workflow_ctx *run, const wf_task *task,
                          struct query_answers *q)
{
    memset(q, 0, sizeof(*q));
    size_t n = task->n_queries;
    if (n == 0)
        return 0;
    q->entries = calloc(n, sizeof(*q->entries));
    q->ptrs = calloc(n, sizeof(*q->ptrs));
    q->results = calloc(n, sizeof(*q->results));
    q->answers = calloc(n, sizeof(*q->answers));
    q->views = calloc(n, sizeof(*q->views));
    q->errors = calloc(n, sizeof(*q->errors));
    if (!q->entries || !q->ptrs || !q->results || !q->answers || !q->views || !q->errors)
        return TEMPORAL_ENOMEM;
    q->count = n;
    for (size_t i = 0; i < n; i++) {
        const Temporal__Api__Query__V1__WorkflowQuery *wq = task->queries[i]->value;
        struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
        int rc = temporal__payloads_from_proto(&args, wq ? wq->query_args : NULL);
        if (rc == 0)
            rc = temporal__wf_run_query(run, wq ? wq->query_type : "", &args,
                                        wq ? wq->header : NULL, &q->answers[i], &q->errors[i]);
        temporal_payloads_cleanup(&args);
        Temporal__Api__Query__V1__WorkflowQueryResult r = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY_RESULT__INIT;
        if (rc == 0) {
            r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED;
            int vrc = 0;
            temporal__payloads_view_init(&q->views[i], &q->answers[i], &vrc);
            r.answer = q->views[i].msg.n_payloads ? &q->views[i].msg : NULL;
        } else {
            r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
            r.error_message = q->errors[i].message;
        }
        q->results[i] = r;
        Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__QueryResultsEntry e =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__QUERY_RESULTS_ENTRY__INIT;
        e.key = task->queries[i]->key;
        e.value = &q->results[i];
        q->entries[i] = e;
        q->ptrs[i] = &q->entries[i];
    }
    return 0;
}

static bool worker_stopping(struct temporal_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool stopping = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return stopping;
}

/* Sends the completion of |task| for |run|.  Returns 0 or the RPC's error. */
/* Completes |task| with the run's commands, messages and query answers.  |*sticky_out|
 * says whether the run's next task comes to our sticky queue; |*discarded_out| whether the
 * server discarded the task (a speculative task that only rejected updates: the run's
 * state is then ahead of history and it must be rebuilt). */
static int respond_completed(struct temporal_worker *w, const wf_task *task,
                             struct temporal_workflow_ctx *run, struct query_answers *answers,
                             bool heartbeat, bool *sticky_out, bool *discarded_out,
                             struct temporal_error *err)
{
    temporal__pb_command **commands = NULL;
    size_t n = temporal__wf_run_take_commands(run, &commands);
    Temporal__Api__Protocol__V1__Message **messages = NULL;
    size_t n_messages = temporal__wf_run_take_messages(run, &messages);

    Temporal__Api__Taskqueue__V1__TaskQueue sticky_tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    sticky_tq.name = w->sticky_queue;
    sticky_tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_STICKY;
    sticky_tq.normal_name = w->task_queue;
    Google__Protobuf__Duration sticky_timeout;
    Temporal__Api__Taskqueue__V1__StickyExecutionAttributes sticky =
        TEMPORAL__API__TASKQUEUE__V1__STICKY_EXECUTION_ATTRIBUTES__INIT;
    sticky.worker_task_queue = &sticky_tq;
    sticky.schedule_to_start_timeout = temporal__duration_set(&sticky_timeout, w->sticky_timeout_ms);

    Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata meta =
        TEMPORAL__API__SDK__V1__WORKFLOW_TASK_COMPLETED_METADATA__INIT;
    meta.sdk_name = (char *)TEMPORAL_CLIENT_NAME;
    meta.sdk_version = (char *)TEMPORAL_VERSION;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__Capabilities caps =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__CAPABILITIES__INIT;
    caps.discard_speculative_workflow_task_with_events = 1;
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;

    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = task->task_token;
    req.n_commands = n;
    req.commands = commands;
    req.n_messages = n_messages;
    req.messages = messages;
    /* Local activities still running: this completion keeps the task alive, and the
     * server gives the run a new task at once. */
    req.force_create_new_workflow_task = heartbeat;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    /* Leaving sticky attributes out turns stickiness off: no cache, the run ended, or this
     * worker is shutting down (its sticky queue is going away: the run's next task must go
     * to the normal queue, not wait there for a schedule-to-start timeout).  Shutdown waits
     * for completions that do carry them before it releases the queue. */
    bool sticky_attached = false;
    if (w->max_cached_workflows > 0 && !temporal__wf_run_finished(run)) {
        pthread_mutex_lock(&w->mu);
        if (!w->stopping) {
            sticky_attached = true;
            w->sticky_completions++;
        }
        pthread_mutex_unlock(&w->mu);
    }
    if (sticky_attached)
        req.sticky_attributes = &sticky;
    req.n_query_results = answers->count;
    req.query_results = answers->ptrs;
    if (temporal__client_info(w->client)->sdk_metadata)
        req.sdk_metadata = &meta;
    req.capabilities = &caps;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    if (w->use_versioning) {
        enum temporal_versioning_behavior vb = temporal__wf_run_def(run)->versioning_behavior;
        if (vb == TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED)
            vb = w->default_versioning_behavior;
        req.versioning_behavior = (Temporal__Api__Enums__V1__VersioningBehavior)vb;
    }
    req.worker_instance_key = w->instance_key;
    struct temporal__rpc_call_options co = { .timeout_ms = COMPLETION_TIMEOUT_MS };
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse *resp = NULL;
    int rc = temporal__rpc_call(w->conn, WS("RespondWorkflowTaskCompleted"), &req.base,
                                &temporal__api__workflowservice__v1__respond_workflow_task_completed_response__descriptor,
                                (ProtobufCMessage **)&resp, &co, err);
    *discarded_out = rc == 0 && resp->reset_history_event_id != 0;
    if (rc == 0)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (rc == 0 && !*discarded_out)
        count_outcome(w, run, commands, n);
    if (sticky_attached) {
        pthread_mutex_lock(&w->mu);
        w->sticky_completions--;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    *sticky_out = rc == 0 && sticky_attached;
    return rc;
}

static void respond_legacy_query(struct temporal_worker *w, const wf_task *task,
                                 struct temporal_workflow_ctx *run)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, answer = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error qerr;
    memset(&qerr, 0, sizeof(qerr));
    int rc = temporal__payloads_from_proto(&args, task->query->query_args);
    if (rc == 0)
        rc = temporal__wf_run_query(run, task->query->query_type, &args, task->query->header,
                                    &answer, &qerr);
    else
        temporal__fail(&qerr, rc, -1, "out of memory");
    struct temporal__payloads_view view;
    int vrc = 0;
    temporal__payloads_view_init(&view, &answer, &vrc);
    Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_QUERY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = task->task_token;
    req.namespace_ = w->namespace_name;
    req.poller_group_id = task->poller_group_id;
    if (rc == 0) {
        req.completed_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED;
        req.query_result = view.msg.n_payloads ? &view.msg : NULL;
    } else {
        req.completed_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
        req.error_message = qerr.message;
    }
    struct temporal_error err;
    temporal__rpc_call_discard(w->conn, WS("RespondQueryTaskCompleted"), &req.base,
                       &temporal__api__workflowservice__v1__respond_query_task_completed_response__descriptor,
                       NULL, &err);
    temporal__payloads_view_cleanup(&view);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&answer);
}

/* One workflow task ----------------------------------------------------------------------------- */

static void registered_workflows(const struct temporal_worker *w, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < w->workflow_count; i++)
        temporal__list_append(buf, cap, &used, w->workflows[i].name);
}

/*
 * Executes the local activities the run waits for, feeding each outcome back (the workflow
 * code then runs again and may ask for more), until it waits for none, or until 80% of the
 * workflow task timeout has passed since |task_start_ms|: then |*heartbeat| is set and the
 * task is completed with a request for a new one, the activities running on.  When the
 * worker stops, they get its graceful timeout, then are cancelled; one that stops for that
 * is not recorded (the new task lets another worker run it again).
 */
static int drive_local_activities(struct temporal_worker *w, struct temporal__wf_cache_entry *entry,
                                  int64_t task_start_ms, bool *heartbeat, struct temporal_error *err)
{
    struct temporal_workflow_ctx *run = entry->run;
    int64_t deadline = task_start_ms + temporal__wf_run_task_timeout_ms(run) * 8 / 10;
    *heartbeat = false;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool past_grace = w->stopping && w->grace_end_ms > 0 &&
                          temporal__now_monotonic_ms() >= w->grace_end_ms;
        pthread_mutex_unlock(&w->mu);
        const struct temporal__la_request *r;
        while ((r = temporal__wf_run_next_local_activity(run)) != NULL) {
            if (past_grace) {
                *heartbeat = true; /* too late to start it here: the next worker will */
                continue;
            }
            struct temporal__la_exec *x = temporal__la_start(w, run, r);
            if (x == NULL)
                return temporal__fail(err, TEMPORAL_ENOMEM, -1,
                                      "cannot start local activity '%s' (out of memory or threads)",
                                      r->activity_type);
            x->next = entry->las;
            entry->las = x;
        }
        struct temporal__la_exec *done = NULL;
        pthread_mutex_lock(&w->mu);
        for (;;) {
            int64_t now = temporal__now_monotonic_ms();
            bool shutdown = w->stopping && w->grace_end_ms > 0 && now >= w->grace_end_ms;
            bool waiting = false;
            for (struct temporal__la_exec **pp = &entry->las; *pp;) {
                struct temporal__la_exec *x = *pp;
                enum temporal__la_want want = temporal__wf_run_local_activity_want(run, x->seq);
                if (want == TEMPORAL__LA_WAIT_CANCEL || want == TEMPORAL__LA_GONE)
                    temporal__la_cancel_locked(x, TEMPORAL_ACTIVITY_CANCEL_REQUESTED);
                else if (shutdown && want == TEMPORAL__LA_WAIT)
                    temporal__la_cancel_locked(x, TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN);
                if (x->done) {
                    *pp = x->next;
                    x->next = done;
                    done = x;
                    continue;
                }
                waiting = waiting || want == TEMPORAL__LA_WAIT || want == TEMPORAL__LA_WAIT_CANCEL;
                pp = &x->next;
            }
            if (done != NULL || !waiting)
                break;
            int64_t until = deadline;
            if (w->stopping && w->grace_end_ms > 0 && !shutdown && w->grace_end_ms < until)
                until = w->grace_end_ms;
            if (now >= deadline) {
                *heartbeat = true;
                break;
            }
            temporal__worker_wait_ms(w, until > now ? until - now : 1);
        }
        pthread_mutex_unlock(&w->mu);
        if (done == NULL)
            return 0;
        /* One outcome at a time, each followed by a run of the code: replay (which reads
         * the outcomes from the markers, in their order) does the same. */
        int rc = 0;
        bool resolved = false;
        for (struct temporal__la_exec *x = done, *n; x; x = n) {
            n = x->next;
            if (x->cancel_reason == TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN &&
                x->outcome.code == TEMPORAL_ECANCELED) {
                *heartbeat = true; /* not recorded: it runs again on the next worker */
            } else if (!resolved) {
                rc = temporal__wf_run_resolve_local_activity(run, x->seq, &x->outcome);
                resolved = true;
            } else {
                pthread_mutex_lock(&w->mu); /* the next round takes it */
                x->next = entry->las;
                entry->las = x;
                pthread_mutex_unlock(&w->mu);
                continue;
            }
            temporal__la_free(x);
        }
        if (rc != 0)
            return temporal__fail(err, rc, -1, "out of memory recording a local activity");
        if (resolved && (rc = temporal__wf_run_resume(run, err)) != 0)
            return rc;
        if (*heartbeat)
            return 0;
    }
}

static void handle_task(struct temporal_worker *w, wf_task *task)
{
    int64_t task_start_ms = temporal__now_monotonic_ms();
    Temporal__Api__Common__V1__WorkflowExecution *exec = task->workflow_execution;
    const char *type = task->workflow_type ? task->workflow_type->name : "";
    if (exec == NULL)
        return;
    const struct temporal__wf_def *def = find_workflow(w, type);
    if (def == NULL) {
        char names[512], message[800];
        registered_workflows(w, names, sizeof(names));
        snprintf(message, sizeof(message),
                 "workflow type '%s' is not registered on this worker (task queue '%s'); "
                 "registered: [%s]",
                 type, w->task_queue, names);
        temporal__worker_log(w, TEMPORAL_LOG_ERROR, "%s", message);
        respond_failed(w, task, TEMPORAL_EINVAL, message);
        return;
    }

    struct history h;
    memset(&h, 0, sizeof(h));
    struct temporal_error err;
    memset(&err, 0, sizeof(err));
    int rc = history_add(&h, task->history);
    if (rc == 0 && task->next_page_token.len > 0)
        rc = history_fetch(w, exec, task->next_page_token, &h, &err);
    bool legacy_query = task->query != NULL;

    struct temporal__wf_cache_entry *entry = NULL;
    if (rc == 0 && !legacy_query)
        entry = cache_acquire(w, exec->run_id);
    if (rc == 0 && !legacy_query && entry == NULL)
        rc = TEMPORAL_ENOMEM;

    /* A cached run continues from its last event; otherwise replay from event 1. */
    int64_t first = h.count > 0 ? h.events[0]->event_id : 0;
    struct temporal_workflow_ctx *run = entry ? entry->run : NULL;
    bool cache_hit = run != NULL && temporal__wf_run_last_event_id(run) + 1 == first;
    if (rc == 0 && w->max_cached_workflows > 0)
        temporal__worker_count(w, cache_hit ? "temporal_sticky_cache_hit" : "temporal_sticky_cache_miss",
                               1, NULL, NULL);
    if (rc == 0 && !cache_hit) {
        if (run != NULL) {
            entry_drop_local_activities(w, entry);
            temporal__wf_run_free(run);
            entry->run = run = NULL;
        }
        if (first != 1) { /* a partial (sticky) history without state: fetch it all */
            history_free(&h);
            ProtobufCBinaryData none = { 0, NULL };
            rc = history_fetch(w, exec, none, &h, &err);
        }
        struct temporal__wf_log log = { w->log_fn, w->log_user_data };
        if (rc == 0)
            rc = temporal__wf_run_new(&run, def, w->namespace_name, w->task_queue,
                                      exec->workflow_id, exec->run_id, &log);
        if (rc == 0)
            temporal__wf_run_set_tracer(run, temporal__rpc_conn_tracer(w->conn));
        if (entry != NULL)
            entry->run = run;
    }

    if (legacy_query) {
        /* Rebuilt from full history, answered, thrown away: a query never moves a cached run. */
        if (rc == 0) {
            int64_t last = h.count ? h.events[h.count - 1]->event_id : 0;
            rc = temporal__wf_run_apply(run, h.events, h.count, last + 1, &err);
        }
        if (rc == 0)
            respond_legacy_query(w, task, run);
        else
            temporal__worker_log(w, TEMPORAL_LOG_WARN, "query of workflow %s failed: %s",
                                 exec->workflow_id, err.message);
        temporal__wf_run_free(run);
        history_free(&h);
        return;
    }

    if (rc == 0)
        temporal__wf_run_set_task_attempt(run, task->attempt);
    for (size_t i = 0; rc == 0 && i < task->n_messages; i++)
        rc = temporal__wf_run_add_message(run, task->messages[i], &err);
    /* A run rebuilt for a task that is not its first replays the earlier tasks: that
     * catching up is temporal_workflow_task_replay_latency. */
    bool replaying = !cache_hit && task->previous_started_event_id > 0;
    int64_t apply_start_ms = temporal__now_monotonic_ms();
    if (rc == 0)
        rc = temporal__wf_run_apply(run, h.events, h.count, task->started_event_id, &err);
    if (rc == 0 && replaying)
        temporal__worker_latency(w, "temporal_workflow_task_replay_latency",
                                 (double)(temporal__now_monotonic_ms() - apply_start_ms),
                                 "workflow_type", type);
    if (rc == 0 && temporal__wf_run_last_event_id(run) != task->started_event_id)
        rc = temporal__fail(&err, TEMPORAL_EPROTOCOL, -1,
                            "history of workflow %s ends at event %lld, before the task's "
                            "started event %lld",
                            exec->workflow_id, (long long)temporal__wf_run_last_event_id(run),
                            (long long)task->started_event_id);
    history_free(&h);

    bool heartbeat = false;
    if (rc == 0)
        rc = drive_local_activities(w, entry, task_start_ms, &heartbeat, &err);
    if (rc == 0)
        rc = temporal__wf_run_end_task(run, &err);
    if (rc != 0) {
        temporal__worker_log(w, TEMPORAL_LOG_ERROR, "workflow task of %s (%s) failed: %s",
                             exec->workflow_id, type, err.message);
        respond_failed(w, task, rc, err.message);
        cache_release(w, entry, false);
        return;
    }
    struct query_answers answers;
    bool discarded = false;
    rc = answer_queries(run, task, &answers);
    if (rc == 0)
        rc = respond_completed(w, task, run, &answers, heartbeat, &entry->sticky, &discarded, &err);
    answers_free(&answers);
    if (rc != 0)
        temporal__worker_log(w, TEMPORAL_LOG_WARN,
                             "completing the workflow task of %s failed (the run is evicted; "
                             "the next task replays it): %s",
                             exec->workflow_id, err.message);
    /* Keep the run only if its next task will come to our sticky queue. */
    cache_release(w, entry,
                  rc == 0 && !discarded && !temporal__wf_run_finished(run) && !worker_stopping(w));
}

/* Pollers ---------------------------------------------------------------------------------------- */

static int poll_workflow_task(struct temporal_worker *w, bool sticky,
                              struct temporal__rpc_cancel *cancel, wf_task **task,
                              struct temporal_error *err)
{
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    if (sticky) {
        tq.name = w->sticky_queue;
        tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_STICKY;
        tq.normal_name = w->task_queue;
    } else {
        tq.name = w->task_queue;
        tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    }
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_REQUEST__INIT;
    req.namespace_ = w->namespace_name;
    req.task_queue = &tq;
    req.identity = w->identity;
    req.worker_instance_key = w->instance_key;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .long_poll = true, .cancel = cancel };
    return temporal__rpc_call(w->conn, WS("PollWorkflowTaskQueue"), &req.base,
                              &temporal__api__workflowservice__v1__poll_workflow_task_queue_response__descriptor,
                              (ProtobufCMessage **)task, &co, err);
}

void *temporal__wf_poller_main(void *arg)
{
    struct temporal__poller_arg *pa = arg;
    struct temporal_worker *w = pa->w;
    int64_t fatal_since = 0;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        /* Normal-queue pollers stop at once; sticky pollers go on until the server has
         * released the sticky queue (ShutdownWorker), so that no task waits there. */
        while (w->wf_free_slots == 0 && !(pa->sticky ? w->sticky_released : w->stopping))
            pthread_cond_wait(&w->cv, &w->mu);
        if (pa->sticky ? w->sticky_released : w->stopping) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        w->wf_free_slots--;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_WORKFLOW);
        pthread_mutex_unlock(&w->mu);

        wf_task *task = NULL;
        struct temporal_error err;
        int rc = poll_workflow_task(w, pa->sticky, pa->cancel, &task, &err);
        if (rc == 0) {
            fatal_since = 0;
            temporal__worker_count(w,
                                   task->task_token.len > 0
                                       ? "temporal_workflow_task_queue_poll_succeed"
                                       : "temporal_workflow_task_queue_poll_empty",
                                   1, NULL, NULL);
            if (task->task_token.len > 0 && task->scheduled_time && task->started_time)
                temporal__worker_latency(w, "temporal_workflow_task_schedule_to_start_latency",
                                         (double)(temporal__timestamp_ms(task->started_time) -
                                                  temporal__timestamp_ms(task->scheduled_time)),
                                         NULL, NULL);
            if (task->task_token.len > 0) {
                pthread_mutex_lock(&w->mu);
                if (pa->sticky) {
                    w->last_sticky_task_ms = temporal__now_monotonic_ms();
                    pthread_cond_broadcast(&w->cv);
                }
                temporal__worker_note_task(w);
                w->wf_used_slots++;
                temporal__worker_slots_changed(w, TEMPORAL__SLOTS_WORKFLOW);
                pthread_mutex_unlock(&w->mu);
                int64_t task_start_ms = temporal__now_monotonic_ms();
                handle_task(w, task); /* a task that arrives during shutdown is still handled */
                temporal__worker_latency(w, "temporal_workflow_task_execution_latency",
                                         (double)(temporal__now_monotonic_ms() - task_start_ms),
                                         "workflow_type",
                                         task->workflow_type ? task->workflow_type->name : NULL);
                pthread_mutex_lock(&w->mu);
                temporal__worker_note_task(w);
                w->wf_used_slots--;
                pthread_mutex_unlock(&w->mu);
            }
            protobuf_c_message_free_unpacked(&task->base, NULL);
        }
        pthread_mutex_lock(&w->mu);
        w->wf_free_slots++;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_WORKFLOW);
        pthread_cond_broadcast(&w->cv);
        if (rc != 0 && rc != TEMPORAL_ECANCELED && !w->stopping)
            temporal__worker_poll_error(w, rc, &err, &fatal_since);
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_lock(&w->mu);
    w->pollers_of_kind[pa->kind]--;
    temporal__worker_pollers_changed(w, pa->kind);
    w->active_pollers--;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}
