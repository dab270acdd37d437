/*
 * The Lambda worker under AWS's Runtime Interface Emulator (aws-lambda-rie, installed by
 * scripts/install-deps.sh) against the real dev server: RIE runs the fixture `bootstrap`
 * (lambda_fixture.c) and gives it the real Runtime API; the test invokes the function
 * through RIE's invoke endpoint, as Lambda's Invoke would, and watches the workflows with a
 * client and the Temporal CLI.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

extern char **environ;

/* One emulated function: RIE with the fixture, and its output. */
struct rie {
    pid_t pid;
    int port;
    char dir[64];       /* scratch directory: the log, the hook log, the pid file */
    char log[128];      /* RIE's and the function's stdout and stderr */
    char hook_log[128];
    char pid_file[128];
    char deployment[96];
    char task_queue[96];
};

/* Whether |env| (|n| entries) already sets the variable that |entry| sets. */
static bool env_has(const char *const *env, size_t n, const char *entry)
{
    size_t k = strcspn(entry, "=") + 1;
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], entry, k) == 0)
            return true;
    return false;
}

/*
 * Starts RIE on free ports with the fixture.  |timeout_s| is the function timeout;
 * |extra_env| are more "NAME=value" entries (NULL-terminated, may be NULL); an entry
 * "NAME=" removes NAME.  The task queue and deployment are new names unless
 * |no_task_queue|.
 */
static void rie_start(struct rie *r, int timeout_s, const char *const *extra_env,
                      bool no_task_queue)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/lambda-rie-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->log, sizeof(r->log), "%s/rie.log", r->dir);
    snprintf(r->hook_log, sizeof(r->hook_log), "%s/hooks.log", r->dir);
    snprintf(r->pid_file, sizeof(r->pid_file), "%s/pid", r->dir);
    ts_unique(r->deployment, sizeof(r->deployment), "rie-dep");
    ts_unique(r->task_queue, sizeof(r->task_queue), "rie-tq");
    r->port = ts_free_port();
    int api_port = ts_free_port();

    char rie_path[512], emu_addr[64], api_addr[64];
    snprintf(rie_path, sizeof(rie_path), "%s/.deps/bin/aws-lambda-rie",
             getenv("TEMPORAL_C_SOURCE_DIR"));
    snprintf(emu_addr, sizeof(emu_addr), "127.0.0.1:%d", r->port);
    snprintf(api_addr, sizeof(api_addr), "127.0.0.1:%d", api_port);

    /* The environment: ours, minus what the test sets, plus the function's settings. */
    char own[16][512];
    size_t n_own = 0;
    snprintf(own[n_own++], 512, "AWS_LAMBDA_FUNCTION_TIMEOUT=%d", timeout_s);
    snprintf(own[n_own++], 512, "TEMPORAL_ADDRESS=%s", ts_state("address"));
    snprintf(own[n_own++], 512, "FIXTURE_DEPLOYMENT=%s", r->deployment);
    snprintf(own[n_own++], 512, "FIXTURE_BUILD=build-1");
    snprintf(own[n_own++], 512, "FIXTURE_HOOK_LOG=%s", r->hook_log);
    snprintf(own[n_own++], 512, "FIXTURE_PID_FILE=%s", r->pid_file);
    if (!no_task_queue)
        snprintf(own[n_own++], 512, "TEMPORAL_TASK_QUEUE=%s", r->task_queue);
    /* Precedence: the test's |extra_env|, then the function's settings above, then ours.
     * An extra "NAME=" only removes NAME. */
    const char *env[256];
    size_t n = 0, n_extra = 0;
    for (size_t i = 0; extra_env && extra_env[i]; i++)
        env[n++] = extra_env[i];
    n_extra = n;
    for (size_t i = 0; i < n_own; i++)
        if (!env_has(env, n, own[i]))
            env[n++] = own[i];
    for (char **e = environ; *e && n < 250; e++)
        if (!env_has(env, n, *e) && strncmp(*e, "TEMPORAL_TASK_QUEUE=", 20) != 0)
            env[n++] = *e;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(env[i], '=');
        if (i < n_extra && eq && eq[1] == '\0')
            continue;
        env[w++] = env[i];
    }
    env[w] = NULL;

    const char *argv[] = {rie_path, "--runtime-interface-emulator-address", emu_addr,
                          "--runtime-api-address", api_addr, LAMBDA_FIXTURE, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, r->dir);
    posix_spawnattr_t sa;
    posix_spawnattr_init(&sa);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&sa, 0);
    int rc = posix_spawn(&r->pid, rie_path, &fa, &sa, (char *const *)argv, (char *const *)env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&sa);
    if (rc != 0)
        fail_msg("cannot start %s: %s (run scripts/install-deps.sh)", rie_path, strerror(rc));
    for (int i = 0; i < 200 && !ts_port_open(r->port); i++)
        ts_sleep_ms(50);
    assert_true(ts_port_open(r->port));
}

/* Removes the whole process group (RIE and the function) and the scratch directory. */
static void rie_stop(struct rie *r)
{
    kill(-r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
    assert_int_equal(system(cmd), 0);
}

struct body {
    char *text;
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n;
    b->text = realloc(b->text, b->len + len + 1);
    memcpy(b->text + b->len, data, len);
    b->len += len;
    b->text[b->len] = '\0';
    return len;
}

/* Invokes the function as Lambda's Invoke would; the response body goes into |out|. */
static long rie_invoke(struct rie *r, char *out, size_t cap)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/2015-03-31/functions/function/invocations",
             r->port);
    CURL *c = curl_easy_init();
    struct body b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 170L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        fail_msg("invoking through RIE: %s", curl_easy_strerror(cc));
    snprintf(out, cap, "%s", b.text ? b.text : "");
    free(b.text);
    return status;
}

/* The whole of a file (static buffer; "" if missing). */
static const char *slurp(const char *path)
{
    static char buf[1 << 20];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return buf;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count(const char *haystack, const char *needle)
{
    size_t k = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        k++;
    return k;
}

/* Invokes once (the first poll registers the version), then makes the version current. */
static void register_version(struct rie *r)
{
    char body[4096];
    assert_int_equal(rie_invoke(r, body, sizeof(body)), 200);
    assert_string_equal(body, "null");
    ts_set_current_version(r->deployment, "build-1");
}

static void start(struct temporal_client *client, struct rie *r, const char *type,
                  const char *id_prefix, char *id, size_t cap)
{
    ts_unique(id, cap, id_prefix);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = type;
    so.task_queue = r->task_queue;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, id_prefix);
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(client, &so, &args, NULL, &err), err);
    temporal_payloads_cleanup(&args);
}

struct invoke_arg {
    struct rie *r;
    long status;
    char body[4096];
};

static void *invoke_thread(void *arg)
{
    struct invoke_arg *a = arg;
    a->status = rie_invoke(a->r, a->body, sizeof(a->body));
    return NULL;
}

/* A workflow started before the invocation and one started during it are both processed;
 * the invocation returns before the function timeout, having stopped polling at the stop
 * time; hooks run once per invocation, in order, a failing one not stopping the next. */
static void invocation_processes_workflows(void **state)
{
    (void)state;
    struct rie r;
    const char *env[] = {"FIXTURE_GRACEFUL_MS=1000", NULL}; /* buffer 3 s: 5 s of work */
    rie_start(&r, 8, env, false);
    register_version(&r);
    struct temporal_client *client = ts_connect();
    char before[128], during[128];
    start(client, &r, "Hello", "before", before, sizeof(before));

    struct invoke_arg a = {.r = &r};
    pthread_t t;
    pthread_create(&t, NULL, invoke_thread, &a);
    ts_sleep_ms(1500);
    start(client, &r, "Hello", "during", during, sizeof(during));
    pthread_join(t, NULL);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "null"); /* returned in time, without error */
    assert_int_equal(ts_workflow_status(client, before), TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    assert_int_equal(ts_workflow_status(client, during), TEMPORAL_WORKFLOW_STATUS_COMPLETED);

    const char *log = slurp(r.log);
    assert_int_equal(count(log, "\"message\":\"Temporal Lambda worker starting"), 1);
    assert_int_equal(count(log, "\"reason\":\"deadline\""), 2);
    assert_int_equal(count(log, "REPORT RequestId"), 2);
    assert_int_equal(count(log, "Lambda worker shutdown hook failed: hook a fails on purpose"), 2);
    assert_non_null(strstr(log, "\"identity\":\""));
    assert_non_null(strstr(log, "@arn:aws:lambda:"));
    assert_string_equal(slurp(r.hook_log), "a\nb\na\nb\n");
    temporal_client_free(client);
    rie_stop(&r);
}

/* An activity still running at the stop time finishes within the grace period; a workflow
 * started after the stop waits for, and is processed by, the next invocation; no history
 * holds a timeout. */
static void nothing_lost_at_stop(void **state)
{
    (void)state;
    struct rie r;
    const char *env[] = {"FIXTURE_GRACEFUL_MS=3000", NULL}; /* buffer 5 s: 4 s of work */
    rie_start(&r, 9, env, false);
    register_version(&r);
    struct temporal_client *client = ts_connect();
    char in_flight[128], after[128];
    start(client, &r, "UntilStop", "inflight", in_flight, sizeof(in_flight));
    char body[4096];
    assert_int_equal(rie_invoke(&r, body, sizeof(body)), 200);
    assert_string_equal(body, "null");
    start(client, &r, "Hello", "after", after, sizeof(after));
    for (int i = 0; i < 5 && (ts_workflow_status(client, in_flight) != TEMPORAL_WORKFLOW_STATUS_COMPLETED ||
                              ts_workflow_status(client, after) != TEMPORAL_WORKFLOW_STATUS_COMPLETED);
         i++) {
        assert_int_equal(rie_invoke(&r, body, sizeof(body)), 200);
        assert_string_equal(body, "null");
    }
    assert_int_equal(ts_workflow_status(client, in_flight), TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    assert_int_equal(ts_workflow_status(client, after), TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(client, in_flight, NULL, 5000, &result, &err), err);
    char text[64];
    ts_json_str(&result, 0, text, sizeof(text));
    assert_string_equal(text, "finished after stop");
    temporal_payloads_cleanup(&result);
    const char *ids[] = {in_flight, after};
    for (size_t i = 0; i < 2; i++) {
        char out[65536];
        assert_int_equal(ts_cli(out, sizeof(out), "workflow show -w %s", ids[i]), 0);
        assert_null(strstr(out, "TimedOut"));
        assert_null(strstr(out, "ActivityTaskFailed"));
    }
    temporal_client_free(client);
    rie_stop(&r);
}

/* A 2 s timeout with the default 7 s buffer: the insufficient-time error, no worker. */
static void insufficient_time(void **state)
{
    (void)state;
    struct rie r;
    rie_start(&r, 2, NULL, false);
    char body[4096];
    rie_invoke(&r, body, sizeof(body));
    assert_non_null(strstr(body, "\"errorType\":\"TEMPORAL_ELAMBDA_TIME\""));
    assert_non_null(strstr(body, "Insufficient time for Lambda worker"));
    const char *log = slurp(r.log);
    assert_null(strstr(log, "Temporal Lambda worker starting"));
    assert_string_equal(slurp(r.hook_log), "a\nb\n"); /* the hooks still ran */
    rie_stop(&r);
}

/* No task queue anywhere: the init fails through /runtime/init/error with its message. */
static void init_error_without_task_queue(void **state)
{
    (void)state;
    struct rie r;
    rie_start(&r, 10, NULL, true);
    char body[4096];
    rie_invoke(&r, body, sizeof(body));
    /* RIE answers the invoke with what the runtime posted to /runtime/init/error. */
    assert_non_null(strstr(body, "\"errorType\":\"TEMPORAL_EINVAL\""));
    assert_non_null(strstr(body, "task queue not configured"));
    const char *log = slurp(r.log);
    assert_non_null(strstr(log, "\"level\":\"FATAL\""));
    assert_non_null(strstr(log, "fatal error running lambda worker: init"));
    assert_null(strstr(log, "Temporal Lambda worker starting"));
    rie_stop(&r);
}

/* AWS_LAMBDA_LOG_FORMAT=Text gives plain lines; AWS_LAMBDA_LOG_LEVEL=WARN drops INFO; an API
 * key never reaches the log, even when the connection it was meant for fails. */
static void log_settings_and_no_secret(void **state)
{
    (void)state;
    struct rie r;
    const char *env[] = {"AWS_LAMBDA_LOG_FORMAT=Text", "AWS_LAMBDA_LOG_LEVEL=WARN",
                         "TEMPORAL_API_KEY=sk-never-in-a-log-5f3a9", "FIXTURE_GRACEFUL_MS=500",
                         NULL};
    rie_start(&r, 6, env, false);
    char body[4096];
    rie_invoke(&r, body, sizeof(body)); /* the API key turns TLS on: the plain server fails it */
    assert_non_null(strstr(body, "dialing Temporal server"));
    const char *log = slurp(r.log);
    assert_non_null(strstr(log, "\tERROR\tInvocation failed: dialing Temporal server"));
    assert_null(strstr(log, "{\"timestamp\""));       /* no JSON lines */
    assert_non_null(strstr(log, "\tWARN\tgRPC: "));    /* gRPC's own lines, the same way */
    assert_null(strstr(log, "\tINFO\t"));             /* below the level */
    assert_null(strstr(log, "sk-never-in-a-log-5f3a9")); /* the key appears nowhere */
    assert_null(strstr(body, "sk-never-in-a-log-5f3a9"));
    rie_stop(&r);
}

/* The connection from ./temporal.toml (the function's working directory), and the idle
 * exit: ten short invocations in one process; its memory stays flat. */
static void config_file_idle_exit_and_memory(void **state)
{
    (void)state;
    struct rie r;
    const char *env[] = {"TEMPORAL_ADDRESS=", "FIXTURE_GRACEFUL_MS=500",
                         "FIXTURE_IDLE_EXIT_MS=300", NULL};
    /* The file has to be there before the function starts: write it after rie_start made
     * the directory but before the first invocation (RIE starts the function lazily). */
    rie_start(&r, 30, env, false);
    char toml[256];
    snprintf(toml, sizeof(toml), "%s/temporal.toml", r.dir);
    FILE *f = fopen(toml, "w");
    assert_non_null(f);
    fprintf(f, "[profile.default]\naddress = \"%s\"\n", ts_state("address"));
    fclose(f);
    register_version(&r);
    const char *log = slurp(r.log);
    char want[160];
    snprintf(want, sizeof(want), "\"address\":\"%s\"", ts_state("address"));
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "\"configFile\":\"temporal.toml\""));

    struct temporal_client *client = ts_connect();
    char id[128];
    start(client, &r, "Hello", "idle", id, sizeof(id));
    long rss_after_3 = 0, rss_after_10 = 0;
    for (int i = 2; i <= 10; i++) {
        char body[4096];
        assert_int_equal(rie_invoke(&r, body, sizeof(body)), 200);
        assert_string_equal(body, "null");
        if (i == 3 || i == 10) {
            char path[64];
            snprintf(path, sizeof(path), "/proc/%ld/status", strtol(slurp(r.pid_file), NULL, 10));
            const char *st = slurp(path);
            const char *vm = strstr(st, "VmRSS:");
            assert_non_null(vm);
            long kb = strtol(vm + 6, NULL, 10);
            if (i == 3)
                rss_after_3 = kb;
            else
                rss_after_10 = kb;
        }
    }
    assert_int_equal(ts_workflow_status(client, id), TEMPORAL_WORKFLOW_STATUS_COMPLETED);
    log = slurp(r.log);
    assert_true(count(log, "\"reason\":\"idle\"") >= 9);
    print_message("function RSS after invocation 3: %ld kB, after 10: %ld kB\n", rss_after_3,
                  rss_after_10);
#ifndef __SANITIZE_ADDRESS__
    /* Seven more invocations may not grow the process by more than a few MB.  (Under
     * AddressSanitizer, freed memory sits in its quarantine: RSS says nothing there.) */
    assert_true(rss_after_10 - rss_after_3 < 6 * 1024);
#endif
    temporal_client_free(client);
    rie_stop(&r);
}

int main(int argc, char **argv)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invocation_processes_workflows),
        cmocka_unit_test(nothing_lost_at_stop),
        cmocka_unit_test(insufficient_time),
        cmocka_unit_test(init_error_without_task_queue),
        cmocka_unit_test(log_settings_and_no_secret),
        cmocka_unit_test(config_file_idle_exit_and_memory),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
