/*
 * history_json: histories in protobuf's JSON mapping -> binary.  Internal.
 */
#ifndef TEMPORAL_HISTORY_JSON_H
#define TEMPORAL_HISTORY_JSON_H

#include <jansson.h>

#include "proto.h"

/**
 * Encodes |history| (a parsed temporal.api.history.v1.History in protobuf's JSON mapping)
 * as a serialized History: |*out| (malloc'd, the caller frees it), |*out_len| bytes.
 * Returns 0, TEMPORAL_EINVAL (|err| names the place that is not a history), or
 * TEMPORAL_ENOMEM.
 */
int temporal__history_from_json(json_t *history, uint8_t **out, size_t *out_len,
                                struct temporal_error *err);

#endif /* TEMPORAL_HISTORY_JSON_H */
