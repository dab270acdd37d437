/*
 * temporal-c: definitions shared by every public header.
 */
#ifndef TEMPORAL_COMMON_H
#define TEMPORAL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Marks a symbol exported from libtemporal (the library is built with -fvisibility=hidden). */
#if defined(TEMPORAL_BUILDING)
#define TEMPORAL_API __attribute__((visibility("default")))
#else
#define TEMPORAL_API
#endif

#ifdef __cplusplus
#define TEMPORAL_EXTERN_C_BEGIN extern "C" {
#define TEMPORAL_EXTERN_C_END }
#else
#define TEMPORAL_EXTERN_C_BEGIN
#define TEMPORAL_EXTERN_C_END
#endif

TEMPORAL_EXTERN_C_BEGIN

/** Severity of a log line. */
enum temporal_log_level {
    TEMPORAL_LOG_DEBUG = 0,
    TEMPORAL_LOG_INFO = 1,
    TEMPORAL_LOG_WARN = 2,
    TEMPORAL_LOG_ERROR = 3,
};

/**
 * Receives log lines from the library (the library itself is silent unless given one).
 * |message| is borrowed for the call and never contains a secret.  May be called from any
 * worker thread, concurrently: the function must be thread-safe.
 */
typedef void (*temporal_log_fn)(void *user_data, enum temporal_log_level level,
                                const char *message);

/**
 * Frees memory that a temporal-c function handed to the caller and documented as
 * "free with temporal_free()" (for example the run id returned by
 * temporal_client_start_workflow()).  NULL is a no-op.  Thread-safe.
 * Since: 0.1
 */
TEMPORAL_API void temporal_free(void *ptr);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_COMMON_H */
