/*
 * activity: running one activity task (attempt) and reporting its outcome; heartbeats.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "worker_int.h"

#define WS(name) TEMPORAL__WORKFLOW_SERVICE(name)
#define DEFAULT_HEARTBEAT_THROTTLE_MS 30000
#define MAX_HEARTBEAT_THROTTLE_MS 60000
#define DEFAULT_FAILURE_TYPE "TemporalCError"

static const char *str_or_empty(const char *s) { return s ? s : ""; }

struct temporal_activity_ctx *temporal__activity_ctx_new(struct temporal_worker *w,
                                                         temporal__activity_task *task)
{
    struct temporal_activity_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        protobuf_c_message_free_unpacked(&task->base, NULL);
        return NULL;
    }
    ctx->worker = w;
    ctx->task = task;
    temporal_payloads_init(&ctx->input);
    temporal_payloads_init(&ctx->previous_details);
    temporal_payloads_init(&ctx->pending_details);
    temporal_payloads_init(&ctx->last_details);
    temporal_payloads_init(&ctx->failure_details);
    if (temporal__payloads_from_proto(&ctx->input, task->input) != 0 ||
        temporal__payloads_from_proto(&ctx->previous_details, task->heartbeat_details) != 0) {
        temporal__activity_ctx_free(ctx);
        return NULL;
    }
    struct temporal_activity_info *in = &ctx->info;
    in->activity_id = str_or_empty(task->activity_id);
    in->activity_type = task->activity_type ? str_or_empty(task->activity_type->name) : "";
    in->task_queue = w->task_queue;
    in->workflow_namespace = str_or_empty(task->workflow_namespace);
    in->workflow_id = task->workflow_execution ? str_or_empty(task->workflow_execution->workflow_id) : "";
    in->workflow_run_id = task->workflow_execution ? str_or_empty(task->workflow_execution->run_id) : "";
    in->workflow_type = task->workflow_type ? str_or_empty(task->workflow_type->name) : "";
    in->attempt = task->attempt;
    in->scheduled_time_ms = temporal__timestamp_ms(task->scheduled_time);
    in->current_attempt_scheduled_time_ms = temporal__timestamp_ms(task->current_attempt_scheduled_time);
    in->started_time_ms = temporal__timestamp_ms(task->started_time);
    int64_t s2c = temporal__duration_ms(task->schedule_to_close_timeout);
    int64_t st2c = temporal__duration_ms(task->start_to_close_timeout);
    int64_t deadline = 0;
    if (s2c > 0 && in->scheduled_time_ms > 0)
        deadline = in->scheduled_time_ms + s2c;
    if (st2c > 0 && in->started_time_ms > 0 &&
        (deadline == 0 || in->started_time_ms + st2c < deadline))
        deadline = in->started_time_ms + st2c;
    in->deadline_ms = deadline;
    in->heartbeat_timeout_ms = temporal__duration_ms(task->heartbeat_timeout);
    in->heartbeat_details = &ctx->previous_details;
    int64_t throttle = in->heartbeat_timeout_ms > 0 ? in->heartbeat_timeout_ms * 8 / 10
                                                    : DEFAULT_HEARTBEAT_THROTTLE_MS;
    ctx->heartbeat_throttle_ms = throttle < MAX_HEARTBEAT_THROTTLE_MS ? throttle
                                                                      : MAX_HEARTBEAT_THROTTLE_MS;
    return ctx;
}

void temporal__activity_ctx_free(struct temporal_activity_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->task != NULL)
        protobuf_c_message_free_unpacked(&ctx->task->base, NULL);
    temporal_payloads_cleanup(&ctx->input);
    temporal_payloads_cleanup(&ctx->previous_details);
    temporal_payloads_cleanup(&ctx->pending_details);
    temporal_payloads_cleanup(&ctx->last_details);
    temporal_payloads_cleanup(&ctx->failure_details);
    free(ctx->failure_type);
    free(ctx->failure_message);
    free(ctx);
}

/* Public context API ------------------------------------------------------------------------ */

const struct temporal_activity_info *temporal_activity_info(const struct temporal_activity_ctx *ctx)
{
    return &ctx->info;
}

int64_t temporal_activity_time_remaining_ms(const struct temporal_activity_ctx *ctx)
{
    if (ctx->info.deadline_ms == 0)
        return INT64_MAX;
    int64_t left = ctx->info.deadline_ms - temporal__now_epoch_ms();
    return left > 0 ? left : 0;
}

bool temporal_activity_worker_stopping(const struct temporal_activity_ctx *ctx)
{
    pthread_mutex_lock(&ctx->worker->mu);
    bool stopping = ctx->worker->stopping;
    pthread_mutex_unlock(&ctx->worker->mu);
    return stopping;
}

bool temporal_activity_is_cancelled(const struct temporal_activity_ctx *ctx)
{
    return temporal_activity_cancel_reason(ctx) != TEMPORAL_ACTIVITY_NOT_CANCELLED;
}

enum temporal_activity_cancel_reason
temporal_activity_cancel_reason(const struct temporal_activity_ctx *ctx)
{
    pthread_mutex_t *mu = &ctx->worker->mu;
    pthread_mutex_lock(mu);
    enum temporal_activity_cancel_reason r = ctx->cancel_reason;
    pthread_mutex_unlock(mu);
    return r;
}

static int copy_payloads(struct temporal_payloads *dst, const struct temporal_payloads *src)
{
    temporal_payloads_cleanup(dst);
    for (size_t i = 0; src != NULL && i < src->count; i++) {
        int rc = temporal_payloads_add_copy(dst, &src->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int temporal_activity_heartbeat(struct temporal_activity_ctx *ctx,
                                const struct temporal_payloads *details)
{
    struct temporal_worker *w = ctx->worker;
    pthread_mutex_lock(&w->mu);
    int rc = copy_payloads(&ctx->pending_details, details);
    if (rc == 0)
        rc = copy_payloads(&ctx->last_details, details);
    ctx->has_last_details = true;
    ctx->heartbeat_pending = true;
    /* Send now if the throttle interval has passed; otherwise the flusher sends it. */
    temporal__activity_flush_heartbeat(ctx, false);
    if (rc == 0 && ctx->cancel_reason != TEMPORAL_ACTIVITY_NOT_CANCELLED)
        rc = TEMPORAL_ECANCELED;
    pthread_cond_broadcast(&w->cv); /* the flusher may need to wake earlier */
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int64_t temporal__activity_flush_heartbeat(struct temporal_activity_ctx *ctx, bool force)
{
    struct temporal_worker *w = ctx->worker;
    if (ctx->task == NULL) { /* a local activity: nothing to tell the server */
        ctx->heartbeat_pending = false;
        return 0;
    }
    if (!ctx->heartbeat_pending || ctx->heartbeat_in_flight)
        return 0;
    int64_t now = temporal__now_monotonic_ms();
    int64_t due = ctx->last_heartbeat_sent_ms == 0 ? now
                                                   : ctx->last_heartbeat_sent_ms + ctx->heartbeat_throttle_ms;
    if (!force && now < due)
        return due;

    /* Take the pending details and send them without holding the lock. */
    struct temporal_payloads details = ctx->pending_details;
    temporal_payloads_init(&ctx->pending_details);
    ctx->heartbeat_pending = false;
    ctx->heartbeat_in_flight = true;
    ctx->last_heartbeat_sent_ms = now;
    pthread_mutex_unlock(&w->mu);

    int rc = 0;
    struct temporal__payloads_view view;
    temporal__payloads_view_init(&view, &details, &rc);
    Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_REQUEST__INIT;
    req.task_token = ctx->task->task_token;
    req.details = view.msg.n_payloads ? &view.msg : NULL;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse *resp = NULL;
    struct temporal_error err;
    if (rc == 0)
        rc = temporal__rpc_call(w->conn, WS("RecordActivityTaskHeartbeat"), &req.base,
                                &temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__descriptor,
                                (ProtobufCMessage **)&resp, NULL, &err);
    temporal__payloads_view_cleanup(&view);
    temporal_payloads_cleanup(&details);

    pthread_mutex_lock(&w->mu);
    ctx->heartbeat_in_flight = false;
    pthread_cond_broadcast(&w->cv); /* an executor may be waiting to free |ctx| */
    if (ctx->cancel_reason == TEMPORAL_ACTIVITY_NOT_CANCELLED) {
        if (rc == 0 && resp->cancel_requested)
            ctx->cancel_reason = TEMPORAL_ACTIVITY_CANCEL_REQUESTED;
        else if (rc == 0 && resp->activity_paused)
            ctx->cancel_reason = TEMPORAL_ACTIVITY_CANCEL_PAUSED;
        else if (rc == TEMPORAL_ENOT_FOUND || rc == TEMPORAL_ENAMESPACE_NOT_FOUND)
            ctx->cancel_reason = TEMPORAL_ACTIVITY_CANCEL_GONE;
    }
    if (resp != NULL)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return ctx->heartbeat_pending ? ctx->last_heartbeat_sent_ms + ctx->heartbeat_throttle_ms : 0;
}

int temporal_activity_fail(struct temporal_activity_ctx *ctx, const char *type,
                           const char *message, bool non_retryable,
                           const struct temporal_payloads *details)
{
    free(ctx->failure_type);
    free(ctx->failure_message);
    ctx->failure_type = temporal__strdup(temporal__empty(type) ? DEFAULT_FAILURE_TYPE : type);
    ctx->failure_message = temporal__strdup(message ? message : "");
    ctx->failure_non_retryable = non_retryable;
    copy_payloads(&ctx->failure_details, details);
    ctx->failed = true;
    return TEMPORAL_EACTIVITY_FAILED;
}

/* Execution and reporting ------------------------------------------------------------------- */

const struct temporal__activity_reg *temporal__activity_find(const struct temporal_worker *w,
                                                            const char *name)
{
    for (size_t i = 0; i < w->activity_count; i++)
        if (strcmp(w->activities[i].name, name) == 0)
            return &w->activities[i];
    return NULL;
}

void temporal__activity_registered_names(const struct temporal_worker *w, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < w->activity_count; i++)
        temporal__list_append(buf, cap, &used, w->activities[i].name);
}

/* Outcome RPCs are retried like any call, for longer: losing one would lose the result. */
#define COMPLETION_TIMEOUT_MS 30000

static void report_completed(struct temporal_activity_ctx *ctx, const struct temporal_payloads *out)
{
    struct temporal_worker *w = ctx->worker;
    int rc = 0;
    struct temporal__payloads_view view;
    temporal__payloads_view_init(&view, out, &rc);
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = ctx->task->task_token;
    req.result = view.msg.n_payloads ? &view.msg : NULL;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .timeout_ms = COMPLETION_TIMEOUT_MS };
    struct temporal_error err;
    if (rc == 0)
        temporal__rpc_call_discard(w->conn, WS("RespondActivityTaskCompleted"), &req.base,
                           &temporal__api__workflowservice__v1__respond_activity_task_completed_response__descriptor,
                           &co, &err);
    temporal__payloads_view_cleanup(&view);
}

static void report_canceled(struct temporal_activity_ctx *ctx)
{
    struct temporal_worker *w = ctx->worker;
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_REQUEST__INIT;
    req.task_token = ctx->task->task_token;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .timeout_ms = COMPLETION_TIMEOUT_MS };
    struct temporal_error err;
    temporal__rpc_call_discard(w->conn, WS("RespondActivityTaskCanceled"), &req.base,
                       &temporal__api__workflowservice__v1__respond_activity_task_canceled_response__descriptor,
                       &co, &err);
}

static void report_failed(struct temporal_activity_ctx *ctx, const char *type, const char *message,
                          bool non_retryable, const struct temporal_payloads *details)
{
    struct temporal_worker *w = ctx->worker;
    int rc = 0, rc2 = 0;
    struct temporal__payloads_view details_view, heartbeat_view;
    temporal__payloads_view_init(&details_view, details, &rc);
    temporal__payloads_view_init(&heartbeat_view,
                                 ctx->has_last_details ? &ctx->last_details : NULL, &rc2);

    Temporal__Api__Failure__V1__ApplicationFailureInfo app;
    Temporal__Api__Failure__V1__Failure failure;
    temporal__failure_application(&failure, &app, type, message, non_retryable, &details_view.msg);
    Temporal__Api__Deployment__V1__WorkerDeploymentOptions dep;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_REQUEST__INIT;
    req.task_token = ctx->task->task_token;
    req.failure = &failure;
    req.identity = w->identity;
    req.namespace_ = w->namespace_name;
    if (w->include_heartbeat_on_failure && heartbeat_view.msg.n_payloads)
        req.last_heartbeat_details = &heartbeat_view.msg;
    req.deployment_options = temporal__worker_deployment(w, &dep);
    struct temporal__rpc_call_options co = { .timeout_ms = COMPLETION_TIMEOUT_MS };
    struct temporal_error err;
    if (rc == 0 && rc2 == 0)
        temporal__rpc_call_discard(w->conn, WS("RespondActivityTaskFailed"), &req.base,
                           &temporal__api__workflowservice__v1__respond_activity_task_failed_response__descriptor,
                           &co, &err);
    temporal__payloads_view_cleanup(&details_view);
    temporal__payloads_view_cleanup(&heartbeat_view);
}

struct temporal__span *temporal__run_activity_span_start(struct temporal_tracer *tracer,
                                                        const struct temporal_activity_ctx *ctx,
                                                        const struct temporal__trace_ctx *parent)
{
    if (tracer == NULL)
        return NULL;
    struct temporal__span *span = temporal__span_start(tracer, TEMPORAL__SPAN_SERVER, "RunActivity",
                                                       ctx->info.activity_type, parent, NULL, 0,
                                                       NULL);
    temporal__span_attr(span, "temporalActivityID", ctx->info.activity_id);
    temporal__span_attr(span, "temporalWorkflowID", ctx->info.workflow_id);
    temporal__span_attr(span, "temporalRunID", ctx->info.workflow_run_id);
    return span;
}

void temporal__run_activity_span_end(struct temporal_tracer *tracer, struct temporal__span *span,
                                     const struct temporal_activity_ctx *ctx, int rc,
                                     bool cancelled, const char *message)
{
    /* As the Python interceptor sets it (this SDK has no benign failure category). */
    if (rc != 0 && ctx->failed)
        temporal__span_error(span, ctx->failure_type, ctx->failure_message);
    else if (rc != 0 && !cancelled)
        temporal__span_error(span, DEFAULT_FAILURE_TYPE, message);
    temporal__span_end(tracer, span, 0);
}

/* The RunActivity span of a polled task: its parent is the task's `_tracer-data` header
 * (the workflow's StartActivity span), else the tracer's default parent.  Without a tracer
 * nothing is read or built. */
static struct temporal__span *run_activity_span_start(struct temporal_activity_ctx *ctx,
                                                      struct temporal_tracer *tracer)
{
    if (tracer == NULL)
        return NULL;
    struct temporal__trace_ctx parent = {0};
    temporal__trace_ctx_from_header(ctx->task->header, &parent);
    struct temporal__span *span = temporal__run_activity_span_start(tracer, ctx, &parent);
    temporal__trace_ctx_clear(&parent);
    return span;
}

void temporal__activity_execute(struct temporal_activity_ctx *ctx)
{
    struct temporal_worker *w = ctx->worker;
    struct temporal_tracer *tracer = temporal__rpc_conn_tracer(w->conn);
    struct temporal__span *span = run_activity_span_start(ctx, tracer);
    const struct temporal__activity_reg *reg = temporal__activity_find(w, ctx->info.activity_type);
    if (reg == NULL) {
        char names[512], message[1024];
        temporal__activity_registered_names(w, names, sizeof(names));
        snprintf(message, sizeof(message),
                 "activity type '%s' is not registered on this worker (task queue '%s'); "
                 "registered: [%s]",
                 ctx->info.activity_type, w->task_queue, names);
        temporal__span_error(span, "NotFoundError", message);
        temporal__span_end(tracer, span, 0);
        report_failed(ctx, "NotFoundError", message, false, NULL);
        return;
    }

    struct temporal_payloads output = TEMPORAL_PAYLOADS_INIT;
    int64_t started_ms = temporal__now_monotonic_ms();
    int rc = reg->fn(ctx, &ctx->input, &output, reg->user_data);
    temporal__worker_latency(w, "temporal_activity_execution_latency",
                             (double)(temporal__now_monotonic_ms() - started_ms),
                             "activity_type", ctx->info.activity_type);
    if (rc != 0)
        temporal__worker_count(w, "temporal_activity_execution_failed", 1, "activity_type",
                               ctx->info.activity_type);
    enum temporal_activity_cancel_reason reason = temporal_activity_cancel_reason(ctx);

    char message[256] = "";
    if (rc != 0 && !ctx->failed)
        snprintf(message, sizeof(message), "activity '%s' returned %s (%s)",
                 ctx->info.activity_type, temporal_err_name(rc), temporal_strerror(rc));
    /* Cancelled: the workflow asked, the worker shut down, the activity was paused, the
     * server forgot the attempt (a shutdown or a pause is still reported as a failure). */
    temporal__run_activity_span_end(tracer, span, ctx, rc,
                                    rc == TEMPORAL_ECANCELED &&
                                        reason != TEMPORAL_ACTIVITY_NOT_CANCELLED,
                                    message);

    if (rc == 0) {
        if (ctx->info.scheduled_time_ms > 0)
            temporal__worker_latency(w, "temporal_activity_succeed_endtoend_latency",
                                     (double)(temporal__now_epoch_ms() - ctx->info.scheduled_time_ms),
                                     "activity_type", ctx->info.activity_type);
        report_completed(ctx, &output);
    } else if (ctx->failed) {
        report_failed(ctx, ctx->failure_type, ctx->failure_message, ctx->failure_non_retryable,
                      &ctx->failure_details);
    } else if (rc == TEMPORAL_ECANCELED && reason == TEMPORAL_ACTIVITY_CANCEL_REQUESTED) {
        /* Canceled only when the workflow asked for it; otherwise it is a failure. */
        report_canceled(ctx);
    } else if (rc == TEMPORAL_ECANCELED && reason == TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN) {
        report_failed(ctx, "WorkerShutdown",
                      "activity stopped because its worker shut down; it will be retried", false,
                      NULL);
    } else if (rc == TEMPORAL_ECANCELED && reason == TEMPORAL_ACTIVITY_CANCEL_GONE) {
        /* The server no longer has this attempt: nothing to report to. */
    } else {
        report_failed(ctx, DEFAULT_FAILURE_TYPE, message, false, NULL);
    }
    temporal_payloads_cleanup(&output);
}
