/*
 * envconfig: `temporal.toml` profiles and TEMPORAL_* variables (include/temporal/envconfig.h),
 * checked against the cases of the official SDKs' suites (/work/shared/spec/envconfig.md §9).
 *
 * Most cases are rows of a table, one table per spec section, run by run_table().  Each row
 * carries its spec id (F1, P3, E4, T9, A5, S3, ...; "X" marks the extra cases of §9's last
 * paragraph and our own) and every failure message starts with that id, so a failing row
 * points at the spec.  A table keeps running after a failing row and fails once at the end,
 * listing every failing row.  Cases that need files on disk, the process environment or the
 * user config directory are written by hand below the tables.
 *
 * Where the SDKs disagree we follow sdk-core (§8).  Every test runs with HOME set to an empty
 * temporary directory and XDG_CONFIG_HOME unset, and every table row passes an explicit `env`
 * array, so the developer's own temporal.toml and TEMPORAL_* variables never leak in.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

#define PATH_CAP 1024
/* The temporary directory's path is kept short so that paths built from it always fit. */
#define TMP_CAP 512

/* ------------------------------------------------------------------ fixture -- */

/* The per-test temporary directory, and HOME inside it. */
static char g_tmp[TMP_CAP];
static char g_home[TMP_CAP + 16];
static char *g_saved_home;
static char *g_saved_xdg;

static char *dup_or_null(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

static void restore_var(const char *name, const char *saved)
{
    if (saved != NULL)
        setenv(name, saved, 1);
    else
        unsetenv(name);
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char child[PATH_CAP];
                snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
                rm_rf(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void mkdir_p(const char *dir)
{
    char buf[PATH_CAP];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    }
    mkdir(buf, 0700);
}

/* Writes |len| bytes of |text| to |path|, creating its parent directories. */
static void write_file_n(const char *path, const char *text, size_t len)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        mkdir_p(dir);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot create %s", path);
    if (len > 0 && fwrite(text, 1, len, f) != len)
        fail_msg("cannot write %s", path);
    fclose(f);
}

static void write_file(const char *path, const char *text)
{
    write_file_n(path, text, strlen(text));
}

/* Every test: HOME is an empty temporary directory and XDG_CONFIG_HOME is unset. */
static int fixture_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof(g_tmp), "%s/temporal-c-envconfig-XXXXXX",
             base != NULL && base[0] == '/' ? base : "/tmp");
    if (mkdtemp(g_tmp) == NULL)
        return -1;
    snprintf(g_home, sizeof(g_home), "%s/home", g_tmp);
    mkdir_p(g_home);
    g_saved_home = dup_or_null(getenv("HOME"));
    g_saved_xdg = dup_or_null(getenv("XDG_CONFIG_HOME"));
    setenv("HOME", g_home, 1);
    unsetenv("XDG_CONFIG_HOME");
    return 0;
}

static int fixture_teardown(void **state)
{
    (void)state;
    restore_var("HOME", g_saved_home);
    restore_var("XDG_CONFIG_HOME", g_saved_xdg);
    free(g_saved_home);
    free(g_saved_xdg);
    g_saved_home = g_saved_xdg = NULL;
    rm_rf(g_tmp);
    return 0;
}

/* The default config file under the fixture's HOME. */
static void default_config_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/.config/temporalio/temporal.toml", g_home);
}

/* ----------------------------------------------------------- table machinery -- */

/* Where a row's TOML text goes. */
enum file_mode {
    FM_DATA = 0, /* config_data (nothing at all when the row has no TOML) */
    FM_PATH,     /* a file passed as config_file_path */
    FM_ENV,      /* a file named by TEMPORAL_CONFIG_FILE in the env array */
    FM_DEFAULT,  /* the default file, $HOME/.config/temporalio/temporal.toml */
    FM_MISSING,  /* config_file_path names a file that does not exist */
};

/* Row flags. */
#define STRICT 0x1u       /* opts.strict */
#define NO_FILE 0x2u      /* opts.disable_file */
#define NO_ENV 0x4u       /* opts.disable_env */
#define ALSO_DATA 0x8u    /* with FM_PATH: also pass the TOML as config_data */

#define MAX_ENV 20
#define MAX_FRAGS 6
#define MAX_EXPECT 26

/*
 * One case.  Message fragments: "!x" means x must NOT appear (secrets), "~x" compares
 * ignoring case, "a|b" accepts either (each alternative may start with "~"), "@FILE" stands
 * for the row's file path.
 * Expectations are "field=value" ("<null>" for NULL); fields:
 *   address namespace api_key  tls (present|absent)  tls.disabled (unset|true|false)
 *   tls.server_name  tls.disable_host_verification (true|false)
 *   tls.{client_cert,client_key,server_ca_cert}.{path,data}
 *   codec (present|absent)  codec.endpoint  codec.auth  meta# (count)  meta.<key>
 * and, after temporal_config_profile_client_options(), with the prefix "opt.":
 *   opt.target opt.namespace opt.api_key  opt.tls (on|off: what the connection will do)
 *   opt.tls.enabled opt.tls.disabled (true|false)  opt.tls.server_name
 *   opt.tls.{server_ca_cert,client_cert,client_key}_{path,pem}  opt.meta#  opt.meta.<key>
 * The conversion runs when the load succeeded and the row has "opt." expectations or a
 * non-zero opt_rc.
 */
struct ec_case {
    const char *id;
    const char *toml;
    enum file_mode file;
    const char *profile;
    unsigned flags;
    const char *env[MAX_ENV];
    int rc;
    int rc_alt; /* a second acceptable code, when not 0 */
    const char *msg[MAX_FRAGS];
    const char *expect[MAX_EXPECT];
    int opt_rc;
    const char *opt_msg[MAX_FRAGS];
    const char *data_name;
};

static bool is_null_word(const char *want)
{
    return strcmp(want, "<null>") == 0;
}

static bool find_text(const char *hay, const char *needle, bool ci)
{
    if (!ci)
        return strstr(hay, needle) != NULL;
    size_t n = strlen(needle);
    for (const char *h = hay; *h != '\0'; h++) {
        size_t i = 0;
        while (i < n && h[i] != '\0' &&
               tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* Does |msg| satisfy fragment |frag| (syntax above)? */
static bool fragment_ok(const char *msg, const char *frag, const char *file)
{
    bool negate = false;
    if (*frag == '!') {
        negate = true;
        frag++;
    }
    bool any = false;
    const char *p = frag;
    for (;;) {
        bool ci = *p == '~';
        if (ci)
            p++;
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        char alt[PATH_CAP + 256];
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < sizeof(alt); i++) {
            if (strncmp(p + i, "@FILE", 5) == 0 && i + 5 <= n) {
                int w = snprintf(alt + o, sizeof(alt) - o, "%s", file != NULL ? file : "?");
                o += (size_t)w < sizeof(alt) - o ? (size_t)w : sizeof(alt) - o - 1;
                i += 4;
            } else {
                alt[o++] = p[i];
            }
        }
        alt[o] = '\0';
        if (find_text(msg, alt, ci))
            any = true;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return negate ? !any : any;
}

static void describe_str(char *why, size_t cap, const char *got)
{
    if (got == NULL)
        snprintf(why, cap, "got NULL");
    else
        snprintf(why, cap, "got '%s'", got);
}

static bool check_str(const char *got, const char *want, char *why, size_t cap)
{
    bool ok = is_null_word(want) ? got == NULL : got != NULL && strcmp(got, want) == 0;
    if (!ok)
        describe_str(why, cap, got);
    return ok;
}

static bool check_bool(bool got, const char *want, char *why, size_t cap)
{
    bool ok = strcmp(want, got ? "true" : "false") == 0;
    if (!ok)
        snprintf(why, cap, "got %s", got ? "true" : "false");
    return ok;
}

static bool check_count(size_t got, const char *want, char *why, size_t cap)
{
    bool ok = strtoul(want, NULL, 10) == got;
    if (!ok)
        snprintf(why, cap, "got %zu", got);
    return ok;
}

static const struct temporal_config_source *source_named(const struct temporal_config_profile *p,
                                                         const char *name, size_t len)
{
    if (len == 11 && strncmp(name, "client_cert", len) == 0)
        return &p->tls.client_cert;
    if (len == 10 && strncmp(name, "client_key", len) == 0)
        return &p->tls.client_key;
    if (len == 14 && strncmp(name, "server_ca_cert", len) == 0)
        return &p->tls.server_ca_cert;
    return NULL;
}

/* Checks one profile expectation; returns false and fills |why| when it does not hold. */
static bool check_profile(const struct temporal_config_profile *p, const char *key,
                          const char *want, char *why, size_t cap)
{
    if (strcmp(key, "address") == 0)
        return check_str(p->address, want, why, cap);
    if (strcmp(key, "namespace") == 0)
        return check_str(p->namespace_name, want, why, cap);
    if (strcmp(key, "api_key") == 0)
        return check_str(p->api_key, want, why, cap);
    if (strcmp(key, "tls") == 0)
        return check_str(p->tls.present ? "present" : "absent", want, why, cap);
    if (strcmp(key, "tls.disabled") == 0) {
        const char *s = p->tls.disabled == TEMPORAL_CONFIG_UNSET   ? "unset"
                        : p->tls.disabled == TEMPORAL_CONFIG_TRUE  ? "true"
                        : p->tls.disabled == TEMPORAL_CONFIG_FALSE ? "false"
                                                                   : "invalid enum value";
        return check_str(s, want, why, cap);
    }
    if (strcmp(key, "tls.server_name") == 0)
        return check_str(p->tls.server_name, want, why, cap);
    if (strcmp(key, "tls.disable_host_verification") == 0)
        return check_bool(p->tls.disable_host_verification, want, why, cap);
    if (strncmp(key, "tls.", 4) == 0) {
        const char *dot = strchr(key + 4, '.');
        const struct temporal_config_source *s =
            dot != NULL ? source_named(p, key + 4, (size_t)(dot - (key + 4))) : NULL;
        if (s != NULL && strcmp(dot, ".path") == 0)
            return check_str(s->path, want, why, cap);
        if (s != NULL && strcmp(dot, ".data") == 0) {
            if (!check_str(s->data, want, why, cap))
                return false;
            if (s->data != NULL && s->data_len != strlen(want)) {
                snprintf(why, cap, "data_len is %zu, not %zu", s->data_len, strlen(want));
                return false;
            }
            return true;
        }
    }
    if (strcmp(key, "codec") == 0)
        return check_str(p->codec.present ? "present" : "absent", want, why, cap);
    if (strcmp(key, "codec.endpoint") == 0)
        return check_str(p->codec.endpoint, want, why, cap);
    if (strcmp(key, "codec.auth") == 0)
        return check_str(p->codec.auth, want, why, cap);
    if (strcmp(key, "meta#") == 0)
        return check_count(p->grpc_meta_count, want, why, cap);
    if (strncmp(key, "meta.", 5) == 0) {
        const char *got = NULL;
        for (size_t i = 0; i < p->grpc_meta_count; i++)
            if (p->grpc_meta[i].key != NULL && strcmp(p->grpc_meta[i].key, key + 5) == 0)
                got = p->grpc_meta[i].value;
        return check_str(got, want, why, cap);
    }
    snprintf(why, cap, "unknown expectation field (a bug in the test table)");
    return false;
}

/* Would temporal_client_connect() use TLS with |o|?  (The client's rule, see rpc.c.) */
static bool effective_tls(const struct temporal_client_options *o)
{
    const struct temporal_tls_options *t = &o->tls;
    return !t->disabled &&
           (t->enabled || (o->api_key != NULL && o->api_key[0] != '\0') ||
            t->server_ca_cert_path != NULL || t->server_ca_cert_pem != NULL ||
            t->client_cert_path != NULL || t->client_cert_pem != NULL ||
            t->client_key_path != NULL || t->client_key_pem != NULL || t->server_name != NULL);
}

static bool check_options(const struct temporal_client_options *o, const char *key,
                          const char *want, char *why, size_t cap)
{
    const struct temporal_tls_options *t = &o->tls;
    if (strcmp(key, "target") == 0)
        return check_str(o->target, want, why, cap);
    if (strcmp(key, "namespace") == 0)
        return check_str(o->namespace_name, want, why, cap);
    if (strcmp(key, "api_key") == 0)
        return check_str(o->api_key, want, why, cap);
    if (strcmp(key, "tls") == 0)
        return check_str(effective_tls(o) ? "on" : "off", want, why, cap);
    if (strcmp(key, "tls.enabled") == 0)
        return check_bool(t->enabled, want, why, cap);
    if (strcmp(key, "tls.disabled") == 0)
        return check_bool(t->disabled, want, why, cap);
    static const struct {
        const char *name;
        size_t offset;
    } strs[] = {
        { "tls.server_name", offsetof(struct temporal_tls_options, server_name) },
        { "tls.server_ca_cert_path", offsetof(struct temporal_tls_options, server_ca_cert_path) },
        { "tls.server_ca_cert_pem", offsetof(struct temporal_tls_options, server_ca_cert_pem) },
        { "tls.client_cert_path", offsetof(struct temporal_tls_options, client_cert_path) },
        { "tls.client_cert_pem", offsetof(struct temporal_tls_options, client_cert_pem) },
        { "tls.client_key_path", offsetof(struct temporal_tls_options, client_key_path) },
        { "tls.client_key_pem", offsetof(struct temporal_tls_options, client_key_pem) },
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(key, strs[i].name) == 0) {
            const char *got;
            memcpy(&got, (const char *)t + strs[i].offset, sizeof(got));
            return check_str(got, want, why, cap);
        }
    }
    if (strcmp(key, "meta#") == 0)
        return check_count(o->metadata_count, want, why, cap);
    if (strncmp(key, "meta.", 5) == 0) {
        const char *got = NULL;
        for (size_t i = 0; i < o->metadata_count; i++)
            if (o->metadata[i].key != NULL && strcmp(o->metadata[i].key, key + 5) == 0)
                got = o->metadata[i].value;
        return check_str(got, want, why, cap);
    }
    snprintf(why, cap, "unknown expectation field (a bug in the test table)");
    return false;
}

/* Invariants that hold for every loaded profile (the header's promises). */
static int profile_invariants(const char *id, const struct temporal_config_profile *p)
{
    int bad = 0;
    const struct temporal_config_source *s[] = { &p->tls.client_cert, &p->tls.client_key,
                                                 &p->tls.server_ca_cert };
    for (size_t i = 0; i < 3; i++) {
        if (s[i]->path != NULL && s[i]->data != NULL) {
            print_message("FAIL [%s] a TLS source has both path and data\n", id);
            bad++;
        }
        if (s[i]->data != NULL && s[i]->data[s[i]->data_len] != '\0') {
            print_message("FAIL [%s] TLS data is not NUL-terminated after data_len\n", id);
            bad++;
        }
    }
    if (p->grpc_meta_count > 0 && p->grpc_meta == NULL) {
        print_message("FAIL [%s] grpc_meta_count > 0 with a NULL array\n", id);
        bad++;
    }
    for (size_t i = 0; i < p->grpc_meta_count; i++) {
        const char *k = p->grpc_meta[i].key;
        if (k == NULL || p->grpc_meta[i].value == NULL) {
            print_message("FAIL [%s] grpc_meta[%zu] has a NULL key or value\n", id, i);
            bad++;
            continue;
        }
        for (const char *c = k; *c != '\0'; c++) {
            if (*c == '_' || isupper((unsigned char)*c)) {
                print_message("FAIL [%s] grpc_meta key '%s' is not normalised\n", id, k);
                bad++;
                break;
            }
        }
        for (size_t j = 0; j < i; j++) {
            if (p->grpc_meta[j].key != NULL && strcmp(p->grpc_meta[j].key, k) == 0) {
                print_message("FAIL [%s] grpc_meta key '%s' appears twice\n", id, k);
                bad++;
            }
        }
    }
    return bad;
}

static int options_invariants(const char *id, const struct temporal_client_options *o)
{
    int bad = 0;
    if (o->target == NULL || o->namespace_name == NULL) {
        print_message("FAIL [%s] client options without target or namespace\n", id);
        bad++;
    }
    if (o->metadata_count > 0 && o->metadata == NULL) {
        print_message("FAIL [%s] metadata_count > 0 with a NULL array\n", id);
        bad++;
    }
    for (size_t i = 0; i < o->metadata_count; i++) {
        if (o->metadata[i].key == NULL || o->metadata[i].value == NULL) {
            print_message("FAIL [%s] metadata[%zu] has a NULL key or value\n", id, i);
            bad++;
        }
    }
    return bad;
}

static int check_message(const char *id, const char *what, const struct temporal_error *err,
                         int rc, const char *const *frags, const char *file)
{
    int bad = 0;
    /* TEMPORAL_TEST_VERBOSE=1 shows every expected error message, to review their wording. */
    if (getenv("TEMPORAL_TEST_VERBOSE") != NULL)
        print_message("[%s] %s: %s\n", id, what, err->message);
    if (err->code != rc) {
        print_message("FAIL [%s] %s: err.code is %d, the call returned %d\n", id, what, err->code,
                      rc);
        bad++;
    }
    if (err->message[0] == '\0') {
        print_message("FAIL [%s] %s: empty error message\n", id, what);
        bad++;
    }
    for (size_t i = 0; i < MAX_FRAGS && frags[i] != NULL; i++) {
        if (!fragment_ok(err->message, frags[i], file)) {
            print_message("FAIL [%s] %s: message %s \"%s\": %s\n", id, what,
                          frags[i][0] == '!' ? "must not contain" : "lacks", frags[i],
                          err->message);
            bad++;
        }
    }
    return bad;
}

/* Runs one row; returns the number of problems found (each is printed with the row's id). */
static int run_case(const struct ec_case *c)
{
    int bad = 0;
    char file[PATH_CAP] = "";
    char file_var[PATH_CAP + 32];
    const char *env[MAX_ENV + 2];
    size_t n = 0;
    for (size_t i = 0; i < MAX_ENV && c->env[i] != NULL; i++)
        env[n++] = c->env[i];

    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    switch (c->file) {
    case FM_DATA:
        if (c->toml != NULL) {
            lo.config_data = c->toml;
            lo.config_data_len = strlen(c->toml);
        }
        break;
    case FM_PATH:
    case FM_ENV:
        snprintf(file, sizeof(file), "%s/row config.toml", g_tmp);
        write_file(file, c->toml != NULL ? c->toml : "");
        if (c->file == FM_PATH) {
            lo.config_file_path = file;
        } else {
            snprintf(file_var, sizeof(file_var), "TEMPORAL_CONFIG_FILE=%s", file);
            env[n++] = file_var;
        }
        break;
    case FM_DEFAULT:
        default_config_path(file, sizeof(file));
        write_file(file, c->toml != NULL ? c->toml : "");
        break;
    case FM_MISSING:
        snprintf(file, sizeof(file), "%s/no-such-dir/temporal.toml", g_tmp);
        lo.config_file_path = file;
        break;
    }
    if ((c->flags & ALSO_DATA) && c->toml != NULL) {
        lo.config_data = c->toml;
        lo.config_data_len = strlen(c->toml);
    }
    env[n] = NULL;
    lo.env = env;
    lo.profile = c->profile;
    lo.strict = (c->flags & STRICT) != 0;
    lo.disable_file = (c->flags & NO_FILE) != 0;
    lo.disable_env = (c->flags & NO_ENV) != 0;
    lo.config_data_name = c->data_name;

    struct temporal_config_profile p;
    memset(&p, 0, sizeof(p));
    struct temporal_error err;
    memset(&err, 0, sizeof(err));
    int rc = temporal_config_load_profile(&lo, &p, &err);
    if (rc != c->rc && (c->rc_alt == 0 || rc != c->rc_alt)) {
        print_message("FAIL [%s] load returned %s, expected %s%s%s (message: %s)\n", c->id,
                      temporal_err_name(rc), temporal_err_name(c->rc), c->rc_alt ? " or " : "",
                      c->rc_alt ? temporal_err_name(c->rc_alt) : "", rc ? err.message : "");
        bad++;
    } else if (rc != 0) {
        bad += check_message(c->id, "load", &err, rc, c->msg, file);
    }

    bool want_opts = c->opt_rc != 0;
    for (size_t i = 0; i < MAX_EXPECT && c->expect[i] != NULL; i++)
        if (strncmp(c->expect[i], "opt.", 4) == 0)
            want_opts = true;

    if (rc == 0 && c->rc == 0) {
        bad += profile_invariants(c->id, &p);
        for (size_t i = 0; i < MAX_EXPECT && c->expect[i] != NULL; i++) {
            const char *eq = strchr(c->expect[i], '=');
            if (eq == NULL || strncmp(c->expect[i], "opt.", 4) == 0)
                continue;
            char key[128], why[600];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - c->expect[i]), c->expect[i]);
            if (!check_profile(&p, key, eq + 1, why, sizeof(why))) {
                print_message("FAIL [%s] profile %s: expected '%s', %s\n", c->id, key, eq + 1,
                              why);
                bad++;
            }
        }
    }
    if (rc == 0 && c->rc == 0 && want_opts) {
        struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
        memset(&err, 0, sizeof(err));
        int orc = temporal_config_profile_client_options(&p, &o, &err);
        if (orc != c->opt_rc) {
            print_message("FAIL [%s] client_options returned %s, expected %s (message: %s)\n",
                          c->id, temporal_err_name(orc), temporal_err_name(c->opt_rc),
                          orc ? err.message : "");
            bad++;
        } else if (orc != 0) {
            bad += check_message(c->id, "client_options", &err, orc, c->opt_msg, file);
        } else {
            bad += options_invariants(c->id, &o);
            for (size_t i = 0; i < MAX_EXPECT && c->expect[i] != NULL; i++) {
                const char *eq = strchr(c->expect[i], '=');
                if (eq == NULL || strncmp(c->expect[i], "opt.", 4) != 0)
                    continue;
                char key[128], why[600];
                snprintf(key, sizeof(key), "%.*s", (int)(eq - c->expect[i] - 4),
                         c->expect[i] + 4);
                if (!check_options(&o, key, eq + 1, why, sizeof(why))) {
                    print_message("FAIL [%s] client option %s: expected '%s', %s\n", c->id,
                                  key, eq + 1, why);
                    bad++;
                }
            }
        }
    }
    temporal_config_profile_cleanup(&p);
    if (c->file == FM_PATH || c->file == FM_ENV || c->file == FM_DEFAULT)
        unlink(file);
    return bad;
}

static void run_table(const char *section, const struct ec_case *cases, size_t n)
{
    int failed_rows = 0;
    for (size_t i = 0; i < n; i++) {
        int bad = run_case(&cases[i]);
        if (bad > 0) {
            print_message("-- row [%s] failed (%d problem%s)\n", cases[i].id, bad,
                          bad == 1 ? "" : "s");
            failed_rows++;
        }
    }
    print_message("%s: %zu rows, %d failed\n", section, n, failed_rows);
    if (failed_rows > 0)
        fail_msg("%s: %d of %zu rows failed (each is listed above with its spec id)", section,
                 failed_rows, n);
}

#define RUN_TABLE(t) run_table(#t, t, sizeof(t) / sizeof((t)[0]))

/* ------------------------------------------------------------------ fixtures -- */

/* §9 BASE (PY/TS/.NET). */
#define BASE                                                                                  \
    "[profile.default]\n"                                                                     \
    "address = \"default-address\"\n"                                                         \
    "namespace = \"default-namespace\"\n"                                                     \
    "\n"                                                                                      \
    "[profile.custom]\n"                                                                      \
    "address = \"custom-address\"\n"                                                          \
    "namespace = \"custom-namespace\"\n"                                                      \
    "api_key = \"custom-api-key\"\n"                                                          \
    "\n"                                                                                      \
    "[profile.custom.tls]\n"                                                                  \
    "server_name = \"custom-server-name\"\n"                                                  \
    "\n"                                                                                      \
    "[profile.custom.grpc_meta]\n"                                                            \
    "custom-header = \"custom-value\"\n"

/*
 * BASE with host:port addresses, for the rows that also check the client options (our
 * conversion refuses an address that is not host:port, see the header).
 */
#define BASE_HP                                                                               \
    "[profile.default]\n"                                                                     \
    "address = \"default-address:7233\"\n"                                                    \
    "namespace = \"default-namespace\"\n"                                                     \
    "[profile.custom]\n"                                                                      \
    "address = \"custom-address:7233\"\n"                                                     \
    "namespace = \"custom-namespace\"\n"                                                      \
    "api_key = \"custom-api-key\"\n"                                                          \
    "[profile.custom.tls]\n"                                                                  \
    "server_name = \"custom-server-name\"\n"                                                  \
    "[profile.custom.grpc_meta]\n"                                                            \
    "custom-header = \"custom-value\"\n"

/* §9 TLSDET. */
#define TLSDET                                                                                \
    "[profile.tls_disabled]\n"                                                                \
    "address = \"localhost:1234\"\n"                                                          \
    "[profile.tls_disabled.tls]\n"                                                            \
    "disabled = true\n"                                                                       \
    "server_name = \"should-be-ignored\"\n"                                                   \
    "\n"                                                                                      \
    "[profile.tls_with_certs]\n"                                                              \
    "address = \"localhost:5678\"\n"                                                          \
    "[profile.tls_with_certs.tls]\n"                                                          \
    "server_name = \"custom-server\"\n"                                                       \
    "server_ca_cert_data = \"ca-pem-data\"\n"                                                 \
    "client_cert_data = \"client-crt-data\"\n"                                                \
    "client_key_data = \"client-key-data\"\n"

/* §9 STRICTFAIL. */
#define STRICTFAIL                                                                            \
    "[profile.default]\n"                                                                     \
    "address = \"default-address\"\n"                                                         \
    "unrecognized = \"should-fail\"\n"

#define F1_TOML "[profile.default]\naddress = \"my-address\"\nnamespace = \"my-namespace\"\n"

/* Expectations of a profile with nothing set. */
#define EMPTY_PROFILE                                                                         \
    "address=<null>", "namespace=<null>", "api_key=<null>", "tls=absent", "codec=absent",     \
        "meta#=0"

/* ------------------------------------------------------- §9.1 file discovery -- */

static const struct ec_case file_discovery_cases[] = {
    { .id = "F1 explicit config_file_path", .toml = F1_TOML, .file = FM_PATH,
      .expect = { "address=my-address", "namespace=my-namespace" } },
    { .id = "F1 the same TOML as config_data", .toml = F1_TOML,
      .expect = { "address=my-address", "namespace=my-namespace" } },
    { .id = "F2 TEMPORAL_CONFIG_FILE in the env array", .toml = F1_TOML, .file = FM_ENV,
      .expect = { "address=my-address", "namespace=my-namespace" } },
    { .id = "F2 TEMPORAL_CONFIG_FILE is still honoured with disable_env", .toml = F1_TOML,
      .file = FM_ENV, .flags = NO_ENV, .env = { "TEMPORAL_NAMESPACE=env-namespace" },
      .expect = { "address=my-address", "namespace=my-namespace" } },
    { .id = "F2 the default file $HOME/.config/temporalio/temporal.toml", .toml = F1_TOML,
      .file = FM_DEFAULT, .expect = { "address=my-address", "namespace=my-namespace" } },
    { .id = "F3 explicit path to a missing file: no profiles, no error", .file = FM_MISSING,
      .expect = { EMPTY_PROFILE } },
    { .id = "F3 TEMPORAL_CONFIG_FILE naming a missing file: no profiles, no error",
      .env = { "TEMPORAL_CONFIG_FILE=/nonexistent/temporal-c-test/temporal.toml" },
      .expect = { EMPTY_PROFILE } },
    { .id = "F4 no source and no file in the config dir: empty profile",
      .expect = { EMPTY_PROFILE } },
    { .id = "X missing file + explicit profile: profile not found", .file = FM_MISSING,
      .profile = "x", .rc = TEMPORAL_EPROFILE_NOT_FOUND, .msg = { "Profile 'x' not found" } },
    { .id = "X no file at all + explicit profile: profile not found", .profile = "x",
      .rc = TEMPORAL_EPROFILE_NOT_FOUND, .msg = { "Profile 'x' not found" } },
    { .id = "F5 (per profile) TEMPORAL_CONFIG_FILE + TEMPORAL_ADDRESS with disable_env",
      .toml = BASE, .file = FM_ENV, .flags = NO_ENV, .env = { "TEMPORAL_ADDRESS=env-address" },
      .expect = { "address=default-address", "namespace=default-namespace" } },
    { .id = "F5 (contrast) the same with env enabled: the variable wins", .toml = BASE,
      .file = FM_ENV, .env = { "TEMPORAL_ADDRESS=env-address" },
      .expect = { "address=env-address", "namespace=default-namespace" } },
    { .id = "F6 (per profile) BASE default", .toml = BASE, .file = FM_PATH,
      .expect = { "address=default-address", "namespace=default-namespace", "api_key=<null>" } },
    { .id = "F6 (per profile) BASE custom", .toml = BASE, .file = FM_PATH, .profile = "custom",
      .expect = { "address=custom-address", "namespace=custom-namespace",
                  "api_key=custom-api-key" } },
    { .id = "F7 (per profile) alpha",
      .toml = "[profile.alpha]\naddress = \"alpha-address\"\nnamespace = \"alpha-namespace\"\n"
              "[profile.beta]\naddress = \"beta-address\"\napi_key = \"beta-key\"\n",
      .profile = "alpha",
      .expect = { "address=alpha-address", "namespace=alpha-namespace", "api_key=<null>" } },
    { .id = "F7 (per profile) beta",
      .toml = "[profile.alpha]\naddress = \"alpha-address\"\nnamespace = \"alpha-namespace\"\n"
              "[profile.beta]\naddress = \"beta-address\"\napi_key = \"beta-key\"\n",
      .profile = "beta",
      .expect = { "address=beta-address", "namespace=<null>", "api_key=beta-key" } },
    { .id = "F8 invalid TOML data", .toml = "this is not valid toml", .rc = TEMPORAL_ECONFIG,
      .msg = { "~toml", "<config data>", "line 1|:1" } },
    { .id = "F8 invalid TOML data named by config_data_name", .toml = "this is not valid toml",
      .data_name = "inline.toml", .rc = TEMPORAL_ECONFIG, .msg = { "inline.toml" } },
    { .id = "X TOML syntax error in a file: file name and line",
      .toml = "[profile.default]\naddress = \"ok:1\"\nnamespace = = \"x\"\n", .file = FM_PATH,
      .rc = TEMPORAL_ECONFIG, .msg = { "@FILE", "line 3|:3:|:3 " } },
    { .id = "X TOML syntax error in the default file: file name and line",
      .toml = "\n\n\n\n[profile.default\naddress = \"x\"\n", .file = FM_DEFAULT,
      .rc = TEMPORAL_ECONFIG, .msg = { "@FILE", "line 5|:5:|:5 " } },
    { .id = "X TOML syntax error in a TEMPORAL_CONFIG_FILE file: file name and line",
      .toml = "[profile.default]\naddress = 'unterminated\n", .file = FM_ENV,
      .rc = TEMPORAL_ECONFIG, .msg = { "@FILE", "line 2|:2:|:2 " } },
    { .id = "X duplicate key is a TOML error with its line",
      .toml = "[profile.default]\naddress = \"a:1\"\naddress = \"b:1\"\n",
      .rc = TEMPORAL_ECONFIG, .msg = { "line 3|:3:|:3 ", "address" } },
    { .id = "X invalid UTF-8 is an error",
      .toml = "[profile.default]\naddress = \"caf\xe9:7233\"\n", .rc = TEMPORAL_ECONFIG },
    { .id = "F9 empty data: no profiles", .toml = "", .expect = { EMPTY_PROFILE } },
    { .id = "F9 whitespace-only file: no profiles", .toml = "  \n\t\n  \n", .file = FM_PATH,
      .expect = { EMPTY_PROFILE } },
    { .id = "F9 comments only: no profiles", .toml = "# nothing here\n",
      .expect = { EMPTY_PROFILE } },
    { .id = "F9 empty file + explicit profile: profile not found", .toml = "", .file = FM_PATH,
      .profile = "x", .rc = TEMPORAL_EPROFILE_NOT_FOUND, .msg = { "Profile 'x' not found" } },
    { .id = "F10/F11 both config_file_path and config_data", .toml = F1_TOML, .file = FM_PATH,
      .flags = ALSO_DATA, .rc = TEMPORAL_EINVAL, .rc_alt = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both path and data for config source" } },
    { .id = "X disable_file ignores config_data and the profile name", .toml = BASE,
      .profile = "nonexistent", .flags = NO_FILE,
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_PROFILE=nonexistent" },
      .expect = { "address=env-address", "namespace=<null>", "tls=absent" } },
    { .id = "X disable_file ignores a missing explicit file", .file = FM_MISSING,
      .profile = "x", .flags = NO_FILE, .env = { "TEMPORAL_NAMESPACE=env-namespace" },
      .expect = { "namespace=env-namespace" } },
    { .id = "X CRLF line endings",
      .toml = "[profile.default]\r\naddress = \"crlf-address\"\r\n",
      .expect = { "address=crlf-address" } },
    { .id = "X unknown top-level keys and tables are ignored (non-strict)",
      .toml = "version = 3\n[other]\nx = 1\n[profile.default]\naddress = \"a:1\"\n",
      .expect = { "address=a:1" } },
};

static void file_discovery(void **state)
{
    (void)state;
    RUN_TABLE(file_discovery_cases);
}

/* ---------------------------------------------------- §9.2 profile selection -- */

#define P5_TOML                                                                               \
    "[profile.default]\naddress = \"default-address\"\n"                                      \
    "[profile.foo]\naddress = \"foo-address\"\n"

#define P6_TOML                                                                               \
    "[profile.default]\n"                                                                     \
    "address = \"localhost:7233\"\n"                                                          \
    "namespace = \"default\"\n"                                                               \
    "api_key = \"test-key\"\n"                                                                \
    "[profile.default.tls]\n"                                                                 \
    "disabled = false\n"                                                                      \
    "client_cert_path = \"/path/to/cert\"\n"                                                  \
    "\n"                                                                                      \
    "[profile.prod]\n"                                                                        \
    "address = \"prod.temporal.io:7233\"\n"                                                   \
    "namespace = \"production\"\n"

#define P7_TOML                                                                               \
    "[profile.service-a]\n"                                                                   \
    "namespace = \"service-a-namespace\"\n"                                                   \
    "[profile.service-a.grpc_meta]\n"                                                         \
    "service-name = \"service-a\"\n"                                                          \
    "[profile.service-b]\n"                                                                   \
    "namespace = \"service-b-namespace\"\n"                                                   \
    "[profile.service-b.grpc_meta]\n"                                                         \
    "service-name = \"service-b\"\n"                                                          \
    "priority = \"high\"\n"

static const struct ec_case profile_selection_cases[] = {
    { .id = "P1 BASE, no profile: default", .toml = BASE,
      .expect = { "address=default-address", "namespace=default-namespace", "api_key=<null>",
                  "tls=absent", "meta#=0", "codec=absent" } },
    { .id = "P1 (connect) BASE default to client options", .toml = BASE_HP,
      .expect = { "opt.target=default-address:7233", "opt.namespace=default-namespace",
                  "opt.tls=off", "opt.api_key=<null>", "opt.meta#=0" } },
    { .id = "P2 BASE, profile custom", .toml = BASE, .profile = "custom",
      .expect = { "address=custom-address", "namespace=custom-namespace",
                  "api_key=custom-api-key", "tls=present", "tls.disabled=unset",
                  "tls.server_name=custom-server-name", "meta#=1",
                  "meta.custom-header=custom-value" } },
    { .id = "P2 (connect) BASE custom to client options", .toml = BASE_HP, .profile = "custom",
      .expect = { "opt.target=custom-address:7233", "opt.namespace=custom-namespace",
                  "opt.api_key=custom-api-key", "opt.tls=on",
                  "opt.tls.server_name=custom-server-name", "opt.meta#=1",
                  "opt.meta.custom-header=custom-value" } },
    { .id = "P3 BASE, profile nonexistent", .toml = BASE, .profile = "nonexistent",
      .rc = TEMPORAL_EPROFILE_NOT_FOUND,
      .msg = { "Profile 'nonexistent' not found", "<config data>" } },
    { .id = "P3 profile not found names the file", .toml = BASE, .file = FM_PATH,
      .profile = "nonexistent", .rc = TEMPORAL_EPROFILE_NOT_FOUND,
      .msg = { "Profile 'nonexistent' not found", "@FILE" } },
    { .id = "P4 no default profile in the file, none asked for: empty profile",
      .toml = "[profile.existing]\naddress = \"existing-address\"\n",
      .expect = { EMPTY_PROFILE } },
    { .id = "P5 TEMPORAL_PROFILE selects the profile", .toml = P5_TOML,
      .env = { "TEMPORAL_PROFILE=foo" }, .expect = { "address=foo-address" } },
    { .id = "P5 TEMPORAL_PROFILE naming a missing profile", .toml = P5_TOML,
      .env = { "TEMPORAL_PROFILE=missing" }, .rc = TEMPORAL_EPROFILE_NOT_FOUND,
      .msg = { "Profile 'missing' not found" } },
    { .id = "P5 the explicit profile wins over TEMPORAL_PROFILE", .toml = P5_TOML,
      .profile = "default", .env = { "TEMPORAL_PROFILE=foo" },
      .expect = { "address=default-address" } },
    { .id = "X empty TEMPORAL_PROFILE means default", .toml = P5_TOML,
      .env = { "TEMPORAL_PROFILE=" }, .expect = { "address=default-address" } },
    { .id = "P5/§8.4 TEMPORAL_PROFILE is ignored with disable_env (CORE)", .toml = P5_TOML,
      .flags = NO_ENV, .env = { "TEMPORAL_PROFILE=foo" },
      .expect = { "address=default-address" } },
    { .id = "P5/§8.4 TEMPORAL_PROFILE=missing with disable_env: no error (CORE)",
      .toml = P5_TOML, .flags = NO_ENV, .env = { "TEMPORAL_PROFILE=missing" },
      .expect = { "address=default-address" } },
    { .id = "P6 default: tls.disabled false, cert path", .toml = P6_TOML,
      .expect = { "address=localhost:7233", "namespace=default", "api_key=test-key",
                  "tls=present", "tls.disabled=false", "tls.client_cert.path=/path/to/cert",
                  "tls.client_cert.data=<null>", "tls.client_key.path=<null>",
                  "tls.client_key.data=<null>" } },
    { .id = "P6 prod", .toml = P6_TOML, .profile = "prod",
      .expect = { "address=prod.temporal.io:7233", "namespace=production", "api_key=<null>",
                  "tls=absent" } },
    { .id = "P7 service-a has no priority", .toml = P7_TOML, .profile = "service-a",
      .expect = { "namespace=service-a-namespace", "meta#=1", "meta.service-name=service-a",
                  "meta.priority=<null>" } },
    { .id = "P7 service-b", .toml = P7_TOML, .profile = "service-b",
      .expect = { "namespace=service-b-namespace", "meta#=2", "meta.service-name=service-b",
                  "meta.priority=high" } },
    { .id = "P8 explicit profile \"\" is looked up (CORE)", .toml = BASE, .profile = "",
      .rc = TEMPORAL_EPROFILE_NOT_FOUND, .msg = { "Profile '' not found" } },
    { .id = "X quoted profile name with a dot",
      .toml = "[profile.\"my.team\"]\naddress = \"team-address\"\n", .profile = "my.team",
      .expect = { "address=team-address" } },
    { .id = "X profile names are case-sensitive",
      .toml = "[profile.Prod]\naddress = \"prod-address\"\n", .profile = "prod",
      .rc = TEMPORAL_EPROFILE_NOT_FOUND, .msg = { "Profile 'prod' not found" } },
};

static void profile_selection(void **state)
{
    (void)state;
    RUN_TABLE(profile_selection_cases);
}

/* ---------------------------------------------------- §9.3 environment overrides -- */

/* E4: Go's G-FULL for profile foo, with paths only (CORE rejects path + data). */
#define E4_TOML                                                                               \
    "[profile.foo]\n"                                                                         \
    "address = \"my-address\"\n"                                                              \
    "namespace = \"my-namespace\"\n"                                                          \
    "api_key = \"my-api-key\"\n"                                                              \
    "[profile.foo.tls]\n"                                                                     \
    "disabled = true\n"                                                                       \
    "client_cert_path = \"my-client-cert-path\"\n"                                            \
    "client_key_path = \"my-client-key-path\"\n"                                              \
    "server_ca_cert_path = \"my-server-ca-cert-path\"\n"                                      \
    "server_name = \"my-server-name\"\n"                                                      \
    "disable_host_verification = true\n"                                                      \
    "[profile.foo.codec]\n"                                                                   \
    "endpoint = \"my-endpoint\"\n"                                                            \
    "auth = \"my-auth\"\n"                                                                    \
    "[profile.foo.grpc_meta]\n"                                                               \
    "some-header1 = \"some-value1\"\n"                                                        \
    "some-header2 = \"some-value2\"\n"                                                        \
    "some-header3 = \"some-value3\"\n"

#define E5_TOML                                                                               \
    "[profile.default]\n"                                                                     \
    "address = \"my-address\"\n"                                                              \
    "namespace = \"my-namespace\"\n"                                                          \
    "api_key = \"my-api-key\"\n"                                                              \
    "[profile.default.tls]\n"                                                                 \
    "disabled = true\n"                                                                       \
    "client_cert_path = \"my-cert-path\"\n"                                                   \
    "client_key_path = \"my-key-path\"\n"                                                     \
    "server_name = \"my-server-name\"\n"                                                      \
    "disable_host_verification = true\n"                                                      \
    "[profile.default.codec]\n"                                                               \
    "endpoint = \"my-endpoint\"\n"                                                            \
    "auth = \"my-auth\"\n"                                                                    \
    "[profile.default.grpc_meta]\n"                                                           \
    "some-header = \"some-value\"\n"                                                          \
    "some-other-header = \"some-value2\"\n"

#define E13_TOML                                                                              \
    "[profile.production]\n"                                                                  \
    "address = \"prod.temporal.com:443\"\n"                                                   \
    "namespace = \"production-ns\"\n"                                                         \
    "api_key = \"prod-api-key\"\n"                                                            \
    "[profile.production.tls]\n"                                                              \
    "server_name = \"prod.temporal.com\"\n"                                                   \
    "server_ca_cert_data = \"prod-ca-cert\"\n"                                                \
    "[profile.production.grpc_meta]\n"                                                        \
    "authorization = \"Bearer prod-token\"\n"                                                 \
    "x-custom-header = \"prod-value\"\n"

#define E14_TOML                                                                              \
    "[profile.staging]\n"                                                                     \
    "address = \"staging.temporal.com:443\"\n"                                                \
    "namespace = \"staging-ns\"\n"                                                            \
    "[profile.staging.grpc_meta]\n"                                                           \
    "x-deployment = \"staging\"\n"                                                            \
    "authorization = \"Bearer staging-token\"\n"

#define E_ADDR_TOML "[profile.default]\naddress = \"my-address:7233\"\n"

static const struct ec_case env_overrides_cases[] = {
    { .id = "E1 address and namespace from env over BASE", .toml = BASE,
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_NAMESPACE=env-namespace" },
      .expect = { "address=env-address", "namespace=env-namespace" } },
    { .id = "E2 BASE custom + env", .toml = BASE, .profile = "custom",
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_NAMESPACE=env-namespace",
               "TEMPORAL_API_KEY=env-api-key", "TEMPORAL_TLS_SERVER_NAME=env-server-name" },
      .expect = { "address=env-address", "namespace=env-namespace", "api_key=env-api-key",
                  "tls.server_name=env-server-name", "meta.custom-header=custom-value" } },
    { .id = "E2 (connect) BASE custom + env to client options", .toml = BASE_HP,
      .profile = "custom",
      .env = { "TEMPORAL_ADDRESS=env-address:7233", "TEMPORAL_NAMESPACE=env-namespace",
               "TEMPORAL_API_KEY=env-api-key", "TEMPORAL_TLS_SERVER_NAME=env-server-name" },
      .expect = { "opt.target=env-address:7233", "opt.namespace=env-namespace",
                  "opt.api_key=env-api-key", "opt.tls=on",
                  "opt.tls.server_name=env-server-name" } },
    { .id = "E3 E2 + TEMPORAL_TLS + grpc meta", .toml = BASE, .profile = "custom",
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_NAMESPACE=env-namespace",
               "TEMPORAL_API_KEY=env-api-key", "TEMPORAL_TLS_SERVER_NAME=env-server-name",
               "TEMPORAL_TLS=true", "TEMPORAL_GRPC_META_CUSTOM_HEADER=env-value",
               "TEMPORAL_GRPC_META_ANOTHER_HEADER=another-value" },
      .expect = { "address=env-address", "namespace=env-namespace", "api_key=env-api-key",
                  "tls.server_name=env-server-name", "tls.disabled=false", "meta#=2",
                  "meta.custom-header=env-value", "meta.another-header=another-value" } },
    { .id = "E4 (GO, paths only, no authority) every variable overrides the file",
      .toml = E4_TOML, .profile = "foo",
      .env = { "TEMPORAL_ADDRESS=my-address-new", "TEMPORAL_NAMESPACE=my-namespace-new",
               "TEMPORAL_API_KEY=my-api-key-new", "TEMPORAL_TLS=true",
               "TEMPORAL_TLS_CLIENT_CERT_PATH=my-client-cert-path-new",
               "TEMPORAL_TLS_CLIENT_KEY_PATH=my-client-key-path-new",
               "TEMPORAL_TLS_SERVER_CA_CERT_PATH=my-server-ca-cert-path-new",
               "TEMPORAL_TLS_SERVER_NAME=my-server-name-new",
               "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=false",
               "TEMPORAL_CODEC_ENDPOINT=my-endpoint-new", "TEMPORAL_CODEC_AUTH=my-auth-new",
               "TEMPORAL_CLIENT_AUTHORITY=my-authority-new",
               "TEMPORAL_GRPC_META_SOME_HEADER2=some-value2-new",
               "TEMPORAL_GRPC_META_SOME_HEADER3=",
               "TEMPORAL_GRPC_META_SOME_HEADER4=some-value4-new" },
      .expect = { "address=my-address-new", "namespace=my-namespace-new",
                  "api_key=my-api-key-new", "tls.disabled=false",
                  "tls.client_cert.path=my-client-cert-path-new",
                  "tls.client_key.path=my-client-key-path-new",
                  "tls.server_ca_cert.path=my-server-ca-cert-path-new",
                  "tls.server_name=my-server-name-new", "tls.disable_host_verification=false",
                  "codec.endpoint=my-endpoint-new", "codec.auth=my-auth-new", "meta#=3",
                  "meta.some-header1=some-value1", "meta.some-header2=some-value2-new",
                  "meta.some-header3=<null>", "meta.some-header4=some-value4-new" } },
    { .id = "E5 (CORE) env over a full default profile", .toml = E5_TOML,
      .env = { "TEMPORAL_ADDRESS=my-address-new", "TEMPORAL_NAMESPACE=my-namespace-new",
               "TEMPORAL_API_KEY=my-api-key-new", "TEMPORAL_TLS=true",
               "TEMPORAL_TLS_CLIENT_CERT_PATH=my-cert-path-new",
               "TEMPORAL_TLS_CLIENT_KEY_PATH=my-key-path-new",
               "TEMPORAL_TLS_SERVER_NAME=my-server-name-new",
               "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=false",
               "TEMPORAL_CODEC_ENDPOINT=my-endpoint-new", "TEMPORAL_CODEC_AUTH=my-auth-new",
               "TEMPORAL_GRPC_META_SOME_HEADER=some-value-new",
               "TEMPORAL_GRPC_META_SOME_THIRD_HEADER=some-value3-new",
               "TEMPORAL_GRPC_META_some_value4=some-value4-new" },
      .expect = { "address=my-address-new", "namespace=my-namespace-new",
                  "api_key=my-api-key-new", "tls.disabled=false",
                  "tls.client_cert.path=my-cert-path-new", "tls.client_key.path=my-key-path-new",
                  "tls.server_name=my-server-name-new", "tls.disable_host_verification=false",
                  "codec=present", "codec.endpoint=my-endpoint-new", "codec.auth=my-auth-new",
                  "meta#=4", "meta.some-header=some-value-new",
                  "meta.some-other-header=some-value2", "meta.some-third-header=some-value3-new",
                  "meta.some-value4=some-value4-new" } },
    { .id = "E6 disable_env ignores TEMPORAL_ADDRESS", .toml = BASE, .flags = NO_ENV,
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_GRPC_META_X=y", "TEMPORAL_TLS=true" },
      .expect = { "address=default-address", "meta#=0", "tls=absent" } },
    { .id = "E7 disable_file: env only (config_data given and ignored)", .toml = BASE,
      .flags = NO_FILE,
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_NAMESPACE=env-namespace" },
      .expect = { "address=env-address", "namespace=env-namespace", "api_key=<null>" } },
    { .id = "E7 disable_file with a missing explicit path", .file = FM_MISSING,
      .flags = NO_FILE,
      .env = { "TEMPORAL_ADDRESS=env-address", "TEMPORAL_NAMESPACE=env-namespace" },
      .expect = { "address=env-address", "namespace=env-namespace" } },
    { .id = "E8 disable_file and disable_env", .toml = BASE, .flags = NO_FILE | NO_ENV,
      .rc = TEMPORAL_ECONFIG, .msg = { "Cannot disable both" } },
    { .id = "E9 env grpc meta adds to the file's",
      .toml = "[profile.default]\naddress = \"addr\"\n[profile.default.grpc_meta]\n"
              "original-header = \"original-value\"\n",
      .env = { "TEMPORAL_GRPC_META_NEW_HEADER=new-value",
               "TEMPORAL_GRPC_META_OVERRIDE_HEADER=overridden-value" },
      .expect = { "meta#=3", "meta.original-header=original-value", "meta.new-header=new-value",
                  "meta.override-header=overridden-value" } },
    { .id = "E10 (TS) an empty TEMPORAL_GRPC_META_* removes the header",
      .toml = "[profile.default]\n[profile.default.grpc_meta]\nsome-header = \"keep\"\n"
              "remove-me = \"bye\"\n",
      .env = { "TEMPORAL_GRPC_META_REMOVE_ME=", "TEMPORAL_GRPC_META_NEW_HEADER=new-value" },
      .expect = { "meta#=2", "meta.some-header=keep", "meta.remove-me=<null>",
                  "meta.new-header=new-value" } },
    { .id = "E10 (PY) BASE custom, remove custom-header", .toml = BASE, .profile = "custom",
      .env = { "TEMPORAL_GRPC_META_CUSTOM_HEADER=", "TEMPORAL_GRPC_META_NEW_HEADER=new-value" },
      .expect = { "meta#=1", "meta.custom-header=<null>", "meta.new-header=new-value" } },
    { .id = "X removing a header that is not there is a no-op", .toml = E_ADDR_TOML,
      .env = { "TEMPORAL_GRPC_META_NOT_THERE=" }, .expect = { "meta#=0" } },
    { .id = "E11 TEMPORAL_TLS=true", .toml = E_ADDR_TOML, .env = { "TEMPORAL_TLS=true" },
      .expect = { "tls=present", "tls.disabled=false", "opt.tls=on" } },
    { .id = "E11 TEMPORAL_TLS=false", .toml = E_ADDR_TOML, .env = { "TEMPORAL_TLS=false" },
      .expect = { "tls=present", "tls.disabled=true", "opt.tls=off" } },
    { .id = "E12 (env array) env only to client options", .flags = NO_FILE,
      .env = { "TEMPORAL_ADDRESS=env-address:7233", "TEMPORAL_NAMESPACE=env-namespace",
               "TEMPORAL_API_KEY=env-api-key", "TEMPORAL_TLS=false",
               "TEMPORAL_GRPC_META_TEST_HEADER=env-value" },
      .expect = { "opt.target=env-address:7233", "opt.namespace=env-namespace",
                  "opt.api_key=env-api-key", "opt.tls=off", "opt.tls.disabled=true",
                  "opt.meta#=1", "opt.meta.test-header=env-value" } },
    { .id = "E13 production profile + env", .toml = E13_TOML, .profile = "production",
      .env = { "TEMPORAL_GRPC_META_X_ENVIRONMENT=production",
               "TEMPORAL_TLS_SERVER_NAME=override.temporal.com" },
      .expect = { "tls.server_name=override.temporal.com",
                  "tls.server_ca_cert.data=prod-ca-cert", "opt.target=prod.temporal.com:443",
                  "opt.namespace=production-ns", "opt.api_key=prod-api-key", "opt.tls=on",
                  "opt.tls.server_name=override.temporal.com",
                  "opt.tls.server_ca_cert_pem=prod-ca-cert", "opt.tls.server_ca_cert_path=<null>",
                  "opt.meta#=3", "opt.meta.authorization=Bearer prod-token",
                  "opt.meta.x-custom-header=prod-value", "opt.meta.x-environment=production" } },
    { .id = "E14 staging profile: the env values win", .toml = E14_TOML, .profile = "staging",
      .env = { "TEMPORAL_GRPC_META_X_DEPLOYMENT=canary",
               "TEMPORAL_GRPC_META_AUTHORIZATION=Bearer override-token",
               "TEMPORAL_ADDRESS=override.temporal.com:443",
               "TEMPORAL_NAMESPACE=override-namespace" },
      .expect = { "address=override.temporal.com:443", "namespace=override-namespace",
                  "meta#=2", "meta.x-deployment=canary",
                  "meta.authorization=Bearer override-token",
                  "opt.target=override.temporal.com:443", "opt.namespace=override-namespace",
                  "opt.meta.x-deployment=canary",
                  "opt.meta.authorization=Bearer override-token" } },
    { .id = "E16 (client) disable_file, only TEMPORAL_NAMESPACE", .flags = NO_FILE,
      .env = { "TEMPORAL_NAMESPACE=my-namespace" },
      .expect = { "opt.namespace=my-namespace", "opt.target=localhost:7233", "opt.tls=off" } },
    { .id = "X/§8.1 empty TEMPORAL_ADDRESS is present: address \"\", default target",
      .toml = E_ADDR_TOML, .env = { "TEMPORAL_ADDRESS=" },
      .expect = { "address=", "opt.target=localhost:7233" } },
    { .id = "X/§8.1 empty TEMPORAL_NAMESPACE is present", .toml = BASE,
      .env = { "TEMPORAL_NAMESPACE=" }, .expect = { "namespace=" } },
    { .id = "X/§8.6 empty TEMPORAL_API_KEY still turns TLS on (presence)", .toml = E_ADDR_TOML,
      .env = { "TEMPORAL_API_KEY=" },
      .expect = { "api_key=", "tls=absent", "opt.tls=on", "opt.tls.enabled=true" } },
    { .id = "X TEMPORAL_GRPC_META_A_B_C: every '_' becomes '-'", .flags = NO_FILE,
      .env = { "TEMPORAL_GRPC_META_A_B_C=v" }, .expect = { "meta#=1", "meta.a-b-c=v" } },
    { .id = "X a grpc meta value keeps its '='", .flags = NO_FILE,
      .env = { "TEMPORAL_GRPC_META_X_TOKEN=a=b=c" }, .expect = { "meta.x-token=a=b=c" } },
    { .id = "X TEMPORAL_TLS_SERVER_NAME alone creates the tls table: TLS on", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_SERVER_NAME=my.server" },
      .expect = { "tls=present", "tls.disabled=unset", "tls.server_name=my.server",
                  "opt.tls=on", "opt.tls.server_name=my.server" } },
    { .id = "X/§8.2 unparseable TEMPORAL_TLS=yes: tls table, disabled unchanged (TLS on)",
      .flags = NO_FILE, .env = { "TEMPORAL_TLS=yes" },
      .expect = { "tls=present", "tls.disabled=unset", "opt.tls=on" } },
    { .id = "X/§8.2 unparseable TEMPORAL_TLS keeps the file's disabled = true",
      .toml = "[profile.default]\naddress = \"a:1\"\n[profile.default.tls]\ndisabled = true\n",
      .env = { "TEMPORAL_TLS=yes" }, .expect = { "tls.disabled=true", "opt.tls=off" } },
    { .id = "X TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true" },
      .expect = { "tls=present", "tls.disable_host_verification=true" } },
    { .id = "X unparseable TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: ignored, tls created",
      .toml = "[profile.default]\n[profile.default.tls]\ndisable_host_verification = true\n",
      .env = { "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=maybe" },
      .expect = { "tls=present", "tls.disable_host_verification=true" } },
    { .id = "X TEMPORAL_CODEC_ENDPOINT alone creates the codec table", .flags = NO_FILE,
      .env = { "TEMPORAL_CODEC_ENDPOINT=https://codec.example" },
      .expect = { "codec=present", "codec.endpoint=https://codec.example", "codec.auth=<null>",
                  "tls=absent" } },
    { .id = "X TEMPORAL_TLS_CLIENT_CERT_DATA alone", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_CLIENT_CERT_DATA=env-cert-data" },
      .expect = { "tls=present", "tls.client_cert.data=env-cert-data",
                  "tls.client_cert.path=<null>" } },
    { .id = "X a variable of the same kind replaces the file's path",
      .toml = "[profile.default]\n[profile.default.tls]\nclient_cert_path = \"file-path\"\n"
              "server_ca_cert_data = \"file-ca\"\n",
      .env = { "TEMPORAL_TLS_CLIENT_CERT_PATH=env-path",
               "TEMPORAL_TLS_SERVER_CA_CERT_DATA=env-ca" },
      .expect = { "tls.client_cert.path=env-path", "tls.client_cert.data=<null>",
                  "tls.server_ca_cert.data=env-ca", "tls.server_ca_cert.path=<null>" } },
    { .id = "X variable names are exact and case-sensitive", .toml = E_ADDR_TOML,
      .env = { "temporal_address=lower", "TEMPORAL_ADDRESSX=longer", "XTEMPORAL_ADDRESS=x",
               "temporal_grpc_meta_lower=1", "TEMPORAL_NAMESPACE_=x", "PATH=/usr/bin",
               "TEMPORAL=1" },
      .expect = { "address=my-address:7233", "namespace=<null>", "meta#=0", "tls=absent" } },
    { .id = "X an empty env array: nothing from the process environment", .toml = E_ADDR_TOML,
      .expect = { "address=my-address:7233", "namespace=<null>", "api_key=<null>" } },
};

static void env_overrides(void **state)
{
    (void)state;
    RUN_TABLE(env_overrides_cases);
}

/* ------------------------------------------------------- §9.4 TLS and API key -- */

#define TLS_TABLE(body)                                                                       \
    "[profile.default]\naddress = \"localhost:7233\"\n[profile.default.tls]\n" body

static const struct ec_case tls_and_api_key_cases[] = {
    { .id = "T1 api_key, no tls table: TLS on by default",
      .toml = "[profile.default]\naddress = \"localhost:7233\"\napi_key = \"my-api-key\"\n",
      .expect = { "api_key=my-api-key", "tls=absent", "opt.tls=on", "opt.api_key=my-api-key",
                  "opt.tls.disabled=false" } },
    { .id = "T2 api_key + tls.disabled = true: key sent, TLS off",
      .toml = "[profile.default]\naddress = \"localhost:7233\"\napi_key = \"my-api-key\"\n"
              "[profile.default.tls]\ndisabled = true\n",
      .expect = { "tls.disabled=true", "opt.api_key=my-api-key", "opt.tls=off",
                  "opt.tls.disabled=true" } },
    { .id = "T3 address only: no key, no tls",
      .toml = "[profile.default]\naddress = \"whatever\"\n",
      .expect = { "address=whatever", "api_key=<null>", "tls=absent" } },
    { .id = "T3 (connect) address only: plaintext",
      .toml = "[profile.default]\naddress = \"whatever:7233\"\n",
      .expect = { "opt.api_key=<null>", "opt.tls=off", "opt.target=whatever:7233" } },
    { .id = "T4 TLSDET tls_disabled", .toml = TLSDET, .profile = "tls_disabled",
      .expect = { "address=localhost:1234", "tls=present", "tls.disabled=true",
                  "tls.server_name=should-be-ignored", "opt.tls=off" } },
    { .id = "T5 TLSDET tls_with_certs: data", .toml = TLSDET, .profile = "tls_with_certs",
      .expect = { "tls.server_name=custom-server", "tls.server_ca_cert.data=ca-pem-data",
                  "tls.client_cert.data=client-crt-data", "tls.client_key.data=client-key-data",
                  "tls.server_ca_cert.path=<null>", "opt.tls=on",
                  "opt.tls.server_name=custom-server", "opt.tls.server_ca_cert_pem=ca-pem-data",
                  "opt.tls.client_cert_pem=client-crt-data",
                  "opt.tls.client_key_pem=client-key-data", "opt.tls.client_cert_path=<null>",
                  "opt.target=localhost:5678" } },
    { .id = "T7 client_cert_path and client_cert_data",
      .toml = "[profile.mtlsprof]\n[profile.mtlsprof.tls]\nclient_cert_path = \"p\"\n"
              "client_cert_data = \"d\"\n",
      .profile = "mtlsprof", .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both client_cert_path and client_cert_data", "mtlsprof" } },
    { .id = "T7 client_key_path and client_key_data (the key is not echoed)",
      .toml = "[profile.mtlsprof]\n[profile.mtlsprof.tls]\nclient_key_path = \"p\"\n"
              "client_key_data = \"PRIVATE-KEY-MATERIAL-77\"\n",
      .profile = "mtlsprof", .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both client_key_path and client_key_data", "mtlsprof",
               "!PRIVATE-KEY-MATERIAL-77" } },
    { .id = "T7 server_ca_cert_path and server_ca_cert_data",
      .toml = "[profile.mtlsprof]\n[profile.mtlsprof.tls]\nserver_ca_cert_data = \"d\"\n"
              "server_ca_cert_path = \"p\"\n",
      .profile = "mtlsprof", .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both server_ca_cert_path and server_ca_cert_data", "mtlsprof" } },
    { .id = "T7 presence: an empty client_cert_data next to a path still conflicts",
      .toml = TLS_TABLE("client_cert_path = \"p\"\nclient_cert_data = \"\"\n"),
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both client_cert_path and client_cert_data" } },
    { .id = "X/§8.5 path + data conflict in a profile that is not loaded",
      .toml = "[profile.default]\naddress = \"a:1\"\n[profile.other.tls]\n"
              "client_cert_path = \"p\"\nclient_cert_data = \"d\"\n",
      .rc = TEMPORAL_ECONFIG, .msg = { "client_cert_path", "other" } },
    { .id = "T8 both env vars for the client cert", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_CLIENT_CERT_PATH=some-path",
               "TEMPORAL_TLS_CLIENT_CERT_DATA=some-data" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both TEMPORAL_TLS_CLIENT_CERT_PATH and "
               "TEMPORAL_TLS_CLIENT_CERT_DATA" } },
    { .id = "T8 both env vars for the client key (the key is not echoed)", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_CLIENT_KEY_PATH=some-path",
               "TEMPORAL_TLS_CLIENT_KEY_DATA=KEY-MATERIAL-SECRET-88" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both TEMPORAL_TLS_CLIENT_KEY_PATH and "
               "TEMPORAL_TLS_CLIENT_KEY_DATA",
               "!KEY-MATERIAL-SECRET-88" } },
    { .id = "T8 both env vars for the server CA", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_SERVER_CA_CERT_PATH=some-path",
               "TEMPORAL_TLS_SERVER_CA_CERT_DATA=some-data" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify both TEMPORAL_TLS_SERVER_CA_CERT_PATH and "
               "TEMPORAL_TLS_SERVER_CA_CERT_DATA" } },
    { .id = "T9 file cert path + TEMPORAL_TLS_CLIENT_CERT_DATA",
      .toml = "[profile.mtlsprof.tls]\nclient_cert_path = \"/path/to/cert\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_CLIENT_CERT_DATA=cert-data" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify cert data via TEMPORAL_TLS_CLIENT_CERT_DATA when cert path is "
               "already specified",
               "mtlsprof" } },
    { .id = "T10 file cert data + TEMPORAL_TLS_CLIENT_CERT_PATH",
      .toml = "[profile.mtlsprof.tls]\nclient_cert_data = \"cert-data\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_CLIENT_CERT_PATH=/path/to/cert" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify cert path via TEMPORAL_TLS_CLIENT_CERT_PATH when cert data is "
               "already specified",
               "mtlsprof" } },
    { .id = "T9 (key) file key path + TEMPORAL_TLS_CLIENT_KEY_DATA",
      .toml = "[profile.mtlsprof.tls]\nclient_key_path = \"/path/to/key\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_CLIENT_KEY_DATA=SECRET-KEY-DATA-99" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify key data via TEMPORAL_TLS_CLIENT_KEY_DATA when key path is "
               "already specified",
               "!SECRET-KEY-DATA-99" } },
    { .id = "T10 (key) file key data + TEMPORAL_TLS_CLIENT_KEY_PATH",
      .toml = "[profile.mtlsprof.tls]\nclient_key_data = \"SECRET-KEY-DATA-98\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_CLIENT_KEY_PATH=/path/to/key" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify key path via TEMPORAL_TLS_CLIENT_KEY_PATH when key data is "
               "already specified",
               "!SECRET-KEY-DATA-98" } },
    { .id = "T9 (CA) file CA path + TEMPORAL_TLS_SERVER_CA_CERT_DATA",
      .toml = "[profile.mtlsprof.tls]\nserver_ca_cert_path = \"/path/to/ca\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_SERVER_CA_CERT_DATA=ca-data" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify server CA cert data via TEMPORAL_TLS_SERVER_CA_CERT_DATA when "
               "server CA cert path is already specified" } },
    { .id = "T10 (CA) file CA data + TEMPORAL_TLS_SERVER_CA_CERT_PATH",
      .toml = "[profile.mtlsprof.tls]\nserver_ca_cert_data = \"ca-data\"\n",
      .profile = "mtlsprof", .env = { "TEMPORAL_TLS_SERVER_CA_CERT_PATH=/path/to/ca" },
      .rc = TEMPORAL_ECONFIG,
      .msg = { "Cannot specify server CA cert path via TEMPORAL_TLS_SERVER_CA_CERT_PATH when "
               "server CA cert data is already specified" } },
    { .id = "T11a api_key + tls{server_name}: disabled unset, TLS on",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"k\"\n"
              "[profile.default.tls]\nserver_name = \"sn\"\n",
      .expect = { "tls.disabled=unset", "opt.tls=on", "opt.tls.server_name=sn" } },
    { .id = "T11b tls{disabled = false, server_name}: TLS on",
      .toml = TLS_TABLE("disabled = false\nserver_name = \"sn\"\n"),
      .expect = { "tls.disabled=false", "opt.tls=on" } },
    { .id = "T11c api_key + tls{disabled = true}: TLS off despite the key",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"k\"\n"
              "[profile.default.tls]\ndisabled = true\n",
      .expect = { "tls.disabled=true", "opt.tls=off", "opt.api_key=k" } },
    { .id = "T13.1 no table, no key: off", .toml = "[profile.default]\naddress = \"a:1\"\n",
      .expect = { "opt.tls=off" } },
    { .id = "T13.2 no table, key: on",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"k\"\n",
      .expect = { "opt.tls=on" } },
    { .id = "T13.3 disabled = false, no key: on", .toml = TLS_TABLE("disabled = false\n"),
      .expect = { "opt.tls=on" } },
    { .id = "T13.4 disabled = true, no key: off", .toml = TLS_TABLE("disabled = true\n"),
      .expect = { "opt.tls=off" } },
    { .id = "T13.5 empty table, no key: on", .toml = TLS_TABLE(""),
      .expect = { "tls=present", "tls.disabled=unset", "opt.tls=on", "opt.tls.enabled=true" } },
    { .id = "T13.6 disabled = true, key: off",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"k\"\n"
              "[profile.default.tls]\ndisabled = true\n",
      .expect = { "opt.tls=off", "opt.tls.disabled=true" } },
    { .id = "T13.7 disabled = false, key: on",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"k\"\n"
              "[profile.default.tls]\ndisabled = false\n",
      .expect = { "opt.tls=on" } },
    { .id = "T14 api_key + empty tls table",
      .toml = "[profile.foo]\napi_key = \"my-api-key\"\n[profile.foo.tls]\n", .profile = "foo",
      .expect = { "api_key=my-api-key", "tls=present", "tls.disabled=unset",
                  "tls.client_cert.path=<null>", "tls.client_cert.data=<null>",
                  "tls.client_key.path=<null>", "tls.client_key.data=<null>",
                  "tls.server_ca_cert.path=<null>", "tls.server_ca_cert.data=<null>",
                  "tls.server_name=<null>", "tls.disable_host_verification=false",
                  "codec=absent", "address=<null>", "namespace=<null>", "meta#=0" } },
    { .id = "T15 a client cert without its key", .toml = TLS_TABLE("client_cert_data = \"cert\"\n"),
      .opt_rc = TEMPORAL_ECONFIG,
      .opt_msg = { "Both client certificate and client key must be provided together" } },
    { .id = "T15 a client key without its cert (the key is not echoed)",
      .toml = TLS_TABLE("client_key_data = \"KEY-MATERIAL-T15\"\n"), .opt_rc = TEMPORAL_ECONFIG,
      .opt_msg = { "Both client certificate and client key must be provided together",
                   "!KEY-MATERIAL-T15" } },
    { .id = "T15 a client cert path without its key",
      .toml = TLS_TABLE("client_cert_path = \"/c.pem\"\n"), .opt_rc = TEMPORAL_ECONFIG,
      .opt_msg = { "Both client certificate and client key must be provided together" } },
    { .id = "T16 cert and key as data",
      .toml = TLS_TABLE("client_cert_data = \"cert-data\"\nclient_key_data = \"key-data\"\n"),
      .expect = { "tls.client_cert.data=cert-data", "tls.client_key.data=key-data",
                  "opt.tls=on", "opt.tls.client_cert_pem=cert-data",
                  "opt.tls.client_key_pem=key-data", "opt.tls.client_cert_path=<null>",
                  "opt.tls.client_key_path=<null>" } },
    { .id = "T16 cert and key as paths",
      .toml = TLS_TABLE("client_cert_path = \"/c.pem\"\nclient_key_path = \"/k.pem\"\n"),
      .expect = { "tls.client_cert.path=/c.pem", "tls.client_key.path=/k.pem",
                  "opt.tls.client_cert_path=/c.pem", "opt.tls.client_key_path=/k.pem",
                  "opt.tls.client_cert_pem=<null>", "opt.tls.client_key_pem=<null>" } },
    { .id = "X/§8.11 cert from a path, key from data (CORE allows mixing)",
      .toml = TLS_TABLE("client_cert_path = \"/c.pem\"\nclient_key_data = \"key-data\"\n"),
      .expect = { "opt.tls.client_cert_path=/c.pem", "opt.tls.client_key_pem=key-data",
                  "opt.tls=on" } },
    { .id = "T17 server CA as data", .toml = TLS_TABLE("server_ca_cert_data = \"ca-data\"\n"),
      .expect = { "opt.tls=on", "opt.tls.server_ca_cert_pem=ca-data",
                  "opt.tls.server_ca_cert_path=<null>" } },
    { .id = "T17 server_name", .toml = TLS_TABLE("server_name = \"my.server.com\"\n"),
      .expect = { "opt.tls=on", "opt.tls.server_name=my.server.com" } },
    { .id = "T18 a lone client key loads (pairing is checked later)",
      .toml = TLS_TABLE("server_name = \"sn\"\nclient_key_data = \"client-key-data\"\n"),
      .expect = { "tls.client_key.data=client-key-data", "tls.client_cert.data=<null>",
                  "tls.client_cert.path=<null>" } },
    { .id = "T19 no tls table, no key", .toml = "[profile.default]\naddress = \"a:1\"\n",
      .expect = { "tls=absent", "api_key=<null>" } },
    { .id = "X/§8.6 api_key = \"\" in the file still turns TLS on",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"\"\n",
      .expect = { "api_key=", "opt.tls=on", "opt.tls.enabled=true" } },
    { .id = "X tls disabled: a lone cert is not checked",
      .toml = TLS_TABLE("disabled = true\nclient_cert_path = \"/c.pem\"\n"),
      .expect = { "opt.tls=off", "opt.tls.disabled=true" } },
    { .id = "X/§8.7 disable_host_verification is parsed, not applied",
      .toml = TLS_TABLE("disable_host_verification = true\n"),
      .expect = { "tls.disable_host_verification=true", "opt.tls=on" } },
    { .id = "X empty *_data counts as absent (CORE)",
      .toml = TLS_TABLE("server_ca_cert_data = \"\"\n"),
      .expect = { "tls=present", "tls.server_ca_cert.data=<null>",
                  "tls.server_ca_cert.path=<null>" } },
    { .id = "X multi-line PEM data kept byte for byte",
      .toml = TLS_TABLE("server_ca_cert_data = \"\"\"\n-----BEGIN CERTIFICATE-----\nAAAA\n"
                        "-----END CERTIFICATE-----\n\"\"\"\n"),
      .expect = { "tls.server_ca_cert.data=-----BEGIN CERTIFICATE-----\nAAAA\n"
                  "-----END CERTIFICATE-----\n",
                  "opt.tls.server_ca_cert_pem=-----BEGIN CERTIFICATE-----\nAAAA\n"
                  "-----END CERTIFICATE-----\n" } },
    { .id = "X/§5.4 grpc_meta authorization and api_key both reach the options",
      .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"my-key\"\n"
              "[profile.default.grpc_meta]\nauthorization = \"Bearer from-meta\"\n",
      .expect = { "opt.api_key=my-key", "opt.meta.authorization=Bearer from-meta",
                  "opt.meta#=1" } },
};

static void tls_and_api_key(void **state)
{
    (void)state;
    RUN_TABLE(tls_and_api_key_cases);
}

/* --------------------------------------------- §9.5 address and defaults (client) -- */

#define A7_TOML                                                                               \
    "[profile.default]\n"                                                                     \
    "address = \"toml-server:7233\"\n"                                                        \
    "namespace = \"toml-ns\"\n"                                                               \
    "api_key = \"toml-key\"\n"                                                                \
    "[profile.default.grpc_meta]\n"                                                           \
    "x-custom = \"value\"\n"                                                                  \
    "[profile.custom]\n"                                                                      \
    "address = \"custom-server:9090\"\n"                                                      \
    "namespace = \"custom-ns\"\n"

static const struct ec_case client_options_cases[] = {
    { .id = "A1 no address, TLS off: localhost:7233",
      .toml = "[profile.default]\nnamespace = \"ns\"\n",
      .expect = { "opt.target=localhost:7233", "opt.tls=off", "opt.namespace=ns" } },
    { .id = "A2 https:// address: scheme stripped, TLS on",
      .toml = "[profile.default]\naddress = \"https://my-server:7233\"\n",
      .expect = { "opt.target=my-server:7233", "opt.tls=on" } },
    { .id = "A3 localhost:7233, TLS off",
      .toml = "[profile.default]\naddress = \"localhost:7233\"\n",
      .expect = { "opt.target=localhost:7233", "opt.tls=off" } },
    { .id = "A3 localhost:7233, TLS on",
      .toml = "[profile.default]\naddress = \"localhost:7233\"\n[profile.default.tls]\n",
      .expect = { "opt.target=localhost:7233", "opt.tls=on" } },
    { .id = "A4 http:// address with a tls table: plaintext wins",
      .toml = "[profile.default]\naddress = \"http://my-server:7233\"\n"
              "[profile.default.tls]\nserver_name = \"x\"\n",
      .expect = { "opt.target=my-server:7233", "opt.tls=off", "opt.tls.disabled=true" } },
    { .id = "A4 http:// address with an api_key: plaintext, the key is still sent",
      .toml = "[profile.default]\naddress = \"http://my-server:7233\"\napi_key = \"k\"\n",
      .expect = { "opt.target=my-server:7233", "opt.tls=off", "opt.api_key=k" } },
    { .id = "X http:// address, nothing else",
      .toml = "[profile.default]\naddress = \"http://my-server:7233\"\n",
      .expect = { "opt.target=my-server:7233", "opt.tls=off" } },
    { .id = "X https:// address with an api_key",
      .toml = "[profile.default]\naddress = \"https://my-server:7233\"\napi_key = \"k\"\n",
      .expect = { "opt.target=my-server:7233", "opt.tls=on", "opt.api_key=k" } },
    { .id = "A5 ://bad", .toml = "[profile.default]\naddress = \"://bad\"\n",
      .opt_rc = TEMPORAL_ECONFIG, .opt_msg = { "://bad" } },
    { .id = "X an address that is not host:port (header: ECONFIG)",
      .toml = "[profile.default]\naddress = \"no-port-here\"\n", .opt_rc = TEMPORAL_ECONFIG,
      .opt_msg = { "no-port-here" } },
    { .id = "X IPv6 [::1]:7233", .toml = "[profile.default]\naddress = \"[::1]:7233\"\n",
      .expect = { "opt.target=[::1]:7233" } },
    { .id = "A6 disable_file, empty env: all defaults", .flags = NO_FILE,
      .expect = { "opt.target=localhost:7233", "opt.namespace=default", "opt.tls=off",
                  "opt.meta#=0", "opt.api_key=<null>" } },
    { .id = "A7 default profile, disable_env", .toml = A7_TOML, .flags = NO_ENV,
      .env = { "TEMPORAL_ADDRESS=ignored:1", "TEMPORAL_API_KEY=ignored" },
      .expect = { "opt.target=toml-server:7233", "opt.namespace=toml-ns",
                  "opt.api_key=toml-key", "opt.tls=on", "opt.meta#=1",
                  "opt.meta.x-custom=value" } },
    { .id = "A7 custom profile, disable_env", .toml = A7_TOML, .profile = "custom",
      .flags = NO_ENV, .env = { "TEMPORAL_TLS=true" },
      .expect = { "opt.target=custom-server:9090", "opt.namespace=custom-ns", "opt.tls=off",
                  "opt.api_key=<null>", "opt.meta#=0" } },
    { .id = "A8 grpc_meta passed through",
      .toml = "[profile.default]\naddress = \"a:1\"\n[profile.default.grpc_meta]\n"
              "x-custom = \"value\"\nanother = \"header\"\n",
      .expect = { "opt.meta#=2", "opt.meta.x-custom=value", "opt.meta.another=header" } },
    { .id = "A9 api_key", .toml = "[profile.default]\naddress = \"a:1\"\napi_key = \"my-key\"\n",
      .expect = { "opt.api_key=my-key" } },
    { .id = "X namespace unset: default",
      .toml = "[profile.default]\naddress = \"a:1\"\n", .expect = { "opt.namespace=default" } },
};

static void client_options(void **state)
{
    (void)state;
    RUN_TABLE(client_options_cases);
}

/* --------------------------------------------- §9.6 schema, strictness, normalisation -- */

/* Go's G-FULL with data items (not path + data, see T7), for S1. */
#define S1_TOML                                                                               \
    "[profile.foo]\n"                                                                         \
    "address = \"my-address\"\n"                                                              \
    "namespace = \"my-namespace\"\n"                                                          \
    "api_key = \"my-api-key\"\n"                                                              \
    "authority = \"my-authority\"\n"                                                          \
    "some_future_key = \"some future value\"\n"                                               \
    "[profile.foo.codec]\n"                                                                   \
    "endpoint = \"my-endpoint\"\n"                                                            \
    "auth = \"my-auth\"\n"                                                                    \
    "[profile.foo.grpc_meta]\n"                                                               \
    "sOme-hEader_key = \"some-value\"\n"                                                      \
    "[profile.foo.tls]\n"                                                                     \
    "disabled = true\n"                                                                       \
    "client_cert_data = \"my-client-cert-data\"\n"                                            \
    "client_key_data = \"my-client-key-data\"\n"                                              \
    "server_ca_cert_data = \"my-server-ca-cert-data\"\n"                                      \
    "server_name = \"my-server-name\"\n"                                                      \
    "disable_host_verification = true\n"

/* Every known key, and nothing else: valid in strict mode. */
#define ALL_KNOWN_TOML                                                                        \
    "[profile.foo]\n"                                                                         \
    "address = \"my-address:7233\"\n"                                                         \
    "namespace = \"my-namespace\"\n"                                                          \
    "api_key = \"my-api-key\"\n"                                                              \
    "[profile.foo.codec]\n"                                                                   \
    "endpoint = \"my-endpoint\"\n"                                                            \
    "auth = \"my-auth\"\n"                                                                    \
    "[profile.foo.grpc_meta]\n"                                                               \
    "any-header-at-all = \"v\"\n"                                                             \
    "[profile.foo.tls]\n"                                                                     \
    "disabled = false\n"                                                                      \
    "client_cert_path = \"my-client-cert-path\"\n"                                            \
    "client_key_path = \"my-client-key-path\"\n"                                              \
    "server_ca_cert_path = \"my-server-ca-cert-path\"\n"                                      \
    "server_name = \"my-server-name\"\n"                                                      \
    "disable_host_verification = false\n"

#define OAUTH_TOML                                                                            \
    "[profile.default]\n"                                                                     \
    "address = \"a:1\"\n"                                                                     \
    "[profile.default.oauth]\n"                                                               \
    "client_id = \"id\"\n"                                                                    \
    "scopes = [\"a\", \"b\"]\n"

static const struct ec_case schema_and_strict_cases[] = {
    { .id = "S1 (data items) full profile, non-strict: unknown keys ignored", .toml = S1_TOML,
      .profile = "foo",
      .expect = { "address=my-address", "namespace=my-namespace", "api_key=my-api-key",
                  "codec=present", "codec.endpoint=my-endpoint", "codec.auth=my-auth",
                  "meta#=1", "meta.some-header-key=some-value", "tls.disabled=true",
                  "tls.client_cert.data=my-client-cert-data",
                  "tls.client_key.data=my-client-key-data",
                  "tls.server_ca_cert.data=my-server-ca-cert-data",
                  "tls.server_name=my-server-name", "tls.disable_host_verification=true" } },
    { .id = "S2 (paths) full profile, non-strict", .toml = E4_TOML, .profile = "foo",
      .expect = { "tls.client_cert.path=my-client-cert-path",
                  "tls.client_key.path=my-client-key-path",
                  "tls.server_ca_cert.path=my-server-ca-cert-path", "tls.disabled=true",
                  "tls.disable_host_verification=true", "meta#=3" } },
    { .id = "X every known key is accepted in strict mode", .toml = ALL_KNOWN_TOML,
      .profile = "foo", .flags = STRICT,
      .expect = { "address=my-address:7233", "tls.disabled=false",
                  "meta.any-header-at-all=v", "codec.auth=my-auth" } },
    { .id = "S3 strict lists every unknown key (GO key paths)",
      .toml = "[unimportant]\nstuff = \"x\"\n[profile.foo]\naddress = \"a:1\"\n"
              "some_future_key = \"y\"\n",
      .profile = "foo", .flags = STRICT, .rc = TEMPORAL_ECONFIG,
      .msg = { "unimportant.stuff", "profile.foo.some_future_key" } },
    { .id = "X strict lists unknown keys at every level and in every profile",
      .toml = "zz_top = 1\n[profile.foo]\nbogus_p = 1\n[profile.foo.tls]\nbogus_t = 1\n"
              "[profile.foo.codec]\nbogus_c = 1\n[profile.bar]\nbogus_b = 1\n",
      .profile = "foo", .flags = STRICT, .rc = TEMPORAL_ECONFIG,
      .msg = { "zz_top", "profile.foo.bogus_p", "profile.foo.tls.bogus_t",
               "profile.foo.codec.bogus_c", "profile.bar.bogus_b" } },
    { .id = "X strict names the file", .toml = STRICTFAIL, .file = FM_PATH, .flags = STRICT,
      .rc = TEMPORAL_ECONFIG, .msg = { "unrecognized", "@FILE" } },
    { .id = "S4 strict STRICTFAIL", .toml = STRICTFAIL, .flags = STRICT,
      .rc = TEMPORAL_ECONFIG, .msg = { "unrecognized", "!should-fail" } },
    { .id = "S4 (contrast) STRICTFAIL non-strict loads", .toml = STRICTFAIL,
      .expect = { "address=default-address" } },
    { .id = "S5 strict unknown table",
      .toml = "[profile.default]\naddress = \"a:1\"\n[unrecognized_table]\nfoo = \"bar\"\n",
      .flags = STRICT, .rc = TEMPORAL_ECONFIG, .msg = { "unrecognized_table" } },
    { .id = "S6 strict unknown field",
      .toml = "[profile.default]\naddress = \"a:1\"\nunrecognized_field = \"x\"\n",
      .flags = STRICT, .rc = TEMPORAL_ECONFIG, .msg = { "unrecognized_field" } },
    { .id = "X/§8.10 strict rejects the Go-only authority",
      .toml = "[profile.default]\naddress = \"a:1\"\nauthority = \"x\"\n", .flags = STRICT,
      .rc = TEMPORAL_ECONFIG, .msg = { "authority" } },
    { .id = "X strict rejects the CLI-only oauth table", .toml = OAUTH_TOML, .flags = STRICT,
      .rc = TEMPORAL_ECONFIG, .msg = { "oauth" } },
    { .id = "X the oauth table is ignored non-strict", .toml = OAUTH_TOML,
      .expect = { "address=a:1" } },
    { .id = "X strict: grpc_meta keys are free-form",
      .toml = "[profile.default.grpc_meta]\nwhatever_i-like = \"v\"\n", .flags = STRICT,
      .expect = { "meta.whatever-i-like=v" } },
    { .id = "S7 grpc_meta keys normalised",
      .toml = "[profile.default.grpc_meta]\n\"Custom-Header\" = \"a\"\n"
              "ANOTHER_HEADER_KEY = \"b\"\n\"mixed_Case-header\" = \"c\"\n",
      .expect = { "meta#=3", "meta.custom-header=a", "meta.another-header-key=b",
                  "meta.mixed-case-header=c", "meta.Custom-Header=<null>",
                  "meta.ANOTHER_HEADER_KEY=<null>" } },
    { .id = "X/§3.4 two keys normalising to one: the later wins",
      .toml = "[profile.default.grpc_meta]\nx_dup = \"first\"\nX-DUP = \"second\"\n",
      .expect = { "meta#=1", "meta.x-dup=second" } },
    { .id = "S9 TEMPORAL_TLS=true", .flags = NO_FILE, .env = { "TEMPORAL_TLS=true" },
      .expect = { "tls.disabled=false" } },
    { .id = "S9 TEMPORAL_TLS=TRUE", .flags = NO_FILE, .env = { "TEMPORAL_TLS=TRUE" },
      .expect = { "tls.disabled=false" } },
    { .id = "S9 TEMPORAL_TLS=True", .flags = NO_FILE, .env = { "TEMPORAL_TLS=True" },
      .expect = { "tls.disabled=false" } },
    { .id = "S9 TEMPORAL_TLS=1", .flags = NO_FILE, .env = { "TEMPORAL_TLS=1" },
      .expect = { "tls.disabled=false" } },
    { .id = "S9 TEMPORAL_TLS=false", .flags = NO_FILE, .env = { "TEMPORAL_TLS=false" },
      .expect = { "tls.disabled=true" } },
    { .id = "S9 TEMPORAL_TLS=FALSE", .flags = NO_FILE, .env = { "TEMPORAL_TLS=FALSE" },
      .expect = { "tls.disabled=true" } },
    { .id = "S9 TEMPORAL_TLS=0", .flags = NO_FILE, .env = { "TEMPORAL_TLS=0" },
      .expect = { "tls.disabled=true" } },
    { .id = "S9 TEMPORAL_TLS=invalid", .flags = NO_FILE, .env = { "TEMPORAL_TLS=invalid" },
      .expect = { "tls=present", "tls.disabled=unset" } },
    { .id = "S9 TEMPORAL_TLS=no", .flags = NO_FILE, .env = { "TEMPORAL_TLS=no" },
      .expect = { "tls=present", "tls.disabled=unset" } },
    { .id = "S9 TEMPORAL_TLS= (empty)", .flags = NO_FILE, .env = { "TEMPORAL_TLS=" },
      .expect = { "tls=present", "tls.disabled=unset" } },
    { .id = "S9 TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=1", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=1" },
      .expect = { "tls.disable_host_verification=true" } },
    { .id = "S9 TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=yes (invalid)", .flags = NO_FILE,
      .env = { "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=yes" },
      .expect = { "tls=present", "tls.disable_host_verification=false" } },
    { .id = "S12 grpc_meta authorization kept as given",
      .toml = "[profile.default.grpc_meta]\nauthorization = \"Bearer token\"\n"
              "x-custom-header = \"custom-value\"\n",
      .expect = { "meta#=2", "meta.authorization=Bearer token",
                  "meta.x-custom-header=custom-value" } },
    { .id = "X type: address = 123 names profile and key",
      .toml = "[profile.typed]\naddress = 123\n", .profile = "typed", .rc = TEMPORAL_ECONFIG,
      .msg = { "typed", "address" } },
    { .id = "X type: address = 123 in a file names the file",
      .toml = "[profile.typed]\naddress = 123\n", .file = FM_PATH, .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "address", "@FILE" } },
    { .id = "X type: tls = true", .toml = "[profile.typed]\ntls = true\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "tls" } },
    { .id = "X type: a grpc_meta value that is not a string",
      .toml = "[profile.typed.grpc_meta]\nx-num = 1\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "x-num" } },
    { .id = "X type: grpc_meta that is not a table",
      .toml = "[profile.typed]\ngrpc_meta = \"x\"\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "grpc_meta" } },
    { .id = "X type: namespace as an array",
      .toml = "[profile.typed]\nnamespace = [\"a\"]\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "namespace" } },
    { .id = "X type: api_key as a bool", .toml = "[profile.typed]\napi_key = true\n",
      .profile = "typed", .rc = TEMPORAL_ECONFIG, .msg = { "typed", "api_key" } },
    { .id = "X type: tls.disabled as a string",
      .toml = "[profile.typed.tls]\ndisabled = \"true\"\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "disabled" } },
    { .id = "X type: tls.server_name as an integer",
      .toml = "[profile.typed.tls]\nserver_name = 5\n", .profile = "typed",
      .rc = TEMPORAL_ECONFIG, .msg = { "typed", "server_name" } },
    { .id = "X type: codec that is not a table", .toml = "[profile.typed]\ncodec = \"x\"\n",
      .profile = "typed", .rc = TEMPORAL_ECONFIG, .msg = { "typed", "codec" } },
    { .id = "X type: a profile that is not a table", .toml = "[profile]\ntyped = \"x\"\n",
      .profile = "typed", .rc = TEMPORAL_ECONFIG, .msg = { "typed" } },
    { .id = "X type: profile that is not a table", .toml = "profile = \"x\"\n",
      .rc = TEMPORAL_ECONFIG, .msg = { "profile" } },
    { .id = "X type: errors in a profile that is not loaded (CORE)",
      .toml = "[profile.default]\naddress = \"a:1\"\n[profile.other]\naddress = 123\n",
      .rc = TEMPORAL_ECONFIG, .msg = { "other", "address" } },
    { .id = "X a syntax error on the api_key line does not echo the key",
      .toml = "[profile.default]\napi_key = \"sk-supersecret-4711\n", .rc = TEMPORAL_ECONFIG,
      .msg = { "line 2|:2:|:2 ", "!sk-supersecret-4711", "!supersecret" } },
    { .id = "X a type error after the api_key does not echo the key",
      .toml = "[profile.default]\napi_key = \"sk-supersecret-4712\"\naddress = 1\n",
      .rc = TEMPORAL_ECONFIG, .msg = { "address", "!sk-supersecret-4712" } },
};

static void schema_and_strict(void **state)
{
    (void)state;
    RUN_TABLE(schema_and_strict_cases);
}

/* ---------------------------------------------------------- hand-written cases -- */

/* Loads with |lo| (its env defaults to an empty array) and asserts success. */
static void load_ok(const char *id, struct temporal_config_load_options *lo,
                    struct temporal_config_profile *p)
{
    static const char *const no_env[] = { NULL };
    if (lo->env == NULL)
        lo->env = no_env;
    struct temporal_error err;
    memset(p, 0, sizeof(*p));
    int rc = temporal_config_load_profile(lo, p, &err);
    if (rc != 0)
        fail_msg("[%s] load returned %s: %s", id, temporal_err_name(rc), err.message);
}

static void expect_address(const char *id, const struct temporal_config_profile *p,
                           const char *want)
{
    if (want == NULL ? p->address != NULL
                     : p->address == NULL || strcmp(p->address, want) != 0)
        fail_msg("[%s] address: expected %s, got %s", id, want ? want : "NULL",
                 p->address ? p->address : "NULL");
}

/* §1.2: the default file in the user config directory, from the process's HOME/XDG. */
static void default_path_discovery(void **state)
{
    (void)state;
    struct temporal_config_profile p;
    char home_file[PATH_CAP], xdg_dir[TMP_CAP + 16], xdg_file[PATH_CAP];
    default_config_path(home_file, sizeof(home_file));
    write_file(home_file, "[profile.default]\naddress = \"home-address\"\n");
    snprintf(xdg_dir, sizeof(xdg_dir), "%s/xdg", g_tmp);
    snprintf(xdg_file, sizeof(xdg_file), "%s/temporalio/temporal.toml", xdg_dir);
    write_file(xdg_file, "[profile.default]\naddress = \"xdg-address\"\n");

    /* XDG_CONFIG_HOME unset: $HOME/.config. */
    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    load_ok("§1.2 HOME/.config", &lo, &p);
    expect_address("§1.2 HOME/.config", &p, "home-address");
    temporal_config_profile_cleanup(&p);

    /* An absolute XDG_CONFIG_HOME wins. */
    setenv("XDG_CONFIG_HOME", xdg_dir, 1);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    load_ok("§1.2 absolute XDG_CONFIG_HOME", &lo, &p);
    expect_address("§1.2 absolute XDG_CONFIG_HOME", &p, "xdg-address");
    temporal_config_profile_cleanup(&p);

    /* The env array does not move the config dir: HOME/XDG come from the process. */
    static const char *const other_home[] = { "HOME=/nonexistent-home",
                                              "XDG_CONFIG_HOME=/nonexistent-xdg", NULL };
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.env = other_home;
    load_ok("§1.2 HOME/XDG in the env array are not used", &lo, &p);
    expect_address("§1.2 HOME/XDG in the env array are not used", &p, "xdg-address");
    temporal_config_profile_cleanup(&p);

    /* An empty XDG_CONFIG_HOME: $HOME/.config. */
    setenv("XDG_CONFIG_HOME", "", 1);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    load_ok("§1.2 empty XDG_CONFIG_HOME", &lo, &p);
    expect_address("§1.2 empty XDG_CONFIG_HOME", &p, "home-address");
    temporal_config_profile_cleanup(&p);

    /*
     * X: a relative XDG_CONFIG_HOME is ignored (CORE: only an absolute one counts), so
     * $HOME/.config is used, even when the relative directory exists from the cwd.
     */
    char cwd[PATH_CAP], rel_file[PATH_CAP];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(rel_file, sizeof(rel_file), "%s/relxdg/temporalio/temporal.toml", g_tmp);
    write_file(rel_file, "[profile.default]\naddress = \"relative-address\"\n");
    assert_int_equal(chdir(g_tmp), 0);
    setenv("XDG_CONFIG_HOME", "relxdg", 1);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    memset(&p, 0, sizeof(p));
    static const char *const no_env[] = { NULL };
    lo.env = no_env;
    struct temporal_error err;
    int rc = temporal_config_load_profile(&lo, &p, &err);
    assert_int_equal(chdir(cwd), 0);
    if (rc != 0)
        fail_msg("[X relative XDG_CONFIG_HOME] load returned %s: %s", temporal_err_name(rc),
                 err.message);
    expect_address("X relative XDG_CONFIG_HOME is ignored (CORE)", &p, "home-address");
    temporal_config_profile_cleanup(&p);
    unsetenv("XDG_CONFIG_HOME");

    /* §8.9: an empty TEMPORAL_CONFIG_FILE is unset, so the default file is used. */
    static const char *const empty_cfg[] = { "TEMPORAL_CONFIG_FILE=", NULL };
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.env = empty_cfg;
    load_ok("§8.9 empty TEMPORAL_CONFIG_FILE", &lo, &p);
    expect_address("§8.9 empty TEMPORAL_CONFIG_FILE", &p, "home-address");
    temporal_config_profile_cleanup(&p);

    /* F3: TEMPORAL_CONFIG_FILE naming a missing file does not fall back to the default. */
    static const char *const missing_cfg[] = {
        "TEMPORAL_CONFIG_FILE=/nonexistent/temporal-c-test/temporal.toml", NULL
    };
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.env = missing_cfg;
    load_ok("F3 missing TEMPORAL_CONFIG_FILE", &lo, &p);
    expect_address("F3 missing TEMPORAL_CONFIG_FILE: no fallback to the default file", &p,
                   NULL);
    temporal_config_profile_cleanup(&p);

    /* The same for an explicit path. */
    char missing[PATH_CAP];
    snprintf(missing, sizeof(missing), "%s/missing.toml", g_tmp);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_file_path = missing;
    load_ok("F3 missing explicit path", &lo, &p);
    expect_address("F3 missing explicit path: no fallback to the default file", &p, NULL);
    temporal_config_profile_cleanup(&p);

    /* With an env array, the process's TEMPORAL_CONFIG_FILE is not consulted. */
    char proc_file[PATH_CAP];
    snprintf(proc_file, sizeof(proc_file), "%s/process.toml", g_tmp);
    write_file(proc_file, "[profile.default]\naddress = \"process-address\"\n");
    setenv("TEMPORAL_CONFIG_FILE", proc_file, 1);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    load_ok("X env array replaces the process env", &lo, &p);
    expect_address("X env array replaces the process env (TEMPORAL_CONFIG_FILE)", &p,
                   "home-address");
    temporal_config_profile_cleanup(&p);

    /* And without one (env == NULL), it is. */
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    memset(&p, 0, sizeof(p));
    rc = temporal_config_load_profile(&lo, &p, &err);
    unsetenv("TEMPORAL_CONFIG_FILE");
    if (rc != 0)
        fail_msg("[F2 process TEMPORAL_CONFIG_FILE] load returned %s: %s",
                 temporal_err_name(rc), err.message);
    expect_address("F2 TEMPORAL_CONFIG_FILE from the process env", &p, "process-address");
    temporal_config_profile_cleanup(&p);

    /* F4: HOME pointing at a directory without the file: empty profile. */
    unlink(home_file);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    load_ok("F4 no default file", &lo, &p);
    expect_address("F4 no default file", &p, NULL);
    assert_false(p.tls.present);
    assert_int_equal(p.grpc_meta_count, 0);
    temporal_config_profile_cleanup(&p);
}

/* §1: explicit sources against each other, unreadable files. */
static void config_file_on_disk(void **state)
{
    (void)state;
    struct temporal_config_profile p;
    struct temporal_error err;
    char a[PATH_CAP], b[PATH_CAP], var[PATH_CAP + 32];
    snprintf(a, sizeof(a), "%s/a.toml", g_tmp);
    snprintf(b, sizeof(b), "%s/b.toml", g_tmp);
    write_file(a, "[profile.default]\naddress = \"a-address\"\n");
    write_file(b, "[profile.default]\naddress = \"b-address\"\n");
    snprintf(var, sizeof(var), "TEMPORAL_CONFIG_FILE=%s", b);
    const char *env[] = { var, NULL };

    /* §1.1: the explicit path wins over TEMPORAL_CONFIG_FILE. */
    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_file_path = a;
    lo.env = env;
    load_ok("§1.1 path over TEMPORAL_CONFIG_FILE", &lo, &p);
    expect_address("§1.1 path over TEMPORAL_CONFIG_FILE", &p, "a-address");
    temporal_config_profile_cleanup(&p);

    /* §1.1: config_data wins over TEMPORAL_CONFIG_FILE. */
    static const char data[] = "[profile.default]\naddress = \"data-address\"\n";
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_data = data;
    lo.config_data_len = strlen(data);
    lo.env = env;
    load_ok("§1.1 data over TEMPORAL_CONFIG_FILE", &lo, &p);
    expect_address("§1.1 data over TEMPORAL_CONFIG_FILE", &p, "data-address");
    temporal_config_profile_cleanup(&p);

    /* config_data_len is honoured: the bytes after it are not read. */
    static const char longer[] = "[profile.default]\naddress = \"len-address\"\n"
                                 "this is not toml";
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_data = longer;
    lo.config_data_len = strlen(longer) - strlen("this is not toml");
    load_ok("X config_data_len", &lo, &p);
    expect_address("X config_data_len bounds the data", &p, "len-address");
    temporal_config_profile_cleanup(&p);

    /* §1.3: a file that exists but cannot be read (a directory) is TEMPORAL_EIO naming it. */
    char dir[PATH_CAP];
    snprintf(dir, sizeof(dir), "%s/a-directory.toml", g_tmp);
    mkdir_p(dir);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_file_path = dir;
    static const char *const no_env[] = { NULL };
    lo.env = no_env;
    memset(&p, 0, sizeof(p));
    int rc = temporal_config_load_profile(&lo, &p, &err);
    temporal_config_profile_cleanup(&p);
    if (rc != TEMPORAL_EIO)
        fail_msg("[§1.3 unreadable file] expected TEMPORAL_EIO, got %s: %s",
                 temporal_err_name(rc), rc ? err.message : "");
    assert_int_equal(err.code, TEMPORAL_EIO);
    if (strstr(err.message, dir) == NULL)
        fail_msg("[§1.3 unreadable file] the message does not name %s: %s", dir, err.message);

    /* The same through TEMPORAL_CONFIG_FILE. */
    snprintf(var, sizeof(var), "TEMPORAL_CONFIG_FILE=%s", dir);
    lo = (struct temporal_config_load_options)TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.env = env;
    memset(&p, 0, sizeof(p));
    rc = temporal_config_load_profile(&lo, &p, &err);
    temporal_config_profile_cleanup(&p);
    if (rc != TEMPORAL_EIO || strstr(err.message, dir) == NULL)
        fail_msg("[§1.3 unreadable TEMPORAL_CONFIG_FILE] expected TEMPORAL_EIO naming %s, "
                 "got %s: %s",
                 dir, temporal_err_name(rc), rc ? err.message : "");
}

/* T6/T16: TLS material named by paths; the files are read only when connecting. */
static void tls_files_on_disk(void **state)
{
    (void)state;
    char ca[PATH_CAP], crt[PATH_CAP], key[PATH_CAP], toml[4 * PATH_CAP];
    snprintf(ca, sizeof(ca), "%s/tls/ca.pem", g_tmp);
    snprintf(crt, sizeof(crt), "%s/tls/client.crt", g_tmp);
    snprintf(key, sizeof(key), "%s/tls/client.key", g_tmp);
    /* The same bytes as T5's data. */
    write_file(ca, "ca-pem-data");
    write_file(crt, "client-crt-data");
    write_file(key, "client-key-data");
    snprintf(toml, sizeof(toml),
             "[profile.tls_with_paths]\naddress = \"127.0.0.1:1\"\n"
             "[profile.tls_with_paths.tls]\nserver_name = \"custom-server\"\n"
             "server_ca_cert_path = \"%s\"\nclient_cert_path = \"%s\"\n"
             "client_key_path = \"%s\"\n",
             ca, crt, key);

    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_data = toml;
    lo.config_data_len = strlen(toml);
    lo.profile = "tls_with_paths";
    struct temporal_config_profile p;
    load_ok("T6 paths", &lo, &p);
    /* T6: the profile holds paths, not data. */
    assert_string_equal(p.tls.server_ca_cert.path, ca);
    assert_string_equal(p.tls.client_cert.path, crt);
    assert_string_equal(p.tls.client_key.path, key);
    assert_null(p.tls.server_ca_cert.data);
    assert_null(p.tls.client_cert.data);
    assert_null(p.tls.client_key.data);

    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    struct temporal_error err;
    TS_OK(temporal_config_profile_client_options(&p, &o, &err), err);
    assert_string_equal(o.tls.server_ca_cert_path, ca);
    assert_string_equal(o.tls.client_cert_path, crt);
    assert_string_equal(o.tls.client_key_path, key);
    assert_null(o.tls.server_ca_cert_pem);
    assert_string_equal(o.tls.server_name, "custom-server");
    assert_true(effective_tls(&o));

    /*
     * The files are read by temporal_client_connect(), not before: remove one and the
     * profile and options above are still fine, but connecting fails naming the file.
     */
    unlink(ca);
    struct temporal_config_profile p2;
    load_ok("T6 missing CA file still loads", &lo, &p2);
    struct temporal_client_options o2 = TEMPORAL_CLIENT_OPTIONS_INIT;
    TS_OK(temporal_config_profile_client_options(&p2, &o2, &err), err);
    o2.connect_timeout_ms = 2000;
    struct temporal_client *c = NULL;
    int rc = temporal_client_connect(&c, &o2, &err);
    assert_null(c);
    if (rc != TEMPORAL_EIO || strstr(err.message, ca) == NULL)
        fail_msg("[T6 connect reads the files] expected TEMPORAL_EIO naming %s, got %s: %s", ca,
                 temporal_err_name(rc), rc ? err.message : "");
    temporal_config_profile_cleanup(&p2);
    temporal_config_profile_cleanup(&p);
}

/* E15: with env == NULL the process environment is read. */
static void process_environment(void **state)
{
    (void)state;
    setenv("TEMPORAL_ADDRESS", "system-address:7233", 1);
    setenv("TEMPORAL_NAMESPACE", "system-namespace", 1);
    setenv("TEMPORAL_GRPC_META_X_FROM_PROCESS", "yes", 1);

    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.disable_file = true;
    struct temporal_config_profile p;
    memset(&p, 0, sizeof(p));
    struct temporal_error err;
    int rc = temporal_config_load_profile(&lo, &p, &err);

    /* An env array replaces the process environment entirely. */
    static const char *const only[] = { "TEMPORAL_NAMESPACE=array-namespace", NULL };
    struct temporal_config_load_options lo2 = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo2.disable_file = true;
    lo2.env = only;
    struct temporal_config_profile p2;
    memset(&p2, 0, sizeof(p2));
    struct temporal_error err2;
    int rc2 = temporal_config_load_profile(&lo2, &p2, &err2);

    /* TEMPORAL_PROFILE from the process selects the profile. */
    setenv("TEMPORAL_PROFILE", "proc", 1);
    static const char data[] = "[profile.proc]\nnamespace = \"proc-namespace\"\n"
                               "api_key = \"proc-key\"\n";
    struct temporal_config_load_options lo3 = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo3.config_data = data;
    lo3.config_data_len = strlen(data);
    struct temporal_config_profile p3;
    memset(&p3, 0, sizeof(p3));
    struct temporal_error err3;
    int rc3 = temporal_config_load_profile(&lo3, &p3, &err3);

    unsetenv("TEMPORAL_ADDRESS");
    unsetenv("TEMPORAL_NAMESPACE");
    unsetenv("TEMPORAL_GRPC_META_X_FROM_PROCESS");
    unsetenv("TEMPORAL_PROFILE");

    TS_OK(rc, err);
    assert_string_equal(p.address, "system-address:7233");
    assert_string_equal(p.namespace_name, "system-namespace");
    assert_int_equal(p.grpc_meta_count, 1);
    assert_string_equal(p.grpc_meta[0].key, "x-from-process");
    assert_string_equal(p.grpc_meta[0].value, "yes");
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    TS_OK(temporal_config_profile_client_options(&p, &o, &err), err);
    assert_string_equal(o.target, "system-address:7233");
    assert_string_equal(o.namespace_name, "system-namespace");

    TS_OK(rc2, err2);
    assert_null(p2.address);
    assert_string_equal(p2.namespace_name, "array-namespace");
    assert_int_equal(p2.grpc_meta_count, 0);

    TS_OK(rc3, err3);
    assert_string_equal(p3.api_key, "proc-key");
    /* The process's TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE were set then too, and win. */
    assert_string_equal(p3.address, "system-address:7233");
    assert_string_equal(p3.namespace_name, "system-namespace");

    temporal_config_profile_cleanup(&p);
    temporal_config_profile_cleanup(&p2);
    temporal_config_profile_cleanup(&p3);
}

/* S8 and §3.4: temporal_config_normalize_grpc_meta_key(). */
static void normalize_keys(void **state)
{
    (void)state;
    static const struct {
        const char *id, *in, *out;
    } rows[] = {
        { "S8 SOME_HEADER", "SOME_HEADER", "some-header" },
        { "S8 some_header", "some_header", "some-header" },
        { "S8 Some_Header", "Some_Header", "some-header" },
        { "S7 Custom-Header", "Custom-Header", "custom-header" },
        { "S7 ANOTHER_HEADER_KEY", "ANOTHER_HEADER_KEY", "another-header-key" },
        { "S7 mixed_Case-header", "mixed_Case-header", "mixed-case-header" },
        { "§8.8 A_B_C: every '_'", "A_B_C", "a-b-c" },
        { "X already normal", "x-custom", "x-custom" },
        { "X double underscore", "a__b", "a--b" },
        { "X empty", "", "" },
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *out = NULL;
        int rc = temporal_config_normalize_grpc_meta_key(rows[i].in, &out);
        if (rc != 0 || out == NULL || strcmp(out, rows[i].out) != 0) {
            print_message("FAIL [%s] normalize(\"%s\"): expected \"%s\", got %s \"%s\"\n",
                          rows[i].id, rows[i].in, rows[i].out, temporal_err_name(rc),
                          out ? out : "NULL");
            failed++;
        }
        temporal_free(out);
    }
    if (failed > 0)
        fail_msg("normalize_keys: %d rows failed", failed);
}

/* The header's promises about |out|, |err|, cleanup and the borrowed client options. */
static void api_contract(void **state)
{
    (void)state;
    static const char *const no_env[] = { NULL };
    struct temporal_error err;
    struct temporal_config_profile p;

    /* |out| is initialised by the call, so cleanup is safe after success and failure. */
    struct temporal_config_load_options lo = TEMPORAL_CONFIG_LOAD_OPTIONS_INIT;
    lo.config_data = BASE;
    lo.config_data_len = strlen(BASE);
    lo.env = no_env;
    memset(&p, 0xA5, sizeof(p));
    TS_OK(temporal_config_load_profile(&lo, &p, &err), err);
    assert_string_equal(p.address, "default-address");
    temporal_config_profile_cleanup(&p);

    lo.profile = "nonexistent";
    memset(&p, 0xA5, sizeof(p));
    assert_int_equal(temporal_config_load_profile(&lo, &p, &err), TEMPORAL_EPROFILE_NOT_FOUND);
    temporal_config_profile_cleanup(&p);

    lo.profile = NULL;
    lo.disable_file = lo.disable_env = true;
    memset(&p, 0xA5, sizeof(p));
    assert_int_equal(temporal_config_load_profile(&lo, &p, &err), TEMPORAL_ECONFIG);
    temporal_config_profile_cleanup(&p);

    /* |err| is optional. */
    memset(&p, 0, sizeof(p));
    assert_int_equal(temporal_config_load_profile(&lo, &p, NULL), TEMPORAL_ECONFIG);
    temporal_config_profile_cleanup(&p);
    lo.disable_file = lo.disable_env = false;
    memset(&p, 0, sizeof(p));
    assert_int_equal(temporal_config_load_profile(&lo, &p, NULL), 0);

    /* Cleanup zeroes the profile; twice and NULL are no-ops. */
    temporal_config_profile_cleanup(&p);
    assert_null(p.address);
    assert_null(p.grpc_meta);
    assert_int_equal(p.grpc_meta_count, 0);
    temporal_config_profile_cleanup(&p);
    temporal_config_profile_cleanup(NULL);

    /* Bad options. */
    memset(&p, 0, sizeof(p));
    assert_int_equal(temporal_config_load_profile(NULL, &p, &err), TEMPORAL_EINVAL);
    temporal_config_profile_cleanup(&p);
    assert_int_equal(temporal_config_load_profile(&lo, NULL, &err), TEMPORAL_EINVAL);

    /*
     * temporal_config_profile_client_options(): only the connection fields are written,
     * and calling it again on the same profile keeps everything valid (storage reused).
     */
    lo.profile = "custom";
    static const char *const env[] = { "TEMPORAL_ADDRESS=custom-address:7233", NULL };
    lo.env = env;
    memset(&p, 0, sizeof(p));
    TS_OK(temporal_config_load_profile(&lo, &p, &err), err);
    struct temporal_client_options o = TEMPORAL_CLIENT_OPTIONS_INIT;
    o.identity = "my-identity";
    o.connect_timeout_ms = 1234;
    o.rpc_timeout_ms = 5678;
    TS_OK(temporal_config_profile_client_options(&p, &o, &err), err);
    TS_OK(temporal_config_profile_client_options(&p, &o, &err), err);
    struct temporal_client_options o2 = TEMPORAL_CLIENT_OPTIONS_INIT;
    TS_OK(temporal_config_profile_client_options(&p, &o2, &err), err);
    assert_int_equal(o.self_size, sizeof(o));
    assert_string_equal(o.identity, "my-identity");
    assert_int_equal(o.connect_timeout_ms, 1234);
    assert_int_equal(o.rpc_timeout_ms, 5678);
    assert_string_equal(o2.target, "custom-address:7233");
    assert_string_equal(o2.namespace_name, "custom-namespace");
    assert_string_equal(o2.api_key, "custom-api-key");
    assert_int_equal(o2.metadata_count, 1);
    assert_string_equal(o2.metadata[0].key, "custom-header");
    assert_string_equal(o2.metadata[0].value, "custom-value");
    assert_null(o2.identity);
    temporal_config_profile_cleanup(&p);

    /* A converted profile keeps no storage after cleanup (valgrind checks the leak side). */
    memset(&p, 0, sizeof(p));
    TS_OK(temporal_config_load_profile(&lo, &p, &err), err);
    TS_OK(temporal_config_profile_client_options(&p, &o, &err), err);
    temporal_config_profile_cleanup(&p);
    assert_null(p.client_metadata_);
    assert_null(p.client_target_);
}

#define FIXTURE(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

static const struct CMUnitTest tests[] = {
    FIXTURE(file_discovery),
    FIXTURE(profile_selection),
    FIXTURE(env_overrides),
    FIXTURE(tls_and_api_key),
    FIXTURE(client_options),
    FIXTURE(schema_and_strict),
    FIXTURE(default_path_discovery),
    FIXTURE(config_file_on_disk),
    FIXTURE(tls_files_on_disk),
    FIXTURE(process_environment),
    FIXTURE(normalize_keys),
    FIXTURE(api_contract),
};
TS_MAIN(tests)
