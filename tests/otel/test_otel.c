/*
 * SDK metrics exported over OTLP/gRPC to a real OpenTelemetry Collector (built by
 * scripts/install-deps.sh; tests/otel/README.md), which writes what it receives to a file
 * as OTLP JSON, one object per line.  A C worker runs a workflow and an activity against
 * the dev server; the collector's file must then hold the standard metrics with their
 * labels.  The Lambda case checks that the flush inside the invocation delivers them.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <temporal/lambda.h>

#include "support.h"

extern char **environ;

struct collector {
    pid_t pid;
    char dir[64];
    char output[128];
    char endpoint[32];
};

static const char *str_or_empty(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static void collector_start(struct collector *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/otelcol-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->output, sizeof(c->output), "%s/received.jsonl", c->dir);
    int port = ts_free_port();
    snprintf(c->endpoint, sizeof(c->endpoint), "127.0.0.1:%d", port);
    const char *src = getenv("TEMPORAL_C_SOURCE_DIR");
    char bin[512], config[512], log[160], env_endpoint[96], env_output[192];
    snprintf(bin, sizeof(bin), "%s/.deps/bin/otelcol-temporal-c-test", src);
    snprintf(config, sizeof(config), "--config=%s/tests/otel/collector.yaml", src);
    snprintf(log, sizeof(log), "%s/collector.log", c->dir);
    snprintf(env_endpoint, sizeof(env_endpoint), "OTLP_GRPC_ENDPOINT=%s", c->endpoint);
    snprintf(env_output, sizeof(env_output), "OTLP_OUTPUT_FILE=%s", c->output);
    const char *env[256];
    size_t n = 0;
    env[n++] = env_endpoint;
    env[n++] = env_output;
    for (char **e = environ; *e && n < 250; e++)
        if (strncmp(*e, "OTLP_", 5) != 0)
            env[n++] = *e;
    env[n] = NULL;
    const char *argv[] = {bin, config, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&c->pid, bin, &fa, NULL, (char *const *)argv, (char *const *)env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot start %s: %s (run scripts/install-deps.sh)", bin, strerror(rc));
    for (int i = 0; i < 300 && !ts_port_open(port); i++)
        ts_sleep_ms(50);
    assert_true(ts_port_open(port));
}

static void collector_stop(struct collector *c)
{
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
}

/* The data point of |metric| whose attributes include |key| = |value| (|key| NULL: any), in
 * the collector's output; NULL until it arrives (waits up to 10 s for the file exporter). */
static json_t *find_point(struct collector *c, const char *metric, const char *key,
                          const char *value, json_t **resource_out)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        FILE *f = fopen(c->output, "r");
        char *line = NULL; /* one export is one line, of any length */
        size_t line_cap = 0;
        json_t *found = NULL;
        while (f && !found && getline(&line, &line_cap, f) > 0) {
            json_t *doc = json_loads(line, 0, NULL);
            json_t *rms = json_object_get(doc, "resourceMetrics");
            size_t i, j, k, l, m;
            json_t *rm, *sm, *met, *dp, *attr;
            json_array_foreach(rms, i, rm)
            {
                json_array_foreach(json_object_get(rm, "scopeMetrics"), j, sm)
                {
                    json_array_foreach(json_object_get(sm, "metrics"), k, met)
                    {
                        if (found || strcmp(str_or_empty(json_object_get(met, "name")), metric) != 0)
                            continue;
                        json_t *data = json_object_get(met, "sum");
                        if (!data)
                            data = json_object_get(met, "histogram");
                        if (!data)
                            data = json_object_get(met, "gauge");
                        json_array_foreach(json_object_get(data, "dataPoints"), l, dp)
                        {
                            bool match = key == NULL;
                            json_array_foreach(json_object_get(dp, "attributes"), m, attr)
                            {
                                const char *ak = json_string_value(json_object_get(attr, "key"));
                                const char *av = json_string_value(json_object_get(
                                    json_object_get(attr, "value"), "stringValue"));
                                if (key && ak && av && strcmp(ak, key) == 0 &&
                                    strcmp(av, value) == 0)
                                    match = true;
                            }
                            if (match && !found) {
                                found = json_deep_copy(dp);
                                if (resource_out)
                                    *resource_out = json_deep_copy(json_object_get(rm, "resource"));
                            }
                        }
                    }
                }
            }
            json_decref(doc);
        }
        free(line);
        if (f)
            fclose(f);
        if (found)
            return found;
        ts_sleep_ms(100);
    }
    return NULL;
}

static const char *attr_value(json_t *obj, const char *key)
{
    size_t i;
    json_t *attr;
    json_array_foreach(json_object_get(obj, "attributes"), i, attr)
    {
        if (strcmp(str_or_empty(json_object_get(attr, "key")), key) == 0)
            return json_string_value(json_object_get(json_object_get(attr, "value"), "stringValue"));
    }
    return NULL;
}

static void start_hello(struct temporal_client *client, const char *tq, char *id, size_t cap)
{
    ts_unique(id, cap, "otel-wf");
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "OtelHello";
    so.task_queue = tq;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "metrics");
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
}

/* The standard metrics with their labels, after a worker ran a workflow and an activity. */
static void worker_metrics_reach_collector(void **state)
{
    (void)state;
    struct collector c;
    collector_start(&c);
    struct temporal_metrics *metrics = NULL;
    assert_int_equal(temporal_metrics_new(&metrics), 0);
    struct temporal_otel_options oo = TEMPORAL_OTEL_OPTIONS_INIT;
    oo.endpoint = c.endpoint;
    oo.service_name = "otel-test";
    oo.export_interval_ms = -1; /* only the explicit flush below */
    struct temporal_otel_exporter *exporter = NULL;
    struct temporal_error err;
    TS_OK(temporal_otel_exporter_new(&exporter, metrics, &oo, &err), err);

    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = ts_state("address");
    co.metrics = metrics;
    struct ts_worker tw = {0};
    TS_OK(temporal_client_connect(&tw.client, &co, &err), err);
    ts_unique(tw.task_queue, sizeof(tw.task_queue), "otel-tq");
    struct temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
    wo.task_queue = tw.task_queue;
    TS_OK(temporal_worker_new(&tw.worker, tw.client, &wo, &err), err);
    assert_int_equal(temporal_worker_register_workflow(tw.worker, "OtelHello", ts_hello_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(tw.worker, "hello", ts_hello_activity, NULL),
                     0);
    ts_worker_run(&tw);
    char id[128];
    start_hello(tw.client, tw.task_queue, id, sizeof(id));
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 30000, &result, &err), err);
    temporal_payloads_cleanup(&result);
    struct temporal_client *client = tw.client;
    tw.client = NULL;
    temporal_worker_stop(tw.worker);
    pthread_join(tw.thread, NULL);
    temporal_worker_free(tw.worker);
    temporal_client_free(client);

    TS_OK(temporal_otel_exporter_flush(exporter, 10000, &err), err);
    json_t *resource = NULL;
    json_t *dp = find_point(&c, "temporal_workflow_completed", "workflow_type", "OtelHello",
                            &resource);
    assert_non_null(dp);
    assert_string_equal(json_string_value(json_object_get(dp, "asInt")), "1");
    assert_string_equal(attr_value(dp, "task_queue"), tw.task_queue);
    assert_string_equal(attr_value(dp, "namespace"), "default");
    assert_string_equal(attr_value(resource, "service.name"), "otel-test");
    json_decref(dp);
    json_decref(resource);

    dp = find_point(&c, "temporal_activity_execution_latency", "activity_type", "hello", NULL);
    assert_non_null(dp);
    assert_string_equal(json_string_value(json_object_get(dp, "count")), "1");
    assert_string_equal(attr_value(dp, "task_queue"), tw.task_queue);
    json_decref(dp);
    const char *wanted[][3] = {
        {"temporal_request", "operation", "StartWorkflowExecution"},
        {"temporal_request_latency", "operation", "RespondWorkflowTaskCompleted"},
        {"temporal_long_request", "operation", "PollWorkflowTaskQueue"},
        {"temporal_long_request_latency", "operation", "PollActivityTaskQueue"},
        {"temporal_workflow_task_queue_poll_succeed", "task_queue", tw.task_queue},
        {"temporal_workflow_task_execution_latency", "workflow_type", "OtelHello"},
        {"temporal_activity_task_received", "task_queue", tw.task_queue},
        {"temporal_worker_start", "worker_type", "WorkflowWorker"},
        {"temporal_worker_start", "worker_type", "ActivityWorker"},
        {"temporal_workflow_task_schedule_to_start_latency", "task_queue", tw.task_queue},
        {"temporal_workflow_endtoend_latency", "workflow_type", "OtelHello"},
        {"temporal_activity_schedule_to_start_latency", "activity_type", "hello"},
        {"temporal_activity_succeed_endtoend_latency", "activity_type", "hello"},
        {"temporal_sticky_cache_miss", "task_queue", tw.task_queue},
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        dp = find_point(&c, wanted[i][0], wanted[i][1], wanted[i][2], NULL);
        if (dp == NULL)
            fail_msg("no %s{%s=%s} at the collector", wanted[i][0], wanted[i][1], wanted[i][2]);
        json_decref(dp);
    }
    /* A request carries its namespace. */
    dp = find_point(&c, "temporal_request", "operation", "StartWorkflowExecution", NULL);
    assert_string_equal(attr_value(dp, "namespace"), "default");
    json_decref(dp);

    temporal_otel_exporter_free(exporter);
    temporal_metrics_free(metrics);
    collector_stop(&c);
}

/* A flush with nobody listening fails cleanly; endpoint and service name resolution. */
static void exporter_options(void **state)
{
    (void)state;
    struct temporal_metrics *metrics = NULL;
    assert_int_equal(temporal_metrics_new(&metrics), 0);
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("AWS_LAMBDA_FUNCTION_NAME");
    struct temporal_otel_options oo = TEMPORAL_OTEL_OPTIONS_INIT;
    oo.export_interval_ms = -1;
    struct temporal_otel_exporter *e = NULL;
    struct temporal_error err;
    TS_OK(temporal_otel_exporter_new(&e, metrics, &oo, &err), err);
    assert_string_equal(temporal_otel_exporter_endpoint(e), "localhost:4317");
    assert_string_equal(temporal_otel_exporter_service_name(e), "temporal-c");
    temporal_otel_exporter_free(e);

    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", 1);
    setenv("AWS_LAMBDA_FUNCTION_NAME", "my-function", 1);
    TS_OK(temporal_otel_exporter_new(&e, metrics, &oo, &err), err);
    assert_string_equal(temporal_otel_exporter_endpoint(e), "127.0.0.1:1");
    assert_string_equal(temporal_otel_exporter_service_name(e), "my-function");
    /* Nothing recorded: nothing to send, no error. */
    TS_OK(temporal_otel_exporter_flush(e, 500, &err), err);
    temporal_otel_exporter_free(e);

    setenv("OTEL_SERVICE_NAME", "from-env", 1);
    oo.endpoint = "grpc://127.0.0.1:1";
    TS_OK(temporal_otel_exporter_new(&e, metrics, &oo, &err), err);
    assert_string_equal(temporal_otel_exporter_service_name(e), "from-env");
    oo.service_name = "from-option";
    temporal_otel_exporter_free(e);
    oo.endpoint = "https://collector.example:4317"; /* no TLS to the collector */
    assert_int_equal(temporal_otel_exporter_new(&e, metrics, &oo, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "TLS"));
    oo.endpoint = "grpc://127.0.0.1:1";
    TS_OK(temporal_otel_exporter_new(&e, metrics, &oo, &err), err);
    assert_string_equal(temporal_otel_exporter_service_name(e), "from-option");
    temporal_otel_exporter_free(e);
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("AWS_LAMBDA_FUNCTION_NAME");
    temporal_metrics_free(metrics);
}

/* Lambda: apply_defaults, one invocation that runs a workflow; with a background period
 * far beyond the test, only the flush inside the invocation can have delivered the
 * metrics, and they are at the collector when the invocation returns. */
static int lambda_configure(struct temporal_lambda_config *cfg, void *ud,
                            struct temporal_error *err)
{
    const char *endpoint = ud;
    cfg->worker.graceful_shutdown_timeout_ms = 500;
    cfg->shutdown_deadline_buffer_ms = 1500;
    struct temporal_lambda_otel_options o = TEMPORAL_LAMBDA_OTEL_OPTIONS_INIT;
    o.endpoint = endpoint;
    o.metric_export_interval_ms = 3600 * 1000;
    int rc = temporal_lambda_otel_apply_defaults(cfg, &o, err);
    if (rc == 0)
        rc = temporal_lambda_register_workflow(cfg, "OtelHello", ts_hello_workflow,
                                               TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_activity(cfg, "hello", ts_hello_activity, NULL);
    return rc;
}

static void lambda_flush_inside_invocation(void **state)
{
    (void)state;
    struct collector c;
    collector_start(&c);
    char deployment[96], tq[96];
    ts_unique(deployment, sizeof(deployment), "otel-dep");
    ts_unique(tq, sizeof(tq), "otel-lambda-tq");
    setenv("TEMPORAL_ADDRESS", ts_state("address"), 1);
    setenv("TEMPORAL_TASK_QUEUE", tq, 1);
    unsetenv("OTEL_SERVICE_NAME");
    setenv("AWS_LAMBDA_FUNCTION_NAME", "otel-lambda-fn", 1);
    struct temporal_deployment_version v = {deployment, "build-1"};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    TS_OK(temporal_lambda_worker_new(&lw, &v, lambda_configure, c.endpoint, &err), err);
    struct temporal_lambda_invocation inv = {
        .request_id = "otel-req-1",
        .deadline_epoch_ms = ts_deadline_in_ms(3500),
    };
    TS_OK(temporal_lambda_worker_invoke(lw, &inv, &err), err); /* registers the version */
    ts_set_current_version(deployment, "build-1");
    struct temporal_client *client = ts_connect();
    char id[128];
    start_hello(client, tq, id, sizeof(id));
    bool done = false;
    for (int i = 0; i < 10 && !done; i++) {
        inv.request_id = "otel-req-n";
        inv.deadline_epoch_ms = ts_deadline_in_ms(3500);
        TS_OK(temporal_lambda_worker_invoke(lw, &inv, &err), err);
        done = ts_workflow_status(client, id) == TEMPORAL_WORKFLOW_STATUS_COMPLETED;
    }
    assert_true(done);
    /* The invocation that completed the workflow has returned: its metrics are there. */
    json_t *resource = NULL;
    json_t *dp = find_point(&c, "temporal_workflow_completed", "workflow_type", "OtelHello",
                            &resource);
    assert_non_null(dp);
    assert_string_equal(attr_value(dp, "task_queue"), tq);
    assert_string_equal(attr_value(resource, "service.name"), "otel-lambda-fn");
    json_decref(dp);
    json_decref(resource);
    dp = find_point(&c, "temporal_activity_execution_latency", "activity_type", "hello", NULL);
    assert_non_null(dp);
    json_decref(dp);
    temporal_client_free(client);
    temporal_lambda_worker_free(lw);
    unsetenv("TEMPORAL_ADDRESS");
    unsetenv("TEMPORAL_TASK_QUEUE");
    unsetenv("AWS_LAMBDA_FUNCTION_NAME");
    collector_stop(&c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(worker_metrics_reach_collector),
    cmocka_unit_test(exporter_options),
    cmocka_unit_test(lambda_flush_inside_invocation),
};
TS_MAIN(tests)
