/*
 * temporalio/features search_attributes/: set (start with search attributes, read them in
 * the workflow and through describe) and upsert (change and remove them from the
 * workflow).  The dev server has the Custom*Field attributes registered (harness.sh).
 */
#include <stdio.h>
#include <string.h>

#include "support.h"

static const char *const names[] = { "CustomKeywordField", "CustomIntField", "CustomBoolField",
                                     "CustomDatetimeField", "CustomTextField", "CustomDoubleField" };

/* Appends the workflow's view of the attributes as one JSON object. */
static int report_attributes(struct temporal_workflow_ctx *ctx, struct temporal_payloads *out)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct temporal_payload *v = temporal_workflow_search_attribute(ctx, names[i]);
        if (v != NULL)
            json_object_set_new(o, names[i], json_loadb((const char *)v->data, v->data_len,
                                                        JSON_DECODE_ANY, NULL));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = temporal_payloads_add_json(out, text, strlen(text));
    free(text);
    json_decref(o);
    return rc;
}

static int set_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                        struct temporal_payloads *out)
{
    (void)in;
    return report_attributes(ctx, out);
}

static int upsert_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in;
    struct temporal_payloads v = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&v, "123", 3);
    temporal_payloads_add_json(&v, "true", 4);
    temporal_payloads_add_json(&v, "\"durable code\"", 14);
    temporal_payloads_add_json(&v, "\"is useful\"", 11);
    temporal_payloads_add_json(&v, "\"2024-01-02T03:04:05Z\"", 22);
    temporal_payloads_add_json(&v, "3.14", 4);
    struct temporal_named_payload first[] = { { "CustomIntField", &v.items[0] },
                                              { "CustomBoolField", &v.items[1] } };
    int rc = temporal_workflow_upsert_search_attributes(ctx, first, 2);
    /* A timer between the upserts: the second is made in a later task. */
    if (rc == 0)
        rc = temporal_workflow_sleep(ctx, 10);
    struct temporal_named_payload second[] = { { "CustomIntField", NULL },
                                               { "CustomKeywordField", &v.items[2] },
                                               { "CustomTextField", &v.items[3] },
                                               { "CustomDatetimeField", &v.items[4] },
                                               { "CustomDoubleField", &v.items[5] } };
    if (rc == 0)
        rc = temporal_workflow_upsert_search_attributes(ctx, second, 5);
    if (rc == 0)
        rc = report_attributes(ctx, out);
    temporal_payloads_cleanup(&v);
    return rc;
}

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "SetWorkflow", set_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "UpsertWorkflow", upsert_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
}

/* The attributes describe reports, as the same JSON object the workflow reports.  Visibility
 * is eventually consistent: describe reads the run's own record, which is current. */
static char *described_attributes(struct ts_worker *tw, const char *id)
{
    struct temporal_workflow_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_workflow(tw->client, id, NULL, &d, &err), err);
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct temporal_payload *v = temporal_named_payloads_get(&d.search_attributes, names[i]);
        if (v != NULL)
            json_object_set_new(o, names[i], json_loadb((const char *)v->data, v->data_len,
                                                        JSON_DECODE_ANY, NULL));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    temporal_workflow_description_cleanup(&d);
    return text;
}

static char *result_text(struct ts_worker *tw, const char *id)
{
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    TS_OK(ts_feature_result(tw, id, &res, &err), err);
    char *text = strndup((const char *)res.items[0].data, res.items[0].data_len);
    temporal_payloads_cleanup(&res);
    return text;
}

static void set(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sa-set", -1, register_all);
    struct temporal_payloads v = TEMPORAL_PAYLOADS_INIT;
    temporal_payloads_add_json(&v, "\"test-value\"", 12);
    temporal_payloads_add_json(&v, "1", 1);
    temporal_payloads_add_json(&v, "true", 4);
    temporal_payloads_add_json(&v, "\"2024-01-02T03:04:05Z\"", 22);
    struct temporal_named_payload sa[] = { { "CustomKeywordField", &v.items[0] },
                                           { "CustomIntField", &v.items[1] },
                                           { "CustomBoolField", &v.items[2] },
                                           { "CustomDatetimeField", &v.items[3] } };
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "SetWorkflow";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    so.search_attributes = sa;
    so.search_attributes_count = 4;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, NULL, &err), err);
    char *seen = result_text(&tw, id);
    char *described = described_attributes(&tw, id);
    print_message("workflow saw %s, describe shows %s\n", seen, described);
    assert_string_equal(seen, "{\"CustomBoolField\":true,\"CustomDatetimeField\":\"2024-01-02T03:04:05Z\","
                              "\"CustomIntField\":1,\"CustomKeywordField\":\"test-value\"}");
    assert_string_equal(described, seen);
    free(seen);
    free(described);
    temporal_payloads_cleanup(&v);
    ts_worker_stop(&tw);
}

static void upsert(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "feat-sa-upsert", 0, register_all); /* no cache: replays the upserts */
    char id[160];
    ts_feature_start(&tw, "UpsertWorkflow", NULL, id, sizeof(id));
    char *seen = result_text(&tw, id);
    char *described = described_attributes(&tw, id);
    print_message("workflow saw %s, describe shows %s\n", seen, described);
    assert_string_equal(seen, "{\"CustomBoolField\":true,\"CustomDatetimeField\":\"2024-01-02T03:04:05Z\","
                              "\"CustomDoubleField\":3.1400000000000001,\"CustomKeywordField\":"
                              "\"durable code\",\"CustomTextField\":\"is useful\"}");
    assert_string_equal(described, seen);
    free(seen);
    free(described);
    ts_worker_stop(&tw);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(set),
    cmocka_unit_test(upsert),
};
TS_MAIN(tests)
