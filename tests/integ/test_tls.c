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

/* Connects with |o|; on success proves the connection works with a real operation. */
static int try_connect(struct temporal_client_options *o, struct temporal_error *err)
{
    struct temporal_client *c = NULL;
    /* Generous: a TLS handshake under valgrind is slow.  Failures here are not retried. */
    o->connect_timeout_ms = 30000;
    int rc = temporal_client_connect(&c, o, err);
    if (rc != 0) {
        assert_null(c);
        print_message("%s: %s\n", temporal_err_name(rc), err->message);
        return rc;
    }
    char id[96];
    ts_unique(id, sizeof(id), "tls");
    struct temporal_start_workflow_options so = TEMPORAL_START_WORKFLOW_OPTIONS_INIT;
    so.workflow_id = id;
    so.workflow_type = "OverTls";
    so.task_queue = "temporal-c-no-worker";
    TS_OK(temporal_client_start_workflow(c, &so, NULL, NULL, err), *err);
    struct temporal_workflow_description d;
    TS_OK(temporal_client_describe_workflow(c, id, NULL, &d, err), *err);
    assert_string_equal(d.workflow_type, "OverTls");
    temporal_workflow_description_cleanup(&d);
    TS_OK(temporal_client_terminate_workflow(c, id, NULL, NULL, err), *err);
    temporal_client_free(c);
    return 0;
}

static void tls_with_ca(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    TS_OK(try_connect(&o, &err), err);
    /* The same CA given as PEM data. */
    char *pem = slurp(cert("ca.pem"));
    o.tls.server_ca_cert_path = NULL;
    o.tls.server_ca_cert_pem = pem;
    TS_OK(try_connect(&o, &err), err);
    free(pem);
}

static void tls_untrusted_server(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.enabled = true; /* system CA bundle: does not know the test CA */
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAVAILABLE);
    assert_non_null(strstr(err.message, "certificate verify failed"));
    assert_non_null(strstr(err.message, "TLS handshake failed"));
    /* A CA that did not sign the server's certificate. */
    o.tls.server_ca_cert_path = cert("other-ca.pem");
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAVAILABLE);
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
    TS_OK(try_connect(&o, &err), err);
    free(key);
}

static void mtls_without_client_cert(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("mtls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAUTHENTICATED);
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
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAUTHENTICATED);
}

static void api_key_accepted(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("apikey_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.api_key = ts_state("api_key");
    TS_OK(try_connect(&o, &err), err);
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
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAUTHENTICATED);
    assert_non_null(strstr(err.message, "API key"));
    assert_null(strstr(err.message, wrong));
    assert_null(strstr(err.message, "this_is_a_wrong"));
    assert_null(strstr(err.message, ts_state("api_key")));
    /* No key at all: also refused. */
    o.api_key = NULL;
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAUTHENTICATED);
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
    TS_OK(try_connect(&o, &err), err);
}

static void wrong_server_name(void **state)
{
    (void)state;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    o.target = ts_state("tls_address");
    o.tls.server_ca_cert_path = cert("ca.pem");
    o.tls.server_name = "not-the-server.example";
    assert_int_equal(try_connect(&o, &err), TEMPORAL_EUNAVAILABLE);
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
    TS_OK(try_connect(&o, &err), err);

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
