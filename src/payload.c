/*
 * Payload lists and the standard encodings (binary/null, binary/plain, json/plain).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

void temporal_payloads_init(struct temporal_payloads *p)
{
    p->items = NULL;
    p->count = 0;
    p->capacity = 0;
}

static void payload_free_contents(struct temporal_payload *pl)
{
    for (size_t i = 0; i < pl->metadata_count; i++) {
        free(pl->metadata[i].key);
        free(pl->metadata[i].value);
    }
    free(pl->metadata);
    free(pl->data);
}

void temporal_payloads_cleanup(struct temporal_payloads *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        payload_free_contents(&p->items[i]);
    free(p->items);
    temporal_payloads_init(p);
}

/* A copy of |len| bytes with a NUL after them (not counted). */
static uint8_t *dup_bytes(const void *data, size_t len)
{
    uint8_t *b = malloc(len + 1);
    if (b == NULL)
        return NULL;
    if (len > 0)
        memcpy(b, data, len);
    b[len] = '\0';
    return b;
}

/* Reserves the next slot of |p| and zeroes it; returns NULL on OOM. */
static struct temporal_payload *payloads_push(struct temporal_payloads *p)
{
    if (p->count == p->capacity) {
        size_t cap = p->capacity ? p->capacity * 2 : 4;
        struct temporal_payload *items = realloc(p->items, cap * sizeof(*items));
        if (items == NULL)
            return NULL;
        p->items = items;
        p->capacity = cap;
    }
    struct temporal_payload *pl = &p->items[p->count];
    memset(pl, 0, sizeof(*pl));
    return pl;
}

/* Appends a payload with a single "encoding" metadata entry and a copy of the data. */
static int payloads_add_encoded(struct temporal_payloads *p, const char *encoding,
                                const void *data, size_t len)
{
    struct temporal_payload *pl = payloads_push(p);
    if (pl == NULL)
        return TEMPORAL_ENOMEM;
    pl->metadata = calloc(1, sizeof(*pl->metadata));
    pl->data = dup_bytes(data, len);
    if (pl->metadata != NULL) {
        pl->metadata[0].key = temporal__strdup("encoding");
        pl->metadata[0].value = dup_bytes(encoding, strlen(encoding));
        pl->metadata[0].value_len = strlen(encoding);
        pl->metadata_count = 1;
    }
    if (pl->data == NULL || pl->metadata == NULL || pl->metadata[0].key == NULL ||
        pl->metadata[0].value == NULL) {
        payload_free_contents(pl);
        return TEMPORAL_ENOMEM;
    }
    pl->data_len = len;
    p->count++;
    return 0;
}

int temporal_payloads_add_json(struct temporal_payloads *p, const char *json, size_t len)
{
    if (p == NULL || json == NULL)
        return TEMPORAL_EINVAL;
    json_error_t jerr;
    json_t *v = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (v == NULL)
        return TEMPORAL_EINVAL;
    json_decref(v);
    return payloads_add_encoded(p, TEMPORAL_ENCODING_JSON, json, len);
}

int temporal_payloads_add_string(struct temporal_payloads *p, const char *text)
{
    if (p == NULL || text == NULL)
        return TEMPORAL_EINVAL;
    json_t *s = json_string(text); /* NULL for invalid UTF-8 */
    if (s == NULL)
        return TEMPORAL_EINVAL;
    char *enc = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    if (enc == NULL)
        return TEMPORAL_ENOMEM;
    int rc = payloads_add_encoded(p, TEMPORAL_ENCODING_JSON, enc, strlen(enc));
    free(enc);
    return rc;
}

int temporal_payloads_add_bytes(struct temporal_payloads *p, const void *data, size_t len)
{
    if (p == NULL || (data == NULL && len > 0))
        return TEMPORAL_EINVAL;
    return payloads_add_encoded(p, TEMPORAL_ENCODING_BINARY, data, len);
}

int temporal_payloads_add_null(struct temporal_payloads *p)
{
    if (p == NULL)
        return TEMPORAL_EINVAL;
    return payloads_add_encoded(p, TEMPORAL_ENCODING_NULL, "", 0);
}

int temporal_payloads_add_copy(struct temporal_payloads *p, const struct temporal_payload *src)
{
    if (p == NULL || src == NULL)
        return TEMPORAL_EINVAL;
    struct temporal_payload *pl = payloads_push(p);
    if (pl == NULL)
        return TEMPORAL_ENOMEM;
    pl->data = dup_bytes(src->data, src->data_len);
    if (pl->data == NULL)
        goto fail;
    pl->data_len = src->data_len;
    if (src->metadata_count > 0) {
        pl->metadata = calloc(src->metadata_count, sizeof(*pl->metadata));
        if (pl->metadata == NULL)
            goto fail;
        for (size_t i = 0; i < src->metadata_count; i++) {
            struct temporal_payload_metadata *m = &pl->metadata[i];
            pl->metadata_count = i + 1; /* so a failure frees what exists */
            m->key = temporal__strdup(src->metadata[i].key);
            m->value = dup_bytes(src->metadata[i].value, src->metadata[i].value_len);
            m->value_len = src->metadata[i].value_len;
            if (m->key == NULL || m->value == NULL)
                goto fail;
        }
    }
    p->count++;
    return 0;
fail:
    payload_free_contents(pl);
    return TEMPORAL_ENOMEM;
}

const char *temporal_payload_metadata_get(const struct temporal_payload *pl, const char *key)
{
    if (pl == NULL || key == NULL)
        return NULL;
    for (size_t i = 0; i < pl->metadata_count; i++)
        if (strcmp(pl->metadata[i].key, key) == 0)
            return (const char *)pl->metadata[i].value;
    return NULL;
}

const char *temporal_payload_encoding(const struct temporal_payload *pl)
{
    return temporal_payload_metadata_get(pl, "encoding");
}

static bool has_encoding(const struct temporal_payload *pl, const char *encoding)
{
    const char *e = temporal_payload_encoding(pl);
    return e != NULL && strcmp(e, encoding) == 0;
}

bool temporal_payload_is_null(const struct temporal_payload *pl)
{
    return pl != NULL && has_encoding(pl, TEMPORAL_ENCODING_NULL);
}

int temporal_payload_get_json(const struct temporal_payload *pl, const char **json, size_t *len)
{
    if (pl == NULL || json == NULL)
        return TEMPORAL_EINVAL;
    if (!has_encoding(pl, TEMPORAL_ENCODING_JSON))
        return TEMPORAL_EPAYLOAD_ENCODING;
    *json = (const char *)pl->data;
    if (len != NULL)
        *len = pl->data_len;
    return 0;
}

int temporal_payload_get_string(const struct temporal_payload *pl, char **out)
{
    if (pl == NULL || out == NULL)
        return TEMPORAL_EINVAL;
    *out = NULL;
    if (!has_encoding(pl, TEMPORAL_ENCODING_JSON))
        return TEMPORAL_EPAYLOAD_ENCODING;
    json_error_t jerr;
    json_t *v = json_loadb((const char *)pl->data, pl->data_len, JSON_DECODE_ANY, &jerr);
    if (v == NULL || !json_is_string(v)) {
        json_decref(v);
        return TEMPORAL_EPAYLOAD_ENCODING;
    }
    *out = temporal__strdup(json_string_value(v));
    json_decref(v);
    return *out == NULL ? TEMPORAL_ENOMEM : 0;
}

const struct temporal_payload *temporal_named_payloads_get(const struct temporal_named_payloads *list,
                                                           const char *name)
{
    if (list == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < list->values.count; i++)
        if (list->names != NULL && strcmp(list->names[i], name) == 0)
            return &list->values.items[i];
    return NULL;
}

void temporal_named_payloads_cleanup(struct temporal_named_payloads *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; list->names != NULL && i < list->values.count; i++)
        free(list->names[i]);
    free(list->names);
    temporal_payloads_cleanup(&list->values);
    memset(list, 0, sizeof(*list));
}
