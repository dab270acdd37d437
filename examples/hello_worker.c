/*
 * hello_worker: the seeds' sample in C, as an ordinary long-lived worker.  Registers
 * SampleWorkflow (calls hello_activity) on task queue "hello-task-queue", starts one run with
 * the client, prints its result, and shuts the worker down gracefully.  Used by `make demo`.
 *
 * usage: hello_worker [host:port] [name]
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <temporal/temporal.h>

#define TASK_QUEUE "hello-task-queue"

static int hello_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *user_data)
{
    (void)user_data;
    char *name = NULL;
    if (in->count != 1 || temporal_payload_get_string(&in->items[0], &name) != 0)
        return temporal_activity_fail(ctx, "BadInput", "hello_activity takes one string", true,
                                      NULL);
    char greeting[256];
    snprintf(greeting, sizeof(greeting), "Hello, %s!", name);
    temporal_free(name);
    return temporal_payloads_add_string(out, greeting);
}

static int sample_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 10000;
    temporal_workflow_log(ctx, "SampleWorkflow calls hello_activity");
    return temporal_workflow_execute_activity(ctx, "hello_activity", in, &o, out);
}

static void print_log(void *user_data, enum temporal_log_level level, const char *message)
{
    (void)user_data, (void)level;
    printf("  worker log: %s\n", message);
}

static void *run_worker(void *arg)
{
    struct temporal_error err;
    if (temporal_worker_run(arg, &err) != 0)
        fprintf(stderr, "hello_worker: worker stopped: %s\n", err.message);
    return NULL;
}

int main(int argc, char **argv)
{
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = argc > 1 ? argv[1] : "localhost:7233";
    const char *name = argc > 2 ? argv[2] : "Temporal";
    struct temporal_error err;
    struct temporal_client *client;
    if (temporal_client_connect(&client, &co, &err) != 0) {
        fprintf(stderr, "hello_worker: %s\n", err.message);
        return 1;
    }

    struct temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
    wo.task_queue = TASK_QUEUE;
    wo.graceful_shutdown_timeout_ms = 5000;
    wo.log_fn = print_log;
    struct temporal_worker *worker;
    if (temporal_worker_new(&worker, client, &wo, &err) != 0 ||
        temporal_worker_register_workflow(worker, "SampleWorkflow", sample_workflow,
                                          TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL) != 0 ||
        temporal_worker_register_activity(worker, "hello_activity", hello_activity, NULL) != 0) {
        fprintf(stderr, "hello_worker: cannot set up the worker\n");
        return 1;
    }
    pthread_t thread;
    pthread_create(&thread, NULL, run_worker, worker);
    printf("worker polling task queue %s on %s\n", TASK_QUEUE, co.target);

    char id[64];
    snprintf(id, sizeof(id), "hello-%ld", (long)time(NULL));
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "SampleWorkflow";
    so.task_queue = TASK_QUEUE;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, result = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, name);
    int rc = temporal_client_start_workflow(client, &so, &args, NULL, &err);
    if (rc == 0) {
        printf("started SampleWorkflow %s\n", id);
        rc = temporal_client_get_workflow_result(client, id, NULL, 30000, &result, &err);
    }
    if (rc == 0)
        printf("result of %s: %s\n", id, (const char *)result.items[0].data);
    else
        fprintf(stderr, "hello_worker: %s\n", err.message);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&result);

    temporal_worker_stop(worker);
    pthread_join(thread, NULL);
    printf("worker shut down\n");
    temporal_worker_free(worker);
    temporal_client_free(client);
    return rc == 0 ? 0 : 1;
}
