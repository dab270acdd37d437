/*
 * libFuzzer target for the TOML parser (src/toml.c); built and run by run_fuzz.sh.
 *
 * For every input: parse it.  On failure, check that the error is well formed (code,
 * position inside the input, a non-empty UTF-8 message).  On success, walk the tree through
 * the read API checking its invariants, print the tree back as TOML (one line per
 * top-level key, every table inline), parse that again and check that both trees are
 * equal.  A violated check aborts, which libFuzzer reports as a crash.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal/error.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* A growable output buffer; the fuzzer has memory enough, so allocation failure aborts. */
struct out {
    char *data; /* Owned. */
    size_t len;
    size_t cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap)
            o->cap = o->cap ? o->cap * 2 : 256;
        o->data = realloc(o->data, o->cap);
        CHECK(o->data != NULL);
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* Strict UTF-8 check, independent of the parser's. */
static int valid_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k;
        if (s[i] < 0x80) {
            i++;
            continue;
        } else if ((s[i] & 0xE0) == 0xC0) {
            cp = s[i] & 0x1F;
            k = 2;
        } else if ((s[i] & 0xF0) == 0xE0) {
            cp = s[i] & 0x0F;
            k = 3;
        } else if ((s[i] & 0xF8) == 0xF0) {
            cp = s[i] & 0x07;
            k = 4;
        } else {
            return 0;
        }
        if (n - i < k)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += k;
    }
    return 1;
}

static void emit_string(struct out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            puts_(o, esc);
        } else {
            put(o, &s[i], 1);
        }
    }
    put(o, "\"", 1);
}

static void emit_value(struct out *o, const struct temporal__toml_value *v)
{
    char num[64];
    switch (temporal__toml_type_of(v)) {
    case TEMPORAL__TOML_STRING: {
        size_t len;
        const char *s = temporal__toml_get_string(v, &len);
        emit_string(o, s, len);
        return;
    }
    case TEMPORAL__TOML_INTEGER: {
        int64_t i;
        CHECK(temporal__toml_get_int(v, &i) == 0);
        snprintf(num, sizeof(num), "%" PRId64, i);
        puts_(o, num);
        return;
    }
    case TEMPORAL__TOML_FLOAT: {
        double d;
        CHECK(temporal__toml_get_float(v, &d) == 0);
        if (isnan(d)) {
            puts_(o, "nan");
        } else if (isinf(d)) {
            puts_(o, d < 0 ? "-inf" : "inf");
        } else {
            snprintf(num, sizeof(num), "%.17g", d);
            puts_(o, num);
            if (strpbrk(num, ".e") == NULL)
                puts_(o, ".0");
        }
        return;
    }
    case TEMPORAL__TOML_BOOLEAN: {
        bool b;
        CHECK(temporal__toml_get_bool(v, &b) == 0);
        puts_(o, b ? "true" : "false");
        return;
    }
    case TEMPORAL__TOML_OFFSET_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATE:
    case TEMPORAL__TOML_LOCAL_TIME:
        puts_(o, temporal__toml_get_datetime(v)->text);
        return;
    case TEMPORAL__TOML_ARRAY:
        puts_(o, "[");
        for (size_t i = 0; i < temporal__toml_array_len(v); i++) {
            if (i > 0)
                puts_(o, ", ");
            emit_value(o, temporal__toml_array_get(v, i));
        }
        puts_(o, "]");
        return;
    case TEMPORAL__TOML_TABLE:
        puts_(o, "{");
        for (size_t i = 0; i < temporal__toml_table_count(v); i++) {
            size_t len;
            const char *key = temporal__toml_table_key(v, i, &len);
            puts_(o, i > 0 ? ", " : " ");
            emit_string(o, key, len);
            puts_(o, " = ");
            emit_value(o, temporal__toml_table_value(v, i));
        }
        puts_(o, " }");
        return;
    }
    CHECK(0);
}

static void check_pos(struct temporal__toml_pos pos, int lines, size_t size)
{
    CHECK(pos.line >= 1 && pos.line <= lines);
    CHECK(pos.column >= 1 && (size_t)pos.column <= size + 1);
}

/* Checks the invariants of |v| (at |depth|) in a document of |lines| lines, |size| bytes. */
static void check_tree(const struct temporal__toml_value *v, int depth, int lines, size_t size)
{
    CHECK(v != NULL);
    CHECK(depth <= TEMPORAL__TOML_MAX_DEPTH);
    check_pos(temporal__toml_value_pos(v), lines, size);
    const struct temporal__toml_datetime *dt = temporal__toml_get_datetime(v);
    switch (temporal__toml_type_of(v)) {
    case TEMPORAL__TOML_STRING: {
        size_t len;
        const char *s = temporal__toml_get_string(v, &len);
        CHECK(s != NULL && s[len] == '\0' && valid_utf8(s, len));
        break;
    }
    case TEMPORAL__TOML_OFFSET_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATE:
    case TEMPORAL__TOML_LOCAL_TIME:
        CHECK(dt != NULL && strlen(dt->text) >= 8 && strlen(dt->text) < sizeof(dt->text));
        CHECK(dt->month >= 0 && dt->month <= 12 && dt->day >= 0 && dt->day <= 31);
        CHECK(dt->hour >= 0 && dt->hour <= 23 && dt->minute >= 0 && dt->minute <= 59);
        CHECK(dt->second >= 0 && dt->second <= 60);
        CHECK(dt->nanosecond >= 0 && dt->nanosecond < 1000000000);
        CHECK(dt->offset_minutes > -24 * 60 && dt->offset_minutes < 24 * 60);
        break;
    case TEMPORAL__TOML_ARRAY:
        CHECK(temporal__toml_array_get(v, temporal__toml_array_len(v)) == NULL);
        for (size_t i = 0; i < temporal__toml_array_len(v); i++)
            check_tree(temporal__toml_array_get(v, i), depth + 1, lines, size);
        break;
    case TEMPORAL__TOML_TABLE:
        CHECK(temporal__toml_table_key(v, temporal__toml_table_count(v), NULL) == NULL);
        for (size_t i = 0; i < temporal__toml_table_count(v); i++) {
            size_t len, found = (size_t)-1;
            const char *key = temporal__toml_table_key(v, i, &len);
            CHECK(key != NULL && key[len] == '\0' && valid_utf8(key, len));
            check_pos(temporal__toml_table_key_pos(v, i), lines, size);
            /* Keys are unique, and the lookup (hash index or scan) finds each one. */
            CHECK(temporal__toml_table_find(v, key, len, &found) && found == i);
            check_tree(temporal__toml_table_value(v, i), depth + 1, lines, size);
        }
        break;
    default:
        CHECK(dt == NULL);
        break;
    }
}

static int same(const struct temporal__toml_value *a, const struct temporal__toml_value *b)
{
    enum temporal__toml_type t = temporal__toml_type_of(a);
    if (t != temporal__toml_type_of(b))
        return 0;
    switch (t) {
    case TEMPORAL__TOML_STRING: {
        size_t la, lb;
        const char *sa = temporal__toml_get_string(a, &la);
        const char *sb = temporal__toml_get_string(b, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    case TEMPORAL__TOML_INTEGER: {
        int64_t x, y;
        temporal__toml_get_int(a, &x);
        temporal__toml_get_int(b, &y);
        return x == y;
    }
    case TEMPORAL__TOML_FLOAT: {
        double x, y;
        temporal__toml_get_float(a, &x);
        temporal__toml_get_float(b, &y);
        return (isnan(x) && isnan(y)) || (x == y && signbit(x) == signbit(y));
    }
    case TEMPORAL__TOML_BOOLEAN: {
        bool x, y;
        temporal__toml_get_bool(a, &x);
        temporal__toml_get_bool(b, &y);
        return x == y;
    }
    case TEMPORAL__TOML_OFFSET_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATE:
    case TEMPORAL__TOML_LOCAL_TIME: {
        const struct temporal__toml_datetime *x = temporal__toml_get_datetime(a);
        const struct temporal__toml_datetime *y = temporal__toml_get_datetime(b);
        return strcmp(x->text, y->text) == 0 && x->year == y->year && x->month == y->month &&
               x->day == y->day && x->hour == y->hour && x->minute == y->minute &&
               x->second == y->second && x->nanosecond == y->nanosecond &&
               x->offset_minutes == y->offset_minutes;
    }
    case TEMPORAL__TOML_ARRAY:
        if (temporal__toml_array_len(a) != temporal__toml_array_len(b))
            return 0;
        for (size_t i = 0; i < temporal__toml_array_len(a); i++) {
            if (!same(temporal__toml_array_get(a, i), temporal__toml_array_get(b, i)))
                return 0;
        }
        return 1;
    case TEMPORAL__TOML_TABLE:
        if (temporal__toml_table_count(a) != temporal__toml_table_count(b))
            return 0;
        for (size_t i = 0; i < temporal__toml_table_count(a); i++) {
            size_t la, lb;
            const char *ka = temporal__toml_table_key(a, i, &la);
            const char *kb = temporal__toml_table_key(b, i, &lb);
            if (la != lb || memcmp(ka, kb, la) != 0 ||
                !same(temporal__toml_table_value(a, i), temporal__toml_table_value(b, i)))
                return 0;
        }
        return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';

    struct temporal__toml_value *root = (struct temporal__toml_value *)&lines; /* not NULL */
    struct temporal__toml_error err;
    memset(&err, 0x55, sizeof(err));
    int rc = temporal__toml_parse(text, size, &root, &err);
    if (rc != 0) {
        CHECK(rc == TEMPORAL_EINVAL);
        CHECK(root == NULL);
        CHECK(err.line >= 1 && err.line <= lines);
        CHECK(err.column >= 1 && (size_t)err.column <= size + 1);
        size_t mlen = strnlen(err.message, sizeof(err.message));
        CHECK(mlen > 0 && mlen < sizeof(err.message) && valid_utf8(err.message, mlen));
        return 0;
    }
    CHECK(root != NULL && temporal__toml_type_of(root) == TEMPORAL__TOML_TABLE);
    check_tree(root, 0, lines, size);

    /* Round trip: print as TOML, parse again, compare. */
    struct out o = { NULL, 0, 0 };
    puts_(&o, "");
    for (size_t i = 0; i < temporal__toml_table_count(root); i++) {
        size_t len;
        const char *key = temporal__toml_table_key(root, i, &len);
        emit_string(&o, key, len);
        puts_(&o, " = ");
        emit_value(&o, temporal__toml_table_value(root, i));
        puts_(&o, "\n");
    }
    struct temporal__toml_value *again = NULL;
    rc = temporal__toml_parse(o.data, o.len, &again, &err);
    if (rc != 0)
        fprintf(stderr, "re-parse failed at %d:%d: %s\n--- printed:\n%s\n", err.line,
                err.column, err.message, o.data);
    CHECK(rc == 0);
    CHECK(same(root, again));
    temporal__toml_free(again);
    temporal__toml_free(root);
    free(o.data);
    return 0;
}
