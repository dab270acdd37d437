/*
 * temporal-c: the client, a connection to a Temporal frontend (self-hosted or Cloud) and
 * the workflow operations built on it.
 *
 * Threads: a temporal_client is thread-safe.  Any number of threads may call operations
 * on one client at once; each call blocks its caller until it completes, fails or its
 * deadline passes.  Only temporal_client_free() must not race with other calls.
 *
 * Transport: gRPC over HTTP/2 (gRPC C core).  Every call carries the metadata
 * `client-name: temporal-c`, `client-version: <TEMPORAL_VERSION>`,
 * `temporal-namespace: <namespace>`, `authorization: Bearer <api key>` when an API key is
 * set, and the extra metadata of the options.  Calls that fail with a retryable status
 * (UNAVAILABLE, INTERNAL, UNKNOWN, ABORTED, DATA_LOSS, OUT_OF_RANGE) are retried with
 * exponential backoff (100 ms, x1.7, at most 5 s between attempts); RESOURCE_EXHAUSTED is
 * retried with a slower backoff (1 s, x2, at most 10 s); "message larger than max" is never
 * retried.  Retries stop at the call's deadline.
 */
#ifndef TEMPORAL_CLIENT_H
#define TEMPORAL_CLIENT_H

#include "common.h"
#include "error.h"
#include "metrics.h"
#include "tracing.h"
#include "payload.h"

TEMPORAL_EXTERN_C_BEGIN

/** A connection to a Temporal frontend.  Opaque; see temporal_client_connect(). */
struct temporal_client;

/** One gRPC metadata entry (an ASCII header).  Both strings are required and copied. */
struct temporal_metadata_pair {
    const char *key;
    const char *value;
};

/**
 * TLS settings.  Each PEM item comes either from a file (`*_path`) or from memory
 * (`*_pem`, NUL-terminated PEM text); giving both for one item is an error.  All strings
 * are optional and copied (files are read) during temporal_client_connect().
 */
struct temporal_tls_options {
    /** Use TLS.  Implied by any other field here being set, and by an API key. */
    bool enabled;
    /** CA certificates that sign the server's certificate.  Default: the system CA bundle. */
    const char *server_ca_cert_path;
    const char *server_ca_cert_pem;
    /** Client certificate chain and its private key, for mutual TLS.  Both or neither. */
    const char *client_cert_path;
    const char *client_cert_pem;
    const char *client_key_path;
    const char *client_key_pem;
    /** Name to verify the server's certificate against.  Default: the host of |target|. */
    const char *server_name;
    /**
     * Force plaintext, even with an API key or other TLS fields set (envconfig's
     * `tls.disabled = true`).  Wins over |enabled|.
     */
    bool disabled;
};

/** Options of temporal_client_connect().  Start from TEMPORAL_CLIENT_OPTIONS_INIT. */
struct temporal_client_options {
    /** sizeof(struct temporal_client_options); set by TEMPORAL_CLIENT_OPTIONS_INIT. */
    size_t self_size;
    /** Required.  Frontend address as "host:port", e.g. "localhost:7233".  Copied. */
    const char *target;
    /** Optional.  Namespace of every operation.  Default "default".  Copied. */
    const char *namespace_name;
    /** Optional.  Identity recorded by the server.  Default "<pid>@<hostname>".  Copied. */
    const char *identity;
    /**
     * Optional.  API key sent as `authorization: Bearer <key>` (unless |metadata| has an
     * `authorization` entry, which wins); turns TLS on unless tls.disabled.  Copied.
     */
    const char *api_key;
    /** TLS settings (plaintext unless enabled or implied). */
    struct temporal_tls_options tls;
    /** Optional.  Extra gRPC metadata on every call.  Array copied. */
    const struct temporal_metadata_pair *metadata;
    size_t metadata_count;
    /** Deadline of the first call (GetSystemInfo), retries included.  Default 10000. */
    int64_t connect_timeout_ms;
    /** Deadline of each operation, retries included (not long polls).  Default 10000. */
    int64_t rpc_timeout_ms;
    /**
     * Optional.  Where the client and its workers record SDK metrics (temporal/metrics.h).
     * Borrowed: it must outlive the client and its workers.
     */
    struct temporal_metrics *metrics;
    /**
     * Optional.  Where the client and its workers record spans, and whose context they
     * pass on in `_tracer-data` headers (temporal/tracing.h).  Borrowed: it must outlive
     * the client and its workers.
     */
    struct temporal_tracer *tracer;
};

#define TEMPORAL_CLIENT_OPTIONS_INIT { .self_size = sizeof(struct temporal_client_options) }

/** What the server said about itself at connect time (GetSystemInfo). */
struct temporal_server_info {
    /** Server version, e.g. "1.29.1"; "" if the server did not say.  Borrowed from the client. */
    const char *server_version;
    bool signal_and_query_header;
    bool internal_error_differentiation;
    bool activity_failure_include_heartbeat;
    bool supports_schedules;
    bool encoded_failure_attributes;
    bool build_id_based_versioning;
    bool upsert_memo;
    bool eager_workflow_start;
    bool sdk_metadata;
    bool count_group_by_execution_status;
    bool nexus;
};

/**
 * Connects to a Temporal frontend: validates |opts|, reads the TLS files, creates the
 * gRPC channel and calls GetSystemInfo once (its capabilities are kept, see
 * temporal_client_server_info()).  On success |*out| receives a client to release with
 * temporal_client_free().  |err| is optional.
 * Returns 0, or: TEMPORAL_EINVAL (bad options; the message names the field),
 * TEMPORAL_EIO (a TLS file could not be read), TEMPORAL_ETLS (bad PEM), TEMPORAL_ENOMEM,
 * or the code of the failed GetSystemInfo call (e.g. TEMPORAL_EUNAVAILABLE when nothing
 * listens at |target|, TEMPORAL_EUNAUTHENTICATED for a rejected API key).
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_connect(struct temporal_client **out,
                                         const struct temporal_client_options *opts,
                                         struct temporal_error *err);

/** Closes the connection and frees the client.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_client_free(struct temporal_client *client);

/** Returns the client's namespace.  Borrowed: valid until the client is freed.  Since: 0.1 */
TEMPORAL_API const char *temporal_client_namespace(const struct temporal_client *client);

/** Returns the client's identity.  Borrowed: valid until the client is freed.  Since: 0.1 */
TEMPORAL_API const char *temporal_client_identity(const struct temporal_client *client);

/**
 * Fills |out| with what the server reported at connect time.  Strings are borrowed from
 * |client|.  Since: 0.1
 */
TEMPORAL_API void temporal_client_server_info(const struct temporal_client *client,
                                              struct temporal_server_info *out);

/** Workflow id reuse policy (values of temporal.api.enums.v1.WorkflowIdReusePolicy). */
enum temporal_id_reuse_policy {
    TEMPORAL_ID_REUSE_UNSPECIFIED = 0, /* server default: ALLOW_DUPLICATE */
    TEMPORAL_ID_REUSE_ALLOW_DUPLICATE = 1,
    TEMPORAL_ID_REUSE_ALLOW_DUPLICATE_FAILED_ONLY = 2,
    TEMPORAL_ID_REUSE_REJECT_DUPLICATE = 3,
};

/** Workflow id conflict policy (values of temporal.api.enums.v1.WorkflowIdConflictPolicy). */
enum temporal_id_conflict_policy {
    TEMPORAL_ID_CONFLICT_UNSPECIFIED = 0, /* server default: FAIL */
    TEMPORAL_ID_CONFLICT_FAIL = 1,
    TEMPORAL_ID_CONFLICT_USE_EXISTING = 2,
    TEMPORAL_ID_CONFLICT_TERMINATE_EXISTING = 3,
};

/** Options of temporal_client_start_workflow().  Start from TEMPORAL_START_WORKFLOW_OPTIONS_INIT. */
struct temporal_start_workflow_options {
    size_t self_size;
    /** Required.  Business id of the workflow.  Borrowed for the call. */
    const char *workflow_id;
    /** Required.  Workflow type name, as registered by a worker.  Borrowed for the call. */
    const char *workflow_type;
    /** Required.  Task queue the workflow's tasks go to.  Borrowed for the call. */
    const char *task_queue;
    /** Optional timeouts; 0 means none (the server's default). */
    int64_t execution_timeout_ms;
    int64_t run_timeout_ms;
    int64_t task_timeout_ms;
    enum temporal_id_reuse_policy id_reuse_policy;
    enum temporal_id_conflict_policy id_conflict_policy;
    /** Optional.  Idempotency key for the start request.  Default: a random UUID. */
    const char *request_id;
    /** Optional memo fields (borrowed for the call). */
    const struct temporal_named_payload *memo;
    size_t memo_count;
    /** Optional search attributes (borrowed; registered in the namespace; see
     * struct temporal_named_payload for the value encoding). */
    const struct temporal_named_payload *search_attributes;
    size_t search_attributes_count;
    /** Optional.  Run the workflow on this cron schedule ("@every 1h", "0 12 * * MON-FRI"):
     * each run starts when the previous one has closed and the next time comes.  Prefer
     * schedules (temporal_client_create_schedule()).  Borrowed. */
    const char *cron_schedule;
};

#define TEMPORAL_START_WORKFLOW_OPTIONS_INIT { .self_size = sizeof(struct temporal_start_workflow_options) }

/**
 * Starts a workflow execution with arguments |args| (may be NULL for none).  On success,
 * if |run_id_out| is not NULL it receives the new run's id (free with temporal_free()).
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_EWORKFLOW_ALREADY_STARTED (a run with that id is
 * running and the policies forbid another), or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_start_workflow(struct temporal_client *client,
                                                const struct temporal_start_workflow_options *opts,
                                                const struct temporal_payloads *args,
                                                char **run_id_out, struct temporal_error *err);

/**
 * Sends signal |signal_name| with |args| (may be NULL) to workflow |workflow_id|; |run_id|
 * NULL or "" means the latest run.
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND (no such running workflow), or a
 * transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_signal_workflow(struct temporal_client *client,
                                                 const char *workflow_id, const char *run_id,
                                                 const char *signal_name,
                                                 const struct temporal_payloads *args,
                                                 struct temporal_error *err);

/**
 * Signals workflow |opts->workflow_id|, starting it first (with |args|) if it is not
 * running.  |run_id_out| as for temporal_client_start_workflow().
 * Returns 0, TEMPORAL_EINVAL, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_signal_with_start_workflow(
    struct temporal_client *client, const struct temporal_start_workflow_options *opts,
    const struct temporal_payloads *args, const char *signal_name,
    const struct temporal_payloads *signal_args, char **run_id_out, struct temporal_error *err);

/**
 * Queries workflow |workflow_id| (|run_id| NULL means latest) with query |query_type| and
 * |args| (may be NULL).  A worker must be polling the workflow's task queue to answer.
 * The answer's payloads are appended to |result| (an initialized list).
 * Returns 0, TEMPORAL_EQUERY_FAILED (the handler failed or the query type is unknown;
 * the message says why), TEMPORAL_ENOT_FOUND, TEMPORAL_ETIMEDOUT, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_query_workflow(struct temporal_client *client,
                                                const char *workflow_id, const char *run_id,
                                                const char *query_type,
                                                const struct temporal_payloads *args,
                                                struct temporal_payloads *result,
                                                struct temporal_error *err);

/** Execution status (values of temporal.api.enums.v1.WorkflowExecutionStatus). */
enum temporal_workflow_status {
    TEMPORAL_WORKFLOW_STATUS_UNSPECIFIED = 0,
    TEMPORAL_WORKFLOW_STATUS_RUNNING = 1,
    TEMPORAL_WORKFLOW_STATUS_COMPLETED = 2,
    TEMPORAL_WORKFLOW_STATUS_FAILED = 3,
    TEMPORAL_WORKFLOW_STATUS_CANCELED = 4,
    TEMPORAL_WORKFLOW_STATUS_TERMINATED = 5,
    TEMPORAL_WORKFLOW_STATUS_CONTINUED_AS_NEW = 6,
    TEMPORAL_WORKFLOW_STATUS_TIMED_OUT = 7,
};

/** Returns "RUNNING", "COMPLETED", ... for |status| (static).  Since: 0.1 */
TEMPORAL_API const char *temporal_workflow_status_name(enum temporal_workflow_status status);

/**
 * What temporal_client_describe_workflow() reports.  Strings are owned by the structure;
 * release them with temporal_workflow_description_cleanup().  Times are Unix epoch
 * milliseconds, 0 when not set.
 */
struct temporal_workflow_description {
    char *workflow_id;
    char *run_id;
    char *workflow_type;
    char *task_queue;
    enum temporal_workflow_status status;
    int64_t start_time_ms;
    int64_t close_time_ms;
    int64_t history_length;
    /** The run's memo and search attributes (look up with temporal_named_payloads_get()). */
    struct temporal_named_payloads memo;
    struct temporal_named_payloads search_attributes;
};

/**
 * Describes workflow |workflow_id| (|run_id| NULL means latest) into |out|, which the
 * caller releases with temporal_workflow_description_cleanup() after success.
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_describe_workflow(struct temporal_client *client,
                                                   const char *workflow_id, const char *run_id,
                                                   struct temporal_workflow_description *out,
                                                   struct temporal_error *err);

/** Frees the strings of |d| and zeroes it.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_workflow_description_cleanup(struct temporal_workflow_description *d);

/** One event of a fetched history (a summary; the full events are in |serialized|). */
struct temporal_history_event {
    int64_t event_id;
    /** Value of temporal.api.enums.v1.EventType. */
    int event_type;
    /** e.g. "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" (static storage). */
    const char *event_type_name;
    /** Unix epoch milliseconds. */
    int64_t event_time_ms;
};

/**
 * A workflow run's history: every page, in order.  Owned by the structure; release with
 * temporal_history_cleanup().
 */
struct temporal_history {
    struct temporal_history_event *events;
    size_t count;
    /** The whole history as one serialized temporal.api.history.v1.History message. */
    uint8_t *serialized;
    size_t serialized_len;
};

/**
 * Fetches the full history of workflow |workflow_id| (|run_id| NULL means latest),
 * following every page, into |out| (release with temporal_history_cleanup()).
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, TEMPORAL_ENOMEM, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_fetch_history(struct temporal_client *client,
                                               const char *workflow_id, const char *run_id,
                                               struct temporal_history *out,
                                               struct temporal_error *err);

/** Frees what |h| holds and zeroes it.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_history_cleanup(struct temporal_history *h);

/**
 * Waits for workflow |workflow_id| (|run_id| NULL means latest) to close, long-polling
 * the server for the close event, and following the chain of runs a continue-as-new (or
 * a retry or cron run) starts.  |timeout_ms| bounds the whole wait; 0 waits forever.
 * If the final run completed, its result payloads are appended to |result| and 0 is
 * returned.  Otherwise returns TEMPORAL_EWORKFLOW_FAILED (|err->message| holds the
 * failure's message, |err->detail| its type), TEMPORAL_EWORKFLOW_CANCELED,
 * TEMPORAL_EWORKFLOW_TERMINATED, TEMPORAL_EWORKFLOW_TIMED_OUT, TEMPORAL_ETIMEDOUT,
 * TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_get_workflow_result(struct temporal_client *client,
                                                     const char *workflow_id,
                                                     const char *run_id, int64_t timeout_ms,
                                                     struct temporal_payloads *result,
                                                     struct temporal_error *err);

/** How long temporal_client_update_workflow() waits. */
enum temporal_update_wait_stage {
    /** Until the update has completed, with its result (the default). */
    TEMPORAL_UPDATE_WAIT_COMPLETED = 0,
    /** Until the workflow accepted the update (its validator passed); get the result later
     * with temporal_client_get_update_result(). */
    TEMPORAL_UPDATE_WAIT_ACCEPTED = 2,
};

/** Options of temporal_client_update_workflow().  Start from TEMPORAL_UPDATE_OPTIONS_INIT. */
struct temporal_update_options {
    size_t self_size;
    /** The update's id: sending the same id again attaches to the same update (the server
     * deduplicates).  Default: a random UUID.  Borrowed. */
    const char *update_id;
    /** The run to update; NULL or "" = the latest run.  Borrowed. */
    const char *run_id;
    /** Only update if the workflow's first run is this one (NULL = any).  Borrowed. */
    const char *first_execution_run_id;
    enum temporal_update_wait_stage wait_for;
    /** Give up after this long (TEMPORAL_ETIMEDOUT); 0 = wait as long as it takes. */
    int64_t timeout_ms;
};

#define TEMPORAL_UPDATE_OPTIONS_INIT { .self_size = sizeof(struct temporal_update_options) }

/**
 * Sends update |update_name| with |args| (may be NULL) to workflow |workflow_id| and waits
 * as |opts| says (NULL = defaults: until completed).  When the update has completed its
 * result payloads are appended to |result|; with TEMPORAL_UPDATE_WAIT_ACCEPTED it may
 * return 0 before that, with |result| unchanged.
 * Returns 0; TEMPORAL_EUPDATE_FAILED if a validator rejected the update or its handler
 * failed (|err| has the failure's message, and its ApplicationFailure type as detail);
 * TEMPORAL_ENOT_FOUND (no such running workflow); TEMPORAL_ETIMEDOUT; TEMPORAL_EINVAL; or a
 * transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_update_workflow(struct temporal_client *client,
                                                 const char *workflow_id, const char *update_name,
                                                 const struct temporal_payloads *args,
                                                 const struct temporal_update_options *opts,
                                                 struct temporal_payloads *result,
                                                 struct temporal_error *err);

/**
 * Waits (at most |timeout_ms|; 0 = as long as it takes) for update |update_id| of workflow
 * |workflow_id| (|run_id| NULL = latest run) to complete, and appends its result to
 * |result|.  Returns as temporal_client_update_workflow(); TEMPORAL_ENOT_FOUND also when no
 * such update exists (a rejected update leaves none).
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_get_update_result(struct temporal_client *client,
                                                   const char *workflow_id, const char *run_id,
                                                   const char *update_id, int64_t timeout_ms,
                                                   struct temporal_payloads *result,
                                                   struct temporal_error *err);

/** What a schedule does when an action is due while the previous one still runs
 * (values of temporal.api.enums.v1.ScheduleOverlapPolicy). */
enum temporal_schedule_overlap_policy {
    TEMPORAL_SCHEDULE_OVERLAP_DEFAULT = 0, /* the server's: SKIP */
    TEMPORAL_SCHEDULE_OVERLAP_SKIP = 1,
    TEMPORAL_SCHEDULE_OVERLAP_BUFFER_ONE = 2,
    TEMPORAL_SCHEDULE_OVERLAP_BUFFER_ALL = 3,
    TEMPORAL_SCHEDULE_OVERLAP_CANCEL_OTHER = 4,
    TEMPORAL_SCHEDULE_OVERLAP_TERMINATE_OTHER = 5,
    TEMPORAL_SCHEDULE_OVERLAP_ALLOW_ALL = 6,
};

/** A schedule: when (an interval and/or cron expressions), what (start a workflow), how.
 * Start from TEMPORAL_SCHEDULE_OPTIONS_INIT; everything is borrowed for the call. */
struct temporal_schedule_options {
    size_t self_size;
    /** Required.  The schedule's id. */
    const char *schedule_id;
    /** Every |interval_ms| (0 = none), shifted by |interval_phase_ms|. */
    int64_t interval_ms;
    int64_t interval_phase_ms;
    /** Cron expressions ("0 12 * * MON-FRI", "@hourly"). */
    const char *const *cron_expressions;
    size_t cron_count;
    /** Time zone of the cron expressions (IANA name); NULL = UTC. */
    const char *time_zone;
    /** Required.  The workflow each action starts: its workflow id is a prefix (the server
     * appends the action time), type, task queue, timeouts, memo, search attributes. */
    const struct temporal_start_workflow_options *action;
    /** The started workflows' arguments (may be NULL). */
    const struct temporal_payloads *action_args;
    enum temporal_schedule_overlap_policy overlap_policy;
    /** How late an action may still run after an outage; 0 = the server's default (1 year). */
    int64_t catchup_window_ms;
    /** Create it paused, with |note| (optional) saying why. */
    bool paused;
    const char *note;
};

#define TEMPORAL_SCHEDULE_OPTIONS_INIT { .self_size = sizeof(struct temporal_schedule_options) }

/**
 * Creates schedule |opts->schedule_id|.  Returns 0, TEMPORAL_EALREADY_EXISTS (a schedule
 * with that id exists), TEMPORAL_EINVAL, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_create_schedule(struct temporal_client *client,
                                                 const struct temporal_schedule_options *opts,
                                                 struct temporal_error *err);

/**
 * Replaces what schedule |opts->schedule_id| does and when (its state too: paused, note).
 * Returns 0, TEMPORAL_ENOT_FOUND, TEMPORAL_EINVAL, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_update_schedule(struct temporal_client *client,
                                                 const struct temporal_schedule_options *opts,
                                                 struct temporal_error *err);

/** What temporal_client_describe_schedule() reports (owned; release with
 * temporal_schedule_description_cleanup()).  Times are Unix epoch milliseconds. */
struct temporal_schedule_description {
    bool paused;
    char *note;
    /** Actions taken so far, and those skipped (overlap) or missed (catch-up window). */
    int64_t action_count;
    int64_t overlap_skipped;
    int64_t missed_catchup_window;
    /** Ids of the workflows the schedule started that are still running, and of the most
     * recent ones it started (oldest first). */
    char **running_workflow_ids;
    size_t running_count;
    char **recent_workflow_ids;
    size_t recent_count;
    /** When the next action is due (0 if none). */
    int64_t next_action_time_ms;
    /** The action: the workflow id prefix, type and task queue, and its arguments. */
    char *workflow_id;
    char *workflow_type;
    char *task_queue;
    struct temporal_payloads action_args;
    /** The spec's interval (0 if none). */
    int64_t interval_ms;
};

/**
 * Describes schedule |schedule_id| into |out| (release it with
 * temporal_schedule_description_cleanup() after success).  Returns 0, TEMPORAL_ENOT_FOUND,
 * or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_describe_schedule(struct temporal_client *client,
                                                   const char *schedule_id,
                                                   struct temporal_schedule_description *out,
                                                   struct temporal_error *err);

/** Frees what |d| holds and zeroes it.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_schedule_description_cleanup(struct temporal_schedule_description *d);

/**
 * Pauses schedule |schedule_id| (no actions until unpaused), with |note| (NULL = "Paused via
 * temporal-c").  Returns 0, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_pause_schedule(struct temporal_client *client, const char *schedule_id,
                                                const char *note, struct temporal_error *err);

/** Unpauses schedule |schedule_id|, with |note| (NULL = "Unpaused via temporal-c").  As
 * temporal_client_pause_schedule().  Since: 0.1 */
TEMPORAL_API int temporal_client_unpause_schedule(struct temporal_client *client,
                                                  const char *schedule_id, const char *note,
                                                  struct temporal_error *err);

/** Takes the schedule's action now (even when paused), under |overlap| (DEFAULT = the
 * schedule's policy).  Returns 0, TEMPORAL_ENOT_FOUND, or a transport error.  Since: 0.1 */
TEMPORAL_API int temporal_client_trigger_schedule(struct temporal_client *client,
                                                  const char *schedule_id,
                                                  enum temporal_schedule_overlap_policy overlap,
                                                  struct temporal_error *err);

/** A time range to backfill: [start_ms, end_ms] (Unix epoch ms), under |overlap|. */
struct temporal_schedule_backfill {
    int64_t start_ms;
    int64_t end_ms;
    enum temporal_schedule_overlap_policy overlap;
};

/**
 * Takes the actions schedule |schedule_id| would have taken in each of the |count| |ranges|
 * (in one request).  Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_backfill_schedule(struct temporal_client *client,
                                                   const char *schedule_id,
                                                   const struct temporal_schedule_backfill *ranges,
                                                   size_t count, struct temporal_error *err);

/** Deletes schedule |schedule_id| (workflows it started go on).  Returns 0,
 * TEMPORAL_ENOT_FOUND, or a transport error.  Since: 0.1 */
TEMPORAL_API int temporal_client_delete_schedule(struct temporal_client *client,
                                                 const char *schedule_id, struct temporal_error *err);

/**
 * Lists the ids of the namespace's schedules (all pages) into |*ids| (|*count| of them;
 * free each and the array with temporal_free()).  The list is eventually consistent: a new
 * schedule may take a moment to appear.  Returns 0 or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_list_schedules(struct temporal_client *client, char ***ids,
                                                size_t *count, struct temporal_error *err);

/**
 * Resets workflow |workflow_id| (|run_id| NULL = latest run) to the point after the workflow
 * task completed at event |workflow_task_finish_event_id|: the run is terminated and a new
 * run replays its history up to there, then goes on (signals received after that point are
 * applied again).  |reason| is required.  The new run's id goes into |*new_run_id| (if not
 * NULL; free with temporal_free()).  Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, or a
 * transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_reset_workflow(struct temporal_client *client,
                                                const char *workflow_id, const char *run_id,
                                                int64_t workflow_task_finish_event_id,
                                                const char *reason, char **new_run_id,
                                                struct temporal_error *err);

/**
 * Deletes workflow run |workflow_id| / |run_id| (NULL = latest) and its history (a running
 * one is terminated first).  Deletion is asynchronous: describe answers NOT_FOUND once it is
 * done.  Returns 0, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_delete_workflow(struct temporal_client *client,
                                                 const char *workflow_id, const char *run_id,
                                                 struct temporal_error *err);

/**
 * Requests cancellation of workflow |workflow_id| (|run_id| NULL means latest); the
 * workflow decides how to react.  |reason| is optional.
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_cancel_workflow(struct temporal_client *client,
                                                 const char *workflow_id, const char *run_id,
                                                 const char *reason, struct temporal_error *err);

/**
 * Terminates workflow |workflow_id| (|run_id| NULL means latest) at once, without running
 * any more workflow code.  |reason| is optional.
 * Returns 0, TEMPORAL_EINVAL, TEMPORAL_ENOT_FOUND, or a transport error.
 * Since: 0.1
 */
TEMPORAL_API int temporal_client_terminate_workflow(struct temporal_client *client,
                                                    const char *workflow_id,
                                                    const char *run_id, const char *reason,
                                                    struct temporal_error *err);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_CLIENT_H */
