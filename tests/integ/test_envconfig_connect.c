/*
 * envconfig end to end: a temporal.toml profile (and TEMPORAL_* variables) loaded with
 * temporal_config_load_profile(), turned into client options and used to connect through the
 * harness's nginx fronts (mutual TLS, TLS + API key) to the dev server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

#define PATH_CAP 1024

static const char *cert(const char *name)
{
    static char paths[8][PATH_CAP];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, PATH_CAP, "%s/certs/%s", getenv("TEMPORAL_TEST_STATE"), name);
    return p;
}

/* Appends |s| to |buf| as a TOML basic string, escaping '"' and '\'. */
static void toml_str(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    if (n + 1 < cap)
        buf[n++] = '"';
    for (; *s != '\0' && n + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            buf[n++] = '\\';
        buf[n++] = *s;
    }
    if (n + 1 < cap)
        buf[n++] = '"';
    buf[n] = '\0';
}

/* Appends `key = "value"\n`. */
static void toml_kv(char *buf, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s = ", key);
    toml_str(buf, cap, value);
    n = strlen(buf);
    snprintf(buf + n, cap - n, "\n");
}

static void toml_line(char *buf, size_t cap, const char *line)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s\n", line);
}

/* Writes |text| to a fresh temporal.toml in a new temporary directory; returns its path. */
static const char *write_config(char *path, size_t cap, const char *text)
{
    const char *base = getenv("TMPDIR");
    char dir[PATH_CAP / 2];
    snprintf(dir, sizeof(dir), "%s/temporal-c-envconfig-XXXXXX",
             base != NULL && base[0] == '/' ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, cap, "%s/temporal.toml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    return path;
}

static void remove_config(const char *path)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof(dir), "%s", path);
    unlink(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        rmdir(dir);
    }
}

/* Loads |profile| from |path| with environment |env| and converts it; fails the test on error. */
static void load_options(const char *path, const char *profile, const char *const *env,
                         struct temporal_config_profile *p, struct temporal_client_options *o)
{
    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_file_path = path;
    lo.profile = profile;
    lo.env = env;
    struct temporal_error err;
    TS_OK(temporal_config_load_profile(&lo, p, &err), err);
    TS_OK(temporal_config_profile_client_options(p, o, &err), err);
}

static const char *const no_env[] = { NULL };

/* (a) mutual TLS: address, CA, client certificate and key from a profile. */
static void mtls_profile_from_file(void **state)
{
    (void)state;
    char text[8192] = "";
    toml_line(text, sizeof(text), "[profile.mtls]");
    toml_kv(text, sizeof(text), "address", ts_state("mtls_address"));
    toml_line(text, sizeof(text), "[profile.mtls.tls]");
    toml_kv(text, sizeof(text), "server_ca_cert_path", cert("ca.pem"));
    toml_kv(text, sizeof(text), "client_cert_path", cert("client.pem"));
    toml_kv(text, sizeof(text), "client_key_path", cert("client.key"));
    char path[PATH_CAP];
    write_config(path, sizeof(path), text);

    struct temporal_config_profile p;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(path, "mtls", no_env, &p, &o);
    assert_string_equal(o.target, ts_state("mtls_address"));
    assert_string_equal(o.namespace_name, "default");
    struct temporal_error err;
    int rc = ts_try_connect(&o, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    remove_config(path);
    TS_OK(rc, err);
}

/* (b) API key: address, key and CA from a profile; TLS comes from the tls table. */
static void api_key_profile_from_file(void **state)
{
    (void)state;
    char text[8192] = "";
    toml_line(text, sizeof(text), "[profile.cloud]");
    toml_kv(text, sizeof(text), "address", ts_state("apikey_address"));
    toml_kv(text, sizeof(text), "namespace", "default");
    toml_kv(text, sizeof(text), "api_key", ts_state("api_key"));
    toml_line(text, sizeof(text), "[profile.cloud.tls]");
    toml_kv(text, sizeof(text), "server_ca_cert_path", cert("ca.pem"));
    char path[PATH_CAP];
    write_config(path, sizeof(path), text);

    struct temporal_config_profile p;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(path, "cloud", no_env, &p, &o);
    struct temporal_error err;
    int rc = ts_try_connect(&o, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    remove_config(path);
    TS_OK(rc, err);
}

/*
 * (c) The same settings given only through TEMPORAL_* variables override a file that holds
 * wrong ones: the file is found through TEMPORAL_CONFIG_FILE and the profile through
 * TEMPORAL_PROFILE.  Then mutual TLS the same way, over a file naming the wrong client
 * certificate and a closed port.
 */
static void env_overrides_file(void **state)
{
    (void)state;
    char text[8192] = "";
    toml_line(text, sizeof(text), "[profile.staging]");
    toml_kv(text, sizeof(text), "address", "127.0.0.1:1");
    toml_kv(text, sizeof(text), "namespace", "no-such-namespace");
    toml_kv(text, sizeof(text), "api_key", "tck_wrong_key_from_the_file");
    toml_line(text, sizeof(text), "[profile.staging.tls]");
    toml_kv(text, sizeof(text), "server_ca_cert_path", cert("other-ca.pem"));
    toml_kv(text, sizeof(text), "client_cert_path", cert("other-client.pem"));
    toml_kv(text, sizeof(text), "client_key_path", cert("other-client.key"));
    char path[PATH_CAP];
    write_config(path, sizeof(path), text);

    /* The API-key front. */
    char v_file[PATH_CAP + 32], v_addr[600], v_key[600], v_ca[PATH_CAP + 40];
    snprintf(v_file, sizeof(v_file), "TEMPORAL_CONFIG_FILE=%s", path);
    snprintf(v_addr, sizeof(v_addr), "TEMPORAL_ADDRESS=%s", ts_state("apikey_address"));
    snprintf(v_key, sizeof(v_key), "TEMPORAL_API_KEY=%s", ts_state("api_key"));
    snprintf(v_ca, sizeof(v_ca), "TEMPORAL_TLS_SERVER_CA_CERT_PATH=%s", cert("ca.pem"));
    /* The API-key front does not ask for a client certificate; the file's are harmless. */
    const char *env[] = { v_file, "TEMPORAL_PROFILE=staging", v_addr,
                          "TEMPORAL_NAMESPACE=default", v_key, v_ca, NULL };
    struct temporal_config_profile p;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(NULL, NULL, env, &p, &o);
    assert_string_equal(o.target, ts_state("apikey_address"));
    assert_string_equal(o.api_key, ts_state("api_key"));
    struct temporal_error err;
    int rc = ts_try_connect(&o, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    if (rc != 0) {
        remove_config(path);
        TS_OK(rc, err);
    }

    /* The mutual-TLS front, with the right certificate from the environment. */
    char v_maddr[600], v_crt[PATH_CAP + 40], v_k[PATH_CAP + 40];
    snprintf(v_maddr, sizeof(v_maddr), "TEMPORAL_ADDRESS=%s", ts_state("mtls_address"));
    snprintf(v_crt, sizeof(v_crt), "TEMPORAL_TLS_CLIENT_CERT_PATH=%s", cert("client.pem"));
    snprintf(v_k, sizeof(v_k), "TEMPORAL_TLS_CLIENT_KEY_PATH=%s", cert("client.key"));
    const char *menv[] = { v_file, "TEMPORAL_PROFILE=staging", v_maddr,
                           "TEMPORAL_NAMESPACE=default", "TEMPORAL_API_KEY=", v_ca, v_crt, v_k,
                           NULL };
    struct temporal_client_options mo = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(NULL, NULL, menv, &p, &mo);
    rc = ts_try_connect(&mo, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    remove_config(path);
    TS_OK(rc, err);
}

/* (d) A wrong API key from the file: refused, and the key is not in the message. */
static void wrong_api_key_from_file(void **state)
{
    (void)state;
    const char *wrong = "tck_envconfig_wrong_secret_5150";
    char text[8192] = "";
    toml_line(text, sizeof(text), "[profile.default]");
    toml_kv(text, sizeof(text), "address", ts_state("apikey_address"));
    toml_kv(text, sizeof(text), "api_key", wrong);
    toml_line(text, sizeof(text), "[profile.default.tls]");
    toml_kv(text, sizeof(text), "server_ca_cert_path", cert("ca.pem"));
    char path[PATH_CAP];
    write_config(path, sizeof(path), text);

    struct temporal_config_profile p;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(path, NULL, no_env, &p, &o);
    struct temporal_error err;
    int rc = ts_try_connect(&o, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    remove_config(path);
    assert_int_equal(rc, TEMPORAL_EUNAUTHENTICATED);
    assert_null(strstr(err.message, wrong));
    assert_null(strstr(err.message, "wrong_secret"));
    assert_null(strstr(err.message, ts_state("api_key")));
}

/*
 * Extra: grpc_meta from the file and from TEMPORAL_GRPC_META_* reach the wire (nginx logs
 * the x-temporal-c-test header of each call it proxies), and an `authorization` entry in
 * grpc_meta wins over the profile's (wrong) API key (§5.4).
 */
static void grpc_meta_on_the_wire(void **state)
{
    (void)state;
    char tag[96], bearer[600];
    ts_unique(tag, sizeof(tag), "envmeta");
    snprintf(bearer, sizeof(bearer), "Bearer %s", ts_state("api_key"));
    char text[8192] = "";
    toml_line(text, sizeof(text), "[profile.default]");
    toml_kv(text, sizeof(text), "address", ts_state("apikey_address"));
    toml_kv(text, sizeof(text), "api_key", "tck_wrong_but_preempted");
    toml_line(text, sizeof(text), "[profile.default.tls]");
    toml_kv(text, sizeof(text), "server_ca_cert_path", cert("ca.pem"));
    toml_line(text, sizeof(text), "[profile.default.grpc_meta]");
    toml_kv(text, sizeof(text), "authorization", bearer);
    char path[PATH_CAP];
    write_config(path, sizeof(path), text);

    /* The header name is normalised from the variable's suffix. */
    char v_tag[160];
    snprintf(v_tag, sizeof(v_tag), "TEMPORAL_GRPC_META_X_TEMPORAL_C_TEST=%s", tag);
    const char *env[] = { v_tag, NULL };
    struct temporal_config_profile p;
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    load_options(path, NULL, env, &p, &o);
    struct temporal_error err;
    int rc = ts_try_connect(&o, "FromEnvConfig", &err);
    temporal_config_profile_cleanup(&p);
    remove_config(path);
    TS_OK(rc, err);

    char log[PATH_CAP], line[2048], want[160];
    snprintf(log, sizeof(log), "%s/nginx/access.log", getenv("TEMPORAL_TEST_STATE"));
    snprintf(want, sizeof(want), "test-tag=\"%s\"", tag);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    int lines = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, want) != NULL)
            lines++;
    fclose(f);
    /* GetSystemInfo, start, describe and terminate. */
    assert_int_equal(lines, 4);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(mtls_profile_from_file),
    cmocka_unit_test(api_key_profile_from_file),
    cmocka_unit_test(env_overrides_file),
    cmocka_unit_test(wrong_api_key_from_file),
    cmocka_unit_test(grpc_meta_on_the_wire),
};
TS_MAIN(tests)
