/*
 * proto: conversions between generated Temporal API messages and public C types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

temporal__pb_payloads *temporal__payloads_view_init(struct temporal__payloads_view *v,
                                                    const struct temporal_payloads *src, int *rc)
{
    memset(v, 0, sizeof(*v));
    temporal__pb_payloads empty = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    v->msg = empty; /* a valid (empty) message even when there is nothing to view */
    *rc = 0;
    if (src == NULL || src->count == 0)
        return NULL;
    size_t n_entries = 0;
    for (size_t i = 0; i < src->count; i++)
        n_entries += src->items[i].metadata_count;
    v->items = calloc(src->count, sizeof(*v->items));
    v->item_ptrs = calloc(src->count, sizeof(*v->item_ptrs));
    v->entries = calloc(n_entries ? n_entries : 1, sizeof(*v->entries));
    v->entry_ptrs = calloc(n_entries ? n_entries : 1, sizeof(*v->entry_ptrs));
    if (!v->items || !v->item_ptrs || !v->entries || !v->entry_ptrs) {
        temporal__payloads_view_cleanup(v);
        *rc = TEMPORAL_ENOMEM;
        return NULL;
    }
    size_t e = 0;
    for (size_t i = 0; i < src->count; i++) {
        const struct temporal_payload *pl = &src->items[i];
        temporal__pb_payload init = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
        v->items[i] = init;
        v->items[i].data.data = pl->data;
        v->items[i].data.len = pl->data_len;
        v->items[i].n_metadata = pl->metadata_count;
        v->items[i].metadata = &v->entry_ptrs[e];
        for (size_t m = 0; m < pl->metadata_count; m++, e++) {
            Temporal__Api__Common__V1__Payload__MetadataEntry me =
                TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
            me.key = pl->metadata[m].key;
            me.value.data = pl->metadata[m].value;
            me.value.len = pl->metadata[m].value_len;
            v->entries[e] = me;
            v->entry_ptrs[e] = &v->entries[e];
        }
        v->item_ptrs[i] = &v->items[i];
    }
    temporal__pb_payloads msg = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    msg.n_payloads = src->count;
    msg.payloads = v->item_ptrs;
    v->msg = msg;
    return &v->msg;
}

void temporal__payloads_view_cleanup(struct temporal__payloads_view *v)
{
    free(v->items);
    free(v->item_ptrs);
    free(v->entries);
    free(v->entry_ptrs);
    memset(v, 0, sizeof(*v));
}

int temporal__payload_map_view_init(struct temporal__payload_map_view *v,
                                    const struct temporal_named_payload *fields, size_t count)
{
    static struct temporal_payload_metadata null_encoding = { (char *)"encoding",
                                                              (uint8_t *)"binary/null", 11 };
    static const struct temporal_payload null_value = { &null_encoding, 1, NULL, 0 };
    memset(v, 0, sizeof(*v));
    Temporal__Api__Common__V1__Memo memo = TEMPORAL__API__COMMON__V1__MEMO__INIT;
    Temporal__Api__Common__V1__SearchAttributes sa = TEMPORAL__API__COMMON__V1__SEARCH_ATTRIBUTES__INIT;
    v->memo = memo;
    v->search_attributes = sa;
    if (count == 0)
        return 0;
    for (size_t i = 0; i < count; i++)
        if (fields[i].name == NULL || fields[i].name[0] == '\0')
            return TEMPORAL_EINVAL;
    v->values.items = calloc(count, sizeof(*v->values.items));
    v->memo_entries = calloc(count, sizeof(*v->memo_entries));
    v->memo_ptrs = calloc(count, sizeof(*v->memo_ptrs));
    v->sa_entries = calloc(count, sizeof(*v->sa_entries));
    v->sa_ptrs = calloc(count, sizeof(*v->sa_ptrs));
    int rc = 0;
    if (v->values.items != NULL) {
        for (size_t i = 0; i < count; i++)
            v->values.items[i] = fields[i].value ? *fields[i].value : null_value;
        v->values.count = v->values.capacity = count;
        temporal__payloads_view_init(&v->values_view, &v->values, &rc);
    }
    if (!v->values.items || !v->memo_entries || !v->memo_ptrs || !v->sa_entries || !v->sa_ptrs ||
        rc != 0) {
        temporal__payload_map_view_cleanup(v);
        return TEMPORAL_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        Temporal__Api__Common__V1__Memo__FieldsEntry me = TEMPORAL__API__COMMON__V1__MEMO__FIELDS_ENTRY__INIT;
        me.key = (char *)fields[i].name;
        me.value = v->values_view.msg.payloads[i];
        v->memo_entries[i] = me;
        v->memo_ptrs[i] = &v->memo_entries[i];
        Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry se =
            TEMPORAL__API__COMMON__V1__SEARCH_ATTRIBUTES__INDEXED_FIELDS_ENTRY__INIT;
        se.key = (char *)fields[i].name;
        se.value = v->values_view.msg.payloads[i];
        v->sa_entries[i] = se;
        v->sa_ptrs[i] = &v->sa_entries[i];
    }
    v->memo.n_fields = count;
    v->memo.fields = v->memo_ptrs;
    v->search_attributes.n_indexed_fields = count;
    v->search_attributes.indexed_fields = v->sa_ptrs;
    return 0;
}

void temporal__payload_map_view_cleanup(struct temporal__payload_map_view *v)
{
    temporal__payloads_view_cleanup(&v->values_view);
    free(v->values.items); /* shallow copies: the bytes are the caller's */
    free(v->memo_entries);
    free(v->memo_ptrs);
    free(v->sa_entries);
    free(v->sa_ptrs);
    memset(v, 0, sizeof(*v));
}

int temporal__named_payloads_add(struct temporal_named_payloads *list, const char *key,
                                 const temporal__pb_payload *value)
{
    if (key == NULL || value == NULL)
        return 0;
    size_t n = list->values.count;
    char **names = realloc(list->names, (n + 1) * sizeof(*names));
    if (names == NULL)
        return TEMPORAL_ENOMEM;
    list->names = names;
    if ((names[n] = temporal__strdup(key)) == NULL)
        return TEMPORAL_ENOMEM;
    temporal__pb_payload *one[1] = { (temporal__pb_payload *)value };
    temporal__pb_payloads wrap = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    wrap.n_payloads = 1;
    wrap.payloads = one;
    int rc = temporal__payloads_from_proto(&list->values, &wrap);
    if (rc != 0) {
        free(names[n]);
        names[n] = NULL;
    }
    return rc;
}

int temporal__payloads_from_proto(struct temporal_payloads *dst, const temporal__pb_payloads *src)
{
    if (src == NULL)
        return 0;
    for (size_t i = 0; i < src->n_payloads; i++) {
        const temporal__pb_payload *p = src->payloads[i];
        struct temporal_payload_metadata stack_md[4];
        struct temporal_payload_metadata *md = stack_md;
        if (p->n_metadata > TEMPORAL__ARRAY_LEN(stack_md)) {
            md = calloc(p->n_metadata, sizeof(*md));
            if (md == NULL)
                return TEMPORAL_ENOMEM;
        }
        for (size_t m = 0; m < p->n_metadata; m++) {
            md[m].key = p->metadata[m]->key;
            md[m].value = p->metadata[m]->value.data;
            md[m].value_len = p->metadata[m]->value.len;
        }
        struct temporal_payload view = { md, p->n_metadata, p->data.data, p->data.len };
        int rc = temporal_payloads_add_copy(dst, &view);
        if (md != stack_md)
            free(md);
        if (rc != 0)
            return rc;
    }
    return 0;
}

Google__Protobuf__Duration *temporal__duration_set(Google__Protobuf__Duration *d, int64_t ms)
{
    Google__Protobuf__Duration init = GOOGLE__PROTOBUF__DURATION__INIT;
    *d = init;
    d->seconds = ms / 1000;
    d->nanos = (int32_t)((ms % 1000) * 1000000);
    return d;
}

int64_t temporal__duration_ms(const Google__Protobuf__Duration *d)
{
    return d == NULL ? 0 : d->seconds * 1000 + d->nanos / 1000000;
}

int64_t temporal__timestamp_ms(const Google__Protobuf__Timestamp *ts)
{
    return ts == NULL ? 0 : ts->seconds * 1000 + ts->nanos / 1000000;
}

const char *temporal__event_type_name(int event_type)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&temporal__api__enums__v1__event_type__descriptor,
                                             event_type);
    return v ? v->name : "EVENT_TYPE_UNKNOWN";
}

void temporal__failure_application(temporal__pb_failure *f,
                                   Temporal__Api__Failure__V1__ApplicationFailureInfo *info,
                                   const char *type, const char *message, bool non_retryable,
                                   temporal__pb_payloads *details)
{
    Temporal__Api__Failure__V1__ApplicationFailureInfo app =
        TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
    app.type = (char *)type;
    app.non_retryable = non_retryable;
    app.details = details != NULL && details->n_payloads > 0 ? details : NULL;
    *info = app;
    temporal__pb_failure init = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
    *f = init;
    f->message = (char *)message;
    f->source = (char *)TEMPORAL__FAILURE_SOURCE;
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
    f->application_failure_info = info;
}

void temporal__failure_describe(const temporal__pb_failure *f, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int depth = 0; f != NULL && depth < 8 && used + 1 < cap; depth++, f = f->cause) {
        const char *type = NULL;
        if (f->failure_info_case ==
                TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO &&
            f->application_failure_info && !temporal__empty(f->application_failure_info->type))
            type = f->application_failure_info->type;
        int n = snprintf(buf + used, cap - used, "%s%s%s%s%s", depth ? " <- caused by: " : "",
                         f->message ? f->message : "", type ? " (type " : "", type ? type : "",
                         type ? ")" : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
