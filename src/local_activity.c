/*
 * local_activity: executes the local activities of workflow runs.  Each one gets a thread
 * that runs its attempts (the registered activity function, with a context that has no
 * task token: heartbeats go nowhere) with the retry policy's backoff in between, until it
 * succeeds, fails for good, runs out of time, or is cancelled; the outcome waits in the
 * execution for the thread that processes the run's workflow task (wf_worker.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_int.h"

#define DEFAULT_FAILURE_TYPE "TemporalCError"

static char *dup_or_empty(const char *s) { return temporal__strdup(s ? s : ""); }

static void exec_free(struct temporal__la_exec *x)
{
    free(x->seq);
    free(x->activity_type);
    free(x->workflow_id);
    free(x->run_id);
    free(x->workflow_type);
    temporal_payloads_cleanup(&x->input);
    for (size_t i = 0; x->non_retryable && i < x->retry.non_retryable_error_types_count; i++)
        free(x->non_retryable[i]);
    free(x->non_retryable);
    temporal_payloads_cleanup(&x->outcome.result);
    temporal_payloads_cleanup(&x->outcome.failure_details);
    free(x->failure_type);
    free(x->failure_message);
    temporal__trace_ctx_clear(&x->trace);
    free(x);
}

/* The context of attempt |attempt| of |x|, ready to run now (once it has a slot). */
static struct temporal_activity_ctx *attempt_ctx(struct temporal__la_exec *x, int32_t attempt)
{
    struct temporal_activity_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return NULL;
    ctx->worker = x->w;
    temporal_payloads_init(&ctx->previous_details);
    struct temporal_activity_info *in = &ctx->info;
    in->activity_id = x->seq;
    in->activity_type = x->activity_type;
    in->task_queue = x->w->task_queue;
    in->workflow_namespace = x->w->namespace_name;
    in->workflow_id = x->workflow_id;
    in->workflow_run_id = x->run_id;
    in->workflow_type = x->workflow_type;
    in->attempt = attempt;
    in->scheduled_time_ms = x->scheduled_ms;
    in->current_attempt_scheduled_time_ms = temporal__now_epoch_ms();
    in->heartbeat_details = &ctx->previous_details;
    return ctx;
}

/* The attempt |ctx| of |x| starts now (it has its slot): its start time and deadline. */
static void attempt_started(struct temporal__la_exec *x, struct temporal_activity_ctx *ctx)
{
    struct temporal_activity_info *in = &ctx->info;
    in->started_time_ms = temporal__now_epoch_ms();
    int64_t deadline = 0;
    if (x->schedule_to_close_ms > 0)
        deadline = x->scheduled_ms + x->schedule_to_close_ms;
    if (x->start_to_close_ms > 0 &&
        (deadline == 0 || in->started_time_ms + x->start_to_close_ms < deadline))
        deadline = in->started_time_ms + x->start_to_close_ms;
    in->deadline_ms = deadline;
}

static bool type_is_non_retryable(const struct temporal__la_exec *x, const char *type)
{
    for (size_t i = 0; i < x->retry.non_retryable_error_types_count; i++)
        if (strcmp(x->non_retryable[i], type) == 0)
            return true;
    return false;
}

/* Records the failure of the last attempt as the outcome. */
static void set_failure(struct temporal__la_exec *x, const char *type, const char *message,
                        bool non_retryable, const struct temporal_payloads *details)
{
    free(x->failure_type);
    free(x->failure_message);
    temporal_payloads_cleanup(&x->outcome.failure_details);
    x->failure_type = temporal__strdup(temporal__empty(type) ? DEFAULT_FAILURE_TYPE : type);
    x->failure_message = temporal__strdup(message ? message : "");
    for (size_t i = 0; details != NULL && i < details->count; i++)
        temporal_payloads_add_copy(&x->outcome.failure_details, &details->items[i]);
    x->outcome.code = TEMPORAL_EACTIVITY_FAILED;
    x->outcome.non_retryable = non_retryable;
    x->outcome.failure_type = x->failure_type ? x->failure_type : DEFAULT_FAILURE_TYPE;
    x->outcome.failure_message = x->failure_message ? x->failure_message : "";
}

static void *la_main(void *arg)
{
    struct temporal__la_exec *x = arg;
    struct temporal_worker *w = x->w;
    struct temporal_tracer *tracer = temporal__rpc_conn_tracer(w->conn);
    const struct temporal__activity_reg *reg = temporal__activity_find(w, x->activity_type);
    int32_t attempt = x->first_attempt;
    if (reg == NULL) {
        char names[512], message[800];
        temporal__activity_registered_names(w, names, sizeof(names));
        snprintf(message, sizeof(message),
                 "local activity type '%s' is not registered on this worker (task queue '%s'); "
                 "registered: [%s]",
                 x->activity_type, w->task_queue, names);
        set_failure(x, "NotFoundError", message, true, NULL);
    }
    for (; reg != NULL; attempt++) {
        struct temporal_activity_ctx *ctx = attempt_ctx(x, attempt);
        if (ctx == NULL) {
            set_failure(x, DEFAULT_FAILURE_TYPE, "out of memory starting a local activity", false, NULL);
            break;
        }
        /* Wait for a slot (max_concurrent_local_activities); a cancellation ends the wait. */
        pthread_mutex_lock(&w->mu);
        while (!x->cancel && w->la_running >= w->max_concurrent_local_activities)
            pthread_cond_wait(&w->cv, &w->mu);
        if (x->cancel && w->la_running >= w->max_concurrent_local_activities) {
            pthread_mutex_unlock(&w->mu);
            x->outcome.code = TEMPORAL_ECANCELED;
            temporal__activity_ctx_free(ctx);
            break;
        }
        w->la_running++;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_LOCAL_ACTIVITY);
        attempt_started(x, ctx);
        x->attempt = ctx;
        if (x->cancel)
            ctx->cancel_reason = x->cancel_reason;
        pthread_mutex_unlock(&w->mu);
        temporal__worker_count(w, "temporal_local_activity_total", 1, "activity_type",
                               x->activity_type);

        /* Each attempt is a RunActivity span, a child of the workflow's StartActivity. */
        struct temporal__span *span = temporal__run_activity_span_start(tracer, ctx, &x->trace);
        struct temporal_payloads output = TEMPORAL_PAYLOADS_INIT;
        int64_t run_start_ms = temporal__now_monotonic_ms();
        int rc = reg->fn(ctx, &x->input, &output, reg->user_data);
        temporal__worker_latency(w, "temporal_local_activity_execution_latency",
                                 (double)(temporal__now_monotonic_ms() - run_start_ms),
                                 "activity_type", x->activity_type);

        pthread_mutex_lock(&w->mu);
        x->attempt = NULL;
        w->la_running--;
        temporal__worker_slots_changed(w, TEMPORAL__SLOTS_LOCAL_ACTIVITY);
        pthread_cond_broadcast(&w->cv); /* a waiting local activity may start */
        bool cancelled = rc == TEMPORAL_ECANCELED && x->cancel;
        pthread_mutex_unlock(&w->mu);
        char message[256] = "";
        if (rc != 0 && !ctx->failed)
            snprintf(message, sizeof(message), "local activity '%s' returned %s (%s)",
                     x->activity_type, temporal_err_name(rc), temporal_strerror(rc));
        temporal__run_activity_span_end(tracer, span, ctx, rc, cancelled, message);
        if (rc == 0)
            temporal__worker_latency(w, "temporal_local_activity_succeed_endtoend_latency",
                                     (double)(temporal__now_epoch_ms() - x->scheduled_ms),
                                     "activity_type", x->activity_type);
        else
            temporal__worker_count(w,
                                   cancelled ? "temporal_local_activity_execution_cancelled"
                                             : "temporal_local_activity_execution_failed",
                                   1, "activity_type", x->activity_type);
        if (rc == 0) {
            x->outcome.code = 0;
            x->outcome.result = output;
            temporal__activity_ctx_free(ctx);
            break;
        }
        temporal_payloads_cleanup(&output);
        if (cancelled) {
            x->outcome.code = TEMPORAL_ECANCELED;
            temporal__activity_ctx_free(ctx);
            break;
        }
        if (ctx->failed)
            set_failure(x, ctx->failure_type, ctx->failure_message, ctx->failure_non_retryable,
                        &ctx->failure_details);
        else
            set_failure(x, DEFAULT_FAILURE_TYPE, message, false, NULL);
        temporal__activity_ctx_free(ctx);

        /* Retry?  Not if the failure says so, attempts are used up, or time is. */
        const struct temporal_retry_policy *p = &x->retry;
        double backoff = (double)p->initial_interval_ms * pow(p->backoff_coefficient, attempt - 1);
        if (backoff > (double)p->maximum_interval_ms)
            backoff = (double)p->maximum_interval_ms;
        int64_t backoff_ms = (int64_t)backoff;
        bool retry = !x->outcome.non_retryable && !type_is_non_retryable(x, x->outcome.failure_type) &&
                     (p->maximum_attempts <= 0 || attempt < p->maximum_attempts) &&
                     (x->schedule_to_close_ms <= 0 ||
                      temporal__now_epoch_ms() + backoff_ms < x->scheduled_ms + x->schedule_to_close_ms);
        if (!retry)
            break;
        if (backoff_ms > x->local_retry_threshold_ms) {
            x->outcome.backoff_ms = backoff_ms; /* the workflow sleeps it on a timer */
            break;
        }
        pthread_mutex_lock(&w->mu);
        int64_t until = temporal__now_monotonic_ms() + backoff_ms;
        while (!x->cancel && temporal__now_monotonic_ms() < until)
            temporal__worker_wait_ms(w, until - temporal__now_monotonic_ms());
        cancelled = x->cancel;
        pthread_mutex_unlock(&w->mu);
        if (cancelled) {
            x->outcome.code = TEMPORAL_ECANCELED;
            break;
        }
    }
    x->outcome.attempt = attempt;
    pthread_mutex_lock(&w->mu);
    x->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct temporal__la_exec *temporal__la_start(struct temporal_worker *w,
                                             const struct temporal_workflow_ctx *run,
                                             const struct temporal__la_request *r)
{
    struct temporal__la_exec *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    const struct temporal_workflow_info *info = temporal_workflow_info(run);
    x->w = w;
    x->seq = dup_or_empty(r->seq);
    x->activity_type = dup_or_empty(r->activity_type);
    x->workflow_id = dup_or_empty(info->workflow_id);
    x->run_id = dup_or_empty(info->run_id);
    x->workflow_type = dup_or_empty(info->workflow_type);
    x->schedule_to_close_ms = r->schedule_to_close_ms;
    x->start_to_close_ms = r->start_to_close_ms;
    x->scheduled_ms = r->scheduled_time_ms > 0 ? r->scheduled_time_ms : temporal__now_epoch_ms();
    x->first_attempt = r->attempt > 0 ? r->attempt : 1;
    x->local_retry_threshold_ms = r->local_retry_threshold_ms;
    x->retry = *r->retry;
    bool ok = x->seq && x->activity_type && x->workflow_id && x->run_id && x->workflow_type;
    for (size_t i = 0; ok && r->input != NULL && i < r->input->count; i++)
        ok = temporal_payloads_add_copy(&x->input, &r->input->items[i]) == 0;
    size_t n = r->retry->non_retryable_error_types_count;
    x->retry.non_retryable_error_types_count = 0;
    if (ok && n > 0) {
        ok = (x->non_retryable = calloc(n, sizeof(char *))) != NULL;
        for (size_t i = 0; ok && i < n; i++) {
            ok = (x->non_retryable[i] = temporal__strdup(r->retry->non_retryable_error_types[i])) != NULL;
            x->retry.non_retryable_error_types_count += ok;
        }
    }
    x->retry.non_retryable_error_types = (const char *const *)x->non_retryable;
    /* Tracing is best effort: without memory for the context, attempts start traces of their own. */
    if (ok && r->trace != NULL)
        (void)temporal__trace_ctx_copy(&x->trace, r->trace);
    if (!ok || pthread_create(&x->thread, NULL, la_main, x) != 0) {
        exec_free(x);
        return NULL;
    }
    return x;
}

void temporal__la_cancel_locked(struct temporal__la_exec *x, enum temporal_activity_cancel_reason reason)
{
    if (x->cancel)
        return;
    x->cancel = true;
    x->cancel_reason = reason;
    if (x->attempt != NULL && x->attempt->cancel_reason == TEMPORAL_ACTIVITY_NOT_CANCELLED)
        x->attempt->cancel_reason = reason;
    pthread_cond_broadcast(&x->w->cv); /* a backoff wait ends */
}

void temporal__la_free(struct temporal__la_exec *x)
{
    if (x == NULL)
        return;
    pthread_join(x->thread, NULL);
    exec_free(x);
}
