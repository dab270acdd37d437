/*
 * temporalio/features data_converter/: binary, json and empty, against the dev server.
 * C has no pluggable data converter: payloads are built and read with the helpers of
 * payload.h (binary/null, binary/plain, json/plain), so these scenarios check that those
 * helpers put exactly the upstream payloads on the wire.  The "payload.json" comparisons
 * read the history through `temporal workflow show -o json`, where payloads appear as
 * protobuf JSON (metadata values and data in base64).  Not ported: binary_protobuf,
 * json_protobuf and codec (no protobuf message encoding and no codec hook in the C API)
 * and failure (no failure converter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Workflows and activities ----------------------------------------------------------------- */

/* The echo workflow of binary and json: returns its argument as it came. */
static int echo_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)ctx;
    for (size_t i = 0; in != NULL && i < in->count; i++) {
        int rc = temporal_payloads_add_copy(out, &in->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* empty: the activity must receive a null argument. */
static int null_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)out, (void)ud;
    if (in == NULL || in->count != 1 || !temporal_payload_is_null(&in->items[0]))
        return temporal_activity_fail(ctx, "BadResult", "activity argument is not null", true, NULL);
    return 0; /* no result: null */
}

static int empty_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads arg = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_payloads_add_null(&arg);
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    if (rc == 0)
        rc = temporal_workflow_execute_activity(ctx, "NullActivity", &arg, &o, out);
    temporal_payloads_cleanup(&arg);
    return rc;
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "Workflow", echo_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "EmptyWorkflow", empty_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "NullActivity", null_activity, NULL), 0);
}

/* History helpers ------------------------------------------------------------------------------ */

/* The attributes object |attrs| of the first event of |type| in history |doc| (borrowed). */
static json_t *event_attrs(json_t *doc, const char *type, const char *attrs)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "events"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "eventType")), type) == 0)
            return json_object_get(e, attrs);
    }
    fail_msg("no %s event in history", type);
    return NULL;
}

/* Payload |i| of the Payloads object |field| of |attrs| (borrowed). */
static json_t *payload_at(json_t *attrs, const char *field, size_t i)
{
    json_t *p = json_array_get(json_object_get(json_object_get(attrs, field), "payloads"), i);
    assert_non_null(p);
    return p;
}

/* Asserts that history payload |p| is exactly {"metadata": {"encoding": enc64}, "data": data64}
 * (|data64| NULL: no data). */
static void assert_history_payload(json_t *p, const char *enc64, const char *data64)
{
    char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    print_message("history payload: %s\n", text);
    free(text);
    json_t *md = json_object_get(p, "metadata");
    assert_int_equal(json_object_size(md), 1);
    assert_string_equal(json_string_value(json_object_get(md, "encoding")), enc64);
    if (data64 == NULL) {
        const char *d = json_string_value(json_object_get(p, "data"));
        assert_true(d == NULL || d[0] == '\0');
        assert_int_equal(json_object_size(p), d == NULL ? 1 : 2);
    } else {
        assert_string_equal(json_string_value(json_object_get(p, "data")), data64);
        assert_int_equal(json_object_size(p), 2);
    }
}

/* Runs the echo workflow with |args|; the result goes into |result|, the history into |*doc|. */
static void run_echo(const char *prefix, const struct temporal_payloads *args,
                     struct temporal_payloads *result, json_t **doc)
{
    struct ts_worker tw;
    ts_feature_worker(&tw, prefix, -1, register_all);
    char id[160];
    ts_feature_start(&tw, "Workflow", args, id, sizeof(id));
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, result, &err), err);
    *doc = ts_cli_json("workflow show -w %s", id);
    assert_non_null(*doc);
    ts_worker_stop(&tw);
}

/* Argument payload == result payload, byte for byte (metadata and data). */
static void assert_arg_equals_result(json_t *doc, size_t expected_metadata)
{
    json_t *in = payload_at(event_attrs(doc, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                                        "workflowExecutionStartedEventAttributes"),
                            "input", 0);
    json_t *out = payload_at(event_attrs(doc, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
                                         "workflowExecutionCompletedEventAttributes"),
                             "result", 0);
    assert_int_equal(json_object_size(json_object_get(in, "metadata")), expected_metadata);
    assert_true(json_equal(in, out));
}

/* Scenarios ------------------------------------------------------------------------------------ */

static void binary(void **state)
{
    (void)state;
    static const uint8_t bytes[] = { 0xde, 0xad, 0xbe, 0xef };
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_bytes(&args, bytes, sizeof(bytes)), 0);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    json_t *doc;
    run_echo("feat-dc-binary", &args, &res, &doc);

    /* The result equals the input. */
    assert_int_equal(res.count, 1);
    assert_string_equal(temporal_payload_encoding(&res.items[0]), TEMPORAL_ENCODING_BINARY);
    assert_int_equal(res.items[0].data_len, sizeof(bytes));
    assert_memory_equal(res.items[0].data, bytes, sizeof(bytes));
    /* The result payload in history is payload.json: binary/plain, 3q2+7w==. */
    assert_history_payload(payload_at(event_attrs(doc, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
                                                  "workflowExecutionCompletedEventAttributes"),
                                      "result", 0),
                           "YmluYXJ5L3BsYWlu", "3q2+7w==");
    assert_arg_equals_result(doc, 1);
    json_decref(doc);
    temporal_payloads_cleanup(&res);
    temporal_payloads_cleanup(&args);
}

static void json(void **state)
{
    (void)state;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_json(&args, "{\"spec\": true}", 14), 0);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    json_t *doc;
    run_echo("feat-dc-json", &args, &res, &doc);

    /* json/plain, and the data parses back to the same object. */
    assert_int_equal(res.count, 1);
    assert_string_equal(temporal_payload_encoding(&res.items[0]), TEMPORAL_ENCODING_JSON);
    const char *text;
    size_t len;
    assert_int_equal(temporal_payload_get_json(&res.items[0], &text, &len), 0);
    json_t *got = json_loadb(text, len, 0, NULL);
    json_t *want = json_pack("{s:b}", "spec", 1);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    json_t *p = payload_at(event_attrs(doc, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
                                       "workflowExecutionCompletedEventAttributes"),
                           "result", 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(p, "metadata"), "encoding")),
                        "anNvbi9wbGFpbg=="); /* json/plain */
    assert_arg_equals_result(doc, 1);
    json_decref(doc);
    temporal_payloads_cleanup(&res);
    temporal_payloads_cleanup(&args);
}

static void empty(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-dc-empty", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "EmptyWorkflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    /* The result is null: no payload (as a Go workflow returning only an error) or binary/null. */
    assert_true(res.count == 0 || (res.count == 1 && temporal_payload_is_null(&res.items[0])));
    temporal_payloads_cleanup(&res);

    /* The activity's input payload is payload.json: binary/null without data. */
    json_t *doc = ts_cli_json("workflow show -w %s", id);
    assert_non_null(doc);
    json_t *sched = event_attrs(doc, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED",
                                "activityTaskScheduledEventAttributes");
    assert_int_equal(json_array_size(json_object_get(json_object_get(sched, "input"), "payloads")), 1);
    assert_history_payload(payload_at(sched, "input", 0), "YmluYXJ5L251bGw=", NULL);
    json_decref(doc);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(binary),
    cmocka_unit_test(json),
    cmocka_unit_test(empty),
};
TS_MAIN(tests)
