/*
 * The metrics registry: a table of the metrics the SDK emits (name, kind, unit,
 * description) and, per metric, its series keyed by their labels, aggregated
 * cumulatively under one mutex.  Series are found through a small hash table.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "metrics_int.h"

/* Every metric the SDK records (spec: protocol.md section 6; sdk-core's names and units). */
struct metric_def {
    const char *name;
    enum temporal_metric_kind kind;
    const char *unit;
    const char *description;
};

static const struct metric_def METRICS[] = {
    {"temporal_request", TEMPORAL_METRIC_COUNTER, "1", "RPCs made to the server"},
    {"temporal_request_failure", TEMPORAL_METRIC_COUNTER, "1", "RPCs that failed"},
    {"temporal_request_latency", TEMPORAL_METRIC_HISTOGRAM, "ms", "Latency of RPCs"},
    {"temporal_long_request", TEMPORAL_METRIC_COUNTER, "1", "Long-poll RPCs made"},
    {"temporal_long_request_failure", TEMPORAL_METRIC_COUNTER, "1", "Long-poll RPCs that failed"},
    {"temporal_long_request_latency", TEMPORAL_METRIC_HISTOGRAM, "ms", "Latency of long polls"},
    {"temporal_worker_start", TEMPORAL_METRIC_COUNTER, "1", "Workers started"},
    {"temporal_num_pollers", TEMPORAL_METRIC_GAUGE, "1", "Pollers running"},
    {"temporal_workflow_task_queue_poll_succeed", TEMPORAL_METRIC_COUNTER, "1",
     "Workflow task polls that brought a task"},
    {"temporal_workflow_task_queue_poll_empty", TEMPORAL_METRIC_COUNTER, "1",
     "Workflow task polls that timed out empty"},
    {"temporal_workflow_task_schedule_to_start_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Workflow task wait in the queue"},
    {"temporal_workflow_task_execution_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Workflow task processing time"},
    {"temporal_workflow_task_replay_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Time spent replaying history"},
    {"temporal_workflow_task_execution_failed", TEMPORAL_METRIC_COUNTER, "1",
     "Workflow tasks that failed"},
    {"temporal_workflow_completed", TEMPORAL_METRIC_COUNTER, "1", "Workflows completed"},
    {"temporal_workflow_failed", TEMPORAL_METRIC_COUNTER, "1", "Workflows failed"},
    {"temporal_workflow_canceled", TEMPORAL_METRIC_COUNTER, "1", "Workflows cancelled"},
    {"temporal_workflow_continue_as_new", TEMPORAL_METRIC_COUNTER, "1",
     "Workflows continued as new"},
    {"temporal_workflow_endtoend_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Run start to close"},
    {"temporal_activity_poll_no_task", TEMPORAL_METRIC_COUNTER, "1",
     "Activity polls that timed out empty"},
    {"temporal_activity_task_received", TEMPORAL_METRIC_COUNTER, "1", "Activity tasks received"},
    {"temporal_activity_schedule_to_start_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Activity task wait in the queue"},
    {"temporal_activity_execution_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Activity function run time"},
    {"temporal_activity_succeed_endtoend_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Activity scheduled to successful completion"},
    {"temporal_activity_execution_failed", TEMPORAL_METRIC_COUNTER, "1", "Activity attempts failed"},
    {"temporal_sticky_cache_hit", TEMPORAL_METRIC_COUNTER, "1", "Tasks for a cached run"},
    {"temporal_sticky_cache_miss", TEMPORAL_METRIC_COUNTER, "1", "Tasks that needed a replay"},
    {"temporal_sticky_cache_size", TEMPORAL_METRIC_GAUGE, "1", "Runs in the cache"},
    {"temporal_worker_task_slots_available", TEMPORAL_METRIC_GAUGE, "1",
     "Task slots free to take a task"},
    {"temporal_worker_task_slots_used", TEMPORAL_METRIC_GAUGE, "1", "Task slots holding a task"},
    {"temporal_local_activity_total", TEMPORAL_METRIC_COUNTER, "1", "Local activity attempts run"},
    {"temporal_local_activity_execution_failed", TEMPORAL_METRIC_COUNTER, "1",
     "Local activity attempts failed"},
    {"temporal_local_activity_execution_cancelled", TEMPORAL_METRIC_COUNTER, "1",
     "Local activity attempts cancelled"},
    {"temporal_local_activity_execution_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Local activity function run time"},
    {"temporal_local_activity_succeed_endtoend_latency", TEMPORAL_METRIC_HISTOGRAM, "ms",
     "Local activity scheduled to successful completion"},
};

/* Latency bucket bounds in milliseconds. */
static const double BOUNDS_MS[] = {1,    10,   20,    50,    100,   200,   500,
                                   1000, 2000, 5000, 10000, 20000, 60000};
#define N_BOUNDS (sizeof(BOUNDS_MS) / sizeof(BOUNDS_MS[0]))
#define N_BUCKETS 256

struct series {
    const struct metric_def *def;
    char *key;       /* "name\x1fk\x1fv\x1f...", what series are found by */
    char *label_buf; /* a copy of |key| split in place, which |labels| point into */
    struct temporal_metric_label *labels;
    size_t label_count;
    int64_t value;
    uint64_t count;
    double sum;
    uint64_t buckets[N_BOUNDS + 1];
    uint64_t start_unix_nano;
    struct series *next_in_bucket;
    struct series *next; /* creation order */
};

struct temporal_metrics {
    pthread_mutex_t mu;
    struct series *buckets[N_BUCKETS];
    struct series *head, *tail;
};

int temporal_metrics_new(struct temporal_metrics **out)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return TEMPORAL_ENOMEM;
    pthread_mutex_init(&(*out)->mu, NULL);
    return 0;
}

void temporal_metrics_free(struct temporal_metrics *m)
{
    if (m == NULL)
        return;
    for (struct series *s = m->head, *next; s; s = next) {
        next = s->next;
        free(s->key);
        free(s->label_buf);
        free(s->labels);
        free(s);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const struct metric_def *find_def(const char *name)
{
    for (size_t i = 0; i < TEMPORAL__ARRAY_LEN(METRICS); i++)
        if (strcmp(METRICS[i].name, name) == 0)
            return &METRICS[i];
    return NULL;
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The series of |def| with |labels|, created on first use; NULL on OOM.  Under |mu|. */
static struct series *series_for(struct temporal_metrics *m, const struct metric_def *def,
                                 const char *const *labels)
{
    size_t n = 0, len = strlen(def->name) + 1;
    for (; labels && labels[2 * n]; n++)
        len += strlen(labels[2 * n]) + 1 +
               strlen(labels[2 * n + 1] ? labels[2 * n + 1] : "none") + 1;
    char stack[512];
    char *key = len < sizeof(stack) ? stack : malloc(len);
    if (key == NULL)
        return NULL;
    size_t off = 0;
    off += (size_t)snprintf(key + off, len - off, "%s", def->name);
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(key + off, len - off, "\x1f%s\x1f%s", labels[2 * i],
                                labels[2 * i + 1] ? labels[2 * i + 1] : "none");
    uint32_t b = hash(key) % N_BUCKETS;
    struct series *s = m->buckets[b];
    while (s && strcmp(s->key, key) != 0)
        s = s->next_in_bucket;
    if (s == NULL && (s = calloc(1, sizeof(*s))) != NULL) {
        s->def = def;
        s->key = strdup(key);
        s->label_buf = strdup(key);
        s->labels = calloc(n ? n : 1, sizeof(*s->labels));
        if (s->key == NULL || s->label_buf == NULL || s->labels == NULL) {
            free(s->key);
            free(s->label_buf);
            free(s->labels);
            free(s);
            s = NULL;
        } else {
            /* The labels point into the copy: "name\x1fk\x1fv..." split in place (the key
             * itself stays whole, or the series would never be found again). */
            char *p = strchr(s->label_buf, '\x1f');
            for (size_t i = 0; i < n && p; i++) {
                *p++ = '\0';
                s->labels[i].key = p;
                p = strchr(p, '\x1f');
                *p++ = '\0';
                s->labels[i].value = p;
                p = strchr(p, '\x1f');
            }
            s->label_count = n;
            s->start_unix_nano = (uint64_t)temporal__now_epoch_ms() * 1000000u;
            s->next_in_bucket = m->buckets[b];
            m->buckets[b] = s;
            if (m->tail)
                m->tail->next = s;
            else
                m->head = s;
            m->tail = s;
        }
    }
    if (key != stack)
        free(key);
    return s;
}

static void record(struct temporal_metrics *m, const char *name, enum temporal_metric_kind kind,
                   int64_t value, double ms, const char *const *labels)
{
    if (m == NULL)
        return;
    const struct metric_def *def = find_def(name);
    if (def == NULL || def->kind != kind)
        return; /* a name missing from METRICS is a bug caught by the tests */
    pthread_mutex_lock(&m->mu);
    struct series *s = series_for(m, def, labels);
    if (s != NULL) {
        switch (kind) {
        case TEMPORAL_METRIC_COUNTER:
            s->value += value;
            break;
        case TEMPORAL_METRIC_GAUGE:
            s->value = value;
            break;
        case TEMPORAL_METRIC_HISTOGRAM: {
            size_t i = 0;
            while (i < N_BOUNDS && ms > BOUNDS_MS[i])
                i++;
            s->buckets[i]++;
            s->count++;
            s->sum += ms;
            break;
        }
        }
    }
    pthread_mutex_unlock(&m->mu);
}

void temporal__metric_add(struct temporal_metrics *m, const char *name, int64_t delta,
                          const char *const *labels)
{
    record(m, name, TEMPORAL_METRIC_COUNTER, delta, 0, labels);
}

void temporal__metric_record_ms(struct temporal_metrics *m, const char *name, double ms,
                                const char *const *labels)
{
    record(m, name, TEMPORAL_METRIC_HISTOGRAM, 0, ms < 0 ? 0 : ms, labels);
}

void temporal__metric_set(struct temporal_metrics *m, const char *name, int64_t value,
                          const char *const *labels)
{
    record(m, name, TEMPORAL_METRIC_GAUGE, value, 0, labels);
}

void temporal_metrics_visit(struct temporal_metrics *m,
                            void (*fn)(void *user_data, const struct temporal_metric_point *p),
                            void *user_data)
{
    if (m == NULL || fn == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    for (struct series *s = m->head; s; s = s->next) {
        struct temporal_metric_point p = {
            .name = s->def->name,
            .description = s->def->description,
            .unit = s->def->unit,
            .kind = s->def->kind,
            .labels = s->labels,
            .label_count = s->label_count,
            .value = s->value,
            .count = s->count,
            .sum = s->sum,
            .bucket_counts = s->buckets,
            .bounds = BOUNDS_MS,
            .bound_count = N_BOUNDS,
            .start_time_unix_nano = s->start_unix_nano,
        };
        fn(user_data, &p);
    }
    pthread_mutex_unlock(&m->mu);
}
