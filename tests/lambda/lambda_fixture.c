/*
 * The Lambda function the RIE tests run (a `bootstrap` for aws-lambda-rie).  What it does is
 * set through its environment, which RIE passes on:
 *   FIXTURE_DEPLOYMENT, FIXTURE_BUILD   the deployment version (required)
 *   FIXTURE_GRACEFUL_MS                 worker.graceful_shutdown_timeout_ms
 *   FIXTURE_BUFFER_MS                   shutdown_deadline_buffer_ms
 *   FIXTURE_IDLE_EXIT_MS                idle_exit_ms
 *   FIXTURE_HOOK_LOG                    two shutdown hooks append "a" (which then fails) and
 *                                       "b" to this file, a line each
 *   FIXTURE_PID_FILE                    the process writes its pid here at init
 * Workflows: "Hello" (ts_hello_workflow: calls "hello", ts_hello_activity, which returns
 * "Hello, <arg>!"), "UntilStop" (calls "until_stop", an activity that runs until the worker
 * stops, then 300 ms more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <temporal/lambda.h>
#include <temporal/temporal.h>

#include "support.h"

static int64_t env_ms(const char *name, int64_t fallback)
{
    const char *v = getenv(name);
    return v && v[0] ? strtoll(v, NULL, 10) : fallback;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int until_stop(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out, void *ud)
{
    (void)in, (void)ud;
    while (!temporal_activity_worker_stopping(ctx))
        sleep_ms(20);
    sleep_ms(300); /* still running when the worker stops: finishes within the grace period */
    return temporal_payloads_add_string(out, "finished after stop");
}

static int until_stop_workflow(struct temporal_workflow_ctx *ctx,
                               const struct temporal_payloads *in, struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    return temporal_workflow_execute_activity(ctx, "until_stop", in, &o, out);
}

static int append_line(const char *line)
{
    const char *path = getenv("FIXTURE_HOOK_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f == NULL)
        return TEMPORAL_EIO;
    fprintf(f, "%s\n", line);
    fclose(f);
    return 0;
}

static int hook_a(void *ud, struct temporal_error *err)
{
    (void)ud;
    append_line("a");
    snprintf(err->message, sizeof(err->message), "hook a fails on purpose");
    return TEMPORAL_EINTERNAL;
}

static int hook_b(void *ud, struct temporal_error *err)
{
    (void)ud, (void)err;
    return append_line("b");
}

static int configure(struct temporal_lambda_config *cfg, void *ud, struct temporal_error *err)
{
    (void)ud, (void)err;
    cfg->worker.graceful_shutdown_timeout_ms =
        env_ms("FIXTURE_GRACEFUL_MS", cfg->worker.graceful_shutdown_timeout_ms);
    cfg->shutdown_deadline_buffer_ms = env_ms("FIXTURE_BUFFER_MS", 0);
    cfg->idle_exit_ms = env_ms("FIXTURE_IDLE_EXIT_MS", 0);
    int rc = temporal_lambda_register_workflow(cfg, "Hello", ts_hello_workflow,
                                               TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_workflow(cfg, "UntilStop", until_stop_workflow,
                                               TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_activity(cfg, "hello", ts_hello_activity, NULL);
    if (rc == 0)
        rc = temporal_lambda_register_activity(cfg, "until_stop", until_stop, NULL);
    if (rc == 0 && getenv("FIXTURE_HOOK_LOG") != NULL) {
        rc = temporal_lambda_on_shutdown(cfg, hook_a, NULL);
        if (rc == 0)
            rc = temporal_lambda_on_shutdown(cfg, hook_b, NULL);
    }
    return rc;
}

int main(void)
{
    const char *pid_file = getenv("FIXTURE_PID_FILE");
    if (pid_file != NULL) {
        FILE *f = fopen(pid_file, "w");
        if (f != NULL) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    struct temporal_deployment_version v = {getenv("FIXTURE_DEPLOYMENT"), getenv("FIXTURE_BUILD")};
    return temporal_lambda_run_worker(&v, configure, NULL);
}
