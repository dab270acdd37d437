/*
 * temporalio/features signal/: signals sent by our client (and by a C workflow, through
 * SignalExternalWorkflowExecution) to C workflows on our worker (external, basic,
 * activities, child_workflow, signal_with_start, prevent_close), against the dev server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Shared workflow state (allocated with temporal_workflow_alloc: handlers outlive frames). */
struct state {
    char text[64];
    bool signaled;
    int value;
    int values[8];
    int nvalues;
};

/* A string signal's value goes into st->text. */
static void on_text(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx;
    struct state *st = arg;
    ts_json_str(args, 0, st->text, sizeof(st->text));
    st->signaled = true;
}

static bool signaled(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->signaled;
}

/* Waits for signal |name| (a string) and returns its value. */
static int return_signal(struct temporal_workflow_ctx *ctx, const char *name,
                         struct temporal_payloads *out)
{
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_signal(ctx, name, on_text, st);
    int rc = temporal_workflow_wait_condition(ctx, signaled, st);
    return rc ? rc : temporal_payloads_add_string(out, st->text);
}

/* external, basic -------------------------------------------------------------------------------- */

static int external_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    (void)in;
    return return_signal(ctx, "external_signal_channel", out);
}

static int basic_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    return return_signal(ctx, "mySignal", out);
}

/* activities ------------------------------------------------------------------------------------- */

/*
 * In the TS and PHP versions the 'mySignal' handler itself runs the five activities. A C
 * signal handler must not block, so here the handler only sets a flag; the workflow
 * function waits for it and then runs the five activities concurrently (spawn/join) and
 * sums their results: the same commands and the same result (30).
 */
static int my_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)ud;
    return ts_add_json_int(out, 6);
}

struct activity_branch {
    struct temporal_payloads out;
};

static int run_my_activity(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct activity_branch *b = arg;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    return temporal_workflow_execute_activity(ctx, "myActivity", NULL, &o, &b->out);
}

static void on_flag(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx, (void)args;
    ((struct state *)arg)->signaled = true;
}

static int activities_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_signal(ctx, "mySignal", on_flag, st);
    int rc = temporal_workflow_wait_condition(ctx, signaled, st);
    if (rc != 0)
        return rc;
    struct activity_branch branches[5];
    struct temporal_workflow_branch *h[5];
    int total = 0;
    memset(branches, 0, sizeof(branches));
    int spawned = 0;
    for (; spawned < 5 && rc == 0; spawned++)
        rc = temporal_workflow_spawn(ctx, run_my_activity, &branches[spawned], &h[spawned]);
    if (rc != 0)
        spawned--;
    for (int i = 0; i < spawned; i++) {
        int jrc = temporal_workflow_join(ctx, h[i]);
        if (rc == 0)
            rc = jrc;
        total += ts_json_int(&branches[i].out, 0);
    }
    for (int i = 0; i < 5; i++)
        temporal_payloads_cleanup(&branches[i].out);
    return rc ? rc : ts_add_json_int(out, total);
}

/* child_workflow --------------------------------------------------------------------------------- */

static int child_wf(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_signal(ctx, "my_signal", on_text, st);
    char input[64];
    ts_json_str(in, 0, input, sizeof(input));
    int rc = temporal_workflow_wait_condition(ctx, signaled, st);
    if (rc != 0)
        return rc;
    char r[160];
    snprintf(r, sizeof(r), "%s %s", input, st->text);
    return temporal_payloads_add_string(out, r);
}

struct child_branch {
    char id[200];
    struct temporal_payloads out;
};

static int run_child(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct child_branch *b = arg;
    struct temporal_payloads in = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_string(&in, "child-wf-arg");
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = b->id; /* known to the parent, which signals it */
    if (rc == 0)
        rc = temporal_workflow_execute_child(ctx, "ChildWorkflow", &in, &o, &b->out);
    temporal_payloads_cleanup(&in);
    return rc;
}

static int parent_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in;
    struct child_branch *b = temporal_workflow_alloc(ctx, sizeof(*b));
    snprintf(b->id, sizeof(b->id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    struct temporal_workflow_branch *h;
    int rc = temporal_workflow_spawn(ctx, run_child, b, &h);
    if (rc != 0)
        return rc;
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    rc = temporal_payloads_add_string(&sig, "signal-arg");
    /* The signal may reach the server before the child has started: try again a bit later. */
    for (int attempt = 0; rc == 0; attempt++) {
        rc = temporal_workflow_signal_external(ctx, b->id, NULL, "my_signal", &sig);
        if (rc != TEMPORAL_ENOT_FOUND || attempt >= 50)
            break;
        rc = temporal_workflow_sleep(ctx, 200);
    }
    temporal_payloads_cleanup(&sig);
    int jrc = temporal_workflow_join(ctx, h);
    if (rc == 0)
        rc = jrc;
    for (size_t i = 0; rc == 0 && i < b->out.count; i++)
        rc = temporal_payloads_add_copy(out, &b->out.items[i]);
    temporal_payloads_cleanup(&b->out);
    return rc;
}

/* signal_with_start ------------------------------------------------------------------------------ */

static void on_add(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx;
    ((struct state *)arg)->value += ts_json_int(args, 0);
}

static bool positive(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->value > 0;
}

static int add_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                        struct temporal_payloads *out)
{
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    st->value += ts_json_int(in, 0);
    /* The signal that came with the start is delivered here, before the condition. */
    temporal_workflow_on_signal(ctx, "add", on_add, st);
    int rc = temporal_workflow_wait_condition(ctx, positive, st);
    return rc ? rc : ts_add_json_int(out, st->value);
}

/* prevent_close ---------------------------------------------------------------------------------- */

static void on_add_value(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         void *arg)
{
    (void)ctx;
    struct state *st = arg;
    if (st->nvalues < (int)(sizeof(st->values) / sizeof(st->values[0])))
        st->values[st->nvalues++] = ts_json_int(args, 0);
}

static bool has_values(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->nvalues > 0;
}

/* The PHP version blocks 300 ms before it returns; this one returns as soon as the list is
 * not empty (no sleeps in the workflow), with the list as a JSON array. */
static int values_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_signal(ctx, "add", on_add_value, st);
    int rc = temporal_workflow_wait_condition(ctx, has_values, st);
    if (rc != 0)
        return rc;
    json_t *a = json_array();
    for (int i = 0; i < st->nvalues; i++)
        json_array_append_new(a, json_integer(st->values[i]));
    char *text = json_dumps(a, JSON_COMPACT);
    rc = temporal_payloads_add_json(out, text, strlen(text));
    free(text);
    json_decref(a);
    return rc;
}

/* workflow_to_workflow: signals workflow |in[0]| (its id) with "from-a-workflow"; the
 * receiver is ExternalWorkflow, which returns what it gets. */
static int sender_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    char target[160];
    ts_json_str(in, 0, target, sizeof(target));
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "from-a-workflow");
    int rc = temporal_workflow_signal_external(ctx, target, NULL, "external_signal_channel", &args);
    temporal_payloads_cleanup(&args);
    return rc ? rc : temporal_payloads_add_string(out, "sent");
}

static void register_all(struct temporal_worker *w)
{
    static const struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = {
        { "ExternalWorkflow", external_workflow }, { "BasicWorkflow", basic_workflow },
        { "ActivitiesWorkflow", activities_workflow }, { "ParentWorkflow", parent_workflow },
        { "ChildWorkflow", child_wf },       { "AddWorkflow", add_workflow },
        { "ValuesWorkflow", values_workflow }, { "SenderWorkflow", sender_workflow },
    };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(w, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                           NULL),
                         0);
    assert_int_equal(temporal_worker_register_activity(w, "myActivity", my_activity, NULL), 0);
}

/* Driver helpers ------------------------------------------------------------------------------- */

static int signal_str(struct ts_worker *tw, const char *id, const char *name, const char *value,
                      struct temporal_error *err)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, value);
    int rc = temporal_client_signal_workflow(tw->client, id, NULL, name, &args, err);
    temporal_payloads_cleanup(&args);
    return rc;
}

static int signal_int(struct ts_worker *tw, const char *id, const char *name, int value,
                      struct temporal_error *err)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, value);
    int rc = temporal_client_signal_workflow(tw->client, id, NULL, name, &args, err);
    temporal_payloads_cleanup(&args);
    return rc;
}

/* The workflow's result as JSON text. */
static void result_json(struct ts_worker *tw, const char *id, char *out, size_t cap)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    assert_int_equal(res.count, 1);
    snprintf(out, cap, "%s", (const char *)res.items[0].data);
    temporal_payloads_cleanup(&res);
}

/* SignalWithStart of AddWorkflow(|arg|) with add(|value|) on workflow |id|. */
static void add_with_start(struct ts_worker *tw, const char *id, int arg, int value)
{
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "AddWorkflow";
    so.task_queue = tw->task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, sig = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, arg);
    ts_add_json_int(&sig, value);
    struct temporal_error err;
    TS_OK(temporal_client_signal_with_start_workflow(tw->client, &so, &args, "add", &sig, NULL, &err),
          err);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&sig);
}

/* Scenarios -------------------------------------------------------------------------------------- */

static void external(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-external", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "ExternalWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    TS_OK(signal_str(&tw, id, "external_signal_channel", "Signaled!", &err), err);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "\"Signaled!\"");
    ts_worker_stop(&tw);
}

static void basic(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-basic", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "BasicWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    TS_OK(signal_str(&tw, id, "mySignal", "signal-data", &err), err);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "\"signal-data\"");
    ts_worker_stop(&tw);
}

static void activities(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-activities", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "ActivitiesWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(tw.client, id, NULL, "mySignal", NULL, &err), err);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "30");
    ts_worker_stop(&tw);
}

static void child_workflow(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-child", -1, register_all);
    char id[160], out[128];
    ts_feature_start(&tw, "ParentWorkflow", NULL, id, sizeof(id));
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "\"child-wf-arg signal-arg\"");
    ts_worker_stop(&tw);
}

static void signal_with_start(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-sws", -1, register_all);
    char id[200], out[64];
    /* Check 1: starts the workflow with 1, then delivers add(42). */
    snprintf(id, sizeof(id), "%s-sws-1", tw.task_queue);
    add_with_start(&tw, id, 1, 42);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "43");
    /* Check 2: a running workflow (started with -2) just gets the signal. */
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, -2);
    ts_feature_start(&tw, "AddWorkflow", &args, id, sizeof(id));
    temporal_payloads_cleanup(&args);
    add_with_start(&tw, id, -2, 42);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "40");
    ts_worker_stop(&tw);
}

static void prevent_close(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-close", -1, register_all);
    char id[160], out[64];
    ts_feature_start(&tw, "ValuesWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    TS_OK(signal_int(&tw, id, "add", 1, &err), err);
    result_json(&tw, id, out, sizeof(out));
    assert_string_equal(out, "[1]");
    /* The workflow has completed: a second signal finds no running workflow. */
    assert_int_equal(signal_int(&tw, id, "add", 2, &err), TEMPORAL_ENOT_FOUND);
    ts_worker_stop(&tw);
}

static void workflow_to_workflow(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-signal-wf2wf", -1, register_all);
    char receiver[160], sender[160], out[64];
    ts_feature_start(&tw, "ExternalWorkflow", NULL, receiver, sizeof(receiver));
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, receiver);
    ts_feature_start(&tw, "SenderWorkflow", &args, sender, sizeof(sender));
    temporal_payloads_cleanup(&args);
    result_json(&tw, sender, out, sizeof(out));
    assert_string_equal(out, "\"sent\"");
    result_json(&tw, receiver, out, sizeof(out));
    assert_string_equal(out, "\"from-a-workflow\"");
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(external),
    cmocka_unit_test(basic),
    cmocka_unit_test(activities),
    cmocka_unit_test(child_workflow),
    cmocka_unit_test(signal_with_start),
    cmocka_unit_test(prevent_close),
    cmocka_unit_test(workflow_to_workflow),
};
TS_MAIN(tests)
