/*
 * The tracing core (src/trace.c): `_tracer-data` headers as the other SDKs write them,
 * traceparent and X-Ray parsing, ids derived from a run, parentage and sampling, and the
 * bounded queue of finished spans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"
#include "trace_int.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* A Header message with one `_tracer-data` payload of |encoding| and |json|. */
struct header_fixture {
    Temporal__Api__Common__V1__Header h;
    Temporal__Api__Common__V1__Header__FieldsEntry e, *ep[1];
    Temporal__Api__Common__V1__Payload p;
    Temporal__Api__Common__V1__Payload__MetadataEntry m, *mp[1];
};

static Temporal__Api__Common__V1__Header *header_of(struct header_fixture *f, const char *encoding,
                                                    const char *json)
{
    Temporal__Api__Common__V1__Payload__MetadataEntry m =
        TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    m.key = "encoding";
    m.value.data = (uint8_t *)encoding;
    m.value.len = strlen(encoding);
    f->m = m;
    f->mp[0] = &f->m;
    Temporal__Api__Common__V1__Payload p = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    p.n_metadata = 1;
    p.metadata = f->mp;
    p.data.data = (uint8_t *)json;
    p.data.len = strlen(json);
    f->p = p;
    Temporal__Api__Common__V1__Header__FieldsEntry e =
        TEMPORAL__API__COMMON__V1__HEADER__FIELDS_ENTRY__INIT;
    e.key = "_tracer-data";
    e.value = &f->p;
    f->e = e;
    f->ep[0] = &f->e;
    Temporal__Api__Common__V1__Header h = TEMPORAL__API__COMMON__V1__HEADER__INIT;
    h.n_fields = 1;
    h.fields = f->ep;
    f->h = h;
    return &f->h;
}

static void header_round_trip(void **state)
{
    (void)state;
    struct header_fixture f;
    struct temporal__trace_ctx c = {0};
    /* As the Python and Go interceptors write it: W3C traceparent plus other keys. */
    const char *in = "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\","
                     "\"tracestate\":\"vendor=x\",\"baggage\":\"k=v\"}";
    assert_true(temporal__trace_ctx_from_header(header_of(&f, "json/plain", in), &c));
    char buf[40];
    hex(c.trace_id, 16, buf);
    assert_string_equal(buf, "4bf92f3577b34da6a3ce929d0e0e4736");
    hex(c.span_id, 8, buf);
    assert_string_equal(buf, "00f067aa0ba902b7");
    assert_int_equal(c.flags, 1);
    assert_non_null(c.extra);

    /* Written back: the same traceparent and the other keys passed on. */
    struct temporal__trace_header out = {0};
    Temporal__Api__Common__V1__Header *msg = temporal__trace_header_set(&out, &c, NULL);
    assert_non_null(msg);
    assert_int_equal(msg->n_fields, 1);
    assert_string_equal(msg->fields[0]->key, "_tracer-data");
    assert_string_equal(msg->fields[0]->value->metadata[0]->key, "encoding");
    json_t *j = json_loadb((const char *)msg->fields[0]->value->data.data,
                           msg->fields[0]->value->data.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "traceparent")),
                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assert_string_equal(json_string_value(json_object_get(j, "tracestate")), "vendor=x");
    assert_string_equal(json_string_value(json_object_get(j, "baggage")), "k=v");
    json_decref(j);
    temporal__trace_header_clear(&out);
    temporal__trace_ctx_clear(&c);
}

static void bad_headers_ignored(void **state)
{
    (void)state;
    struct header_fixture f;
    struct temporal__trace_ctx c = {0};
    const char *bad[] = {
        "{}",
        "not json",
        "[\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"]",
        "{\"traceparent\":\"00-00000000000000000000000000000000-00f067aa0ba902b7-01\"}",
        "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01\"}",
        "{\"traceparent\":\"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}",
        "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01\"}",
        "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x\"}",
        "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01\"}",
        "{\"uber-trace-id\":\"4bf92f3577b34da6:00f067aa0ba902b7:0:1\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(temporal__trace_ctx_from_header(header_of(&f, "json/plain", bad[i]), &c));
        assert_false(c.valid);
    }
    /* Not json/plain. */
    assert_false(temporal__trace_ctx_from_header(
        header_of(&f, "binary/plain",
                  "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}"),
        &c));
    assert_false(temporal__trace_ctx_from_header(NULL, &c));
    /* A later version with more parts is read (W3C forward compatibility). */
    assert_true(temporal__trace_ctx_from_header(
        header_of(&f, "json/plain",
                  "{\"traceparent\":\"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz\"}"),
        &c));
    temporal__trace_ctx_clear(&c);
}

static void run_ids_are_stable(void **state)
{
    (void)state;
    struct temporal__trace_ctx a = {0}, b = {0}, other = {0};
    temporal__trace_ctx_for_run("run-1", 1760000000, &a);
    temporal__trace_ctx_for_run("run-1", 1760000000, &b);
    temporal__trace_ctx_for_run("run-2", 1760000000, &other);
    assert_true(a.valid);
    assert_memory_equal(a.trace_id, b.trace_id, 16);
    assert_memory_not_equal(a.trace_id, other.trace_id, 16);
    char buf[40];
    hex(a.trace_id, 4, buf);
    assert_string_equal(buf, "68e77800"); /* 1760000000: X-Ray's time prefix */
    uint8_t s1[8], s2[8], s3[8];
    temporal__trace_span_id_for("run-1", "RunWorkflow", s1);
    temporal__trace_span_id_for("run-1", "RunWorkflow", s2);
    temporal__trace_span_id_for("run-1", "Other", s3);
    assert_memory_equal(s1, s2, 8);
    assert_memory_not_equal(s1, s3, 8);

    /* RunWorkflow under a run context is the root of that trace, with the fixed id. */
    struct temporal_tracer *t = NULL;
    assert_int_equal(temporal_tracer_new(&t, NULL, NULL), 0);
    struct temporal__trace_ctx out = {0};
    const char *attrs[] = {"temporalRunID", "run-1", NULL};
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunWorkflow", "Wf", &a, s1, 0, attrs, NULL,
                          &out);
    assert_memory_equal(out.trace_id, a.trace_id, 16);
    assert_memory_equal(out.span_id, s1, 8);
    struct temporal__finished_span *list = temporal__tracer_take(t);
    assert_non_null(list);
    assert_null(list->next);
    assert_string_equal(list->name, "RunWorkflow:Wf");
    assert_false(list->has_parent);
    assert_false(list->has_link);
    assert_int_equal(list->attr_count, 1);
    temporal__finished_spans_free(list);
    temporal__trace_ctx_clear(&out);
    temporal_tracer_free(t);
}

static void default_parent_and_sampling(void **state)
{
    (void)state;
    struct temporal_tracer *t = NULL;
    assert_int_equal(temporal_tracer_new(&t, NULL, NULL), 0);
    struct temporal__trace_ctx out = {0};
    char buf[40];

    /* No parent anywhere: a new trace whose first 4 bytes are now, in seconds (the clock's
     * seconds read just before and just after bracket them). */
    struct timespec before, after;
    clock_gettime(CLOCK_REALTIME, &before);
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunActivity", "a", NULL, NULL, 0, NULL, NULL,
                          &out);
    clock_gettime(CLOCK_REALTIME, &after);
    uint32_t secs = (uint32_t)out.trace_id[0] << 24 | (uint32_t)out.trace_id[1] << 16 |
                    (uint32_t)out.trace_id[2] << 8 | out.trace_id[3];
    assert_in_range(secs, (uint32_t)before.tv_sec, (uint32_t)after.tv_sec);

    /* Lambda's X-Ray header as the default parent. */
    assert_int_equal(temporal_tracer_set_default_parent(
                         t, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
                     0);
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunActivity", "a", NULL, NULL, 0, NULL, NULL,
                          &out);
    hex(out.trace_id, 16, buf);
    assert_string_equal(buf, "5759e988bd862e3fe1be46a994272793");
    /* A run's own trace is linked, not parented, to it. */
    struct temporal__trace_ctx run = {0};
    temporal__trace_ctx_for_run("run-1", 1760000000, &run);
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunWorkflow", "w", &run, NULL, 0, NULL, NULL,
                          NULL);
    struct temporal__finished_span *list = temporal__tracer_take(t);
    assert_non_null(list);
    assert_non_null(list->next);
    assert_non_null(list->next->next);
    struct temporal__finished_span *act = list->next, *wf = list->next->next;
    assert_true(act->has_parent);
    hex(act->parent_span_id, 8, buf);
    assert_string_equal(buf, "53995c3f42cd8ad8");
    assert_false(wf->has_parent);
    assert_true(wf->has_link);
    hex(wf->link_span_id, 8, buf);
    assert_string_equal(buf, "53995c3f42cd8ad8");
    temporal__finished_spans_free(list);

    /* Unsampled X-Ray (no active tracing): ignored, not a reason to drop spans. */
    assert_int_equal(temporal_tracer_set_default_parent(
                         t, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"),
                     0);
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunActivity", "a", NULL, NULL, 0, NULL, NULL,
                          &out);
    hex(out.trace_id, 16, buf);
    assert_string_not_equal(buf, "5759e988bd862e3fe1be46a994272793");
    assert_int_equal(temporal_tracer_queued(t), 1);
    temporal__finished_spans_free(temporal__tracer_take(t));
    assert_int_equal(temporal_tracer_set_default_parent(t, "Root=1-5759e988"), TEMPORAL_EINVAL);
    assert_int_equal(temporal_tracer_set_default_parent(t, NULL), 0);

    /* A parent whose sampled flag is clear: propagated, not recorded. */
    struct header_fixture f;
    struct temporal__trace_ctx unsampled = {0};
    assert_true(temporal__trace_ctx_from_header(
        header_of(&f, "json/plain",
                  "{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\"}"),
        &unsampled));
    temporal__span_record(t, TEMPORAL__SPAN_SERVER, "RunActivity", "a", &unsampled, NULL, 0, NULL,
                          NULL, &out);
    assert_int_equal(temporal_tracer_queued(t), 0);
    assert_true(out.valid);
    hex(out.trace_id, 16, buf);
    assert_string_equal(buf, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_int_equal(out.flags, 0);

    /* No tracer: nothing recorded, the context still derived. */
    temporal__span_record(NULL, TEMPORAL__SPAN_CLIENT, "StartActivity", "a", &unsampled, NULL, 0,
                          NULL, NULL, &out);
    assert_true(out.valid);
    temporal__trace_ctx_clear(&unsampled);
    temporal__trace_ctx_clear(&run);
    temporal__trace_ctx_clear(&out);
    temporal_tracer_free(t);
}

static void queue_is_bounded(void **state)
{
    (void)state;
    struct temporal_tracer_options o = TEMPORAL_TRACER_OPTIONS_INIT;
    o.max_queued_spans = 3;
    struct temporal_tracer *t = NULL;
    assert_int_equal(temporal_tracer_new(&t, &o, NULL), 0);
    for (int i = 0; i < 5; i++) {
        struct temporal__span *s =
            temporal__span_start(t, TEMPORAL__SPAN_INTERNAL, "S", "x", NULL, NULL, 0, NULL);
        temporal__span_attr(s, "i", i % 2 ? "odd" : "even");
        temporal__span_error(s, "Err", "boom");
        temporal__span_end(t, s, 0);
    }
    assert_int_equal(temporal_tracer_queued(t), 3);
    assert_int_equal(temporal_tracer_dropped(t), 2);
    /* An export that failed gives its spans back; over the bound the oldest go. */
    struct temporal__finished_span *list = temporal__tracer_take(t);
    assert_int_equal(temporal_tracer_queued(t), 0);
    struct temporal__span *s =
        temporal__span_start(t, TEMPORAL__SPAN_INTERNAL, "S", "newer", NULL, NULL, 0, NULL);
    temporal__span_end(t, s, 0);
    temporal__tracer_give_back(t, list);
    assert_int_equal(temporal_tracer_queued(t), 3);
    assert_int_equal(temporal_tracer_dropped(t), 3);
    list = temporal__tracer_take(t);
    assert_string_equal(list->next->next->name, "S:newer");
    assert_true(list->error);
    assert_string_equal(list->error_message, "boom");
    temporal__finished_spans_free(list);
    temporal_tracer_free(t);
}

static void text_is_capped_and_valid(void **state)
{
    (void)state;
    struct temporal_tracer *t = NULL;
    assert_int_equal(temporal_tracer_new(&t, NULL, NULL), 0);
    struct temporal__span *s =
        temporal__span_start(t, TEMPORAL__SPAN_SERVER, "RunActivity", "bad\xff\xc3", NULL, NULL, 0, NULL);
    char *long_value = malloc(10000);
    assert_non_null(long_value);
    /* 9999 bytes of two-byte characters: the cut must not split one. */
    for (int i = 0; i < 9998; i += 2)
        long_value[i] = (char)0xc3, long_value[i + 1] = (char)0xa9;
    long_value[9998] = 'x';
    long_value[9999] = '\0';
    temporal__span_attr(s, "k", long_value);
    temporal__span_error(s, "E", "\xed\xa0\x80 surrogate");
    temporal__span_end(t, s, 0);
    struct temporal__finished_span *f = temporal__tracer_take(t);
    assert_string_equal(f->name, "RunActivity:bad??");
    assert_int_equal(strlen(f->attr_values[0]), 4096);
    assert_int_equal((unsigned char)f->attr_values[0][4095], 0xa9);
    assert_string_equal(f->error_message, "??? surrogate");
    temporal__finished_spans_free(f);
    free(long_value);
    temporal_tracer_free(t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(header_round_trip),
    cmocka_unit_test(bad_headers_ignored),
    cmocka_unit_test(run_ids_are_stable),
    cmocka_unit_test(default_parent_and_sampling),
    cmocka_unit_test(queue_is_bounded),
    cmocka_unit_test(text_is_capped_and_valid),
};

TS_MAIN(tests)
