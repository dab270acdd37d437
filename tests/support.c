/*
 * Test support.  See support.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

#define MAX_STATE_FILES 16

const char *ts_state(const char *name)
{
    static struct {
        char name[64];
        char value[512];
    } cache[MAX_STATE_FILES];
    static int used;
    for (int i = 0; i < used; i++)
        if (strcmp(cache[i].name, name) == 0)
            return cache[i].value;
    const char *dir = getenv("TEMPORAL_TEST_STATE");
    if (dir == NULL)
        fail_msg("TEMPORAL_TEST_STATE is not set: run integration tests through ctest");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("harness state file %s is missing: did the harness_start fixture run?", path);
    if (used >= MAX_STATE_FILES)
        fail_msg("too many state files");
    snprintf(cache[used].name, sizeof(cache[used].name), "%s", name);
    size_t n = fread(cache[used].value, 1, sizeof(cache[used].value) - 1, f);
    fclose(f);
    while (n > 0 && (cache[used].value[n - 1] == '\n' || cache[used].value[n - 1] == ' '))
        n--;
    cache[used].value[n] = '\0';
    return cache[used++].value;
}

void ts_unique(char *buf, size_t cap, const char *prefix)
{
    static int counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, cap, "%s-%ld-%d-%lx", prefix, (long)getpid(), ++counter,
             (unsigned long)(ts.tv_nsec ^ ts.tv_sec));
}

struct temporal_client *ts_connect(void)
{
    return ts_connect_traced(NULL);
}

struct temporal_client *ts_connect_traced(struct temporal_tracer *tracer)
{
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    o.target = ts_state("address");
    o.tracer = tracer;
    struct temporal_error err;
    struct temporal_client *c = NULL;
    TS_OK(temporal_client_connect(&c, &o, &err), err);
    return c;
}

static int run_cli(char *out, size_t cap, const char *extra, const char *fmt, va_list ap)
{
    char args[4096], cmd[8192];
    vsnprintf(args, sizeof(args), fmt, ap);
    const char *cli = getenv("TEMPORAL_CLI");
    snprintf(cmd, sizeof(cmd), "'%s' %s --address %s %s 2>&1", cli ? cli : "temporal", args,
             ts_state("address"), extra);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        fail_msg("cannot run %s", cmd);
    size_t n = 0;
    char sink[4096];
    for (;;) {
        char *dst = out && n + 1 < cap ? out + n : sink;
        size_t room = out && n + 1 < cap ? cap - 1 - n : sizeof(sink);
        size_t got = fread(dst, 1, room, p);
        if (got == 0)
            break;
        if (dst != sink)
            n += got;
    }
    if (out != NULL)
        out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ts_cli(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = run_cli(out, cap, "", fmt, ap);
    va_end(ap);
    return rc;
}

json_t *ts_cli_json(const char *fmt, ...)
{
    size_t cap = 4 << 20;
    char *out = malloc(cap);
    va_list ap;
    va_start(ap, fmt);
    int rc = run_cli(out, cap, "-o json", fmt, ap);
    va_end(ap);
    json_t *j = NULL;
    if (rc == 0) {
        json_error_t jerr;
        j = json_loads(out, 0, &jerr);
        if (j == NULL)
            print_error("CLI output is not JSON (%s): %.300s\n", jerr.text, out);
    } else {
        print_error("CLI exited %d: %.500s\n", rc, out);
    }
    free(out);
    return j;
}

static void *worker_thread(void *arg)
{
    struct ts_worker *tw = arg;
    tw->rc = temporal_worker_run(tw->worker, &tw->err);
    return NULL;
}

void ts_worker_run(struct ts_worker *tw)
{
    assert_int_equal(pthread_create(&tw->thread, NULL, worker_thread, tw), 0);
}

void ts_worker_stop(struct ts_worker *tw)
{
    temporal_worker_stop(tw->worker);
    pthread_join(tw->thread, NULL);
    TS_OK(tw->rc, tw->err);
    temporal_worker_free(tw->worker);
    temporal_client_free(tw->client);
}

void ts_feature_worker(struct ts_worker *tw, const char *prefix, int32_t max_cached,
                       ts_register_fn reg)
{
    ts_feature_worker_traced(tw, NULL, prefix, max_cached, reg);
}

void ts_feature_worker_traced(struct ts_worker *tw, struct temporal_tracer *tracer,
                              const char *prefix, int32_t max_cached, ts_register_fn reg)
{
    memset(tw, 0, sizeof(*tw));
    ts_unique(tw->task_queue, sizeof(tw->task_queue), prefix);
    tw->client = ts_connect_traced(tracer);
    struct temporal_worker_options o = TEMPORAL_WORKER_OPTIONS_INIT;
    o.task_queue = tw->task_queue;
    o.max_cached_workflows = max_cached;
    struct temporal_error err;
    TS_OK(temporal_worker_new(&tw->worker, tw->client, &o, &err), err);
    reg(tw->worker);
    ts_worker_run(tw);
}

void ts_feature_start(struct ts_worker *tw, const char *type, const struct temporal_payloads *args,
                      char *id, size_t cap)
{
    static int n;
    snprintf(id, cap, "%s-%d", tw->task_queue, __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = type;
    so.task_queue = tw->task_queue;
    so.execution_timeout_ms = 60000;
    struct temporal_error err;
    TS_OK(temporal_client_start_workflow(tw->client, &so, args, NULL, &err), err);
}

int ts_feature_result(struct ts_worker *tw, const char *id, struct temporal_payloads *result,
                      struct temporal_error *err)
{
    return temporal_client_get_workflow_result(tw->client, id, NULL, 60000, result, err);
}

int ts_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s);
    return ntohs(a.sin_port);
}

bool ts_port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    return ok;
}

void ts_set_current_version(const char *deployment, const char *build_id)
{
    int rc = 1;
    for (int i = 0; i < 50 && rc != 0; i++) {
        rc = ts_cli(NULL, 0,
                    "worker deployment set-current-version --deployment-name %s --build-id %s -y",
                    deployment, build_id);
        if (rc != 0)
            ts_sleep_ms(200);
    }
    if (rc != 0)
        fail_msg("could not make %s / %s the current version", deployment, build_id);
}

int64_t ts_deadline_in_ms(int64_t ms)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + ms;
}

void ts_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int ts_json_int(const struct temporal_payloads *p, size_t i)
{
    return p != NULL && p->count > i ? atoi((const char *)p->items[i].data) : 0;
}

int ts_add_json_int(struct temporal_payloads *out, int v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%d", v);
    return temporal_payloads_add_json(out, buf, (size_t)n);
}

void ts_json_str(const struct temporal_payloads *p, size_t i, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (p == NULL || p->count <= i)
        return;
    json_t *j = json_loadb((const char *)p->items[i].data, p->items[i].data_len, JSON_DECODE_ANY,
                           NULL);
    snprintf(buf, cap, "%s", json_is_string(j) ? json_string_value(j) : "");
    json_decref(j);
}

int ts_add_json_str(struct temporal_payloads *out, const char *text)
{
    json_t *j = json_string(text);
    char *s = json_dumps(j, JSON_ENCODE_ANY);
    int rc = s ? temporal_payloads_add_json(out, s, strlen(s)) : TEMPORAL_ENOMEM;
    free(s);
    json_decref(j);
    return rc;
}

int ts_try_connect(struct temporal_client_options *o, const char *workflow_type,
                   struct temporal_error *err)
{
    struct temporal_client *c = NULL;
    o->connect_timeout_ms = 30000;
    int rc = temporal_client_connect(&c, o, err);
    if (rc != 0) {
        assert_null(c);
        print_message("%s: %s\n", temporal_err_name(rc), err->message);
        return rc;
    }
    char id[96];
    ts_unique(id, sizeof(id), "connect");
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = workflow_type;
    so.task_queue = "temporal-c-no-worker";
    TS_OK(temporal_client_start_workflow(c, &so, NULL, NULL, err), *err);
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(c, id, NULL, &d, err), *err);
    assert_string_equal(d.workflow_type, workflow_type);
    assert_string_equal(d.workflow_id, id);
    temporal_workflow_description_cleanup(&d);
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, NULL, err), *err);
    temporal_client_free(c);
    return 0;
}

struct waiter_state {
    char state[32];
    char value[128];
};

static void waiter_on_finish(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                             void *arg)
{
    (void)ctx;
    struct waiter_state *s = arg;
    char *v = NULL;
    if (args->count > 0 && temporal_payload_get_string(&args->items[0], &v) == 0) {
        snprintf(s->value, sizeof(s->value), "%s", v);
        temporal_free(v);
    }
    snprintf(s->state, sizeof(s->state), "finished");
}

static int waiter_state_query(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *args,
                              struct temporal_payloads *result, void *arg)
{
    (void)ctx, (void)args;
    return temporal_payloads_add_string(result, ((struct waiter_state *)arg)->state);
}

static bool waiter_finished(struct temporal_workflow_ctx *ctx, void *arg)
{
    (void)ctx;
    return strcmp(((struct waiter_state *)arg)->state, "finished") == 0;
}

int ts_waiter_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                       struct temporal_payloads *out)
{
    (void)in;
    /* Handlers' state lives with the run: queries are answered after the function returns. */
    struct waiter_state *s = temporal_workflow_alloc(ctx, sizeof(*s));
    if (s == NULL)
        return TEMPORAL_ENOMEM;
    snprintf(s->state, sizeof(s->state), "waiting");
    temporal_workflow_on_signal(ctx, "finish", waiter_on_finish, s);
    temporal_workflow_on_query(ctx, "state", waiter_state_query, s);
    int rc = temporal_workflow_wait_condition(ctx, waiter_finished, s);
    return rc ? rc : temporal_payloads_add_string(out, s->value);
}

int ts_hello_workflow(struct temporal_workflow_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out)
{
    struct temporal_activity_options o = TEMPORAL_ACTIVITY_OPTIONS_INIT;
    o.start_to_close_timeout_ms = 30000;
    return temporal_workflow_execute_activity(ctx, "hello", in, &o, out);
}

enum temporal_workflow_status ts_workflow_status(struct temporal_client *client, const char *id)
{
    struct temporal_workflow_description d;
    struct temporal_error err;
    TS_OK(temporal_client_describe_workflow(client, id, NULL, &d, &err), err);
    enum temporal_workflow_status status = d.status;
    temporal_workflow_description_cleanup(&d);
    return status;
}

int ts_hello_activity(struct temporal_activity_ctx *ctx, const struct temporal_payloads *in,
                      struct temporal_payloads *out, void *user_data)
{
    (void)user_data;
    char *name = NULL;
    if (in->count < 1 || temporal_payload_get_string(&in->items[0], &name) != 0)
        return temporal_activity_fail(ctx, "BadInput", "expected a name", true, NULL);
    char text[256];
    snprintf(text, sizeof(text), "Hello, %s!", name);
    temporal_free(name);
    return temporal_payloads_add_string(out, text);
}
