/*
 * temporalio/features query/: queries sent by our client to C workflows on our worker
 * (successful_query, timeout_due_to_no_active_workers, unexpected_arguments,
 * unexpected_query_type_name, unexpected_return_type), against the dev server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Shared workflow state (allocated with temporal_workflow_alloc: handlers outlive frames). */
struct state {
    int counter;
    bool finished;
};

static bool finished(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->finished;
}

static void on_finish(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                      void *arg)
{
    (void)ctx, (void)args;
    ((struct state *)arg)->finished = true;
}

/* Registers "finish" and waits for it; the workflows below return nothing. */
static int wait_finish(struct temporal_workflow_ctx *ctx, struct state *st)
{
    temporal_workflow_on_signal(ctx, "finish", on_finish, st);
    return temporal_workflow_wait_condition(ctx, finished, st);
}

/* successful_query ----------------------------------------------------------------------------- */

static int counter_q(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                     struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args;
    return ts_add_json_int(result, ((struct state *)arg)->counter);
}

static void counter_inc(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                        void *arg)
{
    (void)ctx, (void)args;
    ((struct state *)arg)->counter++;
}

static bool counted_five(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->counter >= 5;
}

static int counter_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_query(ctx, "counterQ", counter_q, st);
    temporal_workflow_on_signal(ctx, "counterInc", counter_inc, st);
    return temporal_workflow_wait_condition(ctx, counted_five, st);
}

/* timeout_due_to_no_active_workers --------------------------------------------------------------- */

static int some_query(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                      struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args, (void)arg;
    return temporal_payloads_add_json(result, "true", 4);
}

static int some_query_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_query(ctx, "somequery", some_query, st);
    return wait_finish(ctx, st);
}

/* unexpected_arguments ------------------------------------------------------------------------- */

/* The handler sees the raw argument list: extra arguments are ignored, a missing one is 0. */
static int got_query(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                     struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)arg;
    char r[48];
    snprintf(r, sizeof(r), "got %d", ts_json_int(args, 0));
    return temporal_payloads_add_string(result, r);
}

static int args_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_query(ctx, "theQuery", got_query, st);
    return wait_finish(ctx, st);
}

/* unexpected_query_type_name ------------------------------------------------------------------- */

static int finish_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    return wait_finish(ctx, st);
}

/* unexpected_return_type ----------------------------------------------------------------------- */

static int hi_bob(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                  struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args, (void)arg;
    return temporal_payloads_add_string(result, "hi bob");
}

static int return_type_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_query(ctx, "theQuery", hi_bob, st);
    return wait_finish(ctx, st);
}

static void register_all(struct temporal_worker *w)
{
    static const struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = {
        { "CounterWorkflow", counter_workflow },   { "SomeQueryWorkflow", some_query_workflow },
        { "ArgsWorkflow", args_workflow },         { "FinishWorkflow", finish_workflow },
        { "ReturnTypeWorkflow", return_type_workflow },
    };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(w, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                           NULL),
                         0);
}

/* Driver helpers ------------------------------------------------------------------------------- */

/* Queries |name| with |args|; the answer's first payload as JSON text into |out|. */
static int query(struct temporal_client *c, const char *id, const char *name,
                 const struct temporal_payloads *args, char *out, size_t cap,
                 struct temporal_error *err)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_client_query_workflow(c, id, NULL, name, args, &res, err);
    snprintf(out, cap, "%s", res.count > 0 ? (const char *)res.items[0].data : "");
    temporal_payloads_cleanup(&res);
    return rc;
}

static int query_int(struct ts_worker *tw, const char *id)
{
    char out[64];
    struct temporal_error err;
    TS_OK(query(tw->client, id, "counterQ", NULL, out, sizeof(out), &err), err);
    return atoi(out);
}

static void send_signal(struct ts_worker *tw, const char *id, const char *name)
{
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(tw->client, id, NULL, name, NULL, &err), err);
}

/* The default result check: the workflow completed (with no value). */
static void completes(struct ts_worker *tw, const char *id)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    temporal_payloads_cleanup(&res);
}

static void finish(struct ts_worker *tw, const char *id)
{
    send_signal(tw, id, "finish");
    completes(tw, id);
}

/* Scenarios -------------------------------------------------------------------------------------- */

static void successful_query(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-query-ok", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "CounterWorkflow", NULL, id, sizeof(id));
    assert_int_equal(query_int(&tw, id), 0);
    send_signal(&tw, id, "counterInc");
    assert_int_equal(query_int(&tw, id), 1);
    for (int i = 0; i < 3; i++)
        send_signal(&tw, id, "counterInc");
    assert_int_equal(query_int(&tw, id), 4);
    send_signal(&tw, id, "counterInc");
    completes(&tw, id);
    /* A closed workflow still answers. */
    assert_int_equal(query_int(&tw, id), 5);
    ts_worker_stop(&tw);
}

static void timeout_due_to_no_active_workers(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-query-noworker", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "SomeQueryWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    /* Answered while the worker runs (as the TS version checks first). */
    TS_OK(query(tw.client, id, "somequery", NULL, out, sizeof(out), &err), err);
    assert_string_equal(out, "true");
    char task_queue[sizeof(tw.task_queue)];
    snprintf(task_queue, sizeof(task_queue), "%s", tw.task_queue);
    ts_worker_stop(&tw);

    /* The query has no timeout argument: a client's rpc_timeout_ms bounds each call, and an
     * expired deadline (gRPC DEADLINE_EXCEEDED) is TEMPORAL_ETIMEDOUT. */
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = ts_state("address");
    co.rpc_timeout_ms = 1000;
    struct temporal_client *shortc = NULL;
    TS_OK(temporal_client_connect(&shortc, &co, &err), err);
    assert_int_equal(query(shortc, id, "somequery", NULL, out, sizeof(out), &err), TEMPORAL_ETIMEDOUT);
    print_message("query without a worker: %s\n", err.message);
    temporal_client_free(shortc);

    /* A new worker on the same task queue finishes the run. */
    memset(&tw, 0, sizeof(tw));
    snprintf(tw.task_queue, sizeof(tw.task_queue), "%s", task_queue);
    tw.client = ts_connect();
    struct temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
    wo.task_queue = tw.task_queue;
    TS_OK(temporal_worker_new(&tw.worker, tw.client, &wo, &err), err);
    register_all(tw.worker);
    ts_worker_run(&tw);
    finish(&tw, id);
    ts_worker_stop(&tw);
}

static void unexpected_arguments(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-query-args", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "ArgsWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, 123);
    TS_OK(query(tw.client, id, "theQuery", &args, out, sizeof(out), &err), err);
    assert_string_equal(out, "\"got 123\"");
    /* An extra argument is dropped. */
    temporal_payloads_add_json(&args, "true", 4);
    TS_OK(query(tw.client, id, "theQuery", &args, out, sizeof(out), &err), err);
    assert_string_equal(out, "\"got 123\"");
    temporal_payloads_cleanup(&args);
    /* A missing argument takes its default. */
    TS_OK(query(tw.client, id, "theQuery", NULL, out, sizeof(out), &err), err);
    assert_string_equal(out, "\"got 0\"");
    finish(&tw, id);
    ts_worker_stop(&tw);
}

static void unexpected_query_type_name(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-query-name", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "FinishWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    assert_int_equal(query(tw.client, id, "nonexistent", NULL, out, sizeof(out), &err),
                     TEMPORAL_EQUERY_FAILED);
    print_message("unknown query: %s\n", err.message);
    finish(&tw, id);
    ts_worker_stop(&tw);
}

static void unexpected_return_type(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-query-rettype", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "ReturnTypeWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_query_workflow(tw.client, id, NULL, "theQuery", NULL, &res, &err), err);
    assert_int_equal(res.count, 1);
    /* The caller wants an int: decoding must see that the answer is a string instead. */
    json_t *j = json_loadb((const char *)res.items[0].data, res.items[0].data_len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_false(json_is_integer(j));
    assert_true(json_is_string(j));
    json_decref(j);
    char s[32];
    ts_json_str(&res, 0, s, sizeof(s));
    assert_string_equal(s, "hi bob");
    temporal_payloads_cleanup(&res);
    finish(&tw, id);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(successful_query),
    cmocka_unit_test(timeout_due_to_no_active_workers),
    cmocka_unit_test(unexpected_arguments),
    cmocka_unit_test(unexpected_query_type_name),
    cmocka_unit_test(unexpected_return_type),
};
TS_MAIN(tests)
