/*
 * rpc: gRPC C core transport for the Temporal API.  See rpc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metrics_int.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "google/rpc/status.pb-c.h"
#include "rpc.h"

#define MAX_MESSAGE_BYTES (128 * 1024 * 1024)
#define DEFAULT_RPC_TIMEOUT_MS 10000

struct temporal__rpc_conn {
    grpc_channel *channel;
    char *target;
    /* Metadata sent on every call; the slices live as long as the connection. */
    grpc_metadata *metadata;
    size_t metadata_count;
    int64_t default_timeout_ms;
    struct temporal_metrics *metrics; /* borrowed from the client options; may be NULL */
    struct temporal_tracer *tracer;   /* borrowed from the client options; may be NULL */
    char *namespace_name;             /* the "namespace" label of request metrics */
};

/* Status names --------------------------------------------------------------------------- */

const char *temporal__rpc_status_name(int status)
{
    static const char *const names[] = {
        "OK",           "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",    "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    if (status < 0 || (size_t)status >= TEMPORAL__ARRAY_LEN(names))
        return "UNKNOWN_STATUS";
    return names[status];
}

/* Retry policy (pure functions, unit-tested) ---------------------------------------------- */

bool temporal__rpc_is_message_too_large(int status, const char *message)
{
    /* Go's and C core's wordings: "grpc: received message larger than max (...)",
     * "grpc: received message after decompression larger than max", "Received message
     * larger than max (N vs. M)". */
    return status == GRPC_STATUS_RESOURCE_EXHAUSTED && message != NULL &&
           strstr(message, "larger than max") != NULL;
}

bool temporal__rpc_is_tls_failure(const char *message)
{
    return message != NULL &&
           (strstr(message, "andshake failed") != NULL || strstr(message, "SSL_ERROR") != NULL ||
            strstr(message, "certificate verify failed") != NULL ||
            strstr(message, "not in peer certificate") != NULL);
}

bool temporal__rpc_is_retryable(int status, const char *message)
{
    /* A certificate the client does not trust fails the same way every time. */
    if (status == GRPC_STATUS_UNAVAILABLE && temporal__rpc_is_tls_failure(message))
        return false;
    switch (status) {
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        return !temporal__rpc_is_message_too_large(status, message);
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_INTERNAL:
    case GRPC_STATUS_UNKNOWN:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_DATA_LOSS:
    case GRPC_STATUS_OUT_OF_RANGE:
        return true;
    default:
        return false;
    }
}

int64_t temporal__rpc_backoff_ms(int status, int failures)
{
    double delay, cap, factor;
    if (status == GRPC_STATUS_RESOURCE_EXHAUSTED) {
        delay = 1000, factor = 2.0, cap = 10000;
    } else {
        delay = 100, factor = 1.7, cap = 5000;
    }
    for (int i = 1; i < failures && delay < cap; i++)
        delay *= factor;
    return (int64_t)(delay < cap ? delay : cap);
}

int temporal__rpc_status_to_code(int status, const char *message, const char *detail)
{
    if (detail != NULL) {
        if (strcmp(detail, "WorkflowExecutionAlreadyStartedFailure") == 0)
            return TEMPORAL_EWORKFLOW_ALREADY_STARTED;
        if (strcmp(detail, "NamespaceNotFoundFailure") == 0)
            return TEMPORAL_ENAMESPACE_NOT_FOUND;
        if (strcmp(detail, "QueryFailedFailure") == 0)
            return TEMPORAL_EQUERY_FAILED;
    }
    switch (status) {
    case GRPC_STATUS_OK:
        return 0;
    case GRPC_STATUS_CANCELLED:
        return TEMPORAL_ECANCELED;
    case GRPC_STATUS_INVALID_ARGUMENT:
        return TEMPORAL_EINVALID_ARGUMENT;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return TEMPORAL_ETIMEDOUT;
    case GRPC_STATUS_NOT_FOUND:
        return TEMPORAL_ENOT_FOUND;
    case GRPC_STATUS_ALREADY_EXISTS:
        return TEMPORAL_EALREADY_EXISTS;
    case GRPC_STATUS_PERMISSION_DENIED:
        return TEMPORAL_EPERMISSION_DENIED;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        return temporal__rpc_is_message_too_large(status, message) ? TEMPORAL_EMESSAGE_TOO_LARGE
                                                                   : TEMPORAL_ERESOURCE_EXHAUSTED;
    case GRPC_STATUS_FAILED_PRECONDITION:
        return TEMPORAL_EFAILED_PRECONDITION;
    case GRPC_STATUS_UNIMPLEMENTED:
        return TEMPORAL_EUNIMPLEMENTED;
    case GRPC_STATUS_UNAVAILABLE:
        return TEMPORAL_EUNAVAILABLE;
    case GRPC_STATUS_UNAUTHENTICATED:
        return TEMPORAL_EUNAUTHENTICATED;
    default:
        return TEMPORAL_EGRPC;
    }
}

/* Cancellation ----------------------------------------------------------------------------- */

void temporal__rpc_cancel_init(struct temporal__rpc_cancel *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &attr);
    pthread_condattr_destroy(&attr);
    c->cancelled = false;
    c->active = NULL;
}

void temporal__rpc_cancel_destroy(struct temporal__rpc_cancel *c)
{
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

void temporal__rpc_cancel_trigger(struct temporal__rpc_cancel *c)
{
    pthread_mutex_lock(&c->mu);
    c->cancelled = true;
    if (c->active != NULL)
        grpc_call_cancel(c->active, NULL);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Sleeps |ms| or until |cancel| triggers.  Returns false if cancelled. */
static bool sleep_unless_cancelled(struct temporal__rpc_cancel *cancel, int64_t ms)
{
    struct timespec ts;
    if (cancel == NULL) {
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        return true;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&cancel->mu);
    while (!cancel->cancelled && pthread_cond_timedwait(&cancel->cv, &cancel->mu, &ts) == 0) {
    }
    bool ok = !cancel->cancelled;
    pthread_mutex_unlock(&cancel->mu);
    return ok;
}

/* Connection ------------------------------------------------------------------------------- */

/* Loads one PEM item from a path or from memory into |*out| (NULL if neither is set). */
static int load_pem(const char *path, const char *pem, const char *what, const char *marker,
                    char **out, struct temporal_error *err)
{
    *out = NULL;
    if (path != NULL && pem != NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "%s is given both as a file path and as PEM data: set only one",
                              what);
    if (path != NULL) {
        int rc = temporal__read_file(path, what, out, NULL, err);
        if (rc != 0)
            return rc;
    } else if (pem != NULL) {
        *out = temporal__strdup(pem);
        if (*out == NULL)
            return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    } else {
        return 0;
    }
    if (strstr(*out, "-----BEGIN ") == NULL || strstr(*out, marker) == NULL) {
        free(*out);
        *out = NULL;
        if (path != NULL)
            return temporal__fail(err, TEMPORAL_ETLS, -1,
                                  "%s file '%s' holds no PEM %s block: give a PEM file "
                                  "(text starting with -----BEGIN)",
                                  what, path, marker);
        return temporal__fail(err, TEMPORAL_ETLS, -1,
                              "%s data holds no PEM %s block: give PEM text starting with "
                              "-----BEGIN",
                              what, marker);
    }
    return 0;
}

/* The system CA bundle: SSL_CERT_FILE, else the first bundle found on Debian/Ubuntu,
 * Amazon Linux/RHEL/Fedora, SUSE, Alpine.  NULL lets gRPC fall back to its own roots. */
static char *load_system_roots(void)
{
    static const char *const candidates[] = {
        "/etc/ssl/certs/ca-certificates.crt",                 /* Debian, Ubuntu, Alpine */
        "/etc/pki/tls/certs/ca-bundle.crt",                   /* Amazon Linux 2023, RHEL */
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* Fedora, RHEL */
        "/etc/ssl/ca-bundle.pem",                             /* SUSE */
        "/etc/ssl/cert.pem",                                  /* Alpine, macOS */
    };
    char *pem = NULL;
    const char *env = getenv("SSL_CERT_FILE");
    if (env != NULL && env[0] != '\0' && temporal__read_file(env, "CA", &pem, NULL, NULL) == 0)
        return pem;
    for (size_t i = 0; i < TEMPORAL__ARRAY_LEN(candidates); i++)
        if (temporal__read_file(candidates[i], "CA", &pem, NULL, NULL) == 0)
            return pem;
    return NULL;
}

static int validate_target(const char *target, struct temporal_error *err)
{
    if (strstr(target, "://") != NULL || strncmp(target, "unix:", 5) == 0 ||
        strncmp(target, "dns:", 4) == 0)
        return 0; /* a gRPC URI: passed through as is */
    const char *colon = strrchr(target, ':');
    bool ok = colon != NULL && colon != target && colon[1] != '\0';
    for (const char *p = colon ? colon + 1 : ""; ok && *p; p++)
        ok = *p >= '0' && *p <= '9';
    if (!ok)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "client target '%s' is not \"host:port\" (for example "
                              "\"localhost:7233\" or \"my-ns.a1b2c.tmprl.cloud:7233\")",
                              target);
    return 0;
}

static int add_metadata(struct temporal__rpc_conn *c, size_t cap, const char *key,
                        const char *value, struct temporal_error *err)
{
    grpc_slice k = grpc_slice_from_copied_string(key);
    grpc_slice v = grpc_slice_from_copied_string(value);
    if (!grpc_header_key_is_legal(k) || grpc_is_binary_header(k) ||
        !grpc_header_nonbin_value_is_legal(v) || c->metadata_count >= cap) {
        grpc_slice_unref(k);
        grpc_slice_unref(v);
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "gRPC metadata key '%s' or its value is not a valid ASCII header: "
                              "keys are lower-case letters, digits, '-', '_' and '.' (not "
                              "ending in -bin); values are printable ASCII",
                              key);
    }
    grpc_metadata *m = &c->metadata[c->metadata_count++];
    memset(m, 0, sizeof(*m));
    m->key = k;
    m->value = v;
    return 0;
}

int temporal__rpc_conn_new(struct temporal__rpc_conn **out,
                           const struct temporal_client_options *opts,
                           const char *namespace_name, struct temporal_error *err)
{
    const struct temporal_tls_options *tls = &opts->tls;
    char *ca = NULL, *cert = NULL, *key = NULL;
    grpc_channel_credentials *creds = NULL;
    int rc = validate_target(opts->target, err);
    if (rc != 0)
        return rc;

    struct temporal__rpc_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
    grpc_init();
    c->target = temporal__strdup(opts->target);
    c->metrics = opts->metrics;
    c->tracer = opts->tracer;
    c->namespace_name = temporal__strdup(namespace_name);
    c->default_timeout_ms = opts->rpc_timeout_ms > 0 ? opts->rpc_timeout_ms : DEFAULT_RPC_TIMEOUT_MS;
    size_t cap = 4 + opts->metadata_count;
    c->metadata = calloc(cap, sizeof(*c->metadata));
    if (c->target == NULL || c->metadata == NULL) {
        rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
        goto fail;
    }

    /* Metadata on every call: ours first, then the user's extras. */
    if ((rc = add_metadata(c, cap, "client-name", TEMPORAL_CLIENT_NAME, err)) != 0 ||
        (rc = add_metadata(c, cap, "client-version", TEMPORAL_VERSION, err)) != 0 ||
        (rc = add_metadata(c, cap, "temporal-namespace", namespace_name, err)) != 0)
        goto fail;
    bool user_authorization = false;
    for (size_t i = 0; i < opts->metadata_count; i++)
        if (opts->metadata[i].key != NULL && strcasecmp(opts->metadata[i].key, "authorization") == 0)
            user_authorization = true;
    if (!temporal__empty(opts->api_key) && !user_authorization) {
        size_t n = strlen(opts->api_key) + sizeof("Bearer ");
        char *bearer = malloc(n);
        if (bearer == NULL) {
            rc = temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory");
            goto fail;
        }
        snprintf(bearer, n, "Bearer %s", opts->api_key);
        rc = add_metadata(c, cap, "authorization", bearer, NULL);
        memset(bearer, 0, n);
        free(bearer);
        if (rc != 0) {
            /* Never echo the key itself. */
            rc = temporal__fail(err, TEMPORAL_EINVAL, -1,
                                "the API key holds characters that cannot be sent in a gRPC "
                                "header (control characters or non-ASCII): check for a "
                                "trailing newline");
            goto fail;
        }
    }
    for (size_t i = 0; i < opts->metadata_count; i++) {
        const struct temporal_metadata_pair *p = &opts->metadata[i];
        if (p->key == NULL || p->value == NULL) {
            rc = temporal__fail(err, TEMPORAL_EINVAL, -1, "metadata entry %zu has a NULL key or value", i);
            goto fail;
        }
        if ((rc = add_metadata(c, cap, p->key, p->value, err)) != 0)
            goto fail;
    }

    /* Transport security. */
    bool use_tls = !tls->disabled &&
                   (tls->enabled || !temporal__empty(opts->api_key) ||
                    tls->server_ca_cert_path || tls->server_ca_cert_pem || tls->client_cert_path ||
                    tls->client_cert_pem || tls->client_key_path || tls->client_key_pem ||
                    tls->server_name);
    if (use_tls) {
        if ((rc = load_pem(tls->server_ca_cert_path, tls->server_ca_cert_pem,
                           "TLS server CA certificate", "CERTIFICATE", &ca, err)) != 0 ||
            (rc = load_pem(tls->client_cert_path, tls->client_cert_pem,
                           "TLS client certificate", "CERTIFICATE", &cert, err)) != 0 ||
            (rc = load_pem(tls->client_key_path, tls->client_key_pem, "TLS client key",
                           "PRIVATE KEY", &key, err)) != 0)
            goto fail;
        if ((cert == NULL) != (key == NULL)) {
            rc = temporal__fail(err, TEMPORAL_EINVAL, -1,
                                "mutual TLS needs both a client certificate and its private "
                                "key: set %s too",
                                cert == NULL ? "the client certificate" : "the client key");
            goto fail;
        }
        if (ca == NULL)
            ca = load_system_roots();
        grpc_ssl_pem_key_cert_pair pair = { key, cert };
        creds = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
    } else {
        creds = grpc_insecure_credentials_create();
    }
    if (creds == NULL) {
        rc = temporal__fail(err, TEMPORAL_ETLS, -1, "could not create gRPC channel credentials");
        goto fail;
    }

    char user_agent[64];
    snprintf(user_agent, sizeof(user_agent), "%s/%s", TEMPORAL_CLIENT_NAME, TEMPORAL_VERSION);
    grpc_arg args[10];
    size_t nargs = 0;
#define INT_ARG(k, v) args[nargs].type = GRPC_ARG_INTEGER, args[nargs].key = (char *)(k), args[nargs++].value.integer = (v)
#define STR_ARG(k, v) args[nargs].type = GRPC_ARG_STRING, args[nargs].key = (char *)(k), args[nargs++].value.string = (char *)(v)
    INT_ARG(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, MAX_MESSAGE_BYTES);
    INT_ARG(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, MAX_MESSAGE_BYTES);
    INT_ARG(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    INT_ARG(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 15000);
    INT_ARG(GRPC_ARG_ENABLE_RETRIES, 0); /* we retry ourselves, with Temporal's policy */
    INT_ARG(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    /* Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: C core also uses it as the connect (TCP + TLS
     * handshake) timeout, and a small value aborts slow handshakes. */
    INT_ARG(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
    STR_ARG(GRPC_ARG_PRIMARY_USER_AGENT_STRING, user_agent);
    if (use_tls && !temporal__empty(tls->server_name))
        STR_ARG(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, tls->server_name);
#undef INT_ARG
#undef STR_ARG
    grpc_channel_args channel_args = { nargs, args };
    c->channel = grpc_channel_create(c->target, creds, &channel_args);
    grpc_channel_credentials_release(creds);
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(ca);
    free(cert);
    free(key);
    if (c->channel == NULL) {
        temporal__rpc_conn_free(c);
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "could not create a gRPC channel to '%s'",
                              opts->target);
    }
    *out = c;
    return 0;

fail:
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(ca);
    free(cert);
    free(key);
    temporal__rpc_conn_free(c);
    return rc;
}

struct temporal_metrics *temporal__rpc_conn_metrics(const struct temporal__rpc_conn *conn)
{
    return conn ? conn->metrics : NULL;
}

struct temporal_tracer *temporal__rpc_conn_tracer(const struct temporal__rpc_conn *conn)
{
    return conn ? conn->tracer : NULL;
}

void temporal__rpc_conn_free(struct temporal__rpc_conn *c)
{
    if (c == NULL)
        return;
    if (c->channel != NULL)
        grpc_channel_destroy(c->channel);
    for (size_t i = 0; i < c->metadata_count; i++) {
        grpc_slice_unref(c->metadata[i].key);
        grpc_slice_unref(c->metadata[i].value);
    }
    free(c->metadata);
    free(c->target);
    free(c->namespace_name);
    free(c);
    grpc_shutdown();
}

const char *temporal__rpc_conn_target(const struct temporal__rpc_conn *conn)
{
    return conn->target;
}

/* One attempt ------------------------------------------------------------------------------ */

struct attempt_result {
    grpc_status_code status;
    char *details;      /* server's status message (gpr_free) */
    const char *errstr; /* C core's debug error string (gpr_free), may be NULL */
    char detail_name[TEMPORAL_ERROR_DETAIL_SIZE]; /* Temporal error detail, or "" */
    grpc_slice response;
    bool have_response;
};

/* Extracts the name of the first Temporal error detail from grpc-status-details-bin. */
static void read_status_details(const grpc_metadata_array *trailing, struct attempt_result *r)
{
    for (size_t i = 0; i < trailing->count; i++) {
        if (!grpc_slice_str_cmp(trailing->metadata[i].key, "grpc-status-details-bin")) {
            const grpc_slice v = trailing->metadata[i].value;
            Google__Rpc__Status *st = google__rpc__status__unpack(
                NULL, GRPC_SLICE_LENGTH(v), GRPC_SLICE_START_PTR(v));
            if (st == NULL)
                return;
            if (st->n_details > 0 && st->details[0]->type_url != NULL) {
                const char *name = strrchr(st->details[0]->type_url, '.');
                name = name ? name + 1 : st->details[0]->type_url;
                snprintf(r->detail_name, sizeof(r->detail_name), "%s", name);
            }
            google__rpc__status__free_unpacked(st, NULL);
            return;
        }
    }
}

static void attempt_result_release(struct attempt_result *r)
{
    gpr_free(r->details);
    gpr_free((void *)r->errstr);
    if (r->have_response)
        grpc_slice_unref(r->response);
    memset(r, 0, sizeof(*r));
}

static gpr_timespec deadline_after(int64_t ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Runs one attempt of |method| with |request| (a slice we keep a ref on). */
static int call_once(struct temporal__rpc_conn *conn, const char *method, grpc_slice request,
                     int64_t timeout_ms, struct temporal__rpc_cancel *cancel,
                     struct attempt_result *r)
{
    memset(r, 0, sizeof(*r));
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice method_slice = grpc_slice_from_static_string(method);
    grpc_call *call = grpc_channel_create_call(conn->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                               method_slice, NULL, deadline_after(timeout_ms),
                                               NULL);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&request, 1);
    grpc_byte_buffer *recv = NULL;
    grpc_metadata_array initial, trailing;
    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    grpc_slice details = grpc_empty_slice();

    grpc_op ops[6];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = conn->metadata_count;
    ops[0].data.send_initial_metadata.metadata = conn->metadata;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[5].data.recv_status_on_client.status = &r->status;
    ops[5].data.recv_status_on_client.status_details = &details;
    ops[5].data.recv_status_on_client.error_string = &r->errstr;

    bool cancelled = false;
    if (cancel != NULL) {
        pthread_mutex_lock(&cancel->mu);
        cancelled = cancel->cancelled;
        if (!cancelled)
            cancel->active = call;
        pthread_mutex_unlock(&cancel->mu);
    }
    int rc = 0;
    if (cancelled) {
        rc = TEMPORAL_ECANCELED;
    } else {
        grpc_call_error ce = grpc_call_start_batch(call, ops, 6, (void *)call, NULL);
        if (ce != GRPC_CALL_OK) {
            rc = TEMPORAL_EINTERNAL;
        } else {
            grpc_event ev = grpc_completion_queue_pluck(cq, (void *)call,
                                                        gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            if (ev.type != GRPC_OP_COMPLETE || !ev.success)
                rc = TEMPORAL_EINTERNAL;
        }
        if (cancel != NULL) {
            pthread_mutex_lock(&cancel->mu);
            cancel->active = NULL;
            cancelled = cancel->cancelled;
            pthread_mutex_unlock(&cancel->mu);
        }
    }

    if (rc == 0) {
        r->details = grpc_slice_to_c_string(details);
        if (r->status == GRPC_STATUS_OK && recv != NULL) {
            grpc_byte_buffer_reader reader;
            if (grpc_byte_buffer_reader_init(&reader, recv)) {
                r->response = grpc_byte_buffer_reader_readall(&reader);
                r->have_response = true;
                grpc_byte_buffer_reader_destroy(&reader);
            }
        } else if (r->status != GRPC_STATUS_OK) {
            read_status_details(&trailing, r);
        }
        if (cancelled && r->status == GRPC_STATUS_CANCELLED)
            rc = TEMPORAL_ECANCELED;
    }

    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_byte_buffer_destroy(send);
    if (recv != NULL)
        grpc_byte_buffer_destroy(recv);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
    return rc;
}

/* A hint for the common ways a call fails, appended to the message. */
static const char *failure_hint(const struct attempt_result *r)
{
    const char *words = r->details ? r->details : "";
    const char *debug = r->errstr ? r->errstr : "";
    if (temporal__rpc_is_tls_failure(words) || temporal__rpc_is_tls_failure(debug))
        return " (TLS handshake failed: check the server CA certificate and server name, and "
               "that the server speaks TLS)";
    if (strstr(words, "status: 400") || strstr(words, "status: 495") ||
        strstr(words, "status: 496"))
        return " (the TLS proxy rejected the request: mutual TLS may require a client "
               "certificate and key)";
    switch (r->status) {
    case GRPC_STATUS_UNAVAILABLE:
        return " (is a Temporal server listening there? check the address and whether TLS "
               "must be on or off)";
    case GRPC_STATUS_UNAUTHENTICATED:
        return " (check the API key or client certificate)";
    case GRPC_STATUS_PERMISSION_DENIED:
        return " (the credentials are not allowed this operation or namespace)";
    default:
        return "";
    }
}

/* The call ---------------------------------------------------------------------------------- */

static const char *short_method(const char *method)
{
    const char *s = strrchr(method, '/');
    return s ? s + 1 : method;
}

/* True if an attempt failed only because the call's deadline ran out under it. */
static bool attempt_cut_by_deadline(const struct attempt_result *r)
{
    return r->status == GRPC_STATUS_DEADLINE_EXCEEDED ||
           (r->details != NULL && strstr(r->details, "handshaker shutdown") != NULL);
}

/* Fills |err| from a failed attempt: RPC, target, status, the server's words, a hint. */
static int report_failure(const char *method, const char *target, const struct attempt_result *r,
                          int failures, struct temporal_error *err)
{
    const char *words = r->details && r->details[0] ? r->details : r->errstr ? r->errstr : "";
    int code = temporal__rpc_status_to_code(r->status, r->details, r->detail_name);
    temporal__fail(err, code, r->status, "%s to %s failed: %s: %s%s%s", short_method(method),
                   target, temporal__rpc_status_name(r->status), words,
                   failures > 0 ? " (retried until the deadline)" : "", failure_hint(r));
    temporal__error_set_detail(err, r->detail_name);
    return code;
}

/* temporal_request / temporal_long_request and their failure and latency metrics.  A
 * cancelled call (a poll stopped at shutdown) is counted but is no failure. */
static void record_call(struct temporal__rpc_conn *conn, const char *method, bool long_poll,
                        int rc, const struct temporal_error *err, int64_t elapsed_ms)
{
    if (conn->metrics == NULL)
        return;
    const char *op = short_method(method);
    const char *labels[] = {"operation", op, "namespace", conn->namespace_name, NULL};
    temporal__metric_add(conn->metrics, long_poll ? "temporal_long_request" : "temporal_request",
                         1, labels);
    temporal__metric_record_ms(conn->metrics,
                               long_poll ? "temporal_long_request_latency"
                                         : "temporal_request_latency",
                               (double)elapsed_ms, labels);
    if (rc != 0 && rc != TEMPORAL_ECANCELED) {
        int status = err && err->grpc_status >= 0 ? err->grpc_status : GRPC_STATUS_UNKNOWN;
        const char *failed[] = {"operation", op, "namespace", conn->namespace_name,
                                "status_code", temporal__rpc_status_name(status), NULL};
        temporal__metric_add(conn->metrics,
                             long_poll ? "temporal_long_request_failure"
                                       : "temporal_request_failure",
                             1, failed);
    }
}

int temporal__rpc_call(struct temporal__rpc_conn *conn, const char *method,
                       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                       ProtobufCMessage **resp_out, const struct temporal__rpc_call_options *co,
                       struct temporal_error *err)
{
    static const struct temporal__rpc_call_options defaults = { 0 };
    if (co == NULL)
        co = &defaults;
    *resp_out = NULL;

    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory packing %s",
                              short_method(method));
    protobuf_c_message_pack(req, buf);
    grpc_slice request = grpc_slice_new(buf, len, free);

    int64_t timeout_ms = co->timeout_ms > 0 ? co->timeout_ms
                         : co->long_poll    ? 0
                                            : conn->default_timeout_ms;
    int64_t start = temporal__now_monotonic_ms();
    int64_t end = timeout_ms > 0 ? start + timeout_ms : INT64_MAX;
    int failures = 0;
    int rc;
    struct attempt_result previous;
    bool have_previous = false;
    memset(&previous, 0, sizeof(previous));
    for (;;) {
        int64_t now = temporal__now_monotonic_ms();
        int64_t remaining = end - now;
        int64_t attempt_ms = remaining;
        if (co->long_poll && attempt_ms > TEMPORAL__LONG_POLL_TIMEOUT_MS)
            attempt_ms = TEMPORAL__LONG_POLL_TIMEOUT_MS;
        if (attempt_ms < 1)
            attempt_ms = 1;

        struct attempt_result r;
        rc = call_once(conn, method, request, attempt_ms, co->cancel, &r);
        if (rc == TEMPORAL_ECANCELED) {
            attempt_result_release(&r);
            rc = temporal__fail(err, TEMPORAL_ECANCELED, GRPC_STATUS_CANCELLED, "%s cancelled",
                                short_method(method));
            break;
        }
        if (rc != 0) {
            attempt_result_release(&r);
            rc = temporal__fail(err, rc, -1, "%s to %s: gRPC batch failed", short_method(method),
                                conn->target);
            break;
        }
        if (r.status == GRPC_STATUS_OK) {
            if (!r.have_response) {
                attempt_result_release(&r);
                rc = temporal__fail(err, TEMPORAL_EPROTOCOL, 0, "%s to %s: no response message",
                                    short_method(method), conn->target);
                break;
            }
            *resp_out = protobuf_c_message_unpack(resp_desc, NULL,
                                                  GRPC_SLICE_LENGTH(r.response),
                                                  GRPC_SLICE_START_PTR(r.response));
            attempt_result_release(&r);
            rc = *resp_out ? 0
                           : temporal__fail(err, TEMPORAL_EPROTOCOL, 0,
                                            "%s to %s: response is not a valid %s",
                                            short_method(method), conn->target, resp_desc->name);
            break;
        }

        now = temporal__now_monotonic_ms();
        /* A long poll's own attempt deadline is the normal end of an empty poll. */
        if (co->long_poll && r.status == GRPC_STATUS_DEADLINE_EXCEEDED && now < end) {
            attempt_result_release(&r);
            continue;
        }
        bool retry = !co->no_retry && temporal__rpc_is_retryable(r.status, r.details) &&
                     !temporal__rpc_is_tls_failure(r.errstr);
        int64_t delay = 0;
        if (retry) {
            failures++;
            delay = temporal__rpc_backoff_ms(r.status, failures);
            /* +/-20% jitter so that many workers don't retry in lockstep. */
            delay = delay * (80 + (int64_t)(temporal__now_epoch_ms() % 41)) / 100;
            retry = now + delay < end;
        }
        if (!retry) {
            /* An attempt cut short by the call's deadline says less than the failure that
             * made us retry: report that one. */
            const struct attempt_result *why = &r;
            if (have_previous && attempt_cut_by_deadline(&r))
                why = &previous;
            rc = report_failure(method, conn->target, why, failures, err);
            attempt_result_release(&r);
            break;
        }
        if (!have_previous || !attempt_cut_by_deadline(&r)) {
            attempt_result_release(&previous);
            previous = r; /* keep the last failure that says why */
            have_previous = true;
        } else {
            attempt_result_release(&r);
        }
        if (!sleep_unless_cancelled(co->cancel, delay)) {
            rc = temporal__fail(err, TEMPORAL_ECANCELED, GRPC_STATUS_CANCELLED, "%s cancelled",
                                short_method(method));
            break;
        }
    }
    attempt_result_release(&previous);
    grpc_slice_unref(request);
    record_call(conn, method, co->long_poll, rc, err, temporal__now_monotonic_ms() - start);
    return rc;
}

int temporal__rpc_call_discard(struct temporal__rpc_conn *conn, const char *method,
                               const ProtobufCMessage *req,
                               const ProtobufCMessageDescriptor *resp_desc,
                               const struct temporal__rpc_call_options *co,
                               struct temporal_error *err)
{
    ProtobufCMessage *resp = NULL;
    int rc = temporal__rpc_call(conn, method, req, resp_desc, &resp, co, err);
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}
