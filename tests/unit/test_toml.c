/*
 * The TOML parser (src/toml.c): the read API, values of every type, the table rules,
 * error positions and messages, the nesting limit, truncated and corrupted input, and
 * allocation failure.  The official conformance suite runs separately (toml_test_suite).
 *
 * This binary is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
 * (see tests/CMakeLists.txt), so the allocations of libtemporal's code pass through the
 * __wrap_ functions below, which can fail the Nth one and count blocks still allocated.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "toml.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure injection ---------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t n);
void __real_free(void *ptr);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *ptr, size_t n);
void __wrap_free(void *ptr);

/* While |alloc_tracking|: allocation number |alloc_fail_at| (from 0) fails, |alloc_calls|
 * counts attempts and |alloc_live| the blocks allocated and not yet freed. */
static bool alloc_tracking;
static long alloc_fail_at = -1;
static long alloc_calls;
static long alloc_live;

/* True if this allocation attempt is the one to fail. */
static bool alloc_should_fail(void)
{
    return alloc_tracking && alloc_calls++ == alloc_fail_at;
}

void *__wrap_malloc(size_t n)
{
    if (alloc_should_fail())
        return NULL;
    void *p = __real_malloc(n);
    if (p != NULL && alloc_tracking)
        alloc_live++;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (alloc_should_fail())
        return NULL;
    void *p = __real_calloc(n, size);
    if (p != NULL && alloc_tracking)
        alloc_live++;
    return p;
}

void *__wrap_realloc(void *ptr, size_t n)
{
    if (alloc_should_fail())
        return NULL;
    void *p = __real_realloc(ptr, n);
    if (p != NULL && ptr == NULL && alloc_tracking)
        alloc_live++;
    return p;
}

void __wrap_free(void *ptr)
{
    if (ptr != NULL && alloc_tracking)
        alloc_live--;
    __real_free(ptr);
}

/* Helpers -------------------------------------------------------------------------------- */

/* Parses |doc| (NUL-terminated), failing the test with the parser's message on error. */
static struct temporal__toml_value *parse_ok(const char *doc)
{
    struct temporal__toml_value *root = NULL;
    struct temporal__toml_error err;
    int rc = temporal__toml_parse(doc, strlen(doc), &root, &err);
    if (rc != 0)
        fail_msg("parse failed at %d:%d: %s\n--- document:\n%s", err.line, err.column,
                 err.message, doc);
    assert_non_null(root);
    return root;
}

/* Parses |len| bytes of |doc|, expecting failure; returns the error. */
static struct temporal__toml_error parse_bad_n(const char *doc, size_t len)
{
    struct temporal__toml_value *root = (struct temporal__toml_value *)&root;
    struct temporal__toml_error err;
    memset(&err, 0, sizeof(err));
    int rc = temporal__toml_parse(doc, len, &root, &err);
    if (rc != TEMPORAL_EINVAL)
        fail_msg("expected TEMPORAL_EINVAL, got %d for:\n%.*s", rc, (int)len, doc);
    assert_null(root);
    assert_true(err.line >= 1);
    assert_true(err.column >= 1);
    assert_true(err.message[0] != '\0');
    return err;
}

static struct temporal__toml_error parse_bad(const char *doc)
{
    return parse_bad_n(doc, strlen(doc));
}

/* Follows a path of NUL-terminated keys from |t|; NULL-terminated argument list. */
static const struct temporal__toml_value *path(const struct temporal__toml_value *t,
                                               const char *const *keys)
{
    for (; *keys != NULL && t != NULL; keys++)
        t = temporal__toml_table_get(t, *keys);
    return t;
}

#define PATH(t, ...) path((t), (const char *const[]){ __VA_ARGS__, NULL })

static const char *str_at(const struct temporal__toml_value *t, const char *key)
{
    const char *s = temporal__toml_get_string(temporal__toml_table_get(t, key), NULL);
    if (s == NULL)
        fail_msg("key '%s' is not a string", key);
    return s;
}

static int64_t int_at(const struct temporal__toml_value *t, const char *key)
{
    int64_t i = 0;
    if (temporal__toml_get_int(temporal__toml_table_get(t, key), &i) != 0)
        fail_msg("key '%s' is not an integer", key);
    return i;
}

static double float_at(const struct temporal__toml_value *t, const char *key)
{
    double d = 0;
    if (temporal__toml_get_float(temporal__toml_table_get(t, key), &d) != 0)
        fail_msg("key '%s' is not a float", key);
    return d;
}

static void assert_pos(struct temporal__toml_pos pos, int line, int column)
{
    if (pos.line != line || pos.column != column)
        fail_msg("position is %d:%d, expected %d:%d", pos.line, pos.column, line, column);
}

/* Cases ---------------------------------------------------------------------------------- */

static const char config_doc[] =
    "# temporal.toml\n"                                              /* 1 */
    "[profile.default]\n"                                            /* 2 */
    "address = \"localhost:7233\"\n"                                 /* 3 */
    "namespace = \"default\"\n"                                      /* 4 */
    "\n"                                                             /* 5 */
    "[profile.prod]\n"                                               /* 6 */
    "address   = 'prod.tmprl.cloud:7233'\n"                          /* 7 */
    "api_key = \"k\"\n"                                              /* 8 */
    "tls = { client_cert_path = \"/c.pem\", server_name = \"x\" }\n" /* 9 */
    "grpc_meta.x-tenant = \"t1\"\n"                                  /* 10 */
    "  codec.endpoint = \"http://codec\"\n"                          /* 11 */
    "ports = [7233, 7234]\n";                                        /* 12 */

static void read_api(void **state)
{
    (void)state;
    struct temporal__toml_value *root = parse_ok(config_doc);
    assert_int_equal(temporal__toml_type_of(root), TEMPORAL__TOML_TABLE);
    assert_pos(temporal__toml_value_pos(root), 1, 1);
    assert_int_equal(temporal__toml_table_count(root), 1);

    const struct temporal__toml_value *profiles = temporal__toml_table_get(root, "profile");
    assert_int_equal(temporal__toml_table_count(profiles), 2);
    /* Document order. */
    size_t len = 0;
    assert_string_equal(temporal__toml_table_key(profiles, 0, &len), "default");
    assert_int_equal(len, 7);
    assert_string_equal(temporal__toml_table_key(profiles, 1, NULL), "prod");
    assert_null(temporal__toml_table_key(profiles, 2, NULL));
    assert_null(temporal__toml_table_value(profiles, 2));

    const struct temporal__toml_value *def = temporal__toml_table_value(profiles, 0);
    assert_string_equal(str_at(def, "address"), "localhost:7233");
    assert_string_equal(str_at(def, "namespace"), "default");
    /* The [profile.default] header defined the table: its position is the header's. */
    assert_pos(temporal__toml_value_pos(def), 2, 1);
    /* The key "profile" was created by that header, at its first key. */
    assert_pos(temporal__toml_table_key_pos(root, 0), 2, 2);
    assert_pos(temporal__toml_table_key_pos(profiles, 0), 2, 10);

    const struct temporal__toml_value *prod = PATH(root, "profile", "prod");
    size_t idx = 99;
    assert_true(temporal__toml_table_find(prod, "address", 7, &idx));
    assert_int_equal(idx, 0);
    assert_pos(temporal__toml_table_key_pos(prod, idx), 7, 1);
    assert_pos(temporal__toml_value_pos(temporal__toml_table_value(prod, idx)), 7, 13);
    assert_string_equal(str_at(prod, "address"), "prod.tmprl.cloud:7233");
    assert_false(temporal__toml_table_find(prod, "missing", 7, NULL));
    assert_false(temporal__toml_table_find(prod, "address", 3, NULL));

    const struct temporal__toml_value *tls = temporal__toml_table_get(prod, "tls");
    assert_int_equal(temporal__toml_type_of(tls), TEMPORAL__TOML_TABLE);
    assert_pos(temporal__toml_value_pos(tls), 9, 7);
    assert_string_equal(str_at(tls, "client_cert_path"), "/c.pem");
    assert_pos(temporal__toml_table_key_pos(tls, 1), 9, 38);

    /* Dotted keys: the table's and the key's positions are where they were written. */
    const struct temporal__toml_value *meta = temporal__toml_table_get(prod, "grpc_meta");
    assert_string_equal(str_at(meta, "x-tenant"), "t1");
    assert_pos(temporal__toml_table_key_pos(meta, 0), 10, 11);
    assert_pos(temporal__toml_value_pos(meta), 10, 1);
    assert_true(temporal__toml_table_find(prod, "codec", 5, &idx));
    assert_pos(temporal__toml_table_key_pos(prod, idx), 11, 3);
    assert_string_equal(str_at(PATH(prod, "codec"), "endpoint"), "http://codec");

    const struct temporal__toml_value *ports = temporal__toml_table_get(prod, "ports");
    assert_int_equal(temporal__toml_array_len(ports), 2);
    int64_t port = 0;
    assert_int_equal(temporal__toml_get_int(temporal__toml_array_get(ports, 1), &port), 0);
    assert_int_equal(port, 7234);
    assert_pos(temporal__toml_value_pos(temporal__toml_array_get(ports, 1)), 12, 16);
    assert_null(temporal__toml_array_get(ports, 2));

    /* Wrong types and NULL are refused, never crash. */
    const struct temporal__toml_value *addr = temporal__toml_table_get(prod, "address");
    int64_t i;
    double d;
    bool b;
    assert_int_equal(temporal__toml_get_int(addr, &i), TEMPORAL_EINVAL);
    assert_int_equal(temporal__toml_get_float(addr, &d), TEMPORAL_EINVAL);
    assert_int_equal(temporal__toml_get_bool(addr, &b), TEMPORAL_EINVAL);
    assert_null(temporal__toml_get_datetime(addr));
    assert_null(temporal__toml_get_string(ports, NULL));
    assert_null(temporal__toml_get_string(NULL, NULL));
    assert_int_equal(temporal__toml_table_count(addr), 0);
    assert_int_equal(temporal__toml_array_len(addr), 0);
    assert_null(temporal__toml_table_get(addr, "x"));
    assert_null(temporal__toml_table_get(prod, NULL));
    assert_int_equal(temporal__toml_type_of(NULL), 0);
    assert_pos(temporal__toml_value_pos(NULL), 0, 0);
    assert_pos(temporal__toml_table_key_pos(prod, 100), 0, 0);
    assert_string_equal(temporal__toml_type_name(TEMPORAL__TOML_OFFSET_DATETIME),
                        "offset date-time");
    assert_string_equal(temporal__toml_type_name(0), "nothing");
    temporal__toml_free(root);
    temporal__toml_free(NULL);
}

static void integers_and_floats(void **state)
{
    (void)state;
    struct temporal__toml_value *root = parse_ok(
        "a = 0\nb = +99\nc = -17\nd = 1_000_000\ne = 0xDEAD_beef\nf = 0o755\ng = 0b1101\n"
        "max = 9223372036854775807\nmin = -9223372036854775808\nhexmax = 0x7FFFFFFFFFFFFFFF\n"
        "z = -0\n"
        "f1 = 3.14\nf2 = -0.01\nf3 = 5e+22\nf4 = 1E6\nf5 = -2E-2\nf6 = 6.626e-34\n"
        "f7 = 224_617.445_991\nf8 = 1e0_1\nnz = -0.0\npi = +inf\nni = -inf\nqn = nan\n"
        "tiny = 1e-400\n");
    assert_int_equal(int_at(root, "a"), 0);
    assert_int_equal(int_at(root, "b"), 99);
    assert_int_equal(int_at(root, "c"), -17);
    assert_int_equal(int_at(root, "d"), 1000000);
    assert_int_equal(int_at(root, "e"), 0xDEADBEEF);
    assert_int_equal(int_at(root, "f"), 0755);
    assert_int_equal(int_at(root, "g"), 13);
    assert_true(int_at(root, "max") == INT64_MAX);
    assert_true(int_at(root, "min") == INT64_MIN);
    assert_true(int_at(root, "hexmax") == INT64_MAX);
    assert_int_equal(int_at(root, "z"), 0);
    assert_true(float_at(root, "f1") == 3.14);
    assert_true(float_at(root, "f2") == -0.01);
    assert_true(float_at(root, "f3") == 5e22);
    assert_true(float_at(root, "f4") == 1e6);
    assert_true(float_at(root, "f5") == -2e-2);
    assert_true(float_at(root, "f6") == 6.626e-34);
    assert_true(float_at(root, "f7") == 224617.445991);
    assert_true(float_at(root, "f8") == 10.0);
    assert_true(float_at(root, "nz") == 0.0 && signbit(float_at(root, "nz")));
    assert_true(isinf(float_at(root, "pi")) && float_at(root, "pi") > 0);
    assert_true(isinf(float_at(root, "ni")) && float_at(root, "ni") < 0);
    assert_true(isnan(float_at(root, "qn")));
    assert_true(float_at(root, "tiny") == 0.0);
    temporal__toml_free(root);

    const char *bad[] = {
        "x = 9223372036854775808",  "x = -9223372036854775809", "x = 0x8000000000000000",
        "x = 00",                   "x = 01",                   "x = -0x1",
        "x = 1__0",                 "x = _1",                   "x = 1_",
        "x = 0X1",                  "x = 0b2",                  "x = 0o8",
        "x = 1e400",                "x = -1e400",               "x = 1.",
        "x = .1",                   "x = 1e",                   "x = 1.e5",
        "x = 01.5",                 "x = inf_",                 "x = +nan1",
        "x = Infinity",             "x = 1_000.0_",             "x = 0x",
    };
    for (size_t k = 0; k < COUNT_OF(bad); k++)
        parse_bad(bad[k]);
    struct temporal__toml_error err = parse_bad("n = 9223372036854775808");
    assert_non_null(strstr(err.message, "does not fit in 64 bits"));
    err = parse_bad("n = 1e999");
    assert_non_null(strstr(err.message, "out of range"));
}

static void strings(void **state)
{
    (void)state;
    struct temporal__toml_value *root = parse_ok(
        "basic = \"tab\\t quote\\\" back\\\\ \\b\\f\\n\\r \\u00E9 \\U0001F600 \xc3\xa9\"\n"
        "nul = \"a\\u0000b\"\n"
        "literal = 'C:\\Users\\nobody \"x\"'\n"
        "empty = ''\n"
        "ml = \"\"\"\nline 1\n  line 2\\\n     \n   joined \\  \n\n  also\"\"\"\n"
        "quotes = \"\"\"\"\"x\"\"\"\"\"\n"
        "lit_ml = '''\n\\n stays\n'' '''\n"
        "lit_q = ''''a'''''\n"
        "crlf = \"\"\"\r\na\r\nb\"\"\"\n"
        "\"quoted key \\u0041\" = 1\n"
        "'literal.key' = 2\n"
        "\"\" = 3\n");
    assert_string_equal(str_at(root, "basic"),
                        "tab\t quote\" back\\ \b\f\n\r \xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9");
    size_t len = 0;
    const char *nul = temporal__toml_get_string(temporal__toml_table_get(root, "nul"), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(nul, "a\0b", 4);
    assert_string_equal(str_at(root, "literal"), "C:\\Users\\nobody \"x\"");
    assert_string_equal(str_at(root, "empty"), "");
    assert_string_equal(str_at(root, "ml"), "line 1\n  line 2joined also");
    assert_string_equal(str_at(root, "quotes"), "\"\"x\"\"");
    assert_string_equal(str_at(root, "lit_ml"), "\\n stays\n'' ");
    assert_string_equal(str_at(root, "lit_q"), "'a''");
    assert_string_equal(str_at(root, "crlf"), "a\nb");
    assert_int_equal(int_at(root, "quoted key A"), 1);
    assert_int_equal(int_at(root, "literal.key"), 2);
    assert_int_equal(int_at(root, ""), 3);
    temporal__toml_free(root);

    const char *bad[] = {
        "s = \"\\q\"",           "s = \"\\x41\"",        "s = \"\\e\"",
        "s = \"\\uD800\"",       "s = \"\\UDFFF\"",      "s = \"\\U00110000\"",
        "s = \"\\u12\"",         "s = \"open",           "s = 'open",
        "s = \"a\nb\"",          "s = \"\"\"a\\ b\"\"\"", "s = \"\"\"abc\"\"\"\"\"\"",
        "s = '''abc''''''",      "\"\"\"k\"\"\" = 1",     "s = \"\"\"never closed",
        "s = \"tab\x01\"",       "s = '\x7f'",
    };
    for (size_t k = 0; k < COUNT_OF(bad); k++)
        parse_bad(bad[k]);
}

static void datetimes(void **state)
{
    (void)state;
    struct temporal__toml_value *root = parse_ok(
        "odt1 = 1979-05-27T07:32:00Z\n"
        "odt2 = 1979-05-27 00:32:00.999999-07:00\n"
        "odt3 = 1979-05-27t07:32:00.1234567891234z\n"
        "ldt = 1979-05-27T07:32:00\n"
        "ld = 2024-02-29\n"
        "lt = 00:32:00.5\n"
        "leap = 1990-12-31T23:59:60Z\n"
        "arr = [1979-05-27, 07:32:00]\n");
    const struct temporal__toml_value *v = temporal__toml_table_get(root, "odt1");
    assert_int_equal(temporal__toml_type_of(v), TEMPORAL__TOML_OFFSET_DATETIME);
    const struct temporal__toml_datetime *dt = temporal__toml_get_datetime(v);
    assert_int_equal(dt->year, 1979);
    assert_int_equal(dt->month, 5);
    assert_int_equal(dt->day, 27);
    assert_int_equal(dt->hour, 7);
    assert_int_equal(dt->minute, 32);
    assert_int_equal(dt->second, 0);
    assert_int_equal(dt->nanosecond, 0);
    assert_int_equal(dt->offset_minutes, 0);
    assert_string_equal(dt->text, "1979-05-27T07:32:00Z");

    dt = temporal__toml_get_datetime(temporal__toml_table_get(root, "odt2"));
    assert_int_equal(dt->nanosecond, 999999000);
    assert_int_equal(dt->offset_minutes, -420);
    assert_string_equal(dt->text, "1979-05-27T00:32:00.999999-07:00");

    /* Lower-case t and z are normalized; digits past nanoseconds are truncated. */
    dt = temporal__toml_get_datetime(temporal__toml_table_get(root, "odt3"));
    assert_int_equal(dt->nanosecond, 123456789);
    assert_string_equal(dt->text, "1979-05-27T07:32:00.123456789Z");

    v = temporal__toml_table_get(root, "ldt");
    assert_int_equal(temporal__toml_type_of(v), TEMPORAL__TOML_LOCAL_DATETIME);
    assert_string_equal(temporal__toml_get_datetime(v)->text, "1979-05-27T07:32:00");
    v = temporal__toml_table_get(root, "ld");
    assert_int_equal(temporal__toml_type_of(v), TEMPORAL__TOML_LOCAL_DATE);
    assert_int_equal(temporal__toml_get_datetime(v)->day, 29);
    assert_string_equal(temporal__toml_get_datetime(v)->text, "2024-02-29");
    v = temporal__toml_table_get(root, "lt");
    assert_int_equal(temporal__toml_type_of(v), TEMPORAL__TOML_LOCAL_TIME);
    assert_int_equal(temporal__toml_get_datetime(v)->nanosecond, 500000000);
    assert_int_equal(temporal__toml_get_datetime(v)->year, 0);
    assert_string_equal(temporal__toml_get_datetime(v)->text, "00:32:00.5");
    assert_int_equal(temporal__toml_get_datetime(temporal__toml_table_get(root, "leap"))->second,
                     60);
    const struct temporal__toml_value *arr = temporal__toml_table_get(root, "arr");
    assert_int_equal(temporal__toml_type_of(temporal__toml_array_get(arr, 0)),
                     TEMPORAL__TOML_LOCAL_DATE);
    assert_int_equal(temporal__toml_type_of(temporal__toml_array_get(arr, 1)),
                     TEMPORAL__TOML_LOCAL_TIME);
    temporal__toml_free(root);

    const char *bad[] = {
        "d = 2023-02-29",       "d = 2100-02-29",          "d = 2024-13-01",
        "d = 2024-00-10",       "d = 2024-04-31",          "d = 2024-01-00",
        "d = 2024-1-01",        "d = 2024-01-01T24:00:00", "d = 2024-01-01T23:60:00",
        "d = 2024-01-01T23:59:61", "d = 2024-01-01T23:59", "t = 7:00:00",
        "d = 2024-01-01T00:00:00+24:00", "d = 2024-01-01T00:00:00+01:60",
        "d = 2024-01-01T00:00:00+0100",  "d = 2024-01-01T00:00:00.",
        "d = 2024-01-01T",       "d = 12024-01-01",        "t = 00:00:00Z",
    };
    for (size_t k = 0; k < COUNT_OF(bad); k++)
        parse_bad(bad[k]);
}

static void tables_and_arrays(void **state)
{
    (void)state;
    struct temporal__toml_value *root = parse_ok(
        "top.dotted.key = true\n"
        "mixed = [1, 'two', 3.0, [4], { five = 5 }, ]\n"
        "nested = [\n  [1, 2], # comment\n\n  [\"a\"]\n]\n"
        "[x.y.z.w]\n"
        "[x]\n"
        "v = 1\n"
        "[fruit]\n"
        "apple.color = 'red'\n"
        "[fruit.apple.texture]\n"
        "smooth = true\n"
        "[[products]]\n"
        "name = 'Hammer'\n"
        "[[products]]\n"
        "[[products]]\n"
        "name = 'Nail'\n"
        "[[products.variants]]\n"
        "c = 1\n"
        "[products.extra]\n"
        "e = 1\n");
    bool b = false;
    assert_int_equal(temporal__toml_get_bool(PATH(root, "top", "dotted", "key"), &b), 0);
    assert_true(b);
    const struct temporal__toml_value *mixed = temporal__toml_table_get(root, "mixed");
    assert_int_equal(temporal__toml_array_len(mixed), 5);
    assert_int_equal(temporal__toml_type_of(temporal__toml_array_get(mixed, 3)),
                     TEMPORAL__TOML_ARRAY);
    assert_int_equal(int_at(temporal__toml_array_get(mixed, 4), "five"), 5);
    const struct temporal__toml_value *nested = temporal__toml_table_get(root, "nested");
    assert_int_equal(temporal__toml_array_len(nested), 2);
    assert_pos(temporal__toml_value_pos(temporal__toml_array_get(nested, 1)), 6, 3);
    assert_int_equal(int_at(PATH(root, "x"), "v"), 1);
    assert_int_equal(temporal__toml_type_of(PATH(root, "x", "y", "z", "w")), TEMPORAL__TOML_TABLE);
    assert_string_equal(str_at(PATH(root, "fruit", "apple"), "color"), "red");
    assert_int_equal(temporal__toml_table_count(PATH(root, "fruit", "apple", "texture")), 1);
    const struct temporal__toml_value *products = temporal__toml_table_get(root, "products");
    assert_int_equal(temporal__toml_array_len(products), 3);
    assert_string_equal(str_at(temporal__toml_array_get(products, 0), "name"), "Hammer");
    assert_int_equal(temporal__toml_table_count(temporal__toml_array_get(products, 1)), 0);
    const struct temporal__toml_value *last = temporal__toml_array_get(products, 2);
    assert_string_equal(str_at(last, "name"), "Nail");
    assert_int_equal(temporal__toml_array_len(temporal__toml_table_get(last, "variants")), 1);
    assert_int_equal(int_at(temporal__toml_table_get(last, "extra"), "e"), 1);
    /* An element of an array of tables is at its [[header]]. */
    assert_pos(temporal__toml_value_pos(last), 18, 1);
    temporal__toml_free(root);

    /* Each of these breaks a definition rule of the spec. */
    const char *bad[] = {
        "a = 1\na = 2",
        "a.b = 1\na.b = 2",
        "a = 1\na.b = 2",
        "[a]\n[a]",
        "[a]\nb = 1\n[a.b]",
        "[a.b]\n[a]\n[a]",
        "[a]\nb.c = 1\n[a.b]",
        "[a]\nb.c.d = 1\n[a.b.c]",
        "[a.b.c]\n[a]\nb.c.d = 1",
        "a = {}\n[a]",
        "a = {}\n[a.b]",
        "a = { b = 1 }\na.c = 2",
        "a = { b = {} }\n[[a.b]]",
        "a = { b = 1, b.c = 2 }",
        "a = { b.c = 1, b = 2 }",
        "a = []\n[[a]]",
        "a = [{ b = 1 }]\n[a.c]",
        "[[a]]\n[a]",
        "[a]\n[[a]]",
        "[[a.b]]\n[a]\nb.c = 1",
        "[[albums.songs]]\n[[albums]]",
        "a = { b = 1, }",
        "a = { b = 1\n}",
        "a = {\nb = 1 }",
        "[a]]",
        "[[a]",
        "[[a] ]",
        "[]",
        "[a.]",
        "[.a]",
        "a..b = 1",
        "a = [1 2]",
        "a = [,]",
        "a = [1,,]",
        "= 1",
        "a =",
        "a = 1 b = 2",
        "a b = 1",
    };
    for (size_t k = 0; k < COUNT_OF(bad); k++)
        parse_bad(bad[k]);

    /* Valid although similar: implicit tables defined later, sub-tables of dotted tables. */
    const char *good[] = {
        "[a.b]\n[a]",
        "[a.b.c]\n[a]\nb.d = 1",
        "a.b = 1\n[a.c]",
        "[fruit]\napple.color = 1\n[[fruit.apple.seeds]]",
        "a = { b.c = 1, b.d = 2 }",
        "[[a.b]]\nx = 1\n[a]\ny = 2",
        "a = []\nb = [[], []]",
        "[ a . \"b\" . 'c' ]\n[[ d ]]",
    };
    for (size_t k = 0; k < COUNT_OF(good); k++)
        temporal__toml_free(parse_ok(good[k]));
}

struct error_case {
    const char *doc;
    int line;
    int column;
    const char *message; /* a substring of the message */
};

static void error_positions(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        { "a = 1\na = 2\n", 2, 1, "duplicate key 'a' (first defined on line 1)" },
        { "[profile.prod]\naddress = \"x\"\n[profile.prod]\n", 3, 10,
          "table 'profile.prod' is defined twice (first on line 1)" },
        { "s = \"bad \\q escape\"", 1, 10, "invalid escape \\q in string" },
        { "key value", 1, 5, "expected '=' after key 'key', found 'v'" },
        /* Columns count characters: the e-acute is one. */
        { "x = 1\ny = \"\xc3\xa9\\q\"", 2, 7, "invalid escape \\q" },
        { "a = [1, 2\n", 1, 5, "unterminated array" },
        { "\n\n  b = tru", 3, 7, "invalid value 'tru'" },
        { "address = localhost:7233", 1, 11, "invalid value 'localhost:7233' (strings must be" },
        { "t = 1979-02-29", 1, 5, "1979-02-29 has no day 29" },
        { "i = 9223372036854775808", 1, 5, "does not fit in 64 bits" },
        { "a = \"x\"\r\n\rb = 1", 2, 1, "carriage return" },
        { "[a]\nb.c = 1\n[a.b]\n", 3, 4, "already defined by dotted keys on line 2" },
        { "x = { a = 1 }\n[x.b]\n", 2, 2, "inline table 'x' defined on line 1" },
        { "a = [1]\n[[a]]\n", 2, 3, "cannot append to array 'a'" },
        { "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, 3,
          "cannot add to table 'b.c' with a dotted key: it was defined by a [header] on line 1" },
        { "k = \"\"\"\nabc", 1, 5, "unterminated multi-line string" },
        { "k = \"\xe0\x80\xaf\"", 1, 6, "overlong" },
        { "k = \"\xed\xa0\x80\"", 1, 6, "surrogate" },
        { "k = \"\xf4\x90\x80\x80\"", 1, 6, "above U+10FFFF" },
        { "k = \"\xff\"", 1, 6, "invalid UTF-8" },
        { "k = 1 # comment \x01", 1, 17, "control character U+0001" },
        /* Lines are counted inside multi-line strings and arrays. */
        { "s = \"\"\"\nline\r\nline\"\"\"\nbad", 4, 4, "expected '=' after key 'bad'" },
        { "a = [\n  1,\n  # c\n  x\n]", 4, 3, "invalid value 'x'" },
        /* A byte order mark is not a column. */
        { "\xef\xbb\xbf" "a = ?", 1, 5, "expected a value, found '?'" },
        { "\"tab\\tkey\" = 1\n\"tab\\tkey\" = 2", 2, 1, "duplicate key '\"tab\\u0009key\"'" },
        { "a = { b = 1 }\na.b.c = 1", 2, 1, "cannot add to inline table 'a'" },
        { "a = 1 2", 1, 7, "expected the end of the line after a key/value pair, found '2'" },
        { "[t] x = 1", 1, 5, "expected the end of the line after a table header" },
        { "a = { b = 1, }", 1, 14, "trailing comma in inline table" },
        { "a = {b = 1\n}", 1, 11, "newline in inline table" },
        { "x = 0x-1", 1, 5, "invalid hexadecimal integer '0x-1'" },
        { "x = 1.", 1, 5, "invalid float '1.': a digit must follow the '.'" },
        { "x = 'a' 'b'", 1, 9, "found '''" },
        { "a = { b = 1", 1, 5, "unterminated inline table (missing '}')" },
        { "s = \"abc\\", 1, 9, "the file ends in an escape sequence" },
        { "s = \"\\u00e9\\uD83D\\uDE00\"", 1, 12, "invalid escape \\uD83D in string" },
    };
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        const struct error_case *c = &cases[k];
        struct temporal__toml_error err = parse_bad(c->doc);
        if (err.line != c->line || err.column != c->column ||
            strstr(err.message, c->message) == NULL)
            fail_msg("case %zu: got %d:%d \"%s\", expected %d:%d \"...%s...\"", k, err.line,
                     err.column, err.message, c->line, c->column, c->message);
    }

    /* A huge key is cut in the message, which stays valid UTF-8 and fits. */
    char key[1300], doc[2700];
    size_t n = 0;
    key[n++] = '"';
    for (int i = 0; i < 300; i++) {
        memcpy(key + n, "\xc3\xa9\\t", 4);
        n += 4;
    }
    key[n++] = '"';
    key[n] = '\0';
    snprintf(doc, sizeof(doc), "%s = 1\n%s = 2", key, key);
    struct temporal__toml_error err = parse_bad(doc);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "duplicate key '\"\xc3\xa9\\u0009\xc3\xa9"));
    assert_non_null(strstr(err.message, "...' (first defined on line 1)"));
    /* Bad arguments. */
    struct temporal__toml_value *root;
    assert_int_equal(temporal__toml_parse("a = 1", 5, NULL, &err), TEMPORAL_EINVAL);
    assert_int_equal(temporal__toml_parse(NULL, 3, &root, NULL), TEMPORAL_EINVAL);
    assert_int_equal(temporal__toml_parse(NULL, 0, &root, NULL), 0);
    assert_int_equal(temporal__toml_table_count(root), 0);
    temporal__toml_free(root);
    /* The document is |len| bytes: a NUL inside is a control character, not an end. */
    err = parse_bad_n("a = 1\0b = 2", 11);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 6);
    root = NULL;
    assert_int_equal(temporal__toml_parse("a = 1\0b = 2", 5, &root, NULL), 0);
    temporal__toml_free(root);
}

/* A string of |n| copies of |s|. */
static char *repeat(const char *s, int n)
{
    size_t len = strlen(s);
    char *out = malloc(len * (size_t)n + 1);
    assert_non_null(out);
    for (int i = 0; i < n; i++)
        memcpy(out + len * (size_t)i, s, len);
    out[len * (size_t)n] = '\0';
    return out;
}

/* Builds "<pre><open * n><mid><close * n><post>" and parses it; returns the result code. */
static int parse_nested(const char *pre, const char *open, const char *mid, const char *close,
                        const char *post, int n, struct temporal__toml_error *err)
{
    char *o = repeat(open, n);
    char *c = repeat(close, n);
    size_t len = strlen(pre) + strlen(o) + strlen(mid) + strlen(c) + strlen(post);
    char *doc = malloc(len + 1);
    assert_non_null(doc);
    snprintf(doc, len + 1, "%s%s%s%s%s", pre, o, mid, c, post);
    struct temporal__toml_value *root = NULL;
    int rc = temporal__toml_parse(doc, len, &root, err);
    temporal__toml_free(root);
    free(doc);
    free(o);
    free(c);
    return rc;
}

static void depth_limit(void **state)
{
    (void)state;
    struct temporal__toml_error err;
    const int max = TEMPORAL__TOML_MAX_DEPTH;
    /* Arrays: the outermost is at level 1. */
    assert_int_equal(parse_nested("a = ", "[", "", "]", "", max, &err), 0);
    assert_int_equal(parse_nested("a = ", "[", "", "]", "", max + 1, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "nested too deeply"));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 5 + max);
    /* Inline tables holding a scalar: the scalar counts as a level too. */
    assert_int_equal(parse_nested("a = ", "{b = ", "1", "}", "", max - 1, &err), 0);
    assert_int_equal(parse_nested("a = ", "{b = ", "1", "}", "", max, &err), TEMPORAL_EINVAL);
    /* Headers and dotted keys make tables too. */
    assert_int_equal(parse_nested("[", "a.", "a", "", "]", max - 1, &err), 0);
    assert_int_equal(parse_nested("[", "a.", "a", "", "]", max, &err), TEMPORAL_EINVAL);
    assert_int_equal(parse_nested("[[", "a.", "a", "", "]]", max - 1, &err), TEMPORAL_EINVAL);
    assert_int_equal(parse_nested("", "a.", "a", "", " = 1", max - 1, &err), 0);
    assert_int_equal(parse_nested("", "a.", "a", "", " = 1", max, &err), TEMPORAL_EINVAL);
    assert_int_equal(parse_nested("[", "a.", "a", "", "]\nb = 1", max - 1, &err),
                     TEMPORAL_EINVAL);
    /* Far deeper input fails the same way, without exhausting the stack. */
    assert_int_equal(parse_nested("a = ", "[", "", "]", "", 100000, &err), TEMPORAL_EINVAL);
    assert_int_equal(parse_nested("a = ", "{b = ", "1", "}", "", 100000, &err),
                     TEMPORAL_EINVAL);
    assert_int_equal(parse_nested("", "a.", "a", "", " = 1", 100000, &err), TEMPORAL_EINVAL);
}

/* A document using every feature, for the truncation and corruption tests. */
static const char rich_doc[] =
    "\xef\xbb\xbf# rich\n"
    "title = \"TOML \\\"x\\\" \\u00e9 \\U0001F600\"\n"
    "lit = 'C:\\x'\n"
    "ml = \"\"\"\r\nroses\\\n   are red\"\"\"\n"
    "mll = '''\nraw ''x'' '''\n"
    "ints = [ +1_000, -0, 0xff, 0o17, 0b101 ]\n"
    "floats = [ 1.5e-3, -inf, nan, 6E+2 ]\n"
    "when = [ 1979-05-27T07:32:00.5-07:00, 1979-05-27 07:32:00, 1979-05-27, 07:32:00 ]\n"
    "bools = [true,false,]\n"
    "inline = { a = 1, b.c = 'd', e = [ { f = 2 } ] }\n"
    "a.\"b\".'c' = 1\n"
    "\n"
    "[server.\"alpha\"]\n"
    "ip = \"10.0.0.1\" # comment \xc3\xa9\n"
    "[[items]]\n"
    "name = \"x\"\n"
    "[[items.sub]]\n"
    "v = 1\n"
    "[[items]]\n"
    "[server]\n"
    "port = 8080\n";

static void every_prefix(void **state)
{
    (void)state;
    size_t len = sizeof(rich_doc) - 1;
    temporal__toml_free(parse_ok(rich_doc));
    int ok = 0;
    for (size_t n = 0; n <= len; n++) {
        /* A copy of exactly n bytes, so that ASan catches any read past the end. */
        char *doc = malloc(n ? n : 1);
        assert_non_null(doc);
        memcpy(doc, rich_doc, n);
        struct temporal__toml_value *root = NULL;
        struct temporal__toml_error err;
        int rc = temporal__toml_parse(doc, n, &root, &err);
        if (rc == 0) {
            ok++;
            assert_non_null(root);
            temporal__toml_free(root);
        } else {
            assert_int_equal(rc, TEMPORAL_EINVAL);
            assert_null(root);
            assert_true(err.line >= 1 && err.line <= 30);
            assert_true(err.column >= 1 && (size_t)err.column <= n + 1);
        }
        free(doc);
    }
    assert_true(ok > 20);
}

static void every_byte_replaced(void **state)
{
    (void)state;
    static const char replacements[] = { '"', '\'', '[', ']', '{', '}', '=', '.', ',', '#',
                                         '\\', '\n', '\r', '\0', ' ', '1', 'e', '_', ':', '-',
                                         (char)0xc3, (char)0xff };
    size_t len = sizeof(rich_doc) - 1;
    char *doc = malloc(len);
    assert_non_null(doc);
    for (size_t i = 0; i < len; i++) {
        for (size_t r = 0; r < sizeof(replacements); r++) {
            memcpy(doc, rich_doc, len);
            doc[i] = replacements[r];
            struct temporal__toml_value *root = NULL;
            struct temporal__toml_error err;
            int rc = temporal__toml_parse(doc, len, &root, &err);
            assert_true(rc == 0 || rc == TEMPORAL_EINVAL);
            assert_true(rc != 0 || root != NULL);
            assert_true(rc == 0 || (err.line >= 1 && err.column >= 1));
            temporal__toml_free(root);
        }
    }
    free(doc);
}

/* Parses |doc| failing each allocation in turn; checks every failure is clean. */
static void fail_each_allocation(const char *doc, int want_rc)
{
    for (long n = 0;; n++) {
        struct temporal__toml_value *root = NULL;
        struct temporal__toml_error err;
        alloc_fail_at = n;
        alloc_calls = 0;
        alloc_live = 0;
        alloc_tracking = true;
        int rc = temporal__toml_parse(doc, strlen(doc), &root, &err);
        temporal__toml_free(root);
        alloc_tracking = false;
        if (alloc_live != 0)
            fail_msg("%ld blocks leaked when allocation %ld failed (rc %d)", alloc_live, n, rc);
        if (n >= alloc_calls) {
            /* No allocation failed: the normal result. */
            assert_int_equal(rc, want_rc);
            assert_true(n > 10);
            return;
        }
        if (rc != TEMPORAL_ENOMEM)
            fail_msg("allocation %ld of %ld failed but parse returned %d (%s)", n, alloc_calls,
                     rc, err.message);
        assert_null(root);
        assert_string_equal(err.message, "out of memory");
    }
}

static void out_of_memory(void **state)
{
    (void)state;
    /* More than 8 keys in one table, so that the hash index is built too. */
    char big[1024];
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "k%d = %d.5\n", i, i);
    fail_each_allocation(big, 0);
    fail_each_allocation(rich_doc, 0);
    fail_each_allocation(config_doc, 0);
    fail_each_allocation("a = [1, {b = 'c'}]\nb.c = 1.5\n[x.y]\nz = 1\n[x]\nb.c = 2\n[x]",
                         TEMPORAL_EINVAL);
    alloc_fail_at = -1;
}

static void large_table(void **state)
{
    (void)state;
    const int keys = 5000;
    size_t cap = (size_t)keys * 24 + 64;
    char *doc = malloc(cap);
    assert_non_null(doc);
    size_t n = 0;
    for (int i = 0; i < keys; i++)
        n += (size_t)snprintf(doc + n, cap - n, "key_%d = %d\n", i, i * 3);
    struct temporal__toml_value *root = parse_ok(doc);
    assert_int_equal(temporal__toml_table_count(root), keys);
    for (int i = 0; i < keys; i += 7) {
        char key[32];
        snprintf(key, sizeof(key), "key_%d", i);
        size_t idx;
        assert_true(temporal__toml_table_find(root, key, strlen(key), &idx));
        assert_int_equal(idx, i);
        assert_int_equal(int_at(root, key), i * 3);
    }
    assert_null(temporal__toml_table_get(root, "key_5000"));
    temporal__toml_free(root);
    /* A duplicate among many keys is found, with both lines. */
    snprintf(doc + n, cap - n, "key_4321 = 0\n");
    struct temporal__toml_error err = parse_bad(doc);
    assert_int_equal(err.line, keys + 1);
    assert_non_null(strstr(err.message, "duplicate key 'key_4321' (first defined on line 4322)"));
    free(doc);
}

/*
 * Floats parse the same whatever LC_NUMERIC the process uses.  A German locale (decimal
 * comma) is compiled into a temporary directory with localedef; the case is skipped if
 * that is not possible.
 */
static void locale_independent(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_toml_locale.XXXXXX";
    char cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
             dir);
    const char *set = NULL;
    if (system(cmd) == 0 && setenv("LOCPATH", dir, 1) == 0)
        set = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    bool comma = set != NULL && strtod("3,5", NULL) == 3.5;
    struct temporal__toml_value *root = NULL;
    if (comma)
        root = parse_ok("pi = 3.25\ne = 1_0.5e-1\n");
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    if (!comma)
        skip(); /* No decimal-comma locale could be made. */
    assert_true(float_at(root, "pi") == 3.25);
    assert_true(float_at(root, "e") == 1.05);
    temporal__toml_free(root);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(read_api),           cmocka_unit_test(integers_and_floats),
    cmocka_unit_test(strings),            cmocka_unit_test(datetimes),
    cmocka_unit_test(tables_and_arrays),  cmocka_unit_test(error_positions),
    cmocka_unit_test(depth_limit),        cmocka_unit_test(every_prefix),
    cmocka_unit_test(every_byte_replaced), cmocka_unit_test(out_of_memory),
    cmocka_unit_test(large_table),        cmocka_unit_test(locale_independent),
};
TS_MAIN(tests)
