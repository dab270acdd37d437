/*
 * The rpc module against the real dev server: long polls, cancellation from another
 * thread, and deadlines.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "rpc.h"
#include "support.h"

struct long_poll {
    struct temporal__rpc_conn *conn;
    struct temporal__rpc_cancel cancel;
    const char *workflow_id;
    int64_t timeout_ms;
    int rc;
    struct temporal_error err;
};

static struct temporal__rpc_conn *connect_rpc(void)
{
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    o.target = ts_state("address");
    struct temporal__rpc_conn *conn = NULL;
    struct temporal_error err;
    TS_OK(temporal__rpc_conn_new(&conn, &o, "default", &err), err);
    return conn;
}

/* Waits for a new event of a workflow that will never get one. */
static void *run_long_poll(void *arg)
{
    struct long_poll *lp = arg;
    temporal__pb_execution exec = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    exec.workflow_id = (char *)lp->workflow_id;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    req.namespace_ = (char *)"default";
    req.execution = &exec;
    req.wait_new_event = 1;
    req.history_event_filter_type =
        TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    struct temporal__rpc_call_options co = { .timeout_ms = lp->timeout_ms, .long_poll = true,
                                             .cancel = &lp->cancel };
    ProtobufCMessage *resp = NULL;
    lp->rc = temporal__rpc_call(lp->conn, TEMPORAL__WORKFLOW_SERVICE("GetWorkflowExecutionHistory"),
                                &req.base,
                                &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
                                &resp, &co, &lp->err);
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    return NULL;
}

static void start_idle_workflow(char *id, size_t cap)
{
    ts_unique(id, cap, "rpc");
    char out[1024];
    assert_int_equal(ts_cli(out, sizeof(out),
                            "workflow start --type Idle --task-queue temporal-c-no-worker -w %s", id),
                     0);
}

static void terminate(const char *id)
{
    char out[1024];
    assert_int_equal(ts_cli(out, sizeof(out), "workflow terminate -w %s", id), 0);
}

static void long_poll_cancelled_from_another_thread(void **state)
{
    (void)state;
    char id[96];
    start_idle_workflow(id, sizeof(id));
    struct long_poll lp = { .conn = connect_rpc(), .workflow_id = id, .timeout_ms = 0 };
    temporal__rpc_cancel_init(&lp.cancel);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_long_poll, &lp), 0);
    struct timespec pause = { 0, 300 * 1000000 };
    nanosleep(&pause, NULL); /* let the poll reach the server (not required for correctness) */
    temporal__rpc_cancel_trigger(&lp.cancel);
    pthread_join(t, NULL);
    assert_int_equal(lp.rc, TEMPORAL_ECANCELED);
    assert_non_null(strstr(lp.err.message, "GetWorkflowExecutionHistory cancelled"));
    temporal__rpc_cancel_destroy(&lp.cancel);
    temporal__rpc_conn_free(lp.conn);
    terminate(id);
}

static void cancelled_before_start(void **state)
{
    (void)state;
    char id[96];
    start_idle_workflow(id, sizeof(id));
    struct long_poll lp = { .conn = connect_rpc(), .workflow_id = id, .timeout_ms = 0 };
    temporal__rpc_cancel_init(&lp.cancel);
    temporal__rpc_cancel_trigger(&lp.cancel); /* stays triggered */
    run_long_poll(&lp);
    assert_int_equal(lp.rc, TEMPORAL_ECANCELED);
    temporal__rpc_cancel_destroy(&lp.cancel);
    temporal__rpc_conn_free(lp.conn);
    terminate(id);
}

static void long_poll_deadline(void **state)
{
    (void)state;
    char id[96];
    start_idle_workflow(id, sizeof(id));
    /* The server answers a long poll empty just before the caller's deadline, or the
     * deadline fires first: either way the call returns, and nothing is retried past it. */
    struct long_poll lp = { .conn = connect_rpc(), .workflow_id = id, .timeout_ms = 700 };
    temporal__rpc_cancel_init(&lp.cancel);
    run_long_poll(&lp);
    assert_true(lp.rc == 0 || lp.rc == TEMPORAL_ETIMEDOUT);
    temporal__rpc_cancel_destroy(&lp.cancel);
    temporal__rpc_conn_free(lp.conn);
    /* The public wait for a result turns that into a clear timeout. */
    struct temporal_client *c = ts_connect();
    struct temporal_payloads res = TEMPORAL_PAYLOADS_INIT;
    struct temporal_error err;
    assert_int_equal(temporal_client_get_workflow_result(c, id, NULL, 700, &res, &err),
                     TEMPORAL_ETIMEDOUT);
    assert_non_null(strstr(err.message, "did not close within 700 ms"));
    assert_int_equal(res.count, 0);
    temporal_client_free(c);
    terminate(id);
}

static void unary_deadline_not_retried_forever(void **state)
{
    (void)state;
    /* NOT_FOUND is final: one attempt, the server's words in the message. */
    struct temporal__rpc_conn *conn = connect_rpc();
    temporal__pb_execution exec = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    exec.workflow_id = (char *)"temporal-c-does-not-exist";
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)"default";
    req.execution = &exec;
    ProtobufCMessage *resp = NULL;
    struct temporal_error err;
    int rc = temporal__rpc_call(conn, TEMPORAL__WORKFLOW_SERVICE("DescribeWorkflowExecution"),
                                &req.base,
                                &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor,
                                &resp, NULL, &err);
    assert_int_equal(rc, TEMPORAL_ENOT_FOUND);
    assert_null(resp);
    assert_null(strstr(err.message, "retried"));
    assert_non_null(strstr(err.message, "NOT_FOUND"));
    temporal__rpc_conn_free(conn);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(long_poll_cancelled_from_another_thread),
    cmocka_unit_test(cancelled_before_start),
    cmocka_unit_test(long_poll_deadline),
    cmocka_unit_test(unary_deadline_not_retried_forever),
};
TS_MAIN(tests)
