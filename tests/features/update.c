/*
 * temporalio/features update/: workflow updates sent by our client to C workflows on our
 * worker, against the dev server (frontend.enableUpdateWorkflowExecution*, harness.sh).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

/* Shared workflow state (allocated with temporal_workflow_alloc: handlers outlive frames). */
struct state {
    int counter;
    bool shutdown;
    char arg[64];
};

static bool shutdown_requested(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->shutdown;
}

static void on_shutdown(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                        void *arg)
{
    (void)ctx, (void)args;
    ((struct state *)arg)->shutdown = true;
}

/* basic ---------------------------------------------------------------------------------------- */

static int basic_update(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                        struct temporal_payloads *result, void *arg)
{
    (void)ctx;
    struct state *st = arg;
    char a[64];
    ts_json_str(args, 0, a, sizeof(a));
    snprintf(st->arg, sizeof(st->arg), "%s", a);
    char r[96];
    snprintf(r, sizeof(r), "update-result:%s", a);
    return ts_add_json_str(result, r);
}

static int reject_invalid(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                          void *arg)
{
    (void)arg;
    char a[64];
    ts_json_str(args, 0, a, sizeof(a));
    if (strcmp(a, "invalid-arg") == 0)
        return temporal_workflow_fail(ctx, "InvalidArgument", "Invalid Update argument", true, NULL);
    return 0;
}

static bool arg_set(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct state *)arg)->arg[0] != '\0';
}

static int basic_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "my-update-name", basic_update, reject_invalid, st);
    int rc = temporal_workflow_wait_condition(ctx, arg_set, st);
    if (rc != 0)
        return rc;
    char r[96];
    snprintf(r, sizeof(r), "workflow-result:%s", st->arg);
    return ts_add_json_str(out, r);
}

/* activities --------------------------------------------------------------------------------- */

static int some_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)ud;
    return ts_add_json_int(out, 6);
}

struct activity_branch {
    struct temporal_payloads out;
};

static int run_some_activity(struct temporal_workflow_ctx *ctx, void *arg)
{
    struct activity_branch *b = arg;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    return temporal_workflow_execute_activity(ctx, "SomeActivity", NULL, &o, &b->out);
}

static int activities_update(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                             struct temporal_payloads *result, void *arg)
{
    (void)args, (void)arg;
    struct activity_branch branches[5];
    struct temporal_workflow_branch *h[5];
    int total = 0, rc = 0;
    memset(branches, 0, sizeof(branches));
    for (int i = 0; i < 5 && rc == 0; i++)
        rc = temporal_workflow_spawn(ctx, run_some_activity, &branches[i], &h[i]);
    for (int i = 0; i < 5; i++) {
        if (rc == 0)
            rc = temporal_workflow_join(ctx, h[i]);
        total += ts_json_int(&branches[i].out, 0);
        temporal_payloads_cleanup(&branches[i].out);
    }
    return rc ? rc : ts_add_json_int(result, total);
}

static int shutdown_workflow(struct temporal_workflow_ctx *ctx, struct state *st,
                             struct temporal_payloads *out)
{
    temporal_workflow_on_signal(ctx, "shutdown_signal", on_shutdown, st);
    int rc = temporal_workflow_wait_condition(ctx, shutdown_requested, st);
    return rc ? rc : ts_add_json_int(out, st->counter);
}

static int activities_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                               struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "updateActivity", activities_update, NULL, st);
    return shutdown_workflow(ctx, st, out);
}

/* deduplication, non_durable_reject, validation_replay ----------------------------------------- */

static int increment_count(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                           struct temporal_payloads *result, void *arg)
{
    (void)args;
    struct state *st = arg;
    st->counter++;
    int rc = temporal_workflow_sleep(ctx, 1000);
    return rc ? rc : ts_add_json_int(result, st->counter);
}

static int add_value(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                     struct temporal_payloads *result, void *arg)
{
    (void)ctx;
    struct state *st = arg;
    st->counter += ts_json_int(args, 0);
    return ts_add_json_int(result, st->counter);
}

static int non_negative(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                        void *arg)
{
    (void)arg;
    int v = ts_json_int(args, 0);
    if (v < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "expected non-negative value (%d)", v);
        return temporal_workflow_fail(ctx, NULL, msg, false, NULL);
    }
    return 0;
}

static int validations; /* validation_replay: how often the validator ran */

static int validate_once(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         void *arg)
{
    (void)args, (void)arg;
    if (__atomic_add_fetch(&validations, 1, __ATOMIC_SEQ_CST) > 1)
        return temporal_workflow_fail(ctx, NULL, "the validator ran again", false, NULL);
    return 0;
}

static int do_some_stuff(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         struct temporal_payloads *result, void *arg)
{
    (void)args, (void)arg;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    return temporal_workflow_execute_activity(ctx, "SomeActivity", NULL, &o, result);
}

static int counter_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "incrementCount", increment_count, NULL, st);
    temporal_workflow_on_update(ctx, "updateActivity", add_value, non_negative, st);
    temporal_workflow_on_update(ctx, "doSomeStuff", do_some_stuff, validate_once, st);
    return shutdown_workflow(ctx, st, out);
}

/* self, task_failure, worker_restart ------------------------------------------------------------ */

static struct temporal_client *self_client; /* the client SelfUpdateActivity uses */

static int self_update_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                                struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_client_update_workflow(self_client, temporal_activity_info(ctx)->workflow_id,
                                             "update!", NULL, NULL, &res, NULL);
    temporal_payloads_cleanup(&res);
    return rc;
}

static int set_called(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                      struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args, (void)result;
    snprintf(((struct state *)arg)->arg, sizeof(((struct state *)arg)->arg), "called");
    return 0;
}

static int self_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "update!", set_called, NULL, st);
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 5000;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_activity(ctx, "SelfUpdateActivity", NULL, &o, &res);
    temporal_payloads_cleanup(&res);
    if (rc != 0)
        return rc;
    if (strcmp(st->arg, "called") != 0)
        return temporal_workflow_fail(ctx, NULL, "the update did not run", true, NULL);
    return ts_add_json_str(out, st->arg);
}

static int failed_once; /* task_failure: the handler fails its first task only */

static int fail_validation(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                           void *arg)
{
    (void)args, (void)arg;
    return temporal_workflow_fail(ctx, "PanicError",
                                  "fear not, dear examiner of logs, for this failure was intentional",
                                  true, NULL);
}

static int fail_task_once(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                          struct temporal_payloads *result, void *arg)
{
    (void)args, (void)arg;
    if (!__atomic_exchange_n(&failed_once, 1, __ATOMIC_SEQ_CST))
        return temporal_workflow_fail_task(ctx, "the handler's first task fails on purpose");
    return ts_add_json_int(result, 1);
}

static int task_failure_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                                 struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "panic_from_validate", fail_task_once, fail_validation, st);
    temporal_workflow_on_update(ctx, "panic_from_exec", fail_task_once, NULL, st);
    return shutdown_workflow(ctx, st, out);
}

static int block_started, block_latch; /* worker_restart: Block's progress, and its latch */

static int block_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out, (void)ud;
    __atomic_add_fetch(&block_started, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&block_latch, __ATOMIC_SEQ_CST)) {
        if (temporal_activity_is_cancelled(ctx))
            return TEMPORAL_ECANCELED; /* the worker stops: retried on the next one */
        struct timespec ts = { 0, 20 * 1000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int fetch_and_add(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         struct temporal_payloads *result, void *arg)
{
    struct state *st = arg;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.schedule_to_close_timeout_ms = 30000;
    struct temporal_retry_policy retry = { .initial_interval_ms = 100 };
    o.retry_policy = &retry;
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_activity(ctx, "Block", NULL, &o, &res);
    temporal_payloads_cleanup(&res);
    if (rc != 0)
        return rc;
    int old = st->counter;
    st->counter += ts_json_int(args, 0);
    return ts_add_json_int(result, old);
}

static int restart_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in;
    struct state *st = temporal_workflow_alloc(ctx, sizeof(*st));
    temporal_workflow_on_update(ctx, "fetchAndAdd", fetch_and_add, NULL, st);
    return shutdown_workflow(ctx, st, out);
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "SelfWorkflow", self_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "TaskFailureWorkflow", task_failure_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "RestartWorkflow", restart_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "SelfUpdateActivity", self_update_activity, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "Block", block_activity, NULL), 0);
    assert_int_equal(temporal_worker_register_workflow(w, "BasicWorkflow", basic_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "ActivitiesWorkflow", activities_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "CounterWorkflow", counter_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "SomeActivity", some_activity, NULL), 0);
}

/* Driver helpers ------------------------------------------------------------------------------- */

static int update_str(struct ts_worker *tw, const char *id, const char *name, const char *arg,
                      char *out, size_t cap, struct temporal_error *err)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_str(&args, arg);
    int rc = temporal_client_update_workflow(tw->client, id, name, &args, NULL, &res, err);
    ts_json_str(&res, 0, out, cap);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&res);
    return rc;
}

static int update_int(struct ts_worker *tw, const char *id, const char *name, int arg,
                      const struct temporal_update_options *o, int *out, struct temporal_error *err)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, arg);
    int rc = temporal_client_update_workflow(tw->client, id, name, &args, o, &res, err);
    *out = ts_json_int(&res, 0);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&res);
    return rc;
}

/* Signals shutdown; returns the workflow's int result. */
static int finish(struct ts_worker *tw, const char *id)
{
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(tw->client, id, NULL, "shutdown_signal", NULL, &err), err);
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    int v = ts_json_int(&res, 0);
    temporal_payloads_cleanup(&res);
    return v;
}

/* How many events of |type| (e.g. "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED") the
 * workflow's history has. */
static int count_events(struct ts_worker *tw, const char *id, int type)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw->client, id, NULL, &h, &err), err);
    int n = 0;
    for (size_t i = 0; i < h.count; i++)
        n += h.events[i].event_type == type;
    temporal_history_cleanup(&h);
    return n;
}

/* Replays the workflow's history against |fn|: it must match. */
static void replays_cleanly(struct ts_worker *tw, const char *id, temporal_workflow_fn fn)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(tw->client, id, NULL, &h, &err), err);
    TS_OK(temporal_workflow_replay(fn, NULL, h.serialized, h.serialized_len, &err), err);
    temporal_history_cleanup(&h);
}

#define UPDATE_COMPLETED_EVENT 43 /* EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED */
#define UPDATE_REJECTED_EVENT 42

/* Scenarios -------------------------------------------------------------------------------------- */

static void basic(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-basic", -1, register_all);
    char id[160], out[128];
    ts_feature_start(&tw, "BasicWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    /* The validator rejects this one: nothing reaches history. */
    assert_int_equal(update_str(&tw, id, "my-update-name", "invalid-arg", out, sizeof(out), &err),
                     TEMPORAL_EUPDATE_FAILED);
    assert_string_equal(err.detail, "InvalidArgument");
    /* An unknown update is rejected too. */
    assert_int_equal(update_str(&tw, id, "no-such-update", "x", out, sizeof(out), &err),
                     TEMPORAL_EUPDATE_FAILED);
    print_message("unknown update: %s\n", err.message);
    TS_OK(update_str(&tw, id, "my-update-name", "my-update-arg", out, sizeof(out), &err), err);
    assert_string_equal(out, "update-result:my-update-arg");
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    ts_json_str(&res, 0, out, sizeof(out));
    assert_string_equal(out, "workflow-result:my-update-arg");
    temporal_payloads_cleanup(&res);
    assert_int_equal(count_events(&tw, id, UPDATE_REJECTED_EVENT), 0);
    replays_cleanly(&tw, id, basic_workflow);
    ts_worker_stop(&tw);
}

static void activities(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-activities", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "ActivitiesWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    int total = 0;
    TS_OK(update_int(&tw, id, "updateActivity", 0, NULL, &total, &err), err);
    assert_int_equal(total, 30);
    finish(&tw, id);
    replays_cleanly(&tw, id, activities_workflow);
    ts_worker_stop(&tw);
}

static void async_accepted(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-async", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "CounterWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    struct temporal_update_options o = TEMPORAL_UPDATE_OPTIONS_INIT;
    o.update_id = "update:1";
    o.wait_for = TEMPORAL_UPDATE_WAIT_ACCEPTED;
    int v = -1;
    /* Accepted at once (the handler sleeps 1 s before it completes). */
    TS_OK(update_int(&tw, id, "incrementCount", 0, &o, &v, &err), err);
    assert_int_equal(v, 0); /* no result yet */
    /* A short wait for the result times out; a long one gets it. */
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_client_get_update_result(tw.client, id, NULL, "update:1", 100, &res, &err),
                     TEMPORAL_ETIMEDOUT);
    TS_OK(temporal_client_get_update_result(tw.client, id, NULL, "update:1", 30000, &res, &err), err);
    assert_int_equal(ts_json_int(&res, 0), 1);
    temporal_payloads_cleanup(&res);
    /* A failing update: the validator rejects negative values. */
    o.update_id = "update:3";
    assert_int_equal(update_int(&tw, id, "updateActivity", -1, &o, &v, &err), TEMPORAL_EUPDATE_FAILED);
    assert_non_null(strstr(err.message, "expected non-negative value (-1)"));
    finish(&tw, id);
    ts_worker_stop(&tw);
}

static void deduplication(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-dedup", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "CounterWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    struct temporal_update_options o = TEMPORAL_UPDATE_OPTIONS_INIT;
    o.update_id = "reused_update_id";
    int a = 0, b = 0;
    TS_OK(update_int(&tw, id, "incrementCount", 0, &o, &a, &err), err);
    TS_OK(update_int(&tw, id, "incrementCount", 0, &o, &b, &err), err);
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    assert_int_equal(finish(&tw, id), 1);
    assert_int_equal(count_events(&tw, id, UPDATE_COMPLETED_EVENT), 1);
    ts_worker_stop(&tw);
}

static void non_durable_reject(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-reject", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "CounterWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    int v = 0;
    assert_int_equal(update_int(&tw, id, "updateActivity", -1, NULL, &v, &err), TEMPORAL_EUPDATE_FAILED);
    for (int i = 0; i < 5; i++) {
        TS_OK(update_int(&tw, id, "updateActivity", 2, NULL, &v, &err), err);
        assert_int_equal(v, 2 * (i + 1));
        assert_int_equal(update_int(&tw, id, "updateActivity", -1, NULL, &v, &err),
                         TEMPORAL_EUPDATE_FAILED);
    }
    assert_int_equal(finish(&tw, id), 10);
    assert_int_equal(count_events(&tw, id, UPDATE_REJECTED_EVENT), 0);
    replays_cleanly(&tw, id, counter_workflow);
    ts_worker_stop(&tw);
}

static void validation_replay(void **state)
{
    (void)state;
    struct ts_worker tw;
    /* No cache: every task replays, and the validator must not run again. */
    ts_feature_worker(&tw, "feat-update-valreplay", 0, register_all);
    char id[160];
    ts_feature_start(&tw, "CounterWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    int v = 0;
    validations = 0;
    TS_OK(update_int(&tw, id, "doSomeStuff", 0, NULL, &v, &err), err);
    assert_int_equal(v, 6);
    finish(&tw, id);
    replays_cleanly(&tw, id, counter_workflow);
    assert_int_equal(validations, 1);
    ts_worker_stop(&tw);
}

static void self(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-self", -1, register_all);
    self_client = ts_connect();
    char id[160], out[64];
    ts_feature_start(&tw, "SelfWorkflow", NULL, id, sizeof(id));
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(&tw, id, &res, &err), err);
    ts_json_str(&res, 0, out, sizeof(out));
    assert_string_equal(out, "called");
    temporal_payloads_cleanup(&res);
    temporal_client_free(self_client);
    ts_worker_stop(&tw);
}

#define WORKFLOW_TASK_FAILED_EVENT 9 /* EVENT_TYPE_WORKFLOW_TASK_FAILED */

static void task_failure(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-taskfail", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "TaskFailureWorkflow", NULL, id, sizeof(id));
    struct temporal_error err;
    int v = 0;
    failed_once = 0;
    /* A failing validator rejects the update; no task fails. */
    assert_int_equal(update_int(&tw, id, "panic_from_validate", 0, NULL, &v, &err),
                     TEMPORAL_EUPDATE_FAILED);
    assert_non_null(strstr(err.message, "fear not, dear examiner of logs"));
    assert_string_equal(err.detail, "PanicError");
    /* A handler that fails its task: the task is retried and the update then completes. */
    TS_OK(update_int(&tw, id, "panic_from_exec", 0, NULL, &v, &err), err);
    assert_int_equal(v, 1);
    finish(&tw, id);
    assert_int_equal(count_events(&tw, id, WORKFLOW_TASK_FAILED_EVENT), 1);
    ts_worker_stop(&tw);
}

struct background_update {
    struct temporal_client *client;
    const char *id;
    int rc, result;
    struct temporal_error err;
};

static void *send_fetch_and_add(void *arg)
{
    struct background_update *u = arg;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, res = TEMPORAL_PAYLOADS_INIT;
    ts_add_json_int(&args, 1);
    u->rc = temporal_client_update_workflow(u->client, u->id, "fetchAndAdd", &args, NULL, &res, &u->err);
    u->result = ts_json_int(&res, 0);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&res);
    return NULL;
}

static void worker_restart(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-update-restart", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "RestartWorkflow", NULL, id, sizeof(id));
    block_started = block_latch = 0;
    struct background_update u = { ts_connect(), id, -1, -1, { 0 } };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_fetch_and_add, &u), 0);
    while (__atomic_load_n(&block_started, __ATOMIC_SEQ_CST) == 0) {
        struct timespec ts = { 0, 20 * 1000000 };
        nanosleep(&ts, NULL);
    }
    /* The worker stops while the update's activity runs; a new one takes over. */
    char task_queue[sizeof(tw.task_queue)];
    snprintf(task_queue, sizeof(task_queue), "%s", tw.task_queue);
    ts_worker_stop(&tw);
    __atomic_store_n(&block_latch, 1, __ATOMIC_SEQ_CST);
    memset(&tw, 0, sizeof(tw));
    snprintf(tw.task_queue, sizeof(tw.task_queue), "%s", task_queue);
    tw.client = ts_connect();
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw.task_queue;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw.worker, tw.client, &o, &err), err);
    register_all(tw.worker);
    ts_worker_run(&tw);
    pthread_join(t, NULL);
    TS_OK(u.rc, u.err);
    assert_int_equal(u.result, 0);
    assert_int_equal(finish(&tw, id), 1);
    replays_cleanly(&tw, id, restart_workflow);
    temporal_client_free(u.client);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(basic),
    cmocka_unit_test(activities),
    cmocka_unit_test(async_accepted),
    cmocka_unit_test(deduplication),
    cmocka_unit_test(non_durable_reject),
    cmocka_unit_test(validation_replay),
    cmocka_unit_test(self),
    cmocka_unit_test(task_failure),
    cmocka_unit_test(worker_restart),
};
TS_MAIN(tests)
