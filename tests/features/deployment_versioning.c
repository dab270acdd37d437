/*
 * temporalio/features deployment_versioning/: routing_pinned, routing_auto_upgrade,
 * routing_with_override and routing_with_ramp, against the dev server.
 *
 * Each case runs two versioned C workers on one task queue of a new deployment (unique name
 * per run): build "1.0" registers WaitForSignal returning "<signal arg>_v1" with the
 * scenario's behaviour, build "2.0" registers it returning "<signal arg>_v2" with
 * AUTO_UPGRADE as the worker's default behaviour (upstream's StartWorker).
 *
 * Adaptations:
 *  - The C client has no Worker Deployment API: the deployment is administered with the
 *    Temporal CLI (`worker deployment describe / set-current-version / set-ramping-version`),
 *    each retried until the versions have appeared (upstream's WaitForDeploymentVersion).
 *  - Upstream waits for the workflow to be RUNNING before moving the current (or ramping)
 *    version; here the test waits until its first workflow task has completed, so that the
 *    run's first task has certainly been processed by version 1.0 (otherwise the race
 *    decides which version pins it).
 *  - routing_auto_upgrade / routing_with_ramp: the 1.0 worker is stopped (cleanly) after
 *    the switch and before the signal.  The server applies a routing change to the task
 *    queues asynchronously: with 1.0 still polling, the signal's workflow task sometimes
 *    (1 run in 4 with set-current-version; most runs with set-ramping-version) still went
 *    to 1.0's sticky queue right after the CLI returned, and the run completed "prefix_v1";
 *    with a 3 s pause it never did.  The CLI does not report when the change has reached
 *    the task queues, so instead only 2.0 is left to take the task: a versioned worker gets
 *    only its own version's tasks, so the result and the run's versioning info still show
 *    that the server routed the run to 2.0.
 *  - routing_with_override: the C client cannot start a workflow with a versioning
 *    override.  The workflow is started through the CLI with a 3 s start delay (so that its
 *    first workflow task is not yet scheduled), and pinned to 1.0 with `temporal workflow
 *    update-options --versioning-override-behavior pinned` during that delay.
 *  - Upstream's history check (replay of the live history) is not repeated; instead the
 *    test checks, with `temporal workflow describe`, which version the closed run's
 *    versioning info names and with which behaviour (and, for the override, the override).
 *  - Workflow ids are unique ("<task queue>-<n>") instead of "workflow_1".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* WaitForSignal ------------------------------------------------------------------------------ */

struct signal_state {
    bool got;
    char value[64];
};

static void on_start_signal(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                            void *arg)
{
    (void)ctx;
    struct signal_state *st = arg;
    if (!st->got)
        ts_json_str(args, 0, st->value, sizeof(st->value));
    st->got = true;
}

static bool got_signal(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct signal_state *)arg)->got;
}

static int wait_for_signal(struct temporal_workflow_ctx *ctx, struct temporal_payloads *out,
                           const char *suffix)
{
    struct signal_state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    if (st == NULL)
        return TEMPORAL_ENOMEM;
    int rc = temporal_workflow_on_signal(ctx, "start-signal", on_start_signal, st);
    if (rc == 0)
        rc = temporal_workflow_wait_condition(ctx, got_signal, st);
    if (rc != 0)
        return rc;
    char r[96];
    snprintf(r, sizeof(r), "%s%s", st->value, suffix);
    return ts_add_json_str(out, r);
}

static int wait_for_signal_one(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in;
    return wait_for_signal(ctx, out, "_v1");
}

static int wait_for_signal_two(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in;
    return wait_for_signal(ctx, out, "_v2");
}

/* Harness ------------------------------------------------------------------------------------- */

struct scenario {
    char task_queue[96];
    char deployment[96];
    struct ts_worker v1, v2;
    struct temporal_client *client; /* the test's own */
    bool v1_stopped;
    char id[160];
};

static void start_version(struct scenario *s, struct ts_worker *tw, const char *build_id,
                          temporal_workflow_fn fn, enum temporal_versioning_behavior type_behavior,
                          enum temporal_versioning_behavior default_behavior)
{
    memset(tw, 0, sizeof(*tw));
    snprintf(tw->task_queue, sizeof(tw->task_queue), "%s", s->task_queue);
    tw->client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = s->task_queue;
    o.deployment.deployment_name = s->deployment;
    o.deployment.build_id = build_id;
    o.deployment.use_versioning = true;
    o.deployment.default_versioning_behavior = default_behavior;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw->worker, tw->client, &o, &err), err);
    assert_int_equal(temporal_worker_register_workflow(tw->worker, "WaitForSignal", fn, type_behavior,
                                                       NULL),
                     0);
    ts_worker_run(tw);
}

/* Whether the deployment lists version |build_id| (as `worker deployment describe` shows it). */
static bool has_version(const char *deployment, const char *build_id)
{
    size_t cap = 1 << 16; /* on the heap: a large stack frame looks like a stack switch to valgrind */
    char *out = malloc(cap);
    assert_non_null(out);
    json_t *j = NULL;
    if (ts_cli(out, cap, "worker deployment describe --name %s -o json", deployment) == 0)
        j = json_loads(out, 0, NULL);
    free(out);
    bool found = false;
    json_t *summaries = json_object_get(json_object_get(j, "workerDeploymentInfo"),
                                        "versionSummaries");
    if (summaries == NULL)
        summaries = json_object_get(j, "versionSummaries");
    size_t i;
    json_t *v;
    json_array_foreach(summaries, i, v)
    {
        char *text = json_dumps(v, JSON_COMPACT);
        char needle[128];
        snprintf(needle, sizeof(needle), "\"%s\"", build_id);
        if (text != NULL && strstr(text, needle) != NULL && strstr(text, deployment) != NULL)
            found = true;
        free(text);
    }
    json_decref(j);
    return found;
}

/* Starts both versions: 1.0 with |fn1| / |behavior1|, 2.0 with AUTO_UPGRADE as its default;
 * waits until the deployment shows both. */
static void setup(struct scenario *s, const char *prefix, enum temporal_versioning_behavior behavior1)
{
    memset(s, 0, sizeof(*s));
    ts_unique(s->task_queue, sizeof(s->task_queue), prefix);
    ts_unique(s->deployment, sizeof(s->deployment), "c-deploy");
    s->client = ts_connect();
    start_version(s, &s->v1, "1.0", wait_for_signal_one, behavior1,
                  TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED);
    start_version(s, &s->v2, "2.0", wait_for_signal_two, TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                  TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    bool both = false;
    for (int i = 0; i < 100 && !both; i++) {
        both = has_version(s->deployment, "1.0") && has_version(s->deployment, "2.0");
        if (!both)
            ts_sleep_ms(200);
    }
    assert_true(both);
}

/* Runs `temporal worker deployment <verb> <deployment> <build id> <extra> --yes`, retried
 * while the server refuses it (e.g. the version's task queue is not registered yet). */
static void deployment_cli(const char *verb, const char *deployment, const char *build_id,
                           const char *extra)
{
    char out[8192];
    int rc = 1;
    for (int i = 0; i < 50 && rc != 0; i++) {
        rc = ts_cli(out, sizeof(out),
                    "worker deployment %s --deployment-name %s --build-id %s %s --yes", verb,
                    deployment, build_id, extra);
        if (rc != 0)
            ts_sleep_ms(200);
    }
    if (rc != 0)
        fail_msg("temporal worker deployment %s: %s", verb, out);
}

static void set_current(struct scenario *s, const char *build_id)
{
    deployment_cli("set-current-version", s->deployment, build_id, "");
}

static void set_ramp(struct scenario *s, const char *build_id)
{
    deployment_cli("set-ramping-version", s->deployment, build_id, "--percentage 100");
}

static void start(struct scenario *s)
{
    static int n;
    snprintf(s->id, sizeof(s->id), "%s-%d", s->task_queue, ++n);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = s->id;
    so.workflow_type = "WaitForSignal";
    so.task_queue = s->task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(s->client, &so, NULL, NULL, &err), err);
}

/* Waits until the run's first workflow task has completed. */
static void wait_first_task(struct scenario *s)
{
    bool done = false;
    for (int i = 0; i < 200 && !done; i++) {
        struct temporal_history h;
        memset(&h, 0, sizeof(h));
        struct temporal_error err;
        TS_OK(temporal_client_fetch_history(s->client, s->id, NULL, &h, &err), err);
        for (size_t k = 0; k < h.count; k++)
            if (strcmp(h.events[k].event_type_name, "EVENT_TYPE_WORKFLOW_TASK_COMPLETED") == 0)
                done = true;
        temporal_history_cleanup(&h);
        if (!done)
            ts_sleep_ms(50);
    }
    assert_true(done);
}

static void signal_all(struct scenario *s)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(ts_add_json_str(&args, "prefix"), 0);
    struct temporal_error err;
    int rc = temporal_client_signal_workflow(s->client, s->id, NULL, "start-signal", &args, &err);
    temporal_payloads_cleanup(&args);
    TS_OK(rc, err);
}

static void expect_result(struct scenario *s, const char *expected)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(s->client, s->id, NULL, 60000, &res, &err), err);
    char got[96];
    ts_json_str(&res, 0, got, sizeof(got));
    temporal_payloads_cleanup(&res);
    assert_string_equal(got, expected);
}

/* The closed run's versioning info names |build_id| of our deployment and |behavior|
 * ("VERSIONING_BEHAVIOR_PINNED", ...); with |override| the pinned override too. */
static void expect_versioning(struct scenario *s, const char *build_id, const char *behavior,
                              bool override)
{
    json_t *j = ts_cli_json("workflow describe -w %s", s->id);
    assert_non_null(j);
    json_t *vi = json_object_get(json_object_get(j, "workflowExtendedInfo"), "versioningInfo");
    if (vi == NULL)
        vi = json_object_get(json_object_get(j, "workflowExecutionInfo"), "versioningInfo");
    char *text = json_dumps(vi, JSON_COMPACT);
    json_decref(j);
    assert_non_null(text);
    char version[256];
    snprintf(version, sizeof(version), "%s", build_id);
    bool ok = strstr(text, behavior) != NULL && strstr(text, s->deployment) != NULL &&
              strstr(text, version) != NULL && (!override || strstr(text, "override") != NULL ||
                                                strstr(text, "Override") != NULL);
    if (!ok) {
        print_error("versioningInfo: %s\n", text);
        free(text);
        fail_msg("unexpected versioning info of %s", s->id);
    }
    free(text);
}

/* Stops the 1.0 worker (see the top of the file: routing changes reach the task queues
 * asynchronously). */
static void stop_v1(struct scenario *s)
{
    ts_worker_stop(&s->v1);
    s->v1_stopped = true;
}

static void teardown_versions(struct scenario *s)
{
    ts_worker_stop(&s->v2); /* upstream: CheckHistory stops the 2.0 worker first */
    if (!s->v1_stopped)
        ts_worker_stop(&s->v1);
    temporal_client_free(s->client);
}

/* Scenarios ------------------------------------------------------------------------------------ */

/* A pinned run stays on 1.0 when 2.0 becomes current. */
static void routing_pinned(void **state)
{
    (void)state;
    struct scenario s;
    setup(&s, "dv-routing-pinned", TEMPORAL_VERSIONING_BEHAVIOR_PINNED);
    set_current(&s, "1.0");
    start(&s);
    wait_first_task(&s);
    set_current(&s, "2.0");
    signal_all(&s);
    expect_result(&s, "prefix_v1");
    expect_versioning(&s, "1.0", "PINNED", false);
    teardown_versions(&s);
}

/* An auto-upgrade run moves to 2.0 when it becomes current. */
static void routing_auto_upgrade(void **state)
{
    (void)state;
    struct scenario s;
    setup(&s, "dv-routing-auto-upgrade", TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    set_current(&s, "1.0");
    start(&s);
    wait_first_task(&s);
    set_current(&s, "2.0");
    stop_v1(&s);
    signal_all(&s);
    expect_result(&s, "prefix_v2");
    expect_versioning(&s, "2.0", "AUTO_UPGRADE", false);
    teardown_versions(&s);
}

/* A run pinned to 1.0 by an override runs there although 2.0 is current. */
static void routing_with_override(void **state)
{
    (void)state;
    struct scenario s;
    setup(&s, "dv-routing-with-override", TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    set_current(&s, "2.0");
    snprintf(s.id, sizeof(s.id), "%s-1", s.task_queue);
    char out[8192];
    if (ts_cli(out, sizeof(out),
               "workflow start -w %s --type WaitForSignal -t %s --execution-timeout 1m "
               "--start-delay 3s",
               s.id, s.task_queue) != 0)
        fail_msg("workflow start: %s", out);
    if (ts_cli(out, sizeof(out),
               "workflow update-options -w %s --versioning-override-behavior pinned "
               "--versioning-override-deployment-name %s --versioning-override-build-id 1.0",
               s.id, s.deployment) != 0)
        fail_msg("workflow update-options: %s", out);
    wait_first_task(&s);
    signal_all(&s);
    expect_result(&s, "prefix_v1");
    expect_versioning(&s, "1.0", "PINNED", true);
    teardown_versions(&s);
}

/* An auto-upgrade run moves to 2.0 when it ramps at 100 %. */
static void routing_with_ramp(void **state)
{
    (void)state;
    struct scenario s;
    setup(&s, "dv-routing-with-ramp", TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    set_current(&s, "1.0");
    start(&s);
    wait_first_task(&s);
    set_ramp(&s, "2.0");
    stop_v1(&s);
    signal_all(&s);
    expect_result(&s, "prefix_v2");
    expect_versioning(&s, "2.0", "AUTO_UPGRADE", false);
    teardown_versions(&s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(routing_pinned),
    cmocka_unit_test(routing_auto_upgrade),
    cmocka_unit_test(routing_with_override),
    cmocka_unit_test(routing_with_ramp),
};
TS_MAIN(tests)
