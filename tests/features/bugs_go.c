/*
 * temporalio/features bugs/go/: child_workflow_cancel_panic, against the dev server.
 *
 * Adaptations to C:
 *  - Go starts the child without waiting for its future; temporal_workflow_execute_child()
 *    waits, so the child runs on a spawned branch that is never joined.  Go registers its
 *    workflow.Sleep as the child's type; here "Sleep" is a C workflow that sleeps for the
 *    duration (ms) it is given (5 h).  The child gets an explicit id ("<parent id>-child") so
 *    that the test can check what became of it.
 *  - "Block on ctx.Done()" is a wait for the cancellation request; Go's disconnected
 *    context is a detached branch (temporal_workflow_spawn_detached()), in which DoNothing
 *    runs (StartToClose 5 min); the workflow returns that activity's (empty) result.
 *  - The driver polls query "waiting-for-cancel" every 50 ms (bounded by attempts, not by
 *    the clock), cancels, and asserts the workflow completed; it also checks that the child
 *    did not outlive its parent (cancelled by the request, or terminated by the default
 *    parent close policy).
 *  - Not ported: activity_start_race.  It needs a client interceptor that holds back the
 *    worker's PollWorkflowTaskQueue / PollActivityTaskQueue calls for given periods, to
 *    force the signal, the activity completions and the cancel request into one workflow
 *    task; the C worker has no poll interceptor or hook to delay its polls, and without one
 *    the interleaving (the point of the scenario) cannot be produced deterministically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define CHILD_SLEEP_MS (5LL * 3600 * 1000)

/* The child: Go's workflow.Sleep registered as a workflow type. */
static int sleep_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)out;
    int64_t ms = in != NULL && in->count > 0 ? atoll((const char *)in->items[0].data) : 0;
    return temporal_workflow_sleep(ctx, ms);
}

static int do_nothing(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)out, (void)ud;
    return 0;
}

/* State the parent shares with its branches and its query handler (run-lifetime memory). */
struct parent_state {
    bool waiting;
    char child_id[160];
    struct temporal_payloads activity_out;
};

static int waiting_query(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args;
    const char *v = ((struct parent_state *)arg)->waiting ? "true" : "false";
    return temporal_payloads_add_json(result, v, strlen(v));
}

static int child_branch(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct parent_state *st = arg;
    struct temporal_retry_policy rp = { .maximum_attempts = 1 };
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = st->child_id;
    o.retry_policy = &rp;
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT, out = TEMPORAL_PAYLOADS_INIT;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", CHILD_SLEEP_MS);
    int rc = temporal_payloads_add_json(&in, buf, (size_t)n);
    if (rc == 0)
        rc = temporal_workflow_execute_child(ctx, "Sleep", &in, &o, &out);
    temporal_payloads_cleanup(&in);
    temporal_payloads_cleanup(&out);
    return rc;
}

static int do_nothing_branch(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct parent_state *st = arg;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5 * 60 * 1000;
    return temporal_workflow_execute_activity(ctx, "DoNothing", NULL, &o, &st->activity_out);
}

static bool cancel_requested(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)arg;
    return temporal_workflow_is_cancel_requested(ctx);
}

static int cancel_panic_workflow(struct temporal_workflow_ctx *ctx,
                                 const struct temporal_payloads *in, struct temporal_payloads *out)
{
    (void)in;
    struct parent_state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    if (st == NULL)
        return TEMPORAL_ENOMEM;
    snprintf(st->child_id, sizeof(st->child_id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    int rc = temporal_workflow_on_query(ctx, "waiting-for-cancel", waiting_query, st);
    struct temporal_workflow_branch *child = NULL, *cleanup = NULL;
    if (rc == 0)
        rc = temporal_workflow_spawn(ctx, child_branch, st, &child); /* never joined */
    if (rc != 0)
        return rc;
    st->waiting = true;
    rc = temporal_workflow_wait_condition(ctx, cancel_requested, st);
    if (rc != 0 && !(rc == TEMPORAL_ECANCELED && temporal_workflow_is_cancel_requested(ctx)))
        return rc; /* e.g. the run was dropped from memory */
    /* Cancelled: the clean-up runs in a branch the cancellation does not reach. */
    rc = temporal_workflow_spawn_detached(ctx, do_nothing_branch, st, &cleanup);
    if (rc == 0)
        rc = temporal_workflow_join(ctx, cleanup);
    for (size_t i = 0; rc == 0 && i < st->activity_out.count; i++)
        rc = temporal_payloads_add_copy(out, &st->activity_out.items[i]);
    temporal_payloads_cleanup(&st->activity_out);
    return rc;
}

static void register_cancel_panic(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "Workflow", cancel_panic_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "Sleep", sleep_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "DoNothing", do_nothing, NULL), 0);
}

static void child_workflow_cancel_panic(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "bugs-go-cancel-panic", -1, register_cancel_panic);
    char id[160], child_id[200];
    ts_feature_start(&tw, "Workflow", NULL, id, sizeof(id));
    snprintf(child_id, sizeof(child_id), "%s-child", id);

    /* QueryUntilEventually("waiting-for-cancel" == true), every 50 ms. */
    struct temporal_error err;
    bool waiting = false;
    for (int i = 0; i < 400 && !waiting; i++) {
        struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
        if (temporal_client_query_workflow(tw.client, id, NULL, "waiting-for-cancel", NULL, &res,
                                           &err) == 0 &&
            res.count == 1)
            waiting = strncmp((const char *)res.items[0].data, "true", 4) == 0;
        temporal_payloads_cleanup(&res);
        if (!waiting)
            ts_sleep_ms(50);
    }
    assert_true(waiting);

    TS_OK(temporal_client_cancel_workflow(tw.client, id, NULL, NULL, &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err); /* completed, not failed or cancelled */
    assert_int_equal(res.count, 0);                     /* DoNothing returns nothing */
    temporal_payloads_cleanup(&res);

    /* The child was asked to cancel (or terminated when its parent closed). */
    struct temporal_workflow_description d;
    enum temporal_workflow_status status = TEMPORAL_WORKFLOW_STATUS_RUNNING;
    for (int i = 0; i < 200 && status == TEMPORAL_WORKFLOW_STATUS_RUNNING; i++) {
        memset(&d, 0, sizeof(d));
        TS_OK(temporal_client_describe_workflow(tw.client, child_id, NULL, &d, &err), err);
        status = d.status;
        temporal_workflow_description_cleanup(&d);
        if (status == TEMPORAL_WORKFLOW_STATUS_RUNNING)
            ts_sleep_ms(100);
    }
    if (status != TEMPORAL_WORKFLOW_STATUS_CANCELED && status != TEMPORAL_WORKFLOW_STATUS_TERMINATED)
        fail_msg("child ended %s", temporal_workflow_status_name(status));
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(child_workflow_cancel_panic),
};
TS_MAIN(tests)
