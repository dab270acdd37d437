/*
 * temporalio/features local_activity/ (README-only upstream): local activities run by our
 * worker, their markers in history, retries in the worker, the workflow task kept alive
 * while one runs long, cancellation, and replay from the markers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

static int calls; /* attempts of the activities below, across the test */
static int saw_cancel; /* times "Slow" saw a cancellation */
static int slow_override_ms = -1; /* >= 0: how long "Slow" runs, whatever its input */

/* Activities ---------------------------------------------------------------------------------- */

/* For limited_concurrency: how many EchoPlusOne attempts ran at once, and how long each takes. */
static int echo_in_flight, echo_max_in_flight, echo_sleep_ms;

static int echo_plus_one(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    int now = __atomic_add_fetch(&echo_in_flight, 1, __ATOMIC_SEQ_CST);
    int seen = __atomic_load_n(&echo_max_in_flight, __ATOMIC_SEQ_CST);
    while (now > seen &&
           !__atomic_compare_exchange_n(&echo_max_in_flight, &seen, now, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        ;
    if (echo_sleep_ms > 0)
        ts_sleep_ms(echo_sleep_ms);
    __atomic_sub_fetch(&echo_in_flight, 1, __ATOMIC_SEQ_CST);
    return ts_add_json_int(out, ts_json_int(in, 0) + 1);
}

static int always_fail(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    char msg[64];
    snprintf(msg, sizeof(msg), "local activity attempt %d failed",
             (int)temporal_activity_info(ctx)->attempt);
    return temporal_activity_fail(ctx, "AttemptFailed", msg, false, NULL);
}

static int fail_for_good(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    return temporal_activity_fail(ctx, "Permanent", "this will never work", true, NULL);
}

/* Fails its first two attempts; succeeds on the third (backoff_with_persistent_timer). Its
 * input > 0 makes it fail every time (cancel_failing). */
static int third_time_lucky(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out, void *ud)
{
    (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    int32_t attempt = temporal_activity_info(ctx)->attempt;
    if (attempt < 3 || ts_json_int(in, 0) > 0)
        return temporal_activity_fail(ctx, "NotYet", "not this time", false, NULL);
    return ts_add_json_int(out, attempt);
}

/* Runs |ms| milliseconds (given as input) unless cancelled first; returns "done" or fails
 * with TEMPORAL_ECANCELED. */
static int slow(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                struct temporal_payloads *out, void *ud)
{
    (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    int ms = ts_json_int(in, 0);
    int override = __atomic_load_n(&slow_override_ms, __ATOMIC_SEQ_CST);
    if (override >= 0)
        ms = override;
    for (int waited = 0; waited < ms; waited += 20) {
        if (temporal_activity_is_cancelled(ctx)) {
            __atomic_add_fetch(&saw_cancel, 1, __ATOMIC_SEQ_CST);
            return TEMPORAL_ECANCELED;
        }
        ts_sleep_ms(20);
    }
    return temporal_payloads_add_json(out, "\"done\"", 6);
}

/* Returns nothing at all. */
static int nothing(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                   struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)out, (void)ud;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Workflows ---------------------------------------------------------------------------------- */

static struct temporal_local_activity_options la_options(void)
{
    struct temporal_local_activity_options o = TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    return o;
}

/* Three local activities in a row: 0 -> 3 (serial; complete_immediately is the first). */
static int serial_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in;
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads v = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&v, 0);
    for (int i = 0; i < 3; i++) {
        struct temporal_payloads next = TEMPORAL_PAYLOADS_INIT;
        int rc = temporal_workflow_execute_local_activity(ctx, "EchoPlusOne", &v, &o, &next);
        temporal_payloads_cleanup(&v);
        v = next;
        if (rc != 0) {
            temporal_payloads_cleanup(&v);
            return rc;
        }
    }
    int rc = temporal_payloads_add_copy(out, &v.items[0]);
    temporal_payloads_cleanup(&v);
    return rc;
}

struct branch_result {
    int input;
    int rc;
    struct temporal_payloads out;
};

static int one_local_activity(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct branch_result *b = arg;
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&in, b->input);
    b->rc = temporal_workflow_execute_local_activity(ctx, b->input < 0 ? "FailForGood" : "EchoPlusOne",
                                                     &in, &o, &b->out);
    temporal_payloads_cleanup(&in);
    return 0;
}

/* Five at once (concurrent): the sum of 1..5 + 5 = 20.  With a negative input among them
 * (one_success_one_fail) that one fails and the sum leaves it out. */
static int concurrent_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    bool with_failure = ts_json_int(in, 0) == 1;
    struct branch_result r[5];
    struct temporal_workflow_branch *h[5];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 5; i++) {
        r[i].input = with_failure && i == 2 ? -1 : i + 1;
        if (temporal_workflow_spawn(ctx, one_local_activity, &r[i], &h[i]) != 0)
            return TEMPORAL_ENOMEM;
    }
    int total = 0, failures = 0;
    for (int i = 0; i < 5; i++) {
        temporal_workflow_join(ctx, h[i]);
        if (r[i].rc == 0)
            total += ts_json_int(&r[i].out, 0);
        else
            failures++;
        temporal_payloads_cleanup(&r[i].out);
    }
    char buf[48];
    int n = snprintf(buf, sizeof(buf), "[%d,%d]", total, failures);
    return temporal_payloads_add_json(out, buf, (size_t)n);
}

/* Runs "AlwaysFail" or "FailForGood" (input 0 / 1 / 2: see below) and returns how it failed. */
static int failing_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    int mode = ts_json_int(in, 0);
    struct temporal_local_activity_options o = la_options();
    const char *const non_retryable[] = { "AttemptFailed" };
    struct temporal_retry_policy retry = { .initial_interval_ms = 1, .backoff_coefficient = 1.0,
                                           .maximum_attempts = 5 };
    if (mode == 2) { /* non_retryable_error_in_options */
        retry.non_retryable_error_types = non_retryable;
        retry.non_retryable_error_types_count = 1;
    }
    o.retry_policy = &retry;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_local_activity(ctx, mode == 1 ? "FailForGood" : "AlwaysFail",
                                                      NULL, &o, &res);
    temporal_payloads_cleanup(&res);
    if (rc != TEMPORAL_EACTIVITY_FAILED)
        return temporal_workflow_fail(ctx, "Unexpected", "the local activity did not fail", true, NULL);
    const struct temporal_failure_info *f = temporal_workflow_last_failure(ctx);
    json_t *j = json_pack("{s:s, s:s, s:b}", "type", f ? f->type : "", "message",
                          f ? f->message : "", "non_retryable", f ? f->non_retryable : 0);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    rc = temporal_payloads_add_json(out, text, strlen(text));
    free(text);
    json_decref(j);
    return rc;
}

/* A local activity running |input| ms (complete_eventually: longer than the task timeout). */
static int slow_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    struct temporal_local_activity_options o = la_options();
    return temporal_workflow_execute_local_activity(ctx, "Slow", in, &o, out);
}

/* A local activity whose retries back off longer than the local retry threshold: each
 * backoff is a durable timer, each failed attempt a marker. */
static int backoff_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    struct temporal_local_activity_options o = la_options();
    struct temporal_retry_policy retry = { .initial_interval_ms = 1500, .backoff_coefficient = 1.0 };
    o.retry_policy = &retry;
    o.local_retry_threshold_ms = 1000;
    return temporal_workflow_execute_local_activity(ctx, "ThirdTimeLucky", in, &o, out);
}

/* Cancelled while a long local activity runs (cancel_try_cancel / cancel_wait_completed). */
static int cancellable_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out)
{
    struct temporal_local_activity_options o = la_options();
    int mode = ts_json_int(in, 0);
    o.cancellation_type = mode == 1   ? TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED
                          : mode == 2 ? TEMPORAL_ACTIVITY_CANCEL_ABANDON
                                      : TEMPORAL_ACTIVITY_CANCEL_TRY;
    struct temporal_payloads ms = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&ms, 30000);
    int rc = temporal_workflow_execute_local_activity(ctx, "Slow", &ms, &o, out);
    temporal_payloads_cleanup(&ms);
    return rc; /* TEMPORAL_ECANCELED: the workflow reports itself cancelled */
}

/* Not upstream scenarios: edge cases of the engine. */

/* A local activity without a result. */
static int empty_result_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                 struct temporal_payloads *out)
{
    (void)in;
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_local_activity(ctx, "Nothing", NULL, &o, &res);
    if (rc == 0 && res.count != 0)
        rc = temporal_workflow_fail(ctx, NULL, "a result appeared", true, NULL);
    temporal_payloads_cleanup(&res);
    return rc ? rc : temporal_payloads_add_string(out, "ok");
}

struct interleave {
    struct temporal_payloads out;
};

static int timer_then_la(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct interleave *b = arg;
    struct temporal_local_activity_options o = la_options();
    int rc = temporal_workflow_sleep(ctx, 100);
    return rc ? rc : temporal_workflow_execute_local_activity(ctx, "EchoPlusOne", NULL, &o, &b->out);
}

/* Branches, timers and local activities interleaved: replay must order them as live did. */
static int interleaved_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out)
{
    (void)in;
    struct interleave *b = temporal_workflow_alloc(ctx, sizeof(*b));
    struct temporal_workflow_branch *h = NULL;
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads mine = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_spawn(ctx, timer_then_la, b, &h);
    if (rc == 0)
        rc = temporal_workflow_execute_local_activity(ctx, "EchoPlusOne", NULL, &o, &mine);
    if (rc == 0)
        rc = temporal_workflow_sleep(ctx, 50);
    int jrc = h ? temporal_workflow_join(ctx, h) : 0;
    if (rc == 0)
        rc = jrc;
    if (rc == 0)
        rc = ts_add_json_int(out, ts_json_int(&mine, 0) + ts_json_int(&b->out, 0));
    temporal_payloads_cleanup(&mine);
    temporal_payloads_cleanup(&b->out);
    return rc;
}

static int slow_branch(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)arg;
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads ms = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&ms, 2000);
    int rc = temporal_workflow_execute_local_activity(ctx, "Slow", &ms, &o, &res);
    temporal_payloads_cleanup(&ms);
    temporal_payloads_cleanup(&res);
    return rc;
}

/* Returns while a branch's local activity runs: nothing may follow the completion. */
static int finish_first_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                 struct temporal_payloads *out)
{
    (void)in;
    struct temporal_workflow_branch *h = NULL;
    int rc = temporal_workflow_spawn(ctx, slow_branch, NULL, &h);
    return rc ? rc : temporal_payloads_add_string(out, "finished first");
}

static int note_update(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                       struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args;
    *(bool *)arg = true;
    return temporal_payloads_add_string(result, "handled");
}

static bool flag_set(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return *(bool *)arg;
}

/* Sets its update handler only after a local activity: an update sent at start must wait
 * for it, not be rejected when the first activation ends. */
static int late_handler_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                 struct temporal_payloads *out)
{
    (void)in;
    bool *handled = temporal_workflow_alloc(ctx, sizeof(*handled));
    struct temporal_local_activity_options o = la_options();
    struct temporal_payloads ms = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&ms, 300);
    int rc = temporal_workflow_execute_local_activity(ctx, "Slow", &ms, &o, &res);
    temporal_payloads_cleanup(&ms);
    temporal_payloads_cleanup(&res);
    if (rc == 0)
        rc = temporal_workflow_on_update(ctx, "late", note_update, NULL, handled);
    if (rc == 0)
        rc = temporal_workflow_wait_condition(ctx, flag_set, handled);
    return rc ? rc : temporal_payloads_add_string(out, "done");
}

static void register_all(struct temporal_worker *w)
{
    struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = { { "Serial", serial_workflow },
                { "Concurrent", concurrent_workflow },
                { "Failing", failing_workflow },
                { "SlowOne", slow_workflow },
                { "Cancellable", cancellable_workflow },
                { "Backoff", backoff_workflow },
                { "EmptyResult", empty_result_workflow },
                { "Interleaved", interleaved_workflow },
                { "FinishFirst", finish_first_workflow },
                { "LateHandler", late_handler_workflow } };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(w, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                         0);
    assert_int_equal(temporal_worker_register_activity(w, "EchoPlusOne", echo_plus_one, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "AlwaysFail", always_fail, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "FailForGood", fail_for_good, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "Slow", slow, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "ThirdTimeLucky", third_time_lucky, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "Nothing", nothing, NULL), 0);
}

/* Driver helpers ------------------------------------------------------------------------------- */

#define EV_WFT_COMPLETED 7 /* EVENT_TYPE_WORKFLOW_TASK_COMPLETED */
#define EV_MARKER_RECORDED 25
#define EV_TIMER_STARTED 17
#define EV_TIMER_CANCELED 19

struct counts {
    int markers, tasks_completed, markers_after_first_task, timers_started, timers_canceled;
};

static struct counts count_events(struct ts_worker *tw, const char *id)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw->client, id, NULL, &h, &err), err);
    struct counts c = { 0, 0, 0, 0, 0 };
    for (size_t i = 0; i < h.count; i++) {
        c.timers_started += h.events[i].event_type == EV_TIMER_STARTED;
        c.timers_canceled += h.events[i].event_type == EV_TIMER_CANCELED;
        if (h.events[i].event_type == EV_MARKER_RECORDED) {
            c.markers++;
            c.markers_after_first_task += c.tasks_completed == 1;
        }
        c.tasks_completed += h.events[i].event_type == EV_WFT_COMPLETED;
    }
    temporal_history_cleanup(&h);
    return c;
}

static void replays_cleanly(struct ts_worker *tw, const char *id, temporal_workflow_fn fn)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw->client, id, NULL, &h, &err), err);
    int before = calls;
    TS_OK(temporal_workflow_replay(fn, NULL, h.serialized, h.serialized_len, &err), err);
    assert_int_equal(calls, before); /* replay runs no local activity */
    temporal_history_cleanup(&h);
}

static char *run(struct ts_worker *tw, const char *type, int input, int64_t task_timeout_ms,
                 char *id, size_t cap, int *rc_out)
{
    static int n;
    snprintf(id, cap, "%s-%d", tw->task_queue, ++n);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, input);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = type;
    so.task_queue = tw->task_queue;
    so.execution_timeout_ms = 60000;
    so.task_timeout_ms = task_timeout_ms;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw->client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = ts_feature_result(tw, id, &res, &err);
    if (rc_out != NULL)
        *rc_out = rc;
    else
        TS_OK(rc, err);
    char *text = res.count ? strndup((const char *)res.items[0].data, res.items[0].data_len)
                           : strdup("");
    temporal_payloads_cleanup(&res);
    return text;
}

/* Scenarios -------------------------------------------------------------------------------------- */

static void complete_immediately_and_serial(struct ts_worker *tw, int32_t cache)
{
    (void)cache;
    char id[160];
    calls = 0;
    char *r = run(tw, "Serial", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "3");
    assert_int_equal(calls, 3);
    struct counts c = count_events(tw, id);
    /* Three markers, all recorded by the first task's completion. */
    assert_int_equal(c.markers, 3);
    assert_int_equal(c.tasks_completed, 1);
    free(r);
    replays_cleanly(tw, id, serial_workflow);
}

static void complete_immediately(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-immediate", -1, register_all);
    complete_immediately_and_serial(&tw, -1);
    ts_worker_stop(&tw);
}

static void serial(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-serial", 0, register_all); /* no cache */
    complete_immediately_and_serial(&tw, 0);
    ts_worker_stop(&tw);
}

static void concurrent(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-concurrent", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Concurrent", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "[20,0]");
    assert_int_equal(count_events(&tw, id).markers, 5);
    free(r);
    replays_cleanly(&tw, id, concurrent_workflow);
    ts_worker_stop(&tw);
}

/* max_concurrent_local_activities: five at once in the workflow, at most two running. */
static void limited_concurrency(void **state)
{
    (void)state;
    struct ts_worker tw;
    memset(&tw, 0, sizeof(tw));
    ts_unique(tw.task_queue, sizeof(tw.task_queue), "feat-la-limited");
    tw.client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw.task_queue;
    o.max_concurrent_local_activities = 2;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw.worker, tw.client, &o, &err), err);
    register_all(tw.worker);
    ts_worker_run(&tw);
    char id[160];
    calls = 0;
    echo_max_in_flight = 0;
    echo_sleep_ms = 200;
    char *r = run(&tw, "Concurrent", 0, 0, id, sizeof(id), NULL);
    echo_sleep_ms = 0;
    assert_string_equal(r, "[20,0]");
    free(r);
    assert_true(echo_max_in_flight >= 1 && echo_max_in_flight <= 2);
    ts_worker_stop(&tw);
}

static void one_success_one_fail(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-onefail", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Concurrent", 1, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "[16,1]"); /* 2+3+5+6, and the failed one */
    assert_int_equal(count_events(&tw, id).markers, 5); /* failures are recorded too */
    free(r);
    replays_cleanly(&tw, id, concurrent_workflow);
    ts_worker_stop(&tw);
}

static void retry_on_error(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-retry", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Failing", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "{\"message\":\"local activity attempt 5 failed\",\"non_retryable\":false,"
                           "\"type\":\"AttemptFailed\"}");
    assert_int_equal(calls, 5);
    assert_int_equal(count_events(&tw, id).markers, 1); /* only the final outcome */
    free(r);
    replays_cleanly(&tw, id, failing_workflow);
    ts_worker_stop(&tw);
}

static void non_retryable_error_from_activity(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-nonretry", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Failing", 1, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "{\"message\":\"this will never work\",\"non_retryable\":true,"
                           "\"type\":\"Permanent\"}");
    assert_int_equal(calls, 1);
    free(r);
    ts_worker_stop(&tw);
}

static void non_retryable_error_in_options(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-nonretryopt", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Failing", 2, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "{\"message\":\"local activity attempt 1 failed\",\"non_retryable\":false,"
                           "\"type\":\"AttemptFailed\"}");
    assert_int_equal(calls, 1);
    free(r);
    ts_worker_stop(&tw);
}

static void complete_eventually(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-eventually", -1, register_all);
    char id[160];
    calls = 0;
    /* The activity runs 2.5 s; the workflow task times out after 1 s: the worker keeps
     * the task alive by completing it and getting a new one, then records the marker. */
    char *r = run(&tw, "SlowOne", 2500, 1000, id, sizeof(id), NULL);
    assert_string_equal(r, "\"done\"");
    assert_int_equal(calls, 1);
    struct counts c = count_events(&tw, id);
    print_message("tasks completed: %d, markers: %d\n", c.tasks_completed, c.markers);
    assert_int_equal(c.markers, 1);
    assert_true(c.tasks_completed >= 2);
    free(r);
    replays_cleanly(&tw, id, slow_workflow);
    ts_worker_stop(&tw);
}

/* Starts Cancellable (|wait| selects WAIT_COMPLETED), cancels it once the local activity
 * runs, and returns the workflow's outcome code. */
static int cancel_scenario(struct ts_worker *tw, int wait, char *id, size_t cap)
{
    static int n;
    snprintf(id, cap, "%s-%d", tw->task_queue, ++n);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, wait);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "Cancellable";
    so.task_queue = tw->task_queue;
    so.execution_timeout_ms = 60000;
    so.task_timeout_ms = 1000; /* the cancel request arrives with the first task heartbeat */
    struct temporal_error err;
    calls = 0;
    saw_cancel = 0;
    TS_OK(temporal_client_start_workflow(tw->client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    while (__atomic_load_n(&calls, __ATOMIC_SEQ_CST) == 0)
        ts_sleep_ms(20);
    TS_OK(temporal_client_cancel_workflow(tw->client, id, NULL, "test", &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = ts_feature_result(tw, id, &res, &err);
    temporal_payloads_cleanup(&res);
    return rc;
}

static void cancel_try_cancel(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-trycancel", -1, register_all);
    char id[160];
    assert_int_equal(cancel_scenario(&tw, 0, id, sizeof(id)), TEMPORAL_EWORKFLOW_CANCELED);
    assert_int_equal(count_events(&tw, id).markers, 0); /* nothing recorded */
    replays_cleanly(&tw, id, cancellable_workflow);
    ts_worker_stop(&tw);
}

static void cancel_wait_completed(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-waitcancel", -1, register_all);
    char id[160];
    assert_int_equal(cancel_scenario(&tw, 1, id, sizeof(id)), TEMPORAL_EWORKFLOW_CANCELED);
    /* The activity was told, stopped, and its cancelled outcome recorded. */
    assert_int_equal(count_events(&tw, id).markers, 1);
    replays_cleanly(&tw, id, cancellable_workflow);
    ts_worker_stop(&tw);
}

static void cancel_abandon(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-abandon", -1, register_all);
    char id[160];
    assert_int_equal(cancel_scenario(&tw, 2, id, sizeof(id)), TEMPORAL_EWORKFLOW_CANCELED);
    assert_int_equal(count_events(&tw, id).markers, 0);
    /* The workflow stopped waiting; the activity was not told and is still running (the
     * worker's shutdown below stops it). */
    assert_int_equal(__atomic_load_n(&saw_cancel, __ATOMIC_SEQ_CST), 0);
    replays_cleanly(&tw, id, cancellable_workflow);
    ts_worker_stop(&tw);
}

static void backoff_with_persistent_timer(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-backoff", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "Backoff", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "3"); /* the third attempt succeeded */
    assert_int_equal(calls, 3);
    struct counts c = count_events(&tw, id);
    assert_int_equal(c.markers, 3);        /* two failed attempts, then the success */
    assert_int_equal(c.timers_started, 2); /* each backoff a durable timer */
    free(r);
    replays_cleanly(&tw, id, backoff_workflow);
    ts_worker_stop(&tw);
}

static void cancel_failing(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-cancelfail", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, 1); /* fail every attempt */
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "Backoff";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw.client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    /* Cancel it while it backs off on a timer. */
    while (count_events(&tw, id).timers_started == 0)
        ts_sleep_ms(50);
    TS_OK(temporal_client_cancel_workflow(tw.client, id, NULL, "test", &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(ts_feature_result(&tw, id, &res, &err), TEMPORAL_EWORKFLOW_CANCELED);
    temporal_payloads_cleanup(&res);
    struct counts c = count_events(&tw, id);
    assert_true(c.markers >= 1);            /* the failed attempt is recorded */
    assert_int_equal(c.timers_canceled, 1); /* and the backoff timer cancelled */
    replays_cleanly(&tw, id, backoff_workflow);
    ts_worker_stop(&tw);
}

/* A worker on |task_queue| (not a new one) whose activities get |graceful_ms| at shutdown. */
static void start_worker_on(struct ts_worker *tw, const char *task_queue, int64_t graceful_ms)
{
    memset(tw, 0, sizeof(*tw));
    snprintf(tw->task_queue, sizeof(tw->task_queue), "%s", task_queue);
    tw->client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw->task_queue;
    o.graceful_shutdown_timeout_ms = graceful_ms;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw->worker, tw->client, &o, &err), err);
    register_all(tw->worker);
    ts_worker_run(tw);
}

/* Starts SlowOne (a local activity of |ms|) and returns once the activity runs. */
static void start_slow(struct temporal_client *client, const char *task_queue, int ms, char *id,
                       size_t cap)
{
    snprintf(id, cap, "%s-wf", task_queue);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, ms);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "SlowOne";
    so.task_queue = task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    while (__atomic_load_n(&calls, __ATOMIC_SEQ_CST) == 0)
        ts_sleep_ms(20);
}

static void complete_after_shutdown(void **state)
{
    (void)state;
    char tq[96], id[160];
    ts_unique(tq, sizeof(tq), "feat-la-aftershutdown");
    struct ts_worker tw;
    start_worker_on(&tw, tq, 10000);
    calls = saw_cancel = 0;
    slow_override_ms = -1;
    struct temporal_client *client = ts_connect();
    start_slow(client, tq, 1000, id, sizeof(id));
    /* The worker stops while the local activity runs; it finishes within the graceful
     * timeout, and its task completes with the marker (and the workflow with it). */
    ts_worker_stop(&tw);
    struct temporal_workflow_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_workflow(client, id, NULL, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_COMPLETED); /* before the stop ended */
    temporal_workflow_description_cleanup(&d);
    assert_int_equal(calls, 1);
    assert_int_equal(saw_cancel, 0);
    temporal_client_free(client);
}

static void shutdown_sends_cancellation(void **state)
{
    (void)state;
    char tq[96], id[160];
    ts_unique(tq, sizeof(tq), "feat-la-shutdowncancel");
    struct ts_worker tw;
    start_worker_on(&tw, tq, 200);
    calls = saw_cancel = 0;
    slow_override_ms = -1;
    struct temporal_client *client = ts_connect();
    start_slow(client, tq, 30000, id, sizeof(id));
    /* The graceful timeout passes: the local activity is cancelled and not recorded. */
    ts_worker_stop(&tw);
    assert_int_equal(saw_cancel, 1);
    /* The next worker runs it again (quickly this time) and the workflow completes. */
    slow_override_ms = 10;
    start_worker_on(&tw, tq, 0);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(client, id, NULL, 60000, &res, &err), err);
    temporal_payloads_cleanup(&res);
    assert_int_equal(calls, 2);
    struct counts c = count_events(&tw, id);
    assert_int_equal(c.markers, 1); /* only the second execution's */
    assert_true(c.tasks_completed >= 2);
    slow_override_ms = -1;
    temporal_client_free(client);
    ts_worker_stop(&tw);
}

static void empty_result(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-empty", 0, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "EmptyResult", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "\"ok\"");
    free(r);
    replays_cleanly(&tw, id, empty_result_workflow);
    ts_worker_stop(&tw);
}

static void interleaved_with_timers(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-interleaved", 0, register_all); /* every task replays */
    char id[160];
    calls = 0;
    char *r = run(&tw, "Interleaved", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "2");
    free(r);
    replays_cleanly(&tw, id, interleaved_workflow);
    ts_worker_stop(&tw);
}

static void finished_run_records_nothing_more(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-finishfirst", -1, register_all);
    char id[160];
    calls = 0;
    char *r = run(&tw, "FinishFirst", 0, 0, id, sizeof(id), NULL);
    assert_string_equal(r, "\"finished first\"");
    assert_int_equal(count_events(&tw, id).markers, 0);
    free(r);
    ts_worker_stop(&tw);
}

struct late_update {
    struct temporal_client *client;
    char id[160];
    int rc;
    struct temporal_error err;
};

static void *send_late_update(void *arg)
{
    struct late_update *u = arg;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    u->rc = temporal_client_update_workflow(u->client, u->id, "late", NULL, NULL, &res, &u->err);
    temporal_payloads_cleanup(&res);
    return NULL;
}

static void update_waits_for_late_handler(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-la-latehandler", -1, register_all);
    struct late_update u = { ts_connect(), "", -1, { 0 } };
    snprintf(u.id, sizeof(u.id), "%s-wf", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = u.id;
    so.workflow_type = "LateHandler";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    calls = 0;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, NULL, &err), err);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_late_update, &u), 0);
    pthread_join(t, NULL);
    TS_OK(u.rc, u.err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(ts_feature_result(&tw, u.id, &res, &err), err);
    temporal_payloads_cleanup(&res);
    temporal_client_free(u.client);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(complete_immediately),
    cmocka_unit_test(serial),
    cmocka_unit_test(concurrent),
    cmocka_unit_test(limited_concurrency),
    cmocka_unit_test(one_success_one_fail),
    cmocka_unit_test(retry_on_error),
    cmocka_unit_test(non_retryable_error_from_activity),
    cmocka_unit_test(non_retryable_error_in_options),
    cmocka_unit_test(complete_eventually),
    cmocka_unit_test(cancel_try_cancel),
    cmocka_unit_test(cancel_wait_completed),
    cmocka_unit_test(cancel_abandon),
    cmocka_unit_test(backoff_with_persistent_timer),
    cmocka_unit_test(cancel_failing),
    cmocka_unit_test(complete_after_shutdown),
    cmocka_unit_test(shutdown_sends_cancellation),
    cmocka_unit_test(empty_result),
    cmocka_unit_test(interleaved_with_timers),
    cmocka_unit_test(finished_run_records_nothing_more),
    cmocka_unit_test(update_waits_for_late_handler),
};
TS_MAIN(tests)
