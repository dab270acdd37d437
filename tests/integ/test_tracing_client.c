/*
 * Tracing of the client and the activity worker against the real dev server: the client's
 * spans (StartWorkflow, SignalWithStartWorkflow, SignalWorkflow, QueryWorkflow,
 * StartWorkflowUpdate) and the `_tracer-data` headers they put in their requests, read back
 * from the workflow's history as the server stored them; and the RunActivity span of an
 * activity a C worker runs.  Spans are read from the tracer's queue (temporal__tracer_take).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "support.h"
#include "trace_int.h"

typedef Temporal__Api__History__V1__HistoryEvent history_event;
typedef Temporal__Api__Common__V1__Header header_msg;

/* Hex of |n| bytes into |out| (2n + 1 chars). */
static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/*
 * Checks that |h| carries a `_tracer-data` header as the other SDKs write it: one json/plain
 * payload holding a JSON object whose "traceparent" is "00-<32 hex>-<16 hex>-01".  Returns
 * the trace id and span id (hex) in |trace_id| and |span_id|.
 */
static void check_tracer_header(const header_msg *h, char trace_id[33], char span_id[17])
{
    assert_non_null(h);
    const Temporal__Api__Common__V1__Payload *p = NULL;
    for (size_t i = 0; i < h->n_fields; i++)
        if (strcmp(h->fields[i]->key, "_tracer-data") == 0)
            p = h->fields[i]->value;
    assert_non_null(p);
    bool json_plain = false;
    for (size_t i = 0; i < p->n_metadata; i++)
        if (strcmp(p->metadata[i]->key, "encoding") == 0)
            json_plain = p->metadata[i]->value.len == 10 &&
                         memcmp(p->metadata[i]->value.data, "json/plain", 10) == 0;
    assert_true(json_plain);
    json_error_t jerr;
    json_t *obj = json_loadb((const char *)p->data.data, p->data.len, 0, &jerr);
    assert_true(json_is_object(obj));
    const char *tp = json_string_value(json_object_get(obj, "traceparent"));
    assert_non_null(tp);
    assert_int_equal(strlen(tp), 55);
    assert_memory_equal(tp, "00-", 3);
    assert_true(is_lower_hex(tp + 3, 32));
    assert_int_equal(tp[35], '-');
    assert_true(is_lower_hex(tp + 36, 16));
    assert_string_equal(tp + 52, "-01");
    memcpy(trace_id, tp + 3, 32);
    trace_id[32] = '\0';
    memcpy(span_id, tp + 36, 16);
    span_id[16] = '\0';
    json_decref(obj);
}

/* The history of workflow |id| (latest run), decoded.  Free with ..._free_unpacked(). */
static Temporal__Api__History__V1__History *history_of(struct temporal_client *c, const char *id)
{
    struct temporal_history h;
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(c, id, NULL, &h, &err), err);
    Temporal__Api__History__V1__History *hist =
        temporal__api__history__v1__history__unpack(NULL, h.serialized_len, h.serialized);
    assert_non_null(hist);
    temporal_history_cleanup(&h);
    return hist;
}

/* The first event of |hist| whose attributes are |attrs_case|, or NULL. */
static const history_event *find_event(const Temporal__Api__History__V1__History *hist,
                                       Temporal__Api__History__V1__HistoryEvent__AttributesCase attrs_case)
{
    for (size_t i = 0; i < hist->n_events; i++)
        if (hist->events[i]->attributes_case == attrs_case)
            return hist->events[i];
    return NULL;
}

#define EVENT(name) TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_##name##_EVENT_ATTRIBUTES

/* Spans --------------------------------------------------------------------------------------- */

/* Every span the tracer has queued so far, appended to |*all| (oldest first). */
static void take_spans(struct temporal_tracer *t, struct temporal__finished_span **all)
{
    struct temporal__finished_span **tail = all;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = temporal__tracer_take(t);
}

static const char *span_attr(const struct temporal__finished_span *s, const char *key)
{
    for (size_t i = 0; i < s->attr_count; i++)
        if (strcmp(s->attr_keys[i], key) == 0)
            return s->attr_values[i];
    return NULL;
}

/* The first span |name| of workflow |workflow_id|, or NULL. */
static const struct temporal__finished_span *find_span(const struct temporal__finished_span *list,
                                                       const char *name, const char *workflow_id)
{
    for (const struct temporal__finished_span *s = list; s; s = s->next) {
        const char *wf = span_attr(s, "temporalWorkflowID");
        if (strcmp(s->name, name) == 0 && wf != NULL && strcmp(wf, workflow_id) == 0)
            return s;
    }
    return NULL;
}

/* Checks the CLIENT span |name| of workflow |workflow_id|; returns it. */
static const struct temporal__finished_span *
check_client_span(const struct temporal__finished_span *list, const char *name,
                  const char *workflow_id, bool error)
{
    const struct temporal__finished_span *s = find_span(list, name, workflow_id);
    if (s == NULL)
        fail_msg("no span %s", name);
    assert_int_equal(s->kind, TEMPORAL__SPAN_CLIENT);
    assert_string_equal(span_attr(s, "temporalWorkflowID"), workflow_id);
    assert_false(s->has_parent); /* no default parent in these tests */
    assert_true(s->start_unix_ns > 0);
    assert_true(s->end_unix_ns >= s->start_unix_ns);
    assert_int_equal(s->error, error);
    return s;
}

/* The span's context is the one |h| carries. */
static void check_header_is_span(const header_msg *h, const struct temporal__finished_span *s)
{
    char trace_id[33], span_id[17], want_trace[33], want_span[17];
    check_tracer_header(h, trace_id, span_id);
    hex(s->trace_id, 16, want_trace);
    hex(s->span_id, 8, want_span);
    assert_string_equal(trace_id, want_trace);
    assert_string_equal(span_id, want_span);
}

/* Activity "block": heartbeats until cancelled (it says when it runs in |*ud|, an int). */
static int block_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out, void *ud)
{
    (void)in, (void)out;
    __atomic_store_n((int *)ud, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        int rc = temporal_activity_heartbeat(ctx, NULL);
        if (rc != 0)
            return rc;
        ts_sleep_ms(20);
    }
}

static int block_started;

/* Workflow "TracingBlock": runs activity "block". */
static int block_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 60000;
    return temporal_workflow_execute_activity(ctx, "block", in, &o, out);
}

/* Every workflow and activity of these cases, on every worker. */
static int driven_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out);

static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "TracingHello", ts_hello_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "TracingBlock", block_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "TracingDriven", driven_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "hello", ts_hello_activity, NULL), 0);
    assert_int_equal(temporal_worker_register_activity(w, "block", block_activity, &block_started),
                     0);
}

static struct temporal_tracer *new_tracer(void)
{
    struct temporal_tracer *t = NULL;
    struct temporal_tracer_options to = TEMPORAL_TRACER_OPTIONS_INIT;
    struct temporal_error err;
    TS_OK(temporal_tracer_new(&t, &to, &err), err);
    return t;
}

/* Cases --------------------------------------------------------------------------------------- */

/* StartWorkflow's context reaches the workflow's first event; the activity the workflow
 * runs has its RunActivity span. */
static void start_header_and_run_activity(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = new_tracer();
    struct ts_worker tw;
    ts_feature_worker_traced(&tw, tracer, "tracing-tq", -1, register_all);

    char id[160];
    ts_unique(id, sizeof(id), "tracing-hello");
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "TracingHello";
    o.task_queue = tw.task_queue;
    o.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&args, "Tracer"), 0);
    struct temporal_error err;
    char *run_id = NULL;
    time_t before = time(NULL);
    TS_OK(temporal_client_start_workflow(tw.client, &o, &args, &run_id, &err), err);
    time_t after = time(NULL);
    temporal_payloads_cleanup(&args);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 60000, &result, &err), err);
    char text[64];
    ts_json_str(&result, 0, text, sizeof(text));
    assert_string_equal(text, "Hello, Tracer!");
    temporal_payloads_cleanup(&result);

    /* The started event carries the header; its trace id starts with the Unix time (X-Ray
     * compatible): between the clock readings around the call. */
    Temporal__Api__History__V1__History *hist = history_of(tw.client, id);
    const history_event *started = find_event(hist, EVENT(WORKFLOW_EXECUTION_STARTED));
    assert_non_null(started);
    char trace_id[33], span_id[17];
    check_tracer_header(started->workflow_execution_started_event_attributes->header, trace_id,
                        span_id);
    char secs_hex[9];
    memcpy(secs_hex, trace_id, 8);
    secs_hex[8] = '\0';
    long long secs = strtoll(secs_hex, NULL, 16);
    assert_true(secs >= (long long)before && secs <= (long long)after);

    ts_worker_stop(&tw);
    struct temporal__finished_span *spans = NULL;
    take_spans(tracer, &spans);
    const struct temporal__finished_span *start =
        check_client_span(spans, "StartWorkflow:TracingHello", id, false);
    check_header_is_span(started->workflow_execution_started_event_attributes->header, start);

    /* The activity's span: a child of the workflow's StartActivity span, whose context the
     * scheduled event carries (the worker traces its workflows too). */
    const struct temporal__finished_span *run = find_span(spans, "RunActivity:hello", id);
    assert_non_null(run);
    assert_int_equal(run->kind, TEMPORAL__SPAN_SERVER);
    assert_false(run->error);
    assert_true(run->start_unix_ns > 0);
    assert_true(run->end_unix_ns >= run->start_unix_ns);
    const history_event *scheduled = find_event(hist, EVENT(ACTIVITY_TASK_SCHEDULED));
    assert_non_null(scheduled);
    const Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *sa =
        scheduled->activity_task_scheduled_event_attributes;
    assert_string_equal(span_attr(run, "temporalActivityID"), sa->activity_id);
    assert_string_equal(span_attr(run, "temporalWorkflowID"), id);
    assert_string_equal(span_attr(run, "temporalRunID"), run_id);
    struct temporal__trace_ctx from_activity = {0};
    assert_true(temporal__trace_ctx_from_header(sa->header, &from_activity));
    assert_true(run->has_parent);
    assert_memory_equal(run->trace_id, from_activity.trace_id, 16);
    assert_memory_equal(run->parent_span_id, from_activity.span_id, 8);
    temporal__trace_ctx_clear(&from_activity);

    temporal__finished_spans_free(spans);
    temporal__api__history__v1__history__free_unpacked(hist, NULL);
    free(run_id);
    temporal_tracer_free(tracer);
}

/* An activity attempt that fails has an error status with its failure's type and message. */
static void failed_activity_span(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = new_tracer();
    struct ts_worker tw;
    ts_feature_worker_traced(&tw, tracer, "tracing-tq", -1, register_all);
    char id[160];
    /* No argument: the activity fails with a non-retryable "BadInput", and so the workflow. */
    ts_feature_start(&tw, "TracingHello", NULL, id, sizeof(id));
    struct temporal_error err;
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_client_get_workflow_result(tw.client, id, NULL, 60000, &result, &err),
                     TEMPORAL_EWORKFLOW_FAILED);
    ts_worker_stop(&tw);

    struct temporal__finished_span *spans = NULL;
    take_spans(tracer, &spans);
    const struct temporal__finished_span *run = find_span(spans, "RunActivity:hello", id);
    assert_non_null(run);
    assert_true(run->error);
    assert_string_equal(run->error_type, "BadInput");
    assert_string_equal(run->error_message, "expected a name");
    temporal__finished_spans_free(spans);
    temporal_tracer_free(tracer);
}

/* An attempt cancelled by the worker's shutdown ends its span, without an error status
 * (cancellation is not a failure of the activity). */
static void cancelled_activity_span(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = new_tracer();
    struct ts_worker tw;
    __atomic_store_n(&block_started, 0, __ATOMIC_SEQ_CST);
    ts_feature_worker_traced(&tw, tracer, "tracing-tq", -1, register_all);
    char id[160];
    ts_feature_start(&tw, "TracingBlock", NULL, id, sizeof(id));
    struct temporal_error err;
    for (int i = 0; i < 3000 && !__atomic_load_n(&block_started, __ATOMIC_SEQ_CST); i++)
        ts_sleep_ms(20);
    assert_true(__atomic_load_n(&block_started, __ATOMIC_SEQ_CST));
    ts_worker_stop(&tw); /* cancels the attempt (WORKER_SHUTDOWN) and waits for its report */

    struct temporal__finished_span *spans = NULL;
    take_spans(tracer, &spans);
    const struct temporal__finished_span *run = find_span(spans, "RunActivity:block", id);
    assert_non_null(run);
    assert_false(run->error);
    assert_true(run->end_unix_ns >= run->start_unix_ns);
    temporal__finished_spans_free(spans);
    struct temporal_client *c = ts_connect();
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, "test over", &err), err);
    temporal_client_free(c);
    temporal_tracer_free(tracer);
}

/* A workflow driven from the client: update "echo" returns its argument, signal "finish"
 * ends it with the signal's argument. */
struct driven_state {
    bool finished;
    char value[64];
};

static void driven_on_finish(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                             void *arg)
{
    (void)ctx;
    struct driven_state *s = arg;
    ts_json_str(args, 0, s->value, sizeof(s->value));
    s->finished = true;
}

static int driven_state_query(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                              struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args;
    return ts_add_json_str(result, ((struct driven_state *)arg)->finished ? "finished" : "waiting");
}

static int driven_echo(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                       struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)arg;
    for (size_t i = 0; i < args->count; i++) {
        int rc = temporal_payloads_add_copy(result, &args->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static bool driven_finished(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct driven_state *)arg)->finished;
}

static int driven_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    (void)in;
    struct driven_state *s = temporal_workflow_alloc(ctx, sizeof(*s));
    if (s == NULL)
        return TEMPORAL_ENOMEM;
    memset(s, 0, sizeof(*s));
    temporal_workflow_on_signal(ctx, "finish", driven_on_finish, s);
    temporal_workflow_on_query(ctx, "state", driven_state_query, s);
    temporal_workflow_on_update(ctx, "echo", driven_echo, NULL, s);
    int rc = temporal_workflow_wait_condition(ctx, driven_finished, s);
    return rc ? rc : ts_add_json_str(out, s->value);
}

/* Signal-with-start, query, update (accepted and rejected) and signal: one span each, and
 * the headers of the ones that reach history are theirs. */
static void signal_query_update_spans(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = new_tracer();
    struct ts_worker tw;
    ts_feature_worker_traced(&tw, tracer, "tracing-tq", -1, register_all);
    char id[160];
    ts_unique(id, sizeof(id), "tracing-driven");
    struct temporal_start_workflow_options o = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = id;
    o.workflow_type = "TracingDriven";
    o.task_queue = tw.task_queue;
    o.execution_timeout_ms = 60000;
    struct temporal_error err;
    struct temporal_payloads sig = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(ts_add_json_str(&sig, "early"), 0);
    /* A signal the workflow has no handler for yet: buffered; "finish" comes later. */
    TS_OK(temporal_client_signal_with_start_workflow(tw.client, &o, NULL, "hello", &sig, NULL, &err),
          err);
    temporal_payloads_cleanup(&sig);

    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_query_workflow(tw.client, id, NULL, "state", NULL, &res, &err), err);
    char text[64];
    ts_json_str(&res, 0, text, sizeof(text));
    assert_string_equal(text, "waiting");
    temporal_payloads_cleanup(&res);

    struct temporal_payloads uargs = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(ts_add_json_str(&uargs, "ping"), 0);
    struct temporal_update_options uo = TEMPORAL_UPDATE_OPTIONS_INIT;
    uo.update_id = "echo-1";
    TS_OK(temporal_client_update_workflow(tw.client, id, "echo", &uargs, &uo, &res, &err), err);
    ts_json_str(&res, 0, text, sizeof(text));
    assert_string_equal(text, "ping");
    temporal_payloads_cleanup(&res);
    uo.update_id = "nope-1";
    assert_int_equal(temporal_client_update_workflow(tw.client, id, "nope", &uargs, &uo, &res, &err),
                     TEMPORAL_EUPDATE_FAILED);
    temporal_payloads_cleanup(&uargs);

    assert_int_equal(ts_add_json_str(&sig, "done"), 0);
    TS_OK(temporal_client_signal_workflow(tw.client, id, NULL, "finish", &sig, &err), err);
    temporal_payloads_cleanup(&sig);
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 60000, &res, &err), err);
    ts_json_str(&res, 0, text, sizeof(text));
    assert_string_equal(text, "done");
    temporal_payloads_cleanup(&res);

    Temporal__Api__History__V1__History *hist = history_of(tw.client, id);
    ts_worker_stop(&tw);
    struct temporal__finished_span *spans = NULL;
    take_spans(tracer, &spans);

    const struct temporal__finished_span *s =
        check_client_span(spans, "SignalWithStartWorkflow:TracingDriven", id, false);
    const history_event *e = find_event(hist, EVENT(WORKFLOW_EXECUTION_STARTED));
    assert_non_null(e);
    check_header_is_span(e->workflow_execution_started_event_attributes->header, s);
    /* The signal of signal-with-start carries the same context. */
    e = find_event(hist, EVENT(WORKFLOW_EXECUTION_SIGNALED));
    assert_non_null(e);
    assert_string_equal(e->workflow_execution_signaled_event_attributes->signal_name, "hello");
    check_header_is_span(e->workflow_execution_signaled_event_attributes->header, s);

    check_client_span(spans, "QueryWorkflow:state", id, false);

    s = check_client_span(spans, "StartWorkflowUpdate:echo", id, false);
    assert_string_equal(span_attr(s, "temporalUpdateID"), "echo-1");
    e = find_event(hist, EVENT(WORKFLOW_EXECUTION_UPDATE_ACCEPTED));
    assert_non_null(e);
    const Temporal__Api__Update__V1__Request *accepted =
        e->workflow_execution_update_accepted_event_attributes->accepted_request;
    assert_non_null(accepted);
    assert_non_null(accepted->input);
    check_header_is_span(accepted->input->header, s);

    s = check_client_span(spans, "StartWorkflowUpdate:nope", id, true);
    assert_string_equal(span_attr(s, "temporalUpdateID"), "nope-1");
    assert_non_null(s->error_message);
    assert_non_null(strstr(s->error_message, "nope"));

    s = check_client_span(spans, "SignalWorkflow:finish", id, false);
    bool found = false;
    for (size_t i = 0; i < hist->n_events; i++) {
        const history_event *ev = hist->events[i];
        if (ev->attributes_case == EVENT(WORKFLOW_EXECUTION_SIGNALED) &&
            strcmp(ev->workflow_execution_signaled_event_attributes->signal_name, "finish") == 0) {
            check_header_is_span(ev->workflow_execution_signaled_event_attributes->header, s);
            found = true;
        }
    }
    assert_true(found);

    temporal__finished_spans_free(spans);
    temporal__api__history__v1__history__free_unpacked(hist, NULL);
    temporal_tracer_free(tracer);
}

/* A call that fails ends its span with an error status and the error's message, also when
 * the caller passes no error structure. */
static void failed_call_span(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = new_tracer();
    struct temporal_client *c = ts_connect_traced(tracer);
    struct temporal_error err;
    char id[160];
    ts_unique(id, sizeof(id), "tracing-missing");
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_client_query_workflow(c, id, NULL, "state", NULL, &res, NULL),
                     TEMPORAL_ENOT_FOUND);
    assert_int_equal(temporal_client_signal_workflow(c, id, NULL, "finish", NULL, &err),
                     TEMPORAL_ENOT_FOUND);
    temporal_client_free(c);

    struct temporal__finished_span *spans = NULL;
    take_spans(tracer, &spans);
    const struct temporal__finished_span *s = check_client_span(spans, "QueryWorkflow:state", id, true);
    assert_non_null(s->error_message);
    assert_true(strlen(s->error_message) > 0);
    assert_non_null(s->error_type);
    s = check_client_span(spans, "SignalWorkflow:finish", id, true);
    assert_non_null(strstr(s->error_message, err.message));
    temporal__finished_spans_free(spans);
    temporal_tracer_free(tracer);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(start_header_and_run_activity),
    cmocka_unit_test(failed_activity_span),
    cmocka_unit_test(cancelled_activity_span),
    cmocka_unit_test(signal_query_update_spans),
    cmocka_unit_test(failed_call_span),
};

TS_MAIN(tests)
