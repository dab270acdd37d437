/*
 * temporalio/features reset/: reset_and_delete.  A workflow driven by signals is reset to an
 * earlier workflow task; the new run goes on and completes; it is then deleted, and the
 * original run is left terminated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

struct drive {
    int received;
    bool finish;
};

static void on_drive(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args, void *arg)
{
    (void)ctx;
    struct drive *d = arg;
    char *s = NULL;
    if (args->count > 0 && temporal_payload_get_string(&args->items[0], &s) == 0 && s[0] != '\0')
        d->finish = true;
    temporal_free(s);
    d->received++;
}

static bool finished(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct drive *)arg)->finish;
}

/* Takes "drivesignal" signals until one is not empty; returns "". */
static int drive_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    (void)in;
    struct drive *d = temporal_workflow_alloc(ctx, sizeof(*d));
    temporal_workflow_on_signal(ctx, "drivesignal", on_drive, d);
    int rc = temporal_workflow_wait_condition(ctx, finished, d);
    return rc ? rc : temporal_payloads_add_string(out, "");
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "DriveWorkflow", drive_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

static void signal_text(struct ts_worker *tw, const char *id, const char *run_id, const char *text)
{
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_string(&args, text);
    struct temporal_error err;
    TS_OK(temporal_client_signal_workflow(tw->client, id, run_id, "drivesignal", &args, &err), err);
    temporal_payloads_cleanup(&args);
}

#define EV_WFT_COMPLETED 7
#define EV_SIGNALED 26

static void reset_and_delete(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-reset", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "DriveWorkflow", NULL, id, sizeof(id));
    struct temporal_workflow_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_workflow(tw.client, id, NULL, &d, &err), err);
    char *original = strdup(d.run_id);
    temporal_workflow_description_cleanup(&d);
    for (int i = 0; i < 5; i++)
        signal_text(&tw, id, NULL, "");
    /* Wait until the signals are in history and handled; find the 2nd WorkflowTaskCompleted. */
    int64_t second_completed = 0;
    for (int round = 0; round < 200 && second_completed == 0; round++) {
        struct temporal_history h;
        TS_OK(temporal_client_fetch_history(tw.client, id, original, &h, &err), err);
        int signals = 0, completed = 0;
        int64_t at = 0;
        for (size_t i = 0; i < h.count; i++) {
            signals += h.events[i].event_type == EV_SIGNALED;
            if (h.events[i].event_type == EV_WFT_COMPLETED && ++completed == 2)
                at = h.events[i].event_id;
        }
        /* All signals handled: the last event is a completed workflow task. */
        if (signals == 5 && h.count > 0 && h.events[h.count - 1].event_type == EV_WFT_COMPLETED)
            second_completed = at;
        temporal_history_cleanup(&h);
        if (second_completed == 0)
            ts_sleep_ms(50);
    }
    assert_true(second_completed > 0);
    char *new_run = NULL;
    TS_OK(temporal_client_reset_workflow(tw.client, id, original, second_completed,
                                         "because I feel like it", &new_run, &err),
          err);
    assert_string_not_equal(new_run, original);
    signal_text(&tw, id, new_run, "");
    signal_text(&tw, id, new_run, "finish");
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, new_run, 60000, &res, &err), err);
    temporal_payloads_cleanup(&res);
    /* Delete the new run (retried while its state settles), until describe says it is gone. */
    int rc = -1;
    for (int round = 0; round < 60 && rc != 0; round++) {
        rc = temporal_client_delete_workflow(tw.client, id, new_run, &err);
        if (rc != 0)
            ts_sleep_ms(1000);
    }
    TS_OK(rc, err);
    for (int round = 0; round < 180; round++) {
        rc = temporal_client_describe_workflow(tw.client, id, new_run, &d, &err);
        if (rc == 0)
            temporal_workflow_description_cleanup(&d);
        if (rc == TEMPORAL_ENOT_FOUND)
            break;
        ts_sleep_ms(1000);
    }
    assert_int_equal(rc, TEMPORAL_ENOT_FOUND);
    /* The original run was terminated by the reset. */
    TS_OK(temporal_client_describe_workflow(tw.client, id, original, &d, &err), err);
    assert_int_equal(d.status, TEMPORAL_WORKFLOW_STATUS_TERMINATED);
    temporal_workflow_description_cleanup(&d);
    temporal_free(new_run);
    free(original);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(reset_and_delete),
};
TS_MAIN(tests)
