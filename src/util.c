/*
 * Small helpers: error filling, strings, clocks, UUIDs, file reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int temporal__fail(struct temporal_error *err, int code, int grpc_status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        err->grpc_status = grpc_status;
        err->detail[0] = '\0';
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

void temporal__error_set_detail(struct temporal_error *err, const char *detail)
{
    if (err != NULL && detail != NULL)
        snprintf(err->detail, sizeof(err->detail), "%s", detail);
}

char *temporal__strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

void temporal_free(void *ptr) { free(ptr); }

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t temporal__now_monotonic_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

int64_t temporal__now_epoch_ms(void) { return clock_ms(CLOCK_REALTIME); }

void temporal__random_bytes(uint8_t *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (r < 0 && errno != EINTR) {
            /* No entropy source: fall back to time and address bits; uniqueness, not secrecy. */
            uint64_t x = (uint64_t)temporal__now_epoch_ms() ^ (uint64_t)(uintptr_t)out;
            for (; got < n; got++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                out[got] = (uint8_t)(x >> 56);
            }
        }
    }
}

void temporal__uuid4(char out[37])
{
    uint8_t b[16];
    temporal__random_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

int temporal__read_file(const char *path, const char *what, char **out, size_t *len_out,
                        struct temporal_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return temporal__fail(err, TEMPORAL_EIO, -1, "cannot read %s file '%s': %s", what, path,
                              strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory reading '%s'", path);
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory reading '%s'",
                                      path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return temporal__fail(err, TEMPORAL_EIO, -1, "error reading %s file '%s'", what, path);
    }
    buf[len] = '\0';
    *out = buf;
    if (len_out != NULL)
        *len_out = len;
    return 0;
}

void temporal__default_identity(char *buf, size_t cap)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown-host");
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, cap, "%ld@%s", (long)getpid(), host);
}

bool temporal__copy_options(void *dst, size_t dst_size, const void *src)
{
    memset(dst, 0, dst_size);
    if (src == NULL)
        return true;
    size_t self_size;
    memcpy(&self_size, src, sizeof(self_size));
    if (self_size < sizeof(size_t))
        return false;
    memcpy(dst, src, self_size < dst_size ? self_size : dst_size);
    return true;
}

void temporal__list_append(char *buf, size_t cap, size_t *used, const char *item)
{
    if (*used == 0 && cap > 0)
        buf[0] = '\0';
    if (*used + 1 >= cap)
        return;
    int n = snprintf(buf + *used, cap - *used, "%s%s", *used ? ", " : "", item);
    if (n > 0)
        *used = *used + (size_t)n < cap ? *used + (size_t)n : cap - 1;
}
