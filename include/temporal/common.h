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

/**
 * Frees memory that a temporal-c function handed to the caller and documented as
 * "free with temporal_free()" (for example the run id returned by
 * temporal_client_start_workflow()).  NULL is a no-op.  Thread-safe.
 * Since: 0.1
 */
TEMPORAL_API void temporal_free(void *ptr);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_COMMON_H */
