/*
 * Lambda log lines: one JSON object per line on stderr, the shape of Lambda's own JSON log
 * format ("timestamp", "level", "message", "requestId"), or plain text when
 * AWS_LAMBDA_LOG_FORMAT=Text.  AWS_LAMBDA_LOG_LEVEL filters (TRACE and DEBUG show
 * everything; FATAL only fatal lines).  The environment is read once, at the first line.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lambda_int.h"

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int min_level = TEMPORAL_LOG_INFO;
static int text_format;

static pthread_mutex_t request_mu = PTHREAD_MUTEX_INITIALIZER;
static char request_id[256];

static void read_env(void)
{
    const char *fmt = getenv("AWS_LAMBDA_LOG_FORMAT");
    text_format = fmt != NULL && strcasecmp(fmt, "text") == 0;
    const char *lvl = getenv("AWS_LAMBDA_LOG_LEVEL");
    if (lvl == NULL)
        return;
    if (strcasecmp(lvl, "TRACE") == 0 || strcasecmp(lvl, "DEBUG") == 0)
        min_level = TEMPORAL_LOG_DEBUG;
    else if (strcasecmp(lvl, "WARN") == 0)
        min_level = TEMPORAL_LOG_WARN;
    else if (strcasecmp(lvl, "ERROR") == 0)
        min_level = TEMPORAL_LOG_ERROR;
    else if (strcasecmp(lvl, "FATAL") == 0)
        min_level = TL_LOG_FATAL;
}

void temporal_lambda__log_set_request_id(const char *id)
{
    pthread_mutex_lock(&request_mu);
    snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
    pthread_mutex_unlock(&request_mu);
}

static const char *level_name(int level)
{
    switch (level) {
    case TEMPORAL_LOG_DEBUG:
        return "DEBUG";
    case TEMPORAL_LOG_INFO:
        return "INFO";
    case TEMPORAL_LOG_WARN:
        return "WARN";
    case TEMPORAL_LOG_ERROR:
        return "ERROR";
    default:
        return "FATAL";
    }
}

/* The line and its newline in one system call, so that lines from several threads never
 * interleave (a short write, rare on a pipe, finishes with plain writes). */
static void write_line(const char *text)
{
    size_t len = strlen(text);
    struct iovec iov[2] = {{(void *)text, len}, {(void *)"\n", 1}};
    ssize_t n = writev(STDERR_FILENO, iov, 2);
    if (n < 0 || (size_t)n >= len + 1)
        return;
    size_t off = (size_t)n;
    while (off < len + 1) {
        const char *p = off < len ? text + off : "\n";
        size_t left = off < len ? len - off : 1;
        ssize_t w = write(STDERR_FILENO, p, left);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* Whether a line of |level| is written ($AWS_LAMBDA_LOG_LEVEL). */
static bool enabled(int level)
{
    pthread_once(&env_once, read_env);
    return level >= min_level;
}

static void text_line(const char *stamp, const char *rid, int level, const char *message,
                      json_t *fields)
{
    char *line = NULL;
    size_t line_len = 0;
    FILE *f = open_memstream(&line, &line_len);
    if (f == NULL)
        return;
    fprintf(f, "%s\t%s\t%s\t%s", stamp, rid[0] ? rid : "-", level_name(level), message);
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value)
    {
        if (json_is_string(value)) {
            fprintf(f, " %s=%s", key, json_string_value(value));
        } else {
            char *v = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(f, " %s=%s", key, v ? v : "?");
            free(v);
        }
    }
    if (fclose(f) == 0 && line != NULL)
        write_line(line);
    free(line);
}

/* Writes an enabled line; |fields| (may be NULL) is consumed. */
static void emit(int level, json_t *fields, const char *message)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[96];
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    char rid[sizeof(request_id)];
    pthread_mutex_lock(&request_mu);
    memcpy(rid, request_id, sizeof(rid));
    pthread_mutex_unlock(&request_mu);

    if (text_format) {
        text_line(stamp, rid, level, message, fields);
        json_decref(fields);
        return;
    }
    json_t *obj = json_object();
    if (obj != NULL) {
        json_object_set_new(obj, "timestamp", json_string(stamp));
        json_object_set_new(obj, "level", json_string(level_name(level)));
        json_object_set_new(obj, "message", json_string(message));
        if (rid[0])
            json_object_set_new(obj, "requestId", json_string(rid));
        if (fields != NULL)
            json_object_update_missing(obj, fields);
        char *text = json_dumps(obj, JSON_COMPACT);
        if (text != NULL)
            write_line(text);
        free(text);
        json_decref(obj);
    }
    json_decref(fields);
}

void temporal_lambda__log(int level, json_t *fields, const char *fmt, ...)
{
    if (!enabled(level)) {
        json_decref(fields);
        return;
    }
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    temporal_lambda__utf8_scrub(message);
    emit(level, fields, message);
}

void temporal_lambda_log(void *user_data, enum temporal_log_level level, const char *message)
{
    (void)user_data;
    if (!enabled((int)level))
        return;
    char *copy = strdup(message ? message : "");
    if (copy == NULL)
        return;
    temporal_lambda__utf8_scrub(copy);
    emit((int)level, NULL, copy);
    free(copy);
}
