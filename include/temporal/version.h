/*
 * temporal-c: library version.
 */
#ifndef TEMPORAL_VERSION_H
#define TEMPORAL_VERSION_H

#include "common.h"

#define TEMPORAL_VERSION_MAJOR 0
#define TEMPORAL_VERSION_MINOR 1
#define TEMPORAL_VERSION_PATCH 0
/** The version of these headers, as a semver string.  Sent as `client-version`. */
#define TEMPORAL_VERSION "0.1.0"
/** The SDK name sent to the server as `client-name`. */
#define TEMPORAL_CLIENT_NAME "temporal-c"

TEMPORAL_EXTERN_C_BEGIN

/**
 * Returns the version of the linked library, e.g. "0.1.0".  Static storage.
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_version(void);

/**
 * Returns where the Temporal API bindings compiled into the library come from, e.g.
 * "temporalio 1.35.0" (the PyPI package whose official descriptors were used).
 * Static storage.
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_api_version(void);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_VERSION_H */
