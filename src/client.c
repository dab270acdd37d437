/*
 * client: the public client API over the rpc module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "proto.h"
#include "rpc.h"
#include "trace_int.h"

struct temporal_client {
    struct temporal__rpc_conn *conn;
    char *namespace_name;
    char *identity;
    char *server_version;
    struct temporal_server_info info;
};

#define WS(name) TEMPORAL__WORKFLOW_SERVICE(name)

/* Connect ---------------------------------------------------------------------------------- */

static int get_system_info(struct temporal_client *c, int64_t timeout_ms, struct temporal_error *err)
{
    Temporal__Api__Workflowservice__V1__GetSystemInfoRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
    Temporal__Api__Workflowservice__V1__GetSystemInfoResponse *resp = NULL;
    struct temporal__rpc_call_options co = { .timeout_ms = timeout_ms };
    int rc = temporal__rpc_call(c->conn, WS("GetSystemInfo"), &req.base,
                                &temporal__api__workflowservice__v1__get_system_info_response__descriptor,
                                (ProtobufCMessage **)&resp, &co, err);
    if (rc == TEMPORAL_EUNIMPLEMENTED) {
        /* Old servers: no capabilities. */
        c->server_version = temporal__strdup("");
        return c->server_version ? 0 : TEMPORAL_ENOMEM;
    }
    if (rc != 0)
        return rc;
    c->server_version = temporal__strdup(resp->server_version ? resp->server_version : "");
    const Temporal__Api__Workflowservice__V1__GetSystemInfoResponse__Capabilities *cap =
        resp->capabilities;
    if (cap != NULL) {
        c->info.signal_and_query_header = cap->signal_and_query_header;
        c->info.internal_error_differentiation = cap->internal_error_differentiation;
        c->info.activity_failure_include_heartbeat = cap->activity_failure_include_heartbeat;
        c->info.supports_schedules = cap->supports_schedules;
        c->info.encoded_failure_attributes = cap->encoded_failure_attributes;
        c->info.build_id_based_versioning = cap->build_id_based_versioning;
        c->info.upsert_memo = cap->upsert_memo;
        c->info.eager_workflow_start = cap->eager_workflow_start;
        c->info.sdk_metadata = cap->sdk_metadata;
        c->info.count_group_by_execution_status = cap->count_group_by_execution_status;
        c->info.nexus = cap->nexus;
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c->server_version ? 0 : temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
}

int temporal_client_connect(struct temporal_client **out,
                            const struct temporal_client_options *user_opts,
                            struct temporal_error *err)
{
    if (out != NULL)
        *out = NULL;
    struct temporal_client_options opts;
    if (out == NULL || user_opts == NULL || !temporal__copy_options(&opts, sizeof(opts), user_opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "temporal_client_connect needs |out| and options initialized "
                              "with TEMPORAL_CLIENT_OPTIONS_INIT");
    if (temporal__empty(opts.target))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "client option 'target' is required: the \"host:port\" of the "
                              "Temporal frontend, e.g. \"localhost:7233\"");
    if (opts.connect_timeout_ms < 0 || opts.rpc_timeout_ms < 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "client timeouts must be >= 0 milliseconds (0 = default)");

    struct temporal_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    char identity[300];
    if (temporal__empty(opts.identity))
        temporal__default_identity(identity, sizeof(identity));
    else
        snprintf(identity, sizeof(identity), "%s", opts.identity);
    c->namespace_name = temporal__strdup(temporal__empty(opts.namespace_name) ? "default"
                                                                              : opts.namespace_name);
    c->identity = temporal__strdup(identity);
    int rc;
    if (c->namespace_name == NULL || c->identity == NULL) {
        rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
        goto fail;
    }
    rc = temporal__rpc_conn_new(&c->conn, &opts, c->namespace_name, err);
    if (rc != 0)
        goto fail;
    rc = get_system_info(c, opts.connect_timeout_ms > 0 ? opts.connect_timeout_ms : 10000, err);
    if (rc != 0)
        goto fail;
    c->info.server_version = c->server_version;
    *out = c;
    return 0;
fail:
    temporal_client_free(c);
    return rc;
}

void temporal_client_free(struct temporal_client *c)
{
    if (c == NULL)
        return;
    temporal__rpc_conn_free(c->conn);
    free(c->namespace_name);
    free(c->identity);
    free(c->server_version);
    free(c);
}

const char *temporal_client_namespace(const struct temporal_client *c) { return c->namespace_name; }

const char *temporal_client_identity(const struct temporal_client *c) { return c->identity; }

void temporal_client_server_info(const struct temporal_client *c, struct temporal_server_info *out)
{
    *out = c->info;
}

/* Shared request pieces -------------------------------------------------------------------- */

int temporal__require(const char *value, const char *what, struct temporal_error *err)
{
    if (temporal__empty(value))
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "%s is required", what);
    return 0;
}

static temporal__pb_execution execution_of(const char *workflow_id, const char *run_id)
{
    temporal__pb_execution e = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    e.workflow_id = (char *)workflow_id;
    e.run_id = (char *)(run_id ? run_id : "");
    return e;
}



void temporal__start_parts_cleanup(struct temporal__start_parts *p)
{
    temporal__payloads_view_cleanup(&p->input);
    temporal__payload_map_view_cleanup(&p->memo);
    temporal__payload_map_view_cleanup(&p->search_attributes);
}

int temporal__start_parts_init(struct temporal__start_parts *p,
                               const struct temporal_start_workflow_options *o,
                               const struct temporal_payloads *args, struct temporal_error *err)
{
    int rc;
    if ((rc = temporal__require(o->workflow_id, "start option 'workflow_id'", err)) != 0 ||
        (rc = temporal__require(o->workflow_type, "start option 'workflow_type'", err)) != 0 ||
        (rc = temporal__require(o->task_queue, "start option 'task_queue'", err)) != 0)
        return rc;
    if (o->execution_timeout_ms < 0 || o->run_timeout_ms < 0 || o->task_timeout_ms < 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "workflow timeouts must be >= 0 milliseconds (0 = none)");
    Temporal__Api__Common__V1__WorkflowType t = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    t.name = (char *)o->workflow_type;
    p->type = t;
    Temporal__Api__Taskqueue__V1__TaskQueue q = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    q.name = (char *)o->task_queue;
    q.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    p->queue = q;
    temporal__duration_set(&p->exec_timeout, o->execution_timeout_ms);
    temporal__duration_set(&p->run_timeout, o->run_timeout_ms);
    temporal__duration_set(&p->task_timeout, o->task_timeout_ms);
    if (temporal__empty(o->request_id))
        temporal__uuid4(p->request_id);
    else
        snprintf(p->request_id, sizeof(p->request_id), "%s", o->request_id);
    memset(&p->memo, 0, sizeof(p->memo));
    memset(&p->search_attributes, 0, sizeof(p->search_attributes));
    temporal__payloads_view_init(&p->input, args, &rc);
    if (rc == 0 && (rc = temporal__payload_map_view_init(&p->memo, o->memo, o->memo_count)) == 0)
        rc = temporal__payload_map_view_init(&p->search_attributes, o->search_attributes,
                                             o->search_attributes_count);
    if (rc != 0) {
        temporal__start_parts_cleanup(p);
        return temporal__fail(err, rc, -1,
                              rc == TEMPORAL_EINVAL ? "a memo field or search attribute has no name"
                                                    : "out of memory");
    }
    return 0;
}

#define DURATION_OR_NULL(parts, field, ms) ((ms) > 0 ? &(parts)->field : NULL)

static int take_run_id(const char *run_id, char **run_id_out, struct temporal_error *err)
{
    if (run_id_out == NULL)
        return 0;
    *run_id_out = temporal__strdup(run_id ? run_id : "");
    return *run_id_out ? 0 : temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
}

/* Client spans ------------------------------------------------------------------------------ */

/*
 * The CLIENT span of one client call (StartWorkflow:<type>, SignalWorkflow:<name>, ...),
 * with the tracer's default parent, from before the request is sent until the call is
 * done.  Its context goes to the server in the request's header, which |header| holds until
 * then.  Without a tracer nothing is built.  Tracing is best effort: when the header cannot
 * be built (out of memory) the call goes on without it.
 */
struct call_span {
    struct temporal_tracer *tracer;
    struct temporal__span *span;
    struct temporal__trace_header header;
    struct temporal_error err; /* where the call's error goes when the caller passed none */
};

/* Starts |cs| (any state) and returns the header the request carries, or NULL.  A NULL
 * |*err| is pointed at |cs|, so that a failure's message reaches the span. */
static Temporal__Api__Common__V1__Header *call_span_start(struct call_span *cs,
                                                          struct temporal_client *c,
                                                          const char *prefix, const char *name,
                                                          const char *workflow_id,
                                                          const char *update_id,
                                                          struct temporal_error **err)
{
    cs->tracer = temporal__rpc_conn_tracer(c->conn);
    cs->span = NULL;
    if (cs->tracer == NULL)
        return NULL;
    memset(&cs->header, 0, sizeof(cs->header));
    if (*err == NULL) {
        cs->err.message[0] = cs->err.detail[0] = '\0';
        *err = &cs->err;
    }
    struct temporal__trace_ctx ctx = {0};
    cs->span = temporal__span_start(cs->tracer, TEMPORAL__SPAN_CLIENT, prefix, name, NULL, NULL, 0,
                                    &ctx);
    temporal__span_attr(cs->span, "temporalWorkflowID", workflow_id);
    temporal__span_attr(cs->span, "temporalUpdateID", update_id);
    Temporal__Api__Common__V1__Header *h = temporal__trace_header_set(&cs->header, &ctx, NULL);
    temporal__trace_ctx_clear(&ctx);
    return h;
}

/* Ends |cs| once the call that returned |rc| (|err| filled when not 0) is done; returns |rc|. */
static int call_span_end(struct call_span *cs, int rc, const struct temporal_error *err)
{
    if (cs->tracer == NULL)
        return rc;
    if (rc != 0) {
        const char *type = err && err->detail[0] ? err->detail : temporal_err_name(rc);
        temporal__span_error(cs->span, type,
                             err && err->message[0] ? err->message : temporal_strerror(rc));
    }
    temporal__span_end(cs->tracer, cs->span, 0);
    cs->span = NULL;
    temporal__trace_header_clear(&cs->header);
    return rc;
}

/* Start, signal, signal-with-start --------------------------------------------------------- */

int temporal_client_start_workflow(struct temporal_client *c,
                                   const struct temporal_start_workflow_options *user_opts,
                                   const struct temporal_payloads *args, char **run_id_out,
                                   struct temporal_error *err)
{
    struct temporal_start_workflow_options o;
    if (c == NULL || user_opts == NULL || !temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "start needs a client and options initialized with "
                              "TEMPORAL_START_WORKFLOW_OPTIONS_INIT");
    struct temporal__start_parts parts;
    int rc = temporal__start_parts_init(&parts, &o, args, err);
    if (rc != 0)
        return rc;

    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_id = (char *)o.workflow_id;
    req.workflow_type = &parts.type;
    req.task_queue = &parts.queue;
    req.input = parts.input.msg.n_payloads ? &parts.input.msg : NULL;
    req.workflow_execution_timeout = DURATION_OR_NULL(&parts, exec_timeout, o.execution_timeout_ms);
    req.workflow_run_timeout = DURATION_OR_NULL(&parts, run_timeout, o.run_timeout_ms);
    req.workflow_task_timeout = DURATION_OR_NULL(&parts, task_timeout, o.task_timeout_ms);
    req.identity = c->identity;
    req.request_id = parts.request_id;
    req.workflow_id_reuse_policy = (Temporal__Api__Enums__V1__WorkflowIdReusePolicy)o.id_reuse_policy;
    req.workflow_id_conflict_policy =
        (Temporal__Api__Enums__V1__WorkflowIdConflictPolicy)o.id_conflict_policy;
    req.cron_schedule = (char *)(o.cron_schedule ? o.cron_schedule : "");
    req.memo = o.memo_count ? &parts.memo.memo : NULL;
    req.search_attributes = o.search_attributes_count ? &parts.search_attributes.search_attributes : NULL;
    struct call_span cs;
    req.header = call_span_start(&cs, c, "StartWorkflow", o.workflow_type, o.workflow_id, NULL,
                                 &err);

    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *resp = NULL;
    rc = temporal__rpc_call(c->conn, WS("StartWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__start_workflow_execution_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    call_span_end(&cs, rc, err);
    temporal__start_parts_cleanup(&parts);
    if (rc != 0)
        return rc;
    rc = take_run_id(resp->run_id, run_id_out, err);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

int temporal_client_signal_workflow(struct temporal_client *c, const char *workflow_id,
                                    const char *run_id, const char *signal_name,
                                    const struct temporal_payloads *args,
                                    struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "signal needs a client");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0 ||
        (rc = temporal__require(signal_name, "signal name", err)) != 0)
        return rc;
    struct temporal__payloads_view input;
    temporal__payloads_view_init(&input, args, &rc);
    if (rc != 0)
        return temporal__fail(err, rc, -1, "out of memory");
    char request_id[37];
    temporal__uuid4(request_id);
    temporal__pb_execution exec = execution_of(workflow_id, run_id);

    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    req.signal_name = (char *)signal_name;
    req.input = input.msg.n_payloads ? &input.msg : NULL;
    req.identity = c->identity;
    req.request_id = request_id;
    struct call_span cs;
    req.header = call_span_start(&cs, c, "SignalWorkflow", signal_name, workflow_id, NULL, &err);

    rc = temporal__rpc_call_discard(c->conn, WS("SignalWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__signal_workflow_execution_response__descriptor,
                            NULL, err);
    call_span_end(&cs, rc, err);
    temporal__payloads_view_cleanup(&input);
    return rc;
}

int temporal_client_signal_with_start_workflow(struct temporal_client *c,
                                               const struct temporal_start_workflow_options *user_opts,
                                               const struct temporal_payloads *args,
                                               const char *signal_name,
                                               const struct temporal_payloads *signal_args,
                                               char **run_id_out, struct temporal_error *err)
{
    struct temporal_start_workflow_options o;
    if (c == NULL || user_opts == NULL || !temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "signal-with-start needs a client and options initialized with "
                              "TEMPORAL_START_WORKFLOW_OPTIONS_INIT");
    int rc = temporal__require(signal_name, "signal name", err);
    if (rc != 0)
        return rc;
    struct temporal__start_parts parts;
    if ((rc = temporal__start_parts_init(&parts, &o, args, err)) != 0)
        return rc;
    struct temporal__payloads_view sig_input;
    temporal__payloads_view_init(&sig_input, signal_args, &rc);
    if (rc != 0) {
        temporal__start_parts_cleanup(&parts);
        return temporal__fail(err, rc, -1, "out of memory");
    }

    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WITH_START_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_id = (char *)o.workflow_id;
    req.workflow_type = &parts.type;
    req.task_queue = &parts.queue;
    req.input = parts.input.msg.n_payloads ? &parts.input.msg : NULL;
    req.workflow_execution_timeout = DURATION_OR_NULL(&parts, exec_timeout, o.execution_timeout_ms);
    req.workflow_run_timeout = DURATION_OR_NULL(&parts, run_timeout, o.run_timeout_ms);
    req.workflow_task_timeout = DURATION_OR_NULL(&parts, task_timeout, o.task_timeout_ms);
    req.identity = c->identity;
    req.request_id = parts.request_id;
    req.workflow_id_reuse_policy = (Temporal__Api__Enums__V1__WorkflowIdReusePolicy)o.id_reuse_policy;
    req.workflow_id_conflict_policy =
        (Temporal__Api__Enums__V1__WorkflowIdConflictPolicy)o.id_conflict_policy;
    req.cron_schedule = (char *)(o.cron_schedule ? o.cron_schedule : "");
    req.memo = o.memo_count ? &parts.memo.memo : NULL;
    req.search_attributes = o.search_attributes_count ? &parts.search_attributes.search_attributes : NULL;
    req.signal_name = (char *)signal_name;
    req.signal_input = sig_input.msg.n_payloads ? &sig_input.msg : NULL;
    struct call_span cs;
    req.header = call_span_start(&cs, c, "SignalWithStartWorkflow", o.workflow_type, o.workflow_id,
                                 NULL, &err);

    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse *resp = NULL;
    rc = temporal__rpc_call(c->conn, WS("SignalWithStartWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__signal_with_start_workflow_execution_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    call_span_end(&cs, rc, err);
    temporal__start_parts_cleanup(&parts);
    temporal__payloads_view_cleanup(&sig_input);
    if (rc != 0)
        return rc;
    rc = take_run_id(resp->run_id, run_id_out, err);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

/* Query ------------------------------------------------------------------------------------- */

int temporal_client_query_workflow(struct temporal_client *c, const char *workflow_id,
                                   const char *run_id, const char *query_type,
                                   const struct temporal_payloads *args,
                                   struct temporal_payloads *result, struct temporal_error *err)
{
    int rc;
    if (c == NULL || result == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "query needs a client and a result list");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0 ||
        (rc = temporal__require(query_type, "query type", err)) != 0)
        return rc;
    struct temporal__payloads_view input;
    temporal__payloads_view_init(&input, args, &rc);
    if (rc != 0)
        return temporal__fail(err, rc, -1, "out of memory");
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    Temporal__Api__Query__V1__WorkflowQuery query = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY__INIT;
    query.query_type = (char *)query_type;
    query.query_args = input.msg.n_payloads ? &input.msg : NULL;

    Temporal__Api__Workflowservice__V1__QueryWorkflowRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__QUERY_WORKFLOW_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.execution = &exec;
    req.query = &query;
    struct call_span cs;
    query.header = call_span_start(&cs, c, "QueryWorkflow", query_type, workflow_id, NULL, &err);

    Temporal__Api__Workflowservice__V1__QueryWorkflowResponse *resp = NULL;
    rc = temporal__rpc_call(c->conn, WS("QueryWorkflow"), &req.base,
                            &temporal__api__workflowservice__v1__query_workflow_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    temporal__payloads_view_cleanup(&input);
    if (rc != 0)
        return call_span_end(&cs, rc, err);
    if (resp->query_rejected != NULL) {
        rc = temporal__fail(err, TEMPORAL_EQUERY_FAILED, -1,
                            "query '%s' on workflow '%s' rejected: the workflow's status is %s",
                            query_type, workflow_id,
                            temporal_workflow_status_name(
                                (enum temporal_workflow_status)resp->query_rejected->status));
    } else {
        rc = temporal__payloads_from_proto(result, resp->query_result);
        if (rc != 0)
            temporal__fail(err, rc, -1, "out of memory");
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return call_span_end(&cs, rc, err);
}

/* Describe ---------------------------------------------------------------------------------- */

const char *temporal_workflow_status_name(enum temporal_workflow_status s)
{
    static const char *const names[] = { "UNSPECIFIED", "RUNNING",    "COMPLETED",
                                         "FAILED",      "CANCELED",   "TERMINATED",
                                         "CONTINUED_AS_NEW", "TIMED_OUT" };
    return (unsigned)s < TEMPORAL__ARRAY_LEN(names) ? names[s] : "UNKNOWN";
}

int temporal_client_describe_workflow(struct temporal_client *c, const char *workflow_id,
                                      const char *run_id, struct temporal_workflow_description *out,
                                      struct temporal_error *err)
{
    int rc;
    if (c == NULL || out == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "describe needs a client and an output");
    memset(out, 0, sizeof(*out));
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.execution = &exec;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *resp = NULL;
    rc = temporal__rpc_call(c->conn, WS("DescribeWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    if (rc != 0)
        return rc;
    const Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = resp->workflow_execution_info;
    if (info == NULL || info->execution == NULL) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                              "DescribeWorkflowExecution answered without execution info");
    }
    out->workflow_id = temporal__strdup(info->execution->workflow_id);
    out->run_id = temporal__strdup(info->execution->run_id);
    out->workflow_type = temporal__strdup(info->type && info->type->name ? info->type->name : "");
    out->task_queue = temporal__strdup(info->task_queue ? info->task_queue : "");
    out->status = (enum temporal_workflow_status)info->status;
    out->start_time_ms = temporal__timestamp_ms(info->start_time);
    out->close_time_ms = temporal__timestamp_ms(info->close_time);
    out->history_length = info->history_length;
    int frc = 0;
    for (size_t i = 0; frc == 0 && info->memo != NULL && i < info->memo->n_fields; i++)
        frc = temporal__named_payloads_add(&out->memo, info->memo->fields[i]->key,
                                           info->memo->fields[i]->value);
    for (size_t i = 0; frc == 0 && info->search_attributes != NULL &&
                       i < info->search_attributes->n_indexed_fields;
         i++)
        frc = temporal__named_payloads_add(&out->search_attributes,
                                           info->search_attributes->indexed_fields[i]->key,
                                           info->search_attributes->indexed_fields[i]->value);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (!out->workflow_id || !out->run_id || !out->workflow_type || !out->task_queue || frc != 0) {
        temporal_workflow_description_cleanup(out);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    }
    return 0;
}

void temporal_workflow_description_cleanup(struct temporal_workflow_description *d)
{
    if (d == NULL)
        return;
    free(d->workflow_id);
    free(d->run_id);
    free(d->workflow_type);
    free(d->task_queue);
    temporal_named_payloads_cleanup(&d->memo);
    temporal_named_payloads_cleanup(&d->search_attributes);
    memset(d, 0, sizeof(*d));
}

/* History ----------------------------------------------------------------------------------- */

typedef Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse history_response;

/* One GetWorkflowExecutionHistory page. */
static int history_page(struct temporal_client *c, temporal__pb_execution *exec,
                        ProtobufCBinaryData token, bool wait_for_close, int64_t timeout_ms,
                        history_response **resp, struct temporal_error *err)
{
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.execution = exec;
    req.next_page_token = token;
    if (wait_for_close) {
        req.wait_new_event = 1;
        req.history_event_filter_type =
            TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
        req.skip_archival = 1;
    }
    struct temporal__rpc_call_options co = { .timeout_ms = timeout_ms, .long_poll = wait_for_close };
    int rc = temporal__rpc_call(c->conn, WS("GetWorkflowExecutionHistory"), &req.base,
                                &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
                                (ProtobufCMessage **)resp, &co, err);
    if (rc == 0 && (*resp)->n_raw_history > 0 &&
        ((*resp)->history == NULL || (*resp)->history->n_events == 0)) {
        protobuf_c_message_free_unpacked(&(*resp)->base, NULL);
        *resp = NULL;
        return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                              "the server sent raw (undecoded) history, which temporal-c does "
                              "not read: disable the frontend's raw history option");
    }
    return rc;
}

int temporal_client_fetch_history(struct temporal_client *c, const char *workflow_id,
                                  const char *run_id, struct temporal_history *out,
                                  struct temporal_error *err)
{
    int rc;
    if (c == NULL || out == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "fetch history needs a client and an output");
    memset(out, 0, sizeof(*out));
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    ProtobufCBinaryData token = { 0, NULL };
    uint8_t *token_copy = NULL;
    size_t cap_events = 0, cap_bytes = 0;
    for (;;) {
        history_response *resp = NULL;
        rc = history_page(c, &exec, token, false, 0, &resp, err);
        if (rc != 0)
            break;
        const Temporal__Api__History__V1__History *h = resp->history;
        size_t n = h ? h->n_events : 0;
        if (n > 0) {
            /* Summaries. */
            if (out->count + n > cap_events) {
                size_t nc = cap_events ? cap_events : 64;
                while (nc < out->count + n)
                    nc *= 2;
                struct temporal_history_event *ev = realloc(out->events, nc * sizeof(*ev));
                if (ev == NULL)
                    goto oom;
                out->events = ev;
                cap_events = nc;
            }
            for (size_t i = 0; i < n; i++) {
                const Temporal__Api__History__V1__HistoryEvent *e = h->events[i];
                struct temporal_history_event *s = &out->events[out->count++];
                s->event_id = e->event_id;
                s->event_type = (int)e->event_type;
                s->event_type_name = temporal__event_type_name((int)e->event_type);
                s->event_time_ms = temporal__timestamp_ms(e->event_time);
            }
            /* Serialized pages concatenate into one History message (a repeated field). */
            size_t len = protobuf_c_message_get_packed_size(&h->base);
            if (out->serialized_len + len > cap_bytes) {
                size_t nc = cap_bytes ? cap_bytes : 4096;
                while (nc < out->serialized_len + len)
                    nc *= 2;
                uint8_t *b = realloc(out->serialized, nc);
                if (b == NULL)
                    goto oom;
                out->serialized = b;
                cap_bytes = nc;
            }
            out->serialized_len += protobuf_c_message_pack(&h->base,
                                                           out->serialized + out->serialized_len);
        }
        free(token_copy);
        token_copy = NULL;
        token.len = resp->next_page_token.len;
        token.data = NULL;
        if (token.len > 0) {
            token_copy = malloc(token.len);
            if (token_copy == NULL)
                goto oom;
            memcpy(token_copy, resp->next_page_token.data, token.len);
            token.data = token_copy;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (token.len == 0)
            break;
        continue;
    oom:
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory reading history");
        break;
    }
    free(token_copy);
    if (rc != 0)
        temporal_history_cleanup(out);
    return rc;
}

void temporal_history_cleanup(struct temporal_history *h)
{
    if (h == NULL)
        return;
    free(h->events);
    free(h->serialized);
    memset(h, 0, sizeof(*h));
}

/* Result ------------------------------------------------------------------------------------ */

/* Interprets a close event.  Returns 1 and sets |*next_run| (borrowed from |e|) to follow
 * another run, or the final result code. */
static int close_event_outcome(const Temporal__Api__History__V1__HistoryEvent *e,
                               const char *workflow_id, struct temporal_payloads *result,
                               const char **next_run, struct temporal_error *err)
{
    char text[TEMPORAL_ERROR_MESSAGE_SIZE];
    *next_run = NULL;
    switch (e->attributes_case) {
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES: {
        const Temporal__Api__History__V1__WorkflowExecutionCompletedEventAttributes *a =
            e->workflow_execution_completed_event_attributes;
        if (!temporal__empty(a->new_execution_run_id)) { /* cron: the next run's result */
            *next_run = a->new_execution_run_id;
            return 1;
        }
        int rc = temporal__payloads_from_proto(result, a->result);
        return rc ? temporal__fail(err, rc, -1, "out of memory") : 0;
    }
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES: {
        const Temporal__Api__History__V1__WorkflowExecutionFailedEventAttributes *a =
            e->workflow_execution_failed_event_attributes;
        if (!temporal__empty(a->new_execution_run_id)) { /* retried */
            *next_run = a->new_execution_run_id;
            return 1;
        }
        temporal__failure_describe(a->failure, text, sizeof(text));
        int rc = temporal__fail(err, TEMPORAL_EWORKFLOW_FAILED, -1, "workflow '%s' failed: %s",
                                workflow_id, text);
        if (a->failure && a->failure->failure_info_case ==
                              TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO)
            temporal__error_set_detail(err, a->failure->application_failure_info->type);
        return rc;
    }
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_TIMED_OUT_EVENT_ATTRIBUTES:
        if (!temporal__empty(e->workflow_execution_timed_out_event_attributes->new_execution_run_id)) {
            *next_run = e->workflow_execution_timed_out_event_attributes->new_execution_run_id;
            return 1;
        }
        return temporal__fail(err, TEMPORAL_EWORKFLOW_TIMED_OUT, -1, "workflow '%s' timed out",
                              workflow_id);
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_CONTINUED_AS_NEW_EVENT_ATTRIBUTES:
        *next_run = e->workflow_execution_continued_as_new_event_attributes->new_execution_run_id;
        return 1;
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_CANCELED_EVENT_ATTRIBUTES:
        return temporal__fail(err, TEMPORAL_EWORKFLOW_CANCELED, -1, "workflow '%s' was cancelled",
                              workflow_id);
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_TERMINATED_EVENT_ATTRIBUTES: {
        const char *reason = e->workflow_execution_terminated_event_attributes->reason;
        return temporal__fail(err, TEMPORAL_EWORKFLOW_TERMINATED, -1,
                              "workflow '%s' was terminated%s%s", workflow_id,
                              temporal__empty(reason) ? "" : ": ", reason ? reason : "");
    }
    default:
        return temporal__fail(err, TEMPORAL_EPROTOCOL, -1,
                              "workflow '%s': unexpected close event %s", workflow_id,
                              temporal__event_type_name((int)e->event_type));
    }
}

int temporal_client_get_workflow_result(struct temporal_client *c, const char *workflow_id,
                                        const char *run_id, int64_t timeout_ms,
                                        struct temporal_payloads *result,
                                        struct temporal_error *err)
{
    int rc;
    if (c == NULL || result == NULL || timeout_ms < 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "get result needs a client, a result list and a timeout >= 0");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    int64_t end = timeout_ms > 0 ? temporal__now_monotonic_ms() + timeout_ms : 0;
    char *run = temporal__strdup(run_id ? run_id : "");
    uint8_t *token_copy = NULL;
    ProtobufCBinaryData token = { 0, NULL };
    if (run == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    for (;;) {
        int64_t remaining = 0;
        if (end != 0) {
            remaining = end - temporal__now_monotonic_ms();
            if (remaining <= 0) {
                rc = temporal__fail(err, TEMPORAL_ETIMEDOUT, 4 /* DEADLINE_EXCEEDED */,
                                    "workflow '%s' did not close within %lld ms", workflow_id,
                                    (long long)timeout_ms);
                break;
            }
        }
        temporal__pb_execution exec = execution_of(workflow_id, run);
        history_response *resp = NULL;
        rc = history_page(c, &exec, token, true, remaining, &resp, err);
        if (rc == TEMPORAL_ETIMEDOUT && end != 0) {
            rc = temporal__fail(err, TEMPORAL_ETIMEDOUT, 4 /* DEADLINE_EXCEEDED */,
                                "workflow '%s' did not close within %lld ms", workflow_id,
                                (long long)timeout_ms);
            break;
        }
        if (rc != 0)
            break;
        const Temporal__Api__History__V1__History *h = resp->history;
        free(token_copy);
        token_copy = NULL;
        token.len = 0;
        token.data = NULL;
        if (h != NULL && h->n_events > 0) {
            const char *next_run = NULL;
            rc = close_event_outcome(h->events[h->n_events - 1], workflow_id, result, &next_run,
                                     err);
            if (rc == 1) {
                free(run);
                run = temporal__strdup(next_run);
                protobuf_c_message_free_unpacked(&resp->base, NULL);
                if (run == NULL) {
                    rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
                    break;
                }
                continue;
            }
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            break;
        }
        /* No close event yet: the long poll ended empty; continue from its token. */
        if (resp->next_page_token.len > 0) {
            token_copy = malloc(resp->next_page_token.len);
            if (token_copy == NULL) {
                protobuf_c_message_free_unpacked(&resp->base, NULL);
                rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
                break;
            }
            memcpy(token_copy, resp->next_page_token.data, resp->next_page_token.len);
            token.data = token_copy;
            token.len = resp->next_page_token.len;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    free(token_copy);
    free(run);
    return rc;
}

/* Cancel, terminate -------------------------------------------------------------------------- */

int temporal_client_cancel_workflow(struct temporal_client *c, const char *workflow_id,
                                    const char *run_id, const char *reason,
                                    struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "cancel needs a client");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    char request_id[37];
    temporal__uuid4(request_id);
    Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    req.identity = c->identity;
    req.request_id = request_id;
    req.reason = (char *)(reason ? reason : "");
    rc = temporal__rpc_call_discard(c->conn, WS("RequestCancelWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__request_cancel_workflow_execution_response__descriptor,
                            NULL, err);
    return rc;
}

int temporal_client_terminate_workflow(struct temporal_client *c, const char *workflow_id,
                                       const char *run_id, const char *reason,
                                       struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "terminate needs a client");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    req.identity = c->identity;
    req.reason = (char *)(reason ? reason : "");
    rc = temporal__rpc_call_discard(c->conn, WS("TerminateWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__terminate_workflow_execution_response__descriptor,
                            NULL, err);
    return rc;
}

/* Internal accessors (client_int.h) ---------------------------------------------------------- */

struct temporal__rpc_conn *temporal__client_conn(struct temporal_client *c) { return c->conn; }

const struct temporal_server_info *temporal__client_info(const struct temporal_client *c)
{
    return &c->info;
}

/* Updates ----------------------------------------------------------------------------------- */

#define UPDATE_STAGE(name)                                                                    \
    TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_##name

/* The outcome of a completed update: its result, or its failure as TEMPORAL_EUPDATE_FAILED. */
static int update_outcome(const Temporal__Api__Update__V1__Outcome *o, const char *workflow_id,
                          const char *update_id, struct temporal_payloads *result,
                          struct temporal_error *err)
{
    if (o->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE) {
        char text[TEMPORAL_ERROR_MESSAGE_SIZE];
        temporal__failure_describe(o->failure, text, sizeof(text));
        int rc = temporal__fail(err, TEMPORAL_EUPDATE_FAILED, -1,
                                "update '%s' of workflow '%s' failed: %s", update_id, workflow_id,
                                text);
        if (o->failure && o->failure->failure_info_case ==
                              TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO)
            temporal__error_set_detail(err, o->failure->application_failure_info->type);
        return rc;
    }
    int rc = temporal__payloads_from_proto(result, o->success);
    return rc ? temporal__fail(err, rc, -1, "out of memory") : 0;
}

/* Milliseconds left until |end| (INT64_MAX = no end), or -1 once it has passed. */
static int64_t left_until(int64_t end)
{
    if (end == INT64_MAX)
        return 0; /* a long poll without a deadline */
    int64_t left = end - temporal__now_monotonic_ms();
    return left > 0 ? left : -1;
}

int temporal_client_get_update_result(struct temporal_client *c, const char *workflow_id,
                                      const char *run_id, const char *update_id,
                                      int64_t timeout_ms, struct temporal_payloads *result,
                                      struct temporal_error *err)
{
    int rc;
    if (c == NULL || result == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "get_update_result needs a client and a result list");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0 ||
        (rc = temporal__require(update_id, "update id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    Temporal__Api__Update__V1__UpdateRef ref = TEMPORAL__API__UPDATE__V1__UPDATE_REF__INIT;
    ref.workflow_execution = &exec;
    ref.update_id = (char *)update_id;
    Temporal__Api__Update__V1__WaitPolicy wait = TEMPORAL__API__UPDATE__V1__WAIT_POLICY__INIT;
    wait.lifecycle_stage = UPDATE_STAGE(COMPLETED);
    Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_EXECUTION_UPDATE_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.update_ref = &ref;
    req.identity = c->identity;
    req.wait_policy = &wait;
    int64_t end = timeout_ms > 0 ? temporal__now_monotonic_ms() + timeout_ms : INT64_MAX;
    for (;;) {
        int64_t left = left_until(end);
        if (left < 0)
            return temporal__fail(err, TEMPORAL_ETIMEDOUT, -1,
                                  "update '%s' of workflow '%s' did not complete within %lld ms",
                                  update_id, workflow_id, (long long)timeout_ms);
        struct temporal__rpc_call_options co = { .timeout_ms = left, .long_poll = true };
        Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateResponse *resp = NULL;
        rc = temporal__rpc_call(c->conn, WS("PollWorkflowExecutionUpdate"), &req.base,
                                &temporal__api__workflowservice__v1__poll_workflow_execution_update_response__descriptor,
                                (ProtobufCMessage **)&resp, &co, err);
        if (rc != 0)
            return rc;
        if (resp->outcome != NULL) {
            rc = update_outcome(resp->outcome, workflow_id, update_id, result, err);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            return rc;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL); /* the server's poll expired */
    }
}

int temporal_client_update_workflow(struct temporal_client *c, const char *workflow_id,
                                    const char *update_name, const struct temporal_payloads *args,
                                    const struct temporal_update_options *user_opts,
                                    struct temporal_payloads *result, struct temporal_error *err)
{
    struct temporal_update_options o = TEMPORAL_UPDATE_OPTIONS_INIT;
    if (c == NULL || result == NULL ||
        (user_opts != NULL && !temporal__copy_options(&o, sizeof(o), user_opts)))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "update needs a client, a result list and options initialized with "
                              "TEMPORAL_UPDATE_OPTIONS_INIT");
    int rc;
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0 ||
        (rc = temporal__require(update_name, "update name", err)) != 0)
        return rc;
    char update_id[37];
    if (temporal__empty(o.update_id))
        temporal__uuid4(update_id);
    const char *id = temporal__empty(o.update_id) ? update_id : o.update_id;
    int rc_view = 0;
    struct temporal__payloads_view input_view;
    temporal__payloads_view_init(&input_view, args, &rc_view);
    if (rc_view != 0)
        return temporal__fail(err, rc_view, -1, "out of memory");

    temporal__pb_execution exec = execution_of(workflow_id, o.run_id);
    Temporal__Api__Update__V1__Meta meta = TEMPORAL__API__UPDATE__V1__META__INIT;
    meta.update_id = (char *)id;
    meta.identity = c->identity;
    Temporal__Api__Update__V1__Input input = TEMPORAL__API__UPDATE__V1__INPUT__INIT;
    input.name = (char *)update_name;
    input.args = input_view.msg.n_payloads ? &input_view.msg : NULL;
    Temporal__Api__Update__V1__Request request = TEMPORAL__API__UPDATE__V1__REQUEST__INIT;
    request.meta = &meta;
    request.input = &input;
    Temporal__Api__Update__V1__WaitPolicy wait = TEMPORAL__API__UPDATE__V1__WAIT_POLICY__INIT;
    wait.lifecycle_stage = o.wait_for == TEMPORAL_UPDATE_WAIT_ACCEPTED ? UPDATE_STAGE(ACCEPTED)
                                                                       : UPDATE_STAGE(COMPLETED);
    Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    req.first_execution_run_id = (char *)(o.first_execution_run_id ? o.first_execution_run_id : "");
    req.wait_policy = &wait;
    req.request = &request;
    struct call_span cs;
    input.header = call_span_start(&cs, c, "StartWorkflowUpdate", update_name, workflow_id, id, &err);

    /* The server answers when the stage is reached, or empty when its own long poll
     * expires: then ask again (same update id: the same update). */
    int64_t end = o.timeout_ms > 0 ? temporal__now_monotonic_ms() + o.timeout_ms : INT64_MAX;
    for (;;) {
        int64_t left = left_until(end);
        if (left < 0) {
            rc = temporal__fail(err, TEMPORAL_ETIMEDOUT, -1,
                                "update '%s' of workflow '%s' was not %s within %lld ms", id,
                                workflow_id,
                                o.wait_for == TEMPORAL_UPDATE_WAIT_ACCEPTED ? "accepted" : "completed",
                                (long long)o.timeout_ms);
            break;
        }
        struct temporal__rpc_call_options co = { .timeout_ms = left, .long_poll = true };
        Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionResponse *resp = NULL;
        rc = temporal__rpc_call(c->conn, WS("UpdateWorkflowExecution"), &req.base,
                                &temporal__api__workflowservice__v1__update_workflow_execution_response__descriptor,
                                (ProtobufCMessage **)&resp, &co, err);
        if (rc != 0)
            break;
        int stage = (int)resp->stage;
        if (resp->outcome != NULL) {
            rc = update_outcome(resp->outcome, workflow_id, id, result, err);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            break;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (stage >= UPDATE_STAGE(ACCEPTED)) {
            rc = o.wait_for == TEMPORAL_UPDATE_WAIT_ACCEPTED
                     ? 0
                     : temporal_client_get_update_result(c, workflow_id, o.run_id, id,
                                                         o.timeout_ms > 0 ? left : 0, result, err);
            break;
        }
    }
    call_span_end(&cs, rc, err);
    temporal__payloads_view_cleanup(&input_view);
    return rc;
}

/* Reset and delete -------------------------------------------------------------------------- */

int temporal_client_reset_workflow(struct temporal_client *c, const char *workflow_id,
                                   const char *run_id, int64_t workflow_task_finish_event_id,
                                   const char *reason, char **new_run_id, struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "reset needs a client");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0 ||
        (rc = temporal__require(reason, "reset reason", err)) != 0)
        return rc;
    if (workflow_task_finish_event_id <= 0)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "reset needs the id of a WorkflowTaskCompleted (or failed or timed "
                              "out) event to reset to");
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    char request_id[37];
    temporal__uuid4(request_id);
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    req.reason = (char *)reason;
    req.workflow_task_finish_event_id = workflow_task_finish_event_id;
    req.request_id = request_id;
    req.identity = c->identity;
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse *resp = NULL;
    rc = temporal__rpc_call(c->conn, WS("ResetWorkflowExecution"), &req.base,
                            &temporal__api__workflowservice__v1__reset_workflow_execution_response__descriptor,
                            (ProtobufCMessage **)&resp, NULL, err);
    if (rc != 0)
        return rc;
    rc = take_run_id(resp->run_id, new_run_id, err);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

int temporal_client_delete_workflow(struct temporal_client *c, const char *workflow_id,
                                    const char *run_id, struct temporal_error *err)
{
    int rc;
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "delete needs a client");
    if ((rc = temporal__require(workflow_id, "workflow id", err)) != 0)
        return rc;
    temporal__pb_execution exec = execution_of(workflow_id, run_id);
    Temporal__Api__Workflowservice__V1__DeleteWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DELETE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = c->namespace_name;
    req.workflow_execution = &exec;
    return temporal__rpc_call_discard(c->conn, WS("DeleteWorkflowExecution"), &req.base,
                                      &temporal__api__workflowservice__v1__delete_workflow_execution_response__descriptor,
                                      NULL, err);
}
