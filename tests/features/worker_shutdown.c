/*
 * temporalio/features worker_shutdown/: poll_complete_on_shutdown, against the dev server.
 *
 * Adaptations:
 *  - Only the "cancel-worker-polls-enabled" variant: the harness dev server runs with
 *    frontend.enableCancelWorkerPollsOnShutdown=true.  Upstream reads the namespace
 *    capability from FEATURE_NAMESPACE_CAPABILITIES; here the test reads
 *    capabilities.workerPollCompleteOnShutdown from `temporal operator namespace describe`
 *    and requires it to be true.
 *  - Upstream asserts the stop took at most 5 s; no wall-clock assertion here: the test
 *    checks only that the worker stopped cleanly and that no workflow task failed or timed
 *    out (nothing was lost or left waiting in a queue nobody polls).
 *  - Workflow ids are "<task queue>-<n>" rather than "<dir>-<uuid>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define WORKFLOW_COUNT 5

static int noop_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                         struct temporal_payloads *out, void *ud)
{
    (void)ctx, (void)in, (void)out, (void)ud;
    return 0;
}

/* Loops forever: sleep 20 ms, then NoopActivity. */
static int looping_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                            struct temporal_payloads *out)
{
    (void)in, (void)out;
    struct temporal_retry_policy rp = { .maximum_attempts = 1 };
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.schedule_to_close_timeout_ms = 10000;
    o.start_to_close_timeout_ms = 5000;
    o.retry_policy = &rp;
    for (;;) {
        int rc = temporal_workflow_sleep(ctx, 20);
        if (rc != 0)
            return rc;
        struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
        rc = temporal_workflow_execute_activity(ctx, "NoopActivity", NULL, &o, &res);
        temporal_payloads_cleanup(&res);
        if (rc != 0)
            return rc;
    }
}

/* Whether |id|'s history has an event named |name|; |problem| receives the first
 * WorkflowTaskFailed / WorkflowTaskTimedOut event's name, if any. */
static bool history_has(struct temporal_client *c, const char *id, const char *name,
                        const char **problem)
{
    struct temporal_history h;
    memset(&h, 0, sizeof(h));
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(c, id, NULL, &h, &err), err);
    bool found = false;
    for (size_t i = 0; i < h.count; i++) {
        const char *n = h.events[i].event_type_name;
        if (name != NULL && strcmp(n, name) == 0)
            found = true;
        if (problem != NULL && *problem == NULL &&
            (strcmp(n, "EVENT_TYPE_WORKFLOW_TASK_FAILED") == 0 ||
             strcmp(n, "EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT") == 0))
            *problem = n;
    }
    temporal_history_cleanup(&h);
    return found;
}

static void poll_complete_on_shutdown(void **state)
{
    (void)state;
    struct ts_worker tw;
    memset(&tw, 0, sizeof(tw));
    tw.client = ts_connect();
    /* The namespace capability this variant expects. */
    json_t *ns = ts_cli_json("operator namespace describe -n %s", temporal_client_namespace(tw.client));
    assert_non_null(ns);
    json_t *cap = json_object_get(json_object_get(json_object_get(ns, "namespaceInfo"),
                                                  "capabilities"),
                                  "workerPollCompleteOnShutdown");
    bool capability = json_is_true(cap);
    json_decref(ns);
    if (!capability) {
        temporal_client_free(tw.client);
        fail_msg("namespace capability workerPollCompleteOnShutdown is not true: the harness "
                 "should run the server with frontend.enableCancelWorkerPollsOnShutdown=true");
    }

    ts_unique(tw.task_queue, sizeof(tw.task_queue), "poll-complete-on-shutdown");
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw.task_queue;
    o.graceful_shutdown_timeout_ms = 10000;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw.worker, tw.client, &o, &err), err);
    assert_int_equal(temporal_worker_register_workflow(tw.worker, "Workflow", looping_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(tw.worker, "NoopActivity", noop_activity,
                                                       NULL),
                     0);
    ts_worker_run(&tw);

    char ids[WORKFLOW_COUNT][160];
    for (int i = 0; i < WORKFLOW_COUNT; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%s-%d", tw.task_queue, i);
        struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
        so.workflow_id = ids[i];
        so.workflow_type = "Workflow";
        so.task_queue = tw.task_queue;
        so.execution_timeout_ms = 60000;
        so.task_timeout_ms = 5000;
        TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, NULL, &err), err);
    }

    /* Each workflow has scheduled an activity (the worker is busy with all of them). */
    for (int i = 0; i < WORKFLOW_COUNT; i++) {
        bool scheduled = false;
        for (int n = 0; n < 200 && !scheduled; n++) {
            scheduled = history_has(tw.client, ids[i], "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", NULL);
            if (!scheduled)
                ts_sleep_ms(50);
        }
        if (!scheduled)
            fail_msg("%s scheduled no activity", ids[i]);
    }

    /* Stop the worker; it must shut down cleanly. */
    temporal_worker_stop(tw.worker);
    pthread_join(tw.thread, NULL);
    TS_OK(tw.rc, tw.err);

    /* With poll-complete-on-shutdown, no workflow task failed or timed out. */
    const char *problem = NULL;
    int bad = -1;
    for (int i = 0; i < WORKFLOW_COUNT && problem == NULL; i++) {
        history_has(tw.client, ids[i], NULL, &problem);
        if (problem != NULL)
            bad = i;
    }

    for (int i = 0; i < WORKFLOW_COUNT; i++)
        TS_OK(temporal_client_terminate_workflow(tw.client, ids[i], NULL, "feature cleanup", &err),
              err);
    temporal_worker_free(tw.worker);
    temporal_client_free(tw.client);
    if (problem != NULL)
        fail_msg("unexpected workflow task problem in %s: %s", ids[bad], problem);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(poll_complete_on_shutdown),
};
TS_MAIN(tests)
