/*
 * The client against a real `temporal server start-dev`, checked with the Temporal CLI
 * (independent of our code) and with a Python SDK worker as the peer that runs workflows.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

#define NO_WORKER_QUEUE "temporal-c-no-worker"

/* Starts |type| on |queue| with |args|; returns the run id (free()). */
static char *start(struct temporal_client *c, const char *id, const char *type, const char *queue,
                   const struct temporal_payloads *args)
{
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = type;
    o.task_queue = queue;
    o.execution_timeout_ms = 120000;
    struct temporal_error err;
    char *run_id = NULL;
    TS_OK(temporal_client_start_workflow(c, &o, args, &run_id, &err), err);
    assert_int_equal(strlen(run_id), 36);
    return run_id;
}

static char *start_json(struct temporal_client *c, const char *id, const char *type,
                        const char *queue, const char *json)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    if (json != NULL)
        assert_int_equal(temporal_payloads_add_json(&args, json, strlen(json)), 0);
    char *run = start(c, id, type, queue, &args);
    temporal_payloads_cleanup(&args);
    return run;
}

/* The JSON text of the single result payload, as a new string. */
static char *result_json(struct temporal_client *c, const char *id, struct temporal_error *err,
                         int *rc)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    *rc = temporal_client_get_workflow_result(c, id, NULL, 60000, &res, err);
    char *out = NULL;
    if (*rc == 0) {
        assert_int_equal(res.count, 1);
        const char *json;
        assert_int_equal(temporal_payload_get_json(&res.items[0], &json, NULL), 0);
        out = strdup(json);
    }
    temporal_payloads_cleanup(&res);
    return out;
}

static void connect_reports_server_info(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    struct temporal_server_info info;
    temporal_client_server_info(c, &info);
    assert_true(strlen(info.server_version) > 0);
    assert_true(info.sdk_metadata);
    assert_string_equal(temporal_client_namespace(c), "default");
    assert_non_null(strchr(temporal_client_identity(c), '@'));
    temporal_client_free(c);
}

static void start_seen_by_cli(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "start");
    char *run = start_json(c, id, "StartedByC", NO_WORKER_QUEUE, "{\"from\":\"C\"}");

    json_t *d = ts_cli_json("workflow describe -w %s -r %s", id, run);
    assert_non_null(d);
    json_t *info = json_object_get(d, "workflowExecutionInfo");
    assert_string_equal(json_string_value(json_object_get(json_object_get(info, "type"), "name")),
                        "StartedByC");
    assert_string_equal(json_string_value(json_object_get(info, "taskQueue")), NO_WORKER_QUEUE);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(info, "execution"), "runId")), run);
    assert_string_equal(json_string_value(json_object_get(info, "status")),
                        "WORKFLOW_EXECUTION_STATUS_RUNNING");
    json_decref(d);

    struct temporal_error err;
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, "test done", &err), err);
    free(run);
    temporal_client_free(c);
}

static void signal_seen_by_cli(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "signal");
    char *run = start_json(c, id, "Signalled", NO_WORKER_QUEUE, NULL);
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&args, "marker-from-c"), 0);
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(c, id, run, "poke", &args, &err), err);
    temporal_payloads_cleanup(&args);

    static char out[65536]; /* static: large frames confuse valgrind (see tests/CMakeLists.txt) */
    assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s -r %s -o json", id, run), 0);
    assert_non_null(strstr(out, "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"));
    assert_non_null(strstr(out, "\"signalName\": \"poke\""));
    /* The CLI prints payload bytes in base64: "json/plain" and "\"marker-from-c\"". */
    assert_non_null(strstr(out, "\"encoding\": \"anNvbi9wbGFpbg==\""));
    assert_non_null(strstr(out, "\"data\": \"Im1hcmtlci1mcm9tLWMi\""));

    TS_OK(temporal_client_terminate_workflow(c, id, run, "test done", &err), err);
    free(run);
    temporal_client_free(c);
}

static void cli_start_described(void **state)
{
    (void)state;
    char id[96], out[4096];
    ts_unique(id, sizeof(id), "cli-start");
    assert_int_equal(ts_cli(out, sizeof(out),
                            "workflow start --type StartedByCli --task-queue %s -w %s "
                            "--input '\"x\"'",
                            NO_WORKER_QUEUE, id),
                     0);
    struct temporal_client *c = ts_connect();
    struct temporal_workflow_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_workflow(c, id, NULL, &d, &err), err);
    assert_string_equal(d.workflow_id, id);
    assert_string_equal(d.workflow_type, "StartedByCli");
    assert_string_equal(d.task_queue, NO_WORKER_QUEUE);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_RUNNING);
    assert_int_equal(strlen(d.run_id), 36);
    assert_true(d.start_time_ms > 0);
    assert_int_equal(d.close_time_ms, 0);
    assert_true(d.history_length >= 2);
    /* The run id matches the CLI's view. */
    json_t *j = ts_cli_json("workflow describe -w %s", id);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(j, "workflowExecutionInfo"),
                                            "execution"),
                            "runId")),
                        d.run_id);
    json_decref(j);
    temporal_workflow_description_cleanup(&d);
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, NULL, &err), err);
    temporal_client_free(c);
}

static void closed_port_fails_clearly(void **state)
{
    (void)state;
    /* A port that was free a moment ago and has no listener. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(a.sin_port));

    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    o.target = target;
    o.connect_timeout_ms = 1500;
    struct temporal_client *c = NULL;
    struct temporal_error err;
    int rc = temporal_client_connect(&c, &o, &err);
    assert_null(c);
    assert_true(rc == TEMPORAL_EUNAVAILABLE || rc == TEMPORAL_ETIMEDOUT);
    print_message("closed port error: %s\n", err.message);
    assert_non_null(strstr(err.message, target));
    assert_non_null(strstr(err.message, "GetSystemInfo"));
}

static void already_started(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "dup");
    char *run = start_json(c, id, "Dup", NO_WORKER_QUEUE, NULL);
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "Dup";
    o.task_queue = NO_WORKER_QUEUE;
    struct temporal_error err;
    char *run2 = NULL;
    assert_int_equal(temporal_client_start_workflow(c, &o, NULL, &run2, &err),
                     TEMPORAL_EWORKFLOW_ALREADY_STARTED);
    assert_null(run2);
    assert_string_equal(err.detail, "WorkflowExecutionAlreadyStartedFailure");
    assert_int_equal(err.grpc_status, 6 /* ALREADY_EXISTS */);
    /* USE_EXISTING returns the running run. */
    o.id_conflict_policy = TEMPORAL_ID_CONFLICT_USE_EXISTING;
    TS_OK(temporal_client_start_workflow(c, &o, NULL, &run2, &err), err);
    assert_string_equal(run2, run);
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, NULL, &err), err);
    free(run);
    free(run2);
    temporal_client_free(c);
}

static void signal_with_start(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "sws");
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "WaitForSignal";
    o.task_queue = ts_state("py_task_queue");
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&sig, "from-signal-with-start"), 0);
    struct temporal_error err;
    char *run = NULL;
    TS_OK(temporal_client_signal_with_start_workflow(c, &o, NULL, "finish", &sig, &run, &err), err);
    temporal_payloads_cleanup(&sig);
    assert_int_equal(strlen(run), 36);
    int rc;
    char *json = result_json(c, id, &err, &rc);
    TS_OK(rc, err);
    assert_string_equal(json, "\"from-signal-with-start\"");
    free(json);
    free(run);
    temporal_client_free(c);
}

static void query_state(struct temporal_client *c, const char *id, const char *want)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_query_workflow(c, id, NULL, "state", NULL, &res, &err), err);
    assert_int_equal(res.count, 1);
    char *s = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &s), 0);
    assert_string_equal(s, want);
    temporal_free(s);
    temporal_payloads_cleanup(&res);
}

static void query_python_worker(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "query");
    char *run = start_json(c, id, "WaitForSignal", ts_state("py_task_queue"), NULL);
    query_state(c, id, "waiting");
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&sig, "bye"), 0);
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(c, id, NULL, "finish", &sig, &err), err);
    temporal_payloads_cleanup(&sig);
    int rc;
    char *json = result_json(c, id, &err, &rc);
    TS_OK(rc, err);
    assert_string_equal(json, "\"bye\"");
    free(json);
    query_state(c, id, "finished"); /* a closed workflow answers from replay */
    free(run);
    temporal_client_free(c);
}

static void query_unknown_type_fails(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "query-bad");
    char *run = start_json(c, id, "WaitForSignal", ts_state("py_task_queue"), NULL);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    assert_int_equal(temporal_client_query_workflow(c, id, NULL, "no_such_query", NULL, &res, &err),
                     TEMPORAL_EQUERY_FAILED);
    print_message("unknown query error: %s\n", err.message);
    assert_non_null(strstr(err.message, "no_such_query"));
    assert_int_equal(res.count, 0);
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, NULL, &err), err);
    free(run);
    temporal_client_free(c);
}

static void result_echo(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "echo");
    const char *doc = "{\"a\":[1,2,{\"b\":null}],\"s\":\"\\u00e9\"}";
    char *run = start_json(c, id, "Echo", ts_state("py_task_queue"), doc);
    struct temporal_error err;
    int rc;
    char *json = result_json(c, id, &err, &rc);
    TS_OK(rc, err);
    json_t *want = json_loads(doc, 0, NULL), *got = json_loads(json, 0, NULL);
    assert_non_null(got);
    assert_true(json_equal(want, got));
    json_decref(want);
    json_decref(got);
    free(json);
    free(run);
    temporal_client_free(c);
}

static void result_follows_continue_as_new(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "can");
    char *first = start_json(c, id, "CountDown", ts_state("py_task_queue"), "3");
    struct temporal_error err;
    int rc;
    char *json = result_json(c, id, &err, &rc);
    TS_OK(rc, err);
    assert_string_equal(json, "\"done\"");
    free(json);
    /* The first run ended in continue-as-new; the result came from the last run. */
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(c, id, first, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_CONTINUED_AS_NEW);
    temporal_workflow_description_cleanup(&d);
    TS_OK(temporal_client_describe_workflow(c, id, NULL, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    assert_string_not_equal(d.run_id, first);
    temporal_workflow_description_cleanup(&d);
    /* Waiting from the first run id follows the chain too. */
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(c, id, first, 60000, &res, &err), err);
    assert_int_equal(res.count, 1);
    temporal_payloads_cleanup(&res);
    free(first);
    temporal_client_free(c);
}

static void result_failure(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "fail");
    char *run = start_json(c, id, "Fail", ts_state("py_task_queue"), NULL);
    struct temporal_error err;
    int rc;
    char *json = result_json(c, id, &err, &rc);
    assert_null(json);
    assert_int_equal(rc, TEMPORAL_EWORKFLOW_FAILED);
    assert_string_equal(err.detail, "TestFailure");
    assert_non_null(strstr(err.message, "boom"));
    free(run);
    temporal_client_free(c);
}

static void cancel_workflow(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "cancel");
    char *run = start_json(c, id, "Sleep", ts_state("py_task_queue"), "60");
    struct temporal_error err;
    TS_OK(temporal_client_cancel_workflow(c, id, NULL, "test asks", &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_client_get_workflow_result(c, id, NULL, 60000, &res, &err),
                     TEMPORAL_EWORKFLOW_CANCELED);
    json_t *d = ts_cli_json("workflow describe -w %s", id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "workflowExecutionInfo"), "status")),
        "WORKFLOW_EXECUTION_STATUS_CANCELED");
    json_decref(d);
    free(run);
    temporal_client_free(c);
}

static void terminate_workflow(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "term");
    char *run = start_json(c, id, "Terminated", NO_WORKER_QUEUE, NULL);
    struct temporal_error err;
    TS_OK(temporal_client_terminate_workflow(c, id, run, "enough of that", &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_client_get_workflow_result(c, id, NULL, 10000, &res, &err),
                     TEMPORAL_EWORKFLOW_TERMINATED);
    assert_non_null(strstr(err.message, "enough of that"));
    json_t *d = ts_cli_json("workflow describe -w %s", id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "workflowExecutionInfo"), "status")),
        "WORKFLOW_EXECUTION_STATUS_TERMINATED");
    json_decref(d);
    /* Terminating a closed workflow is NOT_FOUND, with the server's words. */
    assert_int_equal(temporal_client_terminate_workflow(c, id, run, NULL, &err), TEMPORAL_ENOT_FOUND);
    free(run);
    temporal_client_free(c);
}

static void history_all_pages(void **state)
{
    (void)state;
    /* More events than the server's default page (1000), so the history spans pages. */
    enum { SIGNALS = 1100 };
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "pages");
    char *run = start_json(c, id, "ManyEvents", NO_WORKER_QUEUE, NULL);
    struct temporal_error err;
    for (int i = 0; i < SIGNALS; i++)
        TS_OK(temporal_client_signal_workflow(c, id, run, "tick", NULL, &err), err);
    TS_OK(temporal_client_terminate_workflow(c, id, run, NULL, &err), err);
    struct temporal_history h;
    TS_OK(temporal_client_fetch_history(c, id, run, &h, &err), err);
    /* started, task scheduled, SIGNALS signals, terminated */
    assert_int_equal(h.count, SIGNALS + 3);
    for (size_t i = 0; i < h.count; i++)
        assert_int_equal(h.events[i].event_id, (int64_t)i + 1);
    assert_string_equal(h.events[0].event_type_name, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED");
    assert_string_equal(h.events[h.count - 1].event_type_name,
                        "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED");
    assert_true(h.serialized_len > 0);
    /* The CLI counts the same events. */
    json_t *j = ts_cli_json("workflow show -w %s -r %s", id, run);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "events")), h.count);
    json_decref(j);
    temporal_history_cleanup(&h);
    free(run);
    temporal_client_free(c);
}

static void payload_interop_python(void **state)
{
    (void)state;
    /* binary/plain goes through a Python workflow and back as bytes. */
    struct temporal_client *c = ts_connect();
    char id[96];
    ts_unique(id, sizeof(id), "bytes");
    const uint8_t raw[] = { 0x00, 0xff, 0x10, 'C' };
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_bytes(&args, raw, sizeof(raw)), 0);
    char *run = start(c, id, "Echo", ts_state("py_task_queue"), &args);
    temporal_payloads_cleanup(&args);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(c, id, NULL, 60000, &res, &err), err);
    assert_int_equal(res.count, 1);
    assert_string_equal(temporal_payload_encoding(&res.items[0]), "binary/plain");
    assert_int_equal(res.items[0].data_len, sizeof(raw));
    assert_memory_equal(res.items[0].data, raw, sizeof(raw));
    temporal_payloads_cleanup(&res);
    free(run);
    temporal_client_free(c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(connect_reports_server_info),
    cmocka_unit_test(start_seen_by_cli),
    cmocka_unit_test(signal_seen_by_cli),
    cmocka_unit_test(cli_start_described),
    cmocka_unit_test(closed_port_fails_clearly),
    cmocka_unit_test(already_started),
    cmocka_unit_test(signal_with_start),
    cmocka_unit_test(query_python_worker),
    cmocka_unit_test(query_unknown_type_fails),
    cmocka_unit_test(result_echo),
    cmocka_unit_test(result_follows_continue_as_new),
    cmocka_unit_test(result_failure),
    cmocka_unit_test(cancel_workflow),
    cmocka_unit_test(terminate_workflow),
    cmocka_unit_test(history_all_pages),
    cmocka_unit_test(payload_interop_python),
};
TS_MAIN(tests)
