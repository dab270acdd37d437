/*
 * Tracing on the workflow side, against the dev server, with a real tracer on the client
 * the worker uses: the commands of a run carry `_tracer-data` headers in the run's trace
 * (the starter's, else the one derived from the run), the workflow spans are recorded once
 * each (not again when a task replays the run, with the cache on or off), with the parents
 * tracing.h describes, and the replayer records nothing.  White-box: the spans are read
 * with temporal__tracer_take().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "trace_int.h"

#define EV(name) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##name

struct traced_state {
    bool finished;
    char state[32];
};

static void on_finish(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                      void *arg)
{
    (void)ctx, (void)args;
    struct traced_state *s = arg;
    s->finished = true;
}

static int on_state(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                    struct temporal_payloads *answer, void *arg)
{
    (void)ctx, (void)args;
    return temporal_payloads_add_string(answer, ((struct traced_state *)arg)->state);
}

static int validate_bump(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                         void *arg)
{
    (void)ctx, (void)args, (void)arg;
    return 0;
}

static int on_bump(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                   struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args, (void)arg;
    return temporal_payloads_add_string(result, "bumped");
}

static bool finished(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return ((struct traced_state *)arg)->finished;
}

/* A local activity, an activity, then the signal "finish"; query "state", update "bump". */
static int traced_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    struct traced_state *s = temporal_workflow_alloc(ctx, sizeof(*s));
    if (s == NULL)
        return TEMPORAL_ENOMEM;
    snprintf(s->state, sizeof(s->state), "started");
    temporal_workflow_on_signal(ctx, "finish", on_finish, s);
    temporal_workflow_on_query(ctx, "state", on_state, s);
    temporal_workflow_on_update(ctx, "bump", on_bump, validate_bump, NULL);
    struct temporal_local_activity_options lo = TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT;
    lo.start_to_close_timeout_ms = 30000;
    struct temporal_payloads local = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal_workflow_execute_local_activity(ctx, "hello", in, &lo, &local);
    temporal_payloads_cleanup(&local);
    if (rc != 0)
        return rc;
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 30000;
    if ((rc = temporal_workflow_execute_activity(ctx, "hello", in, &o, out)) != 0)
        return rc;
    snprintf(s->state, sizeof(s->state), "waiting");
    return temporal_workflow_wait_condition(ctx, finished, s);
}

static bool same_id(const uint8_t *a, const uint8_t *b, size_t n) { return memcmp(a, b, n) == 0; }

static const char *attr(const struct temporal__finished_span *s, const char *key)
{
    for (size_t i = 0; i < s->attr_count; i++)
        if (strcmp(s->attr_keys[i], key) == 0)
            return s->attr_values[i];
    return NULL;
}

static size_t count_named(const struct temporal__finished_span *list, const char *name)
{
    size_t n = 0;
    for (const struct temporal__finished_span *s = list; s; s = s->next)
        n += strcmp(s->name, name) == 0;
    return n;
}

static const struct temporal__finished_span *find_named(const struct temporal__finished_span *list,
                                                        const char *name)
{
    for (const struct temporal__finished_span *s = list; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void register_all(struct temporal_worker *w);

/* Runs traced_workflow on a worker with |max_cached| cached runs and checks history and
 * spans.  The workflow is started, queried and signalled by the worker's (traced) client
 * when |traced_starter|, else by a client without a tracer. */
static void run_traced(int32_t max_cached, bool traced_starter)
{
    struct temporal_tracer *tracer = NULL;
    struct temporal_error err;
    TS_OK(temporal_tracer_new(&tracer, NULL, &err), err);

    struct ts_worker tw;
    ts_feature_worker_traced(&tw, tracer, "tracing-wf", max_cached, register_all);
    struct temporal_client *starter = traced_starter ? tw.client : ts_connect();

    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "traced";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&args, "trace"), 0);
    char *run_id = NULL;
    TS_OK(temporal_client_start_workflow(starter, &so, &args, &run_id, &err), err);
    temporal_payloads_cleanup(&args);

    /* Signal once the workflow waits for it (after both activities): its own task. */
    struct temporal_payloads answer = TEMPORAL_PAYLOADS_INIT;
    for (int i = 0; i < 300; i++) {
        temporal_payloads_cleanup(&answer);
        char state[32] = "";
        if (temporal_client_query_workflow(starter, id, NULL, "state", NULL, &answer, &err) == 0)
            ts_json_str(&answer, 0, state, sizeof(state));
        if (strcmp(state, "waiting") == 0)
            break;
        ts_sleep_ms(100);
    }
    temporal_payloads_cleanup(&answer);
    TS_OK(temporal_client_update_workflow(starter, id, "bump", NULL, NULL, &answer, &err), err);
    temporal_payloads_cleanup(&answer);
    TS_OK(temporal_client_signal_workflow(starter, id, NULL, "finish", NULL, &err), err);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(starter, id, NULL, 60000, &result, &err), err);
    temporal_payloads_cleanup(&result);

    struct temporal_history h;
    memset(&h, 0, sizeof(h));
    TS_OK(temporal_client_fetch_history(starter, id, run_id, &h, &err), err);
    ts_worker_stop(&tw);

    /* History: the scheduled activity's header is in the run's trace. */
    Temporal__Api__History__V1__History *hist =
        temporal__api__history__v1__history__unpack(NULL, h.serialized_len, h.serialized);
    assert_non_null(hist);
    assert_true(hist->n_events > 0);
    const Temporal__Api__History__V1__HistoryEvent *first = hist->events[0];
    assert_int_equal(first->event_type, EV(WORKFLOW_EXECUTION_STARTED));
    struct temporal__trace_ctx started = { 0 }, expected = { 0 }, scheduled = { 0 };
    bool from_client = temporal__trace_ctx_from_header(
        first->workflow_execution_started_event_attributes->header, &started);
    assert_int_equal(from_client, traced_starter);
    if (from_client)
        assert_int_equal(temporal__trace_ctx_copy(&expected, &started), 0);
    else
        temporal__trace_ctx_for_run(run_id, temporal__timestamp_ms(first->event_time) / 1000,
                                    &expected);
    size_t n_scheduled = 0;
    for (size_t i = 0; i < hist->n_events; i++) {
        const Temporal__Api__History__V1__HistoryEvent *e = hist->events[i];
        if (e->event_type != EV(ACTIVITY_TASK_SCHEDULED))
            continue;
        n_scheduled++;
        const Temporal__Api__Common__V1__Header *hdr = e->activity_task_scheduled_event_attributes->header;
        assert_non_null(hdr);
        assert_int_equal(hdr->n_fields, 1);
        assert_string_equal(hdr->fields[0]->key, TEMPORAL__TRACE_HEADER_KEY);
        assert_true(temporal__trace_ctx_from_header(hdr, &scheduled));
        assert_true(same_id(scheduled.trace_id, expected.trace_id, 16));
    }
    assert_int_equal(n_scheduled, 1);

    /* Spans: each workflow span once, whatever the replays. */
    struct temporal__finished_span *spans = temporal__tracer_take(tracer);
    assert_int_equal(count_named(spans, "RunWorkflow:traced"), 1);
    assert_int_equal(count_named(spans, "CompleteWorkflow:traced"), 1);
    assert_int_equal(count_named(spans, "HandleSignal:finish"), 1);
    assert_int_equal(count_named(spans, "ValidateUpdate:bump"), 1);
    assert_int_equal(count_named(spans, "HandleUpdate:bump"), 1);
    assert_int_equal(count_named(spans, "StartActivity:hello"), 2); /* local, then normal */
    assert_true(count_named(spans, "RunActivity:hello") >= 1);

    uint8_t run_span[8];
    temporal__trace_span_id_for(run_id, "RunWorkflow", run_span);
    const struct temporal__finished_span *rw = find_named(spans, "RunWorkflow:traced");
    assert_true(same_id(rw->trace_id, expected.trace_id, 16));
    assert_true(same_id(rw->span_id, run_span, 8));
    assert_int_equal(rw->kind, TEMPORAL__SPAN_SERVER);
    assert_int_equal(rw->has_parent, from_client);
    if (from_client)
        assert_true(same_id(rw->parent_span_id, started.span_id, 8));
    assert_string_equal(attr(rw, "temporalWorkflowID"), id);
    assert_string_equal(attr(rw, "temporalRunID"), run_id);

    const struct temporal__finished_span *local_start = NULL, *normal_start = NULL;
    for (const struct temporal__finished_span *s = spans; s; s = s->next) {
        bool workflow_span = strncmp(s->name, "CompleteWorkflow:", 17) == 0 ||
                             strncmp(s->name, "HandleSignal:", 13) == 0 ||
                             strncmp(s->name, "ValidateUpdate:", 15) == 0 ||
                             strncmp(s->name, "HandleUpdate:", 13) == 0 ||
                             strncmp(s->name, "StartActivity:", 14) == 0;
        if (!workflow_span)
            continue;
        /* Children of RunWorkflow, in its trace. */
        assert_true(same_id(s->trace_id, expected.trace_id, 16));
        assert_true(s->has_parent);
        assert_true(same_id(s->parent_span_id, run_span, 8));
        assert_string_equal(attr(s, "temporalWorkflowID"), id);
        assert_string_equal(attr(s, "temporalRunID"), run_id);
        if (strcmp(s->name, "StartActivity:hello") == 0) {
            assert_int_equal(s->kind, TEMPORAL__SPAN_CLIENT);
            if (same_id(s->span_id, scheduled.span_id, 8))
                normal_start = s;
            else
                local_start = s;
        }
    }
    assert_non_null(normal_start); /* the header carries the StartActivity span's context */
    assert_non_null(local_start);
    assert_int_equal(find_named(spans, "CompleteWorkflow:traced")->kind, TEMPORAL__SPAN_INTERNAL);
    assert_false(find_named(spans, "CompleteWorkflow:traced")->error);

    /* The local activity's attempt: a child of its StartActivity. */
    bool local_attempt = false;
    for (const struct temporal__finished_span *s = spans; s; s = s->next) {
        if (strcmp(s->name, "RunActivity:hello") != 0 || !s->has_parent ||
            !same_id(s->parent_span_id, local_start->span_id, 8))
            continue;
        local_attempt = true;
        assert_true(same_id(s->trace_id, expected.trace_id, 16));
        assert_int_equal(s->kind, TEMPORAL__SPAN_SERVER);
        assert_false(s->error);
        assert_string_equal(attr(s, "temporalActivityID"), "1");
        assert_string_equal(attr(s, "temporalWorkflowID"), id);
        assert_string_equal(attr(s, "temporalRunID"), run_id);
        assert_true(s->end_unix_ns >= s->start_unix_ns);
    }
    assert_true(local_attempt);

    /* Traced queries (when the client sends context): children of the client's spans,
     * linked to the workflow; none without. */
    size_t n_queries = 0;
    for (const struct temporal__finished_span *s = spans; s; s = s->next) {
        if (strcmp(s->name, "HandleQuery:state") != 0)
            continue;
        n_queries++;
        assert_true(s->has_parent);
        assert_true(s->has_link);
        assert_true(same_id(s->link_trace_id, expected.trace_id, 16));
        assert_true(same_id(s->link_span_id, run_span, 8));
    }
    assert_int_equal(n_queries > 0, traced_starter);
    temporal__finished_spans_free(spans);

    /* The replayer records nothing. */
    TS_OK(temporal_workflow_replay(traced_workflow, NULL, h.serialized, h.serialized_len, &err), err);
    assert_int_equal(temporal_tracer_queued(tracer), 0);

    temporal__trace_ctx_clear(&started);
    temporal__trace_ctx_clear(&expected);
    temporal__trace_ctx_clear(&scheduled);
    temporal__api__history__v1__history__free_unpacked(hist, NULL);
    temporal_history_cleanup(&h);
    temporal_free(run_id);
    if (!traced_starter)
        temporal_client_free(starter);
    temporal_tracer_free(tracer);
}

/* A child that continues as new once, then signals its parent "ping". */
static int child_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                          struct temporal_payloads *out)
{
    const struct temporal_workflow_info *info = temporal_workflow_info(ctx);
    if (info->continued_run_id == NULL || info->continued_run_id[0] == '\0')
        return temporal_workflow_continue_as_new(ctx, in);
    int rc = temporal_workflow_signal_external(ctx, info->parent_workflow_id, NULL, "ping", NULL);
    return rc ? rc : temporal_payloads_add_string(out, "child done");
}

static bool pinged(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return *(bool *)arg;
}

static void on_ping(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                    void *arg)
{
    (void)ctx, (void)args;
    *(bool *)arg = true;
}

/* Runs child workflow "<own id>-child" and waits for its "ping". */
static int parent_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                           struct temporal_payloads *out)
{
    bool *ping = temporal_workflow_alloc(ctx, sizeof(*ping));
    if (ping == NULL)
        return TEMPORAL_ENOMEM;
    temporal_workflow_on_signal(ctx, "ping", on_ping, ping);
    char child_id[256];
    snprintf(child_id, sizeof(child_id), "%s-child", temporal_workflow_info(ctx)->workflow_id);
    struct temporal_child_workflow_options o = TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT;
    o.workflow_id = child_id;
    int rc = temporal_workflow_execute_child(ctx, "tr_child", in, &o, out);
    return rc ? rc : temporal_workflow_wait_condition(ctx, pinged, ping);
}

/* The first event of type |type| in |h| (NULL if none). */
static const Temporal__Api__History__V1__HistoryEvent *
first_event(const Temporal__Api__History__V1__History *h, int type)
{
    for (size_t i = 0; i < h->n_events; i++)
        if ((int)h->events[i]->event_type == type)
            return h->events[i];
    return NULL;
}

static Temporal__Api__History__V1__History *fetch(struct temporal_client *c, const char *id,
                                                  const char *run_id)
{
    struct temporal_history h;
    memset(&h, 0, sizeof(h));
    struct temporal_error err;
    TS_OK(temporal_client_fetch_history(c, id, run_id, &h, &err), err);
    Temporal__Api__History__V1__History *hist =
        temporal__api__history__v1__history__unpack(NULL, h.serialized_len, h.serialized);
    assert_non_null(hist);
    temporal_history_cleanup(&h);
    return hist;
}

static const struct temporal__finished_span *find_span(const struct temporal__finished_span *list,
                                                       const uint8_t span_id[8])
{
    for (const struct temporal__finished_span *s = list; s; s = s->next)
        if (same_id(s->span_id, span_id, 8))
            return s;
    return NULL;
}

/* StartChildWorkflow and SignalExternalWorkflow put their spans' context on their
 * commands; the child's RunWorkflow is a child of StartChildWorkflow, and continue-as-new
 * hands the same parent to the next run. */
static void child_signal_and_continue_as_new(void **state)
{
    (void)state;
    struct temporal_tracer *tracer = NULL;
    struct temporal_error err;
    TS_OK(temporal_tracer_new(&tracer, NULL, &err), err);
    struct ts_worker tw;
    ts_feature_worker_traced(&tw, tracer, "tracing-child", -1, register_all);

    char id[160], child_id[200];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    snprintf(child_id, sizeof(child_id), "%s-child", id);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "tr_parent";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    char *run_id = NULL;
    TS_OK(temporal_client_start_workflow(tw.client, &so, NULL, &run_id, &err), err);
    struct temporal_payloads result = TEMPORAL_PAYLOADS_INIT;
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 60000, &result, &err), err);
    temporal_payloads_cleanup(&result);

    Temporal__Api__History__V1__History *parent = fetch(tw.client, id, run_id);
    const Temporal__Api__History__V1__HistoryEvent *started =
        first_event(parent, EV(CHILD_WORKFLOW_EXECUTION_STARTED));
    assert_non_null(started);
    const char *child_run1 =
        started->child_workflow_execution_started_event_attributes->workflow_execution->run_id;
    Temporal__Api__History__V1__History *run1 = fetch(tw.client, child_id, child_run1);
    Temporal__Api__History__V1__History *run2 = fetch(tw.client, child_id, NULL);
    ts_worker_stop(&tw);
    struct temporal__finished_span *spans = temporal__tracer_take(tracer);

    uint8_t parent_span[8];
    temporal__trace_span_id_for(run_id, "RunWorkflow", parent_span);
    const struct temporal__finished_span *parent_rw = find_span(spans, parent_span);
    assert_non_null(parent_rw);
    assert_string_equal(parent_rw->name, "RunWorkflow:tr_parent");

    /* The child command's header: the StartChildWorkflow span, a child of RunWorkflow. */
    struct temporal__trace_ctx initiated = { 0 }, child1 = { 0 }, child2 = { 0 }, can = { 0 };
    struct temporal__trace_ctx signal_cmd = { 0 }, signalled = { 0 };
    const Temporal__Api__History__V1__HistoryEvent *e =
        first_event(parent, EV(START_CHILD_WORKFLOW_EXECUTION_INITIATED));
    assert_true(temporal__trace_ctx_from_header(
        e->start_child_workflow_execution_initiated_event_attributes->header, &initiated));
    const struct temporal__finished_span *start_child = find_span(spans, initiated.span_id);
    assert_non_null(start_child);
    assert_string_equal(start_child->name, "StartChildWorkflow:tr_child");
    assert_int_equal(start_child->kind, TEMPORAL__SPAN_CLIENT);
    assert_true(same_id(start_child->parent_span_id, parent_span, 8));
    assert_true(same_id(start_child->trace_id, parent_rw->trace_id, 16));

    /* Both child runs start with that context; the first passed it on when continuing. */
    assert_true(temporal__trace_ctx_from_header(
        run1->events[0]->workflow_execution_started_event_attributes->header, &child1));
    assert_true(temporal__trace_ctx_from_header(
        run2->events[0]->workflow_execution_started_event_attributes->header, &child2));
    assert_true(same_id(child1.span_id, initiated.span_id, 8));
    assert_true(same_id(child2.span_id, initiated.span_id, 8));
    assert_true(same_id(child2.trace_id, parent_rw->trace_id, 16));
    e = first_event(run1, EV(WORKFLOW_EXECUTION_CONTINUED_AS_NEW));
    assert_non_null(e);
    assert_true(temporal__trace_ctx_from_header(
        e->workflow_execution_continued_as_new_event_attributes->header, &can));
    assert_true(same_id(can.span_id, initiated.span_id, 8));

    /* Each child run's RunWorkflow: a child of StartChildWorkflow. */
    const char *child_runs[2] = { child_run1, run2->events[0]->workflow_execution_started_event_attributes
                                                  ->original_execution_run_id };
    assert_string_not_equal(child_runs[0], child_runs[1]);
    assert_int_equal(count_named(spans, "RunWorkflow:tr_child"), 2);
    /* Only the last run completes; the first continued as new. */
    assert_int_equal(count_named(spans, "CompleteWorkflow:tr_child"), 1);
    uint8_t child_span[2][8];
    for (int i = 0; i < 2; i++) {
        temporal__trace_span_id_for(child_runs[i], "RunWorkflow", child_span[i]);
        const struct temporal__finished_span *rw = find_span(spans, child_span[i]);
        assert_non_null(rw);
        assert_string_equal(rw->name, "RunWorkflow:tr_child");
        assert_true(rw->has_parent);
        assert_true(same_id(rw->parent_span_id, initiated.span_id, 8));
        assert_true(same_id(rw->trace_id, parent_rw->trace_id, 16));
    }

    /* The second run's signal to the parent: SignalExternalWorkflow (a child of that run's
     * RunWorkflow) on the command, and HandleSignal in the parent linked to it. */
    e = first_event(run2, EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED));
    assert_non_null(e);
    assert_true(temporal__trace_ctx_from_header(
        e->signal_external_workflow_execution_initiated_event_attributes->header, &signal_cmd));
    const struct temporal__finished_span *sig = find_span(spans, signal_cmd.span_id);
    assert_non_null(sig);
    assert_string_equal(sig->name, "SignalExternalWorkflow:ping");
    assert_true(same_id(sig->parent_span_id, child_span[1], 8));
    e = first_event(parent, EV(WORKFLOW_EXECUTION_SIGNALED));
    assert_non_null(e);
    assert_true(temporal__trace_ctx_from_header(
        e->workflow_execution_signaled_event_attributes->header, &signalled));
    assert_true(same_id(signalled.span_id, signal_cmd.span_id, 8));
    const struct temporal__finished_span *handle = find_named(spans, "HandleSignal:ping");
    assert_non_null(handle);
    assert_true(same_id(handle->parent_span_id, parent_span, 8));
    assert_true(handle->has_link);
    assert_true(same_id(handle->link_span_id, signal_cmd.span_id, 8));

    struct temporal__trace_ctx *ctxs[] = { &initiated, &child1, &child2, &can, &signal_cmd, &signalled };
    for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++)
        temporal__trace_ctx_clear(ctxs[i]);
    temporal__finished_spans_free(spans);
    temporal__api__history__v1__history__free_unpacked(parent, NULL);
    temporal__api__history__v1__history__free_unpacked(run1, NULL);
    temporal__api__history__v1__history__free_unpacked(run2, NULL);
    temporal_free(run_id);
    temporal_tracer_free(tracer);
}

/* Every workflow and activity of these cases, on every worker. */
static void register_all(struct temporal_worker *w)
{
    assert_int_equal(temporal_worker_register_workflow(w, "traced", traced_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "tr_parent", parent_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "tr_child", child_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_workflow(w, "hello_wf", ts_hello_workflow,
                                                       TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, NULL),
                     0);
    assert_int_equal(temporal_worker_register_activity(w, "hello", ts_hello_activity, NULL), 0);
}

static void cached_run(void **state)
{
    (void)state;
    run_traced(-1, true);
}

/* Without a cache every task replays the run from event 1: the spans of the replayed part
 * must not be recorded again. */
static void every_task_replays(void **state)
{
    (void)state;
    run_traced(0, true);
}

/* Started without trace context: the run's own trace, derived from its run id, on every
 * task (cache off: each task derives it again). */
static void untraced_starter(void **state)
{
    (void)state;
    run_traced(0, false);
}

/* Without a tracer, commands carry no trace context. */
static void no_tracer_no_headers(void **state)
{
    (void)state;
    struct ts_worker tw;
    ts_feature_worker(&tw, "tracing-off", -1, register_all);
    struct temporal_error err;
    char id[160];
    snprintf(id, sizeof(id), "%s-wf", tw.task_queue);
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "hello_wf";
    so.task_queue = tw.task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_payloads args = TEMPORAL_PAYLOADS_INIT, result = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_string(&args, "plain"), 0);
    TS_OK(temporal_client_start_workflow(tw.client, &so, &args, NULL, &err), err);
    TS_OK(temporal_client_get_workflow_result(tw.client, id, NULL, 60000, &result, &err), err);
    struct temporal_history h;
    memset(&h, 0, sizeof(h));
    TS_OK(temporal_client_fetch_history(tw.client, id, NULL, &h, &err), err);
    ts_worker_stop(&tw);
    Temporal__Api__History__V1__History *hist =
        temporal__api__history__v1__history__unpack(NULL, h.serialized_len, h.serialized);
    assert_non_null(hist);
    size_t n_scheduled = 0;
    for (size_t i = 0; i < hist->n_events; i++) {
        if (hist->events[i]->event_type != EV(ACTIVITY_TASK_SCHEDULED))
            continue;
        n_scheduled++;
        assert_null(hist->events[i]->activity_task_scheduled_event_attributes->header);
    }
    assert_int_equal(n_scheduled, 1);
    temporal__api__history__v1__history__free_unpacked(hist, NULL);
    temporal_history_cleanup(&h);
    temporal_payloads_cleanup(&args);
    temporal_payloads_cleanup(&result);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cached_run),
    cmocka_unit_test(every_task_replays),
    cmocka_unit_test(untraced_starter),
    cmocka_unit_test(child_signal_and_continue_as_new),
    cmocka_unit_test(no_tracer_no_headers),
};

TS_MAIN(tests)
