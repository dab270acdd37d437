/*
 * temporalio/features activity/: basic_no_workflow_timeout, cancel_try_cancel,
 * cancel_abandon, cancel_wait_cancel, retry_on_error, heartbeating, running_concurrently and
 * shutdown, against the dev server.  The README-only scenarios (cancel_abandon,
 * cancel_wait_cancel, heartbeating, running_concurrently) are written from their READMEs.
 *
 * Adaptations:
 *  - Cancellation scopes are branches: the activity runs in a spawned branch, which
 *    temporal_workflow_cancel_branch() cancels once the activity has signalled
 *    "activity-started" (upstream sleeps 1 ms and relies on the activity having started; a
 *    TRY cancellation of an activity that has not started would just drop it).  An
 *    ABANDONed activity is never told, so that workflow does not wait for its result; the
 *    activity learns its workflow closed (reason GONE) when it next heartbeats.
 *  - shutdown: Go's worker stop channel is temporal_activity_worker_stopping().
 *  - Activity errors surface in the workflow as temporal_workflow_last_error() (message and
 *    detail: ApplicationFailure type, "TimeoutFailure", "CanceledFailure").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

/* What activities share with the test (registration callbacks take no user data). */
static struct env {
    struct temporal_client *client; /* the activities' own client (cancel_*) */
    int started;                    /* shutdown: activities running */
    int reason;                     /* cancel_*: the cancel reason the activity saw */
    int attempts_seen[4];           /* heartbeating: details count each attempt saw */
    int last_detail[4];             /* heartbeating: the last detail each attempt saw */
    int64_t heartbeat_timeout_ms;   /* heartbeating: as the activity info tells it */
} env;

/* Workflow and activity state helpers ------------------------------------------------------ */

static int echo_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)ud;
    return temporal_payloads_add_string(out, "echo");
}

/* basic_no_workflow_timeout ------------------------------------------------------------------ */

static int basic_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads first = TEMPORAL_PAYLOADS_INIT;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    int rc = temporal_workflow_execute_activity(ctx, "Echo", NULL, &o, &first);
    temporal_payloads_cleanup(&first);
    if (rc != 0)
        return rc;
    struct temporal_activity_options o2 = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o2.schedule_to_close_timeout_ms = 60000; /* only this one */
    return temporal_workflow_execute_activity(ctx, "Echo", NULL, &o2, out);
}

/* cancel_try_cancel, cancel_abandon, cancel_wait_cancel ---------------------------------- */

/* The activity: signals "activity-started" to the main workflow (its argument), heartbeats
 * every second until cancelled (60 s at most), then signals "activity-result". */
static int cancellable_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out, void *ud)
{
    (void)out;
    struct env *e = ud;
    char main_id[160];
    ts_json_str(in, 0, main_id, sizeof(main_id));
    struct temporal_error err;
    int rc = temporal_client_signal_workflow(e->client, main_id, NULL, "activity-started", NULL, &err);
    if (rc != 0)
        return temporal_activity_fail(ctx, "SignalFailed", err.message, true, NULL);
    const char *result = "timeout";
    for (int i = 0; i < 60; i++) {
        ts_sleep_ms(1000);
        if (temporal_activity_heartbeat(ctx, NULL) == TEMPORAL_ECANCELED ||
            temporal_activity_is_cancelled(ctx)) {
            result = "cancelled";
            break;
        }
    }
    __atomic_store_n(&e->reason, (int)temporal_activity_cancel_reason(ctx), __ATOMIC_SEQ_CST);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, result);
    rc = temporal_client_signal_workflow(e->client, main_id, NULL, "activity-result", &args, &err);
    temporal_payloads_cleanup(&args);
    if (rc != 0)
        return temporal_activity_fail(ctx, "SignalFailed", err.message, true, NULL);
    return temporal_activity_is_cancelled(ctx) ? TEMPORAL_ECANCELED : 0;
}

struct cancel_state {
    bool started;
    char result[32];
};

static void on_started(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx, (void)args;
    ((struct cancel_state *)arg)->started = true;
}

static void on_result(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx;
    struct cancel_state *st = arg;
    ts_json_str(args, 0, st->result, sizeof(st->result));
    if (st->result[0] == '\0')
        snprintf(st->result, sizeof(st->result), "(not a string)");
}

static bool is_started(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct cancel_state *)arg)->started;
}

static bool has_result(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct cancel_state *)arg)->result[0] != '\0';
}

/* The scope: a branch running the activity with cancellation type |type|. */
struct scope_branch {
    enum temporal_activity_cancellation_type type;
    char main_id[160];
    char message[TEMPORAL_ERROR_MESSAGE_SIZE];
};

static int run_scope(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct scope_branch *b = arg;
    struct temporal_retry_policy retry = { .maximum_attempts = 1 };
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.schedule_to_close_timeout_ms = 60000;
    o.heartbeat_timeout_ms = 5000;
    o.retry_policy = &retry;
    o.cancellation_type = b->type;
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT, out = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_string(&in, b->main_id);
    if (rc == 0)
        rc = temporal_workflow_execute_activity(ctx, "CancellableActivity", &in, &o, &out);
    if (rc != 0)
        snprintf(b->message, sizeof(b->message), "%s", temporal_workflow_last_error(ctx)->message);
    temporal_payloads_cleanup(&in);
    temporal_payloads_cleanup(&out);
    return rc;
}

/* The main workflow; its argument is the cancellation type.  It runs the activity in a
 * branch, cancels the branch once the activity runs, and expects the activity's wait to end
 * with the cancellation; then (but for ABANDON, whose activity is never told) it waits for
 * the activity's "activity-result" signal, which must say "cancelled". */
static int cancel_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)out;
    struct cancel_state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    struct scope_branch *b = temporal_workflow_alloc(ctx, sizeof(*b));
    if (st == NULL || b == NULL)
        return TEMPORAL_ENOMEM;
    temporal_workflow_on_signal(ctx, "activity-started", on_started, st);
    temporal_workflow_on_signal(ctx, "activity-result", on_result, st);
    b->type = (enum temporal_activity_cancellation_type)ts_json_int(in, 0);
    snprintf(b->main_id, sizeof(b->main_id), "%s", temporal_workflow_info(ctx)->workflow_id);
    struct temporal_workflow_branch *h = NULL;
    int rc = temporal_workflow_spawn(ctx, run_scope, b, &h);
    if (rc == 0)
        rc = temporal_workflow_wait_condition(ctx, is_started, st);
    if (rc == 0)
        rc = temporal_workflow_cancel_branch(ctx, h);
    int jrc = h != NULL ? temporal_workflow_join(ctx, h) : 0;
    if (rc != 0)
        return rc;
    if (jrc != TEMPORAL_ECANCELED) {
        char msg[TEMPORAL_ERROR_MESSAGE_SIZE + 64];
        snprintf(msg, sizeof(msg), "expected activity cancel error, got: %s %s",
                 temporal_err_name(jrc), b->message);
        return temporal_workflow_fail(ctx, NULL, msg, true, NULL);
    }
    if (b->type == TEMPORAL_ACTIVITY_CANCEL_ABANDON)
        return 0;
    rc = temporal_workflow_wait_condition(ctx, has_result, st);
    if (rc != 0)
        return rc;
    if (strcmp(st->result, "cancelled") != 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "activity result: expected cancelled, got %s", st->result);
        return temporal_workflow_fail(ctx, NULL, msg, true, NULL);
    }
    return 0;
}

/* retry_on_error ----------------------------------------------------------------------------- */

static int always_fail_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    char msg[64];
    snprintf(msg, sizeof(msg), "activity attempt %d failed", (int)temporal_activity_info(ctx)->attempt);
    return temporal_activity_fail(ctx, NULL, msg, false, NULL);
}

static int retry_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct temporal_retry_policy retry = { .initial_interval_ms = 1, .backoff_coefficient = 1.0,
                                           .maximum_attempts = 5 };
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.schedule_to_close_timeout_ms = 60000;
    o.retry_policy = &retry;
    int rc = temporal_workflow_execute_activity(ctx, "AlwaysFailActivity", NULL, &o, out);
    if (rc == 0)
        return 0;
    /* Return the activity's error unchanged. */
    const struct temporal_failure_info *f = temporal_workflow_last_failure(ctx);
    if (f == NULL)
        return rc;
    return temporal_workflow_fail(ctx, f->type, f->message, f->non_retryable, f->details);
}

/* heartbeating ------------------------------------------------------------------------------- */

/*
 * Attempt 1 heartbeats 1, 2, 3 (throttled: 2 and 3 are kept, 3 goes with the failure) and
 * fails.  Attempt 2 sees [3], heartbeats 4 once and then stops heartbeating, so that the
 * heartbeat timeout ends it (its next heartbeat, well after the timeout, is refused).
 * Attempt 3 sees [4] and returns it.
 */
static int heartbeating_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                                 struct temporal_payloads *out, void *ud)
{
    (void)in;
    struct env *e = ud;
    const struct temporal_activity_info *info = temporal_activity_info(ctx);
    int attempt = info->attempt;
    if (attempt < 1 || attempt > 3)
        return temporal_activity_fail(ctx, "BadAttempt", "unexpected attempt", true, NULL);
    e->heartbeat_timeout_ms = info->heartbeat_timeout_ms;
    const struct temporal_payloads *seen = info->heartbeat_details;
    e->attempts_seen[attempt] = seen != NULL ? (int)seen->count : 0;
    e->last_detail[attempt] = seen != NULL && seen->count ? ts_json_int(seen, seen->count - 1) : 0;
    struct temporal_payloads d = TEMPORAL_PAYLOADS_INIT;
    int rc = 0;
    if (attempt == 1) {
        for (int i = 1; i <= 3 && rc == 0; i++) {
            temporal_payloads_cleanup(&d);
            ts_add_json_int(&d, i);
            rc = temporal_activity_heartbeat(ctx, &d);
        }
        temporal_payloads_cleanup(&d);
        return temporal_activity_fail(ctx, "Retry", "fail to retry with heartbeat details", false, NULL);
    }
    if (attempt == 2) {
        ts_add_json_int(&d, 4);
        rc = temporal_activity_heartbeat(ctx, &d);
        /* Silent for four heartbeat timeouts: the server times the attempt out. */
        ts_sleep_ms(4 * info->heartbeat_timeout_ms);
        rc = temporal_activity_heartbeat(ctx, &d);
        temporal_payloads_cleanup(&d);
        if (rc == TEMPORAL_ECANCELED)
            return rc; /* the attempt is gone: nothing is reported */
        return temporal_activity_fail(ctx, "NotTimedOut", "heartbeat timeout did not apply", true, NULL);
    }
    for (size_t i = 0; seen != NULL && i < seen->count; i++)
        if ((rc = temporal_payloads_add_copy(out, &seen->items[i])) != 0)
            return rc;
    return 0;
}

static int heartbeat_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                              struct temporal_payloads *out)
{
    (void)in;
    struct temporal_retry_policy retry = { .initial_interval_ms = 1, .backoff_coefficient = 1.0,
                                           .maximum_attempts = 3 };
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    o.heartbeat_timeout_ms = 1000;
    o.retry_policy = &retry;
    return temporal_workflow_execute_activity(ctx, "HeartbeatingActivity", NULL, &o, out);
}

/* running_concurrently ------------------------------------------------------------------------ */

static int echo_arg_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)ud;
    return in->count ? temporal_payloads_add_copy(out, &in->items[0]) : TEMPORAL_EINVAL;
}

struct echo_branch {
    const char *value;
    struct temporal_payloads out;
};

static int run_echo_arg(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct echo_branch *b = arg;
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    int rc = temporal_payloads_add_string(&in, b->value);
    if (rc == 0)
        rc = temporal_workflow_execute_activity(ctx, "EchoArg", &in, &o, &b->out);
    temporal_payloads_cleanup(&in);
    return rc;
}

static int concurrent_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in;
    /* Branch state lives with the run (see cancel_workflow). */
    struct echo_branch *b = temporal_workflow_alloc(ctx, 3 * sizeof(*b));
    if (b == NULL)
        return TEMPORAL_ENOMEM;
    b[0].value = "a", b[1].value = "b", b[2].value = "c";
    struct temporal_workflow_branch *h[3] = { NULL, NULL, NULL };
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = temporal_workflow_spawn(ctx, run_echo_arg, &b[i], &h[i]);
    char joined[16] = "";
    for (int i = 0; i < 3; i++) {
        int jrc = h[i] != NULL ? temporal_workflow_join(ctx, h[i]) : 0;
        if (rc == 0)
            rc = jrc;
        char v[8];
        ts_json_str(&b[i].out, 0, v, sizeof(v));
        strcat(joined, v);
        temporal_payloads_cleanup(&b[i].out);
    }
    return rc ? rc : temporal_payloads_add_string(out, joined);
}

/* shutdown ------------------------------------------------------------------------------------- */

/* Waits until the worker begins to shut down (Go's worker stop channel). */
static void wait_worker_shutdown(struct temporal_activity_ctx *ctx, struct env *e)
{
    __atomic_add_fetch(&e->started, 1, __ATOMIC_SEQ_CST);
    while (!temporal_activity_worker_stopping(ctx))
        ts_sleep_ms(20);
}

static int cancel_success(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out;
    wait_worker_shutdown(ctx, ud);
    return 0;
}

static int cancel_failure(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out;
    wait_worker_shutdown(ctx, ud);
    return temporal_activity_fail(ctx, NULL, "worker is shutting down", false, NULL);
}

static int cancel_ignore(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)out, (void)ud;
    ts_sleep_ms(15000);
    return 0;
}

struct shutdown_branch {
    const char *type;
    int64_t schedule_to_close_ms;
    int rc;
    char message[TEMPORAL_ERROR_MESSAGE_SIZE];
    char detail[TEMPORAL_ERROR_DETAIL_SIZE];
    struct temporal_payloads out;
};

static int run_shutdown_activity(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct shutdown_branch *b = arg;
    struct temporal_retry_policy retry = { .maximum_attempts = 1 };
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.schedule_to_close_timeout_ms = b->schedule_to_close_ms;
    o.retry_policy = &retry;
    b->rc = temporal_workflow_execute_activity(ctx, b->type, NULL, &o, &b->out);
    temporal_payloads_cleanup(&b->out);
    if (b->rc != 0) {
        const struct temporal_error *e = temporal_workflow_last_error(ctx);
        snprintf(b->message, sizeof(b->message), "%s", e->message);
        snprintf(b->detail, sizeof(b->detail), "%s", e->detail);
    }
    return 0;
}

static int shutdown_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    (void)in;
    /* Branch state lives with the run (see cancel_workflow). */
    struct shutdown_branch *b = temporal_workflow_alloc(ctx, 3 * sizeof(*b));
    if (b == NULL)
        return TEMPORAL_ENOMEM;
    b[0].type = "CancelSuccess", b[0].schedule_to_close_ms = 30000;
    b[1].type = "CancelFailure", b[1].schedule_to_close_ms = 30000;
    b[2].type = "CancelIgnore", b[2].schedule_to_close_ms = 300;
    struct temporal_workflow_branch *h[3] = { NULL, NULL, NULL };
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = temporal_workflow_spawn(ctx, run_shutdown_activity, &b[i], &h[i]);
    for (int i = 0; i < 3; i++) {
        int jrc = h[i] != NULL ? temporal_workflow_join(ctx, h[i]) : 0;
        if (rc == 0)
            rc = jrc; /* TEMPORAL_ECANCELED: the run is being dropped */
    }
    if (rc != 0)
        return rc;
    char msg[2 * TEMPORAL_ERROR_MESSAGE_SIZE];
    if (b[0].rc != 0) {
        snprintf(msg, sizeof(msg), "CancelSuccess failed: %s", b[0].message);
        return temporal_workflow_fail(ctx, NULL, msg, true, NULL);
    }
    if (b[1].rc == 0 || strstr(b[1].message, "worker is shutting down") == NULL) {
        snprintf(msg, sizeof(msg), "CancelFailure: unexpected outcome: %s", b[1].message);
        return temporal_workflow_fail(ctx, NULL, msg, true, NULL);
    }
    if (b[2].rc == 0 || strcmp(b[2].detail, "TimeoutFailure") != 0 ||
        strstr(b[2].message, "ScheduleToClose") == NULL) {
        snprintf(msg, sizeof(msg), "CancelIgnore: expected a ScheduleToClose timeout, got %s: %s",
                 b[2].detail, b[2].message);
        return temporal_workflow_fail(ctx, NULL, msg, true, NULL);
    }
    return temporal_payloads_add_string(out, "done");
}

/* Registration and driver helpers --------------------------------------------------------------- */

static void register_all(struct temporal_worker *w)
{
    static const struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = { { "BasicWorkflow", basic_workflow },     { "CancelWorkflow", cancel_workflow },
{ "RetryWorkflow", retry_workflow },
                { "HeartbeatWorkflow", heartbeat_workflow }, { "ConcurrentWorkflow", concurrent_workflow },
                { "ShutdownWorkflow", shutdown_workflow } };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(w, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                         0);
    static const struct {
        const char *name;
        temporal_activity_fn fn;
    } acts[] = { { "Echo", echo_activity },
                 { "CancellableActivity", cancellable_activity },
                 { "AlwaysFailActivity", always_fail_activity },
                 { "HeartbeatingActivity", heartbeating_activity },
                 { "EchoArg", echo_arg_activity },
                 { "CancelSuccess", cancel_success },
                 { "CancelFailure", cancel_failure },
                 { "CancelIgnore", cancel_ignore } };
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
        assert_int_equal(temporal_worker_register_activity(w, acts[i].name, acts[i].fn, &env), 0);
}

static void reset_env(void)
{
    memset(&env, 0, sizeof(env));
}

/* The workflow's result as a string (asserting success). */
static void result_string(struct ts_worker *tw, const char *id, char *buf, size_t cap)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    ts_json_str(&res, 0, buf, cap);
    temporal_payloads_cleanup(&res);
}

/* The events of workflow |id|'s history (CLI JSON; json_decref the document). */
static json_t *history(const char *id, json_t **doc)
{
    *doc = ts_cli_json("workflow show -w %s", id);
    assert_non_null(*doc);
    return json_object_get(*doc, "events");
}

static const char *event_type(json_t *e)
{
    return json_string_value(json_object_get(e, "eventType"));
}

/* Index of the first event of |type| in |events|, or -1. */
static int find_event(json_t *events, const char *type)
{
    for (size_t i = 0; i < json_array_size(events); i++)
        if (strcmp(event_type(json_array_get(events, i)), type) == 0)
            return (int)i;
    return -1;
}

static size_t count_events(json_t *events, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(events); i++)
        n += strcmp(event_type(json_array_get(events, i)), type) == 0;
    return n;
}

/* Scenarios ----------------------------------------------------------------------------------- */

static void basic_no_workflow_timeout(void **state)
{
    (void)state;
    reset_env();
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-act-basic", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "BasicWorkflow";
    so.task_queue = tw.task_queue;
    /* No execution_timeout_ms (nor run timeout): the workflow has none. */
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, NULL, &err), err);
    char got[32];
    result_string(&tw, id, got, sizeof(got));
    assert_string_equal(got, "echo");

    json_t *doc;
    json_t *events = history(id, &doc);
    json_t *started = json_object_get(json_array_get(events, 0), "workflowExecutionStartedEventAttributes");
    const char *t = json_string_value(json_object_get(started, "workflowExecutionTimeout"));
    assert_true(t == NULL || strcmp(t, "0s") == 0);
    assert_int_equal(count_events(events, "EVENT_TYPE_ACTIVITY_TASK_COMPLETED"), 2);
    json_decref(doc);
    ts_worker_stop(&tw);
}

/* Runs the cancel scenario with |type|; returns the cancel reason the activity saw and
 * leaves the workflow's history in |*doc|. */
static int run_cancel(const char *prefix, enum temporal_activity_cancellation_type type, json_t **doc,
                      json_t **events)
{
    reset_env();
    env.client = ts_connect();
    env.reason = -1;
    struct ts_worker tw;
    ts_feature_worker(&tw, prefix, -1, register_all);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(ts_add_json_int(&args, (int)type), 0);
    char id[160];
    ts_feature_start(&tw, "CancelWorkflow", &args, id, sizeof(id));
    temporal_payloads_cleanup(&args);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err); /* completes successfully, no result */
    assert_int_equal(res.count, 0);
    temporal_payloads_cleanup(&res);
    /* An abandoned activity learns nothing until its workflow has closed. */
    while (__atomic_load_n(&env.reason, __ATOMIC_SEQ_CST) == -1)
        ts_sleep_ms(50);
    *events = history(id, doc);
    ts_worker_stop(&tw);
    temporal_client_free(env.client);
    env.client = NULL;
    int reason = __atomic_load_n(&env.reason, __ATOMIC_SEQ_CST);
    print_message("activity saw cancel reason %d\n", reason);
    return reason;
}

static void cancel_try_cancel(void **state)
{
    (void)state;
    json_t *doc, *events;
    int reason = run_cancel("feat-act-try", TEMPORAL_ACTIVITY_CANCEL_TRY, &doc, &events);
    /* Told through a heartbeat response. */
    assert_int_equal(reason, TEMPORAL_ACTIVITY_CANCEL_REQUESTED);
    /* The cancel request was sent before the workflow completed. */
    int requested = find_event(events, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED");
    int completed = find_event(events, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED");
    assert_true(requested >= 0 && completed > requested);
    json_decref(doc);
}

static void cancel_abandon(void **state)
{
    (void)state;
    json_t *doc, *events;
    int reason = run_cancel("feat-act-abandon", TEMPORAL_ACTIVITY_CANCEL_ABANDON, &doc, &events);
    /* Nothing was sent: the activity only noticed that its workflow had closed. */
    assert_int_equal(reason, TEMPORAL_ACTIVITY_CANCEL_GONE);
    assert_int_equal(find_event(events, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED"), -1);
    assert_true(find_event(events, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED") >= 0);
    json_decref(doc);
}

static void cancel_wait_cancel(void **state)
{
    (void)state;
    json_t *doc, *events;
    int reason = run_cancel("feat-act-wait", TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED, &doc, &events);
    /* Told through a heartbeat response; the scope waited for ActivityTaskCanceled. */
    assert_int_equal(reason, TEMPORAL_ACTIVITY_CANCEL_REQUESTED);
    int requested = find_event(events, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED");
    int canceled = find_event(events, "EVENT_TYPE_ACTIVITY_TASK_CANCELED");
    int completed = find_event(events, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED");
    assert_true(requested >= 0 && canceled > requested && completed > canceled);
    json_decref(doc);
}

static void retry_on_error(void **state)
{
    (void)state;
    reset_env();
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-act-retry", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "RetryWorkflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    int rc = ts_feature_result(&tw, id, &res, &err);
    print_message("result: %s: %s (detail %s)\n", temporal_err_name(rc), err.message, err.detail);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_FAILED);
    assert_non_null(strstr(err.message, "activity attempt 5 failed"));
    assert_string_equal(err.detail, "TemporalCError");
    temporal_payloads_cleanup(&res);

    /* History: one recorded attempt (the last), failed with the attempt limit reached. */
    json_t *doc;
    json_t *events = history(id, &doc);
    assert_int_equal(count_events(events, "EVENT_TYPE_ACTIVITY_TASK_STARTED"), 1);
    json_t *sched = json_object_get(json_array_get(events, find_event(events, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED")),
                                    "activityTaskScheduledEventAttributes");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(sched, "retryPolicy"),
                                                        "maximumAttempts")),
                     5);
    int fi = find_event(events, "EVENT_TYPE_ACTIVITY_TASK_FAILED");
    assert_true(fi >= 0);
    json_t *failed = json_object_get(json_array_get(events, (size_t)fi), "activityTaskFailedEventAttributes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(failed, "failure"), "message")),
                        "activity attempt 5 failed");
    assert_string_equal(json_string_value(json_object_get(failed, "retryState")),
                        "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED");
    json_decref(doc);
    ts_worker_stop(&tw);
}

static void heartbeating(void **state)
{
    (void)state;
    reset_env();
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-act-heartbeat", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "HeartbeatWorkflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    assert_int_equal(ts_json_int(&res, 0), 4);
    temporal_payloads_cleanup(&res);
    ts_worker_stop(&tw);
    assert_int_equal(env.heartbeat_timeout_ms, 1000);
    /* Attempt 1 saw no details; attempt 2 the last of attempt 1 (sent with its failure,
     * although throttling held it back); attempt 3 those of the attempt that timed out. */
    assert_int_equal(env.attempts_seen[1], 0);
    assert_int_equal(env.attempts_seen[2], 1);
    assert_int_equal(env.last_detail[2], 3);
    assert_int_equal(env.attempts_seen[3], 1);
    assert_int_equal(env.last_detail[3], 4);
}

static void running_concurrently(void **state)
{
    (void)state;
    reset_env();
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-act-concurrent", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "ConcurrentWorkflow", NULL, id, sizeof(id));
    char got[32];
    result_string(&tw, id, got, sizeof(got));
    assert_string_equal(got, "abc");
    /* All three were scheduled by the completion of one workflow task. */
    json_t *doc;
    json_t *events = history(id, &doc);
    assert_int_equal(count_events(events, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"), 3);
    const char *wft = NULL;
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        if (strcmp(event_type(e), "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") != 0)
            continue;
        const char *w = json_string_value(json_object_get(
            json_object_get(e, "activityTaskScheduledEventAttributes"), "workflowTaskCompletedEventId"));
        assert_non_null(w);
        if (wft == NULL)
            wft = w;
        assert_string_equal(w, wft);
    }
    json_decref(doc);
    ts_worker_stop(&tw);
}

/* A worker on |task_queue| with a 1 s graceful shutdown timeout. */
static void shutdown_worker(struct ts_worker *tw, const char *task_queue)
{
    memset(tw, 0, sizeof(*tw));
    snprintf(tw->task_queue, sizeof(tw->task_queue), "%s", task_queue);
    tw->client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw->task_queue;
    o.graceful_shutdown_timeout_ms = 1000;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw->worker, tw->client, &o, &err), err);
    register_all(tw->worker);
    ts_worker_run(tw);
}

static void shutdown_case(void **state)
{
    (void)state;
    reset_env();
    char queue[96];
    ts_unique(queue, sizeof(queue), "feat-act-shutdown");
    struct ts_worker first, second;
    shutdown_worker(&first, queue);
    char id[160];
    ts_feature_start(&first, "ShutdownWorkflow", NULL, id, sizeof(id));

    /* Wait (up to 5 s) for the activities to be scheduled... */
    struct temporal_error err;
    bool scheduled = false;
    for (int i = 0; i < 50 && !scheduled; i++) {
        struct temporal_history h;
        TS_OK(temporal_client_fetch_history(first.client, id, NULL, &h, &err), err);
        for (size_t k = 0; k < h.count; k++)
            scheduled |= strcmp(h.events[k].event_type_name, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") == 0;
        temporal_history_cleanup(&h);
        if (!scheduled)
            ts_sleep_ms(100);
    }
    assert_true(scheduled);
    /* ... and for CancelSuccess and CancelFailure to run on this worker (CancelIgnore may
     * already have timed out). */
    for (int i = 0; i < 600 && __atomic_load_n(&env.started, __ATOMIC_SEQ_CST) < 2; i++)
        ts_sleep_ms(50);
    assert_int_equal(__atomic_load_n(&env.started, __ATOMIC_SEQ_CST), 2);

    /* Stop the worker (its activities get 1 s), and start a new one on the same queue. */
    temporal_worker_stop(first.worker);
    shutdown_worker(&second, queue);
    char got[32];
    result_string(&second, id, got, sizeof(got));
    assert_string_equal(got, "done");
    ts_worker_stop(&first); /* returns once CancelIgnore has finished sleeping */
    ts_worker_stop(&second);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(basic_no_workflow_timeout),
    cmocka_unit_test(cancel_try_cancel),
    cmocka_unit_test(cancel_abandon),
    cmocka_unit_test(cancel_wait_cancel),
    cmocka_unit_test(retry_on_error),
    cmocka_unit_test(heartbeating),
    cmocka_unit_test(running_concurrently),
    /* named "shutdown" like the scenario (the function name would shadow shutdown(2)) */
    { "shutdown", shutdown_case, NULL, NULL, NULL },
};
TS_MAIN(tests)
