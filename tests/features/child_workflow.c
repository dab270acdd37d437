/*
 * temporalio/features child_workflow/: result, signal, throws_on_execute, and the README-only
 * start, throws_on_start, throws_on_termination and throws_on_timeout, against the dev server.
 *
 * Adaptations to C:
 *  - temporal_workflow_execute_child() starts the child and waits for its result in one
 *    call, so a parent that must do something while the child runs (signal it, start a
 *    second one) runs the child on a spawned branch with an explicit child workflow id,
 *    and signals it with temporal_workflow_signal_external() (retried after a short
 *    workflow sleep while the child has not started yet: TEMPORAL_ENOT_FOUND).
 *  - throws_on_execute: the C parent has no exception to let propagate; it re-raises the
 *    child's ApplicationFailure (temporal_workflow_last_failure(): type, message,
 *    non-retryable, details) with temporal_workflow_fail(), its message being the SDK's
 *    description of the child failure (which names the child's workflow type).  The client
 *    checks the type and message; the parent's history (through the CLI) shows the
 *    ChildWorkflowExecutionFailed event and the details {"foo":"bar"}.
 *  - start: there is no child handle; the parent returns the child's (explicit) id, and
 *    the test checks the parent's history and that the child ran.
 *  - throws_on_start / throws_on_termination / throws_on_timeout: the parent returns
 *    "<error code name> <temporal_workflow_last_error()->detail>" of the failed
 *    execute_child call, so the client sees what the workflow saw.
 *  - throws_on_timeout uses a 1 s child execution timeout instead of the README's 1 ms
 *    (the child sleeps a minute), and maximum_attempts 1.
 *  - cancel_*: the cancellation scope is a branch; the parent cancels it once the child has
 *    told it (signal "child-started") that it runs.  A child that obeys the request ends
 *    cancelled; one that ignores it (a detached branch) waits for the test's "finish".
 *  - retry: the child fails until its third attempt.
 *  - Not ported: handle (no child handle object in C).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Children ----------------------------------------------------------------------------------- */

/* Returns its input. */
static int echo_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out)
{
    (void)ctx;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->count; i++)
        rc = temporal_payloads_add_copy(out, &in->items[i]);
    return rc;
}

struct signal_state {
    bool got;
    char text[64];
};

static void on_unblock(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                       void *arg)
{
    (void)ctx;
    struct signal_state *st = arg;
    ts_json_str(args, 0, st->text, sizeof(st->text));
    st->got = true;
}

static bool got_signal(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct signal_state *)arg)->got;
}

/* Waits for signal "unblock-signal" and returns its argument. */
static int signaled_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct signal_state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    if (st == NULL)
        return TEMPORAL_ENOMEM;
    int rc = temporal_workflow_on_signal(ctx, "unblock-signal", on_unblock, st);
    if (rc == 0)
        rc = temporal_workflow_wait_condition(ctx, got_signal, st);
    return rc ? rc : temporal_payloads_add_string(out, st->text);
}

/* Fails with ApplicationFailure TestError "Test message", non-retryable, details {"foo":"bar"}. */
static int throwing_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct temporal_payloads details = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_json(&details, "{\"foo\":\"bar\"}", 13);
    if (rc == 0)
        rc = temporal_workflow_fail(ctx, "TestError", "Test message", true, &details);
    temporal_payloads_cleanup(&details);
    return rc;
}

/* Sleeps a minute (longer than any timeout its parent gives it). */
static int sleeping_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    int rc = temporal_workflow_sleep(ctx, 60000);
    return rc ? rc : temporal_payloads_add_string(out, "woke up");
}

/* Parents ------------------------------------------------------------------------------------- */

/* result: runs ChildWorkflow("test") and returns its result. */
static int result_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads arg = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_string(&arg, "test");
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.execution_timeout_ms = 10 * 60 * 1000;
    o.task_timeout_ms = 60 * 1000;
    if (rc == 0)
        rc = temporal_workflow_execute_child(ctx, "ChildWorkflow", &arg, &o, out);
    temporal_payloads_cleanup(&arg);
    return rc;
}

/* A child run on its own branch. */
struct child_branch {
    char id[200];
    const char *type;
    struct temporal_payloads out;
};

static int run_child(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct child_branch *b = arg;
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = b->id;
    o.execution_timeout_ms = 10 * 60 * 1000;
    o.task_timeout_ms = 60 * 1000;
    return temporal_workflow_execute_child(ctx, b->type, NULL, &o, &b->out);
}

/* Signals |id| with |name|("unblock"), trying again while the child has not started. */
static int signal_child(struct temporal_workflow_ctx *ctx, const char *id, const char *name)
{
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_string(&sig, "unblock");
    for (int attempt = 0; rc == 0; attempt++) {
        rc = temporal_workflow_signal_external(ctx, id, NULL, name, &sig);
        if (rc != TEMPORAL_ENOT_FOUND || attempt >= 100)
            break;
        rc = temporal_workflow_sleep(ctx, 200);
    }
    temporal_payloads_cleanup(&sig);
    return rc;
}

/* Joins |h| and moves the branch's result to |out|; returns the first error. */
static int join_child(struct temporal_workflow_ctx *ctx, struct temporal_workflow_branch *h,
                      struct child_branch *b, int rc, struct temporal_payloads *out)
{
    int jrc = temporal_workflow_join(ctx, h);
    if (rc == 0)
        rc = jrc;
    for (size_t i = 0; rc == 0 && out != NULL && i < b->out.count; i++)
        rc = temporal_payloads_add_copy(out, &b->out.items[i]);
    temporal_payloads_cleanup(&b->out);
    return rc;
}

/* signal: starts the child, signals it "unblock", returns its result. */
static int signal_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in;
    struct child_branch *b = temporal_workflow_alloc(ctx, sizeof(*b));
    if (b == NULL)
        return TEMPORAL_ENOMEM;
    snprintf(b->id, sizeof(b->id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    b->type = "SignaledChildWorkflow";
    struct temporal_workflow_branch *h;
    int rc = temporal_workflow_spawn(ctx, run_child, b, &h);
    if (rc != 0)
        return rc;
    rc = signal_child(ctx, b->id, "unblock-signal");
    return join_child(ctx, h, b, rc, out);
}

/* throws_on_execute: re-raises the child's ApplicationFailure. */
static int main_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads ignored = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_child(ctx, "ChildWorkflow", NULL, NULL, &ignored);
    temporal_payloads_cleanup(&ignored);
    if (rc == 0)
        return temporal_workflow_fail(ctx, "Unexpected", "the child did not fail", true, NULL);
    if (rc != TEMPORAL_EACTIVITY_FAILED)
        return rc;
    const struct temporal_failure_info *f = temporal_workflow_last_failure(ctx);
    if (f == NULL)
        return temporal_workflow_fail(ctx, "Unexpected", "no ApplicationFailure behind the child's failure",
                                      true, NULL);
    (void)out;
    return temporal_workflow_fail(ctx, f->type, temporal_workflow_last_error(ctx)->message,
                                  f->non_retryable, f->details);
}

/* start: starts a child with a known id and returns that id. */
static int start_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                        struct temporal_payloads *out)
{
    (void)in;
    char id[200];
    snprintf(id, sizeof(id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    struct temporal_payloads arg = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_string(&arg, "started");
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    if (rc == 0)
        rc = temporal_workflow_execute_child(ctx, "ChildWorkflow", &arg, &o, &res);
    temporal_payloads_cleanup(&arg);
    temporal_payloads_cleanup(&res);
    return rc ? rc : temporal_payloads_add_string(out, id);
}

/* "<code name> <detail>" of a failed child call, as the parent's result. */
static int report_failure(struct temporal_workflow_ctx *ctx, int rc, struct temporal_payloads *out)
{
    char text[200];
    snprintf(text, sizeof(text), "%s %s", temporal_err_name(rc), temporal_workflow_last_error(ctx)->detail);
    return temporal_payloads_add_string(out, text);
}

/* throws_on_start: a second child with the id of a running one must fail to start. */
static int duplicate_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in;
    struct child_branch *b = temporal_workflow_alloc(ctx, sizeof(*b));
    if (b == NULL)
        return TEMPORAL_ENOMEM;
    snprintf(b->id, sizeof(b->id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    b->type = "SignaledChildWorkflow";
    struct temporal_workflow_branch *h;
    int rc = temporal_workflow_spawn(ctx, run_child, b, &h);
    if (rc != 0)
        return rc;
    /* Make sure the first child runs before the second start (a signal it ignores). */
    rc = signal_child(ctx, b->id, "ping");
    int second = 0;
    if (rc == 0) {
        struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
        struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
        o.workflow_id = b->id;
        second = temporal_workflow_execute_child(ctx, "SignaledChildWorkflow", NULL, &o, &res);
        temporal_payloads_cleanup(&res);
        if (second == 0)
            rc = temporal_workflow_fail(ctx, "Unexpected", "the second child started", true, NULL);
        else
            rc = report_failure(ctx, second, out);
    }
    /* Let the first child finish. */
    int src = signal_child(ctx, b->id, "unblock-signal");
    if (rc == 0)
        rc = src;
    return join_child(ctx, h, b, rc, NULL);
}

/* throws_on_termination: waits for a child that the client terminates. */
static int terminated_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    (void)in;
    struct child_branch b = { .type = "SignaledChildWorkflow" };
    snprintf(b.id, sizeof(b.id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    int rc = run_child(ctx, &b);
    temporal_payloads_cleanup(&b.out);
    if (rc == 0)
        return temporal_workflow_fail(ctx, "Unexpected", "the child completed", true, NULL);
    return report_failure(ctx, rc, out);
}

/* throws_on_timeout: a child that outlives its 1 s execution timeout. */
static int timeout_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct temporal_retry_policy once = { .maximum_attempts = 1 };
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.execution_timeout_ms = 1000;
    o.retry_policy = &once;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_child(ctx, "SleepingChildWorkflow", NULL, &o, &res);
    temporal_payloads_cleanup(&res);
    if (rc == 0)
        return temporal_workflow_fail(ctx, "Unexpected", "the child completed", true, NULL);
    return report_failure(ctx, rc, out);
}

/* Cancellation: a child that tells its parent it runs, then waits for "finish" (which it
 * gets from the test), obeying a cancellation request unless its input is "ignore". */
struct finish_state {
    bool finish;
};

static void on_finish(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx, (void)args;
    ((struct finish_state *)arg)->finish = true;
}

static bool finish_requested(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct finish_state *)arg)->finish;
}

static int wait_finish(struct temporal_workflow_ctx *ctx, void *arg)
{
    return temporal_workflow_wait_condition(ctx, finish_requested, arg);
}

static int cancellable_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    struct finish_state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_signal(ctx, "finish", on_finish, st);
    int rc = temporal_workflow_signal_external(ctx, temporal_workflow_info(ctx)->parent_workflow_id,
                                               NULL, "child-started", NULL);
    char mode[16];
    ts_json_str(in, 0, mode, sizeof(mode));
    struct temporal_workflow_branch *h = NULL;
    if (rc == 0)
        rc = strcmp(mode, "ignore") == 0 ? temporal_workflow_spawn_detached(ctx, wait_finish, st, &h)
                                         : temporal_workflow_spawn(ctx, wait_finish, st, &h);
    if (rc == 0)
        rc = temporal_workflow_join(ctx, h);
    return rc ? rc : temporal_payloads_add_string(out, "done");
}

struct child_call {
    enum temporal_child_cancellation_type type;
    char child_id[192];
    int rc;
    struct temporal_payloads out;
};

static int call_cancellable_child(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct child_call *c = arg;
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = c->child_id;
    o.cancellation_type = c->type;
    o.parent_close_policy = TEMPORAL_PARENT_CLOSE_ABANDON; /* the test finishes the child */
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_str(&in, c->type == TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED ? "ignore" : "obey");
    c->rc = temporal_workflow_execute_child(ctx, "CancellableChild", &in, &o, &c->out);
    temporal_payloads_cleanup(&in);
    return 0;
}

static void on_child_started(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                             void *arg)
{
    (void)ctx, (void)args;
    ((struct finish_state *)arg)->finish = true;
}

/* Runs the child in a branch (its cancellation type is the input), cancels the branch once
 * the child runs, and returns "cancelled" or the child's result. */
static int cancelling_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    struct finish_state *started = temporal_workflow_alloc(ctx, sizeof(*started));
    struct child_call *c = temporal_workflow_alloc(ctx, sizeof(*c));
    temporal_workflow_on_signal(ctx, "child-started", on_child_started, started);
    c->type = (enum temporal_child_cancellation_type)ts_json_int(in, 0);
    snprintf(c->child_id, sizeof(c->child_id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    struct temporal_workflow_branch *h = NULL;
    int rc = temporal_workflow_spawn(ctx, call_cancellable_child, c, &h);
    if (rc == 0)
        rc = temporal_workflow_wait_condition(ctx, finish_requested, started);
    if (rc == 0)
        rc = temporal_workflow_cancel_branch(ctx, h);
    if (h != NULL)
        temporal_workflow_join(ctx, h);
    /* A parent that completes in the task that asks the child to cancel closes before the
     * server has delivered the request: stay a moment. */
    if (rc == 0)
        rc = temporal_workflow_sleep(ctx, 1000);
    if (rc == 0)
        rc = c->rc == TEMPORAL_ECANCELED ? temporal_payloads_add_string(out, "cancelled")
             : c->rc == 0               ? temporal_payloads_add_copy(out, &c->out.items[0])
                                        : c->rc;
    temporal_payloads_cleanup(&c->out);
    return rc;
}

/* retry: fails until its third attempt, then returns the attempt. */
static int retried_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in;
    int32_t attempt = temporal_workflow_info(ctx)->attempt;
    if (attempt < 3)
        return temporal_workflow_fail(ctx, "NotYet", "not this attempt", false, NULL);
    return ts_add_json_int(out, attempt);
}

static int retry_parent(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                        struct temporal_payloads *out)
{
    (void)in;
    struct temporal_retry_policy retry = { .initial_interval_ms = 10, .backoff_coefficient = 1.0,
                                           .maximum_attempts = 3 };
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.retry_policy = &retry;
    return temporal_workflow_execute_child(ctx, "RetriedChild", NULL, &o, out);
}

/* The worker ---------------------------------------------------------------------------------- */

static void register_wfs(struct temporal_worker *w, temporal_workflow_fn parent,
                         temporal_workflow_fn child)
{
    assert_int_equal(temporal_worker_register_workflow(w, "Workflow", parent,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "ChildWorkflow", child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "SignaledChildWorkflow", signaled_child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "SleepingChildWorkflow", sleeping_child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "CancellableChild", cancellable_child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "RetriedChild", retried_child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

static void reg_result(struct temporal_worker *w) { register_wfs(w, result_parent, echo_child); }
static void reg_signal(struct temporal_worker *w) { register_wfs(w, signal_parent, echo_child); }
static void reg_start(struct temporal_worker *w) { register_wfs(w, start_parent, echo_child); }
static void reg_duplicate(struct temporal_worker *w) { register_wfs(w, duplicate_parent, echo_child); }
static void reg_terminated(struct temporal_worker *w) { register_wfs(w, terminated_parent, echo_child); }
static void reg_timeout(struct temporal_worker *w) { register_wfs(w, timeout_parent, echo_child); }
static void reg_cancelling(struct temporal_worker *w) { register_wfs(w, cancelling_parent, echo_child); }
static void reg_retry(struct temporal_worker *w) { register_wfs(w, retry_parent, echo_child); }

static void reg_throwing(struct temporal_worker *w)
{
    /* The features scenario names the parent MainWorkflow. */
    assert_int_equal(temporal_worker_register_workflow(w, "MainWorkflow", main_parent,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "ChildWorkflow", throwing_child,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

/* Driver helpers ------------------------------------------------------------------------------ */

/* Waits for workflow |id| and returns its (string) result; free() it. */
static char *finish_for_string(struct ts_worker *tw, const char *id)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    assert_int_equal(res.count, 1);
    char *text = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &text), 0);
    char *copy = strdup(text);
    temporal_free(text);
    temporal_payloads_cleanup(&res);
    return copy;
}

/* Starts workflow |type|, waits for it and returns its (string) result; free() it. */
static char *run_for_string(struct ts_worker *tw, const char *type, char *id, size_t cap)
{
    ts_feature_start(tw, type, NULL, id, cap);
    return finish_for_string(tw, id);
}

/* Index of the first event named |name| in |h| at or after |from|, or -1. */
static long find_event(const struct temporal_history *h, const char *name, size_t from)
{
    for (size_t i = from; i < h->count; i++)
        if (strcmp(h->events[i].event_type_name, name) == 0)
            return (long)i;
    return -1;
}

/* Cases --------------------------------------------------------------------------------------- */

/* Runs the parent "Workflow" registered by |reg| and checks its (string) result. */
static void expect_result(const char *prefix, ts_register_fn reg, const char *want)
{
    struct ts_worker tw;
    ts_feature_worker(&tw, prefix, -1, reg);
    char id[160];
    char *out = run_for_string(&tw, "Workflow", id, sizeof(id));
    assert_string_equal(out, want);
    free(out);
    ts_worker_stop(&tw);
}

static void result(void **state)
{
    (void)state;
    expect_result("feat-child-result", reg_result, "test");
}

static void signal_case(void **state)
{
    (void)state;
    expect_result("feat-child-signal", reg_signal, "unblock");
}

static void throws_on_execute(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-throws-exec", -1, reg_throwing);
    char id[160];
    ts_feature_start(&tw, "MainWorkflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    int rc = ts_feature_result(&tw, id, &res, &err);
    temporal_payloads_cleanup(&res);
    print_message("client sees %s detail=%s: %s\n", temporal_err_name(rc), err.detail, err.message);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_FAILED);
    assert_string_equal(err.detail, "TestError");
    assert_non_null(strstr(err.message, "Test message"));
    assert_non_null(strstr(err.message, "ChildWorkflow"));

    /* The parent's history, seen by the CLI: the child failed, and the parent's failure
     * carries the child's ApplicationFailure (non-retryable, details {"foo":"bar"}). */
    json_t *h = ts_cli_json("workflow show --workflow-id %s", id);
    assert_non_null(h);
    json_t *events = json_object_get(h, "events");
    assert_true(json_is_array(events));
    bool child_failed = false;
    json_t *failure = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        json_t *cf = json_object_get(ev, "childWorkflowExecutionFailedEventAttributes");
        if (cf != NULL) {
            child_failed = true;
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(cf, "workflowType"), "name")),
                                "ChildWorkflow");
        }
        json_t *wf = json_object_get(ev, "workflowExecutionFailedEventAttributes");
        if (wf != NULL)
            failure = json_object_get(wf, "failure");
    }
    assert_true(child_failed);
    assert_non_null(failure);
    json_t *app = json_object_get(failure, "applicationFailureInfo");
    assert_non_null(app);
    assert_string_equal(json_string_value(json_object_get(app, "type")), "TestError");
    assert_true(json_is_true(json_object_get(app, "nonRetryable")));
    json_t *payloads = json_object_get(json_object_get(app, "details"), "payloads");
    assert_int_equal(json_array_size(payloads), 1);
    /* The CLI shows the payload as protobuf JSON: base64 of "json/plain" and of the text. */
    json_t *d0 = json_array_get(payloads, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d0, "metadata"), "encoding")),
                        "anNvbi9wbGFpbg==");                               /* json/plain */
    const char *d0text = json_string_value(json_object_get(d0, "data"));
    assert_non_null(d0text);
    assert_string_equal(d0text, "eyJmb28iOiJiYXIifQ==");                   /* {"foo":"bar"} */
    json_decref(h);
    ts_worker_stop(&tw);
}

static void start(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-start", -1, reg_start);
    char id[160];
    char *child_id = run_for_string(&tw, "Workflow", id, sizeof(id));
    char expected[200];
    snprintf(expected, sizeof(expected), "%s-child", id);
    assert_string_equal(child_id, expected);

    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw.client, id, NULL, &h, &err), err);
    long initiated = find_event(&h, "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED", 0);
    assert_true(initiated > 0);
    assert_string_equal(h.events[initiated - 1].event_type_name, "EVENT_TYPE_WORKFLOW_TASK_COMPLETED");
    assert_true(find_event(&h, "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED", (size_t)initiated) > initiated);
    temporal_history_cleanup(&h);

    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(tw.client, child_id, NULL, &d, &err), err);
    assert_string_equal(d.workflow_type, "ChildWorkflow");
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    temporal_workflow_description_cleanup(&d);
    free(child_id);
    ts_worker_stop(&tw);
}

static void throws_on_start(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-throws-start", -1, reg_duplicate);
    char id[160];
    char *out = run_for_string(&tw, "Workflow", id, sizeof(id));
    assert_string_equal(out, "TEMPORAL_EACTIVITY_FAILED WorkflowExecutionAlreadyStarted");
    free(out);
    ts_worker_stop(&tw);
}

static void throws_on_termination(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-throws-term", -1, reg_terminated);
    char id[160], child_id[200];
    ts_feature_start(&tw, "Workflow", NULL, id, sizeof(id));
    snprintf(child_id, sizeof(child_id), "%s-child", id);
    /* Wait until the child runs, then terminate it. */
    struct temporal_error err;
    int rc = TEMPORAL_ENOT_FOUND;
    for (int i = 0; i < 300 && rc == TEMPORAL_ENOT_FOUND; i++) {
        struct temporal_workflow_description d;
        rc = temporal_client_describe_workflow(tw.client, child_id, NULL, &d, &err);
        if (rc == 0)
            temporal_workflow_description_cleanup(&d);
        else
            ts_sleep_ms(100);
    }
    TS_OK(rc, err);
    TS_OK(temporal_client_terminate_workflow(tw.client, child_id, NULL, "features test", &err), err);
    char *out = finish_for_string(&tw, id);
    assert_string_equal(out, "TEMPORAL_EACTIVITY_FAILED TerminatedFailure");
    free(out);
    ts_worker_stop(&tw);
}

static void throws_on_timeout(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-throws-timeout", -1, reg_timeout);
    char id[160];
    char *out = run_for_string(&tw, "Workflow", id, sizeof(id));
    assert_string_equal(out, "TEMPORAL_EACTIVITY_FAILED TimeoutFailure");
    free(out);
    ts_worker_stop(&tw);
}

/* Runs cancelling_parent with |type|; returns its result and whether the child was asked to
 * cancel (a WorkflowExecutionCancelRequested event); the child is then finished if it runs. */
static char *run_cancel(const char *prefix, enum temporal_child_cancellation_type type,
                        bool *child_asked, char *child_status, size_t cap)
{
    struct ts_worker tw;
    ts_feature_worker(&tw, prefix, -1, reg_cancelling);
    char id[160], child[200];
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, (int)type);
    ts_feature_start(&tw, "Workflow", &args, id, sizeof(id));
    temporal_payloads_cleanup(&args);
    snprintf(child, sizeof(child), "%s-child", id);
    struct temporal_error err;
    char *result = NULL;
    if (type == TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED) {
        /* The parent waits for the child, which ignores the request: finish it. */
        bool asked = false;
        while (!asked) {
            struct temporal_history h;
            if (temporal_client_fetch_history(tw.client, child, NULL, &h, &err) == 0) {
                asked = find_event(&h, "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED", 0) >= 0;
                temporal_history_cleanup(&h);
            }
            if (!asked)
                ts_sleep_ms(50);
        }
        TS_OK(temporal_client_signal_workflow(tw.client, child, NULL, "finish", NULL, &err), err);
        result = finish_for_string(&tw, id);
    } else {
        result = finish_for_string(&tw, id);
        /* An abandoned child runs on: finish it (one that obeyed has closed). */
        temporal_client_signal_workflow(tw.client, child, NULL, "finish", NULL, &err);
    }
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    temporal_client_get_workflow_result(tw.client, child, NULL, 60000, &res, &err);
    temporal_payloads_cleanup(&res);
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(tw.client, child, NULL, &d, &err), err);
    snprintf(child_status, cap, "%s", temporal_workflow_status_name(d.status));
    temporal_workflow_description_cleanup(&d);
    struct temporal_history h;
    TS_OK(temporal_client_fetch_history(tw.client, child, NULL, &h, &err), err);
    *child_asked = find_event(&h, "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED", 0) >= 0;
    temporal_history_cleanup(&h);
    ts_worker_stop(&tw);
    return result;
}

/* Runs the cancel scenario with |type| and checks what the parent returned, whether the
 * child was asked to cancel, and how the child ended. */
static void expect_cancel(const char *prefix, enum temporal_child_cancellation_type type,
                          const char *result, bool asked, const char *child_status)
{
    bool was_asked;
    char status[32];
    char *r = run_cancel(prefix, type, &was_asked, status, sizeof(status));
    assert_string_equal(r, result);
    assert_int_equal(was_asked, asked);
    assert_string_equal(status, child_status);
    free(r);
}

/* The parent stops waiting at once; the child is asked to cancel and does. */
static void cancel_try_cancel(void **state)
{
    (void)state;
    expect_cancel("feat-child-try", TEMPORAL_CHILD_CANCEL_TRY, "cancelled", true, "CANCELED");
}

static void cancel_wait_requested(void **state)
{
    (void)state;
    expect_cancel("feat-child-waitreq", TEMPORAL_CHILD_CANCEL_WAIT_REQUESTED, "cancelled", true,
                  "CANCELED");
}

/* The child ignores the request; the parent waits and gets its result. */
static void cancel_wait_completed(void **state)
{
    (void)state;
    expect_cancel("feat-child-waitdone", TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED, "done", true,
                  "COMPLETED");
}

/* The child is never told. */
static void cancel_abandon(void **state)
{
    (void)state;
    expect_cancel("feat-child-abandon", TEMPORAL_CHILD_CANCEL_ABANDON, "cancelled", false,
                  "COMPLETED");
}

static void retry(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-child-retry", -1, reg_retry);
    char id[160];
    ts_feature_start(&tw, "Workflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    assert_int_equal(ts_json_int(&res, 0), 3); /* it ran three times */
    temporal_payloads_cleanup(&res);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(result),
    { "signal", signal_case, NULL, NULL, NULL }, /* not named signal(): <signal.h> */
    cmocka_unit_test(throws_on_execute),
    cmocka_unit_test(start),
    cmocka_unit_test(throws_on_start),
    cmocka_unit_test(throws_on_termination),
    cmocka_unit_test(throws_on_timeout),
    cmocka_unit_test(cancel_try_cancel),
    cmocka_unit_test(cancel_wait_requested),
    cmocka_unit_test(cancel_wait_completed),
    cmocka_unit_test(cancel_abandon),
    cmocka_unit_test(retry),
};
TS_MAIN(tests)
