/*
 * Engine acceptance against the real dev server: many workflows through a tiny cache
 * (evictions and replays), a worker stopped mid-flight that loses nothing, and the
 * replayer run on recorded histories against unchanged and changed code.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

static int add_one(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                   struct temporal_payloads *out, void *ud)
{
    (void)ctx;
    int delay_ms = ud ? *(int *)ud : 0;
    if (delay_ms > 0)
        ts_sleep_ms(delay_ms);
    const char *json;
    if (in->count < 1 || temporal_payload_get_json(&in->items[0], &json, NULL) != 0)
        return TEMPORAL_EINVAL;
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", strtol(json, NULL, 10) + 1);
    return temporal_payloads_add_json(out, buf, strlen(buf));
}

/* Three activities in a row (with a timer between the last two): 0 -> 3. */
static int three_steps(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 30000;
    struct temporal_payloads value = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&value, "0", 1);
    for (int i = 0; i < 3; i++) {
        struct temporal_payloads next = TEMPORAL_PAYLOADS_INIT;
        int rc = temporal_workflow_execute_activity(ctx, "add_one", &value, &o, &next);
        temporal_payloads_cleanup(&value);
        value = next;
        if (rc == 0 && i == 1)
            rc = temporal_workflow_sleep(ctx, 50);
        if (rc != 0) { /* also when the run is evicted: free what we hold and return */
            temporal_payloads_cleanup(&value);
            return rc;
        }
    }
    int rc = temporal_payloads_add_copy(out, &value.items[0]);
    temporal_payloads_cleanup(&value);
    return rc;
}

/* The same workflow after an incompatible change: a timer where the first activity was. */
static int three_steps_changed(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in, (void)out;
    return temporal_workflow_sleep(ctx, 10);
}

static void start_worker_on(struct ts_worker *rw, struct temporal_client *client,
                            const char *task_queue, int32_t max_cached, int *activity_delay_ms)
{
    memset(rw, 0, sizeof(*rw));
    rw->client = client;
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = task_queue;
    o.max_cached_workflows = max_cached;
    o.max_workflow_pollers = 4;
    o.max_activity_pollers = 4;
    o.max_concurrent_activities = 20;
    o.graceful_shutdown_timeout_ms = 20000;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw->worker, rw->client, &o, &err), err);
    assert_int_equal(temporal_worker_register_workflow(rw->worker, "ThreeSteps", three_steps,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(rw->worker, "add_one", add_one,
                                                       activity_delay_ms),
                     0);
    ts_worker_run(rw);
}

static void start_worker(struct ts_worker *rw, const char *task_queue, int32_t max_cached,
                         int *activity_delay_ms)
{
    start_worker_on(rw, ts_connect(), task_queue, max_cached, activity_delay_ms);
}

static void start_many(struct temporal_client *c, const char *task_queue, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char id[128];
        snprintf(id, sizeof(id), "%s-%d", prefix, i);
        struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
        o.workflow_id = id;
        o.workflow_type = "ThreeSteps";
        o.task_queue = task_queue;
        o.execution_timeout_ms = 300000;
        struct temporal_error err;
        TS_OK(temporal_client_start_workflow(c, &o, NULL, NULL, &err), err);
    }
}

/* Waits for every workflow and checks its result and that no task ever timed out. */
static void check_all(struct temporal_client *c, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char id[128];
        snprintf(id, sizeof(id), "%s-%d", prefix, i);
        struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
        struct temporal_error err;
        TS_OK(temporal_client_get_workflow_result(c, id, NULL, 120000, &res, &err), err);
        assert_int_equal(res.count, 1);
        assert_string_equal((const char *)res.items[0].data, "3");
        temporal_payloads_cleanup(&res);
        struct temporal_history h;
        TS_OK(temporal_client_fetch_history(c, id, NULL, &h, &err), err);
        for (size_t k = 0; k < h.count; k++) {
            const char *t = h.events[k].event_type_name;
            if (strcmp(t, "EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT") == 0 ||
                strcmp(t, "EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT") == 0 ||
                strcmp(t, "EVENT_TYPE_WORKFLOW_TASK_FAILED") == 0) {
                static char out[65536];
                ts_cli(out, sizeof(out), "workflow show -w %s", id);
                fputs(out, stderr); /* the history, for whoever reads the failure */
                fail_msg("workflow %s has %s at event %lld", id, t, (long long)h.events[k].event_id);
            }
        }
        temporal_history_cleanup(&h);
    }
}

static void many_workflows_small_cache(void **state)
{
    (void)state;
    enum { N = 200 };
    char tq[96];
    ts_unique(tq, sizeof(tq), "c-load");
    struct ts_worker rw;
    start_worker(&rw, tq, 5, NULL); /* 5 cached runs for 200 workflows: constant eviction */
    start_many(rw.client, tq, tq, N);
    check_all(rw.client, tq, N);
    ts_worker_stop(&rw);
}

static void stop_mid_flight_loses_nothing(void **state)
{
    (void)state;
    enum { N = 20 };
    char tq[96];
    ts_unique(tq, sizeof(tq), "c-stop");
    int delay = 400;
    struct ts_worker a;
    start_worker(&a, tq, 10, &delay);
    start_many(a.client, tq, tq, N);
    ts_sleep_ms(600); /* activities and workflow tasks in flight */
    ts_worker_stop(&a); /* graceful: running activities finish and are reported */
    struct ts_worker b;
    start_worker(&b, tq, 10, &delay);
    check_all(b.client, tq, N);
    ts_worker_stop(&b);
}

static void replay_recorded_history(void **state)
{
    (void)state;
    char tq[96];
    ts_unique(tq, sizeof(tq), "c-replay");
    struct ts_worker rw;
    start_worker(&rw, tq, -1, NULL);
    start_many(rw.client, tq, tq, 1);
    check_all(rw.client, tq, 1);
    char id[128];
    snprintf(id, sizeof(id), "%s-0", tq);
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(rw.client, id, NULL, &h, &err), err);
    ts_worker_stop(&rw);

    /* The same code replays the history cleanly ... */
    TS_OK(temporal_workflow_replay(three_steps, NULL, h.serialized, h.serialized_len, &err), err);
    /* ... a changed one is reported, with the event where it diverged. */
    assert_int_equal(temporal_workflow_replay(three_steps_changed, NULL, h.serialized,
                                              h.serialized_len, &err),
                     TEMPORAL_ENONDETERMINISM);
    print_message("replay of changed code: %s\n", err.message);
    assert_non_null(strstr(err.message, "at history event 5"));
    assert_non_null(strstr(err.message, "StartTimer"));
    /* Garbage is not a history. */
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    assert_int_equal(temporal_workflow_replay(three_steps, NULL, junk, sizeof(junk), &err),
                     TEMPORAL_EPROTOCOL);
    temporal_history_cleanup(&h);
}

/* A port nothing listens on right now. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* Starts a file-backed dev server on |port| (state in |db|); returns its pid. */
static pid_t start_file_server(int port, const char *db, const char *log)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char p[16], hp[16], mp[16];
        snprintf(p, sizeof(p), "%d", port);
        snprintf(hp, sizeof(hp), "%d", free_port());
        snprintf(mp, sizeof(mp), "%d", free_port());
        if (freopen(log, "a", stdout) == NULL || freopen(log, "a", stderr) == NULL)
            _exit(126);
        setsid();
        execl(getenv("TEMPORAL_CLI"), "temporal", "server", "start-dev", "--headless", "--ip",
              "127.0.0.1", "--port", p, "--http-port", hp, "--metrics-port", mp, "--db-filename",
              db, "--log-level", "error", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_file_server(pid_t pid)
{
    kill(-pid, SIGKILL); /* the whole process group: an abrupt crash */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static struct temporal_client *connect_when_up(const char *target)
{
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    o.target = target;
    o.connect_timeout_ms = 60000; /* retries with backoff while the server boots */
    struct temporal_client *c = NULL;
    struct temporal_error err;
    TS_OK(temporal_client_connect(&c, &o, &err), err);
    return c;
}

static void server_restart_recovers(void **state)
{
    (void)state;
    enum { N = 10 };
    char dir[] = "/tmp/temporal-c-restart-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[256], log[256], target[64], tq[96];
    snprintf(db, sizeof(db), "%s/dev.db", dir);
    snprintf(log, sizeof(log), "%s/server.log", dir);
    int port = free_port();
    snprintf(target, sizeof(target), "127.0.0.1:%d", port);
    ts_unique(tq, sizeof(tq), "c-restart");

    pid_t server = start_file_server(port, db, log);
    struct temporal_client *c = connect_when_up(target);
    int delay = 300;
    struct ts_worker rw;
    start_worker_on(&rw, connect_when_up(target), tq, 10, &delay);
    start_many(c, tq, tq, N);
    ts_sleep_ms(500);
    stop_file_server(server); /* mid-run */
    ts_sleep_ms(1500);           /* the worker's polls and completions now fail and back off */
    server = start_file_server(port, db, log);
    struct temporal_client *c2 = connect_when_up(target);
    for (int i = 0; i < N; i++) {
        char id[128];
        snprintf(id, sizeof(id), "%s-%d", tq, i);
        struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
        struct temporal_error err;
        TS_OK(temporal_client_get_workflow_result(c2, id, NULL, 120000, &res, &err), err);
        assert_string_equal((const char *)res.items[0].data, "3");
        temporal_payloads_cleanup(&res);
    }
    ts_worker_stop(&rw);
    temporal_client_free(c);
    temporal_client_free(c2);
    stop_file_server(server);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void versioned_worker_pins_runs(void **state)
{
    (void)state;
    char tq[96], deployment[96], id[128], out[16384];
    ts_unique(tq, sizeof(tq), "c-versioned");
    ts_unique(deployment, sizeof(deployment), "c-dep");
    struct ts_worker rw;
    memset(&rw, 0, sizeof(rw));
    rw.client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tq;
    o.deployment.deployment_name = deployment;
    o.deployment.build_id = "build-1";
    o.deployment.use_versioning = true; /* default behaviour: PINNED */
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw.worker, rw.client, &o, &err), err);
    assert_int_equal(temporal_worker_register_workflow(rw.worker, "ThreeSteps", three_steps,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(rw.worker, "add_one", add_one, NULL), 0);
    ts_worker_run(&rw);

    /* The version appears when our pollers (with deployment options) arrive; make it current. */
    int rc = 1;
    for (int i = 0; i < 100 && rc != 0; i++) {
        rc = ts_cli(out, sizeof(out),
                    "worker deployment set-current-version --deployment-name %s --build-id build-1 "
                    "--yes",
                    deployment);
        if (rc != 0)
            ts_sleep_ms(200);
    }
    assert_int_equal(rc, 0);
    ts_unique(id, sizeof(id), "pinned");
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "ThreeSteps";
    so.task_queue = tq;
    TS_OK(temporal_client_start_workflow(rw.client, &so, NULL, NULL, &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(rw.client, id, NULL, 60000, &res, &err), err);
    assert_string_equal((const char *)res.items[0].data, "3");
    temporal_payloads_cleanup(&res);
    /* The server recorded the run as pinned to our version. */
    assert_int_equal(ts_cli(out, sizeof(out), "workflow describe -w %s -o json", id), 0);
    assert_non_null(strstr(out, "VERSIONING_BEHAVIOR_PINNED"));
    assert_non_null(strstr(out, deployment));
    assert_non_null(strstr(out, "build-1"));
    ts_worker_stop(&rw);
}

/* One step... */
static int one_step(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                    struct temporal_payloads *out)
{
    (void)in;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 30000;
    struct temporal_payloads zero = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&zero, "0", 1);
    int rc = temporal_workflow_execute_activity(ctx, "add_one", &zero, &o, out);
    temporal_payloads_cleanup(&zero);
    return rc;
}

/* ... and its next version, which adds a second step behind a patch. */
static int one_or_two_steps(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    if (!temporal_workflow_patched(ctx, "second-step"))
        return one_step(ctx, in, out);
    struct temporal_payloads first = TEMPORAL_PAYLOADS_INIT;
    int rc = one_step(ctx, in, &first);
    if (rc == 0) {
        struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
        o.start_to_close_timeout_ms = 30000;
        rc = temporal_workflow_execute_activity(ctx, "add_one", &first, &o, out);
    }
    temporal_payloads_cleanup(&first);
    return rc;
}

/* Runs one workflow of |fn| (registered as "Patchable") to completion on a worker with
 * |max_cached| cached runs; returns its result and its recorded history. */
static char *run_to_completion_id(temporal_workflow_fn fn, int32_t max_cached,
                                  struct temporal_history *h, char *id_out, size_t id_cap)
{
    char tq[96], id[128];
    ts_unique(tq, sizeof(tq), "c-patch");
    snprintf(id, sizeof(id), "%s-wf", tq);
    struct ts_worker rw;
    memset(&rw, 0, sizeof(rw));
    rw.client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tq;
    o.max_cached_workflows = max_cached;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&rw.worker, rw.client, &o, &err), err);
    assert_int_equal(temporal_worker_register_workflow(rw.worker, "Patchable", fn,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(rw.worker, "add_one", add_one, NULL), 0);
    ts_worker_run(&rw);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "Patchable";
    so.task_queue = tq;
    TS_OK(temporal_client_start_workflow(rw.client, &so, NULL, NULL, &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(rw.client, id, NULL, 60000, &res, &err), err);
    char *result = strdup((const char *)res.items[0].data);
    temporal_payloads_cleanup(&res);
    TS_OK(temporal_client_fetch_history(rw.client, id, NULL, h, &err), err);
    ts_worker_stop(&rw);
    if (id_out != NULL)
        snprintf(id_out, id_cap, "%s", id);
    return result;
}

static char *run_to_completion(temporal_workflow_fn fn, int32_t max_cached,
                               struct temporal_history *h)
{
    return run_to_completion_id(fn, max_cached, h, NULL, 0);
}

static void patched_code_change(void **state)
{
    (void)state;
    struct temporal_history old_history, new_history;
    char *r1 = run_to_completion(one_step, -1, &old_history);
    char *r2 = run_to_completion(one_or_two_steps, -1, &new_history);
    assert_string_equal(r1, "1");
    assert_string_equal(r2, "2"); /* new runs take the new branch and record a marker */
    struct temporal_error err;
    /* Old runs replay on the new code: patched() is false for them. */
    TS_OK(temporal_workflow_replay(one_or_two_steps, NULL, old_history.serialized,
                                   old_history.serialized_len, &err),
          err);
    /* New runs replay on the new code: patched() is true from the recorded marker. */
    TS_OK(temporal_workflow_replay(one_or_two_steps, NULL, new_history.serialized,
                                   new_history.serialized_len, &err),
          err);
    /* The old code cannot replay a run that took the new branch. */
    assert_int_equal(temporal_workflow_replay(one_step, NULL, new_history.serialized,
                                              new_history.serialized_len, &err),
                     TEMPORAL_ENONDETERMINISM);
    print_message("old code on new history: %s\n", err.message);
    free(r1);
    free(r2);
    temporal_history_cleanup(&old_history);
    temporal_history_cleanup(&new_history);
}

/* The patch's second step: the old branch is gone, the patch deprecated. */
static int two_steps_patch_deprecated(struct temporal_workflow_ctx *ctx,
                                      const struct temporal_payloads *in, struct temporal_payloads *out)
{
    temporal_workflow_deprecate_patch(ctx, "second-step");
    struct temporal_payloads first = TEMPORAL_PAYLOADS_INIT;
    int rc = one_step(ctx, in, &first);
    if (rc == 0) {
        struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
        o.start_to_close_timeout_ms = 30000;
        rc = temporal_workflow_execute_activity(ctx, "add_one", &first, &o, out);
    }
    temporal_payloads_cleanup(&first);
    return rc;
}

/* The last step: no patch call at all. */
static int two_steps(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                     struct temporal_payloads *out)
{
    struct temporal_payloads first = TEMPORAL_PAYLOADS_INIT;
    int rc = one_step(ctx, in, &first);
    if (rc == 0) {
        struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
        o.start_to_close_timeout_ms = 30000;
        rc = temporal_workflow_execute_activity(ctx, "add_one", &first, &o, out);
    }
    temporal_payloads_cleanup(&first);
    return rc;
}

static void deprecated_patch_code_change(void **state)
{
    (void)state;
    struct temporal_history patched_history, deprecated_history;
    char *r1 = run_to_completion(one_or_two_steps, -1, &patched_history);
    char *r2 = run_to_completion(two_steps_patch_deprecated, -1, &deprecated_history);
    assert_string_equal(r1, "2");
    assert_string_equal(r2, "2");
    struct temporal_error err;
    /* Runs that recorded the patch replay on the deprecating code ... */
    TS_OK(temporal_workflow_replay(two_steps_patch_deprecated, NULL, patched_history.serialized,
                                   patched_history.serialized_len, &err),
          err);
    /* ... and so do its own runs, also on code that no longer mentions the patch. */
    TS_OK(temporal_workflow_replay(two_steps_patch_deprecated, NULL,
                                   deprecated_history.serialized, deprecated_history.serialized_len,
                                   &err),
          err);
    TS_OK(temporal_workflow_replay(two_steps, NULL, deprecated_history.serialized,
                                   deprecated_history.serialized_len, &err),
          err);
    /* A patch that was not deprecated still needs its call. */
    assert_int_equal(temporal_workflow_replay(two_steps, NULL, patched_history.serialized,
                                              patched_history.serialized_len, &err),
                     TEMPORAL_ENONDETERMINISM);
    free(r1);
    free(r2);
    temporal_history_cleanup(&patched_history);
    temporal_history_cleanup(&deprecated_history);
}

/* A side effect whose value differs on every call: replay must return the recorded one. */
static int side_effect_calls;

static int next_token(void *arg, struct temporal_payloads *out)
{
    (void)arg;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", 100 + __atomic_add_fetch(&side_effect_calls, 1,
                                                                       __ATOMIC_SEQ_CST));
    return temporal_payloads_add_json(out, buf, (size_t)n);
}

static int with_side_effects(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                             struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads a = TEMPORAL_PAYLOADS_INIT, b = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_side_effect(ctx, next_token, NULL, &a);
    if (rc == 0) /* a timer between them, so that the worker (no cache) replays the first */
        rc = temporal_workflow_sleep(ctx, 10);
    if (rc == 0)
        rc = temporal_workflow_side_effect(ctx, next_token, NULL, &b);
    if (rc == 0) {
        char buf[96];
        int n = snprintf(buf, sizeof(buf), "[%.*s,%.*s]", (int)a.items[0].data_len,
                         (const char *)a.items[0].data, (int)b.items[0].data_len,
                         (const char *)b.items[0].data);
        rc = temporal_payloads_add_json(out, buf, (size_t)n);
    }
    temporal_payloads_cleanup(&a);
    temporal_payloads_cleanup(&b);
    return rc;
}

static void side_effects_are_recorded(void **state)
{
    (void)state;
    struct temporal_history h;
    side_effect_calls = 0;
    /* No cache: the second task replays the first side effect from history. */
    char *result = run_to_completion(with_side_effects, 0, &h);
    assert_string_equal(result, "[101,102]");
    assert_int_equal(side_effect_calls, 2);
    struct temporal_error err;
    TS_OK(temporal_workflow_replay(with_side_effects, NULL, h.serialized, h.serialized_len, &err),
          err);
    assert_int_equal(side_effect_calls, 2); /* replay ran neither side effect */
    /* Code that drops the side effects no longer matches the history. */
    assert_int_equal(temporal_workflow_replay(one_step, NULL, h.serialized, h.serialized_len, &err),
                     TEMPORAL_ENONDETERMINISM);
    free(result);
    temporal_history_cleanup(&h);
}

/* "EVENT_TYPE_MARKER_RECORDED" -> "MarkerRecorded" for every value of the enum whose
 * prefix is |prefix|, the short form some tools write. */
static void shorten_enum_names(json_t *j, const char *prefix)
{
    size_t n = strlen(prefix);
    if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v) {
            if (json_is_string(v) && strncmp(json_string_value(v), prefix, n) == 0) {
                char pascal[128];
                size_t k = 0;
                bool upper = true;
                for (const char *c = json_string_value(v) + n; *c && k + 1 < sizeof(pascal); c++) {
                    if (*c == '_') {
                        upper = true;
                        continue;
                    }
                    pascal[k++] = upper ? *c : (char)(*c - 'A' + 'a');
                    upper = false;
                }
                pascal[k] = '\0';
                json_object_set_new(j, key, json_string(pascal));
            } else {
                shorten_enum_names(v, prefix);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) shorten_enum_names(v, prefix);
    }
}

static void replay_json_history(void **state)
{
    (void)state;
    struct temporal_history h;
    char id[160];
    char *result = run_to_completion_id(with_side_effects, -1, &h, id, sizeof(id));
    free(result);
    temporal_history_cleanup(&h);
    /* The history as the CLI exports it. */
    json_t *doc = ts_cli_json("workflow show -w %s", id);
    assert_non_null(json_object_get(doc, "events"));
    char *text = json_dumps(doc, JSON_COMPACT);
    struct temporal_error err;
    side_effect_calls = 0;
    TS_OK(temporal_workflow_replay_json(with_side_effects, NULL, text, strlen(text), &err), err);
    assert_int_equal(side_effect_calls, 0);
    assert_int_equal(temporal_workflow_replay_json(one_step, NULL, text, strlen(text), &err),
                     TEMPORAL_ENONDETERMINISM);
    print_message("changed code on the JSON history: %s\n", err.message);
    free(text);
    /* The features repository's form: an array of histories, short enum names. */
    shorten_enum_names(doc, "EVENT_TYPE_");
    shorten_enum_names(doc, "TASK_QUEUE_KIND_");
    json_t *array = json_pack("[O, O]", doc, doc);
    text = json_dumps(array, JSON_COMPACT);
    assert_null(strstr(text, "EVENT_TYPE_"));
    TS_OK(temporal_workflow_replay_json(with_side_effects, NULL, text, strlen(text), &err), err);
    free(text);
    json_decref(array);
    json_decref(doc);
    /* A document that is no history says where. */
    const char *broken = "{\"events\":[{\"eventId\":\"one\"}]}";
    assert_int_equal(temporal_workflow_replay_json(with_side_effects, NULL, broken, strlen(broken), &err),
                     TEMPORAL_EINVAL);
    print_message("broken: %s\n", err.message);
    assert_non_null(strstr(err.message, "events[0].eventId"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(patched_code_change),
    cmocka_unit_test(replay_json_history),
    cmocka_unit_test(deprecated_patch_code_change),
    cmocka_unit_test(side_effects_are_recorded),
    cmocka_unit_test(versioned_worker_pins_runs),
    cmocka_unit_test(server_restart_recovers),
    cmocka_unit_test(many_workflows_small_cache),
    cmocka_unit_test(stop_mid_flight_loses_nothing),
    cmocka_unit_test(replay_recorded_history),
};
TS_MAIN(tests)
