/*
 * What other modules (the worker) need from a client.  Internal.
 */
#ifndef TEMPORAL_CLIENT_INT_H
#define TEMPORAL_CLIENT_INT_H

#include "proto.h"
#include "rpc.h"

/** The client's connection (borrowed; lives as long as the client). */
struct temporal__rpc_conn *temporal__client_conn(struct temporal_client *c);

/** The server capabilities read at connect time. */
const struct temporal_server_info *temporal__client_info(const struct temporal_client *c);

/** The sub-messages of a workflow start (start, signal-with-start, a schedule's action),
 * built from start options: views that borrow the options' strings and payloads. */
struct temporal__start_parts {
    Temporal__Api__Common__V1__WorkflowType type;
    Temporal__Api__Taskqueue__V1__TaskQueue queue;
    Google__Protobuf__Duration exec_timeout, run_timeout, task_timeout;
    struct temporal__payloads_view input;
    struct temporal__payload_map_view memo, search_attributes;
    char request_id[37];
};

/** Fills |p| from |o| and |args|.  Returns 0 or TEMPORAL_EINVAL/ENOMEM (|err| says why). */
int temporal__start_parts_init(struct temporal__start_parts *p,
                               const struct temporal_start_workflow_options *o,
                               const struct temporal_payloads *args, struct temporal_error *err);
void temporal__start_parts_cleanup(struct temporal__start_parts *p);

/** Fails with TEMPORAL_EINVAL naming |what| if |value| is NULL or "". */
int temporal__require(const char *value, const char *what, struct temporal_error *err);

#endif /* TEMPORAL_CLIENT_INT_H */
