/*
 * SDK metrics and spans exported over OTLP/gRPC to a real OpenTelemetry Collector (built by
 * scripts/install-deps.sh; tests/otel/README.md), which writes what it receives to a file
 * as OTLP JSON, one object per line.  A C worker runs a workflow and an activity against
 * the dev server; the collector's file must then hold the standard metrics with their
 * labels.  The Lambda cases check that the flush inside the invocation delivers metrics and
 * spans, that the spans have the names, kinds, attributes and parentage of the other SDKs'
 * interceptors (temporal/tracing.h), and that a workflow started by a Python client with
 * the Python SDK's TracingInterceptor (tests/peers/py_traced_client.py) makes one trace
 * with our worker's spans.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

/* The collector running, if any: a copy, so that the teardown of a failed case stops it. */
static struct collector live_collector;

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
    live_collector = *c;
    for (int i = 0; i < 300 && !ts_port_open(port); i++)
        ts_sleep_ms(50);
    assert_true(ts_port_open(port));
}

static void collector_stop(struct collector *c)
{
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
    memset(&live_collector, 0, sizeof(live_collector));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
}

/* Teardown of every case: stops the collector a failed case left running. */
static int stop_live_collector(void **state)
{
    (void)state;
    if (live_collector.pid != 0) {
        struct collector c = live_collector;
        collector_stop(&c);
    }
    return 0;
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

/* Starts OtelHello("metrics") on |tq|; its id goes into |id|, its run id (may be NULL) into
 * |*run_id| (temporal_free()). */
static void start_hello(struct temporal_client *client, const char *tq, char *id, size_t cap,
                        char **run_id)
{
    ts_unique(id, cap, "otel-wf");
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "OtelHello";
    so.task_queue = tq;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "metrics");
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(client, &so, &args, run_id, &err), err);
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
    start_hello(tw.client, tw.task_queue, id, sizeof(id), NULL);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 30000, &result, &err), err);
    temporal_payloads_cleanup(&result);
    ts_worker_stop(&tw);

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

/* Lambda ------------------------------------------------------------------------------------- */

/* apply_defaults with a background period far beyond the test, so that only the flush inside
 * an invocation can deliver anything; the hello workflow as "OtelHello" and "HelloWorkflow"
 * (what the Python client starts). */
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
        rc = temporal_lambda_register_workflow(cfg, "HelloWorkflow", ts_hello_workflow,
                                               TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_activity(cfg, "hello", ts_hello_activity, NULL);
    return rc;
}

/* A Lambda worker of a new deployment on task queue |tq| (filled in), function name
 * |function|, exporting to |c|; one invocation registers its version, which is then made
 * current. */
static struct temporal_lambda_worker *lambda_start(struct collector *c, char *tq, size_t tq_cap,
                                                   const char *function,
                                                   struct temporal_lambda_invocation *inv)
{
    char deployment[96];
    ts_unique(deployment, sizeof(deployment), "otel-dep");
    ts_unique(tq, tq_cap, "otel-lambda-tq");
    setenv("TEMPORAL_ADDRESS", ts_state("address"), 1);
    setenv("TEMPORAL_TASK_QUEUE", tq, 1);
    unsetenv("OTEL_SERVICE_NAME");
    setenv("AWS_LAMBDA_FUNCTION_NAME", function, 1);
    struct temporal_deployment_version v = {deployment, "build-1"};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    TS_OK(temporal_lambda_worker_new(&lw, &v, lambda_configure, c->endpoint, &err), err);
    inv->deadline_epoch_ms = ts_deadline_in_ms(3500);
    TS_OK(temporal_lambda_worker_invoke(lw, inv, &err), err); /* registers the version */
    ts_set_current_version(deployment, "build-1");
    return lw;
}

/* Invokes |lw| (3.5 s each, at most ten times) until workflow |id| has completed (not at
 * all if it already has). */
static void invoke_until_completed(struct temporal_lambda_worker *lw,
                                   struct temporal_lambda_invocation *inv,
                                   struct temporal_client *client, const char *id)
{
    struct temporal_error err;
    for (int i = 0; ts_workflow_status(client, id) != TEMPORAL_WORKFLOW_STATUS_COMPLETED; i++) {
        if (i == 10)
            fail_msg("workflow %s not completed after %d invocations", id, i);
        inv->deadline_epoch_ms = ts_deadline_in_ms(3500);
        TS_OK(temporal_lambda_worker_invoke(lw, inv, &err), err);
    }
}

static void lambda_stop(struct temporal_lambda_worker *lw)
{
    temporal_lambda_worker_free(lw);
    unsetenv("TEMPORAL_ADDRESS");
    unsetenv("TEMPORAL_TASK_QUEUE");
    unsetenv("AWS_LAMBDA_FUNCTION_NAME");
}

/* One invocation runs a workflow; the invocation that completed it has returned, so its
 * metrics are at the collector. */
static void lambda_flush_inside_invocation(void **state)
{
    (void)state;
    struct collector c;
    collector_start(&c);
    char tq[96];
    struct temporal_lambda_invocation inv = {.request_id = "otel-req-1"};
    struct temporal_lambda_worker *lw = lambda_start(&c, tq, sizeof(tq), "otel-lambda-fn", &inv);
    struct temporal_client *client = ts_connect();
    char id[128];
    start_hello(client, tq, id, sizeof(id), NULL);
    inv.request_id = "otel-req-n";
    invoke_until_completed(lw, &inv, client, id);
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
    lambda_stop(lw);
    collector_stop(&c);
}

/* Spans ---------------------------------------------------------------------------------------- */

static const char *span_str(json_t *span, const char *key)
{
    return str_or_empty(json_object_get(span, key));
}

/* Every span at the collector so far: copies, each with "service" (its resource's
 * service.name) added.  json_decref() the array. */
static json_t *read_spans(struct collector *c)
{
    json_t *all = json_array();
    FILE *f = fopen(c->output, "r");
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while (f && (len = getline(&line, &line_cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* still being written */
        json_t *doc = json_loads(line, 0, NULL);
        size_t i, j, k;
        json_t *rs, *ss, *span;
        json_array_foreach(json_object_get(doc, "resourceSpans"), i, rs)
        {
            const char *service = attr_value(json_object_get(rs, "resource"), "service.name");
            json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
            {
                json_array_foreach(json_object_get(ss, "spans"), k, span)
                {
                    json_t *copy = json_deep_copy(span);
                    json_object_set_new(copy, "service", json_string(service ? service : ""));
                    json_array_append_new(all, copy);
                }
            }
        }
        json_decref(doc);
    }
    free(line);
    if (f)
        fclose(f);
    return all;
}

/* The span of |spans| named |name| whose temporalWorkflowID is |wf_id|; |*count| (may be
 * NULL) receives how many there are.  Borrowed from |spans|. */
static json_t *find_span(json_t *spans, const char *name, const char *wf_id, int *count)
{
    json_t *found = NULL;
    int n = 0;
    size_t i;
    json_t *span;
    json_array_foreach(spans, i, span)
    {
        const char *wf = attr_value(span, "temporalWorkflowID");
        if (strcmp(span_str(span, "name"), name) == 0 && wf && strcmp(wf, wf_id) == 0) {
            n++;
            if (!found)
                found = span;
        }
    }
    if (count)
        *count = n;
    return found;
}

/* The span with |trace_id| and |span_id|, or NULL.  Borrowed from |spans|. */
static json_t *span_by_id(json_t *spans, const char *trace_id, const char *span_id)
{
    size_t i;
    json_t *span;
    json_array_foreach(spans, i, span)
    {
        if (strcmp(span_str(span, "traceId"), trace_id) == 0 &&
            strcmp(span_str(span, "spanId"), span_id) == 0)
            return span;
    }
    return NULL;
}

/* Waits (up to 10 s: the file exporter writes every 100 ms) until the collector holds a span
 * of each of |names| for workflow |wf_id|, and returns all spans (json_decref()); fails the
 * test naming the first span that never came. */
static json_t *wait_spans(struct collector *c, const char *const *names, size_t n_names,
                          const char *wf_id)
{
    const char *missing = NULL;
    for (int attempt = 0; attempt < 100; attempt++) {
        json_t *spans = read_spans(c);
        missing = NULL;
        for (size_t i = 0; i < n_names && !missing; i++)
            if (!find_span(spans, names[i], wf_id, NULL))
                missing = names[i];
        if (!missing)
            return spans;
        json_decref(spans);
        ts_sleep_ms(100);
    }
    fail_msg("no span %s of workflow %s at the collector", missing, wf_id);
    return NULL;
}

/* Whether |s| is |len| lowercase hex digits, not all zero (a valid OTLP id). */
static bool valid_id(const char *s, size_t len)
{
    bool nonzero = false;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
        nonzero |= s[i] != '0';
    }
    return s[len] == '\0' && nonzero;
}

/* Asserts that |name| exists exactly once for workflow |wf_id| (a workflow span is recorded
 * once, whatever the replays), is well formed, has |kind| and comes from |service|, and that
 * its parent is |parent| (NULL: no parent) in the same trace; returns it. */
static json_t *check_span(json_t *spans, const char *name, const char *wf_id, int kind,
                          const char *service, json_t *parent)
{
    int count = 0;
    json_t *s = find_span(spans, name, wf_id, &count);
    if (count != 1)
        fail_msg("%d spans %s of workflow %s, expected 1", count, name, wf_id);
    if (!valid_id(span_str(s, "traceId"), 32) || !valid_id(span_str(s, "spanId"), 16))
        fail_msg("%s: bad ids %s / %s", name, span_str(s, "traceId"), span_str(s, "spanId"));
    if (json_integer_value(json_object_get(s, "kind")) != kind)
        fail_msg("%s: kind %d, expected %d", name,
                 (int)json_integer_value(json_object_get(s, "kind")), kind);
    assert_string_equal(span_str(s, "service"), service);
    unsigned long long start = strtoull(span_str(s, "startTimeUnixNano"), NULL, 10);
    unsigned long long end = strtoull(span_str(s, "endTimeUnixNano"), NULL, 10);
    if (start == 0 || end < start)
        fail_msg("%s: start %llu, end %llu", name, start, end);
    /* Success: no error status (STATUS_CODE_ERROR is 2). */
    assert_true(json_integer_value(json_object_get(json_object_get(s, "status"), "code")) != 2);
    if (parent) {
        assert_string_equal(span_str(s, "traceId"), span_str(parent, "traceId"));
        if (strcmp(span_str(s, "parentSpanId"), span_str(parent, "spanId")) != 0)
            fail_msg("%s: parent %s, expected %s (%s)", name, span_str(s, "parentSpanId"),
                     span_str(parent, "spanId"), span_str(parent, "name"));
    } else if (span_str(s, "parentSpanId")[0] != '\0') {
        fail_msg("%s: parent %s, expected none", name, span_str(s, "parentSpanId"));
    }
    return s;
}

/* Whether |ancestor| is an ancestor of |s| through the parent links within |spans|. */
static bool is_ancestor(json_t *spans, json_t *ancestor, json_t *s)
{
    const char *trace_id = span_str(s, "traceId");
    if (strcmp(trace_id, span_str(ancestor, "traceId")) != 0)
        return false;
    for (int depth = 0; s && depth < 64; depth++) {
        const char *parent = span_str(s, "parentSpanId");
        if (parent[0] == '\0')
            return false;
        if (strcmp(parent, span_str(ancestor, "spanId")) == 0)
            return true;
        s = span_by_id(spans, trace_id, parent);
    }
    return false;
}

/* The Unix time in seconds that an X-Ray compatible trace id starts with. */
static long long xray_seconds(const char *trace_id)
{
    char head[9];
    memcpy(head, trace_id, 8);
    head[8] = '\0';
    return strtoll(head, NULL, 16);
}

/* An invocation's X-Ray trace header, as Lambda passes it. */
struct xray {
    char header[128];
    char trace_id[33]; /* its Root in W3C form */
    char parent[17];   /* its Parent */
};

static void xray_new(struct xray *x, time_t now)
{
    snprintf(x->trace_id, sizeof(x->trace_id), "%08llx%016llx%08x",
             (unsigned long long)now & 0xffffffffULL,
             (unsigned long long)random() << 20 | 0x5a5a5ULL, (unsigned)getpid());
    snprintf(x->parent, sizeof(x->parent), "%016llx", (unsigned long long)random() << 1 | 1ULL);
    snprintf(x->header, sizeof(x->header), "Root=1-%.8s-%.24s;Parent=%s;Sampled=1", x->trace_id,
             x->trace_id + 8, x->parent);
}

/* Whether |span| has a link to |trace_id| / |span_id|. */
static bool has_link(json_t *span, const char *trace_id, const char *span_id)
{
    size_t i;
    json_t *link;
    json_array_foreach(json_object_get(span, "links"), i, link)
    {
        if (strcmp(span_str(link, "traceId"), trace_id) == 0 &&
            strcmp(span_str(link, "spanId"), span_id) == 0)
            return true;
    }
    return false;
}

static const char *const HELLO_WORKER_SPANS[] = {
    "RunWorkflow:", "StartActivity:hello", "RunActivity:hello", "CompleteWorkflow:",
};

/* The worker's spans of one hello workflow |wf_id| of type |type| (run |run_id|), made by the
 * Lambda function |service|: RunWorkflow (whose parent is |client_span|, NULL: none) →
 * StartActivity → RunActivity, RunWorkflow → CompleteWorkflow, with their Temporal
 * attributes.  |out[4]| receives them in that order. */
static void check_hello_worker_spans(json_t *spans, const char *type, const char *wf_id,
                                     const char *run_id, const char *service,
                                     json_t *client_span, json_t **out)
{
    char run_name[96], complete_name[96];
    snprintf(run_name, sizeof(run_name), "RunWorkflow:%s", type);
    snprintf(complete_name, sizeof(complete_name), "CompleteWorkflow:%s", type);
    json_t *run = check_span(spans, run_name, wf_id, 2, service, client_span);
    json_t *start_act = check_span(spans, "StartActivity:hello", wf_id, 3, service, run);
    json_t *run_act = check_span(spans, "RunActivity:hello", wf_id, 2, service, start_act);
    json_t *complete = check_span(spans, complete_name, wf_id, 1, service, run);
    json_t *all[4] = {run, start_act, run_act, complete};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(attr_value(all[i], "temporalRunID"), run_id);
        out[i] = all[i];
    }
    const char *activity_id = attr_value(run_act, "temporalActivityID");
    assert_non_null(activity_id);
    assert_true(activity_id[0] != '\0');
}

/* Waits for the client span |client_name| and the worker spans of workflow |wf_id| of |type|. */
static json_t *wait_hello_spans(struct collector *c, const char *client_name, const char *type,
                                const char *wf_id)
{
    char names[5][96];
    const char *list[5];
    size_t n = 0;
    if (client_name)
        list[n++] = client_name;
    for (size_t i = 0; i < 4; i++) {
        const char *base = HELLO_WORKER_SPANS[i];
        snprintf(names[n], sizeof(names[n]), "%s%s", base,
                 base[strlen(base) - 1] == ':' ? type : "");
        list[n] = names[n];
        n++;
    }
    return wait_spans(c, list, n, wf_id);
}

/* Starts the harness's (untraced) Python worker's workflow "RunActivity", which schedules
 * activity "hello" on |tq| without trace context; its id goes into |id|, its run id into
 * |*run_id| (temporal_free()). */
static void start_untraced_activity(struct temporal_client *client, const char *tq, char *id,
                                    size_t cap, char **run_id)
{
    ts_unique(id, cap, "otel-py-act");
    char input[256];
    snprintf(input, sizeof(input),
             "{\"activity\": \"hello\", \"task_queue\": \"%s\", \"args\": [\"Lambda\"]}",
             tq);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "RunActivity";
    so.task_queue = ts_state("py_task_queue");
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_json(&args, input, strlen(input)), 0);
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(client, &so, &args, run_id, &err), err);
    temporal_payloads_cleanup(&args);
}

/* Asserts that |trace_id| is X-Ray compatible: it starts with a Unix time in seconds, here
 * the time the test ran (within a minute either side, not a timing check). */
static void assert_xray_id(const char *trace_id, time_t t0)
{
    long long secs = xray_seconds(trace_id);
    if (secs < (long long)t0 - 60 || secs > (long long)time(NULL) + 60)
        fail_msg("trace id %s does not start with the Unix time (%lld)", trace_id,
                 (long long)t0);
}

/* Lambda invocations, each with an X-Ray trace header, run:
 *  - the hello workflow started by a C client with a tracer: the client's and the worker's
 *    spans are one trace with the documented names, kinds, attributes and parentage;
 *  - the hello workflow started without trace context: a trace of its own (X-Ray id), the
 *    same for all of its tasks, whose RunWorkflow is linked to the invocation;
 *  - activity "hello" scheduled by an untraced Python workflow: RunActivity has no Temporal
 *    parent, so it is the child of the invocation's X-Ray segment.
 * All of it is at the collector once the invocation that completed the work has returned. */
static void traces_reach_collector(void **state)
{
    (void)state;
    time_t t0 = time(NULL);
    struct collector c;
    collector_start(&c);
    struct xray x;
    xray_new(&x, t0);
    char tq[96];
    struct temporal_lambda_invocation inv = {.request_id = "otel-trace-req", .trace_id = x.header};
    struct temporal_lambda_worker *lw = lambda_start(&c, tq, sizeof(tq), "otel-traces-fn", &inv);

    /* The client: a tracer of its own, exported to the same collector. */
    struct temporal_tracer *tracer = NULL;
    struct temporal_error err;
    TS_OK(temporal_tracer_new(&tracer, NULL, &err), err);
    struct temporal_otel_options oo = TEMPORAL_OTEL_OPTIONS_INIT;
    oo.endpoint = c.endpoint;
    oo.service_name = "otel-test-client";
    oo.tracer = tracer;
    oo.export_interval_ms = -1;
    struct temporal_otel_exporter *exporter = NULL;
    TS_OK(temporal_otel_exporter_new(&exporter, NULL, &oo, &err), err);
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = ts_state("address");
    co.tracer = tracer;
    struct temporal_client *client = NULL;
    TS_OK(temporal_client_connect(&client, &co, &err), err);
    char id[128], plain_id[128], act_id[128];
    char *run_id = NULL, *plain_run_id = NULL, *act_run_id = NULL;
    start_hello(client, tq, id, sizeof(id), &run_id);
    TS_OK(temporal_otel_exporter_flush(exporter, 10000, &err), err);
    struct temporal_client *plain = ts_connect();
    start_hello(plain, tq, plain_id, sizeof(plain_id), &plain_run_id);
    start_untraced_activity(plain, tq, act_id, sizeof(act_id), &act_run_id);

    invoke_until_completed(lw, &inv, client, id);
    invoke_until_completed(lw, &inv, client, plain_id);
    invoke_until_completed(lw, &inv, client, act_id);

    /* Traced client → worker. */
    json_t *spans = wait_hello_spans(&c, "StartWorkflow:OtelHello", "OtelHello", id);
    json_t *start = check_span(spans, "StartWorkflow:OtelHello", id, 3, "otel-test-client", NULL);
    json_t *worker[4];
    check_hello_worker_spans(spans, "OtelHello", id, run_id, "otel-traces-fn", start, worker);
    const char *trace_id = span_str(start, "traceId");
    assert_xray_id(trace_id, t0);
    assert_string_not_equal(trace_id, x.trace_id);
    json_decref(spans);

    /* Without trace context: a root RunWorkflow, and every span of the run in its trace. */
    spans = wait_hello_spans(&c, NULL, "OtelHello", plain_id);
    check_hello_worker_spans(spans, "OtelHello", plain_id, plain_run_id, "otel-traces-fn", NULL,
                             worker);
    const char *plain_trace = span_str(worker[0], "traceId");
    assert_xray_id(plain_trace, t0);
    assert_string_not_equal(plain_trace, x.trace_id);
    if (!has_link(worker[0], x.trace_id, x.parent))
        fail_msg("RunWorkflow of an untraced workflow is not linked to the invocation %s",
                 x.header);
    assert_null(find_span(spans, "StartWorkflow:OtelHello", plain_id, NULL));
    json_decref(spans);

    /* An activity without trace context: the child of the invocation. */
    const char *act_names[] = {"RunActivity:hello"};
    spans = wait_spans(&c, act_names, 1, act_id);
    json_t *invocation = json_pack("{s:s, s:s, s:s}", "name", "the invocation", "traceId",
                                   x.trace_id, "spanId", x.parent);
    json_t *run_act =
        check_span(spans, "RunActivity:hello", act_id, 2, "otel-traces-fn", invocation);
    assert_string_equal(attr_value(run_act, "temporalRunID"), act_run_id);
    json_decref(invocation);
    json_decref(spans);

    temporal_free(run_id);
    temporal_free(plain_run_id);
    temporal_free(act_run_id);
    temporal_client_free(plain);
    temporal_client_free(client);
    temporal_otel_exporter_free(exporter);
    temporal_tracer_free(tracer);
    lambda_stop(lw);
    collector_stop(&c);
}

/* Runs tests/peers/py_traced_client.py (the Python SDK's TracingInterceptor, exporting to
 * |c|), which starts HelloWorkflow |wf_id| on |tq| inside its span "py-client-root"; returns
 * its JSON output ({"trace_id", "workflow_id", "run_id"}). */
static json_t *python_traced_client(struct collector *c, const char *tq, const char *wf_id)
{
    const char *venv = getenv("TEMPORAL_C_VENV");
    const char *src = getenv("TEMPORAL_C_SOURCE_DIR");
    assert_non_null(venv);
    assert_non_null(src);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "'%s/bin/python' '%s/tests/peers/py_traced_client.py' --address %s --collector %s "
             "--task-queue %s --workflow-id %s",
             venv, src, ts_state("address"), c->endpoint, tq, wf_id);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    print_message("py_traced_client -> %s", out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    return j;
}

/* A workflow started by a Python client with the Python SDK's OpenTelemetry interceptor and
 * run by the Lambda worker makes ONE trace, the client's: its StartWorkflow span is the
 * parent of our RunWorkflow and the ancestor of all our spans, through `_tracer-data`. */
static void python_client_trace_joins(void **state)
{
    (void)state;
    struct collector c;
    collector_start(&c);
    struct xray x;
    xray_new(&x, time(NULL));
    char tq[96], id[128];
    struct temporal_lambda_invocation inv = {.request_id = "otel-py-req", .trace_id = x.header};
    struct temporal_lambda_worker *lw = lambda_start(&c, tq, sizeof(tq), "otel-py-fn", &inv);
    ts_unique(id, sizeof(id), "otel-py-wf");
    json_t *py = python_traced_client(&c, tq, id);
    const char *trace_id = json_string_value(json_object_get(py, "trace_id"));
    const char *run_id = json_string_value(json_object_get(py, "run_id"));
    assert_non_null(trace_id);
    assert_non_null(run_id);
    assert_true(valid_id(trace_id, 32));
    assert_string_equal(json_string_value(json_object_get(py, "workflow_id")), id);

    struct temporal_client *client = ts_connect();
    invoke_until_completed(lw, &inv, client, id);

    json_t *spans = wait_hello_spans(&c, "StartWorkflow:HelloWorkflow", "HelloWorkflow", id);
    /* py-client-root → StartWorkflow:HelloWorkflow (the interceptor's client span). */
    json_t *root = span_by_id(spans, trace_id,
                              span_str(find_span(spans, "StartWorkflow:HelloWorkflow", id, NULL),
                                       "parentSpanId"));
    assert_non_null(root);
    assert_string_equal(span_str(root, "name"), "py-client-root");
    assert_string_equal(span_str(root, "parentSpanId"), "");
    json_t *start =
        check_span(spans, "StartWorkflow:HelloWorkflow", id, 3, "py-traced-client", root);
    assert_string_equal(span_str(start, "traceId"), trace_id);
    json_t *worker[4];
    check_hello_worker_spans(spans, "HelloWorkflow", id, run_id, "otel-py-fn", start, worker);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(span_str(worker[i], "traceId"), trace_id);
        if (!is_ancestor(spans, start, worker[i]) || !is_ancestor(spans, root, worker[i]))
            fail_msg("the Python client span is not an ancestor of %s",
                     span_str(worker[i], "name"));
    }
    /* One trace: every span of the workflow is in it. */
    size_t i;
    json_t *span;
    json_array_foreach(spans, i, span)
    {
        const char *wf = attr_value(span, "temporalWorkflowID");
        if (wf && strcmp(wf, id) == 0 && strcmp(span_str(span, "traceId"), trace_id) != 0)
            fail_msg("span %s of the workflow is in trace %s, not %s", span_str(span, "name"),
                     span_str(span, "traceId"), trace_id);
    }
    assert_string_not_equal(trace_id, x.trace_id);
    json_decref(spans);
    json_decref(py);
    temporal_client_free(client);
    lambda_stop(lw);
    collector_stop(&c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(worker_metrics_reach_collector, stop_live_collector),
    cmocka_unit_test_teardown(exporter_options, stop_live_collector),
    cmocka_unit_test_teardown(lambda_flush_inside_invocation, stop_live_collector),
    cmocka_unit_test_teardown(traces_reach_collector, stop_live_collector),
    cmocka_unit_test_teardown(python_client_trace_joins, stop_live_collector),
};
TS_MAIN(tests)
