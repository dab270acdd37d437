/*
 * client_smoke: connect to a Temporal server, start a workflow, signal it, describe it,
 * read its history, and terminate it, printing each step.  Used by `make demo`.
 *
 * usage: client_smoke [host:port] [namespace]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <temporal/temporal.h>

static int fail(const char *step, const struct temporal_error *err)
{
    fprintf(stderr, "client_smoke: %s failed: %s [%s]\n", step, err->message,
            temporal_err_name(err->code));
    return 1;
}

int main(int argc, char **argv)
{
    struct temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
    opts.target = argc > 1 ? argv[1] : "localhost:7233";
    opts.namespace_name = argc > 2 ? argv[2] : "default";
    struct temporal_error err;
    struct temporal_client *client = NULL;

    printf("temporal-c %s (Temporal API from %s)\n", temporal_version(), temporal_api_version());
    if (temporal_client_connect(&client, &opts, &err) != 0)
        return fail("connect", &err);
    struct temporal_server_info info;
    temporal_client_server_info(client, &info);
    printf("connected to %s, namespace '%s', server %s, identity %s\n", opts.target,
           temporal_client_namespace(client), info.server_version,
           temporal_client_identity(client));

    char workflow_id[64];
    snprintf(workflow_id, sizeof(workflow_id), "temporal-c-smoke-%ld", (long)time(NULL));
    struct temporal_start_workflow_options start = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    start.workflow_id = workflow_id;
    start.workflow_type = "SmokeWorkflow";
    start.task_queue = "temporal-c-smoke";
    start.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "hello from C");
    char *run_id = NULL;
    int rc = temporal_client_start_workflow(client, &start, &args, &run_id, &err);
    temporal_payloads_cleanup(&args);
    if (rc != 0)
        return fail("start workflow", &err);
    printf("started workflow %s (type %s, task queue %s), run %s\n", workflow_id,
           start.workflow_type, start.task_queue, run_id);

    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&sig, "{\"step\":1}", 10);
    rc = temporal_client_signal_workflow(client, workflow_id, run_id, "poke", &sig, &err);
    temporal_payloads_cleanup(&sig);
    if (rc != 0)
        return fail("signal", &err);
    printf("signalled 'poke' with {\"step\":1}\n");

    struct temporal_workflow_description d;
    if (temporal_client_describe_workflow(client, workflow_id, NULL, &d, &err) != 0)
        return fail("describe", &err);
    printf("described: type %s, task queue %s, status %s, %lld history events\n",
           d.workflow_type, d.task_queue, temporal_workflow_status_name(d.status),
           (long long)d.history_length);
    temporal_workflow_description_cleanup(&d);

    if (temporal_client_terminate_workflow(client, workflow_id, run_id, "smoke run done", &err) != 0)
        return fail("terminate", &err);
    printf("terminated the workflow\n");

    struct temporal_history h;
    if (temporal_client_fetch_history(client, workflow_id, run_id, &h, &err) != 0)
        return fail("fetch history", &err);
    printf("history (%zu events, %zu bytes serialized):\n", h.count, h.serialized_len);
    for (size_t i = 0; i < h.count; i++)
        printf("  %3lld %s\n", (long long)h.events[i].event_id, h.events[i].event_type_name);
    temporal_history_cleanup(&h);

    free(run_id);
    temporal_client_free(client);
    printf("client smoke run OK\n");
    return 0;
}
