/*
 * temporal-c: error codes and the error detail structure.
 *
 * Every fallible function returns an int: 0 on success or a negative TEMPORAL_E* code.
 * Functions that can fail for reasons worth explaining also take an optional
 * `struct temporal_error *` (may be NULL) that receives the code, the gRPC status and a
 * human-readable message.  Codes are numbered once and never reused.  Bands:
 *   -1 .. -99    generic
 *   -100 .. -199 transport and gRPC
 *   -200 .. -299 Temporal protocol and workflow outcomes
 *   -300 .. -399 reserved for the Lambda runtime (libtemporal_lambda)
 */
#ifndef TEMPORAL_ERROR_H
#define TEMPORAL_ERROR_H

#include "common.h"

TEMPORAL_EXTERN_C_BEGIN

/* X(name, number, message).  The single source of the enum and of the message table. */
#define TEMPORAL_ERRNO_MAP(X)                                                              \
    X(EINVAL, -1, "invalid argument")                                                      \
    X(ENOMEM, -2, "out of memory")                                                         \
    X(ECANCELED, -3, "operation cancelled")                                                \
    X(ETIMEDOUT, -4, "deadline exceeded")                                                  \
    X(EIO, -5, "file could not be read")                                                   \
    X(EINTERNAL, -6, "internal error in temporal-c")                                       \
    X(ECONFIG, -7, "invalid configuration")                                                \
    X(EPROFILE_NOT_FOUND, -8, "configuration profile not found")                           \
    X(EGRPC, -100, "gRPC call failed")                                                     \
    X(EUNAVAILABLE, -101, "server unavailable")                                            \
    X(EUNAUTHENTICATED, -102, "not authenticated")                                         \
    X(EPERMISSION_DENIED, -103, "permission denied")                                       \
    X(ERESOURCE_EXHAUSTED, -104, "resource exhausted (rate limited)")                      \
    X(EMESSAGE_TOO_LARGE, -105, "gRPC message larger than the maximum")                    \
    X(EINVALID_ARGUMENT, -106, "request rejected by the server as invalid")                \
    X(ENOT_FOUND, -107, "not found")                                                       \
    X(EALREADY_EXISTS, -108, "already exists")                                             \
    X(EUNIMPLEMENTED, -109, "not implemented by the server")                               \
    X(EFAILED_PRECONDITION, -110, "failed precondition")                                   \
    X(ETLS, -111, "TLS configuration error")                                               \
    X(EPROTOCOL, -200, "malformed response from the server")                               \
    X(EWORKFLOW_ALREADY_STARTED, -201, "workflow execution already started")               \
    X(EWORKFLOW_FAILED, -202, "workflow execution failed")                                 \
    X(EWORKFLOW_CANCELED, -203, "workflow execution cancelled")                            \
    X(EWORKFLOW_TERMINATED, -204, "workflow execution terminated")                         \
    X(EWORKFLOW_TIMED_OUT, -205, "workflow execution timed out")                           \
    X(EQUERY_FAILED, -206, "query failed")                                                 \
    X(ENAMESPACE_NOT_FOUND, -207, "namespace not found")                                   \
    X(EPAYLOAD_ENCODING, -208, "payload has an unexpected encoding")                      \
    X(EACTIVITY_FAILED, -209, "activity failed")                                           \
    X(ECONTINUED_AS_NEW, -210, "workflow continued as a new run")                          \
    X(ENONDETERMINISM, -211, "workflow code does not match its history (non-determinism)") \
    X(EUPDATE_FAILED, -212, "workflow update was rejected or failed")                     \
    X(EWORKFLOW_TASK_FAILED, -213, "workflow task failed (it will be retried)")          \
    X(ELAMBDA_RUNTIME, -300, "Lambda Runtime API request failed or was malformed")         \
    X(ELAMBDA_TIME, -301, "too little Lambda invocation time left for work")

/** Error codes.  Values are stable. */
enum temporal_errno {
    TEMPORAL_OK = 0,
#define TEMPORAL_X_ENUM(name, num, msg) TEMPORAL_##name = (num),
    TEMPORAL_ERRNO_MAP(TEMPORAL_X_ENUM)
#undef TEMPORAL_X_ENUM
};

/** Size of temporal_error.message, including the terminating NUL. */
#define TEMPORAL_ERROR_MESSAGE_SIZE 512
/** Size of temporal_error.detail, including the terminating NUL. */
#define TEMPORAL_ERROR_DETAIL_SIZE 128

/**
 * What went wrong, in detail.  Caller-allocated (usually on the stack); functions that
 * take one fill it on failure and leave it untouched on success.  Holds no pointers, so
 * it needs no cleanup.  Never contains an API key or private key.
 */
struct temporal_error {
    /** The TEMPORAL_E* code, equal to the function's return value. */
    int code;
    /** gRPC status code (0..16) of the call that failed, or -1 if no gRPC call failed. */
    int grpc_status;
    /** One line saying what failed, why, and where possible how to fix it. */
    char message[TEMPORAL_ERROR_MESSAGE_SIZE];
    /**
     * A machine-readable detail, or "".  For gRPC errors: the name of the Temporal error
     * detail the server attached (e.g. "WorkflowExecutionAlreadyStartedFailure").  For
     * TEMPORAL_EWORKFLOW_FAILED: the failure's type (e.g. an ApplicationFailure type).
     */
    char detail[TEMPORAL_ERROR_DETAIL_SIZE];
};

/**
 * Returns a static description of |code| ("unknown error" for codes not listed).
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_strerror(int code);

/**
 * Returns the static name of |code|, e.g. "TEMPORAL_EUNAVAILABLE", or "TEMPORAL_UNKNOWN".
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_err_name(int code);

/**
 * Returns true if an operation that failed with |code| may succeed when retried
 * unchanged later (unavailable, resource exhausted, deadline exceeded).
 * Since: 0.1
 */
TEMPORAL_API bool temporal_err_is_retryable(int code);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_ERROR_H */
