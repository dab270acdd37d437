/*
 * TLS, mutual TLS and API keys through a real TLS terminator (nginx, started by the
 * harness with certificates it made) in front of the dev server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static const char *cert(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/certs/%s", getenv("TEMPORAL_TEST_STATE"), name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    assert_true(n > 0);
    return buf;
}

static void tls_with_ca(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);
    /* The same CA given as PEM data. */
    char *pem = slurp(cert("ca.pem"));
    o.tls.server_ca_cert_path = NULL;
    o.tls.server_ca_cert_pem = pem;
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);
    free(pem);
}

static void tls_untrusted_server(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.enabled = true; /* system CA bundle: does not know the test CA */
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAVAILABLE);
    assert_non_null(strstr(err.message, "certificate verify failed"));
    assert_non_null(strstr(err.message, "TLS handshake failed"));
    /* A CA that did not sign the server's certificate. */
    o.tls.server_ca_cert_path = cert("other-ca.pem");
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAVAILABLE);
    assert_non_null(strstr(err.message, "TLS handshake failed"));
}

static void mtls_with_client_cert(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("mtls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.tls.client_cert_path = cert("client.pem");
    char *key = slurp(cert("client.key")); /* one item from a file, one from memory */
    o.tls.client_key_pem = key;
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);
    free(key);
}

static void mtls_without_client_cert(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("mtls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAUTHENTICATED);
    assert_int_equal(err.grpc_status, 16);
    assert_non_null(strstr(err.message, "client certificate"));
}

static void mtls_with_untrusted_client_cert(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("mtls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.tls.client_cert_path = cert("other-client.pem");
    o.tls.client_key_path = cert("other-client.key");
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAUTHENTICATED);
}

static void api_key_accepted(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("apikey_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.api_key = ts_state("api_key");
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);
}

static void api_key_wrong_not_leaked(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    const char *wrong = "tck_this_is_a_wrong_secret_4242";
    o.target = ts_state("apikey_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.api_key = wrong;
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAUTHENTICATED);
    assert_non_null(strstr(err.message, "API key"));
    assert_null(strstr(err.message, wrong));
    assert_null(strstr(err.message, "this_is_a_wrong"));
    assert_null(strstr(err.message, ts_state("api_key")));
    /* No key at all: also refused. */
    o.api_key = NULL;
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAUTHENTICATED);
}

static void server_name_override(void **state)
{
    (void)state;
    /* The certificate names "localhost"; connect by IP and verify against that name. */
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.tls.server_name = "localhost";
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);
}

static void wrong_server_name(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.tls.server_name = "not-the-server.example";
    assert_int_equal(ts_try_connect(&o, "OverTls", &err), TEMPORAL_EUNAVAILABLE);
    assert_non_null(strstr(err.message, "not-the-server.example"));
    assert_non_null(strstr(err.message, "TLS handshake failed"));
}

static void metadata_on_every_call(void **state)
{
    (void)state;
    /* nginx logs the metadata of each call it proxies (harness.sh, log_format grpc_meta). */
    char tag[96];
    ts_unique(tag, sizeof(tag), "meta");
    struct temporal_metadata_pair md[] = { { "x-temporal-c-test", tag } };
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("apikey_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.api_key = ts_state("api_key");
    o.metadata = md;
    o.metadata_count = 1;
    TS_OK(ts_try_connect(&o, "OverTls", &err), err);

    char path[1024], line[2048];
    snprintf(path, sizeof(path), "%s/nginx/access.log", getenv("TEMPORAL_TEST_STATE"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    const char *rpcs[] = { "GetSystemInfo", "StartWorkflowExecution", "DescribeWorkflowExecution",
                           "TerminateWorkflowExecution" };
    int seen[4] = { 0 }, lines = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, tag) == NULL)
            continue;
        lines++;
        assert_non_null(strstr(line, "client-name=\"temporal-c\""));
        assert_non_null(strstr(line, "client-version=\"" TEMPORAL_VERSION "\""));
        assert_non_null(strstr(line, "temporal-namespace=\"default\""));
        for (int i = 0; i < 4; i++)
            if (strstr(line, rpcs[i]) != NULL)
                seen[i]++;
    }
    fclose(f);
    assert_int_equal(lines, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(seen[i], 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(metadata_on_every_call),
    cmocka_unit_test(tls_with_ca),
    cmocka_unit_test(tls_untrusted_server),
    cmocka_unit_test(mtls_with_client_cert),
    cmocka_unit_test(mtls_without_client_cert),
    cmocka_unit_test(mtls_with_untrusted_client_cert),
    cmocka_unit_test(api_key_accepted),
    cmocka_unit_test(api_key_wrong_not_leaked),
    cmocka_unit_test(server_name_override),
    cmocka_unit_test(wrong_server_name),
};
TS_MAIN(tests)
