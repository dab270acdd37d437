/*
 * temporal-c: payloads, the values that cross the wire (workflow and activity arguments,
 * results, signal and query arguments).
 *
 * A payload is bytes plus metadata; the metadata key "encoding" says how to read the
 * bytes.  These helpers produce and read the encodings every Temporal SDK understands:
 *   binary/null   no value (data is empty)
 *   binary/plain  raw bytes
 *   json/plain    UTF-8 JSON text (the default for every SDK's data converter)
 * One payload per argument, as in every Temporal SDK.
 */
#ifndef TEMPORAL_PAYLOAD_H
#define TEMPORAL_PAYLOAD_H

#include "common.h"

TEMPORAL_EXTERN_C_BEGIN

/** One metadata entry.  |value| always has a NUL byte after |value_len| (not counted). */
struct temporal_payload_metadata {
    char *key;
    uint8_t *value;
    size_t value_len;
};

/**
 * One payload.  Owned by the temporal_payloads list that holds it.  |data| always has a
 * NUL byte after |data_len| (not counted), so JSON text can be read as a C string.
 */
struct temporal_payload {
    struct temporal_payload_metadata *metadata;
    size_t metadata_count;
    uint8_t *data;
    size_t data_len;
};

/**
 * A list of payloads.  Caller-allocated value type: initialize with
 * TEMPORAL_PAYLOADS_INIT or temporal_payloads_init(), release with
 * temporal_payloads_cleanup().  It owns every byte it points to.
 */
struct temporal_payloads {
    struct temporal_payload *items;
    size_t count;
    size_t capacity;
};

#define TEMPORAL_PAYLOADS_INIT { NULL, 0, 0 }

#define TEMPORAL_ENCODING_NULL "binary/null"
#define TEMPORAL_ENCODING_BINARY "binary/plain"
#define TEMPORAL_ENCODING_JSON "json/plain"

/**
 * A list of named values owned by the structure that holds it (a description's memo or
 * search attributes): |names|[i] names |values|.items[i].
 */
struct temporal_named_payloads {
    char **names;
    struct temporal_payloads values;
};

/** The value named |name| in |list|, or NULL.  Borrowed from |list|.  Since: 0.1 */
TEMPORAL_API const struct temporal_payload *
temporal_named_payloads_get(const struct temporal_named_payloads *list, const char *name);

/** Frees the names and values of |list| and zeroes it.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_named_payloads_cleanup(struct temporal_named_payloads *list);

/**
 * A named value: one memo field or one search attribute.  Both members are borrowed.
 * Search attribute values are JSON payloads of the attribute's registered type (a string
 * for Keyword and Text, a number for Int and Double, true/false for Bool, an RFC 3339
 * string for Datetime, a JSON array of strings for KeywordList).
 */
struct temporal_named_payload {
    const char *name;
    /** The value; in an upsert, NULL removes the field. */
    const struct temporal_payload *value;
};

/** Makes |p| an empty list.  Since: 0.1 */
TEMPORAL_API void temporal_payloads_init(struct temporal_payloads *p);

/** Frees everything |p| holds and makes it empty again.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_payloads_cleanup(struct temporal_payloads *p);

/**
 * Appends a json/plain payload holding |json| (|len| bytes of JSON text; any JSON value,
 * e.g. `{"name":"x"}`, `42` or `"text"`).  The text is validated and copied.
 * Returns 0, TEMPORAL_EINVAL if |json| is not valid JSON, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payloads_add_json(struct temporal_payloads *p, const char *json,
                                            size_t len);

/**
 * Appends a json/plain payload holding the JSON string for the UTF-8 C string |text|
 * (quoted and escaped), the way other SDKs encode a string argument.
 * Returns 0, TEMPORAL_EINVAL if |text| is NULL or not valid UTF-8, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payloads_add_string(struct temporal_payloads *p, const char *text);

/**
 * Appends a binary/plain payload holding a copy of |len| bytes at |data|.
 * Returns 0, TEMPORAL_EINVAL, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payloads_add_bytes(struct temporal_payloads *p, const void *data,
                                             size_t len);

/** Appends a binary/null payload (no value).  Returns 0 or TEMPORAL_ENOMEM.  Since: 0.1 */
TEMPORAL_API int temporal_payloads_add_null(struct temporal_payloads *p);

/**
 * Appends a deep copy of |src| (any encoding, all metadata).  Returns 0,
 * TEMPORAL_EINVAL or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payloads_add_copy(struct temporal_payloads *p,
                                            const struct temporal_payload *src);

/**
 * Returns the value of metadata key |key| of |pl| as a NUL-terminated string, or NULL if
 * absent.  Borrowed: valid while |pl| is.
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_payload_metadata_get(const struct temporal_payload *pl,
                                                       const char *key);

/**
 * Returns the payload's "encoding" metadata (e.g. "json/plain"), or NULL if it has none.
 * Borrowed: valid while |pl| is.
 * Since: 0.1
 */
TEMPORAL_API const char *temporal_payload_encoding(const struct temporal_payload *pl);

/**
 * Decodes a json/plain payload holding a JSON string into a new UTF-8 C string, stored
 * in |*out|; free it with temporal_free().
 * Returns 0, TEMPORAL_EPAYLOAD_ENCODING if |pl| is not json/plain or not a JSON string
 * (|*out| is then NULL), TEMPORAL_EINVAL, or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payload_get_string(const struct temporal_payload *pl, char **out);

/**
 * Borrows the JSON text of a json/plain payload: |*json| points into |pl| (NUL-terminated,
 * valid while |pl| is) and |*len| receives its length.
 * Returns 0, TEMPORAL_EPAYLOAD_ENCODING if |pl| is not json/plain, or TEMPORAL_EINVAL.
 * Since: 0.1
 */
TEMPORAL_API int temporal_payload_get_json(const struct temporal_payload *pl, const char **json,
                                           size_t *len);

/** Returns true if |pl| is binary/null.  Since: 0.1 */
TEMPORAL_API bool temporal_payload_is_null(const struct temporal_payload *pl);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_PAYLOAD_H */
