/*
 * Decoder adapter for toml-test (github.com/toml-lang/toml-test): reads a TOML document
 * on stdin and writes toml-test's tagged JSON on stdout, where every scalar becomes
 * {"type": "<toml type>", "value": "<text>"} and tables and arrays become JSON objects and
 * arrays.  Exits 1, with the parser's message on stderr, if the document is not valid TOML.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "temporal/error.h"
#include "toml.h"

/* A new {"type": |type|, "value": |value|} object, or NULL (out of memory). */
static json_t *tagged(const char *type, const char *value, size_t len)
{
    json_t *s = json_stringn(value, len);
    if (s == NULL)
        return NULL;
    json_t *o = json_object();
    if (o == NULL || json_object_set_new(o, "type", json_string(type)) != 0 ||
        json_object_set_new(o, "value", s) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The tagged JSON for |v| (a new reference), or NULL. */
static json_t *to_json(const struct temporal__toml_value *v)
{
    char num[64];
    const struct temporal__toml_datetime *dt = temporal__toml_get_datetime(v);
    switch (temporal__toml_type_of(v)) {
    case TEMPORAL__TOML_STRING: {
        size_t len;
        const char *s = temporal__toml_get_string(v, &len);
        return tagged("string", s, len);
    }
    case TEMPORAL__TOML_INTEGER: {
        int64_t i = 0;
        temporal__toml_get_int(v, &i);
        snprintf(num, sizeof(num), "%" PRId64, i);
        return tagged("integer", num, strlen(num));
    }
    case TEMPORAL__TOML_FLOAT: {
        double d = 0;
        temporal__toml_get_float(v, &d);
        if (isnan(d))
            snprintf(num, sizeof(num), "nan");
        else if (isinf(d))
            snprintf(num, sizeof(num), "%sinf", d < 0 ? "-" : "");
        else
            snprintf(num, sizeof(num), "%.17g", d);
        return tagged("float", num, strlen(num));
    }
    case TEMPORAL__TOML_BOOLEAN: {
        bool b = false;
        temporal__toml_get_bool(v, &b);
        return tagged("bool", b ? "true" : "false", b ? 4 : 5);
    }
    case TEMPORAL__TOML_OFFSET_DATETIME:
        return tagged("datetime", dt->text, strlen(dt->text));
    case TEMPORAL__TOML_LOCAL_DATETIME:
        return tagged("datetime-local", dt->text, strlen(dt->text));
    case TEMPORAL__TOML_LOCAL_DATE:
        return tagged("date-local", dt->text, strlen(dt->text));
    case TEMPORAL__TOML_LOCAL_TIME:
        return tagged("time-local", dt->text, strlen(dt->text));
    case TEMPORAL__TOML_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < temporal__toml_array_len(v); i++) {
            if (json_array_append_new(a, to_json(temporal__toml_array_get(v, i))) != 0) {
                json_decref(a);
                a = NULL;
            }
        }
        return a;
    }
    case TEMPORAL__TOML_TABLE: {
        json_t *o = json_object();
        for (size_t i = 0; o != NULL && i < temporal__toml_table_count(v); i++) {
            size_t len;
            const char *key = temporal__toml_table_key(v, i, &len);
            json_t *child = to_json(temporal__toml_table_value(v, i));
            if (json_object_setn_new(o, key, len, child) != 0) {
                json_decref(o);
                o = NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

int main(void)
{
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    size_t n;
    while (text != NULL && (n = fread(text + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) {
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL)
                free(text);
            text = bigger;
            cap *= 2;
        }
    }
    if (text == NULL || ferror(stdin)) {
        fprintf(stderr, "toml_decoder: cannot read stdin\n");
        free(text);
        return 2;
    }
    struct temporal__toml_value *root = NULL;
    struct temporal__toml_error err;
    int rc = temporal__toml_parse(text, len, &root, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "stdin:%d:%d: %s\n", err.line, err.column, err.message);
        return rc == TEMPORAL_EINVAL ? 1 : 2;
    }
    json_t *j = to_json(root);
    temporal__toml_free(root);
    if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0) {
        fprintf(stderr, "toml_decoder: cannot write JSON\n");
        json_decref(j);
        return 2;
    }
    json_decref(j);
    putchar('\n');
    return 0;
}
