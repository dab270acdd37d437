/* Client option validation: every mistake is reported before any network I/O, clearly. */
#include <stdio.h>
#include <string.h>

#include "support.h"

static int connect_with(struct temporal_client_options *o, struct temporal_error *err)
{
    struct temporal_client *c = (struct temporal_client *)0x1;
    int rc = temporal_client_connect(&c, o, err);
    assert_int_not_equal(rc, 0);
    assert_null(c);
    assert_int_equal(err->code, rc);
    return rc;
}

static void missing_target(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "'target' is required"));
    /* Options not made with the INIT macro are refused too. */
    struct temporal_client_options zero;
    memset(&zero, 0, sizeof(zero));
    assert_int_equal(connect_with(&zero, &err), TEMPORAL_EINVAL);
}

static void bad_target(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    const char *bad[] = { "localhost", "localhost:", ":7233", "host:72x3" };
    for (size_t i = 0; i < 4; i++) {
        o.target = bad[i];
        assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
        assert_non_null(strstr(err.message, "host:port"));
        assert_non_null(strstr(err.message, bad[i]));
    }
}

static void both_path_and_pem(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.tls.server_ca_cert_path = "/etc/ssl/certs/ca-certificates.crt";
    o.tls.server_ca_cert_pem = "-----BEGIN CERTIFICATE-----\n";
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "TLS server CA certificate"));
    assert_non_null(strstr(err.message, "only one"));
}

static void unreadable_file(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.tls.client_cert_path = "/nonexistent/client.pem";
    o.tls.client_key_path = "/nonexistent/client.key";
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EIO);
    assert_non_null(strstr(err.message, "/nonexistent/client.pem"));
    assert_non_null(strstr(err.message, "TLS client certificate"));
}

static void not_pem(void **state)
{
    (void)state;
    char path[] = "/tmp/temporal-c-notpem-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("this is not a certificate\n", f);
    fclose(f);
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.tls.server_ca_cert_path = path;
    assert_int_equal(connect_with(&o, &err), TEMPORAL_ETLS);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "PEM"));
    remove(path);
    /* In-memory data too. */
    o.tls.server_ca_cert_path = NULL;
    o.tls.client_cert_pem = "garbage";
    o.tls.client_key_pem = "garbage";
    assert_int_equal(connect_with(&o, &err), TEMPORAL_ETLS);
    assert_non_null(strstr(err.message, "TLS client certificate data"));
}

static void cert_without_key(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.tls.client_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "client key"));
}

static void bad_metadata_key(void **state)
{
    (void)state;
    struct temporal_metadata_pair md[] = { { "Bad Key", "v" } };
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.metadata = md;
    o.metadata_count = 1;
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "'Bad Key'"));
}

static void api_key_with_newline_not_echoed(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = "localhost:7233";
    o.api_key = "secret-key-value\n";
    assert_int_equal(connect_with(&o, &err), TEMPORAL_EINVAL);
    assert_non_null(strstr(err.message, "API key"));
    assert_null(strstr(err.message, "secret-key-value"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(missing_target),    cmocka_unit_test(bad_target),
    cmocka_unit_test(both_path_and_pem), cmocka_unit_test(unreadable_file),
    cmocka_unit_test(not_pem),           cmocka_unit_test(cert_without_key),
    cmocka_unit_test(bad_metadata_key),  cmocka_unit_test(api_key_with_newline_not_echoed),
};
TS_MAIN(tests)
