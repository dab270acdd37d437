/*
 * What other modules (the worker) need from a client.  Internal.
 */
#ifndef TEMPORAL_CLIENT_INT_H
#define TEMPORAL_CLIENT_INT_H

#include "rpc.h"

/** The client's connection (borrowed; lives as long as the client). */
struct temporal__rpc_conn *temporal__client_conn(struct temporal_client *c);

/** The server capabilities read at connect time. */
const struct temporal_server_info *temporal__client_info(const struct temporal_client *c);

#endif /* TEMPORAL_CLIENT_INT_H */
