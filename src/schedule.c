/*
 * schedule: the client's schedule operations (create, update, describe, pause and unpause,
 * trigger, backfill, delete, list) over the WorkflowService schedule RPCs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"

#define WS(name) TEMPORAL__WORKFLOW_SERVICE(name)

typedef Temporal__Api__Enums__V1__ScheduleOverlapPolicy overlap_pb;

/* The wire form of a schedule, built from options: borrows their strings. */
struct schedule_parts {
    struct temporal__start_parts start;
    Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo workflow;
    Temporal__Api__Schedule__V1__ScheduleAction action;
    Temporal__Api__Schedule__V1__IntervalSpec interval;
    Temporal__Api__Schedule__V1__IntervalSpec *intervals[1];
    Google__Protobuf__Duration every, phase, catchup;
    Temporal__Api__Schedule__V1__ScheduleSpec spec;
    Temporal__Api__Schedule__V1__SchedulePolicies policies;
    Temporal__Api__Schedule__V1__ScheduleState state;
    Temporal__Api__Schedule__V1__Schedule schedule;
};

static int schedule_parts_init(struct schedule_parts *p, const struct temporal_schedule_options *o,
                               struct temporal_error *err)
{
    int rc = temporal__require(o->schedule_id, "schedule option 'schedule_id'", err);
    if (rc != 0)
        return rc;
    if (o->action == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "schedule option 'action' (the workflow to start) is required");
    for (size_t i = 0; i < o->cron_count; i++)
        if (o->cron_expressions == NULL || temporal__empty(o->cron_expressions[i]))
            return temporal__fail(err, TEMPORAL_EINVAL, -1,
                                  "schedule '%s': cron expression %zu is missing", o->schedule_id, i);
    if (o->interval_ms <= 0 && o->cron_count == 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "schedule '%s' needs 'interval_ms' or 'cron_expressions'",
                              o->schedule_id);
    struct temporal_start_workflow_options start;
    if (!temporal__copy_options(&start, sizeof(start), o->action))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "schedule option 'action' must be made with "
                              "TEMPORAL_START_WORKFLOW_OPTIONS_INIT");
    if ((rc = temporal__start_parts_init(&p->start, &start, o->action_args, err)) != 0)
        return rc;

    Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo w =
        TEMPORAL__API__WORKFLOW__V1__NEW_WORKFLOW_EXECUTION_INFO__INIT;
    w.workflow_id = (char *)start.workflow_id;
    w.workflow_type = &p->start.type;
    w.task_queue = &p->start.queue;
    w.input = p->start.input.msg.n_payloads ? &p->start.input.msg : NULL;
    w.workflow_execution_timeout = start.execution_timeout_ms > 0 ? &p->start.exec_timeout : NULL;
    w.workflow_run_timeout = start.run_timeout_ms > 0 ? &p->start.run_timeout : NULL;
    w.workflow_task_timeout = start.task_timeout_ms > 0 ? &p->start.task_timeout : NULL;
    w.memo = start.memo_count ? &p->start.memo.memo : NULL;
    w.search_attributes =
        start.search_attributes_count ? &p->start.search_attributes.search_attributes : NULL;
    p->workflow = w;
    Temporal__Api__Schedule__V1__ScheduleAction a = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__INIT;
    a.action_case = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW;
    a.start_workflow = &p->workflow;
    p->action = a;

    Temporal__Api__Schedule__V1__ScheduleSpec spec = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    if (o->interval_ms > 0) {
        Temporal__Api__Schedule__V1__IntervalSpec i = TEMPORAL__API__SCHEDULE__V1__INTERVAL_SPEC__INIT;
        i.interval = temporal__duration_set(&p->every, o->interval_ms);
        if (o->interval_phase_ms > 0)
            i.phase = temporal__duration_set(&p->phase, o->interval_phase_ms);
        p->interval = i;
        p->intervals[0] = &p->interval;
        spec.n_interval = 1;
        spec.interval = p->intervals;
    }
    spec.n_cron_string = o->cron_count;
    spec.cron_string = (char **)o->cron_expressions;
    spec.timezone_name = (char *)(o->time_zone ? o->time_zone : "");
    p->spec = spec;
    Temporal__Api__Schedule__V1__SchedulePolicies pol = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_POLICIES__INIT;
    pol.overlap_policy = (overlap_pb)o->overlap_policy;
    if (o->catchup_window_ms > 0)
        pol.catchup_window = temporal__duration_set(&p->catchup, o->catchup_window_ms);
    p->policies = pol;
    Temporal__Api__Schedule__V1__ScheduleState st = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_STATE__INIT;
    st.paused = o->paused;
    st.notes = (char *)(o->note ? o->note : "");
    p->state = st;
    Temporal__Api__Schedule__V1__Schedule s = TEMPORAL__API__SCHEDULE__V1__SCHEDULE__INIT;
    s.spec = &p->spec;
    s.action = &p->action;
    s.policies = &p->policies;
    s.state = &p->state;
    p->schedule = s;
    return 0;
}

/* Copies the caller's options (self_size-versioned) or fails naming the macro. */
static int copy_schedule_options(struct temporal_schedule_options *o,
                                 const struct temporal_schedule_options *user,
                                 struct temporal_client *c, struct temporal_error *err)
{
    if (c == NULL || user == NULL || !temporal__copy_options(o, sizeof(*o), user))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "schedule calls need a client and options initialized with "
                              "TEMPORAL_SCHEDULE_OPTIONS_INIT");
    return 0;
}

/* CreateSchedule (|create|) or UpdateSchedule of the schedule |user_opts| describe. */
static int put_schedule(struct temporal_client *c, const struct temporal_schedule_options *user_opts,
                        bool create, struct temporal_error *err)
{
    struct temporal_schedule_options o;
    struct schedule_parts p;
    int rc = copy_schedule_options(&o, user_opts, c, err);
    if (rc == 0)
        rc = schedule_parts_init(&p, &o, err);
    if (rc != 0)
        return rc;
    char request_id[37];
    temporal__uuid4(request_id);
    if (create) {
        Temporal__Api__Workflowservice__V1__CreateScheduleRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
        req.namespace_ = (char *)temporal_client_namespace(c);
        req.schedule_id = (char *)o.schedule_id;
        req.schedule = &p.schedule;
        req.identity = (char *)temporal_client_identity(c);
        req.request_id = request_id;
        rc = temporal__rpc_call_discard(temporal__client_conn(c), WS("CreateSchedule"), &req.base,
                                        &temporal__api__workflowservice__v1__create_schedule_response__descriptor,
                                        NULL, err);
    } else {
        Temporal__Api__Workflowservice__V1__UpdateScheduleRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_SCHEDULE_REQUEST__INIT;
        req.namespace_ = (char *)temporal_client_namespace(c);
        req.schedule_id = (char *)o.schedule_id;
        req.schedule = &p.schedule;
        req.identity = (char *)temporal_client_identity(c);
        req.request_id = request_id;
        rc = temporal__rpc_call_discard(temporal__client_conn(c), WS("UpdateSchedule"), &req.base,
                                        &temporal__api__workflowservice__v1__update_schedule_response__descriptor,
                                        NULL, err);
    }
    temporal__start_parts_cleanup(&p.start);
    if (create && (rc == TEMPORAL_EWORKFLOW_ALREADY_STARTED || rc == TEMPORAL_EALREADY_EXISTS))
        return temporal__fail(err, TEMPORAL_EALREADY_EXISTS, err ? err->grpc_status : -1,
                              "schedule '%s' already exists (delete it first, or update it)",
                              o.schedule_id);
    return rc;
}

int temporal_client_create_schedule(struct temporal_client *c,
                                    const struct temporal_schedule_options *opts,
                                    struct temporal_error *err)
{
    return put_schedule(c, opts, true, err);
}

int temporal_client_update_schedule(struct temporal_client *c,
                                    const struct temporal_schedule_options *opts,
                                    struct temporal_error *err)
{
    return put_schedule(c, opts, false, err);
}

/* Sends |patch| to schedule |schedule_id|. */
static int patch_schedule(struct temporal_client *c, const char *schedule_id,
                          Temporal__Api__Schedule__V1__SchedulePatch *patch,
                          struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "schedule calls need a client");
    if ((rc = temporal__require(schedule_id, "schedule id", err)) != 0)
        return rc;
    char request_id[37];
    temporal__uuid4(request_id);
    Temporal__Api__Workflowservice__V1__PatchScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__PATCH_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)temporal_client_namespace(c);
    req.schedule_id = (char *)schedule_id;
    req.patch = patch;
    req.identity = (char *)temporal_client_identity(c);
    req.request_id = request_id;
    return temporal__rpc_call_discard(temporal__client_conn(c), WS("PatchSchedule"), &req.base,
                                      &temporal__api__workflowservice__v1__patch_schedule_response__descriptor,
                                      NULL, err);
}

int temporal_client_pause_schedule(struct temporal_client *c, const char *schedule_id,
                                   const char *note, struct temporal_error *err)
{
    Temporal__Api__Schedule__V1__SchedulePatch patch = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    patch.pause = (char *)(temporal__empty(note) ? "Paused via temporal-c" : note);
    return patch_schedule(c, schedule_id, &patch, err);
}

int temporal_client_unpause_schedule(struct temporal_client *c, const char *schedule_id,
                                     const char *note, struct temporal_error *err)
{
    Temporal__Api__Schedule__V1__SchedulePatch patch = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    patch.unpause = (char *)(temporal__empty(note) ? "Unpaused via temporal-c" : note);
    return patch_schedule(c, schedule_id, &patch, err);
}

int temporal_client_trigger_schedule(struct temporal_client *c, const char *schedule_id,
                                     enum temporal_schedule_overlap_policy overlap,
                                     struct temporal_error *err)
{
    Temporal__Api__Schedule__V1__TriggerImmediatelyRequest t =
        TEMPORAL__API__SCHEDULE__V1__TRIGGER_IMMEDIATELY_REQUEST__INIT;
    t.overlap_policy = (overlap_pb)overlap;
    Temporal__Api__Schedule__V1__SchedulePatch patch = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    patch.trigger_immediately = &t;
    return patch_schedule(c, schedule_id, &patch, err);
}

static Google__Protobuf__Timestamp *timestamp_set(Google__Protobuf__Timestamp *t, int64_t ms)
{
    Google__Protobuf__Timestamp init = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    *t = init;
    int64_t seconds = ms / 1000, rest = ms % 1000;
    if (rest < 0) { /* before 1970: nanos are never negative */
        seconds--;
        rest += 1000;
    }
    t->seconds = seconds;
    t->nanos = (int32_t)(rest * 1000000);
    return t;
}

int temporal_client_backfill_schedule(struct temporal_client *c, const char *schedule_id,
                                      const struct temporal_schedule_backfill *ranges, size_t count,
                                      struct temporal_error *err)
{
    if (ranges == NULL || count == 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "backfill needs at least one time range");
    Google__Protobuf__Timestamp *times = calloc(2 * count, sizeof(*times));
    Temporal__Api__Schedule__V1__BackfillRequest *reqs = calloc(count, sizeof(*reqs));
    Temporal__Api__Schedule__V1__BackfillRequest **list = calloc(count, sizeof(*list));
    int rc = times && reqs && list ? 0 : temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (ranges[i].end_ms < ranges[i].start_ms) {
            rc = temporal__fail(err, TEMPORAL_EINVAL, -1,
                                "backfill range %zu of schedule '%s' ends before it starts", i,
                                schedule_id ? schedule_id : "");
            break;
        }
        Temporal__Api__Schedule__V1__BackfillRequest b = TEMPORAL__API__SCHEDULE__V1__BACKFILL_REQUEST__INIT;
        b.start_time = timestamp_set(&times[2 * i], ranges[i].start_ms);
        b.end_time = timestamp_set(&times[2 * i + 1], ranges[i].end_ms);
        b.overlap_policy = (overlap_pb)ranges[i].overlap;
        reqs[i] = b;
        list[i] = &reqs[i];
    }
    if (rc == 0) {
        Temporal__Api__Schedule__V1__SchedulePatch patch = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
        patch.n_backfill_request = count;
        patch.backfill_request = list;
        rc = patch_schedule(c, schedule_id, &patch, err);
    }
    free(times);
    free(reqs);
    free(list);
    return rc;
}

int temporal_client_delete_schedule(struct temporal_client *c, const char *schedule_id,
                                    struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "schedule calls need a client");
    if ((rc = temporal__require(schedule_id, "schedule id", err)) != 0)
        return rc;
    Temporal__Api__Workflowservice__V1__DeleteScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DELETE_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)temporal_client_namespace(c);
    req.schedule_id = (char *)schedule_id;
    req.identity = (char *)temporal_client_identity(c);
    return temporal__rpc_call_discard(temporal__client_conn(c), WS("DeleteSchedule"), &req.base,
                                      &temporal__api__workflowservice__v1__delete_schedule_response__descriptor,
                                      NULL, err);
}

/* Appends a copy of |s| to the list |*list| of |*count| strings.  0 or TEMPORAL_ENOMEM. */
static int push_string(char ***list, size_t *count, const char *s)
{
    char **l = realloc(*list, (*count + 1) * sizeof(*l));
    if (l == NULL)
        return TEMPORAL_ENOMEM;
    *list = l;
    if ((l[*count] = temporal__strdup(s ? s : "")) == NULL)
        return TEMPORAL_ENOMEM;
    (*count)++;
    return 0;
}

int temporal_client_describe_schedule(struct temporal_client *c, const char *schedule_id,
                                      struct temporal_schedule_description *out,
                                      struct temporal_error *err)
{
    int rc;
    if (c == NULL || out == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "describe_schedule needs a client and an output");
    memset(out, 0, sizeof(*out));
    if ((rc = temporal__require(schedule_id, "schedule id", err)) != 0)
        return rc;
    Temporal__Api__Workflowservice__V1__DescribeScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)temporal_client_namespace(c);
    req.schedule_id = (char *)schedule_id;
    Temporal__Api__Workflowservice__V1__DescribeScheduleResponse *resp = NULL;
    rc = temporal__rpc_call(temporal__client_conn(c), WS("DescribeSchedule"), &req.base,
                            &temporal__api__workflowservice__v1__describe_schedule_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    if (rc != 0)
        return rc;
    const Temporal__Api__Schedule__V1__Schedule *s = resp->schedule;
    const Temporal__Api__Schedule__V1__ScheduleInfo *info = resp->info;
    const Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w =
        s && s->action && s->action->action_case == TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW
            ? s->action->start_workflow
            : NULL;
    out->paused = s && s->state && s->state->paused;
    out->note = temporal__strdup(s && s->state ? s->state->notes : "");
    out->workflow_id = temporal__strdup(w ? w->workflow_id : "");
    out->workflow_type = temporal__strdup(w && w->workflow_type ? w->workflow_type->name : "");
    out->task_queue = temporal__strdup(w && w->task_queue ? w->task_queue->name : "");
    rc = out->note && out->workflow_id && out->workflow_type && out->task_queue ? 0 : TEMPORAL_ENOMEM;
    if (rc == 0 && w != NULL)
        rc = temporal__payloads_from_proto(&out->action_args, w->input);
    if (s && s->spec && s->spec->n_interval > 0)
        out->interval_ms = temporal__duration_ms(s->spec->interval[0]->interval);
    if (info != NULL) {
        out->action_count = info->action_count;
        out->overlap_skipped = info->overlap_skipped;
        out->missed_catchup_window = info->missed_catchup_window;
        for (size_t i = 0; rc == 0 && i < info->n_running_workflows; i++)
            rc = push_string(&out->running_workflow_ids, &out->running_count,
                             info->running_workflows[i]->workflow_id);
        for (size_t i = 0; rc == 0 && i < info->n_recent_actions; i++) {
            const Temporal__Api__Common__V1__WorkflowExecution *x =
                info->recent_actions[i]->start_workflow_result;
            if (x != NULL)
                rc = push_string(&out->recent_workflow_ids, &out->recent_count, x->workflow_id);
        }
        if (info->n_future_action_times > 0)
            out->next_action_time_ms = temporal__timestamp_ms(info->future_action_times[0]);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (rc != 0) {
        temporal_schedule_description_cleanup(out);
        return temporal__fail(err, rc, -1, "out of memory");
    }
    return 0;
}

static void free_strings(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

void temporal_schedule_description_cleanup(struct temporal_schedule_description *d)
{
    if (d == NULL)
        return;
    free(d->note);
    free(d->workflow_id);
    free(d->workflow_type);
    free(d->task_queue);
    temporal_payloads_cleanup(&d->action_args);
    free_strings(d->running_workflow_ids, d->running_count);
    free_strings(d->recent_workflow_ids, d->recent_count);
    memset(d, 0, sizeof(*d));
}

int temporal_client_list_schedules(struct temporal_client *c, char ***ids, size_t *count,
                                   struct temporal_error *err)
{
    if (c == NULL || ids == NULL || count == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "list_schedules needs a client and outputs");
    *ids = NULL;
    *count = 0;
    ProtobufCBinaryData token = { 0, NULL };
    Temporal__Api__Workflowservice__V1__ListSchedulesResponse *prev = NULL;
    int rc = 0;
    for (;;) {
        Temporal__Api__Workflowservice__V1__ListSchedulesRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_SCHEDULES_REQUEST__INIT;
        req.namespace_ = (char *)temporal_client_namespace(c);
        req.maximum_page_size = 1000;
        req.next_page_token = token;
        Temporal__Api__Workflowservice__V1__ListSchedulesResponse *resp = NULL;
        rc = temporal__rpc_call(temporal__client_conn(c), WS("ListSchedules"), &req.base,
                                &temporal__api__workflowservice__v1__list_schedules_response__descriptor,
                                (ProtobufCMessage **)&resp, NULL, err);
        if (prev != NULL) /* its token was used by the request just made */
            protobuf_c_message_free_unpacked(&prev->base, NULL);
        prev = NULL;
        if (rc != 0)
            break;
        for (size_t i = 0; rc == 0 && i < resp->n_schedules; i++)
            rc = push_string(ids, count, resp->schedules[i]->schedule_id);
        if (rc != 0 || resp->next_page_token.len == 0) {
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            if (rc != 0)
                rc = temporal__fail(err, rc, -1, "out of memory");
            break;
        }
        token = resp->next_page_token;
        prev = resp;
    }
    if (rc != 0) {
        free_strings(*ids, *count);
        *ids = NULL;
        *count = 0;
    }
    return rc;
}
