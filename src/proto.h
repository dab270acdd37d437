/*
 * proto: the generated Temporal API types used inside the library, short aliases for the
 * ones used often, and conversions between them and the public C types.  Generated types
 * never appear in public headers.
 */
#ifndef TEMPORAL_PROTO_H
#define TEMPORAL_PROTO_H

#include "temporal/api/enums/v1/event_type.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include "internal.h"

typedef Temporal__Api__Common__V1__Payloads temporal__pb_payloads;
typedef Temporal__Api__Common__V1__Payload temporal__pb_payload;
typedef Temporal__Api__Common__V1__WorkflowExecution temporal__pb_execution;
typedef Temporal__Api__Failure__V1__Failure temporal__pb_failure;

/**
 * An outbound Payloads message that borrows the bytes of a temporal_payloads list (no
 * copies).  Valid while the source list is unchanged; release with _cleanup().
 */
struct temporal__payloads_view {
    temporal__pb_payloads msg;
    temporal__pb_payload *items;
    temporal__pb_payload **item_ptrs;
    Temporal__Api__Common__V1__Payload__MetadataEntry *entries;
    Temporal__Api__Common__V1__Payload__MetadataEntry **entry_ptrs;
};

/**
 * Builds |view| over |src|.  Returns |&view->msg|, or NULL if |src| is NULL or empty (no
 * message: the field stays unset; |view->msg| is still a valid, empty Payloads), and sets
 * |*rc| to TEMPORAL_ENOMEM on allocation failure.
 */
temporal__pb_payloads *temporal__payloads_view_init(struct temporal__payloads_view *view,
                                                    const struct temporal_payloads *src, int *rc);
void temporal__payloads_view_cleanup(struct temporal__payloads_view *view);

/**
 * An outbound map<string, Payload> over borrowed names and payloads, as both a Memo and a
 * SearchAttributes message.  A NULL value becomes a binary/null payload (removal in an
 * upsert).  Valid while the fields are unchanged; release with _cleanup().
 */
struct temporal__payload_map_view {
    Temporal__Api__Common__V1__Memo memo;
    Temporal__Api__Common__V1__SearchAttributes search_attributes;
    struct temporal_payloads values; /* shallow copies of the values (borrowed bytes) */
    struct temporal__payloads_view values_view;
    Temporal__Api__Common__V1__Memo__FieldsEntry *memo_entries, **memo_ptrs;
    Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry *sa_entries, **sa_ptrs;
};

/** Builds |view| over |fields| (|count| of them).  Returns 0, TEMPORAL_EINVAL (a field without
 * a name) or TEMPORAL_ENOMEM. */
int temporal__payload_map_view_init(struct temporal__payload_map_view *view,
                                    const struct temporal_named_payload *fields, size_t count);
void temporal__payload_map_view_cleanup(struct temporal__payload_map_view *view);

/** Appends a deep copy of field |key| = |value| to |list|.  0 or TEMPORAL_ENOMEM. */
int temporal__named_payloads_add(struct temporal_named_payloads *list, const char *key,
                                 const temporal__pb_payload *value);

/** Appends deep copies of the payloads of |src| (may be NULL) to |dst|. */
int temporal__payloads_from_proto(struct temporal_payloads *dst, const temporal__pb_payloads *src);

/** Sets |d| to |ms| milliseconds and returns it. */
Google__Protobuf__Duration *temporal__duration_set(Google__Protobuf__Duration *d, int64_t ms);

/** Milliseconds of |d|, or 0 if NULL. */
int64_t temporal__duration_ms(const Google__Protobuf__Duration *d);

/** Milliseconds since the epoch of |ts|, or 0 if NULL. */
int64_t temporal__timestamp_ms(const Google__Protobuf__Timestamp *ts);

/** Proto name of an EventType value ("EVENT_TYPE_..."), static storage. */
const char *temporal__event_type_name(int event_type);

/** The `source` of failures this SDK reports (by convention one name per SDK). */
#define TEMPORAL__FAILURE_SOURCE "CSDK"

/**
 * Fills |f| as an ApplicationFailure of |type| with |message|, |non_retryable| and
 * |details| (may be NULL), using |info| as its storage.  Strings and |details| are borrowed.
 */
void temporal__failure_application(temporal__pb_failure *f,
                                   Temporal__Api__Failure__V1__ApplicationFailureInfo *info,
                                   const char *type, const char *message, bool non_retryable,
                                   temporal__pb_payloads *details);

/**
 * One line describing |f| and its causes: "message (type: T) <- cause message ...".
 * Writes into |buf| (always NUL-terminated).
 */
void temporal__failure_describe(const temporal__pb_failure *f, char *buf, size_t cap);

#endif /* TEMPORAL_PROTO_H */
