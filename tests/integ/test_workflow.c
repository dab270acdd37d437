/*
 * Workflows written in C, run by our worker against the real dev server, started and
 * observed by our client (and checked with the Temporal CLI where it matters).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

/* Activities -------------------------------------------------------------------------------------- */

static int square(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                  struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)ud;
    const char *json;
    if (in->count < 1 || temporal_payload_get_json(&in->items[0], &json, NULL) != 0)
        return TEMPORAL_EINVAL;
    long n = strtol(json, NULL, 10);
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", n * n);
    return temporal_payloads_add_json(out, buf, strlen(buf));
}

static int refuse(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                  struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    return temporal_activity_fail(ctx, "Refused", "this activity always refuses", true, NULL);
}

/* Workflows ----------------------------------------------------------------------------------------- */

static int greet(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                 struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    temporal_workflow_log(ctx, "greeting");
    return temporal_workflow_execute_activity(ctx, "hello_activity", in, &o, out);
}

static int sleepy(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                  struct temporal_payloads *out)
{
    (void)in;
    int64_t start = temporal_workflow_now_ms(ctx);
    int rc;
    if ((rc = temporal_workflow_sleep(ctx, 100)) != 0 || (rc = temporal_workflow_sleep(ctx, 150)) != 0)
        return rc;
    char buf[64];
    snprintf(buf, sizeof(buf), "%lld", (long long)(temporal_workflow_now_ms(ctx) - start));
    return temporal_payloads_add_json(out, buf, strlen(buf));
}

struct square_job {
    int n;
    long result;
};

static int square_branch(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct square_job *job = arg;
    char in_json[16];
    snprintf(in_json, sizeof(in_json), "%d", job->n);
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT, out = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&in, in_json, strlen(in_json));
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    int rc = temporal_workflow_execute_activity(ctx, "square", &in, &o, &out);
    if (rc == 0)
        job->result = strtol((const char *)out.items[0].data, NULL, 10);
    temporal_payloads_cleanup(&in);
    temporal_payloads_cleanup(&out);
    return rc;
}

static int fan_out(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                   struct temporal_payloads *out)
{
    (void)in;
    struct square_job jobs[4] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } };
    struct temporal_workflow_branch *b[4];
    for (int i = 0; i < 4; i++)
        if (temporal_workflow_spawn(ctx, square_branch, &jobs[i], &b[i]) != 0)
            return TEMPORAL_EINTERNAL;
    long sum = 0;
    for (int i = 0; i < 4; i++) {
        int rc = temporal_workflow_join(ctx, b[i]);
        if (rc != 0)
            return rc;
        sum += jobs[i].result;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", sum);
    return temporal_payloads_add_json(out, buf, strlen(buf));
}

static int sequence(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                    struct temporal_payloads *out)
{
    (void)in;
    /* Several steps, so that without a cache every task replays the earlier ones. */
    long total = 0;
    for (int i = 1; i <= 3; i++) {
        struct square_job job = { i, 0 };
        int rc = square_branch(ctx, &job);
        if (rc != 0)
            return rc;
        total += job.result;
        if ((rc = temporal_workflow_sleep(ctx, 10)) != 0)
            return rc;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", total);
    return temporal_payloads_add_json(out, buf, strlen(buf));
}

static int activity_error(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    struct temporal_payloads ignored = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_activity(ctx, "refuse", NULL, &o, &ignored);
    temporal_payloads_cleanup(&ignored);
    if (rc != TEMPORAL_EACTIVITY_FAILED)
        return temporal_workflow_fail(ctx, "Unexpected", "the activity did not fail", true, NULL);
    /* Report what the workflow saw of the failure. */
    return temporal_payloads_add_string(out, temporal_workflow_last_error(ctx)->detail);
}

static int failing(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                   struct temporal_payloads *out)
{
    (void)in, (void)out;
    return temporal_workflow_fail(ctx, "OrderRejected", "order 42 rejected", true, NULL);
}

static int count_down(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out)
{
    const char *json;
    if (in->count < 1 || temporal_payload_get_json(&in->items[0], &json, NULL) != 0)
        return TEMPORAL_EINVAL;
    long n = strtol(json, NULL, 10);
    if (n <= 0)
        return temporal_payloads_add_string(out, "done");
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", n - 1);
    struct temporal_payloads next = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&next, buf, strlen(buf));
    int rc = temporal_workflow_continue_as_new(ctx, &next);
    temporal_payloads_cleanup(&next);
    return rc;
}

static int cancellable(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    (void)in, (void)out;
    return temporal_workflow_sleep(ctx, 600000); /* TEMPORAL_ECANCELED when cancelled */
}

/* An activity that runs until it is told to stop. */
static int wait_for_cancel(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    for (int i = 0; i < 600; i++) {
        if (temporal_activity_heartbeat(ctx, NULL) == TEMPORAL_ECANCELED)
            return TEMPORAL_ECANCELED;
        struct timespec pause = { 0, 50 * 1000000 };
        nanosleep(&pause, NULL);
    }
    return 0;
}

static int cancels_activity(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    o.heartbeat_timeout_ms = 1000;
    const enum temporal_activity_cancellation_type *type = temporal_workflow_user_data(ctx);
    if (type != NULL)
        o.cancellation_type = *type;
    return temporal_workflow_execute_activity(ctx, "wait_for_cancel", NULL, &o, out);
}

static const enum temporal_activity_cancellation_type cancel_wait = TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED;
static const enum temporal_activity_cancellation_type cancel_abandon = TEMPORAL_ACTIVITY_CANCEL_ABANDON;

static int parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                  struct temporal_payloads *out)
{
    return temporal_workflow_execute_child(ctx, "Greet", in, NULL, out);
}

static int parent_of_failing(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads ignored = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_child(ctx, "Failing", NULL, NULL, &ignored);
    temporal_payloads_cleanup(&ignored);
    const struct temporal_failure_info *f = temporal_workflow_last_failure(ctx);
    if (rc != TEMPORAL_EACTIVITY_FAILED || f == NULL)
        return temporal_workflow_fail(ctx, "Unexpected", "the child did not fail", true, NULL);
    char text[256];
    snprintf(text, sizeof(text), "%s: %s", f->type, f->message);
    return temporal_payloads_add_string(out, text);
}

/* Signals or cancels the workflow whose id is its input; returns the outcome's name. */
static int messenger(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                     struct temporal_payloads *out)
{
    char *target = NULL;
    if (in->count < 1 || temporal_payload_get_string(&in->items[0], &target) != 0)
        return TEMPORAL_EINVAL;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "from a workflow");
    int rc = temporal_workflow_signal_external(ctx, target, NULL, "finish", &args);
    temporal_payloads_cleanup(&args);
    temporal_free(target);
    return temporal_payloads_add_string(out, temporal_err_name(rc));
}

static int canceller(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                     struct temporal_payloads *out)
{
    char *target = NULL;
    if (in->count < 1 || temporal_payload_get_string(&in->items[0], &target) != 0)
        return TEMPORAL_EINVAL;
    int rc = temporal_workflow_cancel_external(ctx, target, NULL, "asked by a workflow");
    temporal_free(target);
    return temporal_payloads_add_string(out, temporal_err_name(rc));
}

/* Flipped by the non-determinism test between the first run and its replay. */
static volatile int changed_code;

static int drifting(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                    struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    struct temporal_payloads arg = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&arg, "x");
    int rc = temporal_workflow_execute_activity(ctx, changed_code ? "square" : "hello_activity",
                                                &arg, &o, out);
    temporal_payloads_cleanup(&arg);
    if (rc != 0)
        return rc;
    return temporal_workflow_sleep(ctx, 60000);
}

/* The worker ------------------------------------------------------------------------------------------ */

static void log_to_stderr(void *ud, enum temporal_log_level level, const char *message)
{
    (void)ud;
    fprintf(stderr, "[worker %d] %s\n", (int)level, message);
}

static void start_worker(struct ts_worker *rw, int32_t max_cached)
{
    memset(rw, 0, sizeof(*rw));
    rw->client = ts_connect();
    ts_unique(rw->task_queue, sizeof(rw->task_queue), "c-workflows");
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = rw->task_queue;
    o.max_cached_workflows = max_cached;
    o.max_workflow_pollers = 2;
    o.max_activity_pollers = 2;
    o.log_fn = log_to_stderr;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw->worker, rw->client, &o, &err), err);
    struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = { { "Greet", greet },       { "Sleepy", sleepy },          { "Waiter", ts_waiter_workflow },
                { "FanOut", fan_out },    { "Sequence", sequence },      { "ActivityError", activity_error },
                { "Failing", failing },   { "CountDown", count_down },   { "Cancellable", cancellable },
                { "Drifting", drifting }, { "CancelsActivity", cancels_activity },
                { "Parent", parent },     { "ParentOfFailing", parent_of_failing },
                { "Messenger", messenger }, { "Canceller", canceller } };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(rw->worker, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                           NULL),
                         0);
    assert_int_equal(temporal_worker_register_workflow(rw->worker, "Greet", greet,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     TEMPORAL_EALREADY_EXISTS);
    assert_int_equal(temporal_worker_register_workflow(rw->worker, "CancelsActivityWait",
                                                       cancels_activity,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       (void *)&cancel_wait),
                     0);
    assert_int_equal(temporal_worker_register_workflow(rw->worker, "CancelsActivityAbandon",
                                                       cancels_activity,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       (void *)&cancel_abandon),
                     0);
    assert_int_equal(
        temporal_worker_register_activity(rw->worker, "hello_activity", ts_hello_activity, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "square", square, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "refuse", refuse, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "wait_for_cancel", wait_for_cancel,
                                                       NULL),
                     0);
    ts_worker_run(rw);
}

static void start_wf(struct ts_worker *rw, const char *type, const char *json_arg, char *id,
                     size_t cap)
{
    ts_unique(id, cap, type);
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = type;
    o.task_queue = rw->task_queue;
    o.execution_timeout_ms = 120000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    if (json_arg != NULL)
        assert_int_equal(temporal_payloads_add_json(&args, json_arg, strlen(json_arg)), 0);
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(rw->client, &o, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
}

/* Waits for the result; returns its JSON text (free()) or NULL with |*rc| set. */
static char *result(struct ts_worker *rw, const char *id, int *rc, struct temporal_error *err)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    *rc = temporal_client_get_workflow_result(rw->client, id, NULL, 60000, &res, err);
    char *out = NULL;
    if (*rc == 0 && res.count > 0) {
        const char *json;
        assert_int_equal(temporal_payload_get_json(&res.items[0], &json, NULL), 0);
        out = strdup(json);
    }
    temporal_payloads_cleanup(&res);
    return out;
}

static void expect_result(struct ts_worker *rw, const char *type, const char *arg,
                          const char *want)
{
    char id[128];
    start_wf(rw, type, arg, id, sizeof(id));
    struct temporal_error err;
    int rc;
    char *got = result(rw, id, &rc, &err);
    TS_OK(rc, err);
    assert_string_equal(got, want);
    free(got);
}

/* Tests ------------------------------------------------------------------------------------------------ */

static void hello_workflow(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    expect_result(&rw, "Greet", "\"C\"", "\"Hello, C!\"");
    ts_worker_stop(&rw);
}

static void timers(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    char id[128];
    start_wf(&rw, "Sleepy", NULL, id, sizeof(id));
    struct temporal_error err;
    int rc;
    char *got = result(&rw, id, &rc, &err);
    TS_OK(rc, err);
    assert_true(strtol(got, NULL, 10) >= 250); /* workflow time moved past both timers */
    free(got);
    /* The CLI sees two timers fired. */
    static char out[65536]; /* static: large frames confuse valgrind (see tests/CMakeLists.txt) */
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
    const char *p = out;
    int fired = 0;
    while ((p = strstr(p, "EVENT_TYPE_TIMER_FIRED")) != NULL) {
        fired++;
        p++;
    }
    assert_int_equal(fired, 2);
    ts_worker_stop(&rw);
}

static void signal_query_condition(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    char id[128];
    start_wf(&rw, "Waiter", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_query_workflow(rw.client, id, NULL, "state", NULL, &res, &err), err);
    char *s = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &s), 0);
    assert_string_equal(s, "waiting");
    temporal_free(s);
    temporal_payloads_cleanup(&res);
    assert_int_equal(temporal_client_query_workflow(rw.client, id, NULL, "nope", NULL, &res, &err),
                     TEMPORAL_EQUERY_FAILED);
    assert_non_null(strstr(err.message, "nope"));

    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&sig, "signalled value");
    TS_OK(temporal_client_signal_workflow(rw.client, id, NULL, "finish", &sig, &err), err);
    temporal_payloads_cleanup(&sig);
    int rc;
    char *got = result(&rw, id, &rc, &err);
    TS_OK(rc, err);
    assert_string_equal(got, "\"signalled value\"");
    free(got);
    /* A closed workflow is queried by replaying it. */
    TS_OK(temporal_client_query_workflow(rw.client, id, NULL, "state", NULL, &res, &err), err);
    assert_int_equal(temporal_payload_get_string(&res.items[0], &s), 0);
    assert_string_equal(s, "finished");
    temporal_free(s);
    temporal_payloads_cleanup(&res);
    ts_worker_stop(&rw);
}

static void signal_before_handler(void **state)
{
    (void)state;
    /* Signal-with-start: the signal is in history before the code sets its handler. */
    struct ts_worker rw;
    start_worker(&rw, -1);
    char id[128];
    ts_unique(id, sizeof(id), "sws");
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "Waiter";
    o.task_queue = rw.task_queue;
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&sig, "early");
    struct temporal_error err;
    TS_OK(temporal_client_signal_with_start_workflow(rw.client, &o, NULL, "finish", &sig, NULL, &err),
          err);
    temporal_payloads_cleanup(&sig);
    int rc;
    char *got = result(&rw, id, &rc, &err);
    TS_OK(rc, err);
    assert_string_equal(got, "\"early\"");
    free(got);
    ts_worker_stop(&rw);
}

static void concurrent_branches(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    expect_result(&rw, "FanOut", NULL, "30"); /* 1 + 4 + 9 + 16 */
    ts_worker_stop(&rw);
}

static void replay_without_cache(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 0); /* every task replays the whole history */
    expect_result(&rw, "Sequence", NULL, "14");
    expect_result(&rw, "FanOut", NULL, "30");
    ts_worker_stop(&rw);
}

static void activity_failure_reaches_workflow(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    expect_result(&rw, "ActivityError", NULL, "\"Refused\"");
    ts_worker_stop(&rw);
}

static void workflow_failure(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    char id[128];
    start_wf(&rw, "Failing", NULL, id, sizeof(id));
    struct temporal_error err;
    int rc;
    char *got = result(&rw, id, &rc, &err);
    assert_null(got);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_FAILED);
    assert_string_equal(err.detail, "OrderRejected");
    assert_non_null(strstr(err.message, "order 42 rejected"));
    ts_worker_stop(&rw);
}

static void child_workflows(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    expect_result(&rw, "Parent", "\"child\"", "\"Hello, child!\"");
    expect_result(&rw, "ParentOfFailing", NULL, "\"OrderRejected: order 42 rejected\"");
    ts_worker_stop(&rw);
}

static void external_signal_and_cancel(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    char waiter_id[128], sleeper_id[128], arg[160];
    start_wf(&rw, "Waiter", NULL, waiter_id, sizeof(waiter_id));
    snprintf(arg, sizeof(arg), "\"%s\"", waiter_id);
    expect_result(&rw, "Messenger", arg, "\"TEMPORAL_OK\"");
    struct temporal_error err;
    int rc;
    char *got = result(&rw, waiter_id, &rc, &err);
    TS_OK(rc, err);
    assert_string_equal(got, "\"from a workflow\"");
    free(got);
    /* The waiter is closed now: a second signal finds no running workflow. */
    expect_result(&rw, "Messenger", arg, "\"TEMPORAL_ENOT_FOUND\"");

    start_wf(&rw, "Cancellable", NULL, sleeper_id, sizeof(sleeper_id));
    snprintf(arg, sizeof(arg), "\"%s\"", sleeper_id);
    expect_result(&rw, "Canceller", arg, "\"TEMPORAL_OK\"");
    got = result(&rw, sleeper_id, &rc, &err);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_CANCELED);
    ts_worker_stop(&rw);
}

static void continue_as_new(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    expect_result(&rw, "CountDown", "3", "\"done\"");
    ts_worker_stop(&rw);
}

static void cancellation(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, -1);
    char id[128];
    start_wf(&rw, "Cancellable", NULL, id, sizeof(id));
    struct timespec pause = { 0, 300 * 1000000 };
    nanosleep(&pause, NULL);
    struct temporal_error err;
    TS_OK(temporal_client_cancel_workflow(rw.client, id, NULL, "test", &err), err);
    int rc;
    char *got = result(&rw, id, &rc, &err);
    assert_null(got);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_CANCELED);
    /* The timer was cancelled, not left behind. */
    static char out[65536];
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
    assert_non_null(strstr(out, "EVENT_TYPE_TIMER_CANCELED"));

    /* An activity in flight is asked to cancel. */
    start_wf(&rw, "CancelsActivity", NULL, id, sizeof(id));
    nanosleep(&pause, NULL);
    TS_OK(temporal_client_cancel_workflow(rw.client, id, NULL, "test", &err), err);
    got = result(&rw, id, &rc, &err);
    assert_null(got);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_CANCELED);
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
    assert_non_null(strstr(out, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED"));
    /* Replaying the recorded history reproduces the cancel commands. */
    struct temporal_history h;
    TS_OK(temporal_client_fetch_history(rw.client, id, NULL, &h, &err), err);
    TS_OK(temporal_workflow_replay(cancels_activity, NULL, h.serialized, h.serialized_len, &err), err);
    temporal_history_cleanup(&h);

    /* WAIT_COMPLETED: the workflow ends after the activity reported its cancellation. */
    start_wf(&rw, "CancelsActivityWait", NULL, id, sizeof(id));
    nanosleep(&pause, NULL);
    TS_OK(temporal_client_cancel_workflow(rw.client, id, NULL, "test", &err), err);
    got = result(&rw, id, &rc, &err);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_CANCELED);
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
    const char *canceled = strstr(out, "EVENT_TYPE_ACTIVITY_TASK_CANCELED");
    assert_non_null(canceled);
    assert_non_null(strstr(canceled, "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED"));

    /* ABANDON: nothing is sent for the activity. */
    start_wf(&rw, "CancelsActivityAbandon", NULL, id, sizeof(id));
    nanosleep(&pause, NULL);
    TS_OK(temporal_client_cancel_workflow(rw.client, id, NULL, "test", &err), err);
    got = result(&rw, id, &rc, &err);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_CANCELED);
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
    assert_null(strstr(out, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED"));
    ts_worker_stop(&rw);
}

static void nondeterminism_detected(void **state)
{
    (void)state;
    changed_code = 0;
    struct ts_worker rw;
    start_worker(&rw, 0); /* no cache: the next task replays with the changed code */
    char id[128];
    start_wf(&rw, "Drifting", NULL, id, sizeof(id));
    /* Wait until the first activity completed, then change the code under the run. */
    for (int i = 0; i < 100; i++) {
        struct temporal_history h;
        struct temporal_error err;
        TS_OK(temporal_client_fetch_history(rw.client, id, NULL, &h, &err), err);
        bool done = false;
        for (size_t k = 0; k < h.count; k++)
            if (strcmp(h.events[k].event_type_name, "EVENT_TYPE_TIMER_STARTED") == 0)
                done = true;
        temporal_history_cleanup(&h);
        if (done)
            break;
        struct timespec pause = { 0, 100 * 1000000 };
        nanosleep(&pause, NULL);
    }
    changed_code = 1;
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(rw.client, id, NULL, "wake", &sig, &err), err);
    /* The next task fails as non-deterministic; the CLI shows the failure and its cause. */
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
        static char out[65536];
        assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -o json", id), 0);
        seen = strstr(out, "WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR") != NULL;
        if (seen) {
            assert_non_null(strstr(out, "non-deterministic workflow"));
            assert_non_null(strstr(out, "square"));
        }
        struct timespec pause = { 0, 100 * 1000000 };
        nanosleep(&pause, NULL);
    }
    assert_true(seen);
    TS_OK(temporal_client_terminate_workflow(rw.client, id, NULL, "test done", &err), err);
    ts_worker_stop(&rw);
    changed_code = 0;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(hello_workflow),
    cmocka_unit_test(timers),
    cmocka_unit_test(signal_query_condition),
    cmocka_unit_test(signal_before_handler),
    cmocka_unit_test(concurrent_branches),
    cmocka_unit_test(replay_without_cache),
    cmocka_unit_test(activity_failure_reaches_workflow),
    cmocka_unit_test(workflow_failure),
    cmocka_unit_test(child_workflows),
    cmocka_unit_test(external_signal_and_cancel),
    cmocka_unit_test(continue_as_new),
    cmocka_unit_test(cancellation),
    cmocka_unit_test(nondeterminism_detected),
};
TS_MAIN(tests)
