/*
 * temporal-c internals shared across src/ files.  Not installed.
 * Cross-file internal symbols use the `temporal__` prefix; everything else is static.
 */
#ifndef TEMPORAL_INTERNAL_H
#define TEMPORAL_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "temporal/temporal.h"

#define TEMPORAL__PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define TEMPORAL__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Fills |err| (if not NULL) with |code|, |grpc_status| (-1 if none) and a formatted
 * message; clears |err->detail|.  Returns |code|, so callers can `return temporal__fail(...)`.
 */
int temporal__fail(struct temporal_error *err, int code, int grpc_status, const char *fmt, ...)
    TEMPORAL__PRINTF(4, 5);

/** Copies |detail| into |err->detail| (truncating) if |err| is not NULL. */
void temporal__error_set_detail(struct temporal_error *err, const char *detail);

/** strdup that returns NULL for a NULL input. */
char *temporal__strdup(const char *s);

/** Returns true if |s| is NULL or "". */
static inline int temporal__empty(const char *s) { return s == NULL || s[0] == '\0'; }

/** Milliseconds on the monotonic clock. */
int64_t temporal__now_monotonic_ms(void);

/** Milliseconds since the Unix epoch (wall clock). */
int64_t temporal__now_epoch_ms(void);

/** Fills |out| with |n| random bytes (getrandom; a time-seeded fallback without entropy). */
void temporal__random_bytes(uint8_t *out, size_t n);

/** Writes a random (version 4) UUID, 36 characters plus NUL, into |out|. */
void temporal__uuid4(char out[37]);

/**
 * Reads the whole file |path| into a new NUL-terminated buffer (free()).  On failure
 * returns TEMPORAL_EIO or TEMPORAL_ENOMEM and describes it in |err| using |what| (e.g.
 * "TLS client certificate") to say which setting pointed at the file.
 */
int temporal__read_file(const char *path, const char *what, char **out, size_t *len_out,
                        struct temporal_error *err);

/**
 * Copies a caller's options struct (its first field is `size_t self_size`) into |dst|
 * (|dst_size| bytes), zero-filling what an older, smaller caller struct lacks.  NULL |src|
 * gives all zeros.  Returns false if |src| is not NULL and its self_size is implausible
 * (the struct was not made with its _INIT macro).
 */
bool temporal__copy_options(void *dst, size_t dst_size, const void *src);

/** Appends ", |item|" (or |item| when |*used| is 0) to |buf|; stops quietly when full. */
void temporal__list_append(char *buf, size_t cap, size_t *used, const char *item);

/** The default identity, "<pid>@<hostname>", into |buf|. */
void temporal__default_identity(char *buf, size_t cap);

#endif /* TEMPORAL_INTERNAL_H */
