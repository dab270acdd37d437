/*
 * libtemporal_lambda in-process, through the per-invocation API (temporal_lambda_worker_new
 * and _invoke): init rules, defaults, config file order, deadlines and hooks; and, against
 * the real dev server, ten invocations in one process (run under valgrind as well).
 * The Runtime API itself is exercised under AWS's emulator in test_lambda_rie.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <temporal/lambda.h>

#include "lambda_int.h"
#include "support.h"

#define TEMPORAL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct temporal_deployment_version VERSION = {"lambda-test", "build-1"};

/* The config as |configure| saw it, and what it should change. */
struct probe {
    struct temporal_lambda_config seen;
    const char *set_task_queue;
    int64_t set_graceful_ms;
    int64_t set_buffer_ms;
    int64_t set_connect_timeout_ms;
    int64_t set_idle_exit_ms;
    enum temporal_versioning_behavior set_behavior;
    int fail_with;
    const char *hooks_log[8];
    size_t hooks_ran;
};

static int wf_noop(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                   struct temporal_payloads *out)
{
    (void)ctx, (void)in, (void)out;
    return 0;
}

static void note_hook(struct probe *p, const char *what)
{
    if (p->hooks_ran < TEMPORAL_ARRAY_SIZE(p->hooks_log))
        p->hooks_log[p->hooks_ran] = what;
    p->hooks_ran++;
}

static int hook_fails(void *ud, struct temporal_error *err)
{
    struct probe *p = ud;
    note_hook(p, "fails");
    snprintf(err->message, sizeof(err->message), "on purpose");
    return TEMPORAL_EINTERNAL;
}

static int hook_ok(void *ud, struct temporal_error *err)
{
    (void)err;
    struct probe *p = ud;
    note_hook(p, "ok");
    return 0;
}

static int configure(struct temporal_lambda_config *cfg, void *ud, struct temporal_error *err)
{
    struct probe *p = ud;
    p->seen = *cfg;
    if (p->fail_with != 0) {
        snprintf(err->message, sizeof(err->message), "boom");
        return p->fail_with;
    }
    if (p->set_task_queue)
        cfg->worker.task_queue = p->set_task_queue;
    if (p->set_graceful_ms)
        cfg->worker.graceful_shutdown_timeout_ms = p->set_graceful_ms;
    if (p->set_buffer_ms)
        cfg->shutdown_deadline_buffer_ms = p->set_buffer_ms;
    if (p->set_connect_timeout_ms)
        cfg->client.connect_timeout_ms = p->set_connect_timeout_ms;
    if (p->set_idle_exit_ms)
        cfg->idle_exit_ms = p->set_idle_exit_ms;
    if (p->set_behavior)
        cfg->worker.deployment.default_versioning_behavior = p->set_behavior;
    assert_int_equal(temporal_lambda_register_workflow(cfg, "Hello", ts_hello_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       NULL),
                     0);
    assert_int_equal(temporal_lambda_register_workflow(cfg, "Noop", wf_noop,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       NULL),
                     0);
    assert_int_equal(temporal_lambda_register_workflow(cfg, "Noop", wf_noop,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                                                       NULL),
                     TEMPORAL_EALREADY_EXISTS);
    assert_int_equal(temporal_lambda_register_activity(cfg, "hello", ts_hello_activity, NULL), 0);
    assert_int_equal(temporal_lambda_on_shutdown(cfg, hook_fails, p), 0);
    assert_int_equal(temporal_lambda_on_shutdown(cfg, hook_ok, p), 0);
    return 0;
}

/* A clean environment for each case: no Temporal or Lambda variables from outside. */
static void clean_env(void)
{
    unsetenv("TEMPORAL_TASK_QUEUE");
    unsetenv("TEMPORAL_CONFIG_FILE");
    unsetenv("TEMPORAL_ADDRESS");
    unsetenv("TEMPORAL_NAMESPACE");
    unsetenv("TEMPORAL_PROFILE");
    unsetenv("LAMBDA_TASK_ROOT");
}

static struct temporal_lambda_worker *new_worker(struct probe *p)
{
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    TS_OK(temporal_lambda_worker_new(&lw, &VERSION, configure, p, &err), err);
    return lw;
}

static void version_required(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {.set_task_queue = "q"};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    struct temporal_deployment_version half = {"my-app", ""};
    assert_int_equal(temporal_lambda_worker_new(&lw, &half, configure, &p, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "version is required"));
    assert_int_equal(temporal_lambda_worker_new(&lw, NULL, configure, &p, &err), TEMPORAL_EINVAL);
    assert_null(lw);
}

static void task_queue_required(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {0};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    assert_int_equal(temporal_lambda_worker_new(&lw, &VERSION, configure, &p, &err),
                     TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "task queue not configured"));
    assert_non_null(strstr(err.message, "TEMPORAL_TASK_QUEUE"));
    assert_null(lw);
}

static void task_queue_from_env_code_wins(void **state)
{
    (void)state;
    clean_env();
    setenv("TEMPORAL_TASK_QUEUE", "env-queue", 1);
    struct probe p = {0};
    struct temporal_lambda_worker *lw = new_worker(&p);
    assert_string_equal(p.seen.worker.task_queue, "env-queue");
    assert_string_equal(temporal_lambda_worker_config(lw)->worker.task_queue, "env-queue");
    temporal_lambda_worker_free(lw);

    struct probe q = {.set_task_queue = "code-queue"};
    lw = new_worker(&q);
    assert_string_equal(temporal_lambda_worker_config(lw)->worker.task_queue, "code-queue");
    temporal_lambda_worker_free(lw);
    unsetenv("TEMPORAL_TASK_QUEUE");
}

static void defaults_and_versioning(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {.set_task_queue = "q"};
    struct temporal_lambda_worker *lw = new_worker(&p);
    /* What configure saw: the Lambda defaults. */
    assert_int_equal(p.seen.worker.max_concurrent_activities, 2);
    assert_int_equal(p.seen.worker.max_concurrent_local_activities, 2);
    assert_int_equal(p.seen.worker.max_activity_pollers, 1);
    assert_int_equal(p.seen.worker.max_concurrent_workflow_tasks, 10);
    assert_int_equal(p.seen.worker.max_workflow_pollers, 2);
    assert_int_equal(p.seen.worker.max_cached_workflows, 30);
    assert_int_equal(p.seen.worker.graceful_shutdown_timeout_ms, 5000);
    assert_int_equal(p.seen.worker.deployment.default_versioning_behavior,
                     TEMPORAL_VERSIONING_BEHAVIOR_PINNED);
    assert_true(p.seen.worker.log_fn == temporal_lambda_log);
    assert_int_equal(p.seen.shutdown_deadline_buffer_ms, 0);
    assert_int_equal(p.seen.idle_exit_ms, 0);
    assert_null(p.seen.worker.identity);
    assert_string_equal(p.seen.client.target, "localhost:7233"); /* envconfig's default */
    /* After init: versioning forced on, buffer derived. */
    const struct temporal_lambda_config *c = temporal_lambda_worker_config(lw);
    assert_string_equal(c->worker.deployment.deployment_name, "lambda-test");
    assert_string_equal(c->worker.deployment.build_id, "build-1");
    assert_true(c->worker.deployment.use_versioning);
    assert_int_equal(c->shutdown_deadline_buffer_ms, 7000);
    temporal_lambda_worker_free(lw);

    struct probe q = {.set_task_queue = "q",
                      .set_behavior = TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE};
    lw = new_worker(&q);
    c = temporal_lambda_worker_config(lw);
    assert_int_equal(c->worker.deployment.default_versioning_behavior,
                     TEMPORAL_VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    assert_true(c->worker.deployment.use_versioning);
    temporal_lambda_worker_free(lw);
}

static void buffer_follows_graceful_and_is_checked(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {.set_task_queue = "q", .set_graceful_ms = 10000};
    struct temporal_lambda_worker *lw = new_worker(&p);
    assert_int_equal(temporal_lambda_worker_config(lw)->shutdown_deadline_buffer_ms, 12000);
    temporal_lambda_worker_free(lw);

    struct probe q = {.set_task_queue = "q", .set_buffer_ms = 3000};
    struct temporal_error err;
    lw = NULL;
    assert_int_equal(temporal_lambda_worker_new(&lw, &VERSION, configure, &q, &err),
                     TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "shutdown_deadline_buffer_ms (3000) must exceed"));
    assert_non_null(strstr(err.message, "graceful_shutdown_timeout_ms (5000)"));
    assert_null(lw);
}

static void configure_failure(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {.fail_with = TEMPORAL_ECONFIG};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    assert_int_equal(temporal_lambda_worker_new(&lw, &VERSION, configure, &p, &err),
                     TEMPORAL_ECONFIG);
    assert_string_equal(err.message, "configure callback failed: boom");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void config_file_order(void **state)
{
    (void)state;
    clean_env();
    char root[] = "/tmp/lambda-root-XXXXXX", cwd[] = "/tmp/lambda-cwd-XXXXXX";
    assert_non_null(mkdtemp(root));
    assert_non_null(mkdtemp(cwd));
    char path[512], old_cwd[1024], explicit[512];
    assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
    snprintf(path, sizeof(path), "%s/temporal.toml", cwd);
    write_file(path, "[profile.default]\naddress = \"cwd-host:7233\"\n");
    snprintf(explicit, sizeof(explicit), "%s/explicit.toml", cwd);
    write_file(explicit, "[profile.default]\naddress = \"explicit-host:7233\"\n"
                         "namespace = \"from-explicit\"\n");
    assert_int_equal(chdir(cwd), 0);
    setenv("LAMBDA_TASK_ROOT", root, 1);

    /* No file in the task root: ./temporal.toml. */
    struct probe p = {.set_task_queue = "q"};
    struct temporal_lambda_worker *lw = new_worker(&p);
    assert_string_equal(temporal_lambda_worker_config(lw)->client.target, "cwd-host:7233");
    temporal_lambda_worker_free(lw);

    /* $LAMBDA_TASK_ROOT/temporal.toml comes first. */
    char root_file[512];
    snprintf(root_file, sizeof(root_file), "%s/temporal.toml", root);
    write_file(root_file, "[profile.default]\naddress = \"root-host:7233\"\n");
    lw = new_worker(&p);
    assert_string_equal(temporal_lambda_worker_config(lw)->client.target, "root-host:7233");
    temporal_lambda_worker_free(lw);

    /* TEMPORAL_CONFIG_FILE wins over both; TEMPORAL_* variables override the file. */
    setenv("TEMPORAL_CONFIG_FILE", explicit, 1);
    lw = new_worker(&p);
    assert_string_equal(temporal_lambda_worker_config(lw)->client.target, "explicit-host:7233");
    assert_string_equal(temporal_lambda_worker_config(lw)->client.namespace_name,
                        "from-explicit");
    temporal_lambda_worker_free(lw);
    setenv("TEMPORAL_ADDRESS", "env-host:7233", 1);
    lw = new_worker(&p);
    assert_string_equal(temporal_lambda_worker_config(lw)->client.target, "env-host:7233");
    temporal_lambda_worker_free(lw);
    unsetenv("TEMPORAL_ADDRESS");

    /* A broken file: the error names it. */
    write_file(explicit, "[profile.default\n");
    struct temporal_error err;
    lw = NULL;
    assert_int_equal(temporal_lambda_worker_new(&lw, &VERSION, configure, &p, &err),
                     TEMPORAL_ECONFIG);
    assert_non_null(strstr(err.message, "loading client config: "));
    assert_non_null(strstr(err.message, "explicit.toml"));

    /* Nothing anywhere: env and defaults only (a missing file is fine). */
    unsetenv("TEMPORAL_CONFIG_FILE");
    unlink(root_file);
    unlink(path);
    lw = new_worker(&p);
    assert_string_equal(temporal_lambda_worker_config(lw)->client.target, "localhost:7233");
    temporal_lambda_worker_free(lw);

    unlink(explicit);
    assert_int_equal(chdir(old_cwd), 0);
    rmdir(root);
    rmdir(cwd);
    clean_env();
}

static void insufficient_time_runs_hooks(void **state)
{
    (void)state;
    clean_env();
    struct probe p = {.set_task_queue = "q"};
    struct temporal_lambda_worker *lw = new_worker(&p);
    struct temporal_lambda_invocation inv = {
        .request_id = "req-1",
        .invoked_function_arn = "arn:aws:lambda:us-east-1:123456:function:f",
        .deadline_epoch_ms = ts_deadline_in_ms(2000),
    };
    struct temporal_error err;
    assert_int_equal(temporal_lambda_worker_invoke(lw, &inv, &err), TEMPORAL_ELAMBDA_TIME);
    assert_non_null(strstr(err.message, "Insufficient time for Lambda worker"));
    assert_int_equal(p.hooks_ran, 2); /* the first fails; the second still runs */
    assert_string_equal(p.hooks_log[0], "fails");
    assert_string_equal(p.hooks_log[1], "ok");

    /* No deadline: a protocol error, not a crash; no hooks (nothing was started). */
    inv.deadline_epoch_ms = 0;
    assert_int_equal(temporal_lambda_worker_invoke(lw, &inv, &err), TEMPORAL_ELAMBDA_RUNTIME);
    assert_int_equal(p.hooks_ran, 2);
    inv.request_id = NULL;
    assert_int_equal(temporal_lambda_worker_invoke(lw, &inv, &err), TEMPORAL_EINVAL);
    temporal_lambda_worker_free(lw);
}

static void hooks_run_after_failed_connect(void **state)
{
    (void)state;
    clean_env();
    setenv("TEMPORAL_ADDRESS", "127.0.0.1:1", 1); /* nothing listens there */
    struct probe p = {.set_task_queue = "q", .set_connect_timeout_ms = 300};
    struct temporal_lambda_worker *lw = new_worker(&p);
    struct temporal_lambda_invocation inv = {
        .request_id = "req-2",
        .deadline_epoch_ms = ts_deadline_in_ms(60000),
    };
    struct temporal_error err;
    int rc = temporal_lambda_worker_invoke(lw, &inv, &err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err.message, "dialing Temporal server at 127.0.0.1:1"));
    assert_int_equal(p.hooks_ran, 2);
    temporal_lambda_worker_free(lw);
    clean_env();
}

/* Ten invocations in one process against the dev server: a workflow started between them
 * completes, and (under valgrind) nothing leaks or is touched after being freed. */
static void ten_invocations(void **state)
{
    (void)state;
    clean_env();
    setenv("TEMPORAL_ADDRESS", ts_state("address"), 1);
    char deployment[96], tq[96];
    ts_unique(deployment, sizeof(deployment), "lambda-dep");
    ts_unique(tq, sizeof(tq), "lambda-tq");
    struct probe p = {.set_task_queue = tq, .set_graceful_ms = 500, .set_buffer_ms = 1500,
                      .set_idle_exit_ms = 300};
    struct temporal_deployment_version v = {deployment, "build-1"};
    struct temporal_lambda_worker *lw = NULL;
    struct temporal_error err;
    TS_OK(temporal_lambda_worker_new(&lw, &v, configure, &p, &err), err);

    struct temporal_client *client = ts_connect();
    char wf_id[128];
    ts_unique(wf_id, sizeof(wf_id), "lambda-wf");
    bool started = false, completed = false;
    int invocations = 0;
    for (; invocations < 30 && !(invocations >= 10 && completed); invocations++) {
        char rid[32];
        snprintf(rid, sizeof(rid), "req-%d", invocations);
        struct temporal_lambda_invocation inv = {
            .request_id = rid,
            .invoked_function_arn = "arn:aws:lambda:us-east-1:123456:function:f",
            .deadline_epoch_ms = ts_deadline_in_ms(5000),
        };
        TS_OK(temporal_lambda_worker_invoke(lw, &inv, &err), err);
        if (!started) {
            /* The first poll registered the version; make it current, then start. */
            ts_set_current_version(deployment, "build-1");
            struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
            so.workflow_id = wf_id;
            so.workflow_type = "Hello";
            so.task_queue = tq;
            struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
            temporal_payloads_add_string(&args, "Lambda");
            TS_OK(temporal_client_start_workflow(client, &so, &args, NULL, &err), err);
            temporal_payloads_cleanup(&args);
            started = true;
        } else if (!completed) {
            completed = ts_workflow_status(client, wf_id) == TEMPORAL_WORKFLOW_STATUS_COMPLETED;
        }
    }
    assert_true(completed); /* the loop ran at least ten invocations */
    assert_int_equal(p.hooks_ran, 2 * (size_t)invocations); /* once per invocation each */
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(client, wf_id, NULL, 10000, &result, &err), err);
    char text[64];
    ts_json_str(&result, 0, text, sizeof(text));
    assert_string_equal(text, "Hello, Lambda!");
    temporal_payloads_cleanup(&result);
    temporal_client_free(client);
    temporal_lambda_worker_free(lw);
    clean_env();
}

/* Messages cut mid-character or carrying foreign bytes become valid UTF-8 (JSON needs it). */
static void utf8_scrub(void **state)
{
    (void)state;
    char ok[] = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
    char copy[sizeof(ok)];
    memcpy(copy, ok, sizeof(ok));
    temporal_lambda__utf8_scrub(copy);
    assert_string_equal(copy, ok);
    char cut[] = "ends in half a euro \xe2\x82";
    temporal_lambda__utf8_scrub(cut);
    assert_string_equal(cut, "ends in half a euro ??");
    char latin1[] = "caf\xe9 \xff \xc0\xaf \xed\xa0\x80";
    temporal_lambda__utf8_scrub(latin1);
    assert_string_equal(latin1, "caf? ? ?? ???");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(version_required),
    cmocka_unit_test(task_queue_required),
    cmocka_unit_test(task_queue_from_env_code_wins),
    cmocka_unit_test(defaults_and_versioning),
    cmocka_unit_test(buffer_follows_graceful_and_is_checked),
    cmocka_unit_test(configure_failure),
    cmocka_unit_test(config_file_order),
    cmocka_unit_test(insufficient_time_runs_hooks),
    cmocka_unit_test(hooks_run_after_failed_connect),
    cmocka_unit_test(ten_invocations),
    cmocka_unit_test(utf8_scrub),
};
TS_MAIN(tests)
