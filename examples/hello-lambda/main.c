/*
 * hello-lambda: the seeds' sample as a Lambda function.  The `bootstrap` of a
 * provided.al2023 custom runtime: it serves Worker Deployment Version my-app / build-1 and
 * runs SampleWorkflow, which calls hello_activity, on the task queue from
 * $TEMPORAL_TASK_QUEUE (default "hello-lambda-task-queue").  The connection comes from
 * temporal.toml and TEMPORAL_* variables (docs/DEPLOY.md).  With HELLO_LAMBDA_OTEL=1 it
 * also exports the SDK metrics and traces over OTLP to the collector on localhost:4317 (the ADOT
 * Collector layer, configured by otel-collector-config.yaml), flushed in every invocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal/lambda.h>
#include <temporal/temporal.h>

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
    return temporal_workflow_execute_activity(ctx, "hello_activity", in, &o, out);
}

static int configure(struct temporal_lambda_config *cfg, void *user_data,
                     struct temporal_error *err)
{
    (void)user_data;
    if (cfg->worker.task_queue == NULL) /* $TEMPORAL_TASK_QUEUE was not set */
        cfg->worker.task_queue = "hello-lambda-task-queue";
    const char *otel = getenv("HELLO_LAMBDA_OTEL");
    if (otel != NULL && strcmp(otel, "1") == 0) {
        int rc = temporal_lambda_otel_apply_defaults(cfg, NULL, err);
        if (rc != 0)
            return rc;
    }
    int rc = temporal_lambda_register_workflow(cfg, "SampleWorkflow", sample_workflow,
                                               TEMPORAL_VERSIONING_BEHAVIOR_PINNED, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_activity(cfg, "hello_activity", hello_activity, NULL);
    return rc;
}

int main(void)
{
    struct temporal_deployment_version version = {"my-app", "build-1"};
    return temporal_lambda_run_worker(&version, configure, NULL);
}
