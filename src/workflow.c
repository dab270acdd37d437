/*
 * workflow: the workflow engine (history -> commands, non-determinism checks) and the API
 * workflow code calls (temporal/workflow.h), running user code on coroutines.  See
 * wf_engine.h for the model.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "coro.h"
#include "history_json.h"
#include "trace_int.h"
#include "wf_engine.h"

#define DEFAULT_FAILURE_TYPE "TemporalCError"
/* A torn-down run resumes its blocked branches at most this often to let them return. */
#define TEARDOWN_RESUMES 64

#define EV(name) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##name
#define CMD(name) TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_##name
#define ATTR(name) TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_##name##_EVENT_ATTRIBUTES

/* Command state machines ---------------------------------------------------------------------- */

enum machine_kind {
    M_ACTIVITY,
    M_TIMER,
    M_COMPLETE,
    M_FAIL,
    M_CANCEL,
    M_CONTINUE_AS_NEW,
    M_CANCEL_ACTIVITY,
    M_CANCEL_TIMER,
    M_PATCH_MARKER,
    M_CHILD,
    M_SIGNAL_EXTERNAL,
    M_CANCEL_EXTERNAL,
    M_SIDE_EFFECT_MARKER,
    M_UPSERT_SEARCH_ATTRIBUTES,
    M_MODIFY_PROPERTIES,
    M_UPDATE_ACCEPTED,
    M_UPDATE_COMPLETED,
    M_LOCAL_ACTIVITY,
};

static const char *const machine_names[] = {
    "ScheduleActivityTask",    "StartTimer",           "CompleteWorkflowExecution",
    "FailWorkflowExecution",   "CancelWorkflowExecution", "ContinueAsNewWorkflowExecution",
    "RequestCancelActivityTask", "CancelTimer", "RecordMarker(patch)",
    "StartChildWorkflowExecution", "SignalExternalWorkflowExecution",
    "RequestCancelExternalWorkflowExecution", "RecordMarker(side effect)",
    "UpsertWorkflowSearchAttributes", "ModifyWorkflowProperties",
    "ProtocolMessage(update accepted)", "ProtocolMessage(update completed)",
    "RecordMarker(local activity)",
};

/* Type URLs of the update protocol's messages (google.protobuf.Any). */
#define ANY_PREFIX "type.googleapis.com/"
#define UPDATE_REQUEST_TYPE "temporal.api.update.v1.Request"

/* Patch markers use sdk-core's format, so tools that know Core's markers read ours too. */
#define PATCH_MARKER_NAME "core_patch"
#define PATCH_MARKER_DETAIL "patch-data"
/* Side-effect markers use the Go SDK's format (sdk-core has no side effects). */
#define SIDE_EFFECT_MARKER_NAME "SideEffect"
#define SIDE_EFFECT_ID_DETAIL "side-effect-id"
#define SIDE_EFFECT_DATA_DETAIL "data"
/* Local-activity markers use sdk-core's format: details "data" (JSON of the attempt) and
 * "result"; a failure goes in the marker's failure field. */
#define LA_MARKER_NAME "core_local_activity"
#define LA_DATA_DETAIL "data"
#define LA_RESULT_DETAIL "result"
#define LA_DEFAULT_INITIAL_INTERVAL_MS 1000
#define LA_DEFAULT_BACKOFF 2.0
#define LA_DEFAULT_RETRY_THRESHOLD_MS 60000

/* One command and what became of it.  Owns everything its command message points to. */
struct machine {
    enum machine_kind kind;
    bool matched;             /* its initial event has been seen in history */
    bool sent;                /* handed to the worker to send (or matched during replay) */
    bool resolved;            /* the activity/timer finished (or was cancelled) */
    uint64_t task;            /* the workflow task (run->tasks) that issued the command */
    int64_t initial_event_id; /* scheduled / started event id */
    char id[24];              /* activity id or timer id: the run's sequence number */
    char *activity_type;
    char *task_queue;
    struct temporal_payloads payloads; /* input, result or details */
    struct temporal__payloads_view view;
    /* Resolution (activities): 0, TEMPORAL_EACTIVITY_FAILED or TEMPORAL_ECANCELED. */
    int result_code;
    struct temporal_payloads result;
    struct temporal_error error;
    bool has_app_failure;
    char *app_type, *app_message;
    bool app_non_retryable;
    struct temporal_payloads app_details;
    /* The command message and its parts. */
    temporal__pb_command command;
    struct machine *target; /* M_CANCEL_*: the activity or timer being cancelled */
    char *patch_id;         /* M_PATCH_MARKER */
    char *child_id;         /* M_CHILD: the child's workflow id (type in activity_type);
                             * M_*_EXTERNAL: the target's workflow id */
    char *target_run_id;    /* M_*_EXTERNAL (may be "") */
    char *signal_name;      /* M_SIGNAL_EXTERNAL; M_CANCEL_EXTERNAL: the reason */
    Temporal__Api__Common__V1__WorkflowExecution execution_msg;
    Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry marker_entry[2];
    Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry *marker_entries[2];
    struct temporal_payloads marker_extra; /* a marker's second detail (side-effect id) */
    /* M_UPSERT_SEARCH_ATTRIBUTES, M_MODIFY_PROPERTIES: the fields (names and values owned
     * here, in |field_names| and |payloads|) and their wire form. */
    char **field_names;
    size_t field_count;
    struct temporal__payload_map_view fields_view;
    struct temporal__payload_map_view can_search_attributes_view; /* M_CONTINUE_AS_NEW: its search attributes */
    char *update_id;  /* M_UPDATE_*: the update; its protocol message's id is message_id */
    char *message_id;
    /* M_LOCAL_ACTIVITY: its state, the request the worker executes, its retry policy. It
     * joins the command queue only once resolved (its marker is recorded then). */
    bool la_started; /* handed to the worker to execute */
    bool la_cancel_requested;
    bool la_abandoned;
    int32_t la_attempt;     /* its last attempt */
    int64_t la_backoff_ms;  /* > 0: failed; the next attempt after a timer of this long */
    struct temporal__la_request la;
    struct temporal_retry_policy la_retry;
    struct temporal__payloads_view marker_extra_view;
    /* Tracing: the context of the span of its command (StartActivity, StartChildWorkflow,
     * SignalExternalWorkflow), which its header carries (allocated only when tracing). */
    struct temporal__trace_ctx trace;
    struct temporal__trace_header *trace_header;
    union {
        Temporal__Api__Command__V1__RecordMarkerCommandAttributes marker;
        Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes child;
        Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes signal;
        Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes cancel_external;
        Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes cancel_activity;
        Temporal__Api__Command__V1__CancelTimerCommandAttributes cancel_timer;
        Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes activity;
        Temporal__Api__Command__V1__StartTimerCommandAttributes timer;
        Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes complete;
        Temporal__Api__Command__V1__FailWorkflowExecutionCommandAttributes fail;
        Temporal__Api__Command__V1__CancelWorkflowExecutionCommandAttributes cancel;
        Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes can;
        Temporal__Api__Command__V1__UpsertWorkflowSearchAttributesCommandAttributes upsert;
        Temporal__Api__Command__V1__ModifyWorkflowPropertiesCommandAttributes modify;
        Temporal__Api__Command__V1__ProtocolMessageCommandAttributes protocol_message;
    } attrs;
    Temporal__Api__Common__V1__ActivityType activity_type_msg;
    Temporal__Api__Common__V1__WorkflowType workflow_type_msg;
    Temporal__Api__Taskqueue__V1__TaskQueue task_queue_msg;
    Google__Protobuf__Duration durations[4];
    Google__Protobuf__Duration retry_durations[2];
    Temporal__Api__Common__V1__RetryPolicy retry;
    char **non_retryable;
    size_t non_retryable_count;
    Temporal__Api__Failure__V1__Failure failure;
    Temporal__Api__Failure__V1__ApplicationFailureInfo app_info;
    Temporal__Api__Failure__V1__CanceledFailureInfo canceled_info;
    char *failure_type;
    char *failure_message;
    struct temporal__payloads_view failure_view;
    struct temporal_payloads failure_details;

    struct machine *next;       /* all machines of the run, in creation order */
    struct machine *next_queue; /* the queue of commands awaiting their event */
};

/* Branches (coroutines) ------------------------------------------------------------------------- */

struct temporal_workflow_branch {
    struct temporal_workflow_ctx *run;
    struct temporal__coro *coro;
    temporal_workflow_branch_fn fn; /* NULL for the main branch and update handlers */
    void *arg;
    struct update *update; /* the update this branch handles, or NULL */
    bool done;
    int rc;
    bool cancelled; /* temporal_workflow_cancel_branch() */
    bool detached;  /* not cancelled with the workflow */
    struct temporal_error last_error;
    const struct machine *last_failed; /* whose ApplicationFailure last_failure shows */
    struct temporal_failure_info last_failure;
    struct temporal_workflow_branch *next;
};

struct handler {
    char *name;
    void *fn; /* temporal_workflow_signal_fn, _query_fn or _update_fn */
    temporal_workflow_update_validator_fn validator;
    void *arg;
    struct handler *next;
};

/* How temporal_workflow_fail() said the workflow, an update handler or a validator fails. */
struct failure_note {
    bool set;
    char *type, *message;
    bool non_retryable;
    struct temporal_payloads details;
};

/* One workflow update: requested (a protocol message, or an UpdateAccepted event when
 * replaying), then accepted and handled on its own branch, or rejected. */
struct update {
    char *update_id, *message_id, *name;
    int64_t sequencing_event_id;
    struct temporal_payloads args;
    Temporal__Api__Update__V1__Request *request; /* as received (NULL when replayed) */
    struct temporal__trace_ctx trace;            /* its input header's context (tracing) */
    bool replayed;  /* from history: already accepted, the validator is not run again */
    bool accepted;
    struct temporal_payloads result;
    struct failure_note failure;
    struct update *next;
};

/* A protocol message to send with the task's completion (owns its parts). */
struct out_message {
    Temporal__Api__Protocol__V1__Message msg;
    Google__Protobuf__Any body;
    char *id, *instance, *type_url;
    uint8_t *packed;
    struct out_message *next;
};

/* A memo field or search attribute of the run (name and a one-payload list, owned). */
struct field {
    char *name;
    struct temporal_payloads value;
    struct field *next;
};

struct pending_signal {
    char *name;
    struct temporal_payloads args;
    struct temporal__trace_ctx trace; /* its header's context (tracing) */
    struct pending_signal *next;
};

/* The run ----------------------------------------------------------------------------------------- */

struct temporal_workflow_ctx {
    const struct temporal__wf_def *def;
    struct temporal__wf_log log;
    struct temporal_workflow_info info;
    char *namespace_name, *task_queue, *workflow_id, *run_id, *workflow_type, *continued_run_id;
    char *cron_schedule, *parent_workflow_id, *parent_run_id, *first_execution_run_id;

    int64_t last_event_id;
    bool started; /* WorkflowExecutionStarted seen */
    bool replaying;
    bool in_activation;
    bool cancel_requested;
    bool finished;   /* terminal command issued */
    bool tearing_down;
    int64_t now_ms;
    uint64_t rng;
    uint64_t progress; /* bumped by every state change, to know when all branches are blocked */
    uint64_t activations; /* count of activations so far */
    uint64_t tasks;       /* count of workflow tasks (boundaries) so far */
    uint64_t next_seq;

    struct temporal_payloads input;
    struct temporal_payloads output;
    struct failure_note failure;
    struct temporal_payloads continue_input;
    char *continue_type, *continue_task_queue; /* NULL: this run's */
    int64_t continue_run_timeout_ms, continue_task_timeout_ms;
    struct update *updates; /* requested or running, in arrival order */
    struct out_message *messages, *messages_tail; /* to send with this task's completion */
    Temporal__Api__Protocol__V1__Message **message_ptrs;
    size_t message_ptrs_cap;
    bool in_validator;
    struct failure_note validator_failure;

    struct temporal_workflow_branch *branches, *branches_tail;
    struct temporal_workflow_branch *current; /* the branch running now, or NULL */

    struct machine *machines, *machines_tail;
    struct machine *queue_head, *queue_tail; /* commands awaiting their initial event */
    temporal__pb_command **outgoing;
    size_t outgoing_cap;

    struct field *search_attributes, *memo; /* as of now: started with, then upserted */
    struct handler *signal_handlers, *query_handlers, *update_handlers;
    struct pending_signal *signals, *signals_tail;
    void **allocations; /* temporal_workflow_alloc(), freed with the run */
    size_t allocation_count, allocation_cap;
    /* patched(): the answer given for each patch id.  While a task is replayed: the markers
     * that task recorded in history (patches, side effects), read ahead of its activation. */
    struct patch_memo *patches;
    struct recorded_marker *upcoming;
    size_t upcoming_count;
    /* Set by workflow code that cannot go on in this task (a failed side effect, a replay
     * that no longer matches): the activation stops and the task fails. */
    struct temporal_error task_error;
    int64_t task_timeout_ms; /* of the latest WorkflowTaskScheduled */

    /* Tracing (unused without a tracer).  |trace_parent| is RunWorkflow's parent: the
     * started event's header context (|trace_parent_received|), else the run's own trace
     * (temporal__trace_ctx_for_run); |trace_wf| is RunWorkflow's context, the parent of
     * what the workflow does.  Both are derived from history: the same on every replay and
     * on every worker. */
    struct temporal_tracer *tracer;
    struct temporal__trace_ctx trace_parent, trace_wf;
    bool trace_parent_received;
    bool retried_task; /* the task at hand is attempt 2 or later */
};

/* A marker a replayed task recorded: a patch (|id| = patch id) or a side effect (|id| = the
 * command's sequence number, |data| = its result). */
struct recorded_marker {
    enum machine_kind kind;
    char *id;
    bool deprecated;
    struct temporal_payloads data;
    /* Local activities: the failure (borrowed from the event; NULL on success), the last
     * attempt, and the backoff before the next one (0 = none). */
    const Temporal__Api__Failure__V1__Failure *failure;
    int32_t attempt;
    int64_t backoff_ms;
};

struct patch_memo {
    char *id;
    bool value;
    struct patch_memo *next;
};

static void forget_upcoming(struct temporal_workflow_ctx *run);
static bool resolve_next_la_from_history(struct temporal_workflow_ctx *run);
static int fail_task(struct temporal_workflow_ctx *run, int code, const char *fmt, ...)
    TEMPORAL__PRINTF(3, 4);

/* Helpers --------------------------------------------------------------------------------------- */

static const char *str0(const char *s) { return s ? s : ""; }

/* Tracing ---------------------------------------------------------------------------------------- */

/* Whether the commands of this task carry trace context (never while replaying). */
static bool propagating(const struct temporal_workflow_ctx *run)
{
    return run->tracer != NULL && !run->replaying;
}

/* Whether this task records workflow spans: not while replaying, and not when retrying a
 * task whose failed attempt recorded them (temporal__wf_run_set_task_attempt()). */
static bool tracing(const struct temporal_workflow_ctx *run)
{
    return propagating(run) && !run->retried_task;
}

/* Workflow time, in Unix nanoseconds (0 before the first task: then "now"). */
static int64_t workflow_time_ns(const struct temporal_workflow_ctx *run)
{
    return run->now_ms * 1000000;
}

/* Starts workflow span |prefix|:|name| at workflow time with the run's attributes, a child
 * of the workflow ctx.  |out| as for temporal__span_start(). */
static struct temporal__span *wf_span_start(struct temporal_workflow_ctx *run,
                                            enum temporal__span_kind kind, const char *prefix,
                                            const char *name, struct temporal__trace_ctx *out)
{
    struct temporal__span *s = temporal__span_start(run->tracer, kind, prefix, name, &run->trace_wf,
                                                    NULL, workflow_time_ns(run), out);
    temporal__span_attr(s, "temporalWorkflowID", run->workflow_id);
    temporal__span_attr(s, "temporalRunID", run->run_id);
    return s;
}

/* Records a zero-length workflow span (see wf_span_start()) linked to |link| (may be NULL). */
static void wf_span_record(struct temporal_workflow_ctx *run, enum temporal__span_kind kind,
                           const char *prefix, const char *name,
                           const struct temporal__trace_ctx *link, struct temporal__trace_ctx *out)
{
    struct temporal__span *s = wf_span_start(run, kind, prefix, name, out);
    temporal__span_link(s, link);
    temporal__span_end(run->tracer, s, workflow_time_ns(run));
}

static int nd_fail(struct temporal_error *err, int64_t event_id, const char *fmt, ...)
    TEMPORAL__PRINTF(3, 4);

static int nd_fail(struct temporal_error *err, int64_t event_id, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return temporal__fail(err, TEMPORAL_ENONDETERMINISM, -1,
                          "non-deterministic workflow: at history event %lld, %s",
                          (long long)event_id, what);
}

static void run_log(struct temporal_workflow_ctx *run, enum temporal_log_level level,
                    const char *fmt, ...) TEMPORAL__PRINTF(3, 4);

static void run_log(struct temporal_workflow_ctx *run, enum temporal_log_level level,
                    const char *fmt, ...)
{
    if (run->log.fn == NULL)
        return;
    char msg[1024];
    int n = snprintf(msg, sizeof(msg), "[%s %s/%s] ", run->workflow_type ? run->workflow_type : "",
                     run->workflow_id, run->run_id);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    run->log.fn(run->log.user_data, level, msg);
}

static int copy_payloads(struct temporal_payloads *dst, const struct temporal_payloads *src)
{
    for (size_t i = 0; src != NULL && i < src->count; i++) {
        int rc = temporal_payloads_add_copy(dst, &src->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void note_cleanup(struct failure_note *n)
{
    free(n->type);
    free(n->message);
    temporal_payloads_cleanup(&n->details);
    memset(n, 0, sizeof(*n));
}

static void note_set(struct failure_note *n, const char *type, const char *message,
                     bool non_retryable, const struct temporal_payloads *details)
{
    note_cleanup(n);
    n->type = temporal__strdup(temporal__empty(type) ? DEFAULT_FAILURE_TYPE : type);
    n->message = temporal__strdup(message ? message : "");
    n->non_retryable = non_retryable;
    copy_payloads(&n->details, details);
    n->set = true;
}

static void update_free(struct update *u)
{
    free(u->update_id);
    free(u->message_id);
    free(u->name);
    temporal_payloads_cleanup(&u->args);
    temporal_payloads_cleanup(&u->result);
    if (u->request != NULL)
        protobuf_c_message_free_unpacked(&u->request->base, NULL);
    note_cleanup(&u->failure);
    temporal__trace_ctx_clear(&u->trace);
    free(u);
}

static void forget_messages(struct temporal_workflow_ctx *run)
{
    for (struct out_message *o = run->messages, *n; o; o = n) {
        n = o->next;
        free(o->id);
        free(o->instance);
        free(o->type_url);
        free(o->packed);
        free(o);
    }
    run->messages = run->messages_tail = NULL;
}

static void fields_free(struct field **list)
{
    for (struct field *f = *list, *n; f; f = n) {
        n = f->next;
        free(f->name);
        temporal_payloads_cleanup(&f->value);
        free(f);
    }
    *list = NULL;
}

/* Sets field |name| of |list| to a copy of |value|; NULL removes it.  0 or TEMPORAL_ENOMEM. */
static int field_set(struct field **list, const char *name, const struct temporal_payload *value)
{
    struct field **pp = list;
    while (*pp != NULL && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    struct field *f = *pp;
    if (value == NULL) {
        if (f != NULL) {
            *pp = f->next;
            free(f->name);
            temporal_payloads_cleanup(&f->value);
            free(f);
        }
        return 0;
    }
    if (f == NULL) {
        if ((f = calloc(1, sizeof(*f))) == NULL || (f->name = temporal__strdup(name)) == NULL) {
            free(f);
            return TEMPORAL_ENOMEM;
        }
        *pp = f;
    }
    temporal_payloads_cleanup(&f->value);
    return temporal_payloads_add_copy(&f->value, value);
}

static const struct temporal_payload *field_get(const struct field *list, const char *name)
{
    for (const struct field *f = list; f && name; f = f->next)
        if (strcmp(f->name, name) == 0)
            return &f->value.items[0];
    return NULL;
}

/* Sets field |key| of |list| from an inbound map entry.  0 or TEMPORAL_ENOMEM. */
static int field_set_proto(struct field **list, const char *key, const temporal__pb_payload *value)
{
    if (key == NULL || value == NULL)
        return 0;
    temporal__pb_payload *one[1] = { (temporal__pb_payload *)value };
    temporal__pb_payloads wrap = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    wrap.n_payloads = 1;
    wrap.payloads = one;
    struct temporal_payloads copy = TEMPORAL_PAYLOADS_INIT;
    int rc = temporal__payloads_from_proto(&copy, &wrap);
    if (rc == 0)
        rc = field_set(list, key, &copy.items[0]);
    temporal_payloads_cleanup(&copy);
    return rc;
}

static int fields_from_memo(struct field **list, const Temporal__Api__Common__V1__Memo *memo)
{
    int rc = 0;
    for (size_t i = 0; memo != NULL && rc == 0 && i < memo->n_fields; i++)
        rc = field_set_proto(list, memo->fields[i]->key, memo->fields[i]->value);
    return rc;
}

static int fields_from_search_attributes(struct field **list,
                                         const Temporal__Api__Common__V1__SearchAttributes *sa)
{
    int rc = 0;
    for (size_t i = 0; sa != NULL && rc == 0 && i < sa->n_indexed_fields; i++)
        rc = field_set_proto(list, sa->indexed_fields[i]->key, sa->indexed_fields[i]->value);
    return rc;
}

static void machine_free(struct machine *m)
{
    free(m->activity_type);
    free(m->task_queue);
    temporal_payloads_cleanup(&m->payloads);
    temporal__payloads_view_cleanup(&m->view);
    temporal_payloads_cleanup(&m->result);
    for (size_t i = 0; i < m->non_retryable_count; i++)
        free(m->non_retryable[i]);
    free(m->non_retryable);
    free(m->failure_type);
    free(m->failure_message);
    temporal__payloads_view_cleanup(&m->failure_view);
    temporal_payloads_cleanup(&m->failure_details);
    free(m->app_type);
    free(m->app_message);
    temporal_payloads_cleanup(&m->app_details);
    free(m->patch_id);
    free(m->update_id);
    free(m->message_id);
    for (size_t i = 0; i < m->field_count; i++)
        free(m->field_names[i]);
    free(m->field_names);
    temporal__payload_map_view_cleanup(&m->fields_view);
    temporal__payload_map_view_cleanup(&m->can_search_attributes_view);
    temporal_payloads_cleanup(&m->marker_extra);
    temporal__payloads_view_cleanup(&m->marker_extra_view);
    free(m->child_id);
    free(m->target_run_id);
    free(m->signal_name);
    temporal__trace_ctx_clear(&m->trace);
    if (m->trace_header != NULL) {
        temporal__trace_header_clear(m->trace_header);
        free(m->trace_header);
    }
    free(m);
}

/* Points |*field| (a header of |m|'s command) at a `_tracer-data` header holding |ctx|, owned
 * by |m|.  Tracing is best effort: without memory the header is left out. */
static void machine_set_trace_header(struct machine *m, const struct temporal__trace_ctx *ctx,
                                     Temporal__Api__Common__V1__Header **field)
{
    if (m->trace_header == NULL && (m->trace_header = calloc(1, sizeof(*m->trace_header))) == NULL)
        return;
    *field = temporal__trace_header_set(m->trace_header, ctx, NULL);
}

/* Fills |m->trace| with the context of what |m| starts: its CLIENT span |prefix|:|name| (a
 * child of the workflow ctx), recorded here; in a retried task, which records no spans, the
 * workflow ctx itself.  Returns whether |m->trace| is set (false: not propagating, or OOM). */
static bool trace_command_ctx(struct temporal_workflow_ctx *run, struct machine *m,
                              const char *prefix, const char *name)
{
    if (tracing(run)) {
        wf_span_record(run, TEMPORAL__SPAN_CLIENT, prefix, name, NULL, &m->trace);
        return true;
    }
    return propagating(run) && temporal__trace_ctx_copy(&m->trace, &run->trace_wf) == 0;
}

/* As trace_command_ctx(), and makes the command's header |*field| carry the context. */
static void trace_command(struct temporal_workflow_ctx *run, struct machine *m, const char *prefix,
                          const char *name, Temporal__Api__Common__V1__Header **field)
{
    if (trace_command_ctx(run, m, prefix, name))
        machine_set_trace_header(m, &m->trace, field);
}

/* Fills |m->failure| as an ApplicationFailure from |type|, |message|, |details|. */
static int machine_set_failure(struct machine *m, const char *type, const char *message,
                               bool non_retryable, const struct temporal_payloads *details)
{
    m->failure_type = temporal__strdup(temporal__empty(type) ? DEFAULT_FAILURE_TYPE : type);
    m->failure_message = temporal__strdup(message ? message : "");
    if (m->failure_type == NULL || m->failure_message == NULL ||
        copy_payloads(&m->failure_details, details) != 0)
        return TEMPORAL_ENOMEM;
    int rc = 0;
    temporal__payloads_view_init(&m->failure_view, &m->failure_details, &rc);
    if (rc != 0)
        return rc;
    temporal__failure_application(&m->failure, &m->app_info, m->failure_type, m->failure_message,
                                  non_retryable, &m->failure_view.msg);
    return 0;
}

/* How error messages name |m|: its sequence number, or its patch id. */
static const char *machine_label(const struct machine *m)
{
    return m->kind == M_PATCH_MARKER ? str0(m->patch_id) : m->id;
}

/* Puts |m|'s command at the end of the queue of commands awaiting their events. */
static void machine_enqueue(struct temporal_workflow_ctx *run, struct machine *m)
{
    if (run->queue_tail)
        run->queue_tail->next_queue = m;
    else
        run->queue_head = m;
    run->queue_tail = m;
    /* During replay a command is "sent" already: history must hold its event. */
    m->sent = run->replaying;
    m->task = run->tasks;
}

/* A new machine, its command queued now if |enqueue| (NULL on OOM). */
static struct machine *machine_new(struct temporal_workflow_ctx *run, enum machine_kind kind,
                                   bool enqueue)
{
    struct machine *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->kind = kind;
    /* Patch markers are named by their patch id and take no number, so that removing a
     * deprecated patch call does not renumber the commands after it. */
    if (kind != M_PATCH_MARKER)
        snprintf(m->id, sizeof(m->id), "%llu", (unsigned long long)++run->next_seq);
    temporal__pb_command c = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
    m->command = c;
    if (run->machines_tail)
        run->machines_tail->next = m;
    else
        run->machines = m;
    run->machines_tail = m;
    if (enqueue)
        machine_enqueue(run, m);
    m->task = run->tasks;
    run->progress++;
    return m;
}

/* Queues a new machine's command; returns it (NULL on OOM). */
static struct machine *machine_add(struct temporal_workflow_ctx *run, enum machine_kind kind)
{
    return machine_new(run, kind, true);
}

/* The machine whose initial event is |event_id|. */
static struct machine *machine_by_event(struct temporal_workflow_ctx *run, int64_t event_id)
{
    for (struct machine *m = run->machines; m; m = m->next)
        if (m->matched && m->initial_event_id == event_id)
            return m;
    return NULL;
}

/* Run lifecycle --------------------------------------------------------------------------------- */

int temporal__wf_run_new(struct temporal_workflow_ctx **out, const struct temporal__wf_def *def,
                         const char *namespace_name, const char *task_queue,
                         const char *workflow_id, const char *run_id,
                         const struct temporal__wf_log *log)
{
    struct temporal_workflow_ctx *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return TEMPORAL_ENOMEM;
    run->def = def;
    if (log != NULL)
        run->log = *log;
    run->namespace_name = temporal__strdup(namespace_name);
    run->task_queue = temporal__strdup(task_queue);
    run->workflow_id = temporal__strdup(workflow_id);
    run->run_id = temporal__strdup(run_id);
    run->workflow_type = temporal__strdup(def->name);
    run->continued_run_id = temporal__strdup("");
    run->cron_schedule = temporal__strdup("");
    run->parent_workflow_id = temporal__strdup("");
    run->parent_run_id = temporal__strdup("");
    run->first_execution_run_id = temporal__strdup(run_id);
    if (!run->namespace_name || !run->task_queue || !run->workflow_id || !run->run_id ||
        !run->workflow_type || !run->continued_run_id || !run->cron_schedule ||
        !run->parent_workflow_id || !run->parent_run_id || !run->first_execution_run_id) {
        temporal__wf_run_free(run);
        return TEMPORAL_ENOMEM;
    }
    struct temporal_workflow_info *in = &run->info;
    in->workflow_id = run->workflow_id;
    in->run_id = run->run_id;
    in->workflow_type = run->workflow_type;
    in->task_queue = run->task_queue;
    in->namespace_name = run->namespace_name;
    in->continued_run_id = run->continued_run_id;
    in->cron_schedule = run->cron_schedule;
    in->parent_workflow_id = run->parent_workflow_id;
    in->parent_run_id = run->parent_run_id;
    in->first_execution_run_id = run->first_execution_run_id;
    in->attempt = 1;
    *out = run;
    return 0;
}

static void branch_entry(void *arg);

/* Resumes every unfinished branch until they all return (used at teardown). */
static void unwind_branches(struct temporal_workflow_ctx *run)
{
    run->tearing_down = true;
    for (int round = 0; round < TEARDOWN_RESUMES; round++) {
        bool any = false;
        for (struct temporal_workflow_branch *b = run->branches; b; b = b->next) {
            if (b->coro != NULL && !b->done && temporal__coro_current() == NULL) {
                run->current = b;
                temporal__coro_resume(b->coro);
                run->current = NULL;
                any = any || !b->done;
            }
        }
        if (!any)
            break;
    }
}

void temporal__wf_run_free(struct temporal_workflow_ctx *run)
{
    if (run == NULL)
        return;
    unwind_branches(run);
    for (struct temporal_workflow_branch *b = run->branches, *n; b; b = n) {
        n = b->next;
        temporal__coro_free(b->coro);
        free(b);
    }
    for (struct machine *m = run->machines, *n; m; m = n) {
        n = m->next;
        machine_free(m);
    }
    struct handler *lists[] = { run->signal_handlers, run->query_handlers, run->update_handlers };
    for (int i = 0; i < 3; i++)
        for (struct handler *h = lists[i], *n; h; h = n) {
            n = h->next;
            free(h->name);
            free(h);
        }
    fields_free(&run->search_attributes);
    fields_free(&run->memo);
    for (struct pending_signal *s = run->signals, *n; s; s = n) {
        n = s->next;
        free(s->name);
        temporal_payloads_cleanup(&s->args);
        temporal__trace_ctx_clear(&s->trace);
        free(s);
    }
    temporal__trace_ctx_clear(&run->trace_parent);
    temporal__trace_ctx_clear(&run->trace_wf);
    for (struct patch_memo *p = run->patches, *n; p; p = n) {
        n = p->next;
        free(p->id);
        free(p);
    }
    forget_upcoming(run);
    free(run->upcoming);
    for (size_t i = 0; i < run->allocation_count; i++)
        free(run->allocations[i]);
    free(run->allocations);
    temporal_payloads_cleanup(&run->input);
    temporal_payloads_cleanup(&run->output);
    note_cleanup(&run->failure);
    note_cleanup(&run->validator_failure);
    for (struct update *u = run->updates, *n; u; u = n) {
        n = u->next;
        update_free(u);
    }
    forget_messages(run);
    free(run->message_ptrs);
    temporal_payloads_cleanup(&run->continue_input);
    free(run->continue_type);
    free(run->continue_task_queue);
    free(run->outgoing);
    free(run->namespace_name);
    free(run->task_queue);
    free(run->workflow_id);
    free(run->run_id);
    free(run->workflow_type);
    free(run->continued_run_id);
    free(run->cron_schedule);
    free(run->parent_workflow_id);
    free(run->parent_run_id);
    free(run->first_execution_run_id);
    free(run);
}

void temporal__wf_run_set_tracer(struct temporal_workflow_ctx *run, struct temporal_tracer *tracer)
{
    run->tracer = tracer;
}

void temporal__wf_run_set_task_attempt(struct temporal_workflow_ctx *run, int32_t attempt)
{
    run->retried_task = attempt > 1;
}

int64_t temporal__wf_run_last_event_id(const struct temporal_workflow_ctx *run)
{
    return run->last_event_id;
}

bool temporal__wf_run_finished(const struct temporal_workflow_ctx *run) { return run->finished; }

const struct temporal__wf_def *temporal__wf_run_def(const struct temporal_workflow_ctx *run)
{
    return run->def;
}

/* Branches and the scheduler -------------------------------------------------------------------- */

static int branch_new(struct temporal_workflow_ctx *run, temporal_workflow_branch_fn fn, void *arg,
                      struct temporal_workflow_branch **out)
{
    struct temporal_workflow_branch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return TEMPORAL_ENOMEM;
    b->run = run;
    b->fn = fn;
    b->arg = arg;
    int rc = temporal__coro_new(&b->coro, branch_entry, b, 0);
    if (rc != 0) {
        free(b);
        return rc;
    }
    if (run->branches_tail)
        run->branches_tail->next = b;
    else
        run->branches = b;
    run->branches_tail = b;
    run->progress++;
    if (out)
        *out = b;
    return 0;
}

static void set_duration(struct machine *m, int slot, Google__Protobuf__Duration **field, int64_t ms);

/* A wire map (Memo and SearchAttributes) over the run's |fields| (borrowed). */
static int fields_view_of(struct temporal__payload_map_view *view, const struct field *fields)
{
    size_t n = 0;
    for (const struct field *f = fields; f; f = f->next)
        n++;
    struct temporal_named_payload *named = calloc(n ? n : 1, sizeof(*named));
    if (named == NULL)
        return TEMPORAL_ENOMEM;
    size_t i = 0;
    for (const struct field *f = fields; f; f = f->next, i++) {
        named[i].name = f->name;
        named[i].value = &f->value.items[0];
    }
    int rc = temporal__payload_map_view_init(view, named, n);
    free(named);
    return rc;
}

/* The terminal command for the main branch's return value |rc|. */
static int finish_workflow(struct temporal_workflow_ctx *run, int rc)
{
    struct machine *m;
    if (rc == 0) {
        if ((m = machine_add(run, M_COMPLETE)) == NULL)
            return TEMPORAL_ENOMEM;
        if (copy_payloads(&m->payloads, &run->output) != 0)
            return TEMPORAL_ENOMEM;
        temporal__payloads_view_init(&m->view, &m->payloads, &rc);
        Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        a.result = m->view.msg.n_payloads ? &m->view.msg : NULL;
        m->attrs.complete = a;
        m->command.command_type = CMD(COMPLETE_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.complete_workflow_execution_command_attributes = &m->attrs.complete;
    } else if (rc == TEMPORAL_ECANCELED && run->cancel_requested) {
        if ((m = machine_add(run, M_CANCEL)) == NULL)
            return TEMPORAL_ENOMEM;
        Temporal__Api__Command__V1__CancelWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__CANCEL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        m->attrs.cancel = a;
        m->command.command_type = CMD(CANCEL_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_CANCEL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.cancel_workflow_execution_command_attributes = &m->attrs.cancel;
    } else if (rc == TEMPORAL_ECONTINUED_AS_NEW) {
        if ((m = machine_add(run, M_CONTINUE_AS_NEW)) == NULL)
            return TEMPORAL_ENOMEM;
        if (copy_payloads(&m->payloads, &run->continue_input) != 0)
            return TEMPORAL_ENOMEM;
        temporal__payloads_view_init(&m->view, &m->payloads, &rc);
        Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
        wt.name = run->continue_type ? run->continue_type : run->workflow_type;
        m->workflow_type_msg = wt;
        Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
        tq.name = run->continue_task_queue ? run->continue_task_queue : run->task_queue;
        tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
        m->task_queue_msg = tq;
        Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__CONTINUE_AS_NEW_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        a.workflow_type = &m->workflow_type_msg;
        a.task_queue = &m->task_queue_msg;
        a.input = m->view.msg.n_payloads ? &m->view.msg : NULL;
        /* The new run keeps what this one has: memo, search attributes, timeouts. */
        int frc = fields_view_of(&m->fields_view, run->memo);
        if (frc == 0)
            frc = fields_view_of(&m->can_search_attributes_view, run->search_attributes);
        if (frc != 0)
            return frc;
        a.memo = m->fields_view.memo.n_fields ? &m->fields_view.memo : NULL;
        a.search_attributes = m->can_search_attributes_view.search_attributes.n_indexed_fields
                                  ? &m->can_search_attributes_view.search_attributes
                                  : NULL;
        m->attrs.can = a;
        set_duration(m, 0, &m->attrs.can.workflow_run_timeout,
                     run->continue_run_timeout_ms ? run->continue_run_timeout_ms : run->info.run_timeout_ms);
        set_duration(m, 1, &m->attrs.can.workflow_task_timeout,
                     run->continue_task_timeout_ms ? run->continue_task_timeout_ms
                                                   : run->info.task_timeout_ms);
        m->command.command_type = CMD(CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_CONTINUE_AS_NEW_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.continue_as_new_workflow_execution_command_attributes = &m->attrs.can;
        /* The next run joins RunWorkflow's parent, as this run received it. */
        if (propagating(run) && run->trace_parent_received)
            machine_set_trace_header(m, &run->trace_parent, &m->attrs.can.header);
    } else {
        if ((m = machine_add(run, M_FAIL)) == NULL)
            return TEMPORAL_ENOMEM;
        int frc;
        if (run->failure.set) {
            frc = machine_set_failure(m, run->failure.type, run->failure.message,
                                      run->failure.non_retryable, &run->failure.details);
        } else {
            char message[256];
            snprintf(message, sizeof(message), "workflow '%s' returned %s (%s)",
                     run->workflow_type, temporal_err_name(rc), temporal_strerror(rc));
            frc = machine_set_failure(m, DEFAULT_FAILURE_TYPE, message, false, NULL);
        }
        if (frc != 0)
            return frc;
        Temporal__Api__Command__V1__FailWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__FAIL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        a.failure = &m->failure;
        m->attrs.fail = a;
        m->command.command_type = CMD(FAIL_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_FAIL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.fail_workflow_execution_command_attributes = &m->attrs.fail;
    }
    run->finished = true;
    /* As the Python interceptor: a run that continues as new is not complete (the next run
     * goes on under the same parent); cancellation is an error, like a failure. */
    if (tracing(run) && m->kind != M_CONTINUE_AS_NEW) {
        struct temporal__span *s = wf_span_start(run, TEMPORAL__SPAN_INTERNAL, "CompleteWorkflow",
                                                 run->workflow_type, NULL);
        if (m->kind == M_FAIL)
            temporal__span_error(s, m->failure_type, m->failure_message);
        else if (m->kind == M_CANCEL)
            temporal__span_error(s, "CanceledFailure", "workflow cancelled");
        temporal__span_end(run->tracer, s, workflow_time_ns(run));
    }
    return 0;
}

/* Updates ----------------------------------------------------------------------------------------- */

static struct update *find_update(struct temporal_workflow_ctx *run, const char *update_id)
{
    for (struct update *u = run->updates; u; u = u->next)
        if (strcmp(u->update_id, update_id) == 0)
            return u;
    return NULL;
}

static struct handler *find_handler(struct handler *list, const char *name)
{
    while (list != NULL && strcmp(list->name, name) != 0)
        list = list->next;
    return list;
}

/* The run's record of update |update_id|, made from a request (|name|, |args|) if new.
 * Returns NULL on OOM. */
static struct update *add_update(struct temporal_workflow_ctx *run, const char *update_id,
                                 const char *message_id, int64_t sequencing_event_id,
                                 const char *name, const temporal__pb_payloads *args,
                                 const Temporal__Api__Common__V1__Header *header)
{
    struct update *u = find_update(run, update_id);
    if (u != NULL)
        return u; /* the same request again (a replayed task, an admitted event) */
    if ((u = calloc(1, sizeof(*u))) == NULL)
        return NULL;
    u->update_id = temporal__strdup(update_id);
    u->message_id = temporal__strdup(message_id);
    u->name = temporal__strdup(name);
    u->sequencing_event_id = sequencing_event_id;
    if (!u->update_id || !u->message_id || !u->name ||
        temporal__payloads_from_proto(&u->args, args) != 0) {
        update_free(u);
        return NULL;
    }
    if (run->tracer != NULL)
        temporal__trace_ctx_from_header(header, &u->trace);
    struct update **pp = &run->updates;
    while (*pp)
        pp = &(*pp)->next;
    *pp = u;
    run->progress++;
    return u;
}

static void drop_update(struct temporal_workflow_ctx *run, struct update *u)
{
    for (struct update **pp = &run->updates; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    update_free(u);
}

/* Queues protocol message |id| about update |instance| with |body| (packed now). */
static int queue_message(struct temporal_workflow_ctx *run, const char *id, const char *instance,
                         const ProtobufCMessage *body)
{
    struct out_message *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return TEMPORAL_ENOMEM;
    size_t size = protobuf_c_message_get_packed_size(body);
    size_t url_len = strlen(ANY_PREFIX) + strlen(body->descriptor->name) + 1;
    o->id = temporal__strdup(id);
    o->instance = temporal__strdup(instance);
    o->type_url = malloc(url_len);
    o->packed = malloc(size ? size : 1);
    if (!o->id || !o->instance || !o->type_url || !o->packed) {
        free(o->id);
        free(o->instance);
        free(o->type_url);
        free(o->packed);
        free(o);
        return TEMPORAL_ENOMEM;
    }
    snprintf(o->type_url, url_len, "%s%s", ANY_PREFIX, body->descriptor->name);
    protobuf_c_message_pack(body, o->packed);
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    any.type_url = o->type_url;
    any.value.data = o->packed;
    any.value.len = size;
    o->body = any;
    Temporal__Api__Protocol__V1__Message msg = TEMPORAL__API__PROTOCOL__V1__MESSAGE__INIT;
    msg.id = o->id;
    msg.protocol_instance_id = o->instance;
    msg.body = &o->body;
    o->msg = msg;
    if (run->messages_tail)
        run->messages_tail->next = o;
    else
        run->messages = o;
    run->messages_tail = o;
    return 0;
}

/* The PROTOCOL_MESSAGE command that places message |suffix| of update |u| among the
 * commands (and its update event in history). */
static int add_protocol_command(struct temporal_workflow_ctx *run, enum machine_kind kind,
                                const struct update *u, const char *message_id)
{
    struct machine *m = machine_add(run, kind);
    if (m == NULL || (m->update_id = temporal__strdup(u->update_id)) == NULL ||
        (m->message_id = temporal__strdup(message_id)) == NULL)
        return TEMPORAL_ENOMEM;
    Temporal__Api__Command__V1__ProtocolMessageCommandAttributes a =
        TEMPORAL__API__COMMAND__V1__PROTOCOL_MESSAGE_COMMAND_ATTRIBUTES__INIT;
    a.message_id = m->message_id;
    m->attrs.protocol_message = a;
    m->command.command_type = CMD(PROTOCOL_MESSAGE);
    m->command.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_PROTOCOL_MESSAGE_COMMAND_ATTRIBUTES;
    m->command.protocol_message_command_attributes = &m->attrs.protocol_message;
    m->resolved = true;
    return 0;
}

/* Fills |f| (with |app|, |view| as storage) from |note|, or from |fallback| if none is set. */
static int note_failure(temporal__pb_failure *f, Temporal__Api__Failure__V1__ApplicationFailureInfo *app,
                        struct temporal__payloads_view *view, const struct failure_note *note,
                        const char *fallback)
{
    int rc = 0;
    temporal__payloads_view_init(view, note->set ? &note->details : NULL, &rc);
    temporal__failure_application(f, app, note->set ? note->type : DEFAULT_FAILURE_TYPE,
                                  note->set ? note->message : fallback,
                                  note->set && note->non_retryable,
                                  view->msg.n_payloads ? &view->msg : NULL);
    return rc;
}

static int reject_update(struct temporal_workflow_ctx *run, struct update *u,
                         const struct failure_note *note, const char *fallback)
{
    int rc = 0;
    if (!run->replaying) {
        char id[300];
        snprintf(id, sizeof(id), "%s/reject", u->update_id);
        temporal__pb_failure f;
        Temporal__Api__Failure__V1__ApplicationFailureInfo app;
        struct temporal__payloads_view view;
        rc = note_failure(&f, &app, &view, note, fallback);
        Temporal__Api__Update__V1__Rejection r = TEMPORAL__API__UPDATE__V1__REJECTION__INIT;
        r.rejected_request_message_id = u->message_id;
        r.rejected_request_sequencing_event_id = u->sequencing_event_id;
        r.rejected_request = u->request;
        r.failure = &f;
        if (rc == 0)
            rc = queue_message(run, id, u->update_id, &r.base);
        temporal__payloads_view_cleanup(&view);
    }
    drop_update(run, u);
    run->progress++;
    return rc;
}

static int accept_update(struct temporal_workflow_ctx *run, struct update *u)
{
    char id[300];
    snprintf(id, sizeof(id), "%s/accept", u->update_id);
    int rc = 0;
    if (!run->replaying) {
        Temporal__Api__Update__V1__Acceptance a = TEMPORAL__API__UPDATE__V1__ACCEPTANCE__INIT;
        a.accepted_request_message_id = u->message_id;
        a.accepted_request_sequencing_event_id = u->sequencing_event_id;
        a.accepted_request = u->request;
        rc = queue_message(run, id, u->update_id, &a.base);
    }
    if (rc == 0)
        rc = add_protocol_command(run, M_UPDATE_ACCEPTED, u, id);
    struct temporal_workflow_branch *b = NULL;
    if (rc == 0)
        rc = branch_new(run, NULL, NULL, &b);
    if (rc != 0)
        return rc;
    b->update = u;
    u->accepted = true;
    if (tracing(run))
        wf_span_record(run, TEMPORAL__SPAN_SERVER, "HandleUpdate", u->name, &u->trace, NULL);
    return 0;
}

/* The handler of |u| returned |code|: its outcome goes to the client. */
static int complete_update(struct temporal_workflow_ctx *run, struct update *u, int code)
{
    char id[300];
    snprintf(id, sizeof(id), "%s/complete", u->update_id);
    int rc = 0;
    if (!run->replaying) {
        temporal__pb_failure f;
        Temporal__Api__Failure__V1__ApplicationFailureInfo app;
        struct temporal__payloads_view failure_view, result_view;
        char fallback[256]; /* the failure's message may point here until it is packed */
        memset(&failure_view, 0, sizeof(failure_view));
        temporal__payloads_view_init(&result_view, &u->result, &rc);
        Temporal__Api__Update__V1__Outcome outcome = TEMPORAL__API__UPDATE__V1__OUTCOME__INIT;
        Temporal__Api__Common__V1__Payloads empty = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
        if (code == 0) {
            outcome.value_case = TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_SUCCESS;
            outcome.success = result_view.msg.n_payloads ? &result_view.msg : &empty;
        } else {
            snprintf(fallback, sizeof(fallback), "update handler '%s' returned %s (%s)", u->name,
                     temporal_err_name(code), temporal_strerror(code));
            if (rc == 0)
                rc = note_failure(&f, &app, &failure_view, &u->failure, fallback);
            outcome.value_case = TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE;
            outcome.failure = &f;
        }
        Temporal__Api__Update__V1__Meta meta = TEMPORAL__API__UPDATE__V1__META__INIT;
        meta.update_id = u->update_id;
        Temporal__Api__Update__V1__Response r = TEMPORAL__API__UPDATE__V1__RESPONSE__INIT;
        r.meta = &meta;
        r.outcome = &outcome;
        if (rc == 0)
            rc = queue_message(run, id, u->update_id, &r.base);
        temporal__payloads_view_cleanup(&result_view);
        temporal__payloads_view_cleanup(&failure_view);
    }
    if (rc == 0)
        rc = add_protocol_command(run, M_UPDATE_COMPLETED, u, id);
    return rc;
}

/* Delivers requested updates whose handler is set: validate (new requests only), then
 * accept and start the handler, or reject.  While replaying, only updates that history
 * shows accepted in this task are delivered. */
static int deliver_updates(struct temporal_workflow_ctx *run)
{
    for (struct update *u = run->updates, *next; u; u = next) {
        next = u->next;
        if (u->accepted || (run->replaying && !u->replayed))
            continue;
        struct handler *h = find_handler(run->update_handlers, u->name);
        if (h == NULL)
            continue;
        if (!u->replayed && h->validator != NULL) {
            if (tracing(run))
                wf_span_record(run, TEMPORAL__SPAN_SERVER, "ValidateUpdate", u->name, &u->trace,
                               NULL);
            run->in_validator = true;
            note_cleanup(&run->validator_failure);
            int vrc = h->validator(run, &u->args, h->arg);
            run->in_validator = false;
            if (vrc != 0) {
                char fallback[256];
                snprintf(fallback, sizeof(fallback), "update '%s' was rejected by its validator (%s)",
                         u->name, temporal_err_name(vrc));
                int rc = reject_update(run, u, &run->validator_failure, fallback);
                if (rc != 0)
                    return rc;
                continue;
            }
        }
        int rc = accept_update(run, u);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* At the end of a new activation: updates no handler took are rejected as unknown. */
static int reject_unknown_updates(struct temporal_workflow_ctx *run)
{
    for (struct update *u = run->updates, *next; u; u = next) {
        next = u->next;
        if (u->accepted || run->replaying)
            continue;
        char known[256] = "", message[512];
        size_t used = 0;
        for (struct handler *h = run->update_handlers; h; h = h->next)
            temporal__list_append(known, sizeof(known), &used, h->name);
        snprintf(message, sizeof(message),
                 "unknown update type '%s' for workflow type '%s'; known updates: [%s]", u->name,
                 run->workflow_type, known);
        struct failure_note none = { 0 };
        int rc = reject_update(run, u, &none, message);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void branch_entry(void *arg)
{
    struct temporal_workflow_branch *b = arg;
    struct temporal_workflow_ctx *run = b->run;
    if (b->update != NULL) {
        struct update *u = b->update;
        struct handler *h = find_handler(run->update_handlers, u->name);
        b->rc = h ? ((temporal_workflow_update_fn)h->fn)(run, &u->args, &u->result, h->arg)
                  : TEMPORAL_EINVAL;
        /* A torn-down run, or a task that fails, sends nothing. */
        int rc = run->tearing_down || run->task_error.code != 0 ? 0 : complete_update(run, u, b->rc);
        if (rc != 0)
            fail_task(run, rc, "out of memory completing update '%s'", u->update_id);
    } else if (b->fn != NULL) {
        b->rc = b->fn(run, b->arg);
    } else {
        b->rc = run->def->fn(run, &run->input, &run->output);
    }
    b->done = true;
    run->progress++;
}

/* Delivers buffered signals that have a handler, in arrival order.  Returns true if any. */
static bool deliver_signals(struct temporal_workflow_ctx *run)
{
    bool delivered = false;
    struct pending_signal **pp = &run->signals;
    while (*pp != NULL) {
        struct pending_signal *s = *pp;
        struct handler *h = run->signal_handlers;
        while (h != NULL && strcmp(h->name, s->name) != 0)
            h = h->next;
        if (h == NULL) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        if (run->signals_tail == s) {
            run->signals_tail = NULL;
            for (struct pending_signal *t = run->signals; t; t = t->next)
                run->signals_tail = t;
        }
        if (tracing(run))
            wf_span_record(run, TEMPORAL__SPAN_SERVER, "HandleSignal", s->name, &s->trace, NULL);
        ((temporal_workflow_signal_fn)h->fn)(run, &s->args, h->arg);
        free(s->name);
        temporal_payloads_cleanup(&s->args);
        temporal__trace_ctx_clear(&s->trace);
        free(s);
        run->progress++;
        delivered = true;
    }
    return delivered;
}

/* Runs workflow code until every branch is blocked (one "activation").  Returns 0, or the
 * task's failure (described in |err|). */
static int activate(struct temporal_workflow_ctx *run, struct temporal_error *err)
{
    if (run->finished)
        return 0;
    run->in_activation = true;
    run->activations++;
    if (run->branches == NULL) {
        int rc = branch_new(run, NULL, NULL, NULL);
        if (rc != 0)
            return rc;
    }
    for (;;) {
        uint64_t before = run->progress;
        deliver_signals(run);
        int urc = deliver_updates(run);
        if (urc != 0)
            fail_task(run, urc, "out of memory delivering updates");
        for (struct temporal_workflow_branch *b = run->branches; b && !run->finished; b = b->next) {
            if (b->done)
                continue;
            run->current = b;
            temporal__coro_resume(b->coro);
            run->current = NULL;
            if (b == run->branches && b->done && run->task_error.code == 0) {
                int rc = finish_workflow(run, b->rc);
                if (rc != 0)
                    return rc;
            }
        }
        if (run->task_error.code != 0) {
            *err = run->task_error;
            return run->task_error.code;
        }
        if (run->finished)
            break;
        /* Replay: where the original execution's activation ended, its worker fed it the
         * next local activity outcome and ran the code again: do the same from history. */
        if (run->progress == before && !(run->replaying && resolve_next_la_from_history(run)))
            break;
    }
    run->in_activation = false;
    if (run->task_error.code != 0) {
        *err = run->task_error;
        return run->task_error.code;
    }
    return 0;
}

/* Fails the current workflow task (see task_error) and returns |code|. */
static int fail_task(struct temporal_workflow_ctx *run, int code, const char *fmt, ...)
{
    char what[TEMPORAL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (run->task_error.code == 0)
        temporal__fail(&run->task_error, code, -1, "%s", what);
    run->progress++;
    return code;
}

/* Whether the running branch is cancelled: by the workflow's cancellation (unless detached)
 * or by its own (temporal_workflow_cancel_branch). */
static bool branch_cancelled(const struct temporal_workflow_ctx *run)
{
    const struct temporal_workflow_branch *b = run->current;
    return b != NULL && (b->cancelled || (run->cancel_requested && !b->detached));
}

/* Blocks the current branch until |ready|; returns 0, or TEMPORAL_ECANCELED if the workflow
 * is cancelled (when |cancellable|) or torn down first. */
static int block_until(struct temporal_workflow_ctx *run, bool (*ready)(void *), void *arg,
                       bool cancellable)
{
    if (run->current == NULL)
        return TEMPORAL_EINVAL; /* not in workflow code: handlers must not block */
    for (;;) {
        if (ready(arg))
            return 0;
        if (run->tearing_down || (cancellable && branch_cancelled(run)))
            return TEMPORAL_ECANCELED;
        temporal__coro_yield();
    }
}

/* History ---------------------------------------------------------------------------------------- */

static bool is_command_event(int type)
{
    switch (type) {
    case EV(ACTIVITY_TASK_SCHEDULED):
    case EV(ACTIVITY_TASK_CANCEL_REQUESTED):
    case EV(TIMER_STARTED):
    case EV(TIMER_CANCELED):
    case EV(WORKFLOW_EXECUTION_COMPLETED):
    case EV(WORKFLOW_EXECUTION_FAILED):
    case EV(WORKFLOW_EXECUTION_CANCELED):
    case EV(WORKFLOW_EXECUTION_CONTINUED_AS_NEW):
    case EV(MARKER_RECORDED):
    case EV(START_CHILD_WORKFLOW_EXECUTION_INITIATED):
    case EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case EV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case EV(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
    case EV(WORKFLOW_PROPERTIES_MODIFIED):
    case EV(WORKFLOW_EXECUTION_UPDATE_ACCEPTED):
    case EV(WORKFLOW_EXECUTION_UPDATE_COMPLETED):
    case EV(NEXUS_OPERATION_SCHEDULED):
    case EV(NEXUS_OPERATION_CANCEL_REQUESTED):
        return true;
    default:
        return false;
    }
}

/* The machine kind a command event belongs to, or -1. */
static int kind_of_event(const temporal__pb_event *e)
{
    switch ((int)e->event_type) {
    case EV(ACTIVITY_TASK_SCHEDULED):
        return M_ACTIVITY;
    case EV(TIMER_STARTED):
        return M_TIMER;
    case EV(WORKFLOW_EXECUTION_COMPLETED):
        return M_COMPLETE;
    case EV(WORKFLOW_EXECUTION_FAILED):
        return M_FAIL;
    case EV(WORKFLOW_EXECUTION_CANCELED):
        return M_CANCEL;
    case EV(WORKFLOW_EXECUTION_CONTINUED_AS_NEW):
        return M_CONTINUE_AS_NEW;
    case EV(ACTIVITY_TASK_CANCEL_REQUESTED):
        return M_CANCEL_ACTIVITY;
    case EV(TIMER_CANCELED):
        return M_CANCEL_TIMER;
    case EV(MARKER_RECORDED): {
        const char *name = e->marker_recorded_event_attributes
                               ? str0(e->marker_recorded_event_attributes->marker_name)
                               : "";
        if (strcmp(name, PATCH_MARKER_NAME) == 0)
            return M_PATCH_MARKER;
        if (strcmp(name, LA_MARKER_NAME) == 0)
            return M_LOCAL_ACTIVITY;
        return strcmp(name, SIDE_EFFECT_MARKER_NAME) == 0 ? M_SIDE_EFFECT_MARKER : -1;
    }
    case EV(START_CHILD_WORKFLOW_EXECUTION_INITIATED):
        return M_CHILD;
    case EV(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
        return M_UPSERT_SEARCH_ATTRIBUTES;
    case EV(WORKFLOW_PROPERTIES_MODIFIED):
        return M_MODIFY_PROPERTIES;
    case EV(WORKFLOW_EXECUTION_UPDATE_ACCEPTED):
        return M_UPDATE_ACCEPTED;
    case EV(WORKFLOW_EXECUTION_UPDATE_COMPLETED):
        return M_UPDATE_COMPLETED;
    case EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
        return M_SIGNAL_EXTERNAL;
    case EV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
        return M_CANCEL_EXTERNAL;
    default:
        return -1;
    }
}

/* The payloads of detail |key| of a marker, or NULL. */
static const temporal__pb_payloads *
marker_detail(const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a, const char *key)
{
    for (size_t i = 0; i < a->n_details; i++)
        if (strcmp(str0(a->details[i]->key), key) == 0 && a->details[i]->value != NULL &&
            a->details[i]->value->n_payloads > 0)
            return a->details[i]->value;
    return NULL;
}

/* The JSON of the first payload of |p| (a new reference), or NULL. */
static json_t *payload_json(const temporal__pb_payloads *p)
{
    if (p == NULL || p->n_payloads == 0)
        return NULL;
    return json_loadb((const char *)p->payloads[0]->data.data, p->payloads[0]->data.len,
                      JSON_DECODE_ANY, NULL);
}

static void recorded_marker_cleanup(struct recorded_marker *r)
{
    free(r->id);
    temporal_payloads_cleanup(&r->data);
    memset(r, 0, sizeof(*r));
}

/* Reads marker event |e| into |out| (clean it up with recorded_marker_cleanup()).  Returns
 * 0; 1 if |e| is not a marker this SDK records, or is malformed; TEMPORAL_ENOMEM. */
static int read_marker(const temporal__pb_event *e, struct recorded_marker *out)
{
    memset(out, 0, sizeof(*out));
    const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
        e->marker_recorded_event_attributes;
    if (e->event_type != EV(MARKER_RECORDED) || a == NULL)
        return 1;
    json_t *j = NULL;
    if (strcmp(str0(a->marker_name), PATCH_MARKER_NAME) == 0) {
        j = payload_json(marker_detail(a, PATCH_MARKER_DETAIL));
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id != NULL) {
            out->kind = M_PATCH_MARKER;
            out->deprecated = json_is_true(json_object_get(j, "deprecated"));
            out->id = temporal__strdup(id);
        }
    } else if (strcmp(str0(a->marker_name), SIDE_EFFECT_MARKER_NAME) == 0) {
        j = payload_json(marker_detail(a, SIDE_EFFECT_ID_DETAIL));
        if (json_is_integer(j)) {
            char id[24];
            snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(j));
            out->kind = M_SIDE_EFFECT_MARKER;
            out->id = temporal__strdup(id);
            if (out->id != NULL &&
                temporal__payloads_from_proto(&out->data,
                                              marker_detail(a, SIDE_EFFECT_DATA_DETAIL)) != 0) {
                json_decref(j);
                recorded_marker_cleanup(out);
                return TEMPORAL_ENOMEM;
            }
        }
    } else if (strcmp(str0(a->marker_name), LA_MARKER_NAME) == 0) {
        j = payload_json(marker_detail(a, LA_DATA_DETAIL));
        json_t *seq = json_object_get(j, "seq");
        if (json_is_integer(seq)) {
            char id[24];
            snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(seq));
            out->kind = M_LOCAL_ACTIVITY;
            out->id = temporal__strdup(id);
            out->failure = a->failure;
            out->attempt = (int32_t)json_integer_value(json_object_get(j, "attempt"));
            json_t *backoff = json_object_get(j, "backoff");
            if (json_is_object(backoff))
                out->backoff_ms = json_integer_value(json_object_get(backoff, "seconds")) * 1000 +
                                  json_integer_value(json_object_get(backoff, "nanos")) / 1000000;
            if (out->id != NULL &&
                temporal__payloads_from_proto(&out->data, marker_detail(a, LA_RESULT_DETAIL)) != 0) {
                json_decref(j);
                recorded_marker_cleanup(out);
                return TEMPORAL_ENOMEM;
            }
        }
    }
    bool known = out->kind == M_PATCH_MARKER || out->kind == M_SIDE_EFFECT_MARKER ||
                 out->kind == M_LOCAL_ACTIVITY;
    json_decref(j);
    if (!known)
        return 1;
    return out->id != NULL ? 0 : TEMPORAL_ENOMEM;
}

/* Matches command event |e| with the oldest command awaiting its event (sdk-core's rule). */
static int match_command(struct temporal_workflow_ctx *run, const temporal__pb_event *e,
                         struct temporal_error *err)
{
    const char *event_name = temporal__event_type_name((int)e->event_type);
    struct machine *m = run->queue_head;
    struct recorded_marker marker;
    int mrc = read_marker(e, &marker);
    if (mrc == TEMPORAL_ENOMEM)
        return temporal__fail(err, mrc, -1, "out of memory reading a marker");
    if (mrc == 0) {
        /* A deprecated patch may be gone from the code: its marker needs no command. */
        bool skip = marker.kind == M_PATCH_MARKER && marker.deprecated &&
                    !(m != NULL && m->kind == M_PATCH_MARKER && strcmp(m->patch_id, marker.id) == 0);
        bool same = m != NULL && (int)m->kind == (int)marker.kind &&
                    strcmp(machine_label(m), marker.id) == 0;
        char id[64];
        snprintf(id, sizeof(id), "%s", marker.id);
        enum machine_kind kind = marker.kind;
        recorded_marker_cleanup(&marker);
        if (skip)
            return 0;
        if (kind == M_LOCAL_ACTIVITY) {
            /* A local activity's marker is recorded when it finishes, which can be after
             * commands issued later: it is matched by its sequence number, wherever it is. */
            struct machine *prev = NULL;
            for (m = run->queue_head; m; prev = m, m = m->next_queue)
                if (m->kind == M_LOCAL_ACTIVITY && strcmp(m->id, id) == 0)
                    break;
            if (m == NULL)
                return nd_fail(err, e->event_id,
                               "history has the marker of local activity %s but the workflow "
                               "code did not run that local activity (or it has not finished)",
                               id);
            if (prev)
                prev->next_queue = m->next_queue;
            else
                run->queue_head = m->next_queue;
            if (run->queue_tail == m)
                run->queue_tail = prev;
            m->matched = true;
            m->sent = true;
            m->initial_event_id = e->event_id;
            return 0;
        }
        if (m != NULL && (int)m->kind == (int)kind && !same)
            return nd_fail(err, e->event_id,
                           kind == M_PATCH_MARKER
                               ? "history has patch marker '%s' but the workflow code checked "
                                 "patch '%s'"
                               : "history has side effect %s but the workflow code's side effect "
                                 "is %s",
                           id, machine_label(m));
    }
    if (m == NULL)
        return nd_fail(err, e->event_id,
                       "history has %s but the workflow code issued no command for it (was a "
                       "step removed, or made conditional?)",
                       event_name);
    int kind = kind_of_event(e);
    if (kind != (int)m->kind)
        return nd_fail(err, e->event_id,
                       "history has %s but the workflow code's next command is %s (id %s)",
                       event_name, machine_names[m->kind], machine_label(m));
    if (m->kind == M_ACTIVITY) {
        const Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *a =
            e->activity_task_scheduled_event_attributes;
        const char *type = a && a->activity_type ? str0(a->activity_type->name) : "";
        if (a == NULL || strcmp(str0(a->activity_id), m->id) != 0 || strcmp(type, m->activity_type) != 0)
            return nd_fail(err, e->event_id,
                           "history scheduled activity '%s' (id %s) but the workflow code "
                           "scheduled activity '%s' (id %s)",
                           type, a ? str0(a->activity_id) : "", m->activity_type, m->id);
    } else if (m->kind == M_TIMER) {
        const Temporal__Api__History__V1__TimerStartedEventAttributes *a =
            e->timer_started_event_attributes;
        if (a == NULL || strcmp(str0(a->timer_id), m->id) != 0)
            return nd_fail(err, e->event_id,
                           "history started timer %s but the workflow code started timer %s",
                           a ? str0(a->timer_id) : "", m->id);
    } else if (m->kind == M_CHILD) {
        const Temporal__Api__History__V1__StartChildWorkflowExecutionInitiatedEventAttributes *a =
            e->start_child_workflow_execution_initiated_event_attributes;
        const char *type = a && a->workflow_type ? str0(a->workflow_type->name) : "";
        if (a == NULL || strcmp(str0(a->workflow_id), m->child_id) != 0 ||
            strcmp(type, m->activity_type) != 0)
            return nd_fail(err, e->event_id,
                           "history started child workflow '%s' (id %s) but the workflow code "
                           "starts child workflow '%s' (id %s)",
                           type, a ? str0(a->workflow_id) : "", m->activity_type, m->child_id);
    } else if (m->kind == M_SIGNAL_EXTERNAL || m->kind == M_CANCEL_EXTERNAL) {
        const Temporal__Api__Common__V1__WorkflowExecution *x =
            m->kind == M_SIGNAL_EXTERNAL
                ? (e->signal_external_workflow_execution_initiated_event_attributes
                       ? e->signal_external_workflow_execution_initiated_event_attributes->workflow_execution
                       : NULL)
                : (e->request_cancel_external_workflow_execution_initiated_event_attributes
                       ? e->request_cancel_external_workflow_execution_initiated_event_attributes->workflow_execution
                       : NULL);
        if (x == NULL || strcmp(str0(x->workflow_id), m->child_id) != 0)
            return nd_fail(err, e->event_id,
                           "history targets workflow '%s' but the workflow code targets '%s'",
                           x ? str0(x->workflow_id) : "", m->child_id);
    } else if (m->kind == M_UPDATE_ACCEPTED || m->kind == M_UPDATE_COMPLETED) {
        const char *id = "";
        if (m->kind == M_UPDATE_ACCEPTED && e->workflow_execution_update_accepted_event_attributes)
            id = str0(e->workflow_execution_update_accepted_event_attributes->protocol_instance_id);
        else if (e->workflow_execution_update_completed_event_attributes &&
                 e->workflow_execution_update_completed_event_attributes->meta)
            id = str0(e->workflow_execution_update_completed_event_attributes->meta->update_id);
        if (strcmp(id, m->update_id) != 0)
            return nd_fail(err, e->event_id,
                           "history has %s for update '%s' but the workflow code's is for update "
                           "'%s'",
                           event_name, id, m->update_id);
    } else if (m->kind == M_CANCEL_ACTIVITY) {
        const Temporal__Api__History__V1__ActivityTaskCancelRequestedEventAttributes *a =
            e->activity_task_cancel_requested_event_attributes;
        if (a == NULL || a->scheduled_event_id != m->target->initial_event_id)
            return nd_fail(err, e->event_id,
                           "history cancels the activity scheduled at event %lld but the "
                           "workflow code cancels activity %s",
                           a ? (long long)a->scheduled_event_id : 0LL, m->target->id);
    } else if (m->kind == M_CANCEL_TIMER) {
        const Temporal__Api__History__V1__TimerCanceledEventAttributes *a =
            e->timer_canceled_event_attributes;
        if (a == NULL || strcmp(str0(a->timer_id), m->target->id) != 0)
            return nd_fail(err, e->event_id,
                           "history cancels timer %s but the workflow code cancels timer %s",
                           a ? str0(a->timer_id) : "", m->target->id);
    }
    run->queue_head = m->next_queue;
    if (run->queue_head == NULL)
        run->queue_tail = NULL;
    m->matched = true;
    m->sent = true;
    m->initial_event_id = e->event_id;
    return 0;
}

static void resolve_activity(struct temporal_workflow_ctx *run, struct machine *m, int code,
                             const temporal__pb_payloads *result,
                             const Temporal__Api__Failure__V1__Failure *failure,
                             const char *default_detail)
{
    m->resolved = true;
    m->result_code = code;
    if (result != NULL)
        temporal__payloads_from_proto(&m->result, result);
    if (code != 0) {
        char text[TEMPORAL_ERROR_MESSAGE_SIZE];
        temporal__failure_describe(failure, text, sizeof(text));
        temporal__fail(&m->error, code, -1, "%s '%s' (id %s) %s: %s",
                       m->kind == M_CHILD            ? "child workflow"
                       : m->kind == M_LOCAL_ACTIVITY ? "local activity"
                                                     : "activity",
                       m->activity_type,
                       m->kind == M_CHILD ? m->child_id : m->id,
                       code == TEMPORAL_ECANCELED ? "was cancelled" : "failed", text);
        const char *detail = default_detail;
        /* The first ApplicationFailure of the cause chain is what the activity raised. */
        for (const Temporal__Api__Failure__V1__Failure *f = failure; f; f = f->cause) {
            if (f->failure_info_case !=
                    TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO ||
                f->application_failure_info == NULL)
                continue;
            const Temporal__Api__Failure__V1__ApplicationFailureInfo *app = f->application_failure_info;
            if (!temporal__empty(app->type))
                detail = app->type;
            m->app_type = temporal__strdup(str0(app->type));
            m->app_message = temporal__strdup(str0(f->message));
            m->app_non_retryable = app->non_retryable;
            temporal__payloads_from_proto(&m->app_details, app->details);
            m->has_app_failure = m->app_type != NULL && m->app_message != NULL;
            break;
        }
        temporal__error_set_detail(&m->error, detail);
    }
    run->progress++;
}

static int add_signal(struct temporal_workflow_ctx *run,
                      const Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes *a)
{
    struct pending_signal *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TEMPORAL_ENOMEM;
    s->name = temporal__strdup(str0(a->signal_name));
    if (s->name == NULL || temporal__payloads_from_proto(&s->args, a->input) != 0) {
        free(s->name);
        temporal_payloads_cleanup(&s->args);
        free(s);
        return TEMPORAL_ENOMEM;
    }
    if (run->tracer != NULL)
        temporal__trace_ctx_from_header(a->header, &s->trace);
    if (run->signals_tail)
        run->signals_tail->next = s;
    else
        run->signals = s;
    run->signals_tail = s;
    return 0;
}

/* Deterministic randomness: seeded (FNV-1a) from a run id recorded in history, so the
 * worker and a replayer get the same sequence on every replay. */
static void seed_random(struct temporal_workflow_ctx *run, const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = id; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    run->rng = h;
}

static int apply_started(struct temporal_workflow_ctx *run, const temporal__pb_event *e)
{
    const Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *a =
        e->workflow_execution_started_event_attributes;
    run->started = true;
    run->info.start_time_ms = temporal__timestamp_ms(e->event_time);
    seed_random(run, a && !temporal__empty(a->original_execution_run_id)
                         ? a->original_execution_run_id
                         : run->run_id);
    if (run->tracer != NULL) {
        /* RunWorkflow's parent: the context the starter sent, else a trace of the run's
         * own.  Its span id is derived from the run, so every task finds the same ctx. */
        run->trace_parent_received =
            temporal__trace_ctx_from_header(a ? a->header : NULL, &run->trace_parent);
        if (!run->trace_parent_received)
            temporal__trace_ctx_for_run(run->run_id, run->info.start_time_ms / 1000,
                                        &run->trace_parent);
        uint8_t span_id[8];
        temporal__trace_span_id_for(run->run_id, "RunWorkflow", span_id);
        temporal__span_start(NULL, TEMPORAL__SPAN_SERVER, "RunWorkflow", run->workflow_type,
                             &run->trace_parent, span_id, run->info.start_time_ms * 1000000,
                             &run->trace_wf);
    }
    if (a == NULL)
        return 0;
    run->info.attempt = a->attempt > 0 ? a->attempt : 1;
    run->info.execution_timeout_ms = temporal__duration_ms(a->workflow_execution_timeout);
    run->info.run_timeout_ms = temporal__duration_ms(a->workflow_run_timeout);
    run->info.task_timeout_ms = temporal__duration_ms(a->workflow_task_timeout);
    const char *parent_id = a->parent_workflow_execution ? a->parent_workflow_execution->workflow_id : NULL;
    const char *parent_run = a->parent_workflow_execution ? a->parent_workflow_execution->run_id : NULL;
    struct {
        char **field;
        const char **info;
        const char *value;
    } texts[] = { { &run->cron_schedule, &run->info.cron_schedule, a->cron_schedule },
                  { &run->parent_workflow_id, &run->info.parent_workflow_id, parent_id },
                  { &run->parent_run_id, &run->info.parent_run_id, parent_run },
                  { &run->first_execution_run_id, &run->info.first_execution_run_id,
                    a->first_execution_run_id } };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (temporal__empty(texts[i].value))
            continue;
        char *c = temporal__strdup(texts[i].value);
        if (c == NULL)
            return TEMPORAL_ENOMEM;
        free(*texts[i].field);
        *texts[i].field = c;
        *texts[i].info = c;
    }
    int frc = fields_from_memo(&run->memo, a->memo);
    if (frc == 0)
        frc = fields_from_search_attributes(&run->search_attributes, a->search_attributes);
    if (frc != 0)
        return frc;
    if (!temporal__empty(a->continued_execution_run_id)) {
        char *c = temporal__strdup(a->continued_execution_run_id);
        if (c == NULL)
            return TEMPORAL_ENOMEM;
        free(run->continued_run_id);
        run->continued_run_id = c;
        run->info.continued_run_id = c;
    }
    return temporal__payloads_from_proto(&run->input, a->input);
}

/* An event about a child workflow: resolves its machine (found by the initiated event id). */
static int apply_child_event(struct temporal_workflow_ctx *run, const temporal__pb_event *e,
                             struct temporal_error *err)
{
    int64_t initiated = 0;
    const temporal__pb_payloads *result = NULL;
    const Temporal__Api__Failure__V1__Failure *failure = NULL;
    int code = TEMPORAL_EACTIVITY_FAILED;
    const char *detail = NULL;
    switch ((int)e->event_type) {
    case EV(START_CHILD_WORKFLOW_EXECUTION_FAILED):
        if (e->start_child_workflow_execution_failed_event_attributes)
            initiated = e->start_child_workflow_execution_failed_event_attributes->initiated_event_id;
        detail = "WorkflowExecutionAlreadyStarted";
        break;
    case EV(CHILD_WORKFLOW_EXECUTION_STARTED):
        return 0; /* the result comes later */
    case EV(CHILD_WORKFLOW_EXECUTION_COMPLETED):
        if (e->child_workflow_execution_completed_event_attributes) {
            initiated = e->child_workflow_execution_completed_event_attributes->initiated_event_id;
            result = e->child_workflow_execution_completed_event_attributes->result;
        }
        code = 0;
        break;
    case EV(CHILD_WORKFLOW_EXECUTION_FAILED):
        if (e->child_workflow_execution_failed_event_attributes) {
            initiated = e->child_workflow_execution_failed_event_attributes->initiated_event_id;
            failure = e->child_workflow_execution_failed_event_attributes->failure;
        }
        detail = "ChildWorkflowFailure";
        break;
    case EV(CHILD_WORKFLOW_EXECUTION_CANCELED):
        if (e->child_workflow_execution_canceled_event_attributes)
            initiated = e->child_workflow_execution_canceled_event_attributes->initiated_event_id;
        code = TEMPORAL_ECANCELED;
        detail = "CanceledFailure";
        break;
    case EV(CHILD_WORKFLOW_EXECUTION_TIMED_OUT):
        if (e->child_workflow_execution_timed_out_event_attributes)
            initiated = e->child_workflow_execution_timed_out_event_attributes->initiated_event_id;
        detail = "TimeoutFailure";
        break;
    default: /* TERMINATED */
        if (e->child_workflow_execution_terminated_event_attributes)
            initiated = e->child_workflow_execution_terminated_event_attributes->initiated_event_id;
        detail = "TerminatedFailure";
        break;
    }
    struct machine *m = machine_by_event(run, initiated);
    if (m == NULL || m->kind != M_CHILD)
        return nd_fail(err, e->event_id, "%s refers to event %lld, which is not a child workflow "
                       "of this workflow", temporal__event_type_name((int)e->event_type),
                       (long long)initiated);
    resolve_activity(run, m, code, result, failure, detail);
    return 0;
}

static void forget_upcoming(struct temporal_workflow_ctx *run)
{
    for (size_t i = 0; i < run->upcoming_count; i++)
        recorded_marker_cleanup(&run->upcoming[i]);
    run->upcoming_count = 0;
}

/* Collects what the task being replayed recorded: the command events after its
 * WorkflowTaskCompleted, up to the next WorkflowTaskScheduled.  patched() and side_effect()
 * answer from its markers, and the updates it accepted are delivered again, so that replay
 * takes the path the original execution took. */
static int look_ahead_markers(struct temporal_workflow_ctx *run, temporal__pb_event *const *events,
                              size_t count)
{
    forget_upcoming(run);
    for (size_t i = 0; i < count && events[i]->event_type != EV(WORKFLOW_TASK_SCHEDULED); i++) {
        const Temporal__Api__History__V1__WorkflowExecutionUpdateAcceptedEventAttributes *acc =
            events[i]->workflow_execution_update_accepted_event_attributes;
        if (events[i]->event_type == EV(WORKFLOW_EXECUTION_UPDATE_ACCEPTED) && acc != NULL) {
            /* The task accepted this update: it is delivered again in the replayed
             * activation (the request is in the event, or in the admitted event before). */
            const Temporal__Api__Update__V1__Input *input =
                acc->accepted_request ? acc->accepted_request->input : NULL;
            struct update *u = add_update(run, str0(acc->protocol_instance_id),
                                          str0(acc->accepted_request_message_id),
                                          acc->accepted_request_sequencing_event_id,
                                          input ? str0(input->name) : "", input ? input->args : NULL,
                                          input ? input->header : NULL);
            if (u == NULL)
                return TEMPORAL_ENOMEM;
            u->replayed = true;
            continue;
        }
        struct recorded_marker r;
        int rc = read_marker(events[i], &r);
        if (rc == 1)
            continue;
        if (rc != 0)
            return rc;
        struct recorded_marker *u = realloc(run->upcoming, (run->upcoming_count + 1) * sizeof(*u));
        if (u == NULL) {
            recorded_marker_cleanup(&r);
            return TEMPORAL_ENOMEM;
        }
        run->upcoming = u;
        u[run->upcoming_count++] = r;
    }
    return 0;
}

/* The marker of |kind| and |id| the replayed task recorded, or NULL. */
static struct recorded_marker *find_upcoming(struct temporal_workflow_ctx *run,
                                             enum machine_kind kind, const char *id)
{
    for (size_t i = 0; i < run->upcoming_count; i++)
        if (run->upcoming[i].kind == kind && strcmp(run->upcoming[i].id, id) == 0)
            return &run->upcoming[i];
    return NULL;
}

static int apply_events(struct temporal_workflow_ctx *run, temporal__pb_event *const *events,
                        size_t count, int64_t task_started_event_id, struct temporal_error *err);

int temporal__wf_run_apply(struct temporal_workflow_ctx *run, temporal__pb_event *const *events,
                           size_t count, int64_t task_started_event_id, struct temporal_error *err)
{
    forget_messages(run); /* those of the previous task were sent with its completion */
    int rc = apply_events(run, events, count, task_started_event_id, err);
    forget_upcoming(run); /* they point into |events|, which the caller frees */
    return rc;
}

static int apply_events(struct temporal_workflow_ctx *run, temporal__pb_event *const *events,
                        size_t count, int64_t task_started_event_id, struct temporal_error *err)
{
    for (size_t i = 0; i < count; i++) {
        const temporal__pb_event *e = events[i];
        if (e->event_id > task_started_event_id)
            break;
        if (e->event_id != run->last_event_id + 1)
            return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                                  "history of workflow '%s' jumps from event %lld to %lld",
                                  run->workflow_id, (long long)run->last_event_id,
                                  (long long)e->event_id);
        run->last_event_id = e->event_id;
        int type = (int)e->event_type;
        int rc = 0;

        if (is_command_event(type)) {
            if ((rc = match_command(run, e, err)) != 0)
                return rc;
            continue;
        }
        switch (type) {
        case EV(WORKFLOW_EXECUTION_STARTED):
            rc = apply_started(run, e);
            break;
        case EV(WORKFLOW_TASK_SCHEDULED):
            if (e->workflow_task_scheduled_event_attributes &&
                e->workflow_task_scheduled_event_attributes->start_to_close_timeout)
                run->task_timeout_ms = temporal__duration_ms(
                    e->workflow_task_scheduled_event_attributes->start_to_close_timeout);
            /* Every command of the previous task must have met its event by now. */
            if (run->queue_head != NULL && run->queue_head->sent)
                return nd_fail(err, e->event_id,
                               "the workflow code issued %s (id %s) that history does not "
                               "have (was a step added?)",
                               machine_names[run->queue_head->kind], machine_label(run->queue_head));
            break;
        case EV(WORKFLOW_TASK_STARTED): {
            /* A task boundary if this task completed, or if it is the task at hand. */
            bool current = e->event_id == task_started_event_id;
            bool completed = i + 1 < count &&
                             events[i + 1]->event_type == EV(WORKFLOW_TASK_COMPLETED);
            if (!current && !completed)
                break; /* failed or timed out: its events are seen by the next task */
            if (!run->started)
                return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                                      "history of workflow '%s' does not start with "
                                      "WorkflowExecutionStarted",
                                      run->workflow_id);
            run->replaying = !current;
            if (run->replaying && (rc = look_ahead_markers(run, events + i + 1, count - i - 1)) != 0)
                break;
            if (!run->replaying)
                forget_upcoming(run); /* the task at hand recorded nothing yet */
            run->now_ms = temporal__timestamp_ms(e->event_time);
            run->info.history_length = e->event_id;
            run->tasks++;
            if (run->tasks == 1 && tracing(run)) {
                /* The task that first runs the workflow records it, with the span id
                 * apply_started() derived into |trace_wf|. */
                const char *attrs[] = { "temporalWorkflowID", run->workflow_id, "temporalRunID",
                                        run->run_id, NULL };
                temporal__span_record(run->tracer, TEMPORAL__SPAN_SERVER, "RunWorkflow",
                                      run->workflow_type, &run->trace_parent, run->trace_wf.span_id,
                                      workflow_time_ns(run), attrs, NULL, NULL);
            }
            rc = activate(run, err);
            if (rc != 0 && rc != TEMPORAL_ENOMEM)
                return rc;
            break;
        }
        case EV(ACTIVITY_TASK_COMPLETED):
        case EV(ACTIVITY_TASK_FAILED):
        case EV(ACTIVITY_TASK_TIMED_OUT):
        case EV(ACTIVITY_TASK_CANCELED): {
            int64_t sched = 0;
            if (type == EV(ACTIVITY_TASK_COMPLETED) && e->activity_task_completed_event_attributes)
                sched = e->activity_task_completed_event_attributes->scheduled_event_id;
            else if (type == EV(ACTIVITY_TASK_FAILED) && e->activity_task_failed_event_attributes)
                sched = e->activity_task_failed_event_attributes->scheduled_event_id;
            else if (type == EV(ACTIVITY_TASK_TIMED_OUT) && e->activity_task_timed_out_event_attributes)
                sched = e->activity_task_timed_out_event_attributes->scheduled_event_id;
            else if (type == EV(ACTIVITY_TASK_CANCELED) && e->activity_task_canceled_event_attributes)
                sched = e->activity_task_canceled_event_attributes->scheduled_event_id;
            struct machine *m = machine_by_event(run, sched);
            if (m == NULL || m->kind != M_ACTIVITY)
                return nd_fail(err, e->event_id, "%s refers to event %lld, which is not an activity "
                               "of this workflow", temporal__event_type_name(type), (long long)sched);
            if (type == EV(ACTIVITY_TASK_COMPLETED))
                resolve_activity(run, m, 0, e->activity_task_completed_event_attributes->result,
                                 NULL, NULL);
            else if (type == EV(ACTIVITY_TASK_FAILED))
                resolve_activity(run, m, TEMPORAL_EACTIVITY_FAILED, NULL,
                                 e->activity_task_failed_event_attributes->failure, "ApplicationFailure");
            else if (type == EV(ACTIVITY_TASK_TIMED_OUT))
                resolve_activity(run, m, TEMPORAL_EACTIVITY_FAILED, NULL,
                                 e->activity_task_timed_out_event_attributes->failure, "TimeoutFailure");
            else
                resolve_activity(run, m, TEMPORAL_ECANCELED, NULL, NULL, "CanceledFailure");
            break;
        }
        case EV(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED):
        case EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
        case EV(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED):
        case EV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED): {
            int64_t initiated = 0;
            bool ok = false;
            if (type == EV(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED) &&
                e->external_workflow_execution_signaled_event_attributes) {
                initiated = e->external_workflow_execution_signaled_event_attributes->initiated_event_id;
                ok = true;
            } else if (type == EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED) &&
                       e->signal_external_workflow_execution_failed_event_attributes) {
                initiated = e->signal_external_workflow_execution_failed_event_attributes->initiated_event_id;
            } else if (type == EV(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED) &&
                       e->external_workflow_execution_cancel_requested_event_attributes) {
                initiated = e->external_workflow_execution_cancel_requested_event_attributes->initiated_event_id;
                ok = true;
            } else if (e->request_cancel_external_workflow_execution_failed_event_attributes) {
                initiated = e->request_cancel_external_workflow_execution_failed_event_attributes->initiated_event_id;
            }
            struct machine *m = machine_by_event(run, initiated);
            if (m == NULL || (m->kind != M_SIGNAL_EXTERNAL && m->kind != M_CANCEL_EXTERNAL))
                return nd_fail(err, e->event_id, "%s refers to event %lld, which this workflow did "
                               "not initiate", temporal__event_type_name(type), (long long)initiated);
            m->resolved = true;
            m->result_code = ok ? 0 : TEMPORAL_ENOT_FOUND;
            if (!ok)
                temporal__fail(&m->error, TEMPORAL_ENOT_FOUND, -1,
                               "workflow '%s' was not found (or is closed): %s failed",
                               m->child_id, machine_names[m->kind]);
            run->progress++;
            break;
        }
        case EV(START_CHILD_WORKFLOW_EXECUTION_FAILED):
        case EV(CHILD_WORKFLOW_EXECUTION_STARTED):
        case EV(CHILD_WORKFLOW_EXECUTION_COMPLETED):
        case EV(CHILD_WORKFLOW_EXECUTION_FAILED):
        case EV(CHILD_WORKFLOW_EXECUTION_CANCELED):
        case EV(CHILD_WORKFLOW_EXECUTION_TIMED_OUT):
        case EV(CHILD_WORKFLOW_EXECUTION_TERMINATED):
            rc = apply_child_event(run, e, err);
            break;
        case EV(TIMER_FIRED): {
            const Temporal__Api__History__V1__TimerFiredEventAttributes *a =
                e->timer_fired_event_attributes;
            struct machine *m = machine_by_event(run, a ? a->started_event_id : 0);
            if (m == NULL || m->kind != M_TIMER)
                return nd_fail(err, e->event_id, "TimerFired refers to a timer this workflow did "
                               "not start");
            m->resolved = true;
            run->progress++;
            break;
        }
        case EV(WORKFLOW_EXECUTION_SIGNALED):
            if (e->workflow_execution_signaled_event_attributes)
                rc = add_signal(run, e->workflow_execution_signaled_event_attributes);
            break;
        case EV(WORKFLOW_EXECUTION_UPDATE_ADMITTED): {
            /* A durable request (reapplied after a reset, say): like a request message. */
            const Temporal__Api__History__V1__WorkflowExecutionUpdateAdmittedEventAttributes *a =
                e->workflow_execution_update_admitted_event_attributes;
            const Temporal__Api__Update__V1__Request *r = a ? a->request : NULL;
            if (r != NULL && r->meta != NULL && r->input != NULL) {
                char message_id[300];
                snprintf(message_id, sizeof(message_id), "%s/request", str0(r->meta->update_id));
                if (add_update(run, str0(r->meta->update_id), message_id, e->event_id,
                               str0(r->input->name), r->input->args, r->input->header) == NULL)
                    rc = TEMPORAL_ENOMEM;
            }
            break;
        }
        case EV(WORKFLOW_EXECUTION_UPDATE_REJECTED): /* defined, never written */
            break;
        case EV(WORKFLOW_EXECUTION_CANCEL_REQUESTED):
            run->cancel_requested = true;
            run->progress++;
            break;
        case EV(WORKFLOW_TASK_FAILED): {
            /* A reset: the run goes on under a new run id, which seeds randomness from here,
             * so that the new run does not repeat the old one's random values. */
            const Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *a =
                e->workflow_task_failed_event_attributes;
            if (a != NULL &&
                a->cause == TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW &&
                !temporal__empty(a->new_run_id))
                seed_random(run, a->new_run_id);
            break;
        }
        case EV(WORKFLOW_TASK_COMPLETED):
        case EV(WORKFLOW_TASK_TIMED_OUT):
        case EV(ACTIVITY_TASK_STARTED):
        case EV(WORKFLOW_EXECUTION_TERMINATED):
        case EV(WORKFLOW_EXECUTION_TIMED_OUT):
            break;
        default:
            if (!e->worker_may_ignore)
                return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                                      "history event %lld is %s, which this worker does not "
                                      "handle yet",
                                      (long long)e->event_id, temporal__event_type_name(type));
        }
        if (rc != 0)
            return rc == TEMPORAL_ENOMEM
                       ? temporal__fail(err, rc, -1, "out of memory applying history")
                       : rc;
    }
    return 0;
}

size_t temporal__wf_run_take_commands(struct temporal_workflow_ctx *run, temporal__pb_command ***out)
{
    size_t n = 0;
    for (struct machine *m = run->queue_head; m; m = m->next_queue)
        if (!m->sent)
            n++;
    if (n > run->outgoing_cap) {
        temporal__pb_command **o = realloc(run->outgoing, n * sizeof(*o));
        if (o == NULL) {
            *out = NULL;
            return 0;
        }
        run->outgoing = o;
        run->outgoing_cap = n;
    }
    size_t i = 0;
    for (struct machine *m = run->queue_head; m; m = m->next_queue)
        if (!m->sent) {
            run->outgoing[i++] = &m->command;
            m->sent = true;
        }
    *out = run->outgoing;
    return n;
}

int temporal__wf_run_add_message(struct temporal_workflow_ctx *run,
                                 const Temporal__Api__Protocol__V1__Message *msg,
                                 struct temporal_error *err)
{
    const Google__Protobuf__Any *body = msg->body;
    const char *url = body ? str0(body->type_url) : "";
    size_t n = strlen(url), k = strlen(UPDATE_REQUEST_TYPE);
    if (n < k || strcmp(url + n - k, UPDATE_REQUEST_TYPE) != 0)
        return 0; /* a protocol this worker does not speak: ignored */
    Temporal__Api__Update__V1__Request *r =
        temporal__api__update__v1__request__unpack(NULL, body->value.len, body->value.data);
    if (r == NULL || r->meta == NULL || r->input == NULL) {
        if (r != NULL)
            protobuf_c_message_free_unpacked(&r->base, NULL);
        return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                              "update request message '%s' cannot be decoded", str0(msg->id));
    }
    int64_t seq = msg->sequencing_id_case == TEMPORAL__API__PROTOCOL__V1__MESSAGE__SEQUENCING_ID_EVENT_ID
                      ? msg->event_id
                      : 0;
    struct update *u = add_update(run, str0(msg->protocol_instance_id), str0(msg->id), seq,
                                  str0(r->input->name), r->input->args, r->input->header);
    if (u == NULL) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    }
    if (u->request == NULL)
        u->request = r;
    else
        protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}

size_t temporal__wf_run_take_messages(struct temporal_workflow_ctx *run,
                                      Temporal__Api__Protocol__V1__Message ***out)
{
    size_t n = 0;
    for (struct out_message *o = run->messages; o; o = o->next)
        n++;
    if (n > run->message_ptrs_cap) {
        Temporal__Api__Protocol__V1__Message **p = realloc(run->message_ptrs, n * sizeof(*p));
        if (p == NULL) {
            *out = NULL;
            return 0;
        }
        run->message_ptrs = p;
        run->message_ptrs_cap = n;
    }
    size_t i = 0;
    for (struct out_message *o = run->messages; o; o = o->next)
        run->message_ptrs[i++] = &o->msg;
    *out = run->message_ptrs;
    return n;
}

static int run_query(struct temporal_workflow_ctx *run, const char *type,
                     const struct temporal_payloads *args, struct temporal_payloads *answer,
                     struct temporal_error *err)
{
    for (struct handler *h = run->query_handlers; h; h = h->next) {
        if (strcmp(h->name, type) != 0)
            continue;
        int rc = ((temporal_workflow_query_fn)h->fn)(run, args, answer, h->arg);
        if (rc != 0)
            return temporal__fail(err, rc, -1, "query handler '%s' failed: %s", type,
                                  temporal_strerror(rc));
        return 0;
    }
    char known[512] = "";
    size_t used = 0;
    for (struct handler *h = run->query_handlers; h; h = h->next)
        temporal__list_append(known, sizeof(known), &used, h->name);
    return temporal__fail(err, TEMPORAL_EQUERY_FAILED, -1,
                          "unknown query type '%s' for workflow type '%s'; known queries: [%s]",
                          type, run->workflow_type, known);
}

int temporal__wf_run_query(struct temporal_workflow_ctx *run, const char *type,
                           const struct temporal_payloads *args,
                           const Temporal__Api__Common__V1__Header *header,
                           struct temporal_payloads *answer, struct temporal_error *err)
{
    /* A query is not replayed: its span is recorded whenever it is answered (in real time),
     * as a child of the querying client's span, linked to the workflow ctx. */
    struct temporal__trace_ctx parent = { 0 };
    struct temporal__span *s = NULL;
    if (run->tracer != NULL && temporal__trace_ctx_from_header(header, &parent)) {
        s = temporal__span_start(run->tracer, TEMPORAL__SPAN_SERVER, "HandleQuery", type, &parent,
                                 NULL, 0, NULL);
        temporal__span_attr(s, "temporalWorkflowID", run->workflow_id);
        temporal__span_attr(s, "temporalRunID", run->run_id);
        temporal__span_link(s, &run->trace_wf);
        temporal__trace_ctx_clear(&parent);
    }
    int rc = run_query(run, type, args, answer, err);
    if (rc != 0)
        temporal__span_error(s, temporal_err_name(rc), err ? err->message : "");
    temporal__span_end(run->tracer, s, 0);
    return rc;
}

/* The API of workflow code ----------------------------------------------------------------------- */

const struct temporal_workflow_info *temporal_workflow_info(const struct temporal_workflow_ctx *ctx)
{
    return &ctx->info;
}

void *temporal_workflow_user_data(const struct temporal_workflow_ctx *ctx)
{
    return ctx->def->user_data;
}

int64_t temporal_workflow_now_ms(const struct temporal_workflow_ctx *ctx) { return ctx->now_ms; }

void *temporal_workflow_alloc(struct temporal_workflow_ctx *ctx, size_t size)
{
    if (ctx->allocation_count == ctx->allocation_cap) {
        size_t cap = ctx->allocation_cap ? ctx->allocation_cap * 2 : 8;
        void **a = realloc(ctx->allocations, cap * sizeof(*a));
        if (a == NULL)
            return NULL;
        ctx->allocations = a;
        ctx->allocation_cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p != NULL)
        ctx->allocations[ctx->allocation_count++] = p;
    return p;
}

uint64_t temporal_workflow_random(struct temporal_workflow_ctx *ctx)
{
    /* splitmix64 */
    uint64_t z = (ctx->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

bool temporal_workflow_is_replaying(const struct temporal_workflow_ctx *ctx)
{
    return ctx->replaying;
}

bool temporal_workflow_is_cancel_requested(const struct temporal_workflow_ctx *ctx)
{
    return ctx->cancel_requested;
}

void temporal_workflow_log(struct temporal_workflow_ctx *ctx, const char *fmt, ...)
{
    if (ctx->replaying || ctx->log.fn == NULL)
        return;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    run_log(ctx, TEMPORAL_LOG_INFO, "%s", msg);
}

const struct temporal_error *temporal_workflow_last_error(const struct temporal_workflow_ctx *ctx)
{
    static const struct temporal_error none = { 0, -1, "", "" };
    return ctx->current ? &ctx->current->last_error : &none;
}

const struct temporal_failure_info *
temporal_workflow_last_failure(const struct temporal_workflow_ctx *ctx)
{
    return ctx->current && ctx->current->last_failed ? &ctx->current->last_failure : NULL;
}

int temporal_workflow_fail(struct temporal_workflow_ctx *ctx, const char *type,
                           const char *message, bool non_retryable,
                           const struct temporal_payloads *details)
{
    /* The failure belongs to what is running: a validator, an update handler, or the
     * workflow itself. */
    struct failure_note *note = ctx->in_validator ? &ctx->validator_failure
                                : ctx->current != NULL && ctx->current->update != NULL
                                    ? &ctx->current->update->failure
                                    : &ctx->failure;
    note_set(note, type, message, non_retryable, details);
    return TEMPORAL_EWORKFLOW_FAILED;
}

/* Records |input| for the continue-as-new command. */
static int set_continue_input(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *input)
{
    temporal_payloads_cleanup(&ctx->continue_input);
    if (copy_payloads(&ctx->continue_input, input) != 0)
        return TEMPORAL_ENOMEM;
    return TEMPORAL_ECONTINUED_AS_NEW;
}

int temporal_workflow_continue_as_new_with(struct temporal_workflow_ctx *ctx,
                                           const struct temporal_payloads *input,
                                           const struct temporal_continue_as_new_options *user_opts)
{
    struct temporal_continue_as_new_options o = TEMPORAL_CONTINUE_AS_NEW_OPTIONS_INIT;
    if (user_opts != NULL && !temporal__copy_options(&o, sizeof(o), user_opts))
        return TEMPORAL_EINVAL;
    char *type = temporal__empty(o.workflow_type) ? NULL : temporal__strdup(o.workflow_type);
    char *queue = temporal__empty(o.task_queue) ? NULL : temporal__strdup(o.task_queue);
    if ((!temporal__empty(o.workflow_type) && type == NULL) ||
        (!temporal__empty(o.task_queue) && queue == NULL)) {
        free(type);
        free(queue);
        return TEMPORAL_ENOMEM;
    }
    free(ctx->continue_type);
    free(ctx->continue_task_queue);
    ctx->continue_type = type;
    ctx->continue_task_queue = queue;
    ctx->continue_run_timeout_ms = o.run_timeout_ms;
    ctx->continue_task_timeout_ms = o.task_timeout_ms;
    return set_continue_input(ctx, input);
}

int temporal_workflow_continue_as_new(struct temporal_workflow_ctx *ctx,
                                      const struct temporal_payloads *input)
{
    /* The same type, queue and timeouts, whatever an earlier _with() call said. */
    free(ctx->continue_type);
    free(ctx->continue_task_queue);
    ctx->continue_type = ctx->continue_task_queue = NULL;
    ctx->continue_run_timeout_ms = ctx->continue_task_timeout_ms = 0;
    return set_continue_input(ctx, input);
}

int temporal_workflow_fail_task(struct temporal_workflow_ctx *ctx, const char *fmt, ...)
{
    char message[TEMPORAL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt ? fmt : "", ap);
    va_end(ap);
    return fail_task(ctx, TEMPORAL_EWORKFLOW_TASK_FAILED, "%s", message);
}

/* Makes |m| a RecordMarker command |name| whose details are |key| = |list| and, if
 * |extra_key| is not NULL, |extra_key| = |extra_list| (both owned by |m|).  Returns 0 or
 * TEMPORAL_ENOMEM. */
static int set_marker_command(struct machine *m, const char *name, const char *key,
                              const struct temporal_payloads *list, const char *extra_key,
                              const struct temporal_payloads *extra_list)
{
    int rc = 0;
    temporal__payloads_view_init(&m->view, list, &rc);
    if (rc == 0 && extra_key != NULL)
        temporal__payloads_view_init(&m->marker_extra_view, extra_list, &rc);
    if (rc != 0)
        return rc;
    size_t n = 0;
    const char *keys[2] = { key, extra_key };
    Temporal__Api__Common__V1__Payloads *values[2] = { &m->view.msg, &m->marker_extra_view.msg };
    for (size_t i = 0; i < 2 && keys[i] != NULL; i++, n++) {
        Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry entry =
            TEMPORAL__API__COMMAND__V1__RECORD_MARKER_COMMAND_ATTRIBUTES__DETAILS_ENTRY__INIT;
        entry.key = (char *)keys[i];
        entry.value = values[i];
        m->marker_entry[i] = entry;
        m->marker_entries[i] = &m->marker_entry[i];
    }
    Temporal__Api__Command__V1__RecordMarkerCommandAttributes a =
        TEMPORAL__API__COMMAND__V1__RECORD_MARKER_COMMAND_ATTRIBUTES__INIT;
    a.marker_name = (char *)name;
    a.n_details = n;
    a.details = m->marker_entries;
    m->attrs.marker = a;
    m->command.command_type = CMD(RECORD_MARKER);
    m->command.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_RECORD_MARKER_COMMAND_ATTRIBUTES;
    m->command.record_marker_command_attributes = &m->attrs.marker;
    return 0;
}

/* patched() and deprecate_patch(): the answer for |patch_id|, recording its marker when the
 * answer is true. */
static bool check_patch(struct temporal_workflow_ctx *ctx, const char *patch_id, bool deprecated)
{
    if (temporal__empty(patch_id))
        return false;
    for (struct patch_memo *p = ctx->patches; p; p = p->next)
        if (strcmp(p->id, patch_id) == 0)
            return p->value;
    /* New code runs the new branch; replay follows what the original execution recorded. */
    bool value = !ctx->replaying || find_upcoming(ctx, M_PATCH_MARKER, patch_id) != NULL;
    struct patch_memo *memo = calloc(1, sizeof(*memo));
    if (memo == NULL || (memo->id = temporal__strdup(patch_id)) == NULL) {
        free(memo);
        return value;
    }
    memo->value = value;
    memo->next = ctx->patches;
    ctx->patches = memo;
    if (!value)
        return false;

    /* The marker: details {"patch-data": json {"id": ..., "deprecated": ...}}. */
    struct machine *m = machine_add(ctx, M_PATCH_MARKER);
    json_t *data = json_pack("{s:s, s:b}", "id", patch_id, "deprecated", deprecated);
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (m == NULL || text == NULL || (m->patch_id = temporal__strdup(patch_id)) == NULL ||
        temporal_payloads_add_json(&m->payloads, text, strlen(text)) != 0 ||
        set_marker_command(m, PATCH_MARKER_NAME, PATCH_MARKER_DETAIL, &m->payloads, NULL, NULL) != 0)
        fail_task(ctx, TEMPORAL_ENOMEM, "out of memory recording patch '%s'", patch_id);
    free(text);
    return true;
}

bool temporal_workflow_patched(struct temporal_workflow_ctx *ctx, const char *patch_id)
{
    return check_patch(ctx, patch_id, false);
}

void temporal_workflow_deprecate_patch(struct temporal_workflow_ctx *ctx, const char *patch_id)
{
    (void)check_patch(ctx, patch_id, true);
}

int temporal_workflow_side_effect(struct temporal_workflow_ctx *ctx,
                                  temporal_workflow_side_effect_fn fn, void *arg,
                                  struct temporal_payloads *out)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL || fn == NULL || out == NULL)
        return TEMPORAL_EINVAL;
    struct machine *m = machine_add(ctx, M_SIDE_EFFECT_MARKER);
    if (m == NULL)
        return fail_task(ctx, TEMPORAL_ENOMEM, "out of memory recording a side effect");
    if (ctx->replaying) {
        const struct recorded_marker *r = find_upcoming(ctx, M_SIDE_EFFECT_MARKER, m->id);
        if (r == NULL)
            return fail_task(ctx, TEMPORAL_ENONDETERMINISM,
                             "non-deterministic workflow: the workflow code runs side effect %s, "
                             "which history did not record at this point (was a step added?)",
                             m->id);
        if (copy_payloads(&m->payloads, &r->data) != 0)
            return fail_task(ctx, TEMPORAL_ENOMEM, "out of memory replaying a side effect");
    } else {
        int rc = fn(arg, &m->payloads);
        if (rc != 0)
            return fail_task(ctx, rc, "side effect %s of workflow '%s' failed: %s (the workflow "
                             "task fails and is retried)",
                             m->id, ctx->workflow_id, temporal_strerror(rc));
    }
    if (temporal_payloads_add_json(&m->marker_extra, m->id, strlen(m->id)) != 0 ||
        set_marker_command(m, SIDE_EFFECT_MARKER_NAME, SIDE_EFFECT_DATA_DETAIL, &m->payloads,
                           SIDE_EFFECT_ID_DETAIL, &m->marker_extra) != 0 ||
        copy_payloads(out, &m->payloads) != 0)
        return fail_task(ctx, TEMPORAL_ENOMEM, "out of memory recording a side effect");
    return 0;
}

/* Upserts |fields| into the run's search attributes or memo (|kind| says which) and issues
 * the command that records them. */
static int upsert_fields(struct temporal_workflow_ctx *ctx, enum machine_kind kind,
                         const struct temporal_named_payload *fields, size_t count)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL || (fields == NULL && count > 0))
        return TEMPORAL_EINVAL;
    for (size_t i = 0; i < count; i++)
        if (temporal__empty(fields[i].name))
            return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                                  "field %zu of the upsert has no name", i);
    if (count == 0)
        return 0;
    struct machine *m = machine_add(ctx, kind);
    if (m == NULL || (m->field_names = calloc(count, sizeof(char *))) == NULL)
        return fail_task(ctx, TEMPORAL_ENOMEM, "out of memory upserting fields");
    struct temporal_named_payload *owned = calloc(count, sizeof(*owned));
    int rc = owned ? 0 : TEMPORAL_ENOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if ((m->field_names[i] = temporal__strdup(fields[i].name)) == NULL)
            rc = TEMPORAL_ENOMEM;
        else
            m->field_count++;
        if (rc == 0)
            rc = fields[i].value ? temporal_payloads_add_copy(&m->payloads, fields[i].value)
                                 : temporal_payloads_add_null(&m->payloads);
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        owned[i].name = m->field_names[i];
        owned[i].value = fields[i].value ? &m->payloads.items[i] : NULL;
        rc = field_set(kind == M_UPSERT_SEARCH_ATTRIBUTES ? &ctx->search_attributes : &ctx->memo,
                       owned[i].name, owned[i].value);
    }
    if (rc == 0)
        rc = temporal__payload_map_view_init(&m->fields_view, owned, count);
    free(owned);
    if (rc != 0)
        return fail_task(ctx, rc, "out of memory upserting fields");
    if (kind == M_UPSERT_SEARCH_ATTRIBUTES) {
        Temporal__Api__Command__V1__UpsertWorkflowSearchAttributesCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_COMMAND_ATTRIBUTES__INIT;
        a.search_attributes = &m->fields_view.search_attributes;
        m->attrs.upsert = a;
        m->command.command_type = CMD(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_COMMAND_ATTRIBUTES;
        m->command.upsert_workflow_search_attributes_command_attributes = &m->attrs.upsert;
    } else {
        Temporal__Api__Command__V1__ModifyWorkflowPropertiesCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__MODIFY_WORKFLOW_PROPERTIES_COMMAND_ATTRIBUTES__INIT;
        a.upserted_memo = &m->fields_view.memo;
        m->attrs.modify = a;
        m->command.command_type = CMD(MODIFY_WORKFLOW_PROPERTIES);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_MODIFY_WORKFLOW_PROPERTIES_COMMAND_ATTRIBUTES;
        m->command.modify_workflow_properties_command_attributes = &m->attrs.modify;
    }
    m->resolved = true;
    return 0;
}

int temporal_workflow_upsert_search_attributes(struct temporal_workflow_ctx *ctx,
                                               const struct temporal_named_payload *attributes,
                                               size_t count)
{
    return upsert_fields(ctx, M_UPSERT_SEARCH_ATTRIBUTES, attributes, count);
}

int temporal_workflow_upsert_memo(struct temporal_workflow_ctx *ctx,
                                  const struct temporal_named_payload *fields, size_t count)
{
    return upsert_fields(ctx, M_MODIFY_PROPERTIES, fields, count);
}

const struct temporal_payload *temporal_workflow_search_attribute(const struct temporal_workflow_ctx *ctx,
                                                                  const char *name)
{
    return field_get(ctx->search_attributes, name);
}

const struct temporal_payload *temporal_workflow_memo(const struct temporal_workflow_ctx *ctx,
                                                      const char *name)
{
    return field_get(ctx->memo, name);
}

static bool machine_resolved(void *arg) { return ((struct machine *)arg)->resolved; }

/* Makes |m|'s failure the branch's last error and failure; returns its code. */
static int branch_set_failure(struct temporal_workflow_branch *b, const struct machine *m)
{
    b->last_error = m->error;
    b->last_failed = m->has_app_failure ? m : NULL;
    if (b->last_failed != NULL) {
        b->last_failure.type = m->app_type;
        b->last_failure.message = m->app_message;
        b->last_failure.non_retryable = m->app_non_retryable;
        b->last_failure.details = &m->app_details;
    }
    return m->result_code;
}

/* Takes back the command of |m|, issued in this activation: the server never hears of it. */
static void withdraw_command(struct temporal_workflow_ctx *run, struct machine *m)
{
    if (m->matched || m->task != run->tasks)
        return; /* cannot happen: an earlier task's commands are matched by now */
    struct machine *prev = NULL;
    for (struct machine **pp = &run->queue_head; *pp; prev = *pp, pp = &(*pp)->next_queue)
        if (*pp == m) {
            *pp = m->next_queue;
            if (run->queue_tail == m)
                run->queue_tail = prev;
            break;
        }
    m->sent = true; /* never to be sent */
}

/* The workflow's cancellation ended the wait for |m| (an activity or a timer).  A command
 * issued in this same activation is withdrawn (the server never hears of it); one already in
 * history gets its cancel command: CancelTimer, or RequestCancelActivityTask (TRY: stop
 * waiting; WAIT_COMPLETED: keep waiting for the activity's terminal event; ABANDON: no
 * command at all). */
static int cancel_machine(struct temporal_workflow_ctx *run, struct machine *m,
                          enum temporal_activity_cancellation_type type)
{
    if (m->resolved || run->tearing_down)
        return 0;
    /* WAIT_COMPLETED: the activity's own terminal event will resolve it. */
    if (type != TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED || !m->matched)
        m->resolved = true;
    if (!m->matched) {
        withdraw_command(run, m);
        return 0;
    }
    if (type == TEMPORAL_ACTIVITY_CANCEL_ABANDON)
        return 0;
    struct machine *c = machine_add(run, m->kind == M_ACTIVITY ? M_CANCEL_ACTIVITY : M_CANCEL_TIMER);
    if (c == NULL)
        return TEMPORAL_ENOMEM;
    c->target = m;
    if (m->kind == M_ACTIVITY) {
        Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__REQUEST_CANCEL_ACTIVITY_TASK_COMMAND_ATTRIBUTES__INIT;
        a.scheduled_event_id = m->initial_event_id;
        c->attrs.cancel_activity = a;
        c->command.command_type = CMD(REQUEST_CANCEL_ACTIVITY_TASK);
        c->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_REQUEST_CANCEL_ACTIVITY_TASK_COMMAND_ATTRIBUTES;
        c->command.request_cancel_activity_task_command_attributes = &c->attrs.cancel_activity;
    } else {
        Temporal__Api__Command__V1__CancelTimerCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__CANCEL_TIMER_COMMAND_ATTRIBUTES__INIT;
        a.timer_id = m->id;
        c->attrs.cancel_timer = a;
        c->command.command_type = CMD(CANCEL_TIMER);
        c->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_CANCEL_TIMER_COMMAND_ATTRIBUTES;
        c->command.cancel_timer_command_attributes = &c->attrs.cancel_timer;
    }
    return 0;
}

static void set_duration(struct machine *m, int slot, Google__Protobuf__Duration **field, int64_t ms)
{
    if (ms > 0)
        *field = temporal__duration_set(&m->durations[slot], ms);
}

/* Gives |m| what a scheduled call carries: its type name (activity or workflow type), its
 * task queue (|task_queue|, else the run's) and a copy of |input| with its wire view. */
static int machine_set_call(struct temporal_workflow_ctx *ctx, struct machine *m,
                            const char *type, const char *task_queue,
                            const struct temporal_payloads *input)
{
    int rc = 0;
    m->activity_type = temporal__strdup(type);
    m->task_queue = temporal__strdup(temporal__empty(task_queue) ? ctx->task_queue : task_queue);
    if (m->activity_type == NULL || m->task_queue == NULL || copy_payloads(&m->payloads, input) != 0)
        return TEMPORAL_ENOMEM;
    temporal__payloads_view_init(&m->view, &m->payloads, &rc);
    if (rc != 0)
        return rc;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    tq.name = m->task_queue;
    tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    m->task_queue_msg = tq;
    return 0;
}

/* Gives |m| the wire form of retry policy |p| (in m->retry; strings copied). */
static int machine_set_retry(struct machine *m, const struct temporal_retry_policy *p)
{
    Temporal__Api__Common__V1__RetryPolicy r = TEMPORAL__API__COMMON__V1__RETRY_POLICY__INIT;
    r.backoff_coefficient = p->backoff_coefficient;
    r.maximum_attempts = p->maximum_attempts;
    m->retry = r;
    if (p->initial_interval_ms > 0)
        m->retry.initial_interval = temporal__duration_set(&m->retry_durations[0],
                                                           p->initial_interval_ms);
    if (p->maximum_interval_ms > 0)
        m->retry.maximum_interval = temporal__duration_set(&m->retry_durations[1],
                                                           p->maximum_interval_ms);
    if (p->non_retryable_error_types_count > 0) {
        m->non_retryable = calloc(p->non_retryable_error_types_count, sizeof(char *));
        if (m->non_retryable == NULL)
            return TEMPORAL_ENOMEM;
        for (size_t i = 0; i < p->non_retryable_error_types_count; i++) {
            m->non_retryable[i] = temporal__strdup(p->non_retryable_error_types[i]);
            if (m->non_retryable[i] == NULL)
                return TEMPORAL_ENOMEM;
            m->non_retryable_count++;
        }
        m->retry.n_non_retryable_error_types = m->non_retryable_count;
        m->retry.non_retryable_error_types = m->non_retryable;
    }
    return 0;
}

int temporal_workflow_execute_activity(struct temporal_workflow_ctx *ctx, const char *activity_type,
                                       const struct temporal_payloads *input,
                                       const struct temporal_activity_options *user_opts,
                                       struct temporal_payloads *out)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL)
        return TEMPORAL_EINVAL;
    struct temporal_activity_options o;
    if (!temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "activity options must be made with TEMPORAL_ACTIVITY_OPTIONS_INIT");
    if (temporal__empty(activity_type) || out == NULL)
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "execute_activity needs an activity type and an output list");
    if (o.schedule_to_close_timeout_ms <= 0 && o.start_to_close_timeout_ms <= 0)
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "activity '%s' needs start_to_close_timeout_ms or "
                              "schedule_to_close_timeout_ms",
                              activity_type);
    if (branch_cancelled(ctx))
        return temporal__fail(&b->last_error, TEMPORAL_ECANCELED, -1, "workflow cancelled");

    struct machine *m = machine_add(ctx, M_ACTIVITY);
    if (m == NULL)
        return TEMPORAL_ENOMEM;
    int rc = machine_set_call(ctx, m, activity_type, o.task_queue, input);
    if (rc != 0)
        return rc;
    Temporal__Api__Common__V1__ActivityType at = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
    at.name = m->activity_type;
    m->activity_type_msg = at;
    Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes a =
        TEMPORAL__API__COMMAND__V1__SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES__INIT;
    a.activity_id = m->id;
    a.activity_type = &m->activity_type_msg;
    a.task_queue = &m->task_queue_msg;
    a.input = m->view.msg.n_payloads ? &m->view.msg : NULL;
    m->attrs.activity = a;
    trace_command(ctx, m, "StartActivity", activity_type, &m->attrs.activity.header);
    set_duration(m, 0, &m->attrs.activity.schedule_to_close_timeout, o.schedule_to_close_timeout_ms);
    set_duration(m, 1, &m->attrs.activity.schedule_to_start_timeout, o.schedule_to_start_timeout_ms);
    set_duration(m, 2, &m->attrs.activity.start_to_close_timeout, o.start_to_close_timeout_ms);
    set_duration(m, 3, &m->attrs.activity.heartbeat_timeout, o.heartbeat_timeout_ms);
    if (o.retry_policy != NULL) {
        if ((rc = machine_set_retry(m, o.retry_policy)) != 0)
            return rc;
        m->attrs.activity.retry_policy = &m->retry;
    }
    m->command.command_type = CMD(SCHEDULE_ACTIVITY_TASK);
    m->command.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES;
    m->command.schedule_activity_task_command_attributes = &m->attrs.activity;

    rc = block_until(ctx, machine_resolved, m, true);
    if (rc != 0) {
        int crc = cancel_machine(ctx, m, o.cancellation_type);
        if (crc == 0 && !m->resolved) /* WAIT_COMPLETED: until the activity has stopped */
            crc = block_until(ctx, machine_resolved, m, false);
        if (crc != 0 || !m->resolved || m->result_code == 0)
            return temporal__fail(&b->last_error, crc ? crc : rc, -1,
                                  "activity '%s' (id %s): workflow cancelled", activity_type,
                                  m->id);
    }
    if (m->result_code != 0)
        return branch_set_failure(b, m);
    return copy_payloads(out, &m->result);
}

static int issue_external(struct temporal_workflow_ctx *ctx, enum machine_kind kind,
                          const char *workflow_id, const char *run_id, const char *name,
                          const struct temporal_payloads *args, struct machine **out);

int temporal_workflow_execute_child(struct temporal_workflow_ctx *ctx, const char *workflow_type,
                                    const struct temporal_payloads *input,
                                    const struct temporal_child_workflow_options *user_opts,
                                    struct temporal_payloads *out)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL)
        return TEMPORAL_EINVAL;
    struct temporal_child_workflow_options o;
    if (!temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "child workflow options must be made with "
                              "TEMPORAL_CHILD_WORKFLOW_OPTIONS_INIT");
    if (temporal__empty(workflow_type) || out == NULL)
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "execute_child needs a workflow type and an output list");
    if (branch_cancelled(ctx))
        return temporal__fail(&b->last_error, TEMPORAL_ECANCELED, -1, "workflow cancelled");
    struct machine *m = machine_add(ctx, M_CHILD);
    if (m == NULL)
        return TEMPORAL_ENOMEM;
    char default_id[512];
    snprintf(default_id, sizeof(default_id), "%s-child-%s", ctx->workflow_id, m->id);
    m->child_id = temporal__strdup(temporal__empty(o.workflow_id) ? default_id : o.workflow_id);
    if (m->child_id == NULL)
        return TEMPORAL_ENOMEM;
    int rc = machine_set_call(ctx, m, workflow_type, o.task_queue, input);
    if (rc != 0)
        return rc;
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    wt.name = m->activity_type;
    m->workflow_type_msg = wt;
    Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes a =
        TEMPORAL__API__COMMAND__V1__START_CHILD_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
    a.workflow_id = m->child_id;
    a.workflow_type = &m->workflow_type_msg;
    a.task_queue = &m->task_queue_msg;
    a.input = m->view.msg.n_payloads ? &m->view.msg : NULL;
    a.parent_close_policy = o.parent_close_policy == TEMPORAL_PARENT_CLOSE_TERMINATE
                                ? TEMPORAL__API__ENUMS__V1__PARENT_CLOSE_POLICY__PARENT_CLOSE_POLICY_TERMINATE
                                : (Temporal__Api__Enums__V1__ParentClosePolicy)o.parent_close_policy;
    m->attrs.child = a;
    trace_command(ctx, m, "StartChildWorkflow", workflow_type, &m->attrs.child.header);
    set_duration(m, 0, &m->attrs.child.workflow_execution_timeout, o.execution_timeout_ms);
    set_duration(m, 1, &m->attrs.child.workflow_run_timeout, o.run_timeout_ms);
    set_duration(m, 2, &m->attrs.child.workflow_task_timeout, o.task_timeout_ms);
    if (o.retry_policy != NULL) {
        if ((rc = machine_set_retry(m, o.retry_policy)) != 0)
            return rc;
        m->attrs.child.retry_policy = &m->retry;
    }
    m->command.command_type = CMD(START_CHILD_WORKFLOW_EXECUTION);
    m->command.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_START_CHILD_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
    m->command.start_child_workflow_execution_command_attributes = &m->attrs.child;

    rc = block_until(ctx, machine_resolved, m, true);
    if (rc != 0 && !m->resolved && !ctx->tearing_down) {
        /* The parent is cancelled: the child is asked to cancel too (unless ABANDON), and
         * the wait ends as the cancellation type says. */
        if (!m->matched) {
            withdraw_command(ctx, m);
        } else if (o.cancellation_type != TEMPORAL_CHILD_CANCEL_ABANDON) {
            struct machine *c = NULL;
            int crc = issue_external(ctx, M_CANCEL_EXTERNAL, m->child_id, "", "parent cancelled",
                                     NULL, &c);
            if (crc != 0)
                return crc;
            if (o.cancellation_type == TEMPORAL_CHILD_CANCEL_WAIT_REQUESTED)
                block_until(ctx, machine_resolved, c, false);
            else if (o.cancellation_type == TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED)
                block_until(ctx, machine_resolved, m, false);
        }
    }
    /* WAIT_COMPLETED: the child's own outcome (it may have completed despite the request);
     * otherwise a cancellation. */
    bool waited = o.cancellation_type == TEMPORAL_CHILD_CANCEL_WAIT_COMPLETED && m->resolved;
    if (rc != 0 && (!waited || m->result_code == TEMPORAL_ECANCELED))
        return temporal__fail(&b->last_error, TEMPORAL_ECANCELED, -1,
                              "child workflow '%s' (id %s): workflow cancelled", workflow_type,
                              m->child_id);
    if (m->result_code != 0)
        return branch_set_failure(b, m);
    return copy_payloads(out, &m->result);
}

/* Local activities ------------------------------------------------------------------------------ */

/* The outcome of local activity |m|: the workflow code sees it, and its marker (if any)
 * joins the command queue. */
static void resolve_la(struct temporal_workflow_ctx *run, struct machine *m, int code,
                       const temporal__pb_failure *failure)
{
    resolve_activity(run, m, code, NULL, failure,
                     code == TEMPORAL_ECANCELED ? "CanceledFailure" : "ApplicationFailure");
}

static struct machine *find_la(const struct temporal_workflow_ctx *run, const char *seq);

/* While replaying, at a point where the original activation ended: resolves the local
 * activity whose marker comes first among those the replayed task recorded and that are
 * not resolved yet (the worker resolved them one at a time, in that order, each followed by
 * an activation).  Returns true if one was resolved. */
static bool resolve_next_la_from_history(struct temporal_workflow_ctx *run)
{
    for (size_t i = 0; i < run->upcoming_count; i++) {
        const struct recorded_marker *r = &run->upcoming[i];
        if (r->kind != M_LOCAL_ACTIVITY)
            continue;
        struct machine *m = find_la(run, r->id);
        if (m != NULL && m->resolved)
            continue; /* resolved in an earlier activation */
        if (m == NULL || m->la_started)
            return false; /* the code has not asked for it (yet): it has diverged */
        int code = r->failure == NULL ? 0
                   : r->failure->failure_info_case ==
                           TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO
                       ? TEMPORAL_ECANCELED
                       : TEMPORAL_EACTIVITY_FAILED;
        m->la_attempt = r->attempt;
        m->la_backoff_ms = r->backoff_ms;
        if (code == 0 && copy_payloads(&m->result, &r->data) != 0) {
            fail_task(run, TEMPORAL_ENOMEM, "out of memory replaying local activity %s", m->id);
            return false;
        }
        resolve_la(run, m, code, r->failure);
        machine_enqueue(run, m);
        run->activations++; /* as temporal__wf_run_resume() does */
        return true;
    }
    return false;
}

static struct machine *find_la(const struct temporal_workflow_ctx *run, const char *seq)
{
    for (struct machine *m = run->machines; m; m = m->next)
        if (m->kind == M_LOCAL_ACTIVITY && strcmp(m->id, seq) == 0)
            return m;
    return NULL;
}

const struct temporal__la_request *temporal__wf_run_next_local_activity(struct temporal_workflow_ctx *run)
{
    if (run->replaying || run->finished)
        return NULL; /* a finished run records nothing after its terminal command */
    for (struct machine *m = run->machines; m; m = m->next)
        if (m->kind == M_LOCAL_ACTIVITY && !m->resolved && !m->la_started) {
            m->la_started = true;
            /* Its StartActivity span, recorded by the task that starts it; the span is the
             * parent of each attempt's RunActivity. */
            if (trace_command_ctx(run, m, "StartActivity", m->activity_type))
                m->la.trace = &m->trace;
            return &m->la;
        }
    return NULL;
}

enum temporal__la_want temporal__wf_run_local_activity_want(const struct temporal_workflow_ctx *run,
                                                            const char *seq)
{
    const struct machine *m = find_la(run, seq);
    if (m != NULL && m->la_abandoned)
        return TEMPORAL__LA_ABANDONED;
    if (m == NULL || m->resolved || run->finished)
        return TEMPORAL__LA_GONE;
    return m->la_cancel_requested ? TEMPORAL__LA_WAIT_CANCEL : TEMPORAL__LA_WAIT;
}

int temporal__wf_run_resolve_local_activity(struct temporal_workflow_ctx *run, const char *seq,
                                            const struct temporal__la_outcome *o)
{
    struct machine *m = find_la(run, seq);
    if (m == NULL || m->resolved || run->finished)
        return 0;
    int64_t now = temporal__now_epoch_ms();
    json_t *data = json_pack("{s:I, s:i, s:s, s:s, s:{s:I, s:i}, s:n, s:{s:I, s:i}}", "seq",
                             (json_int_t)strtoll(m->id, NULL, 10), "attempt", (int)o->attempt,
                             "activity_id", m->id, "activity_type", m->activity_type,
                             "complete_time", "seconds", (json_int_t)(now / 1000), "nanos",
                             (int)(now % 1000) * 1000000, "backoff", "original_schedule_time",
                             "seconds", (json_int_t)(m->la.scheduled_time_ms / 1000), "nanos",
                             (int)(m->la.scheduled_time_ms % 1000) * 1000000);
    if (data != NULL && o->backoff_ms > 0)
        json_object_set_new(data, "backoff",
                            json_pack("{s:I, s:i}", "seconds", (json_int_t)(o->backoff_ms / 1000),
                                      "nanos", (int)(o->backoff_ms % 1000) * 1000000));
    m->la_attempt = o->attempt;
    m->la_backoff_ms = o->code == TEMPORAL_EACTIVITY_FAILED ? o->backoff_ms : 0;
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    int rc = text ? temporal_payloads_add_json(&m->marker_extra, text, strlen(text)) : TEMPORAL_ENOMEM;
    free(text);
    if (rc == 0 && o->code == 0)
        rc = copy_payloads(&m->result, &o->result);
    if (rc == 0 && o->code == TEMPORAL_ECANCELED) {
        Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
        Temporal__Api__Failure__V1__CanceledFailureInfo ci =
            TEMPORAL__API__FAILURE__V1__CANCELED_FAILURE_INFO__INIT;
        m->canceled_info = ci;
        f.message = (char *)"local activity cancelled";
        f.source = (char *)TEMPORAL__FAILURE_SOURCE;
        f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
        f.canceled_failure_info = &m->canceled_info;
        m->failure = f;
    } else if (rc == 0 && o->code != 0) {
        rc = machine_set_failure(m, o->failure_type, o->failure_message, o->non_retryable,
                                 &o->failure_details);
    }
    if (rc == 0)
        rc = set_marker_command(m, LA_MARKER_NAME, LA_DATA_DETAIL, &m->marker_extra,
                                o->code == 0 ? LA_RESULT_DETAIL : NULL, &m->result);
    if (rc != 0)
        return rc;
    if (o->code != 0)
        m->attrs.marker.failure = &m->failure;
    resolve_la(run, m, o->code == 0 ? 0 : o->code == TEMPORAL_ECANCELED ? TEMPORAL_ECANCELED
                                                                         : TEMPORAL_EACTIVITY_FAILED,
               o->code != 0 ? &m->failure : NULL);
    machine_enqueue(run, m);
    return 0;
}

int temporal__wf_run_resume(struct temporal_workflow_ctx *run, struct temporal_error *err)
{
    run->replaying = false;
    return activate(run, err);
}

int temporal__wf_run_end_task(struct temporal_workflow_ctx *run, struct temporal_error *err)
{
    if (run->finished || run->replaying)
        return 0;
    int rc = reject_unknown_updates(run);
    return rc ? temporal__fail(err, rc, -1, "out of memory rejecting updates") : 0;
}

int64_t temporal__wf_run_task_timeout_ms(const struct temporal_workflow_ctx *run)
{
    return run->task_timeout_ms > 0 ? run->task_timeout_ms : 10000;
}

/* Schedules one execution of a local activity (attempts from |attempt| on) and waits for
 * it; |*out| is its machine, resolved unless the wait was cancelled. */
static int schedule_local_activity(struct temporal_workflow_ctx *ctx, const char *activity_type,
                                   const struct temporal_payloads *input,
                                   const struct temporal_local_activity_options *o,
                                   int32_t attempt, int64_t first_scheduled, struct machine **out)
{
    *out = NULL;
    if (ctx->tearing_down)
        return TEMPORAL_ECANCELED;
    struct machine *m = machine_new(ctx, M_LOCAL_ACTIVITY, false);
    *out = m;
    if (m == NULL || (m->activity_type = temporal__strdup(activity_type)) == NULL ||
        copy_payloads(&m->payloads, input) != 0)
        return TEMPORAL_ENOMEM;
    struct temporal_retry_policy r = { 0 };
    if (o->retry_policy != NULL)
        r = *o->retry_policy;
    if (r.initial_interval_ms <= 0)
        r.initial_interval_ms = LA_DEFAULT_INITIAL_INTERVAL_MS;
    if (r.backoff_coefficient < 1.0)
        r.backoff_coefficient = LA_DEFAULT_BACKOFF;
    if (r.maximum_interval_ms <= 0)
        r.maximum_interval_ms = 100 * r.initial_interval_ms;
    if (r.non_retryable_error_types_count > 0) {
        m->non_retryable = calloc(r.non_retryable_error_types_count, sizeof(char *));
        if (m->non_retryable == NULL)
            return TEMPORAL_ENOMEM;
        for (size_t i = 0; i < r.non_retryable_error_types_count; i++) {
            if ((m->non_retryable[i] = temporal__strdup(r.non_retryable_error_types[i])) == NULL)
                return TEMPORAL_ENOMEM;
            m->non_retryable_count++;
        }
    }
    r.non_retryable_error_types = (const char *const *)m->non_retryable;
    r.non_retryable_error_types_count = m->non_retryable_count;
    m->la_retry = r;
    struct temporal__la_request req = {
        m->id, m->activity_type, &m->payloads, o->schedule_to_close_timeout_ms,
        o->start_to_close_timeout_ms, &m->la_retry, first_scheduled, attempt,
        o->local_retry_threshold_ms > 0 ? o->local_retry_threshold_ms : LA_DEFAULT_RETRY_THRESHOLD_MS,
        NULL /* set when it starts (tracing) */
    };
    m->la = req;

    int rc = block_until(ctx, machine_resolved, m, true);
    if (rc != 0 && !m->resolved) {
        if (o->cancellation_type == TEMPORAL_ACTIVITY_CANCEL_WAIT_COMPLETED && !ctx->tearing_down) {
            m->la_cancel_requested = true; /* the worker tells the activity; wait for it */
            block_until(ctx, machine_resolved, m, false);
        } else {
            m->resolved = true; /* TRY / ABANDON: stop waiting now; nothing is recorded */
                    m->la_abandoned = o->cancellation_type == TEMPORAL_ACTIVITY_CANCEL_ABANDON;
            m->result_code = TEMPORAL_ECANCELED;
        }
    }
    return 0;
}

int temporal_workflow_execute_local_activity(struct temporal_workflow_ctx *ctx,
                                             const char *activity_type,
                                             const struct temporal_payloads *input,
                                             const struct temporal_local_activity_options *user_opts,
                                             struct temporal_payloads *out)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL)
        return TEMPORAL_EINVAL;
    struct temporal_local_activity_options o;
    if (!temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "local activity options must be made with "
                              "TEMPORAL_LOCAL_ACTIVITY_OPTIONS_INIT");
    if (temporal__empty(activity_type) || out == NULL)
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "execute_local_activity needs an activity type and an output list");
    if (o.schedule_to_close_timeout_ms <= 0 && o.start_to_close_timeout_ms <= 0)
        return temporal__fail(&b->last_error, TEMPORAL_EINVAL, -1,
                              "local activity '%s' needs start_to_close_timeout_ms or "
                              "schedule_to_close_timeout_ms",
                              activity_type);
    if (branch_cancelled(ctx))
        return temporal__fail(&b->last_error, TEMPORAL_ECANCELED, -1, "workflow cancelled");

    /* One machine per execution: a backoff past the local retry threshold ends one, the
     * workflow sleeps it on a timer, and the next execution goes on with the next attempt. */
    int32_t attempt = 1;
    int64_t first_scheduled = ctx->now_ms;
    struct machine *m;
    for (;;) {
        int rc = schedule_local_activity(ctx, activity_type, input, &o, attempt, first_scheduled, &m);
        if (rc != 0)
            return rc;
        if (!m->resolved || m->result_code != TEMPORAL_EACTIVITY_FAILED || m->la_backoff_ms <= 0)
            break;
        if ((rc = temporal_workflow_sleep(ctx, m->la_backoff_ms)) != 0)
            return temporal__fail(&b->last_error, rc, -1,
                                  "local activity '%s': workflow cancelled during its retry backoff",
                                  activity_type);
        attempt = m->la_attempt + 1;
    }
    if (!m->resolved || m->result_code == TEMPORAL_ECANCELED)
        return temporal__fail(&b->last_error, TEMPORAL_ECANCELED, -1,
                              "local activity '%s' (id %s): workflow cancelled", activity_type, m->id);
    if (m->result_code != 0)
        return branch_set_failure(b, m);
    return copy_payloads(out, &m->result);
}

/* Issues a signal (|kind| M_SIGNAL_EXTERNAL) or cancel request to another workflow; sets
 * |*out| to its machine.  Returns 0 or TEMPORAL_ENOMEM. */
static int issue_external(struct temporal_workflow_ctx *ctx, enum machine_kind kind,
                          const char *workflow_id, const char *run_id, const char *name,
                          const struct temporal_payloads *args, struct machine **out)
{
    struct machine *m = machine_add(ctx, kind);
    if (m == NULL)
        return TEMPORAL_ENOMEM;
    int rc = 0;
    m->child_id = temporal__strdup(workflow_id);
    m->target_run_id = temporal__strdup(run_id ? run_id : "");
    m->signal_name = temporal__strdup(name ? name : "");
    if (!m->child_id || !m->target_run_id || !m->signal_name || copy_payloads(&m->payloads, args) != 0)
        return TEMPORAL_ENOMEM;
    temporal__payloads_view_init(&m->view, &m->payloads, &rc);
    if (rc != 0)
        return rc;
    Temporal__Api__Common__V1__WorkflowExecution x = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    x.workflow_id = m->child_id;
    x.run_id = m->target_run_id;
    m->execution_msg = x;
    if (kind == M_SIGNAL_EXTERNAL) {
        Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        a.execution = &m->execution_msg;
        a.signal_name = m->signal_name;
        a.input = m->view.msg.n_payloads ? &m->view.msg : NULL;
        m->attrs.signal = a;
        trace_command(ctx, m, "SignalExternalWorkflow", m->signal_name, &m->attrs.signal.header);
        m->command.command_type = CMD(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.signal_external_workflow_execution_command_attributes = &m->attrs.signal;
    } else {
        Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes a =
            TEMPORAL__API__COMMAND__V1__REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        a.workflow_id = m->child_id;
        a.run_id = m->target_run_id;
        a.reason = m->signal_name;
        m->attrs.cancel_external = a;
        m->command.command_type = CMD(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
        m->command.attributes_case =
            TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
        m->command.request_cancel_external_workflow_execution_command_attributes =
            &m->attrs.cancel_external;
    }
    *out = m;
    return 0;
}

/* Signal or cancel request to another workflow; waits until the server has delivered it. */
static int external_call(struct temporal_workflow_ctx *ctx, enum machine_kind kind,
                         const char *workflow_id, const char *run_id, const char *name,
                         const struct temporal_payloads *args)
{
    struct temporal_workflow_branch *b = ctx->current;
    if (b == NULL || temporal__empty(workflow_id) || (kind == M_SIGNAL_EXTERNAL && temporal__empty(name)))
        return TEMPORAL_EINVAL;
    struct machine *m = NULL;
    int rc = issue_external(ctx, kind, workflow_id, run_id, name, args, &m);
    if (rc == 0)
        rc = block_until(ctx, machine_resolved, m, false);
    if (rc != 0)
        return rc;
    if (m->result_code != 0)
        b->last_error = m->error;
    return m->result_code;
}

int temporal_workflow_signal_external(struct temporal_workflow_ctx *ctx, const char *workflow_id,
                                      const char *run_id, const char *signal_name,
                                      const struct temporal_payloads *args)
{
    return external_call(ctx, M_SIGNAL_EXTERNAL, workflow_id, run_id, signal_name, args);
}

int temporal_workflow_cancel_external(struct temporal_workflow_ctx *ctx, const char *workflow_id,
                                      const char *run_id, const char *reason)
{
    return external_call(ctx, M_CANCEL_EXTERNAL, workflow_id, run_id, reason, NULL);
}

int temporal_workflow_sleep(struct temporal_workflow_ctx *ctx, int64_t ms)
{
    if (ctx->current == NULL || ms < 0)
        return TEMPORAL_EINVAL;
    if (ms == 0)
        return 0;
    if (branch_cancelled(ctx))
        return TEMPORAL_ECANCELED;
    struct machine *m = machine_add(ctx, M_TIMER);
    if (m == NULL)
        return TEMPORAL_ENOMEM;
    Temporal__Api__Command__V1__StartTimerCommandAttributes a =
        TEMPORAL__API__COMMAND__V1__START_TIMER_COMMAND_ATTRIBUTES__INIT;
    a.timer_id = m->id;
    a.start_to_fire_timeout = temporal__duration_set(&m->durations[0], ms);
    m->attrs.timer = a;
    m->command.command_type = CMD(START_TIMER);
    m->command.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_START_TIMER_COMMAND_ATTRIBUTES;
    m->command.start_timer_command_attributes = &m->attrs.timer;
    int rc = block_until(ctx, machine_resolved, m, true);
    if (rc != 0) {
        int crc = cancel_machine(ctx, m, TEMPORAL_ACTIVITY_CANCEL_TRY);
        return crc ? crc : rc;
    }
    return 0;
}

struct condition_wait {
    struct temporal_workflow_ctx *ctx;
    temporal_workflow_condition_fn cond;
    void *arg;
};

static bool condition_ready(void *arg)
{
    struct condition_wait *w = arg;
    return w->cond(w->ctx, w->arg);
}

int temporal_workflow_wait_condition(struct temporal_workflow_ctx *ctx,
                                     temporal_workflow_condition_fn cond, void *arg)
{
    if (cond == NULL)
        return TEMPORAL_EINVAL;
    struct condition_wait w = { ctx, cond, arg };
    return block_until(ctx, condition_ready, &w, true);
}

static int add_handler(struct handler **list, const char *name, void *fn,
                       temporal_workflow_update_validator_fn validator, void *arg)
{
    if (temporal__empty(name) || fn == NULL)
        return TEMPORAL_EINVAL;
    for (struct handler *h = *list; h; h = h->next)
        if (strcmp(h->name, name) == 0) {
            h->fn = fn;
            h->validator = validator;
            h->arg = arg;
            return 0;
        }
    struct handler *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->name = temporal__strdup(name)) == NULL) {
        free(h);
        return TEMPORAL_ENOMEM;
    }
    h->fn = fn;
    h->validator = validator;
    h->arg = arg;
    /* Append, so iteration follows registration order. */
    while (*list)
        list = &(*list)->next;
    *list = h;
    return 0;
}

int temporal_workflow_on_signal(struct temporal_workflow_ctx *ctx, const char *name,
                                temporal_workflow_signal_fn fn, void *arg)
{
    int rc = add_handler(&ctx->signal_handlers, name, (void *)fn, NULL, arg);
    if (rc == 0 && ctx->in_activation)
        deliver_signals(ctx); /* those that arrived before the handler, at once */
    return rc;
}

int temporal_workflow_on_query(struct temporal_workflow_ctx *ctx, const char *name,
                               temporal_workflow_query_fn fn, void *arg)
{
    return add_handler(&ctx->query_handlers, name, (void *)fn, NULL, arg);
}

int temporal_workflow_on_update(struct temporal_workflow_ctx *ctx, const char *name,
                                temporal_workflow_update_fn fn,
                                temporal_workflow_update_validator_fn validator, void *arg)
{
    int rc = add_handler(&ctx->update_handlers, name, (void *)fn, validator, arg);
    if (rc == 0)
        ctx->progress++; /* waiting updates may now be delivered */
    return rc;
}

int temporal_workflow_spawn(struct temporal_workflow_ctx *ctx, temporal_workflow_branch_fn fn,
                            void *arg, struct temporal_workflow_branch **out)
{
    if (fn == NULL || out == NULL || !ctx->in_activation)
        return TEMPORAL_EINVAL;
    return branch_new(ctx, fn, arg, out);
}

static bool branch_done(void *arg) { return ((struct temporal_workflow_branch *)arg)->done; }

int temporal_workflow_join(struct temporal_workflow_ctx *ctx, struct temporal_workflow_branch *branch)
{
    if (branch == NULL || branch->run != ctx || branch == ctx->current || ctx->current == NULL)
        return TEMPORAL_EINVAL;
    /* Not even a teardown ends this wait early: the branch may use the caller's stack, so
     * the caller must not return before it has (a torn-down branch's calls all fail, so it
     * returns soon). */
    while (!branch_done(branch))
        temporal__coro_yield();
    return branch->rc;
}

int temporal_workflow_spawn_detached(struct temporal_workflow_ctx *ctx,
                                     temporal_workflow_branch_fn fn, void *arg,
                                     struct temporal_workflow_branch **out)
{
    int rc = temporal_workflow_spawn(ctx, fn, arg, out);
    if (rc == 0)
        (*out)->detached = true;
    return rc;
}

int temporal_workflow_cancel_branch(struct temporal_workflow_ctx *ctx,
                                    struct temporal_workflow_branch *branch)
{
    if (branch == NULL || branch->run != ctx)
        return TEMPORAL_EINVAL;
    if (!branch->done && !branch->cancelled) {
        branch->cancelled = true;
        ctx->progress++; /* its blocking call wakes up to the cancellation */
    }
    return 0;
}

/* Replayer ---------------------------------------------------------------------------------------- */

int temporal_workflow_replay(temporal_workflow_fn fn, void *user_data, const uint8_t *history,
                             size_t len, struct temporal_error *err)
{
    if (fn == NULL || history == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "replay needs workflow code and a history");
    Temporal__Api__History__V1__History *h =
        temporal__api__history__v1__history__unpack(NULL, len, history);
    if (h == NULL)
        return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                              "the history is not a serialized temporal.api.history.v1.History");
    int rc;
    const temporal__pb_event *first = h->n_events > 0 ? h->events[0] : NULL;
    if (first == NULL || first->event_type != EV(WORKFLOW_EXECUTION_STARTED) ||
        first->workflow_execution_started_event_attributes == NULL) {
        rc = temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                            "the history does not start with WorkflowExecutionStarted");
    } else {
        const Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *a =
            first->workflow_execution_started_event_attributes;
        struct temporal__wf_def def = { (char *)(a->workflow_type ? str0(a->workflow_type->name) : ""),
                                        fn, TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED, user_data };
        struct temporal_workflow_ctx *run = NULL;
        const char *run_id = str0(a->original_execution_run_id);
        rc = temporal__wf_run_new(&run, &def, "replay", a->task_queue ? str0(a->task_queue->name) : "",
                                  "replay", run_id, NULL);
        if (rc != 0) {
            rc = temporal__fail(err, rc, -1, "out of memory");
        } else {
            /* Everything is replay: no task is "current". */
            int64_t last = h->events[h->n_events - 1]->event_id;
            rc = temporal__wf_run_apply(run, h->events, h->n_events, last + 1, err);
            /* Commands the code issued after the last recorded ones are new steps: fine. */
            temporal__wf_run_free(run);
        }
    }
    temporal__api__history__v1__history__free_unpacked(h, NULL);
    return rc;
}

int temporal_workflow_replay_json(temporal_workflow_fn fn, void *user_data, const char *json,
                                  size_t len, struct temporal_error *err)
{
    if (fn == NULL || json == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "replay needs workflow code and a history");
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, 0, &jerr);
    if (doc == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "the history is not JSON: %s (line %d)",
                              jerr.text, jerr.line);
    size_t count = json_is_array(doc) ? json_array_size(doc) : 1;
    int rc = count == 0 ? temporal__fail(err, TEMPORAL_EINVAL, -1, "the history array is empty") : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        rc = temporal__history_from_json(json_is_array(doc) ? json_array_get(doc, i) : doc, &bytes,
                                         &n, err);
        if (rc == 0)
            rc = temporal_workflow_replay(fn, user_data, bytes, n, err);
        free(bytes);
        if (rc != 0 && count > 1) {
            char message[TEMPORAL_ERROR_MESSAGE_SIZE];
            snprintf(message, sizeof(message), "%s", err ? err->message : "");
            if (err != NULL)
                temporal__fail(err, rc, -1, "history %zu of %zu: %s", i + 1, count, message);
        }
    }
    json_decref(doc);
    return rc;
}
