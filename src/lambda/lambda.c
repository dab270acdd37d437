/*
 * The Lambda worker: init (envconfig, defaults, configure, versioning, validation), the
 * per-invocation lifecycle, and the runtime loop.  See include/temporal/lambda.h.
 *
 * Threads during an invocation: the calling thread (the runtime loop) computes the stop
 * time, connects, starts the worker on one extra thread (temporal_worker_run), waits until
 * the stop time, an idle exit or the worker's own end, stops and joins it, runs the hooks
 * and frees everything.  Nothing but the config outlives an invocation.
 */
#include <curl/curl.h>
#include <errno.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lambda_int.h"

/* The Lambda defaults of the official packages (spec/lambda-worker.md section 2). */
enum {
    DEFAULT_MAX_CONCURRENT_ACTIVITIES = 2,
    DEFAULT_MAX_CONCURRENT_LOCAL_ACTIVITIES = 2,
    DEFAULT_ACTIVITY_POLLERS = 1,
    DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS = 10,
    DEFAULT_WORKFLOW_POLLERS = 2,
    DEFAULT_MAX_CACHED_WORKFLOWS = 30,
    DEFAULT_GRACEFUL_SHUTDOWN_MS = 5000,
    BUFFER_OVER_GRACEFUL_MS = 2000,
    MIN_WORK_MS = 1000,  /* at or below: the invocation fails */
    WARN_WORK_MS = 5000, /* below: a warning */
    IDLE_CHECK_MS = 100,
};
/* Lambda's hard limit on an invocation: 15 minutes. */
#define MAX_INVOCATION_MS (15LL * 60 * 1000)

/* One registration, replayed onto every invocation's worker. */
struct registration {
    char *name;
    temporal_workflow_fn workflow; /* NULL for an activity */
    temporal_activity_fn activity;
    enum temporal_versioning_behavior behavior;
    void *user_data;
};

struct hook {
    temporal_lambda_hook_fn fn;
    void *user_data;
};

struct temporal_lambda_config_private {
    struct registration *regs;
    size_t reg_count;
    struct hook *hooks;
    size_t hook_count;
    /* The deadline of the invocation being served (epoch ms), for hooks that must finish
     * before it (the metrics flush). */
    int64_t deadline_epoch_ms;
    /* temporal_lambda_otel_apply_metrics() / _apply_tracing(): owned, freed with the worker.
     * One exporter serves both; the first call's endpoint, service name and period are kept
     * (otel_*) to rebuild it when the second adds its signal. */
    struct temporal_metrics *metrics;
    struct temporal_tracer *tracer;
    struct temporal_otel_exporter *exporter;
    char *otel_endpoint, *otel_service_name;
    int64_t otel_interval_ms;
    bool otel_hook_added;
};

struct temporal_lambda_worker {
    struct temporal_lambda_config cfg;
    struct temporal_lambda_config_private priv;
    struct temporal_config_profile profile;
    char *deployment_name;
    char *build_id;
    char *env_task_queue;
    char *config_file; /* the file envconfig read, for the startup line; NULL: $TEMPORAL_CONFIG_FILE */
    bool started_logged;
};

/* Helpers --------------------------------------------------------------------------------- */

int temporal_lambda__fail(struct temporal_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        err->code = code;
        err->grpc_status = -1;
        err->detail[0] = '\0';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds on the monotonic clock, and since the Unix epoch. */
static int64_t now_monotonic_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
static int64_t now_epoch_ms(void) { return clock_ms(CLOCK_REALTIME); }

/* Length of the well-formed UTF-8 sequence at |p| (1..4), or 0 if there is none. */
static size_t utf8_sequence(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xE0 && p[1] < 0xA0) || (n == 3 && p[0] == 0xED && p[1] >= 0xA0) ||
        (n == 4 && p[0] == 0xF0 && p[1] < 0x90) || (n == 4 && p[0] == 0xF4 && p[1] >= 0x90))
        return 0; /* overlong, surrogate, or beyond U+10FFFF */
    return n;
}

void temporal_lambda__utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static bool empty(const char *s) { return s == NULL || s[0] == '\0'; }

/* Registration ----------------------------------------------------------------------------- */

static int add_registration(struct temporal_lambda_config *cfg, const char *name,
                            temporal_workflow_fn wf, temporal_activity_fn act,
                            enum temporal_versioning_behavior behavior, void *user_data)
{
    if (cfg == NULL || cfg->private_ == NULL || empty(name) || (wf == NULL && act == NULL))
        return TEMPORAL_EINVAL;
    struct temporal_lambda_config_private *p = cfg->private_;
    for (size_t i = 0; i < p->reg_count; i++)
        if ((p->regs[i].workflow != NULL) == (wf != NULL) && strcmp(p->regs[i].name, name) == 0)
            return TEMPORAL_EALREADY_EXISTS;
    struct registration *regs = realloc(p->regs, (p->reg_count + 1) * sizeof(*regs));
    if (regs == NULL)
        return TEMPORAL_ENOMEM;
    p->regs = regs;
    char *copy = strdup(name);
    if (copy == NULL)
        return TEMPORAL_ENOMEM;
    regs[p->reg_count++] = (struct registration){copy, wf, act, behavior, user_data};
    return 0;
}

int temporal_lambda_register_workflow(struct temporal_lambda_config *cfg, const char *name,
                                      temporal_workflow_fn fn,
                                      enum temporal_versioning_behavior behavior,
                                      void *user_data)
{
    if (fn == NULL)
        return TEMPORAL_EINVAL;
    return add_registration(cfg, name, fn, NULL, behavior, user_data);
}

int temporal_lambda_register_activity(struct temporal_lambda_config *cfg, const char *name,
                                      temporal_activity_fn fn, void *user_data)
{
    if (fn == NULL)
        return TEMPORAL_EINVAL;
    return add_registration(cfg, name, NULL, fn, TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED,
                            user_data);
}

int temporal_lambda_on_shutdown(struct temporal_lambda_config *cfg, temporal_lambda_hook_fn hook,
                                void *user_data)
{
    if (cfg == NULL || cfg->private_ == NULL || hook == NULL)
        return TEMPORAL_EINVAL;
    struct temporal_lambda_config_private *p = cfg->private_;
    struct hook *hooks = realloc(p->hooks, (p->hook_count + 1) * sizeof(*hooks));
    if (hooks == NULL)
        return TEMPORAL_ENOMEM;
    p->hooks = hooks;
    hooks[p->hook_count++] = (struct hook){hook, user_data};
    return 0;
}

/* OpenTelemetry -------------------------------------------------------------------------------- */

enum { FLUSH_MARGIN_MS = 100, FLUSH_MAX_MS = 5000 };

/* The shutdown hook of the OpenTelemetry entry points: exports everything recorded,
 * finishing before the invocation's deadline. */
static int flush_telemetry(void *user_data, struct temporal_error *err)
{
    struct temporal_lambda_config_private *p = user_data;
    if (p->exporter == NULL)
        return 0; /* the entry point that added this hook failed later */
    int64_t left = p->deadline_epoch_ms - now_epoch_ms() - FLUSH_MARGIN_MS;
    int64_t timeout = left < FLUSH_MAX_MS ? left : FLUSH_MAX_MS;
    if (timeout < 1)
        return temporal_lambda__fail(err, TEMPORAL_ETIMEDOUT,
                                     "no time left before the invocation deadline to flush telemetry");
    int rc = temporal_otel_exporter_flush(p->exporter, timeout, err);
    if (rc == 0)
        temporal_lambda__log(TEMPORAL_LOG_DEBUG, NULL, "Telemetry flushed to %s",
                             temporal_otel_exporter_endpoint(p->exporter));
    return rc;
}

/* (Re)creates the exporter over the worker's registry and tracer; on the first call also
 * keeps |o|'s settings and adds the flush hook. */
static int build_exporter(struct temporal_lambda_config *cfg,
                          const struct temporal_lambda_otel_options *o, struct temporal_error *err)
{
    struct temporal_lambda_config_private *p = cfg->private_;
    bool first = p->exporter == NULL;
    if (first) {
        free(p->otel_endpoint); /* left by an earlier call that failed */
        free(p->otel_service_name);
        p->otel_endpoint = dup_or_null(o->endpoint);
        p->otel_service_name = dup_or_null(o->service_name);
        p->otel_interval_ms = o->metric_export_interval_ms;
        if ((o->endpoint && !p->otel_endpoint) || (o->service_name && !p->otel_service_name))
            return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    }
    struct temporal_otel_options eo = TEMPORAL_OTEL_OPTIONS_INIT;
    eo.endpoint = p->otel_endpoint;
    eo.service_name = p->otel_service_name;
    eo.fallback_service_name = "temporal-lambda-worker";
    eo.export_interval_ms = p->otel_interval_ms;
    /* Short, so that a missing collector never holds the end-of-invocation flush long. */
    eo.export_timeout_ms = 2000;
    eo.tracer = p->tracer;
    struct temporal_otel_exporter *e = NULL;
    int rc = temporal_otel_exporter_new(&e, p->metrics, &eo, err);
    if (rc == 0 && !p->otel_hook_added) {
        rc = temporal_lambda_on_shutdown(cfg, flush_telemetry, p);
        p->otel_hook_added = rc == 0;
    }
    if (rc != 0) {
        temporal_otel_exporter_free(e);
        return rc;
    }
    temporal_otel_exporter_free(p->exporter); /* before any invocation: nothing to send yet */
    p->exporter = e;
    return 0;
}

/* Copies |opts| into |o| and checks the config.  |what| names the entry point. */
static int otel_prologue(struct temporal_lambda_config *cfg,
                         const struct temporal_lambda_otel_options *opts,
                         struct temporal_lambda_otel_options *o, const char *what,
                         struct temporal_error *err)
{
    *o = (struct temporal_lambda_otel_options)TEMPORAL_LAMBDA_OTEL_OPTIONS_INIT;
    if (opts != NULL) {
        if (opts->self_size < sizeof(size_t) || opts->self_size > 4096)
            return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                         "%s: options must be made with TEMPORAL_LAMBDA_OTEL_OPTIONS_INIT", what);
        memcpy(o, opts, opts->self_size < sizeof(*o) ? opts->self_size : sizeof(*o));
    }
    if (cfg == NULL || cfg->private_ == NULL)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "%s needs the config", what);
    return 0;
}

int temporal_lambda_otel_apply_metrics(struct temporal_lambda_config *cfg,
                                       const struct temporal_lambda_otel_options *opts,
                                       struct temporal_error *err)
{
    struct temporal_lambda_otel_options o;
    int rc = otel_prologue(cfg, opts, &o, "temporal_lambda_otel_apply_metrics", err);
    if (rc != 0)
        return rc;
    struct temporal_lambda_config_private *p = cfg->private_;
    if (p->metrics != NULL)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "OpenTelemetry metrics are already applied");
    if ((rc = temporal_metrics_new(&p->metrics)) != 0)
        return temporal_lambda__fail(err, rc, "out of memory");
    if ((rc = build_exporter(cfg, &o, err)) != 0) {
        temporal_metrics_free(p->metrics);
        p->metrics = NULL;
        return rc;
    }
    cfg->client.metrics = p->metrics;
    return 0;
}

int temporal_lambda_otel_apply_tracing(struct temporal_lambda_config *cfg,
                                       const struct temporal_lambda_otel_options *opts,
                                       struct temporal_error *err)
{
    struct temporal_lambda_otel_options o;
    int rc = otel_prologue(cfg, opts, &o, "temporal_lambda_otel_apply_tracing", err);
    if (rc != 0)
        return rc;
    struct temporal_lambda_config_private *p = cfg->private_;
    if (p->tracer != NULL)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "OpenTelemetry tracing is already applied");
    if ((rc = temporal_tracer_new(&p->tracer, NULL, err)) != 0)
        return rc;
    if ((rc = build_exporter(cfg, &o, err)) != 0) {
        temporal_tracer_free(p->tracer);
        p->tracer = NULL;
        return rc;
    }
    cfg->client.tracer = p->tracer;
    return 0;
}

int temporal_lambda_otel_apply_defaults(struct temporal_lambda_config *cfg,
                                        const struct temporal_lambda_otel_options *opts,
                                        struct temporal_error *err)
{
    struct temporal_lambda_otel_options o;
    int rc = otel_prologue(cfg, opts, &o, "temporal_lambda_otel_apply_defaults", err);
    if (rc != 0)
        return rc;
    struct temporal_lambda_config_private *p = cfg->private_;
    if (p->metrics != NULL || p->tracer != NULL)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "OpenTelemetry defaults are already applied");
    if ((rc = temporal_lambda_otel_apply_metrics(cfg, &o, err)) != 0)
        return rc;
    if ((rc = temporal_lambda_otel_apply_tracing(cfg, &o, err)) != 0) {
        /* All or nothing: metrics alone would make a second call fail "already applied". */
        cfg->client.metrics = NULL;
        temporal_otel_exporter_free(p->exporter);
        p->exporter = NULL;
        temporal_metrics_free(p->metrics);
        p->metrics = NULL;
    }
    return rc;
}

/* Init ------------------------------------------------------------------------------------- */

static bool readable(const char *path) { return access(path, R_OK) == 0; }

/*
 * The config file: $TEMPORAL_CONFIG_FILE (envconfig reads it itself), else
 * $LAMBDA_TASK_ROOT/temporal.toml if readable, else ./temporal.toml (missing is fine).
 */
static int load_profile(struct temporal_lambda_worker *lw, struct temporal_error *err)
{
    if (empty(getenv("TEMPORAL_CONFIG_FILE"))) {
        const char *root = getenv("LAMBDA_TASK_ROOT");
        char path[4096];
        if (!empty(root)) {
            snprintf(path, sizeof(path), "%s/temporal.toml", root);
            if (readable(path))
                lw->config_file = strdup(path);
        }
        if (lw->config_file == NULL)
            lw->config_file = strdup("temporal.toml");
        if (lw->config_file == NULL)
            return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    }
    struct temporal_config_load_options opts = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    opts.config_file_path = lw->config_file;
    struct temporal_error e = {0};
    int rc = temporal_config_load_profile(&opts, &lw->profile, &e);
    if (rc == 0)
        rc = temporal_config_profile_client_options(&lw->profile, &lw->cfg.client, &e);
    if (rc != 0)
        return temporal_lambda__fail(err, rc, "loading client config: %s", e.message);
    return 0;
}

static void apply_defaults(struct temporal_lambda_worker *lw)
{
    struct temporal_worker_options w = TEMPORAL_WORKER_OPTIONS_INIT;
    w.task_queue = lw->env_task_queue;
    w.max_concurrent_activities = DEFAULT_MAX_CONCURRENT_ACTIVITIES;
    w.max_concurrent_local_activities = DEFAULT_MAX_CONCURRENT_LOCAL_ACTIVITIES;
    w.max_activity_pollers = DEFAULT_ACTIVITY_POLLERS;
    w.max_concurrent_workflow_tasks = DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS;
    w.max_workflow_pollers = DEFAULT_WORKFLOW_POLLERS;
    w.max_cached_workflows = DEFAULT_MAX_CACHED_WORKFLOWS;
    w.graceful_shutdown_timeout_ms = DEFAULT_GRACEFUL_SHUTDOWN_MS;
    w.deployment.default_versioning_behavior = TEMPORAL_VERSIONING_BEHAVIOR_PINNED;
    w.log_fn = temporal_lambda_log;
    lw->cfg.worker = w;
    struct temporal_client_options c = TEMPORAL_CLIENT_OPTIONS_INIT;
    lw->cfg.client = c;
    lw->cfg.self_size = sizeof(lw->cfg);
    lw->cfg.private_ = &lw->priv;
    lw->cfg.profile = &lw->profile;
}

/* Checks what configure left, and forces versioning on.  Messages say how to fix it. */
static int finish_config(struct temporal_lambda_worker *lw, struct temporal_error *err)
{
    struct temporal_lambda_config *cfg = &lw->cfg;
    cfg->worker.deployment.deployment_name = lw->deployment_name;
    cfg->worker.deployment.build_id = lw->build_id;
    cfg->worker.deployment.use_versioning = true;
    if (cfg->worker.deployment.default_versioning_behavior ==
        TEMPORAL_VERSIONING_BEHAVIOR_UNSPECIFIED)
        cfg->worker.deployment.default_versioning_behavior = TEMPORAL_VERSIONING_BEHAVIOR_PINNED;

    if (empty(cfg->worker.task_queue))
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "task queue not configured: set cfg->worker.task_queue in the configure "
                                     "callback or set the TEMPORAL_TASK_QUEUE environment variable");
    if (lw->priv.reg_count == 0)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "nothing to run: register workflows or activities in the configure "
                                     "callback (temporal_lambda_register_workflow / _activity)");
    if (cfg->worker.graceful_shutdown_timeout_ms < 0 ||
        cfg->worker.graceful_shutdown_timeout_ms > MAX_INVOCATION_MS)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "worker.graceful_shutdown_timeout_ms is %lld: it must be between 0 and "
                                     "%lld (Lambda's 15-minute limit)",
                                     (long long)cfg->worker.graceful_shutdown_timeout_ms,
                                     (long long)MAX_INVOCATION_MS);
    if (cfg->shutdown_deadline_buffer_ms < 0 || cfg->shutdown_deadline_buffer_ms > MAX_INVOCATION_MS)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "shutdown_deadline_buffer_ms is %lld: it must be between 0 (meaning "
                                     "graceful_shutdown_timeout_ms + 2000) and %lld",
                                     (long long)cfg->shutdown_deadline_buffer_ms, (long long)MAX_INVOCATION_MS);
    if (cfg->shutdown_deadline_buffer_ms == 0)
        cfg->shutdown_deadline_buffer_ms =
            cfg->worker.graceful_shutdown_timeout_ms + BUFFER_OVER_GRACEFUL_MS;
    if (cfg->shutdown_deadline_buffer_ms <= cfg->worker.graceful_shutdown_timeout_ms)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "shutdown_deadline_buffer_ms (%lld) must exceed "
                                     "worker.graceful_shutdown_timeout_ms (%lld), or Lambda ends the "
                                     "invocation while activities are still draining: raise the buffer "
                                     "(leave it 0 for graceful + 2000) or lower the graceful timeout",
                                     (long long)cfg->shutdown_deadline_buffer_ms,
                                     (long long)cfg->worker.graceful_shutdown_timeout_ms);
    if (cfg->idle_exit_ms < 0)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "idle_exit_ms is %lld: it must not be negative (0 turns idle exit off)",
                                     (long long)cfg->idle_exit_ms);
    return 0;
}

int temporal_lambda_worker_new(struct temporal_lambda_worker **out,
                               const struct temporal_deployment_version *version,
                               temporal_lambda_configure_fn configure, void *user_data,
                               struct temporal_error *err)
{
    if (out == NULL)
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "temporal_lambda_worker_new needs |out|");
    *out = NULL;
    if (version == NULL || empty(version->deployment_name) || empty(version->build_id))
        return temporal_lambda__fail(err, TEMPORAL_EINVAL,
                                     "version is required (deployment_name and build_id must be set): pass "
                                     "the Worker Deployment Version this function serves, e.g. "
                                     "{\"my-app\", \"build-1\"}");
    struct temporal_lambda_worker *lw = calloc(1, sizeof(*lw));
    if (lw == NULL)
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    lw->deployment_name = strdup(version->deployment_name);
    lw->build_id = strdup(version->build_id);
    lw->env_task_queue = dup_or_null(getenv("TEMPORAL_TASK_QUEUE"));
    if (lw->deployment_name == NULL || lw->build_id == NULL) {
        temporal_lambda_worker_free(lw);
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    }
    apply_defaults(lw);
    int rc = load_profile(lw, err);
    if (rc == 0 && configure != NULL) {
        struct temporal_error e = {0};
        rc = configure(&lw->cfg, user_data, &e);
        if (rc != 0)
            temporal_lambda__fail(err, rc, "configure callback failed: %s",
                                  e.message[0] ? e.message : temporal_strerror(rc));
    }
    if (rc == 0)
        rc = finish_config(lw, err);
    if (rc != 0) {
        temporal_lambda_worker_free(lw);
        return rc;
    }
    *out = lw;
    return 0;
}

const struct temporal_lambda_config *
temporal_lambda_worker_config(const struct temporal_lambda_worker *lw)
{
    return lw ? &lw->cfg : NULL;
}

void temporal_lambda_worker_free(struct temporal_lambda_worker *lw)
{
    if (lw == NULL)
        return;
    for (size_t i = 0; i < lw->priv.reg_count; i++)
        free(lw->priv.regs[i].name);
    free(lw->priv.regs);
    free(lw->priv.hooks);
    temporal_otel_exporter_free(lw->priv.exporter);
    temporal_metrics_free(lw->priv.metrics);
    temporal_tracer_free(lw->priv.tracer);
    free(lw->priv.otel_endpoint);
    free(lw->priv.otel_service_name);
    temporal_config_profile_cleanup(&lw->profile);
    free(lw->deployment_name);
    free(lw->build_id);
    free(lw->env_task_queue);
    free(lw->config_file);
    free(lw);
}

/* One invocation ---------------------------------------------------------------------------- */

/* The worker's thread and what the invocation thread waits on. */
struct run_state {
    struct temporal_worker *worker;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    bool done;
    int rc;
    struct temporal_error err;
};

static void *worker_thread(void *arg)
{
    struct run_state *rs = arg;
    struct temporal_error e = {0};
    int rc = temporal_worker_run(rs->worker, &e);
    pthread_mutex_lock(&rs->mu);
    rs->done = true;
    rs->rc = rc;
    rs->err = e;
    pthread_cond_broadcast(&rs->cv);
    pthread_mutex_unlock(&rs->mu);
    return NULL;
}

static void timespec_at_monotonic_ms(struct timespec *ts, int64_t ms)
{
    ts->tv_sec = (time_t)(ms / 1000);
    ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

/* Why polling stopped. */
static const char *wait_for_stop(struct run_state *rs, int64_t stop_at_ms, int64_t idle_exit_ms)
{
    const char *reason = "deadline";
    pthread_mutex_lock(&rs->mu);
    for (;;) {
        if (rs->done) {
            reason = "worker ended";
            break;
        }
        int64_t now = now_monotonic_ms();
        if (now >= stop_at_ms)
            break;
        if (idle_exit_ms > 0 && temporal_worker_idle_ms(rs->worker) >= idle_exit_ms) {
            reason = "idle";
            break;
        }
        int64_t wake = stop_at_ms;
        if (idle_exit_ms > 0 && now + IDLE_CHECK_MS < wake)
            wake = now + IDLE_CHECK_MS;
        struct timespec ts;
        timespec_at_monotonic_ms(&ts, wake);
        pthread_cond_timedwait(&rs->cv, &rs->mu, &ts);
    }
    pthread_mutex_unlock(&rs->mu);
    return reason;
}

static int register_all(struct temporal_lambda_worker *lw, struct temporal_worker *w,
                        struct temporal_error *err)
{
    for (size_t i = 0; i < lw->priv.reg_count; i++) {
        const struct registration *r = &lw->priv.regs[i];
        int rc = r->workflow
                     ? temporal_worker_register_workflow(w, r->name, r->workflow, r->behavior,
                                                         r->user_data)
                     : temporal_worker_register_activity(w, r->name, r->activity, r->user_data);
        if (rc != 0)
            return temporal_lambda__fail(err, rc, "registering %s %s: %s", r->workflow ? "workflow" : "activity",
                                         r->name, temporal_strerror(rc));
    }
    return 0;
}

/* A client timeout (0 or less: the client's default, 10 s) cut to |left| ms, at least 1. */
static int64_t cap_timeout(int64_t timeout_ms, int64_t left)
{
    int64_t t = timeout_ms > 0 ? timeout_ms : 10000;
    if (t > left)
        t = left;
    return t < 1 ? 1 : t;
}

/* Connects, runs the worker until |stop_at_ms| (monotonic) and stops it. */
static int run_until(struct temporal_lambda_worker *lw, const char *identity, int64_t stop_at_ms,
                     struct temporal_error *err)
{
    const struct temporal_lambda_config *cfg = &lw->cfg;
    struct temporal_client_options copts = cfg->client;
    copts.identity = identity;
    /* Neither connecting nor any single call (DescribeNamespace at start, say) may outlast
     * the work time. */
    int64_t left = stop_at_ms - now_monotonic_ms();
    copts.connect_timeout_ms = cap_timeout(copts.connect_timeout_ms, left);
    copts.rpc_timeout_ms = cap_timeout(copts.rpc_timeout_ms, left);

    struct temporal_client *client = NULL;
    struct temporal_error e = {0};
    int rc = temporal_client_connect(&client, &copts, &e);
    if (rc != 0)
        return temporal_lambda__fail(err, rc, "dialing Temporal server at %s: %s",
                                     copts.target ? copts.target : "?", e.message);

    struct temporal_worker_options wopts = cfg->worker;
    if (wopts.identity == NULL)
        wopts.identity = identity;
    /* The worker's shutdown gets the graceful timeout plus half of the rest of the buffer;
     * the other half is for the hooks, freeing and posting the response. */
    wopts.shutdown_timeout_ms =
        wopts.graceful_shutdown_timeout_ms +
        (cfg->shutdown_deadline_buffer_ms - wopts.graceful_shutdown_timeout_ms) / 2;
    struct temporal_worker *worker = NULL;
    rc = temporal_worker_new(&worker, client, &wopts, &e);
    if (rc != 0)
        temporal_lambda__fail(err, rc, "starting worker: %s", e.message);
    else
        rc = register_all(lw, worker, err);

    if (rc == 0) {
        struct run_state rs = {.worker = worker};
        pthread_mutex_init(&rs.mu, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&rs.cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_t tid;
        int prc = pthread_create(&tid, NULL, worker_thread, &rs);
        if (prc != 0) {
            rc = temporal_lambda__fail(err, TEMPORAL_ENOMEM, "starting worker: no thread: %s", strerror(prc));
        } else {
            const char *reason = wait_for_stop(&rs, stop_at_ms, cfg->idle_exit_ms);
            int64_t stop_started = now_monotonic_ms();
            temporal_lambda__log(TEMPORAL_LOG_INFO, json_pack("{s:s}", "reason", reason),
                                 "Stopping the worker (%s)", reason);
            temporal_worker_stop(worker);
            pthread_join(tid, NULL);
            temporal_lambda__log(TEMPORAL_LOG_INFO,
                                 json_pack("{s:I}", "shutdownMs", (json_int_t)(now_monotonic_ms() - stop_started)),
                                 "Worker stopped");
            if (rs.rc != 0) {
                rc = rs.rc;
                temporal_lambda__fail(err, rc, "worker: %s", rs.err.message);
            }
        }
        pthread_cond_destroy(&rs.cv);
        pthread_mutex_destroy(&rs.mu);
    }
    temporal_worker_free(worker);
    temporal_client_free(client);
    return rc;
}

static void run_hooks(struct temporal_lambda_worker *lw)
{
    for (size_t i = 0; i < lw->priv.hook_count; i++) {
        struct temporal_error e = {0};
        int rc = lw->priv.hooks[i].fn(lw->priv.hooks[i].user_data, &e);
        if (rc != 0)
            temporal_lambda__log(TEMPORAL_LOG_ERROR, json_pack("{s:i, s:s}", "hook", (int)i, "error",
                                                               temporal_err_name(rc)),
                                 "Lambda worker shutdown hook failed: %s",
                                 e.message[0] ? e.message : temporal_strerror(rc));
    }
}

static void log_startup(struct temporal_lambda_worker *lw, const char *identity, int64_t work_ms)
{
    const struct temporal_lambda_config *cfg = &lw->cfg;
    const char *file = lw->config_file ? lw->config_file : getenv("TEMPORAL_CONFIG_FILE");
    temporal_lambda__log(TEMPORAL_LOG_INFO,
                         json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "deploymentName",
                                   lw->deployment_name, "buildId", lw->build_id, "taskQueue",
                                   cfg->worker.task_queue, "namespace",
                                   cfg->client.namespace_name ? cfg->client.namespace_name : "default",
                                   "address", cfg->client.target ? cfg->client.target : "localhost:7233",
                                   "identity", identity, "configFile", file ? file : "",
                                   "workTimeMs", (json_int_t)work_ms, "shutdownBufferMs",
                                   (json_int_t)cfg->shutdown_deadline_buffer_ms, "idleExitMs",
                                   (json_int_t)cfg->idle_exit_ms),
                         "Temporal Lambda worker starting: deployment %s, build %s, task queue %s",
                         lw->deployment_name, lw->build_id, cfg->worker.task_queue);
}

int temporal_lambda_worker_invoke(struct temporal_lambda_worker *lw,
                                  const struct temporal_lambda_invocation *inv,
                                  struct temporal_error *err)
{
    if (lw == NULL || inv == NULL || empty(inv->request_id))
        return temporal_lambda__fail(err, TEMPORAL_EINVAL, "an invocation needs a worker and a request id");
    if (inv->deadline_epoch_ms <= 0)
        return temporal_lambda__fail(err, TEMPORAL_ELAMBDA_RUNTIME,
                                     "the invocation has no deadline (Lambda-Runtime-Deadline-Ms)");
    /* ONE absolute stop time, fixed before connecting so that connect time cannot push it. */
    int64_t start_ms = now_monotonic_ms();
    int64_t remaining = inv->deadline_epoch_ms - now_epoch_ms();
    int64_t buffer = lw->cfg.shutdown_deadline_buffer_ms;
    int64_t work = remaining - buffer;
    int64_t stop_at = start_ms + work;

    lw->priv.deadline_epoch_ms = inv->deadline_epoch_ms;
    temporal_lambda__log_set_request_id(inv->request_id);
    if (!empty(inv->trace_id))
        setenv("_X_AMZN_TRACE_ID", inv->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    /* Spans without a parent of their own join this invocation's trace. */
    if (lw->priv.tracer != NULL &&
        temporal_tracer_set_default_parent(lw->priv.tracer, inv->trace_id) != 0)
        temporal_lambda__log(TEMPORAL_LOG_DEBUG, NULL, "The invocation's trace header is not an X-Ray trace: '%s'",
                             inv->trace_id);
    char identity[1024];
    snprintf(identity, sizeof(identity), "%s@%s", inv->request_id,
             empty(inv->invoked_function_arn) ? "unknown" : inv->invoked_function_arn);

    int rc = 0;
    if (work <= MIN_WORK_MS) {
        rc = temporal_lambda__fail(err, TEMPORAL_ELAMBDA_TIME,
                                   "Insufficient time for Lambda worker: %lldms remaining, %lldms shutdown "
                                   "buffer, only %lldms work time (minimum: %dms); increase the function "
                                   "timeout or decrease shutdown_deadline_buffer_ms",
                                   (long long)remaining, (long long)buffer, (long long)work, MIN_WORK_MS);
    } else {
        if (!lw->started_logged) {
            log_startup(lw, identity, work);
            lw->started_logged = true;
        }
        if (work < WARN_WORK_MS)
            temporal_lambda__log(TEMPORAL_LOG_WARN,
                                 json_pack("{s:I, s:I, s:I}", "remainingMs", (json_int_t)remaining,
                                           "shutdownBufferMs", (json_int_t)buffer, "workTimeMs",
                                           (json_int_t)work),
                                 "Low work time available for Lambda worker: less than %dms after the "
                                 "shutdown buffer; increase the function timeout or decrease "
                                 "shutdown_deadline_buffer_ms",
                                 WARN_WORK_MS);
        rc = run_until(lw, identity, stop_at, err);
    }
    run_hooks(lw);
    if (rc != 0)
        temporal_lambda__log(TEMPORAL_LOG_ERROR, json_pack("{s:s}", "error", temporal_err_name(rc)),
                             "Invocation failed: %s", err ? err->message : temporal_strerror(rc));
    temporal_lambda__log(TEMPORAL_LOG_INFO,
                         json_pack("{s:I, s:I}", "durationMs", (json_int_t)(now_monotonic_ms() - start_ms),
                                   "marginMs", (json_int_t)(inv->deadline_epoch_ms - now_epoch_ms())),
                         "Invocation done");
    return rc;
}

/* gRPC's own log lines, as Lambda log lines (else they would be the only non-JSON lines):
 * its errors are warnings here (the failure they explain is reported by us as an error). */
static void grpc_log(gpr_log_func_args *args)
{
    char source[256];
    snprintf(source, sizeof(source), "%s:%d", args->file ? args->file : "?", args->line);
    int level = args->severity == GPR_LOG_SEVERITY_ERROR ? TEMPORAL_LOG_WARN : TEMPORAL_LOG_DEBUG;
    temporal_lambda__log(level, json_pack("{s:s}", "source", source), "gRPC: %s",
                         args->message ? args->message : "");
}

/* The runtime loop --------------------------------------------------------------------------- */

static int fatal(struct runtime_client *rt, struct temporal_lambda_worker *lw, const char *what,
                     const struct temporal_error *e)
{
    temporal_lambda__log(TL_LOG_FATAL, json_pack("{s:s}", "error", temporal_err_name(e->code)),
                         "fatal error running lambda worker: %s: %s", what, e->message);
    temporal_lambda_worker_free(lw);
    temporal_lambda__runtime_close(rt);
    curl_global_cleanup();
    return 1;
}

int temporal_lambda_run_worker(const struct temporal_deployment_version *version,
                               temporal_lambda_configure_fn configure, void *user_data)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    gpr_set_log_function(grpc_log);
    struct temporal_error e = {0};
    struct runtime_client *rt = NULL;
    if (temporal_lambda__runtime_open(&rt, getenv("AWS_LAMBDA_RUNTIME_API"), &e) != 0)
        return fatal(NULL, NULL, "init", &e);

    struct temporal_lambda_worker *lw = NULL;
    if (temporal_lambda_worker_new(&lw, version, configure, user_data, &e) != 0) {
        struct temporal_error pe = {0};
        if (temporal_lambda__runtime_post_error(rt, NULL, temporal_err_name(e.code), e.message, &pe) != 0)
            temporal_lambda__log(TEMPORAL_LOG_ERROR, NULL, "could not report the init error: %s", pe.message);
        return fatal(rt, NULL, "init", &e);
    }
    for (;;) {
        struct runtime_next next;
        if (temporal_lambda__runtime_next(rt, &next, &e) != 0)
            return fatal(rt, lw, "next invocation", &e);
        struct temporal_lambda_invocation inv = {
            .request_id = next.request_id,
            .invoked_function_arn = next.function_arn,
            .deadline_epoch_ms = next.deadline_epoch_ms,
            .trace_id = next.trace_id,
        };
        struct temporal_error ie = {0};
        int rc = temporal_lambda_worker_invoke(lw, &inv, &ie);
        int posted = rc == 0 ? temporal_lambda__runtime_respond(rt, next.request_id, "null", &e)
                             : temporal_lambda__runtime_post_error(rt, next.request_id, temporal_err_name(rc),
                                                                   ie.message, &e);
        if (posted != 0)
            return fatal(rt, lw, "posting the invocation result", &e);
    }
}
