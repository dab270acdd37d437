/*
 * Interoperability with the other SDKs and the CLI: the Python SDK's client starts C
 * workflows; C workflows call Python activities; failures cross in both directions with
 * type, message, non-retryable flag and details intact; the Temporal CLI signals and
 * queries a running C workflow.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support.h"

/* Workflows and activities ----------------------------------------------------------------------- */

static int fail_with_details(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    struct temporal_payloads details = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&details, "{\"order\":42}", 12);
    temporal_payloads_add_string(&details, "second");
    int rc = temporal_activity_fail(ctx, "CActivityError", "from a C activity", true, &details);
    temporal_payloads_cleanup(&details);
    return rc;
}

static int greet(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                 struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    return temporal_workflow_execute_activity(ctx, "hello_activity", in, &o, out);
}

static int call_python(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    o.task_queue = ts_state("py_task_queue");
    return temporal_workflow_execute_activity(ctx, "py_echo", in, &o, out);
}

/* Calls the Python activity that raises, and returns what C saw, as JSON. */
static int call_python_fail(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    o.task_queue = ts_state("py_task_queue");
    struct temporal_payloads ignored = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_activity(ctx, "py_fail", NULL, &o, &ignored);
    temporal_payloads_cleanup(&ignored);
    const struct temporal_failure_info *f = temporal_workflow_last_failure(ctx);
    if (rc != TEMPORAL_EACTIVITY_FAILED || f == NULL)
        return temporal_workflow_fail(ctx, "Unexpected", "no ApplicationFailure seen", true, NULL);
    json_t *details = json_array();
    for (size_t i = 0; i < f->details->count; i++) {
        const char *json;
        if (temporal_payload_get_json(&f->details->items[i], &json, NULL) == 0)
            json_array_append_new(details, json_loads(json, JSON_DECODE_ANY, NULL));
    }
    json_t *o2 = json_pack("{s:s, s:s, s:b, s:o}", "type", f->type, "message", f->message,
                           "non_retryable", f->non_retryable, "details", details);
    char *text = json_dumps(o2, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o2);
    rc = temporal_payloads_add_json(out, text, strlen(text));
    free(text);
    return rc;
}

static int python_child(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                        struct temporal_payloads *out)
{
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.task_queue = ts_state("py_task_queue");
    return temporal_workflow_execute_child(ctx, "Echo", in, &o, out);
}

static int fail_for_python(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct temporal_payloads details = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&details, "{\"a\":1}", 7);
    int rc = temporal_workflow_fail(ctx, "CWorkflowError", "from a C workflow", true, &details);
    temporal_payloads_cleanup(&details);
    return rc;
}

/* Worker --------------------------------------------------------------------------------------------- */

static void start_worker(struct ts_worker *rw)
{
    memset(rw, 0, sizeof(*rw));
    rw->client = ts_connect();
    ts_unique(rw->task_queue, sizeof(rw->task_queue), "c-interop");
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = rw->task_queue;
    o.max_workflow_pollers = 2;
    o.max_activity_pollers = 1;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw->worker, rw->client, &o, &err), err);
    const struct {
        const char *name;
        temporal_workflow_fn fn;
    } wfs[] = { { "Greet", greet },
                { "CallPython", call_python },
                { "CallPythonFail", call_python_fail },
                { "FailForPython", fail_for_python },
                { "Waiter", ts_waiter_workflow },
                { "PythonChild", python_child } };
    for (size_t i = 0; i < sizeof(wfs) / sizeof(wfs[0]); i++)
        assert_int_equal(temporal_worker_register_workflow(rw->worker, wfs[i].name, wfs[i].fn,
                                                           TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                           NULL),
                         0);
    assert_int_equal(
        temporal_worker_register_activity(rw->worker, "hello_activity", ts_hello_activity, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "fail_with_details", fail_with_details, NULL), 0);
    ts_worker_run(rw);
}

/* Runs the Python SDK client (tests/peers/py_client.py); returns its parsed JSON output. */
static json_t *python_client(const char *task_queue, const char *workflow, const char *input_json)
{
    const char *venv = getenv("TEMPORAL_C_VENV");
    const char *src = getenv("TEMPORAL_C_SOURCE_DIR");
    assert_non_null(venv);
    assert_non_null(src);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "'%s/bin/python' '%s/tests/peers/py_client.py' --address %s --task-queue %s "
             "--workflow %s %s%s%s",
             venv, src, ts_state("address"), task_queue, workflow, input_json ? "--input '" : "",
             input_json ? input_json : "", input_json ? "'" : "");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[16384];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    print_message("py_client %s -> %s", workflow, out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    json_t *j = json_loads(out, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    return j;
}

static json_t *c_client_result(struct ts_worker *rw, const char *type, const char *input_json)
{
    char id[128];
    ts_unique(id, sizeof(id), type);
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = type;
    o.task_queue = rw->task_queue;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    if (input_json)
        temporal_payloads_add_json(&args, input_json, strlen(input_json));
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(rw->client, &o, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    TS_OK(temporal_client_get_workflow_result(rw->client, id, NULL, 60000, &res, &err), err);
    const char *json;
    assert_int_equal(temporal_payload_get_json(&res.items[0], &json, NULL), 0);
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    temporal_payloads_cleanup(&res);
    return j;
}

/* Tests ---------------------------------------------------------------------------------------------- */

static void python_client_starts_c_workflow(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    json_t *r = python_client(rw.task_queue, "Greet", "\"Python\"");
    assert_string_equal(json_string_value(r), "Hello, Python!");
    json_decref(r);
    ts_worker_stop(&rw);
}

static void c_workflow_calls_python_activity(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    json_t *r = c_client_result(&rw, "CallPython", "{\"x\":[1,2,\"three\"]}");
    json_t *want = json_loads("{\"x\":[1,2,\"three\"]}", 0, NULL);
    assert_true(json_equal(r, want));
    json_decref(want);
    json_decref(r);
    ts_worker_stop(&rw);
}

static void c_workflow_with_python_child(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    json_t *r = c_client_result(&rw, "PythonChild", "[\"a\",{\"b\":2}]");
    json_t *want = json_loads("[\"a\",{\"b\":2}]", 0, NULL);
    assert_true(json_equal(r, want));
    json_decref(want);
    json_decref(r);
    ts_worker_stop(&rw);
}

/* Asserts that the failure |f| (as the peers report it) has |type|, |message|, the
 * non-retryable flag and the details |details_json|. */
static void assert_failure(json_t *f, const char *type, const char *message, const char *details_json)
{
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "type")), type);
    assert_string_equal(json_string_value(json_object_get(f, "message")), message);
    assert_true(json_is_true(json_object_get(f, "non_retryable")));
    json_t *want = json_loads(details_json, 0, NULL);
    assert_true(json_equal(json_object_get(f, "details"), want));
    json_decref(want);
}

static void python_error_reaches_c(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    json_t *r = c_client_result(&rw, "CallPythonFail", NULL);
    assert_failure(r, "PyError", "py says no", "[{\"k\":\"v\"},7]");
    json_decref(r);
    ts_worker_stop(&rw);
}

static void c_errors_reach_python(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    /* A failed C workflow, seen by the Python client. */
    json_t *r = python_client(rw.task_queue, "FailForPython", NULL);
    assert_failure(json_object_get(r, "failure"), "CWorkflowError", "from a C workflow",
                   "[{\"a\":1}]");
    json_decref(r);
    /* A failed C activity, seen by a Python workflow. */
    char req[512];
    snprintf(req, sizeof(req), "{\"activity\":\"fail_with_details\",\"task_queue\":\"%s\"}",
             rw.task_queue);
    r = python_client(ts_state("py_task_queue"), "RunActivity", req);
    assert_failure(json_object_get(r, "error"), "CActivityError", "from a C activity",
                   "[{\"order\":42},\"second\"]");
    json_decref(r);
    ts_worker_stop(&rw);
}

static void cli_signal_and_query(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw);
    char id[128], out[8192];
    ts_unique(id, sizeof(id), "cli");
    assert_int_equal(ts_cli(out, sizeof(out), "workflow start --type Waiter --task-queue %s -w %s",
                            rw.task_queue, id),
                     0);
    assert_int_equal(ts_cli(out, sizeof(out), "workflow query -w %s --type state", id), 0);
    assert_non_null(strstr(out, "waiting"));
    assert_int_equal(ts_cli(out, sizeof(out),
                            "workflow signal -w %s --name finish --input '\"from the CLI\"'", id),
                     0);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(rw.client, id, NULL, 60000, &res, &err), err);
    char *s = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &s), 0);
    assert_string_equal(s, "from the CLI");
    temporal_free(s);
    temporal_payloads_cleanup(&res);
    assert_int_equal(ts_cli(out, sizeof(out), "workflow query -w %s --type state", id), 0);
    assert_non_null(strstr(out, "finished"));
    ts_worker_stop(&rw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(python_client_starts_c_workflow),
    cmocka_unit_test(c_workflow_calls_python_activity),
    cmocka_unit_test(c_workflow_with_python_child),
    cmocka_unit_test(python_error_reaches_c),
    cmocka_unit_test(c_errors_reach_python),
    cmocka_unit_test(cli_signal_and_query),
};
TS_MAIN(tests)
