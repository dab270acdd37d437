/*
 * worker: lifecycle, activity pollers and executors, heartbeat flusher, graceful shutdown.
 * The threads and the lock are described in worker_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"
#include "metrics_int.h"
#include "worker_int.h"

#define WS(name) TEMPORAL__WORKFLOW_SERVICE(name)
#define DEFAULT_MAX_CONCURRENT_ACTIVITIES 100
#define DEFAULT_MAX_ACTIVITY_POLLERS 5
#define DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS 100
#define DEFAULT_MAX_WORKFLOW_POLLERS 5
#define DEFAULT_MAX_CACHED_WORKFLOWS 1000
#define DEFAULT_STICKY_TIMEOUT_MS 10000
/* Non-retryable poll errors are tolerated this long (proxies answer oddly at times). */
#define POLL_FATAL_GRACE_MS 60000
#define POLL_FATAL_PAUSE_MS 1000
/* Sticky drain at shutdown: until the sticky queue was quiet this long, at most that long. */
#define STICKY_DRAIN_QUIET_MS 300
#define STICKY_DRAIN_MAX_MS 2000
/* With poll-complete-on-shutdown the server ends in-flight polls; don't wait forever. */
#define DRAIN_WAIT_MS 15000
#define SHUTDOWN_WORKER_TIMEOUT_MS 5000

/* Small helpers ------------------------------------------------------------------------------ */

static void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

bool temporal__worker_wait_ms(struct temporal_worker *w, int64_t ms)
{
    struct timespec ts;
    deadline_in(&ts, ms);
    return pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT;
}

Temporal__Api__Deployment__V1__WorkerDeploymentOptions *
temporal__worker_deployment(const struct temporal_worker *w,
                            Temporal__Api__Deployment__V1__WorkerDeploymentOptions *storage)
{
    if (w->build_id == NULL)
        return NULL;
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions init =
        TEMPORAL__API__DEPLOYMENT__V1__WORKER_DEPLOYMENT_OPTIONS__INIT;
    *storage = init;
    storage->deployment_name = w->deployment_name ? w->deployment_name : (char *)"";
    storage->build_id = w->build_id;
    storage->worker_versioning_mode =
        w->use_versioning ? TEMPORAL__API__ENUMS__V1__WORKER_VERSIONING_MODE__WORKER_VERSIONING_MODE_VERSIONED
                          : TEMPORAL__API__ENUMS__V1__WORKER_VERSIONING_MODE__WORKER_VERSIONING_MODE_UNVERSIONED;
    return storage;
}

/* Create, register, free --------------------------------------------------------------------- */

int temporal_worker_new(struct temporal_worker **out, struct temporal_client *client,
                        const struct temporal_worker_options *user_opts, struct temporal_error *err)
{
    if (out != NULL)
        *out = NULL;
    struct temporal_worker_options o;
    if (out == NULL || client == NULL || user_opts == NULL ||
        !temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "temporal_worker_new needs |out|, a client, and options initialized "
                              "with TEMPORAL_WORKER_OPTIONS_INIT");
    if (temporal__empty(o.task_queue))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "worker option 'task_queue' is required: the task queue the "
                              "worker polls");
    if (o.max_cached_workflows < -1)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "worker option 'max_cached_workflows' must be >= 0 (or -1 for "
                              "the default)");
    if (o.graceful_shutdown_timeout_ms < 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "worker option 'graceful_shutdown_timeout_ms' must be >= 0");
    if (o.shutdown_timeout_ms < 0 ||
        (o.shutdown_timeout_ms > 0 && o.shutdown_timeout_ms < o.graceful_shutdown_timeout_ms))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "worker option 'shutdown_timeout_ms' must be 0 (no bound) or at "
                              "least 'graceful_shutdown_timeout_ms'");
    const struct temporal_deployment_options *d = &o.deployment;
    if (d->use_versioning && (temporal__empty(d->deployment_name) || temporal__empty(d->build_id)))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "worker versioning needs both 'deployment.deployment_name' and "
                              "'deployment.build_id'");
    if (!d->use_versioning && d->default_versioning_behavior != TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "'deployment.default_versioning_behavior' needs "
                              "'deployment.use_versioning' (the server rejects a versioning "
                              "behavior from an unversioned worker)");

    struct temporal_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    w->client = client;
    w->conn = temporal__client_conn(client);
    w->namespace_name = temporal__strdup(temporal_client_namespace(client));
    w->task_queue = temporal__strdup(o.task_queue);
    w->identity = temporal__strdup(temporal__empty(o.identity) ? temporal_client_identity(client)
                                                               : o.identity);
    w->deployment_name = temporal__strdup(temporal__empty(d->deployment_name) ? NULL : d->deployment_name);
    w->build_id = temporal__strdup(temporal__empty(d->build_id) ? NULL : d->build_id);
    w->use_versioning = d->use_versioning;
    /* A versioned worker pins runs to its version unless told otherwise. */
    w->default_versioning_behavior =
        d->use_versioning && d->default_versioning_behavior == TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED
            ? TEMPORAL_VERSIONING_BEHAVIOR_PINNED
            : d->default_versioning_behavior;
    w->max_concurrent_activities = o.max_concurrent_activities ? o.max_concurrent_activities
                                                               : DEFAULT_MAX_CONCURRENT_ACTIVITIES;
    w->max_activity_pollers = o.max_activity_pollers ? o.max_activity_pollers
                                                     : DEFAULT_MAX_ACTIVITY_POLLERS;
    w->graceful_shutdown_timeout_ms = o.graceful_shutdown_timeout_ms;
    w->shutdown_timeout_ms = o.shutdown_timeout_ms;
    w->max_concurrent_local_activities =
        o.max_concurrent_local_activities > 0 ? o.max_concurrent_local_activities : 100;
    w->max_concurrent_workflow_tasks = o.max_concurrent_workflow_tasks
                                           ? o.max_concurrent_workflow_tasks
                                           : DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS;
    w->max_workflow_pollers = o.max_workflow_pollers ? o.max_workflow_pollers
                                                     : DEFAULT_MAX_WORKFLOW_POLLERS;
    w->max_cached_workflows = o.max_cached_workflows >= 0 ? (uint32_t)o.max_cached_workflows
                                                          : DEFAULT_MAX_CACHED_WORKFLOWS;
    w->sticky_timeout_ms = o.sticky_schedule_to_start_timeout_ms > 0
                               ? o.sticky_schedule_to_start_timeout_ms
                               : DEFAULT_STICKY_TIMEOUT_MS;
    w->log_fn = o.log_fn;
    w->log_user_data = o.log_user_data;
    w->include_heartbeat_on_failure = temporal__client_info(client)->activity_failure_include_heartbeat;
    temporal__uuid4(w->instance_key);
    /* The sticky queue: unique to this worker instance. */
    size_t sticky_len = strlen(w->identity ? w->identity : "") + 40;
    w->sticky_queue = malloc(sticky_len);
    if (w->sticky_queue != NULL)
        snprintf(w->sticky_queue, sticky_len, "%s-%s", w->identity ? w->identity : "", w->instance_key);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (w->namespace_name == NULL || w->task_queue == NULL || w->identity == NULL ||
        w->sticky_queue == NULL ||
        (d->deployment_name && d->deployment_name[0] && w->deployment_name == NULL) ||
        (d->build_id && d->build_id[0] && w->build_id == NULL)) {
        temporal_worker_free(w);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    }
    *out = w;
    return 0;
}

int temporal_worker_register_activity(struct temporal_worker *w, const char *name,
                                      temporal_activity_fn fn, void *user_data)
{
    if (w == NULL || temporal__empty(name) || fn == NULL || w->running)
        return TEMPORAL_EINVAL;
    for (size_t i = 0; i < w->activity_count; i++)
        if (strcmp(w->activities[i].name, name) == 0)
            return TEMPORAL_EALREADY_EXISTS;
    struct temporal__activity_reg *a =
        realloc(w->activities, (w->activity_count + 1) * sizeof(*w->activities));
    if (a == NULL)
        return TEMPORAL_ENOMEM;
    w->activities = a;
    a[w->activity_count].name = temporal__strdup(name);
    if (a[w->activity_count].name == NULL)
        return TEMPORAL_ENOMEM;
    a[w->activity_count].fn = fn;
    a[w->activity_count].user_data = user_data;
    w->activity_count++;
    return 0;
}

int temporal_worker_register_workflow(struct temporal_worker *w, const char *name,
                                      temporal_workflow_fn fn,
                                      enum temporal_versioning_behavior behavior, void *user_data)
{
    if (w == NULL || temporal__empty(name) || fn == NULL || w->running)
        return TEMPORAL_EINVAL;
    if (behavior != TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED && !w->use_versioning)
        return TEMPORAL_EINVAL; /* the server rejects a behaviour from an unversioned worker */
    for (size_t i = 0; i < w->workflow_count; i++)
        if (strcmp(w->workflows[i].name, name) == 0)
            return TEMPORAL_EALREADY_EXISTS;
    struct temporal__wf_def *d = realloc(w->workflows, (w->workflow_count + 1) * sizeof(*d));
    if (d == NULL)
        return TEMPORAL_ENOMEM;
    w->workflows = d;
    d[w->workflow_count].name = temporal__strdup(name);
    if (d[w->workflow_count].name == NULL)
        return TEMPORAL_ENOMEM;
    d[w->workflow_count].fn = fn;
    d[w->workflow_count].versioning_behavior = behavior;
    d[w->workflow_count].user_data = user_data;
    w->workflow_count++;
    return 0;
}

void temporal_worker_free(struct temporal_worker *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->activity_count; i++)
        free(w->activities[i].name);
    free(w->activities);
    for (size_t i = 0; i < w->workflow_count; i++)
        free(w->workflows[i].name);
    free(w->workflows);
    free(w->sticky_queue);
    free(w->namespace_name);
    free(w->task_queue);
    free(w->identity);
    free(w->deployment_name);
    free(w->build_id);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void temporal_worker_stop(struct temporal_worker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void temporal__worker_count(struct temporal_worker *w, const char *name, int64_t delta,
                            const char *type_key, const char *type_value)
{
    const char *labels[] = {"namespace", w->namespace_name, "task_queue", w->task_queue,
                            type_key, type_value, NULL};
    temporal__metric_add(temporal__rpc_conn_metrics(w->conn), name, delta, labels);
}

void temporal__worker_latency(struct temporal_worker *w, const char *name, double ms,
                              const char *type_key, const char *type_value)
{
    const char *labels[] = {"namespace", w->namespace_name, "task_queue", w->task_queue,
                            type_key, type_value, NULL};
    temporal__metric_record_ms(temporal__rpc_conn_metrics(w->conn), name, ms, labels);
}

void temporal__worker_gauge(struct temporal_worker *w, const char *name, int64_t value,
                            const char *type_key, const char *type_value)
{
    const char *labels[] = {"namespace", w->namespace_name, "task_queue", w->task_queue,
                            type_key, type_value, NULL};
    temporal__metric_set(temporal__rpc_conn_metrics(w->conn), name, value, labels);
}

void temporal__worker_slots_changed(struct temporal_worker *w, enum temporal__slot_kind k)
{
    static const char *const types[] = {"WorkflowWorker", "ActivityWorker", "LocalActivityWorker"};
    uint32_t available = 0, used = 0;
    switch (k) {
    case TEMPORAL__SLOTS_WORKFLOW:
        available = w->wf_free_slots;
        used = w->wf_used_slots;
        break;
    case TEMPORAL__SLOTS_ACTIVITY:
        available = w->free_slots;
        used = w->act_used_slots;
        break;
    case TEMPORAL__SLOTS_LOCAL_ACTIVITY:
        used = w->la_running;
        available = w->max_concurrent_local_activities > used
                        ? w->max_concurrent_local_activities - used
                        : 0;
        break;
    }
    temporal__worker_gauge(w, "temporal_worker_task_slots_available", available, "worker_type",
                           types[k]);
    temporal__worker_gauge(w, "temporal_worker_task_slots_used", used, "worker_type", types[k]);
}

void temporal__worker_pollers_changed(struct temporal_worker *w, enum temporal__poller_kind k)
{
    static const char *const types[] = {"workflow_task", "sticky_workflow_task", "activity_task"};
    temporal__worker_gauge(w, "temporal_num_pollers", w->pollers_of_kind[k], "poller_type",
                           types[k]);
}

/* Sets every gauge of the worker from its state (mu held): at start, and once stopped. */
static void publish_gauges(struct temporal_worker *w, bool sticky)
{
    if (w->workflow_count > 0) {
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_WORKFLOW);
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_LOCAL_ACTIVITY);
        temporal__worker_pollers_changed(w, TEMPORAL__POLLER_WORKFLOW);
        if (sticky)
            temporal__worker_pollers_changed(w, TEMPORAL__POLLER_STICKY);
        temporal__worker_gauge(w, "temporal_sticky_cache_size", (int64_t)w->cache_count, NULL,
                               NULL);
    }
    if (w->activity_count > 0) {
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_ACTIVITY);
        temporal__worker_pollers_changed(w, TEMPORAL__POLLER_ACTIVITY);
    }
}

void temporal__worker_note_task(struct temporal_worker *w)
{
    w->last_task_ms = temporal__now_monotonic_ms();
}

int64_t temporal_worker_idle_ms(struct temporal_worker *w)
{
    if (w == NULL)
        return 0;
    pthread_mutex_lock(&w->mu);
    int64_t idle = 0;
    if (w->running && w->act_used_slots + w->wf_used_slots == 0) /* no task in hand */
        idle = temporal__now_monotonic_ms() - w->last_task_ms;
    pthread_mutex_unlock(&w->mu);
    return idle < 0 ? 0 : idle;
}

/* Executors ---------------------------------------------------------------------------------- */

static void *executor_main(void *arg)
{
    struct temporal_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->queue_head == NULL && !(w->pollers_done && w->running_list == NULL)) {
            w->idle_executors++;
            pthread_cond_wait(&w->cv, &w->mu);
            w->idle_executors--;
        }
        struct temporal_activity_ctx *ctx = w->queue_head;
        if (ctx == NULL)
            break; /* pollers are done and nothing is queued: exit */
        w->queue_head = ctx->next;
        if (w->queue_head == NULL)
            w->queue_tail = NULL;
        ctx->next = w->running_list;
        w->running_list = ctx;
        /* A task that arrives after the graceful timeout starts out cancelled. */
        pthread_mutex_unlock(&w->mu);

        temporal__activity_execute(ctx);

        pthread_mutex_lock(&w->mu);
        for (struct temporal_activity_ctx **p = &w->running_list; *p; p = &(*p)->next)
            if (*p == ctx) {
                *p = ctx->next;
                break;
            }
        while (ctx->heartbeat_in_flight)
            pthread_cond_wait(&w->cv, &w->mu);
        temporal__worker_note_task(w);
        w->free_slots++;
        w->act_used_slots--;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_ACTIVITY);
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        temporal__activity_ctx_free(ctx);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Queues a polled task for an executor, starting one if none is idle (mu held). */
static void enqueue_task(struct temporal_worker *w, struct temporal_activity_ctx *ctx)
{
    if (w->queue_tail)
        w->queue_tail->next = ctx;
    else
        w->queue_head = ctx;
    w->queue_tail = ctx;
    if (w->idle_executors == 0 && w->executors < w->max_concurrent_activities) {
        if (pthread_create(&w->executor_threads[w->executors], NULL, executor_main, w) == 0)
            w->executors++;
    }
    pthread_cond_broadcast(&w->cv);
}

/* Pollers ------------------------------------------------------------------------------------- */

static int poll_activity_task(struct temporal_worker *w, struct temporal__rpc_cancel *cancel,
                              temporal__activity_task **task, struct temporal_error *err)
{
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    tq.name = w->task_queue;
    tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
    req.namespace_ = w->namespace_name;
    req.task_queue = &tq;
    req.identity = w->identity;
    req.worker_instance_key = w->instance_key;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .long_poll = true, .cancel = cancel };
    return temporal__rpc_call(w->conn, WS("PollActivityTaskQueue"), &req.base,
                              &temporal__api__workflowservice__v1__poll_activity_task_queue_response__descriptor,
                              (ProtobufCMessage **)task, &co, err);
}

void temporal__worker_poll_error(struct temporal_worker *w, int rc, const struct temporal_error *err,
                                 int64_t *since)
{
    /* Retryable errors were retried inside the call; this one was not. */
    int64_t now = temporal__now_monotonic_ms();
    if (*since == 0) {
        *since = now;
        pthread_mutex_unlock(&w->mu);
        temporal__worker_log(w, TEMPORAL_LOG_WARN, "polling task queue '%s' failed: %s",
                             w->task_queue, err->message);
        pthread_mutex_lock(&w->mu);
    }
    if (now - *since >= POLL_FATAL_GRACE_MS) {
        if (w->fatal_code == 0) {
            w->fatal_code = rc;
            w->fatal = *err;
        }
        w->stopping = true;
        pthread_cond_broadcast(&w->cv);
    } else {
        temporal__worker_wait_ms(w, POLL_FATAL_PAUSE_MS);
    }
}

static void *poller_main(void *arg)
{
    struct temporal__poller_arg *pa = arg;
    struct temporal_worker *w = pa->w;
    int64_t fatal_since = 0;
    for (;;) {
        /* Reserve an execution slot before polling, so a polled task can always run. */
        pthread_mutex_lock(&w->mu);
        while (w->free_slots == 0 && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stopping) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        w->free_slots--;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_ACTIVITY);
        pthread_mutex_unlock(&w->mu);

        temporal__activity_task *task = NULL;
        struct temporal_error err;
        int rc = poll_activity_task(w, pa->cancel, &task, &err);

        pthread_mutex_lock(&w->mu);
        if (rc == 0 && task->task_token.len > 0) {
            fatal_since = 0;
            temporal__worker_count(w, "temporal_activity_task_received", 1, NULL, NULL);
            if (task->current_attempt_scheduled_time && task->started_time)
                temporal__worker_latency(
                    w, "temporal_activity_schedule_to_start_latency",
                    (double)(temporal__timestamp_ms(task->started_time) -
                             temporal__timestamp_ms(task->current_attempt_scheduled_time)),
                    "activity_type", task->activity_type ? task->activity_type->name : NULL);
            struct temporal_activity_ctx *ctx = temporal__activity_ctx_new(w, task);
            if (ctx != NULL) {
                enqueue_task(w, ctx); /* the slot goes with the task */
                w->act_used_slots++;
                temporal__worker_slots_changed(w, TEMPORAL__SLOTS_ACTIVITY);
                temporal__worker_note_task(w);
                pthread_mutex_unlock(&w->mu);
                continue;
            }
            /* Out of memory: the server retries the task after its timeout. */
        } else if (rc == 0) {
            protobuf_c_message_free_unpacked(&task->base, NULL); /* empty poll */
            temporal__worker_count(w, "temporal_activity_poll_no_task", 1, NULL, NULL);
            fatal_since = 0;
        }
        w->free_slots++;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_ACTIVITY);
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

/* Heartbeat flusher --------------------------------------------------------------------------- */

static void *flusher_main(void *arg)
{
    struct temporal_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!(w->pollers_done && w->running_list == NULL && w->queue_head == NULL)) {
        /* Send every heartbeat that is due.  Sending drops the lock, after which the list
         * may have changed: start the scan again (a context just sent is not due). */
        int64_t next = 0;
        bool rescan = true;
        while (rescan) {
            rescan = false;
            next = 0;
            int64_t now = temporal__now_monotonic_ms();
            for (struct temporal_activity_ctx *c = w->running_list; c; c = c->next) {
                if (!c->heartbeat_pending || c->heartbeat_in_flight)
                    continue;
                int64_t due = c->last_heartbeat_sent_ms + c->heartbeat_throttle_ms;
                if (due <= now) {
                    temporal__activity_flush_heartbeat(c, true);
                    rescan = true;
                    break;
                }
                if (next == 0 || due < next)
                    next = due;
            }
        }
        int64_t wait = next ? next - temporal__now_monotonic_ms() : 1000;
        temporal__worker_wait_ms(w, wait > 0 ? wait : 1);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Run and shutdown ---------------------------------------------------------------------------- */

static int describe_namespace(struct temporal_worker *w, struct temporal_error *err)
{
    Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
    req.namespace_ = w->namespace_name;
    Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse *resp = NULL;
    int rc = temporal__rpc_call(w->conn, WS("DescribeNamespace"), &req.base,
                                &temporal__api__workflowservice__v1__describe_namespace_response__descriptor,
                                (ProtobufCMessage **)&resp, NULL, err);
    if (rc == TEMPORAL_ENOT_FOUND || rc == TEMPORAL_ENAMESPACE_NOT_FOUND)
        return temporal__fail(err, TEMPORAL_ENAMESPACE_NOT_FOUND, 5,
                              "namespace '%s' does not exist on the server: create it (temporal "
                              "operator namespace create) or fix the namespace setting",
                              w->namespace_name);
    if (rc != 0)
        return rc;
    if (resp->namespace_info && resp->namespace_info->capabilities)
        w->poll_complete_on_shutdown =
            resp->namespace_info->capabilities->worker_poll_complete_on_shutdown;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return 0;
}

/* Tells the server this worker is going away (best effort: errors are ignored). */
static void shutdown_worker_rpc(struct temporal_worker *w, int64_t timeout_ms)
{
    Temporal__Api__Enums__V1__TaskQueueType types[2];
    size_t ntypes = 0;
    if (w->workflow_count > 0)
        types[ntypes++] = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_WORKFLOW;
    if (w->activity_count > 0)
        types[ntypes++] = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_ACTIVITY;
    Temporal__Api__Workflowservice__V1__ShutdownWorkerRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SHUTDOWN_WORKER_REQUEST__INIT;
    req.namespace_ = w->namespace_name;
    req.identity = w->identity;
    req.reason = (char *)"graceful shutdown";
    req.worker_instance_key = w->instance_key;
    req.task_queue = w->task_queue;
    req.n_task_queue_types = ntypes;
    req.task_queue_types = types;
    /* Frees the sticky queue: its pending tasks move to the normal queue at once. */
    if (w->workflow_count > 0 && w->max_cached_workflows > 0)
        req.sticky_task_queue = w->sticky_queue;
    struct temporal_error err;
    struct temporal__rpc_call_options co = { .timeout_ms = timeout_ms };
    temporal__rpc_call_discard(w->conn, WS("ShutdownWorker"), &req.base,
                       &temporal__api__workflowservice__v1__shutdown_worker_response__descriptor,
                       &co, &err);
}

static void cancel_polls(struct temporal_worker *w)
{
    for (uint32_t i = 0; i < w->poller_count; i++)
        temporal__rpc_cancel_trigger(&w->poll_cancels[i]);
}

int temporal_worker_run(struct temporal_worker *w, struct temporal_error *err)
{
    if (w == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "temporal_worker_run needs a worker");
    if (w->activity_count == 0 && w->workflow_count == 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "the worker has nothing to run: register workflows or activities "
                              "before temporal_worker_run");
    pthread_mutex_lock(&w->mu);
    if (w->running) {
        pthread_mutex_unlock(&w->mu);
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "the worker is already running");
    }
    w->running = true;
    w->last_task_ms = temporal__now_monotonic_ms();
    pthread_mutex_unlock(&w->mu);

    int rc = describe_namespace(w, err);
    if (rc != 0) {
        pthread_mutex_lock(&w->mu);
        w->running = false;
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    uint32_t activity_pollers = w->activity_count > 0 ? w->max_activity_pollers : 0;
    uint32_t workflow_pollers = w->workflow_count > 0 ? w->max_workflow_pollers : 0;
    if (w->workflow_count > 0)
        temporal__worker_count(w, "temporal_worker_start", 1, "worker_type", "WorkflowWorker");
    if (w->activity_count > 0)
        temporal__worker_count(w, "temporal_worker_start", 1, "worker_type", "ActivityWorker");
    /* With a cache, some pollers take the sticky queue (at least one of each kind). */
    uint32_t sticky_pollers = w->max_cached_workflows > 0 && workflow_pollers > 0
                                  ? (workflow_pollers > 1 ? workflow_pollers / 2 : 1)
                                  : 0;
    if (workflow_pollers == 1 && sticky_pollers == 1)
        workflow_pollers = 2;
    w->poller_count = activity_pollers + workflow_pollers;
    pthread_mutex_lock(&w->mu);
    w->free_slots = w->max_concurrent_activities;
    w->wf_free_slots = w->max_concurrent_workflow_tasks;
    w->act_used_slots = w->wf_used_slots = 0;
    memset(w->pollers_of_kind, 0, sizeof(w->pollers_of_kind));
    publish_gauges(w, sticky_pollers > 0);
    pthread_mutex_unlock(&w->mu);
    w->pollers_done = false;
    w->sticky_released = false;
    w->fatal_code = 0;
    w->poller_threads = calloc(w->poller_count, sizeof(pthread_t));
    w->poll_cancels = calloc(w->poller_count, sizeof(*w->poll_cancels));
    w->executor_threads = calloc(w->max_concurrent_activities, sizeof(pthread_t));
    struct temporal__poller_arg *args = calloc(w->poller_count, sizeof(*args));
    if (!w->poller_threads || !w->poll_cancels || !w->executor_threads || !args) {
        free(w->poller_threads);
        free(w->poll_cancels);
        free(w->executor_threads);
        free(args);
        pthread_mutex_lock(&w->mu);
        w->running = false;
        pthread_mutex_unlock(&w->mu);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory starting the worker");
    }
    uint32_t started = 0;
    for (uint32_t i = 0; i < w->poller_count; i++)
        temporal__rpc_cancel_init(&w->poll_cancels[i]);
    pthread_create(&w->flusher_thread, NULL, flusher_main, w);
    for (uint32_t i = 0; i < w->poller_count; i++) {
        bool workflow = i >= activity_pollers;
        args[i].w = w;
        args[i].cancel = &w->poll_cancels[i];
        args[i].sticky = workflow && (i - activity_pollers) < sticky_pollers;
        args[i].kind = !workflow       ? TEMPORAL__POLLER_ACTIVITY
                       : args[i].sticky ? TEMPORAL__POLLER_STICKY
                                        : TEMPORAL__POLLER_WORKFLOW;
        pthread_mutex_lock(&w->mu);
        w->active_pollers++;
        w->pollers_of_kind[args[i].kind]++;
        temporal__worker_pollers_changed(w, args[i].kind);
        pthread_mutex_unlock(&w->mu);
        if (pthread_create(&w->poller_threads[started], NULL,
                           workflow ? temporal__wf_poller_main : poller_main, &args[i]) == 0) {
            started++;
        } else {
            pthread_mutex_lock(&w->mu);
            w->active_pollers--;
            w->pollers_of_kind[args[i].kind]--;
            temporal__worker_pollers_changed(w, args[i].kind);
            pthread_mutex_unlock(&w->mu);
        }
    }

    /* Run until asked to stop. */
    pthread_mutex_lock(&w->mu);
    while (!w->stopping)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);

    /* 1. Polling has stopped, except on our sticky queue (Java's "sticky drain"): running
     *    activities get the graceful timeout, and the workflow tasks their results create
     *    for runs attached to us are still taken from the sticky queue and completed (now
     *    without sticky attributes, which detaches the run). */
    int64_t stop_ms = temporal__now_monotonic_ms();
    int64_t hard_end = w->shutdown_timeout_ms > 0 && w->shutdown_timeout_ms < INT64_MAX - stop_ms
                           ? stop_ms + w->shutdown_timeout_ms
                           : INT64_MAX;
    int64_t grace_end = stop_ms + w->graceful_shutdown_timeout_ms;
    pthread_mutex_lock(&w->mu);
    w->grace_end_ms = grace_end > 0 ? grace_end : 1; /* local activities look at it too */
    pthread_cond_broadcast(&w->cv);
    while ((w->running_list != NULL || w->queue_head != NULL) &&
           temporal__now_monotonic_ms() < grace_end)
        temporal__worker_wait_ms(w, grace_end - temporal__now_monotonic_ms());
    /* The last activity results schedule workflow tasks on our sticky queue a moment later:
     * keep taking them until the queue has been quiet for a while (bounded). */
    if (w->workflow_count > 0 && w->max_cached_workflows > 0) {
        int64_t drain_end = temporal__now_monotonic_ms() + STICKY_DRAIN_MAX_MS;
        if (drain_end > hard_end)
            drain_end = hard_end;
        w->last_sticky_task_ms = temporal__now_monotonic_ms();
        for (;;) {
            int64_t now = temporal__now_monotonic_ms();
            int64_t quiet_until = w->last_sticky_task_ms + STICKY_DRAIN_QUIET_MS;
            if (now >= quiet_until || now >= drain_end)
                break;
            temporal__worker_wait_ms(w, (quiet_until < drain_end ? quiet_until : drain_end) - now);
        }
    }

    /* 2. Tell the server (ShutdownWorker) once no completion with sticky attributes is on
     *    its way; then the sticky pollers stop too.  With poll-complete-on-shutdown the
     *    server answers our in-flight polls (empty, or with a task already dispatched to
     *    us, which we run); otherwise we cancel them. */
    while (w->sticky_completions > 0)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    int64_t rpc_ms = hard_end - temporal__now_monotonic_ms();
    shutdown_worker_rpc(w, rpc_ms < SHUTDOWN_WORKER_TIMEOUT_MS ? (rpc_ms > 1 ? rpc_ms : 1)
                                                               : SHUTDOWN_WORKER_TIMEOUT_MS);
    pthread_mutex_lock(&w->mu);
    w->sticky_released = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (!w->poll_complete_on_shutdown)
        cancel_polls(w);
    int64_t shutdown_start = temporal__now_monotonic_ms();

    /* 3. Wait for the pollers; a server that never ends the polls gets them cancelled. */
    pthread_mutex_lock(&w->mu);
    while (w->active_pollers > 0) {
        int64_t wait_end = shutdown_start + DRAIN_WAIT_MS;
        if (wait_end > hard_end)
            wait_end = hard_end;
        int64_t left = wait_end - temporal__now_monotonic_ms();
        if (left <= 0) {
            pthread_mutex_unlock(&w->mu);
            cancel_polls(w);
            pthread_mutex_lock(&w->mu);
            while (w->active_pollers > 0)
                pthread_cond_wait(&w->cv, &w->mu);
            break;
        }
        temporal__worker_wait_ms(w, left);
    }
    pthread_mutex_unlock(&w->mu);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(w->poller_threads[i], NULL);

    /* 4. Runs still attached to our sticky queue (waiting on a timer, say): their next task
     *    goes to the normal queue (a known server gap: ShutdownWorker alone does not always
     *    redirect it). */
    if (w->workflow_count > 0 && w->max_cached_workflows > 0)
        temporal__wf_cache_unstick(w);

    /* 5. What is still running when the graceful timeout is over is asked to stop. */
    pthread_mutex_lock(&w->mu);
    w->pollers_done = true;
    pthread_cond_broadcast(&w->cv);
    while ((w->running_list != NULL || w->queue_head != NULL) &&
           temporal__now_monotonic_ms() < grace_end)
        temporal__worker_wait_ms(w, grace_end - temporal__now_monotonic_ms());
    for (struct temporal_activity_ctx *c = w->running_list; c; c = c->next)
        if (c->cancel_reason == TEMPORAL_ACTIVITY_NOT_CANCELLED)
            c->cancel_reason = TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN;
    for (struct temporal_activity_ctx *c = w->queue_head; c; c = c->next)
        c->cancel_reason = TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN;
    pthread_cond_broadcast(&w->cv);
    uint32_t executors = w->executors;
    pthread_mutex_unlock(&w->mu);

    /* 6. Every outcome is reported before the executors exit. */
    for (uint32_t i = 0; i < executors; i++)
        pthread_join(w->executor_threads[i], NULL);
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->flusher_thread, NULL);

    for (uint32_t i = 0; i < w->poller_count; i++)
        temporal__rpc_cancel_destroy(&w->poll_cancels[i]);
    temporal__wf_cache_clear(w);
    free(w->poller_threads);
    free(w->poll_cancels);
    free(w->executor_threads);
    free(args);
    w->poller_threads = NULL;
    w->poll_cancels = NULL;
    w->executor_threads = NULL;

    pthread_mutex_lock(&w->mu);
    w->running = false;
    w->executors = 0;
    publish_gauges(w, sticky_pollers > 0); /* no poller, no task, no cached run */
    rc = w->fatal_code;
    if (rc != 0 && err != NULL)
        *err = w->fatal;
    pthread_mutex_unlock(&w->mu);
    return rc;
}
