/*
 * The activity worker against the real dev server: a Python SDK workflow (tests/peers,
 * workflow "RunActivity") calls activities that a C worker runs, and reports what it saw.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

/* Activities ----------------------------------------------------------------------------------- */

static int greet(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                 struct temporal_payloads *out, void *ud)
{
    (void)ud;
    char *name = NULL;
    if (in->count != 1 || temporal_payload_get_string(&in->items[0], &name) != 0)
        return temporal_activity_fail(ctx, "BadInput", "greet takes one string", true, NULL);
    char text[256];
    snprintf(text, sizeof(text), "Hello, %s!", name);
    temporal_free(name);
    return temporal_payloads_add_string(out, text);
}

static int fail_always(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    struct temporal_payloads details = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&details, "{\"why\":\"test\"}", 14);
    int rc = temporal_activity_fail(ctx, "MyError", "nope", true, &details);
    temporal_payloads_cleanup(&details);
    return rc;
}

static int succeed_on_second_attempt(struct temporal_activity_ctx *ctx,
                                     const struct temporal_payloads *in,
                                     struct temporal_payloads *out, void *ud)
{
    (void)in, (void)ud;
    const struct temporal_activity_info *info = temporal_activity_info(ctx);
    if (info->attempt < 2)
        return TEMPORAL_EIO; /* a plain error code: a retryable failure */
    assert_true(info->deadline_ms > info->started_time_ms);
    assert_true(temporal_activity_time_remaining_ms(ctx) > 0);
    char json[512];
    snprintf(json, sizeof(json),
             "{\"attempt\":%d,\"workflow_type\":\"%s\",\"activity_type\":\"%s\",\"tq\":\"%s\"}",
             info->attempt, info->workflow_type, info->activity_type, info->task_queue);
    return temporal_payloads_add_json(out, json, strlen(json));
}

/* Heartbeats until asked to stop; reports why it stopped through |ud|. */
static int heartbeat_until_cancelled(struct temporal_activity_ctx *ctx,
                                     const struct temporal_payloads *in,
                                     struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out;
    enum temporal_activity_cancel_reason *seen = ud;
    for (int i = 0; i < 600; i++) {
        struct temporal_payloads d = TEMPORAL_PAYLOADS_INIT;
        char n[16];
        snprintf(n, sizeof(n), "%d", i);
        temporal_payloads_add_json(&d, n, strlen(n));
        int rc = temporal_activity_heartbeat(ctx, &d);
        temporal_payloads_cleanup(&d);
        if (rc == TEMPORAL_ECANCELED) {
            *seen = temporal_activity_cancel_reason(ctx);
            return TEMPORAL_ECANCELED;
        }
        ts_sleep_ms(50);
    }
    return temporal_activity_fail(ctx, "NeverCancelled", "no cancellation arrived", true, NULL);
}

static int slow_then_done(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *ud)
{
    (void)in, (void)ud;
    ts_sleep_ms(800);
    assert_false(temporal_activity_is_cancelled(ctx));
    return temporal_payloads_add_string(out, "finished during graceful shutdown");
}

/* Helpers ------------------------------------------------------------------------------------------ */

static void start_worker(struct ts_worker *rw, int64_t graceful_ms, void *hb_state)
{
    memset(rw, 0, sizeof(*rw));
    rw->client = ts_connect();
    ts_unique(rw->task_queue, sizeof(rw->task_queue), "c-activities");
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = rw->task_queue;
    o.max_concurrent_activities = 4;
    o.max_activity_pollers = 2;
    o.graceful_shutdown_timeout_ms = graceful_ms;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw->worker, rw->client, &o, &err), err);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "greet", greet, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "greet", greet, NULL),
                     TEMPORAL_EALREADY_EXISTS);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "fail_always", fail_always, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "second_attempt",
                                                       succeed_on_second_attempt, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "heartbeat_until_cancelled",
                                                       heartbeat_until_cancelled, hb_state), 0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "slow_then_done",
                                                       slow_then_done, NULL), 0);
    ts_worker_run(rw);
}

/* Starts RunActivity on the Python peer with |request_json|; returns the result object. */
static json_t *run_activity(struct temporal_client *c, const char *request_json)
{
    char id[96];
    ts_unique(id, sizeof(id), "run-activity");
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "RunActivity";
    o.task_queue = ts_state("py_task_queue");
    o.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_json(&args, request_json, strlen(request_json)), 0);
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(c, &o, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    TS_OK(temporal_client_get_workflow_result(c, id, NULL, 60000, &res, &err), err);
    const char *json;
    assert_int_equal(temporal_payload_get_json(&res.items[0], &json, NULL), 0);
    print_message("RunActivity -> %s\n", json);
    json_t *j = json_loads(json, 0, NULL);
    temporal_payloads_cleanup(&res);
    assert_non_null(j);
    return j;
}

static json_t *run_named(struct ts_worker *rw, const char *activity, const char *extra)
{
    char req[1024];
    snprintf(req, sizeof(req), "{\"activity\":\"%s\",\"task_queue\":\"%s\"%s%s}", activity,
             rw->task_queue, extra[0] ? "," : "", extra);
    return run_activity(rw->client, req);
}

/* Tests ----------------------------------------------------------------------------------------- */

static void activity_result(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 1000, NULL);
    json_t *r = run_named(&rw, "greet", "\"args\":[\"World\"]");
    assert_string_equal(json_string_value(json_object_get(r, "result")), "Hello, World!");
    json_decref(r);
    ts_worker_stop(&rw);
}

static void activity_failure(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 1000, NULL);
    json_t *r = run_named(&rw, "fail_always", "\"max_attempts\":5");
    json_t *e = json_object_get(r, "error");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "MyError");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "nope");
    assert_true(json_is_true(json_object_get(e, "non_retryable")));
    json_decref(r);
    ts_worker_stop(&rw);
}

static void activity_info_and_retry(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 1000, NULL);
    json_t *r = run_named(&rw, "second_attempt", "\"max_attempts\":3");
    json_t *res = json_object_get(r, "result");
    assert_non_null(res);
    assert_int_equal(json_integer_value(json_object_get(res, "attempt")), 2);
    assert_string_equal(json_string_value(json_object_get(res, "workflow_type")), "RunActivity");
    assert_string_equal(json_string_value(json_object_get(res, "activity_type")), "second_attempt");
    assert_string_equal(json_string_value(json_object_get(res, "tq")), rw.task_queue);
    json_decref(r);
    ts_worker_stop(&rw);
}

static void unregistered_activity(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 1000, NULL);
    json_t *r = run_named(&rw, "no_such_activity", "");
    json_t *e = json_object_get(r, "error");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "NotFoundError");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "no_such_activity"));
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "greet"));
    json_decref(r);
    ts_worker_stop(&rw);
}

static void cancel_through_heartbeat(void **state)
{
    (void)state;
    enum temporal_activity_cancel_reason seen = TEMPORAL_ACTIVITY_NOT_CANCELLED;
    struct ts_worker rw;
    start_worker(&rw, 1000, &seen);
    json_t *r = run_named(&rw, "heartbeat_until_cancelled",
                          "\"heartbeat_timeout_ms\":2000,\"cancel_after_ms\":1000,"
                          "\"wait_cancellation\":true");
    assert_true(json_is_true(json_object_get(r, "cancelled")));
    assert_int_equal(seen, TEMPORAL_ACTIVITY_CANCEL_REQUESTED);
    json_decref(r);
    ts_worker_stop(&rw);
}

/* Starts RunActivity without waiting; returns the workflow id (static buffer). */
static const char *start_run_activity(struct ts_worker *rw, const char *activity)
{
    static char id[96];
    ts_unique(id, sizeof(id), "run-activity");
    char req[512];
    snprintf(req, sizeof(req), "{\"activity\":\"%s\",\"task_queue\":\"%s\"}", activity,
             rw->task_queue);
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "RunActivity";
    o.task_queue = ts_state("py_task_queue");
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&args, req, strlen(req));
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(rw->client, &o, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
    return id;
}

static json_t *result_of(struct temporal_client *c, const char *id)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(c, id, NULL, 60000, &res, &err), err);
    const char *json;
    assert_int_equal(temporal_payload_get_json(&res.items[0], &json, NULL), 0);
    json_t *j = json_loads(json, 0, NULL);
    temporal_payloads_cleanup(&res);
    return j;
}

static void shutdown_lets_activity_finish(void **state)
{
    (void)state;
    struct ts_worker rw;
    start_worker(&rw, 10000, NULL);
    const char *id = start_run_activity(&rw, "slow_then_done");
    ts_sleep_ms(400); /* the activity is running (it takes 800 ms) */
    struct temporal_client *c = ts_connect();
    ts_worker_stop(&rw); /* returns after the activity reported its result */
    json_t *r = result_of(c, id);
    assert_string_equal(json_string_value(json_object_get(r, "result")),
                        "finished during graceful shutdown");
    json_decref(r);
    temporal_client_free(c);
}

static void shutdown_cancels_after_grace(void **state)
{
    (void)state;
    enum temporal_activity_cancel_reason seen = TEMPORAL_ACTIVITY_NOT_CANCELLED;
    struct ts_worker rw;
    start_worker(&rw, 300, &seen);
    const char *id = start_run_activity(&rw, "heartbeat_until_cancelled");
    ts_sleep_ms(500);
    struct temporal_client *c = ts_connect();
    ts_worker_stop(&rw);
    assert_int_equal(seen, TEMPORAL_ACTIVITY_CANCEL_WORKER_SHUTDOWN);
    json_t *r = result_of(c, id);
    json_t *e = json_object_get(r, "error");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "WorkerShutdown");
    assert_false(json_is_true(json_object_get(e, "non_retryable")));
    json_decref(r);
    temporal_client_free(c);
}

static void unknown_namespace_fails_run(void **state)
{
    (void)state;
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = ts_state("address");
    co.namespace_name = "temporal-c-no-such-namespace";
    struct temporal_client *c = NULL;
    struct temporal_error err;
    TS_OK(temporal_client_connect(&c, &co, &err), err);
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = "tq";
    struct temporal_worker *w = NULL;
    TS_OK(temporal_worker_new(&w, c, &o, &err), err);
    assert_int_equal(temporal_worker_register_activity(w, "greet", greet, NULL), 0);
    assert_int_equal(temporal_worker_run(w, &err), TEMPORAL_ENAMESPACE_NOT_FOUND);
    assert_non_null(strstr(err.message, "temporal-c-no-such-namespace"));
    temporal_worker_free(w);
    temporal_client_free(c);
}

static void options_validated(void **state)
{
    (void)state;
    struct temporal_client *c = ts_connect();
    struct temporal_worker *w = NULL;
    struct temporal_error err;
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    assert_int_equal(temporal_worker_new(&w, c, &o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "task_queue"));
    o.task_queue = "tq";
    o.deployment.use_versioning = true;
    o.deployment.deployment_name = "d";
    assert_int_equal(temporal_worker_new(&w, c, &o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "build_id"));
    o.deployment.use_versioning = false;
    o.deployment.default_versioning_behavior = TEMPORAL_VERSIONING_BEHAVIOR_PINNED;
    assert_int_equal(temporal_worker_new(&w, c, &o, &err), TEMPORAL_EINVAL);
    o.deployment.default_versioning_behavior = TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED;
    o.graceful_shutdown_timeout_ms = 5000;
    o.shutdown_timeout_ms = 1000; /* the bound must leave room for the grace period */
    assert_int_equal(temporal_worker_new(&w, c, &o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "shutdown_timeout_ms"));
    assert_null(w);
    temporal_client_free(c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(activity_result),
    cmocka_unit_test(activity_failure),
    cmocka_unit_test(activity_info_and_retry),
    cmocka_unit_test(unregistered_activity),
    cmocka_unit_test(cancel_through_heartbeat),
    cmocka_unit_test(shutdown_lets_activity_finish),
    cmocka_unit_test(shutdown_cancels_after_grace),
    cmocka_unit_test(unknown_namespace_fails_run),
    cmocka_unit_test(options_validated),
};
TS_MAIN(tests)
