/*
 * Worker metrics read back from the registry with temporal_metrics_visit(): the gauges
 * (num_pollers by poller_type, worker_task_slots_available / _used by worker_type,
 * sticky_cache_size) while the worker runs and after it has stopped, the local activity
 * counters and latencies, workflow_task_execution_failed for a task that fails, and
 * workflow_task_replay_latency for a run rebuilt from history.  No wall-clock assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define MAX_ACTIVITIES 7
#define MAX_WORKFLOW_TASKS 9
#define MAX_LOCAL_ACTIVITIES 5

/* One series looked up by name, task queue and up to two more labels. */
struct lookup {
    const char *name;
    const char *task_queue;
    const char *k1, *v1, *k2, *v2;
    int found;
    int64_t value;
    uint64_t count;
};

static const char *label(const struct temporal_metric_point *p, const char *key)
{
    for (size_t i = 0; i < p->label_count; i++)
        if (strcmp(p->labels[i].key, key) == 0)
            return p->labels[i].value;
    return NULL;
}

static bool label_is(const struct temporal_metric_point *p, const char *key, const char *value)
{
    if (key == NULL)
        return true;
    const char *v = label(p, key);
    return v != NULL && strcmp(v, value) == 0;
}

static void visit(void *ud, const struct temporal_metric_point *p)
{
    struct lookup *l = ud;
    if (strcmp(p->name, l->name) != 0 || !label_is(p, "task_queue", l->task_queue) ||
        !label_is(p, l->k1, l->v1) || !label_is(p, l->k2, l->v2))
        return;
    assert_string_equal(label(p, "namespace"), "default");
    l->found++;
    l->value = p->value;
    l->count = p->count;
}

/* Every series of |name| on |tq| with |k1|=|v1| and |k2|=|v2| (a NULL key: any): how many,
 * and the last one's value and count. */
static struct lookup scan(struct temporal_metrics *m, const char *name, const char *tq,
                          const char *k1, const char *v1, const char *k2, const char *v2)
{
    struct lookup l = {name, tq, k1, v1, k2, v2, 0, 0, 0};
    temporal_metrics_visit(m, visit, &l);
    return l;
}

/* The series (which must exist, once) of |name| on |tq| with |k1|=|v1| (and |k2|=|v2|). */
static struct lookup find2(struct temporal_metrics *m, const char *name, const char *tq,
                           const char *k1, const char *v1, const char *k2, const char *v2)
{
    struct lookup l = scan(m, name, tq, k1, v1, k2, v2);
    if (l.found != 1)
        fail_msg("%s{task_queue=%s, %s=%s, %s=%s}: %d series", name, tq, k1 ? k1 : "-",
                 v1 ? v1 : "-", k2 ? k2 : "-", v2 ? v2 : "-", l.found);
    return l;
}

static struct lookup find(struct temporal_metrics *m, const char *name, const char *tq,
                          const char *k, const char *v)
{
    return find2(m, name, tq, k, v, NULL, NULL);
}

/* Whether the series exists at all. */
static bool exists(struct temporal_metrics *m, const char *name, const char *tq, const char *k,
                   const char *v)
{
    return scan(m, name, tq, k, v, NULL, NULL).found > 0;
}

/* Waits (at most 30 s) for gauge |name|{k=v} of |tq| to read |value| (|at_least|: |value|
 * or more). */
static void wait_gauge(struct temporal_metrics *m, const char *name, const char *tq,
                       const char *k, const char *v, int64_t value, bool at_least)
{
    for (int i = 0; i < 3000; i++) {
        struct lookup l = scan(m, name, tq, k, v, NULL, NULL);
        if (l.found == 1 && (l.value == value || (at_least && l.value > value)))
            return;
        ts_sleep_ms(10);
    }
    fail_msg("%s{%s=%s} never read %s%lld", name, k ? k : "-", v ? v : "-",
             at_least ? ">= " : "", (long long)value);
}

/* Code ------------------------------------------------------------------------------------------ */

/* Activity "hello", then local activity "hello", on the input; returns the second result. */
static int activity_and_local_workflow(struct temporal_workflow_ctx *ctx,
                                       const struct temporal_payloads *in,
                                       struct temporal_payloads *out)
{
    struct temporal_payloads first = TEMPORAL_PAYLOADS_INIT;
    int rc = ts_hello_workflow(ctx, in, &first);
    temporal_payloads_cleanup(&first);
    if (rc != 0)
        return rc;
    struct temporal_local_activity_options o = TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 30000;
    return temporal_workflow_execute_local_activity(ctx, "hello", in, &o, out);
}

static int failed_once; /* FailOnce: its first task fails */

/* Fails its first workflow task, then runs activity_and_local_workflow. */
static int fail_once_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                              struct temporal_payloads *out)
{
    if (__atomic_exchange_n(&failed_once, 1, __ATOMIC_SEQ_CST) == 0)
        return temporal_workflow_fail_task(ctx, "the first task fails on purpose");
    return activity_and_local_workflow(ctx, in, out);
}

/* A worker on a new task queue recording into |m|. */
static void start_worker(struct ts_worker *tw, struct temporal_metrics *m, int32_t max_cached)
{
    memset(tw, 0, sizeof(*tw));
    struct temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
    co.target = ts_state("address");
    co.metrics = m;
    struct temporal_error err;
    TS_OK(temporal_client_connect(&tw->client, &co, &err), err);
    ts_unique(tw->task_queue, sizeof(tw->task_queue), "metrics-tq");
    struct temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
    wo.task_queue = tw->task_queue;
    wo.max_cached_workflows = max_cached;
    wo.max_concurrent_activities = MAX_ACTIVITIES;
    wo.max_concurrent_workflow_tasks = MAX_WORKFLOW_TASKS;
    wo.max_concurrent_local_activities = MAX_LOCAL_ACTIVITIES;
    TS_OK(temporal_worker_new(&tw->worker, tw->client, &wo, &err), err);
    assert_int_equal(temporal_worker_register_workflow(tw->worker, "ActivityAndLocal",
                                                       activity_and_local_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(tw->worker, "FailOnce", fail_once_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(tw->worker, "Waiter", ts_waiter_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(tw->worker, "hello", ts_hello_activity, NULL),
                     0);
    ts_worker_run(tw);
}

static void run_to_completion(struct ts_worker *tw, const char *type)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, "metrics");
    char id[160];
    ts_feature_start(tw, type, &args, id, sizeof(id));
    temporal_payloads_cleanup(&args);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &result, &err), err);
    temporal_payloads_cleanup(&result);
}

static const char *const WORKER_TYPES[] = {"WorkflowWorker", "ActivityWorker", "LocalActivityWorker"};
static const int64_t MAXIMA[] = {MAX_WORKFLOW_TASKS, MAX_ACTIVITIES, MAX_LOCAL_ACTIVITIES};
static const char *const POLLER_TYPES[] = {"workflow_task", "sticky_workflow_task", "activity_task"};

/* Cases ----------------------------------------------------------------------------------------- */

/* Gauges while running and after shutdown; the local activity metrics. */
static void gauges_and_local_activity(void **state)
{
    (void)state;
    struct temporal_metrics *m = NULL;
    assert_int_equal(temporal_metrics_new(&m), 0);
    struct ts_worker tw;
    start_worker(&tw, m, -1);
    char tq[96];
    snprintf(tq, sizeof(tq), "%s", tw.task_queue);

    /* Every kind of poller runs. */
    for (size_t i = 0; i < 3; i++)
        wait_gauge(m, "temporal_num_pollers", tq, "poller_type", POLLER_TYPES[i], 1, true);

    run_to_completion(&tw, "ActivityAndLocal");

    /* The local activity: one attempt, successful. */
    assert_int_equal(find(m, "temporal_local_activity_total", tq, "activity_type", "hello").value, 1);
    assert_int_equal(
        find(m, "temporal_local_activity_execution_latency", tq, "activity_type", "hello").count, 1);
    assert_int_equal(find(m, "temporal_local_activity_succeed_endtoend_latency", tq,
                          "activity_type", "hello").count,
                     1);
    assert_false(exists(m, "temporal_local_activity_execution_failed", tq, "activity_type", "hello"));
    assert_false(
        exists(m, "temporal_local_activity_execution_cancelled", tq, "activity_type", "hello"));
    /* The activity was not counted as a local one, nor the other way round. */
    assert_int_equal(find(m, "temporal_activity_execution_latency", tq, "activity_type", "hello").count,
                     1);

    /* A finished run leaves the cache; a waiting one stays in it. */
    wait_gauge(m, "temporal_sticky_cache_size", tq, NULL, NULL, 0, false);
    struct temporal_payloads none = TEMPORAL_PAYLOADS_INIT;
    char waiter[160];
    ts_feature_start(&tw, "Waiter", &none, waiter, sizeof(waiter));
    wait_gauge(m, "temporal_sticky_cache_size", tq, NULL, NULL, 1, false);

    /* Idle, no slot holds a task; a slot is free, or reserved by a waiting poll. */
    for (size_t i = 0; i < 3; i++) {
        wait_gauge(m, "temporal_worker_task_slots_used", tq, "worker_type", WORKER_TYPES[i], 0,
                   false);
        int64_t available =
            find(m, "temporal_worker_task_slots_available", tq, "worker_type", WORKER_TYPES[i]).value;
        assert_true(available > 0 && available <= MAXIMA[i]);
    }

    /* Shutdown: no poller, no slot in use, every slot available, nothing cached. */
    struct temporal_client *client = tw.client;
    tw.client = NULL;
    temporal_worker_stop(tw.worker);
    pthread_join(tw.thread, NULL);
    TS_OK(tw.rc, tw.err);
    temporal_worker_free(tw.worker);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(find(m, "temporal_num_pollers", tq, "poller_type", POLLER_TYPES[i]).value, 0);
        assert_int_equal(
            find(m, "temporal_worker_task_slots_used", tq, "worker_type", WORKER_TYPES[i]).value, 0);
        assert_int_equal(
            find(m, "temporal_worker_task_slots_available", tq, "worker_type", WORKER_TYPES[i]).value,
            MAXIMA[i]);
    }
    assert_int_equal(find(m, "temporal_sticky_cache_size", tq, NULL, NULL).value, 0);

    /* End the waiting run (no worker runs it any more). */
    struct temporal_error err;
    TS_OK(temporal_client_terminate_workflow(client, waiter, NULL, "test over", &err), err);
    temporal_client_free(client);
    temporal_metrics_free(m);
}

/* A failing workflow task is counted with failure_reason WorkflowError; without a cache, the
 * next tasks replay, which is timed. */
static void task_failure_and_replay(void **state)
{
    (void)state;
    struct temporal_metrics *m = NULL;
    assert_int_equal(temporal_metrics_new(&m), 0);
    struct ts_worker tw;
    start_worker(&tw, m, 0);
    char tq[96];
    snprintf(tq, sizeof(tq), "%s", tw.task_queue);
    run_to_completion(&tw, "FailOnce");
    ts_worker_stop(&tw);

    assert_int_equal(find2(m, "temporal_workflow_task_execution_failed", tq, "workflow_type",
                           "FailOnce", "failure_reason", "WorkflowError")
                         .value,
                     1);
    assert_false(exists(m, "temporal_workflow_task_execution_failed", tq, "failure_reason",
                        "NonDeterminismError"));
    /* The tasks after the first replayed (the activity's result, the local activity's). */
    assert_true(
        find(m, "temporal_workflow_task_replay_latency", tq, "workflow_type", "FailOnce").count >= 1);
    assert_int_equal(find(m, "temporal_local_activity_total", tq, "activity_type", "hello").value, 1);
    /* No sticky poller without a cache; the others are stopped. */
    assert_false(exists(m, "temporal_num_pollers", tq, "poller_type", "sticky_workflow_task"));
    assert_int_equal(find(m, "temporal_num_pollers", tq, "poller_type", "workflow_task").value, 0);
    assert_int_equal(find(m, "temporal_num_pollers", tq, "poller_type", "activity_task").value, 0);
    temporal_metrics_free(m);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(gauges_and_local_activity),
    cmocka_unit_test(task_failure_and_replay),
};
TS_MAIN(tests)
