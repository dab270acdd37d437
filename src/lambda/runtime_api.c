/*
 * The Lambda Runtime API client (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html),
 * over libcurl: GET  /2018-06-01/runtime/invocation/next
 *               POST /2018-06-01/runtime/invocation/<id>/response
 *               POST /2018-06-01/runtime/invocation/<id>/error
 *               POST /2018-06-01/runtime/init/error
 * One easy handle, reused so that the loopback connection stays open between calls.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambda_int.h"

struct runtime_client {
    CURL *curl;
    char base[512]; /* "http://<api>/2018-06-01/runtime" */
};

/* The body of a response, kept only up to a bound (an error text); the event is discarded. */
struct body {
    char text[1024];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n;
    size_t room = sizeof(b->text) - 1 - b->len;
    size_t take = len < room ? len : room;
    memcpy(b->text + b->len, data, take);
    b->len += take;
    b->text[b->len] = '\0';
    return len;
}

/* Copies the value of header line |line| into |out| if its name is |name|. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vlen = (size_t)(end - v);
    if (vlen >= cap)
        vlen = cap - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct runtime_next *next = arg;
    size_t len = size * n;
    char deadline[32] = "";
    header_value(data, len, "Lambda-Runtime-Aws-Request-Id", next->request_id,
                 sizeof(next->request_id));
    header_value(data, len, "Lambda-Runtime-Invoked-Function-Arn", next->function_arn,
                 sizeof(next->function_arn));
    header_value(data, len, "Lambda-Runtime-Trace-Id", next->trace_id, sizeof(next->trace_id));
    header_value(data, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof(deadline));
    if (deadline[0]) {
        char *end;
        long long ms = strtoll(deadline, &end, 10);
        next->deadline_epoch_ms = (*end == '\0' && ms > 0) ? (int64_t)ms : 0;
    }
    return len;
}

int temporal_lambda__runtime_open(struct runtime_client **out, const char *api, struct temporal_error *err)
{
    *out = NULL;
    if (api == NULL || api[0] == '\0')
        return temporal_lambda__fail(err, TEMPORAL_ELAMBDA_RUNTIME,
                                     "AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda custom "
                                     "runtime (bootstrap); run it on AWS Lambda or under aws-lambda-rie");
    struct runtime_client *rt = calloc(1, sizeof(*rt));
    if (rt == NULL)
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    rt->curl = curl_easy_init();
    if (rt->curl == NULL) {
        free(rt);
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "curl_easy_init failed");
    }
    snprintf(rt->base, sizeof(rt->base), "http://%s/2018-06-01/runtime", api);
    *out = rt;
    return 0;
}

void temporal_lambda__runtime_close(struct runtime_client *rt)
{
    if (rt == NULL)
        return;
    curl_easy_cleanup(rt->curl);
    free(rt);
}

/* One request.  |post| NULL means GET.  Fails unless the status is 2xx. */
static int request(struct runtime_client *rt, const char *path, const char *post,
                       struct curl_slist *headers, struct runtime_next *next, struct temporal_error *err)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", rt->base, path);
    struct body body = {.len = 0};
    body.text[0] = '\0';
    CURL *c = rt->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (next != NULL) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, next);
    }
    if (post != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
    }
    if (headers != NULL)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        return temporal_lambda__fail(err, TEMPORAL_ELAMBDA_RUNTIME, "Lambda Runtime API %s %s: %s",
                                     post ? "POST" : "GET", path, curl_easy_strerror(cc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return temporal_lambda__fail(err, TEMPORAL_ELAMBDA_RUNTIME, "Lambda Runtime API %s %s: HTTP %ld %s",
                                     post ? "POST" : "GET", path, status, body.text);
    return 0;
}

int temporal_lambda__runtime_next(struct runtime_client *rt, struct runtime_next *next, struct temporal_error *err)
{
    memset(next, 0, sizeof(*next));
    int rc = request(rt, "/invocation/next", NULL, NULL, next, err);
    if (rc != 0)
        return rc;
    if (next->request_id[0] == '\0')
        return temporal_lambda__fail(err, TEMPORAL_ELAMBDA_RUNTIME,
                                     "Lambda Runtime API /invocation/next answered without a "
                                     "Lambda-Runtime-Aws-Request-Id header");
    return 0;
}

int temporal_lambda__runtime_respond(struct runtime_client *rt, const char *request_id, const char *body,
                                         struct temporal_error *err)
{
    char path[512];
    snprintf(path, sizeof(path), "/invocation/%s/response", request_id);
    return request(rt, path, body, NULL, NULL, err);
}

int temporal_lambda__runtime_post_error(struct runtime_client *rt, const char *request_id, const char *error_type,
                                            const char *message, struct temporal_error *err)
{
    char path[512];
    if (request_id != NULL)
        snprintf(path, sizeof(path), "/invocation/%s/error", request_id);
    else
        snprintf(path, sizeof(path), "/init/error");
    char *clean = strdup(message ? message : "");
    if (clean == NULL)
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory");
    temporal_lambda__utf8_scrub(clean); /* a message cut mid-character would make the JSON invalid */
    json_t *obj = json_pack("{s:s, s:s}", "errorMessage", clean, "errorType",
                            error_type ? error_type : "TEMPORAL_UNKNOWN");
    free(clean);
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (text == NULL)
        return temporal_lambda__fail(err, TEMPORAL_ENOMEM, "out of memory encoding the error report");
    char header[256];
    snprintf(header, sizeof(header), "Lambda-Runtime-Function-Error-Type: %s",
             error_type ? error_type : "TEMPORAL_UNKNOWN");
    struct curl_slist *headers = curl_slist_append(NULL, header);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    int rc = request(rt, path, text, headers, NULL, err);
    curl_slist_free_all(headers);
    free(text);
    return rc;
}
