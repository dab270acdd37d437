/*
 * temporalio/features schedule/: schedules made and driven by our client, their workflows
 * run by our worker (backfill, basic, cron, duplicate_error, pause, trigger).
 * Waits poll the server (schedules act asynchronously) with generous bounds; nothing asserts
 * how long anything took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns its argument. */
static int echo_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)ctx;
    return in->count ? temporal_payloads_add_copy(out, &in->items[0]) : temporal_payloads_add_null(out);
}

/* cron: checks it runs on the cron schedule it was started with. */
static int cron_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out)
{
    (void)in;
    if (strcmp(temporal_workflow_info(ctx)->cron_schedule, "@every 2s") != 0)
        return temporal_workflow_fail(ctx, NULL, "not run by its cron schedule", true, NULL);
    return temporal_payloads_add_json(out, "\"\"", 2);
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "BasicScheduleWorkflow", echo_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "CronWorkflow", cron_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

/* A schedule of |tw|'s echo workflow with argument |arg|. */
struct schedule_setup {
    char schedule_id[160], workflow_id[160];
    struct temporal_start_workflow_options action;
    struct temporal_payloads args;
    struct temporal_schedule_options o;
};

static void setup(struct schedule_setup *s, struct ts_worker *tw, const char *arg)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->schedule_id, sizeof(s->schedule_id), "%s-schedule", tw->task_queue);
    snprintf(s->workflow_id, sizeof(s->workflow_id), "%s-action", tw->task_queue);
    struct temporal_start_workflow_options a = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    a.workflow_id = s->workflow_id;
    a.workflow_type = "BasicScheduleWorkflow";
    a.task_queue = tw->task_queue;
    a.execution_timeout_ms = 60000;
    s->action = a;
    temporal_payloads_add_string(&s->args, arg);
    struct temporal_schedule_options o = TEMPORAL_SCHEDULE_OPTIONS_INIT;
    o.schedule_id = s->schedule_id;
    o.action = &s->action;
    o.action_args = &s->args;
    s->o = o;
}

static void teardown(struct ts_worker *tw, struct schedule_setup *s)
{
    struct temporal_error err;
    TS_OK(temporal_client_delete_schedule(tw->client, s->schedule_id, &err), err);
    temporal_payloads_cleanup(&s->args);
}

static struct temporal_schedule_description describe(struct ts_worker *tw, const char *id)
{
    struct temporal_schedule_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_schedule(tw->client, id, &d, &err), err);
    return d;
}

/* The result of workflow |id| as a string. */
static char *result_of(struct ts_worker *tw, const char *id)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(temporal_client_get_workflow_result(tw->client, id, NULL, 60000, &res, &err), err);
    char *s = NULL;
    assert_int_equal(temporal_payload_get_string(&res.items[0], &s), 0);
    temporal_payloads_cleanup(&res);
    return s;
}

/* Waits (bounded) until one of the workflows the schedule started recently has returned
 * |want|.  Returns true when one has. */
static bool wait_for_run_returning(struct ts_worker *tw, const char *schedule_id, const char *want)
{
    for (int round = 0; round < 120; round++, ts_sleep_ms(500)) {
        struct temporal_schedule_description d = describe(tw, schedule_id);
        bool found = false;
        for (size_t i = d.recent_count; i-- > 0 && !found;) {
            char *r = result_of(tw, d.recent_workflow_ids[i]);
            found = strcmp(r, want) == 0;
            temporal_free(r);
        }
        temporal_schedule_description_cleanup(&d);
        if (found)
            return true;
    }
    return false;
}

static void basic(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-basic", -1, register_all);
    struct schedule_setup s;
    setup(&s, &tw, "arg1");
    s.o.interval_ms = 2000;
    s.o.overlap_policy = TEMPORAL_SCHEDULE_OVERLAP_BUFFER_ONE;
    struct temporal_error err;
    TS_OK(temporal_client_create_schedule(tw.client, &s.o, &err), err);
    struct temporal_schedule_description d = describe(&tw, s.schedule_id);
    assert_string_equal(d.workflow_id, s.workflow_id);
    assert_string_equal(d.workflow_type, "BasicScheduleWorkflow");
    assert_int_equal(d.interval_ms, 2000);
    temporal_schedule_description_cleanup(&d);
    /* The list is eventually consistent. */
    bool listed = false;
    for (int i = 0; i < 60 && !listed; i++) {
        char **ids = NULL;
        size_t n = 0;
        TS_OK(temporal_client_list_schedules(tw.client, &ids, &n, &err), err);
        for (size_t k = 0; k < n; k++) {
            listed = listed || strcmp(ids[k], s.schedule_id) == 0;
            temporal_free(ids[k]);
        }
        temporal_free(ids);
        if (!listed)
            ts_sleep_ms(500);
    }
    assert_true(listed);
    assert_true(wait_for_run_returning(&tw, s.schedule_id, "arg1"));
    /* New arguments for the following runs. */
    temporal_payloads_cleanup(&s.args);
    temporal_payloads_add_string(&s.args, "arg2");
    TS_OK(temporal_client_update_schedule(tw.client, &s.o, &err), err);
    assert_true(wait_for_run_returning(&tw, s.schedule_id, "arg2"));
    teardown(&tw, &s);
    ts_worker_stop(&tw);
}

/* Waits (bounded) until the schedule has taken |n| actions and none runs. */
static int64_t wait_for_actions(struct ts_worker *tw, const char *schedule_id, int64_t n)
{
    int64_t count = 0;
    for (int round = 0; round < 120; round++, ts_sleep_ms(500)) {
        struct temporal_schedule_description d = describe(tw, schedule_id);
        count = d.action_count;
        size_t running = d.running_count;
        temporal_schedule_description_cleanup(&d);
        if (count >= n && running == 0)
            break;
    }
    return count;
}

static void backfill(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-backfill", -1, register_all);
    struct schedule_setup s;
    setup(&s, &tw, "arg1");
    s.o.interval_ms = 60000;
    s.o.paused = true;
    struct temporal_error err;
    TS_OK(temporal_client_create_schedule(tw.client, &s.o, &err), err);
    int64_t minute = 60000, now = now_ms() / minute * minute;
    int64_t three_years = 3 * 365 * 24 * 60 * minute;
    struct temporal_schedule_backfill ranges[] = {
        { now - three_years - 2 * minute, now - three_years, TEMPORAL_SCHEDULE_OVERLAP_ALLOW_ALL },
        { now - 32 * minute, now - 30 * minute, TEMPORAL_SCHEDULE_OVERLAP_ALLOW_ALL },
    };
    TS_OK(temporal_client_backfill_schedule(tw.client, s.schedule_id, ranges, 2, &err), err);
    /* Both ends of each two-minute range count: 3 + 3 actions (older servers: 2 + 2). */
    int64_t n = wait_for_actions(&tw, s.schedule_id, 6);
    print_message("backfilled actions: %lld\n", (long long)n);
    assert_true(n == 6 || n == 4);
    teardown(&tw, &s);
    ts_worker_stop(&tw);
}

static void trigger(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-trigger", -1, register_all);
    struct schedule_setup s;
    setup(&s, &tw, "arg1");
    s.o.interval_ms = 60000;
    s.o.paused = true;
    struct temporal_error err;
    TS_OK(temporal_client_create_schedule(tw.client, &s.o, &err), err);
    TS_OK(temporal_client_trigger_schedule(tw.client, s.schedule_id, TEMPORAL_SCHEDULE_OVERLAP_ALLOW_ALL,
                                           &err),
          err);
    /* As upstream, two seconds apart: the workflows a schedule starts are named by the
     * second of their action, so two triggers within one second would be one action. */
    ts_sleep_ms(2000);
    TS_OK(temporal_client_trigger_schedule(tw.client, s.schedule_id, TEMPORAL_SCHEDULE_OVERLAP_ALLOW_ALL,
                                           &err),
          err);
    assert_int_equal(wait_for_actions(&tw, s.schedule_id, 2), 2);
    teardown(&tw, &s);
    ts_worker_stop(&tw);
}

static void expect_state(struct ts_worker *tw, const char *id, bool paused, const char *note)
{
    struct temporal_schedule_description d = describe(tw, id);
    assert_int_equal(d.paused, paused);
    assert_string_equal(d.note, note);
    temporal_schedule_description_cleanup(&d);
}

static void pause(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-pause", -1, register_all);
    struct schedule_setup s;
    setup(&s, &tw, "arg1");
    s.o.interval_ms = 60000;
    s.o.paused = true;
    s.o.note = "initial note";
    struct temporal_error err;
    TS_OK(temporal_client_create_schedule(tw.client, &s.o, &err), err);
    expect_state(&tw, s.schedule_id, true, "initial note");
    TS_OK(temporal_client_pause_schedule(tw.client, s.schedule_id, "custom note1", &err), err);
    expect_state(&tw, s.schedule_id, true, "custom note1");
    TS_OK(temporal_client_unpause_schedule(tw.client, s.schedule_id, NULL, &err), err);
    expect_state(&tw, s.schedule_id, false, "Unpaused via temporal-c");
    TS_OK(temporal_client_unpause_schedule(tw.client, s.schedule_id, "custom note2", &err), err);
    expect_state(&tw, s.schedule_id, false, "custom note2");
    TS_OK(temporal_client_pause_schedule(tw.client, s.schedule_id, NULL, &err), err);
    expect_state(&tw, s.schedule_id, true, "Paused via temporal-c");
    teardown(&tw, &s);
    ts_worker_stop(&tw);
}

static void duplicate_error(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-dup", -1, register_all);
    struct schedule_setup s;
    setup(&s, &tw, "arg1");
    const char *hourly[] = { "@hourly" };
    s.o.cron_expressions = hourly;
    s.o.cron_count = 1;
    s.o.paused = true;
    struct temporal_error err;
    TS_OK(temporal_client_create_schedule(tw.client, &s.o, &err), err);
    assert_int_equal(temporal_client_create_schedule(tw.client, &s.o, &err), TEMPORAL_EALREADY_EXISTS);
    print_message("second create: %s\n", err.message);
    teardown(&tw, &s);
    /* A schedule that is gone says so. */
    assert_int_equal(temporal_client_delete_schedule(tw.client, s.schedule_id, &err), TEMPORAL_ENOT_FOUND);
    ts_worker_stop(&tw);
}

static void cron(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sched-cron", -1, register_all);
    char id[160];
    snprintf(id, sizeof(id), "%s-cron", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "CronWorkflow";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    so.cron_schedule = "@every 2s";
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, NULL, &err), err);
    /* At least two runs complete, one after the other; every other run is the next one. */
    int completed = 0, other = 0;
    for (int round = 0; round < 60 && completed < 2; round++, ts_sleep_ms(500)) {
        json_t *runs = ts_cli_json("workflow list -q \"WorkflowId='%s'\"", id);
        completed = other = 0;
        size_t i;
        json_t *run;
        json_array_foreach(runs, i, run) {
            const char *status = json_string_value(json_object_get(run, "status"));
            if (status != NULL && strcmp(status, "WORKFLOW_EXECUTION_STATUS_COMPLETED") == 0)
                completed++;
            else if (status == NULL || strcmp(status, "WORKFLOW_EXECUTION_STATUS_RUNNING") != 0)
                other++;
        }
        json_decref(runs);
    }
    assert_true(completed >= 2);
    assert_int_equal(other, 0);
    TS_OK(temporal_client_terminate_workflow(tw.client, id, NULL, "cron test done", &err), err);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(basic),     cmocka_unit_test(backfill),        cmocka_unit_test(trigger),
    cmocka_unit_test(pause),     cmocka_unit_test(duplicate_error), cmocka_unit_test(cron),
};
TS_MAIN(tests)
