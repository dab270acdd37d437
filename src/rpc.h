/*
 * rpc: the one module that talks gRPC (gRPC C core).  A connection is a gRPC channel plus
 * the metadata every call carries; calls are unary, synchronous, with a deadline, optional
 * cancellation, and the retry policy of docs/ARCHITECTURE.md ("Connection").
 *
 * Threads: a connection is thread-safe; each call runs on the calling thread with its own
 * completion queue.  A cancel token may be triggered from any thread.
 */
#ifndef TEMPORAL_RPC_H
#define TEMPORAL_RPC_H

#include <pthread.h>

#include <protobuf-c/protobuf-c.h>

#include "internal.h"

/** Method path of WorkflowService RPC |name|, e.g. TEMPORAL__WORKFLOW_SERVICE("GetSystemInfo"). */
#define TEMPORAL__WORKFLOW_SERVICE(name) "/temporal.api.workflowservice.v1.WorkflowService/" name

/** Deadline of one long-poll attempt: the server answers empty after about 60 s. */
#define TEMPORAL__LONG_POLL_TIMEOUT_MS 70000

struct temporal__rpc_conn;

/**
 * Lets another thread cancel a call in flight (and the backoff sleep between attempts).
 * Caller-allocated; temporal__rpc_cancel_init() / _destroy().  One token may be used by
 * one call at a time; once triggered it stays triggered.
 */
struct temporal__rpc_cancel {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cancelled;
    struct grpc_call *active; /* the attempt in flight, or NULL */
};

void temporal__rpc_cancel_init(struct temporal__rpc_cancel *c);
void temporal__rpc_cancel_destroy(struct temporal__rpc_cancel *c);
/** Cancels the call using |c| (now or when it next starts).  Thread-safe. */
void temporal__rpc_cancel_trigger(struct temporal__rpc_cancel *c);

/** Per-call options.  Zero-initialized means: the connection's default deadline, retries on. */
struct temporal__rpc_call_options {
    /** Deadline of the whole call, retries included; 0 = connection default (long polls: none). */
    int64_t timeout_ms;
    /** A long poll: attempts of TEMPORAL__LONG_POLL_TIMEOUT_MS, an attempt's own deadline is no error. */
    bool long_poll;
    /** Never retry (e.g. a completion whose token must not be replayed). */
    bool no_retry;
    /** Optional cancel token. */
    struct temporal__rpc_cancel *cancel;
};

/**
 * Creates a connection from client options (already validated for presence of target).
 * Reads TLS files.  Does no I/O on the network: the channel connects on the first call.
 * |namespace_name| and |identity| are resolved values.  Returns 0 or TEMPORAL_E*.
 */
int temporal__rpc_conn_new(struct temporal__rpc_conn **out,
                           const struct temporal_client_options *opts,
                           const char *namespace_name, struct temporal_error *err);

void temporal__rpc_conn_free(struct temporal__rpc_conn *conn);

/** The metrics registry of the client options the connection was made from, or NULL. */
struct temporal_metrics *temporal__rpc_conn_metrics(const struct temporal__rpc_conn *conn);

/** The tracer of the client options the connection was made from, or NULL. */
struct temporal_tracer *temporal__rpc_conn_tracer(const struct temporal__rpc_conn *conn);

/** The target the connection was created for (borrowed). */
const char *temporal__rpc_conn_target(const struct temporal__rpc_conn *conn);

/**
 * Calls unary RPC |method| (a full path) with |req|.  On success |*resp_out| receives the
 * unpacked response of type |resp_desc| (free with protobuf_c_message_free_unpacked()).
 * On failure returns a TEMPORAL_E* code and fills |err|: gRPC status, a message that
 * names the RPC, the target and the server's words, and the Temporal error detail name.
 */
int temporal__rpc_call(struct temporal__rpc_conn *conn, const char *method,
                       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                       ProtobufCMessage **resp_out, const struct temporal__rpc_call_options *co,
                       struct temporal_error *err);

/**
 * Like temporal__rpc_call() for RPCs whose response carries nothing we use (completions,
 * signals, ShutdownWorker): the response is freed here.
 */
int temporal__rpc_call_discard(struct temporal__rpc_conn *conn, const char *method,
                               const ProtobufCMessage *req,
                               const ProtobufCMessageDescriptor *resp_desc,
                               const struct temporal__rpc_call_options *co,
                               struct temporal_error *err);

/* Exposed for unit tests. */

/** Whether a failure with gRPC |status| and |message| is retried. */
bool temporal__rpc_is_retryable(int status, const char *message);
/** True if a failure message says the TLS handshake failed (never retried). */
bool temporal__rpc_is_tls_failure(const char *message);
/** True for RESOURCE_EXHAUSTED "message larger than max" (never retried). */
bool temporal__rpc_is_message_too_large(int status, const char *message);
/**
 * Backoff before the next attempt after |failures| consecutive failures (>= 1) ending
 * in |status|, before jitter: 100 ms x1.7^(n-1) capped at 5 s; RESOURCE_EXHAUSTED:
 * 1 s x2^(n-1) capped at 10 s.
 */
int64_t temporal__rpc_backoff_ms(int status, int failures);
/** Maps a gRPC status (and the Temporal error detail name, may be NULL) to TEMPORAL_E*. */
int temporal__rpc_status_to_code(int status, const char *message, const char *detail);
/** "UNAVAILABLE", "NOT_FOUND", ... for a gRPC status code. */
const char *temporal__rpc_status_name(int status);

#endif /* TEMPORAL_RPC_H */
