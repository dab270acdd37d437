/*
 * temporalio/features continue_as_new/: continue_as_same, against the dev server.
 *
 * Adaptations to C:
 *  - The workflow tells the first run from the continued one by
 *    temporal_workflow_info(ctx)->continued_run_id ("" for the first run), and continues
 *    with temporal_workflow_continue_as_new() (same type and task queue, same input).
 *  - The fixed workflow id of the scenario ("TestID") is made unique per test run (the
 *    shared dev server keeps the ids of earlier runs).
 *  - The result is fetched from the first run's id with temporal_client_get_workflow_result(),
 *    which must follow the continue-as-new chain; describe (latest run) must show the memo
 *    the first run was started with.
 *  - updates_do_not_block_continue_as_new: as in the Python version, the first run's
 *    workflow code blocks its worker thread on a flag shared with the test while the update
 *    is sent (the test gives the server a second to admit it: our client has no
 *    wait-for-admitted), then continues as new; the update is handled by the new run.
 *  - signals_block_continue_as_new (README only upstream): the first run's code blocks its
 *    worker thread (once) until the test has sent a signal, then continues as new without
 *    having seen it; the server refuses that completion (new events), the task is retried
 *    with the signal, and the run ends with the signal's value instead of continuing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static int same_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    const char *continued = temporal_workflow_info(ctx)->continued_run_id;
    if (continued != NULL && continued[0] != '\0') {
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < in->count; i++)
            rc = temporal_payloads_add_copy(out, &in->items[i]);
        return rc;
    }
    return temporal_workflow_continue_as_new(ctx, in);
}

/* updates_do_not_block_continue_as_new ------------------------------------------------------ */

static int release_first_run; /* set by the test once the update has been sent */

static int run_id_of_handler(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                             struct temporal_payloads *result, void *arg)
{
    (void)args;
    *(bool *)arg = true;
    return ts_add_json_str(result, temporal_workflow_info(ctx)->run_id);
}

static bool handled(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return *(bool *)arg;
}

static int can_with_update_workflow(struct temporal_workflow_ctx *ctx,
                                    const struct temporal_payloads *in, struct temporal_payloads *out)
{
    bool *done = temporal_workflow_alloc(ctx, sizeof(*done));
    temporal_workflow_on_update(ctx, "update", run_id_of_handler, NULL, done);
    const char *continued = temporal_workflow_info(ctx)->continued_run_id;
    if (continued == NULL || continued[0] == '\0') {
        /* The first run: hold the task until the test has sent the update, then continue. */
        while (!__atomic_load_n(&release_first_run, __ATOMIC_SEQ_CST))
            ts_sleep_ms(20);
        return temporal_workflow_continue_as_new(ctx, in);
    }
    int rc = temporal_workflow_wait_condition(ctx, handled, done);
    return rc ? rc : ts_add_json_str(out, temporal_workflow_info(ctx)->run_id);
}

/* continue_as_changed: continues as another workflow type with other arguments. */
static int first_type(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct temporal_payloads next = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&next, "changed");
    struct temporal_continue_as_new_options o = TEMPORAL_CONTINUE_AS_NEW_OPTIONS_INIT;
    o.workflow_type = "SecondType";
    int rc = temporal_workflow_continue_as_new_with(ctx, &next, &o);
    temporal_payloads_cleanup(&next);
    return rc;
}

static int second_type(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    char arg[32], text[96];
    ts_json_str(in, 0, arg, sizeof(arg));
    snprintf(text, sizeof(text), "%s:%s", arg, temporal_workflow_info(ctx)->workflow_type);
    return temporal_payloads_add_string(out, text);
}

/* signals_block_continue_as_new ------------------------------------------------------------- */

static int held_once, release_held; /* the first task is held once, until the test says */

struct signal_value {
    char value[32];
};

static void on_value(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx;
    ts_json_str(args, 0, ((struct signal_value *)arg)->value, sizeof(((struct signal_value *)arg)->value));
}

static int signal_or_continue_workflow(struct temporal_workflow_ctx *ctx,
                                       const struct temporal_payloads *in,
                                       struct temporal_payloads *out)
{
    const char *continued = temporal_workflow_info(ctx)->continued_run_id;
    if (continued != NULL && continued[0] != '\0')
        return temporal_payloads_add_string(out, "continued");
    struct signal_value *v = temporal_workflow_alloc(ctx, sizeof(*v));
    temporal_workflow_on_signal(ctx, "value", on_value, v);
    if (!__atomic_exchange_n(&held_once, 1, __ATOMIC_SEQ_CST))
        while (!__atomic_load_n(&release_held, __ATOMIC_SEQ_CST))
            ts_sleep_ms(20);
    if (v->value[0] != '\0')
        return temporal_payloads_add_string(out, v->value);
    return temporal_workflow_continue_as_new(ctx, in);
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "SignalOrContinue", signal_or_continue_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "FirstType", first_type,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "SecondType", second_type,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "CanWithUpdate", can_with_update_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "Workflow", same_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

static void continue_as_same(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-can-same", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-TestID", tw.task_queue);

    struct temporal_payloads memo_value = TEMPORAL_PAYLOADS_INIT, args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&memo_value, "MemoValue"), 0);
    assert_int_equal(temporal_payloads_add_string(&args, "InputData"), 0);
    struct temporal_named_payload memo[] = { { "MemoKey", &memo_value.items[0] } };
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "Workflow";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    so.memo = memo;
    so.memo_count = 1;
    struct temporal_error err;
    char *first_run = NULL;
    TS_OK(temporal_client_start_workflow(tw.client, &so, &args, &first_run, &err), err);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&memo_value);

    /* The result, waited for from the first run: the client follows the chain. */
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, first_run, 60000, &res, &err), err);
    assert_int_equal(res.count, 1);
    char *text = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &text), 0);
    assert_string_equal(text, "InputData");
    temporal_free(text);
    temporal_payloads_cleanup(&res);

    /* The first run continued as new; the latest run, under the same id, completed. */
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(tw.client, id, first_run, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_CONTINUED_AS_NEW);
    temporal_workflow_description_cleanup(&d);
    TS_OK(temporal_client_describe_workflow(tw.client, id, NULL, &d, &err), err);
    print_message("latest run %s (first %s): %s, %zu memo field(s)\n", d.run_id, first_run,
                  temporal_workflow_status_name(d.status), d.memo.values.count);
    assert_string_equal(d.workflow_id, id);
    assert_string_not_equal(d.run_id, first_run);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_COMPLETED);

    /* The memo was carried over to the new run. */
    const struct temporal_payload *v = temporal_named_payloads_get(&d.memo, "MemoKey");
    if (v == NULL)
        fail_msg("the memo was not carried to the continued run %s (it has %zu memo field(s); "
                 "the first run %s has MemoKey)", d.run_id, d.memo.values.count, first_run);
    assert_int_equal(temporal_payload_get_string(v, &text), 0);
    assert_string_equal(text, "MemoValue");
    temporal_free(text);
    temporal_workflow_description_cleanup(&d);
    temporal_free(first_run);
    ts_worker_stop(&tw);
}

struct update_call {
    struct temporal_client *client;
    const char *id;
    int rc;
    char run_id[64];
    struct temporal_error err;
};

static void *send_update(void *arg)
{
    struct update_call *u = arg;
    struct temporal_update_options o = TEMPORAL_UPDATE_OPTIONS_INIT;
    o.update_id = "update-id";
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    u->rc = temporal_client_update_workflow(u->client, u->id, "update", NULL, &o, &res, &u->err);
    ts_json_str(&res, 0, u->run_id, sizeof(u->run_id));
    temporal_payloads_cleanup(&res);
    return NULL;
}

/* How many events of type |name| the history of run |run_id| of |id| has. */
static int count_named(struct ts_worker *tw, const char *id, const char *run_id, const char *name)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw->client, id, run_id, &h, &err), err);
    int n = 0;
    for (size_t i = 0; i < h.count; i++)
        n += strcmp(h.events[i].event_type_name, name) == 0;
    temporal_history_cleanup(&h);
    return n;
}

static void updates_do_not_block_continue_as_new(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-can-update", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    release_first_run = 0;
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "CanWithUpdate";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    char *first_run = NULL;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, &first_run, &err), err);
    /* The update arrives while the first run's task is held. */
    struct update_call u = { ts_connect(), id, -1, "", { 0 } };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_update, &u), 0);
    ts_sleep_ms(1000);
    __atomic_store_n(&release_first_run, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    TS_OK(u.rc, u.err);
    /* The new run handled it. */
    assert_string_not_equal(u.run_id, first_run);
    assert_int_equal(count_named(&tw, id, first_run, "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"), 0);
    assert_int_equal(count_named(&tw, id, first_run, "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED"), 0);
    assert_int_equal(count_named(&tw, id, u.run_id, "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"), 1);
    assert_int_equal(count_named(&tw, id, u.run_id, "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED"), 1);
    temporal_client_free(u.client);
    temporal_free(first_run);
    ts_worker_stop(&tw);
}

/* Not a features scenario: continue-as-new to another type with other arguments. */
static void continue_as_changed(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-can-changed", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "FirstType", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    char out[64];
    ts_json_str(&res, 0, out, sizeof(out));
    assert_string_equal(out, "changed:SecondType");
    temporal_payloads_cleanup(&res);
    ts_worker_stop(&tw);
}

static void signals_block_continue_as_new(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-can-signal", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    held_once = release_held = 0;
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "SignalOrContinue";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    char *first_run = NULL;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, &first_run, &err), err);
    while (!__atomic_load_n(&held_once, __ATOMIC_SEQ_CST))
        ts_sleep_ms(20);
    /* The signal becomes durable while the task that will continue as new is held. */
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "signalled");
    TS_OK(temporal_client_signal_workflow(tw.client, id, NULL, "value", &args, &err), err);
    temporal_payloads_cleanup(&args);
    __atomic_store_n(&release_held, 1, __ATOMIC_SEQ_CST);
    /* The run that received the signal ends with it: it did not continue as new. */
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, first_run, 60000, &res, &err), err);
    char out[32];
    ts_json_str(&res, 0, out, sizeof(out));
    assert_string_equal(out, "signalled");
    temporal_payloads_cleanup(&res);
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(tw.client, id, first_run, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    temporal_workflow_description_cleanup(&d);
    assert_int_equal(count_named(&tw, id, first_run, "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"), 0);
    temporal_free(first_run);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(continue_as_same),
    cmocka_unit_test(updates_do_not_block_continue_as_new),
    cmocka_unit_test(continue_as_changed),
    cmocka_unit_test(signals_block_continue_as_new),
};
TS_MAIN(tests)
