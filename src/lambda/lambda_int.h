/*
 * libtemporal_lambda internals shared by its three files.  Not installed.
 *   runtime_api.c  the Lambda Runtime API client (libcurl)
 *   log.c          the Lambda log lines (JSON or text on stderr)
 *   lambda.c       config, init, the per-invocation lifecycle and the runtime loop
 * libtemporal's own internals are hidden, so this library uses only the public API plus
 * the few helpers below.
 */
#ifndef TEMPORAL_LAMBDA_INT_H
#define TEMPORAL_LAMBDA_INT_H

#include <jansson.h>
#include <stdint.h>

#include "temporal/lambda.h"

#define TL_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

/** Fills |err| (if not NULL) with |code| and a formatted message; returns |code|. */
int temporal_lambda__fail(struct temporal_error *err, int code, const char *fmt, ...) TL_PRINTF(3, 4);

/**
 * Makes |s| valid UTF-8 in place, so that JSON encoders accept it: each byte that does not
 * belong to a well-formed sequence (a character cut by truncation, or foreign bytes) becomes
 * '?'.
 */
void temporal_lambda__utf8_scrub(char *s);

/* Logging (log.c) --------------------------------------------------------------------------- */

/** A level above ERROR, for the line that explains why the process exits. */
#define TL_LOG_FATAL 4

/** Sets the request id that every log line carries from now on (NULL: none).  Copied. */
void temporal_lambda__log_set_request_id(const char *request_id);

/**
 * Writes one log line: |message| plus the members of |fields| (a JSON object, consumed;
 * NULL for none).  Thread-safe; a line is one write(2).
 */
void temporal_lambda__log(int level, json_t *fields, const char *fmt, ...) TL_PRINTF(3, 4);

/* Runtime API client (runtime_api.c) -------------------------------------------------------- */

/** A connection to the Lambda Runtime API.  Used from one thread. */
struct runtime_client;

/** What /invocation/next said about the next invocation (the event body is not kept). */
struct runtime_next {
    char request_id[256];
    char function_arn[512];
    char trace_id[1024];
    int64_t deadline_epoch_ms; /* 0 when the header was missing or malformed */
};

/** Opens a client of the Runtime API at |api| ("host:port").  Returns 0 or an error code. */
int temporal_lambda__runtime_open(struct runtime_client **out, const char *api, struct temporal_error *err);
void temporal_lambda__runtime_close(struct runtime_client *rt);

/**
 * Waits for the next invocation (no timeout: Lambda freezes the process meanwhile).
 * Returns 0, or TEMPORAL_ELAMBDA_RUNTIME (unreachable, an HTTP error, or no request id).
 */
int temporal_lambda__runtime_next(struct runtime_client *rt, struct runtime_next *next, struct temporal_error *err);

/** Posts the invocation's response (the JSON text |body|).  Returns 0 or TEMPORAL_ELAMBDA_RUNTIME. */
int temporal_lambda__runtime_respond(struct runtime_client *rt, const char *request_id, const char *body,
                                         struct temporal_error *err);

/**
 * Posts an error: the invocation's (|request_id| set) or the init's (|request_id| NULL),
 * as {"errorMessage", "errorType"} with |error_type| e.g. "TEMPORAL_ELAMBDA_TIME".
 * Returns 0 or TEMPORAL_ELAMBDA_RUNTIME.
 */
int temporal_lambda__runtime_post_error(struct runtime_client *rt, const char *request_id, const char *error_type,
                                            const char *message, struct temporal_error *err);

#endif /* TEMPORAL_LAMBDA_INT_H */
