/*
 * Error names and messages, generated from TEMPORAL_ERRNO_MAP.
 */
#include "internal.h"

const char *temporal_strerror(int code)
{
    switch (code) {
    case TEMPORAL_OK:
        return "success";
#define TEMPORAL_X_MSG(name, num, msg) \
    case TEMPORAL_##name:              \
        return msg;
        TEMPORAL_ERRNO_MAP(TEMPORAL_X_MSG)
#undef TEMPORAL_X_MSG
    default:
        return "unknown error";
    }
}

const char *temporal_err_name(int code)
{
    switch (code) {
    case TEMPORAL_OK:
        return "TEMPORAL_OK";
#define TEMPORAL_X_NAME(name, num, msg) \
    case TEMPORAL_##name:               \
        return "TEMPORAL_" #name;
        TEMPORAL_ERRNO_MAP(TEMPORAL_X_NAME)
#undef TEMPORAL_X_NAME
    default:
        return "TEMPORAL_UNKNOWN";
    }
}

bool temporal_err_is_retryable(int code)
{
    return code == TEMPORAL_EUNAVAILABLE || code == TEMPORAL_ERESOURCE_EXHAUSTED ||
           code == TEMPORAL_ETIMEDOUT;
}

const char *temporal_version(void) { return TEMPORAL_VERSION; }

const char *temporal_api_version(void) { return "temporalio " TEMPORAL_API_SOURCE_VERSION; }
