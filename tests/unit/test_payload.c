/* Payload lists and the standard encodings. */
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void json_roundtrip(void **state)
{
    (void)state;
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    const char *doc = "{\"name\":\"x\",\"n\":[1,2,3]}";
    assert_int_equal(temporal_payloads_add_json(&p, doc, strlen(doc)), 0);
    assert_int_equal(temporal_payloads_add_json(&p, "42", 2), 0);
    assert_int_equal(p.count, 2);
    assert_string_equal(temporal_payload_encoding(&p.items[0]), "json/plain");
    const char *json;
    size_t len;
    assert_int_equal(temporal_payload_get_json(&p.items[0], &json, &len), 0);
    assert_int_equal(len, strlen(doc));
    assert_string_equal(json, doc); /* NUL-terminated */
    temporal_payloads_cleanup(&p);
    assert_int_equal(p.count, 0);
    temporal_payloads_cleanup(&p); /* twice is fine */
}

static void string_escaping(void **state)
{
    (void)state;
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    const char *text = "quote \" backslash \\ newline \n unicode \xc3\xa9";
    assert_int_equal(temporal_payloads_add_string(&p, text), 0);
    assert_string_equal((const char *)p.items[0].data,
                        "\"quote \\\" backslash \\\\ newline \\n unicode \xc3\xa9\"");
    char *back = NULL;
    assert_int_equal(temporal_payload_get_string(&p.items[0], &back), 0);
    assert_string_equal(back, text);
    temporal_free(back);
    /* Invalid UTF-8 is refused. */
    assert_int_equal(temporal_payloads_add_string(&p, "\xff\xfe"), TEMPORAL_EINVAL);
    assert_int_equal(p.count, 1);
    temporal_payloads_cleanup(&p);
}

static void bytes_and_null(void **state)
{
    (void)state;
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    const uint8_t raw[] = { 0, 1, 2, 255 };
    assert_int_equal(temporal_payloads_add_bytes(&p, raw, sizeof(raw)), 0);
    assert_int_equal(temporal_payloads_add_null(&p), 0);
    assert_string_equal(temporal_payload_encoding(&p.items[0]), "binary/plain");
    assert_int_equal(p.items[0].data_len, 4);
    assert_memory_equal(p.items[0].data, raw, 4);
    assert_true(temporal_payload_is_null(&p.items[1]));
    assert_false(temporal_payload_is_null(&p.items[0]));
    assert_int_equal(p.items[1].data_len, 0);
    temporal_payloads_cleanup(&p);
}

static void invalid_json(void **state)
{
    (void)state;
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_json(&p, "{not json", 9), TEMPORAL_EINVAL);
    assert_int_equal(temporal_payloads_add_json(&p, "", 0), TEMPORAL_EINVAL);
    assert_int_equal(temporal_payloads_add_json(NULL, "1", 1), TEMPORAL_EINVAL);
    assert_int_equal(p.count, 0);
    temporal_payloads_cleanup(&p);
}

static void copy_keeps_metadata(void **state)
{
    (void)state;
    struct temporal_payload_metadata md[2] = {
        { "encoding", (uint8_t *)"json/protobuf", 13 },
        { "messageType", (uint8_t *)"x.Y", 3 },
    };
    struct temporal_payload src = { md, 2, (uint8_t *)"{}", 2 };
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    for (int i = 0; i < 10; i++) /* grows the list past its first capacity */
        assert_int_equal(temporal_payloads_add_copy(&p, &src), 0);
    assert_int_equal(p.count, 10);
    assert_string_equal(temporal_payload_metadata_get(&p.items[9], "messageType"), "x.Y");
    assert_string_equal(temporal_payload_encoding(&p.items[9]), "json/protobuf");
    assert_null(temporal_payload_metadata_get(&p.items[9], "absent"));
    temporal_payloads_cleanup(&p);
}

static void wrong_encoding(void **state)
{
    (void)state;
    struct temporal_payloads p = TEMPORAL_PAYLOADS_INIT;
    assert_int_equal(temporal_payloads_add_bytes(&p, "ab", 2), 0);
    assert_int_equal(temporal_payloads_add_json(&p, "7", 1), 0);
    char *s = (char *)"untouched";
    const char *json;
    assert_int_equal(temporal_payload_get_string(&p.items[0], &s), TEMPORAL_EPAYLOAD_ENCODING);
    assert_null(s);
    assert_int_equal(temporal_payload_get_json(&p.items[0], &json, NULL), TEMPORAL_EPAYLOAD_ENCODING);
    /* json/plain, but a number, not a string. */
    assert_int_equal(temporal_payload_get_string(&p.items[1], &s), TEMPORAL_EPAYLOAD_ENCODING);
    temporal_payloads_cleanup(&p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(json_roundtrip),  cmocka_unit_test(string_escaping),
    cmocka_unit_test(bytes_and_null),  cmocka_unit_test(invalid_json),
    cmocka_unit_test(copy_keeps_metadata), cmocka_unit_test(wrong_encoding),
};
TS_MAIN(tests)
