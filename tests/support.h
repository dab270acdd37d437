/*
 * Test support: the shared integration environment (see harness/harness.sh), unique
 * names, and running the Temporal CLI as an independent witness.
 */
#ifndef TEMPORAL_TEST_SUPPORT_H
#define TEMPORAL_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the three headers above first. */
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>

#include <temporal/temporal.h>

/** Contents of file |name| of the harness state directory (trimmed; static, cached). */
const char *ts_state(const char *name);

/** Writes "<prefix>-<pid>-<n>-<random>" into |buf|. */
void ts_unique(char *buf, size_t cap, const char *prefix);

/** Connects a client to the plaintext dev server; fails the test on error. */
struct temporal_client *ts_connect(void);

/** Like ts_connect(), with a client that records spans into |tracer| (may be NULL). */
struct temporal_client *ts_connect_traced(struct temporal_tracer *tracer);

/**
 * Runs `temporal <args> --address <dev server>` (args formatted like printf) and returns
 * its exit status; its stdout goes into |out| (if not NULL, NUL-terminated, truncated).
 */
int ts_cli(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Like ts_cli with `-o json` added; returns the parsed output or NULL.  json_decref() it. */
json_t *ts_cli_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Connects with |o| (a generous connect timeout set: TLS handshakes under valgrind are
 * slow); on success proves the connection works with real operations (start a workflow of
 * |workflow_type| nobody runs, describe it, terminate it) and returns 0; otherwise returns
 * the connect error (printed, in |err|).
 */
int ts_try_connect(struct temporal_client_options *o, const char *workflow_type,
                   struct temporal_error *err);

/** An activity: "Hello, <name>!" for its string argument <name>. */
int ts_hello_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out, void *user_data);

/** A workflow: runs activity "hello" (30 s start-to-close) on its input and returns its result. */
int ts_hello_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out);

/** The status of workflow |id|'s latest run (asserts that describe works). */
enum temporal_workflow_status ts_workflow_status(struct temporal_client *client, const char *id);

/**
 * A workflow for tests that drive one from outside: query "state" answers "waiting", then
 * "finished" once signal "finish" came; the workflow then returns the signal's string
 * argument.
 */
int ts_waiter_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out);

/** A worker running on its own thread, with the client it uses (both owned). */
struct ts_worker {
    struct temporal_client *client;
    struct temporal_worker *worker;
    char task_queue[96];
    pthread_t thread;
    int rc;
    struct temporal_error err;
};

/** Runs |tw->worker| (created and registered by the test) on a new thread. */
void ts_worker_run(struct ts_worker *tw);

/** Stops the worker, waits for its thread, checks it ended cleanly, frees worker and client. */
void ts_worker_stop(struct ts_worker *tw);

/** Registers a scenario's workflows and activities on |w| (assert on failure). */
typedef void (*ts_register_fn)(struct temporal_worker *w);

/**
 * A features scenario's worker: connects, creates a worker on a new task queue
 * "<prefix>-..." (in tw->task_queue) with |max_cached| cached runs (-1 = default), lets
 * |reg| register the scenario's code, and runs it on its own thread.
 */
void ts_feature_worker(struct ts_worker *tw, const char *prefix, int32_t max_cached,
                       ts_register_fn reg);

/** Like ts_feature_worker(), on a client that records spans into |tracer| (may be NULL). */
void ts_feature_worker_traced(struct ts_worker *tw, struct temporal_tracer *tracer,
                              const char *prefix, int32_t max_cached, ts_register_fn reg);

/**
 * Starts workflow |type| with |args| (may be NULL) on tw's task queue with the scenarios'
 * one-minute execution timeout; its id ("<task queue>-<n>") goes into |id|.
 */
void ts_feature_start(struct ts_worker *tw, const char *type, const struct temporal_payloads *args,
                      char *id, size_t cap);

/** Waits (at most 60 s) for workflow |id|'s result; returns its code and fills |result|. */
int ts_feature_result(struct ts_worker *tw, const char *id, struct temporal_payloads *result,
                      struct temporal_error *err);

/** A TCP port on 127.0.0.1 that was free a moment ago (for a server the test starts). */
int ts_free_port(void);

/** Whether something accepts connections on 127.0.0.1:|port|. */
bool ts_port_open(int port);

/**
 * Makes |deployment| / |build_id| the current Worker Deployment Version with the CLI,
 * retrying for up to 10 s while the version is not yet registered (a worker of that version
 * registers it at its first poll).  Fails the test if it never succeeds.
 */
void ts_set_current_version(const char *deployment, const char *build_id);

/** A Lambda-style deadline |ms| milliseconds from now, in Unix epoch milliseconds. */
int64_t ts_deadline_in_ms(int64_t ms);

/** Sleeps |ms| milliseconds (of the test's own thread). */
void ts_sleep_ms(int64_t ms);

/** Payload |i| of |p| read as a JSON integer (0 when missing: the default of a missing
 * argument). */
int ts_json_int(const struct temporal_payloads *p, size_t i);

/** Appends the JSON number |v| to |out|. */
int ts_add_json_int(struct temporal_payloads *out, int v);

/** Payload |i| of |p| read as a JSON string into |buf| ("" when missing or not a string). */
void ts_json_str(const struct temporal_payloads *p, size_t i, char *buf, size_t cap);

/** Appends |text| as a JSON string to |out|. */
int ts_add_json_str(struct temporal_payloads *out, const char *text);

/** Asserts |rc| == 0, printing |err| when not. */
#define TS_OK(rc, err)                                                                        \
    do {                                                                                      \
        int ts_rc_ = (rc);                                                                    \
        if (ts_rc_ != 0)                                                                      \
            fail_msg("%s returned %s: %s", #rc, temporal_err_name(ts_rc_), (err).message);    \
    } while (0)

/** main() for a cmocka test file: `binary [case-glob]` runs all cases or the matching ones. */
#define TS_MAIN(tests)                                                                        \
    int main(int argc, char **argv)                                                           \
    {                                                                                         \
        if (argc > 1)                                                                         \
            cmocka_set_test_filter(argv[1]);                                                  \
        return cmocka_run_group_tests(tests, NULL, NULL);                                     \
    }

#endif
