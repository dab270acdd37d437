/*
 * envconfig: temporal.toml profiles and TEMPORAL_* environment variables, the way the
 * official SDKs read them (sdk-core's choices where they differ; see docs/ENVCONFIG.md).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "temporal/envconfig.h"

#include "internal.h"
#include "toml.h"

extern char **environ;

#define DEFAULT_ADDRESS "localhost:7233"
#define DEFAULT_NAMESPACE "default"
#define DEFAULT_PROFILE "default"
#define GRPC_META_ENV_PREFIX "TEMPORAL_GRPC_META_"

/* Environment ----------------------------------------------------------------------------- */

/* The environment to read: the caller's override array, or the process's. */
static const char *const *env_entries(const struct temporal_config_load_options *o)
{
    return o->env != NULL ? o->env : (const char *const *)environ;
}

/* Value of |name| in the environment, or NULL when absent (present-but-empty gives ""). */
static const char *env_get(const struct temporal_config_load_options *o, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = env_entries(o); e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static const char *nonempty(const char *s) { return s != NULL && s[0] != '\0' ? s : NULL; }

/* "true"/"1" and "false"/"0", any case.  Returns 0 and sets |*out|, or -1 if neither. */
static int parse_env_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
        return *out = true, 0;
    if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
        return *out = false, 0;
    return -1;
}

/* Profile storage --------------------------------------------------------------------------- */

static void source_clear(struct temporal_config_source *s)
{
    free(s->path);
    free(s->data);
    memset(s, 0, sizeof(*s));
}

void temporal_config_profile_cleanup(struct temporal_config_profile *p)
{
    if (p == NULL)
        return;
    free(p->address);
    free(p->namespace_name);
    if (p->api_key != NULL)
        memset(p->api_key, 0, strlen(p->api_key));
    free(p->api_key);
    source_clear(&p->tls.client_cert);
    if (p->tls.client_key.data != NULL)
        memset(p->tls.client_key.data, 0, p->tls.client_key.data_len);
    source_clear(&p->tls.client_key);
    source_clear(&p->tls.server_ca_cert);
    free(p->tls.server_name);
    free(p->codec.endpoint);
    free(p->codec.auth);
    for (size_t i = 0; i < p->grpc_meta_count; i++) {
        free(p->grpc_meta[i].key);
        free(p->grpc_meta[i].value);
    }
    free(p->grpc_meta);
    free(p->client_metadata_);
    free(p->client_target_);
    memset(p, 0, sizeof(*p));
}

/* Replaces |*field| with a copy of |value| (NULL clears).  Returns 0 or TEMPORAL_ENOMEM. */
static int set_string(char **field, const char *value)
{
    char *copy = NULL;
    if (value != NULL && (copy = temporal__strdup(value)) == NULL)
        return TEMPORAL_ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

/* Sets a TLS item to inline data (empty data means unset, as in sdk-core). */
static int source_set_data(struct temporal_config_source *s, const char *data, size_t len)
{
    source_clear(s);
    if (len == 0)
        return 0;
    s->data = malloc(len + 1);
    if (s->data == NULL)
        return TEMPORAL_ENOMEM;
    memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->data_len = len;
    return 0;
}

static int source_set_path(struct temporal_config_source *s, const char *path)
{
    source_clear(s);
    return set_string(&s->path, path);
}

int temporal_config_normalize_grpc_meta_key(const char *key, char **out)
{
    if (key == NULL || out == NULL)
        return TEMPORAL_EINVAL;
    *out = temporal__strdup(key);
    if (*out == NULL)
        return TEMPORAL_ENOMEM;
    for (char *c = *out; *c; c++) {
        if (*c == '_')
            *c = '-';
        else if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return 0;
}

/* Sets header |key| (normalised) to |value|; NULL |value| removes it. */
static int meta_set(struct temporal_config_profile *p, const char *key, const char *value)
{
    char *norm = NULL;
    int rc = temporal_config_normalize_grpc_meta_key(key, &norm);
    if (rc != 0)
        return rc;
    size_t i = 0;
    while (i < p->grpc_meta_count && strcmp(p->grpc_meta[i].key, norm) != 0)
        i++;
    if (value == NULL) {
        if (i < p->grpc_meta_count) {
            free(p->grpc_meta[i].key);
            free(p->grpc_meta[i].value);
            memmove(&p->grpc_meta[i], &p->grpc_meta[i + 1],
                    (p->grpc_meta_count - i - 1) * sizeof(*p->grpc_meta));
            p->grpc_meta_count--;
        }
        free(norm);
        return 0;
    }
    if (i < p->grpc_meta_count) {
        free(norm);
        return set_string(&p->grpc_meta[i].value, value);
    }
    struct temporal_config_meta *m =
        realloc(p->grpc_meta, (p->grpc_meta_count + 1) * sizeof(*p->grpc_meta));
    char *v = temporal__strdup(value);
    if (m == NULL || v == NULL) {
        if (m != NULL)
            p->grpc_meta = m;
        free(norm);
        free(v);
        return TEMPORAL_ENOMEM;
    }
    p->grpc_meta = m;
    m[p->grpc_meta_count].key = norm;
    m[p->grpc_meta_count].value = v;
    p->grpc_meta_count++;
    return 0;
}

/* File ------------------------------------------------------------------------------------- */

/* <user config dir>/temporalio/temporal.toml (sdk-core: XDG_CONFIG_HOME if absolute, else
 * ~/.config, the home directory from HOME or the password database).  NULL if none. */
static char *default_config_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = nonempty(getenv("HOME"));
    char buf[4096];
    if (xdg != NULL && xdg[0] == '/') {
        snprintf(buf, sizeof(buf), "%s/temporalio/temporal.toml", xdg);
    } else {
        if (home == NULL) {
            struct passwd *pw = getpwuid(getuid());
            home = pw != NULL ? nonempty(pw->pw_dir) : NULL;
        }
        if (home == NULL)
            return NULL;
        snprintf(buf, sizeof(buf), "%s/.config/temporalio/temporal.toml", home);
    }
    return temporal__strdup(buf);
}

/* Reads |path| into |*text| (NULL if the file does not exist, which is not an error). */
static int read_if_exists(const char *path, char **text, size_t *len, struct temporal_error *err)
{
    struct stat st;
    *text = NULL;
    *len = 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return temporal__fail(err, TEMPORAL_EIO, -1, "cannot read config file '%s': %s", path,
                              strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return temporal__fail(err, TEMPORAL_EIO, -1,
                              "config file '%s' is a directory: point TEMPORAL_CONFIG_FILE (or "
                              "the config path option) at the temporal.toml file itself",
                              path);
    return temporal__read_file(path, "config", text, len, err);
}

static bool blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return false;
    return true;
}

/* Schema ----------------------------------------------------------------------------------- */

/* What the schema walk needs: where we are (for messages), strictness, and the list of
 * unknown keys found so far. */
struct schema_walk {
    const char *file;   /* file name for messages */
    bool strict;
    char unknown[1024]; /* "a.b (line 3), ..." */
    size_t unknown_len;
    int unknown_count;
    struct temporal_error *err;
};

/* Records unknown key |prefix||key| (in strict mode).  An unknown table is listed by its
 * leaves ("unimportant.stuff"), as Go's loader does. */
static void note_unknown(struct schema_walk *w, const char *prefix, const char *key,
                         const struct temporal__toml_value *v, struct temporal__toml_pos pos)
{
    if (!w->strict)
        return;
    if (temporal__toml_type_of(v) == TEMPORAL__TOML_TABLE && temporal__toml_table_count(v) > 0) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s%s.", prefix, key);
        for (size_t i = 0; i < temporal__toml_table_count(v); i++)
            note_unknown(w, sub, temporal__toml_table_key(v, i, NULL),
                         temporal__toml_table_value(v, i), temporal__toml_table_key_pos(v, i));
        return;
    }
    int n = snprintf(w->unknown + w->unknown_len, sizeof(w->unknown) - w->unknown_len,
                     "%s%s%s (line %d)", w->unknown_count ? ", " : "", prefix, key, pos.line);
    if (n > 0 && w->unknown_len + (size_t)n < sizeof(w->unknown))
        w->unknown_len += (size_t)n;
    w->unknown_count++;
}

static const char *article_type(enum temporal__toml_type t)
{
    switch (t) {
    case TEMPORAL__TOML_STRING:
        return "a string";
    case TEMPORAL__TOML_INTEGER:
        return "an integer";
    case TEMPORAL__TOML_FLOAT:
        return "a float";
    case TEMPORAL__TOML_BOOLEAN:
        return "a boolean";
    case TEMPORAL__TOML_ARRAY:
        return "an array";
    case TEMPORAL__TOML_TABLE:
        return "a table";
    case TEMPORAL__TOML_OFFSET_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATE:
    case TEMPORAL__TOML_LOCAL_TIME:
        return "a date/time";
    }
    return "nothing";
}

/* Fails unless |v| (key |key| of profile |profile|) has type |want|. */
static int expect_type(struct schema_walk *w, const char *profile, const char *key,
                       const struct temporal__toml_value *v, enum temporal__toml_type want,
                       const char *example)
{
    enum temporal__toml_type got = temporal__toml_type_of(v);
    if (got == want)
        return 0;
    return temporal__fail(w->err, TEMPORAL_ECONFIG, -1,
                          "%s:%d: profile '%s': '%s' must be %s, not %s (write %s)", w->file,
                          temporal__toml_value_pos(v).line, profile, key, article_type(want),
                          article_type(got), example);
}

/* Reads string key |key| of |table| into |*field| when |fill| (type checked either way). */
static int take_string(struct schema_walk *w, const char *profile, const char *path,
                       const struct temporal__toml_value *v, char **field, bool fill)
{
    char example[160];
    snprintf(example, sizeof(example), "%s = \"...\"", path);
    int rc = expect_type(w, profile, path, v, TEMPORAL__TOML_STRING, example);
    if (rc != 0 || !fill)
        return rc;
    return set_string(field, temporal__toml_get_string(v, NULL)) ? TEMPORAL_ENOMEM : 0;
}

static int take_bool(struct schema_walk *w, const char *profile, const char *path,
                     const struct temporal__toml_value *v, bool *out)
{
    char example[160];
    snprintf(example, sizeof(example), "%s = true or false", path);
    int rc = expect_type(w, profile, path, v, TEMPORAL__TOML_BOOLEAN, example);
    if (rc == 0)
        temporal__toml_get_bool(v, out);
    return rc;
}

static int oom(struct temporal_error *err)
{
    return temporal__fail(err, TEMPORAL_ENOMEM, -1, "out of memory loading the configuration");
}

/* One TLS item (client_cert, client_key, server_ca_cert): `<item>_path` / `<item>_data`. */
struct tls_item {
    const char *name; /* "client_cert" */
    size_t offset;    /* of the temporal_config_source in temporal_config_tls */
};

static const struct tls_item tls_items[] = {
    { "client_cert", offsetof(struct temporal_config_tls, client_cert) },
    { "client_key", offsetof(struct temporal_config_tls, client_key) },
    { "server_ca_cert", offsetof(struct temporal_config_tls, server_ca_cert) },
};

static struct temporal_config_source *tls_item_of(struct temporal_config_tls *tls,
                                                  const struct tls_item *it)
{
    return (struct temporal_config_source *)((char *)tls + it->offset);
}

static int walk_tls(struct schema_walk *w, const char *profile,
                    const struct temporal__toml_value *t, struct temporal_config_profile *out)
{
    bool fill = out != NULL;
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "profile.%s.tls.", profile);
    for (size_t i = 0; i < temporal__toml_table_count(t); i++) {
        const char *key = temporal__toml_table_key(t, i, NULL);
        const struct temporal__toml_value *v = temporal__toml_table_value(t, i);
        char path[128];
        snprintf(path, sizeof(path), "tls.%s", key);
        int rc = 0;
        bool b;
        if (strcmp(key, "disabled") == 0) {
            rc = take_bool(w, profile, path, v, &b);
            if (rc == 0 && fill)
                out->tls.disabled = b ? TEMPORAL_CONFIG_TRUE : TEMPORAL_CONFIG_FALSE;
        } else if (strcmp(key, "disable_host_verification") == 0) {
            rc = take_bool(w, profile, path, v, &b);
            if (rc == 0 && fill)
                out->tls.disable_host_verification = b;
        } else if (strcmp(key, "server_name") == 0) {
            rc = take_string(w, profile, path, v, fill ? &out->tls.server_name : NULL, fill);
        } else {
            const struct tls_item *item = NULL;
            bool is_data = false;
            for (size_t k = 0; k < TEMPORAL__ARRAY_LEN(tls_items); k++) {
                size_t n = strlen(tls_items[k].name);
                if (strncmp(key, tls_items[k].name, n) == 0 &&
                    (strcmp(key + n, "_path") == 0 || strcmp(key + n, "_data") == 0)) {
                    item = &tls_items[k];
                    is_data = strcmp(key + n, "_data") == 0;
                }
            }
            if (item == NULL) {
                note_unknown(w, prefix, key, v, temporal__toml_table_key_pos(t, i));
                continue;
            }
            char example[160];
            snprintf(example, sizeof(example), "%s = \"...\"", path);
            if ((rc = expect_type(w, profile, path, v, TEMPORAL__TOML_STRING, example)) != 0)
                return rc;
            /* Path and data of one item exclude each other (checked on presence). */
            char other[64];
            snprintf(other, sizeof(other), "%s_%s", item->name, is_data ? "path" : "data");
            if (is_data && temporal__toml_table_get(t, other) != NULL)
                return temporal__fail(w->err, TEMPORAL_ECONFIG, -1,
                                      "%s:%d: profile '%s': Cannot specify both %s_path and "
                                      "%s_data in [profile.%s.tls]: keep one of them",
                                      w->file, temporal__toml_value_pos(v).line, profile,
                                      item->name, item->name, profile);
            if (fill) {
                size_t len = 0;
                const char *s = temporal__toml_get_string(v, &len);
                struct temporal_config_source *src = tls_item_of(&out->tls, item);
                rc = is_data ? source_set_data(src, s, len) : source_set_path(src, s);
                if (rc != 0)
                    return oom(w->err);
            }
        }
        if (rc != 0)
            return rc == TEMPORAL_ENOMEM ? oom(w->err) : rc;
    }
    return 0;
}

/* Validates profile |name| (table |t|) and, if |out| is not NULL, copies it there. */
static int walk_profile(struct schema_walk *w, const char *name,
                        const struct temporal__toml_value *t, struct temporal_config_profile *out)
{
    bool fill = out != NULL;
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "profile.%s.", name);
    for (size_t i = 0; i < temporal__toml_table_count(t); i++) {
        const char *key = temporal__toml_table_key(t, i, NULL);
        const struct temporal__toml_value *v = temporal__toml_table_value(t, i);
        int rc = 0;
        if (strcmp(key, "address") == 0) {
            rc = take_string(w, name, key, v, fill ? &out->address : NULL, fill);
        } else if (strcmp(key, "namespace") == 0) {
            rc = take_string(w, name, key, v, fill ? &out->namespace_name : NULL, fill);
        } else if (strcmp(key, "api_key") == 0) {
            rc = take_string(w, name, key, v, fill ? &out->api_key : NULL, fill);
        } else if (strcmp(key, "tls") == 0) {
            char example[160];
            snprintf(example, sizeof(example),
                     "a [profile.%s.tls] table; to turn TLS off put disabled = true in it", name);
            rc = expect_type(w, name, key, v, TEMPORAL__TOML_TABLE, example);
            if (rc == 0 && fill)
                out->tls.present = true;
            if (rc == 0)
                rc = walk_tls(w, name, v, out);
        } else if (strcmp(key, "codec") == 0) {
            char example[160];
            snprintf(example, sizeof(example), "a [profile.%s.codec] table", name);
            rc = expect_type(w, name, key, v, TEMPORAL__TOML_TABLE, example);
            if (rc == 0 && fill)
                out->codec.present = true;
            for (size_t k = 0; rc == 0 && k < temporal__toml_table_count(v); k++) {
                const char *ck = temporal__toml_table_key(v, k, NULL);
                const struct temporal__toml_value *cv = temporal__toml_table_value(v, k);
                char path[128];
                snprintf(path, sizeof(path), "codec.%s", ck);
                if (strcmp(ck, "endpoint") == 0)
                    rc = take_string(w, name, path, cv, fill ? &out->codec.endpoint : NULL, fill);
                else if (strcmp(ck, "auth") == 0)
                    rc = take_string(w, name, path, cv, fill ? &out->codec.auth : NULL, fill);
                else {
                    char p2[300];
                    snprintf(p2, sizeof(p2), "%scodec.", prefix);
                    note_unknown(w, p2, ck, cv, temporal__toml_table_key_pos(v, k));
                }
            }
        } else if (strcmp(key, "grpc_meta") == 0) {
            char example[160];
            snprintf(example, sizeof(example), "a [profile.%s.grpc_meta] table of strings", name);
            rc = expect_type(w, name, key, v, TEMPORAL__TOML_TABLE, example);
            for (size_t k = 0; rc == 0 && k < temporal__toml_table_count(v); k++) {
                const char *mk = temporal__toml_table_key(v, k, NULL);
                const struct temporal__toml_value *mv = temporal__toml_table_value(v, k);
                char path[300], ex[320];
                snprintf(path, sizeof(path), "grpc_meta.%s", mk);
                snprintf(ex, sizeof(ex), "%s = \"value\"", mk);
                rc = expect_type(w, name, path, mv, TEMPORAL__TOML_STRING, ex);
                if (rc == 0 && fill && meta_set(out, mk, temporal__toml_get_string(mv, NULL)) != 0)
                    rc = TEMPORAL_ENOMEM;
            }
        } else {
            note_unknown(w, prefix, key, v, temporal__toml_table_key_pos(t, i));
        }
        if (rc != 0)
            return rc == TEMPORAL_ENOMEM ? oom(w->err) : rc;
    }
    return 0;
}

/* Lists the profile names of |profiles| into |buf| ("'a', 'b'" or "none"). */
static void list_profiles(const struct temporal__toml_value *profiles, char *buf, size_t cap)
{
    size_t used = 0;
    snprintf(buf, cap, "none");
    for (size_t i = 0; i < temporal__toml_table_count(profiles); i++) {
        char quoted[300];
        snprintf(quoted, sizeof(quoted), "'%s'", temporal__toml_table_key(profiles, i, NULL));
        temporal__list_append(buf, cap, &used, quoted);
    }
}

/* Parses and validates the whole document, then copies profile |name| into |out|.
 * Sets |*found| to whether the profile exists. */
static int load_from_toml(const char *file, const char *text, size_t len, bool strict,
                          const char *name, struct temporal_config_profile *out, bool *found,
                          char *names, size_t names_cap, struct temporal_error *err)
{
    struct temporal__toml_value *root = NULL;
    struct temporal__toml_error terr;
    *found = false;
    snprintf(names, names_cap, "none");
    int rc = temporal__toml_parse(text, len, &root, &terr);
    if (rc == TEMPORAL_ENOMEM)
        return oom(err);
    if (rc != 0)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1, "%s:%d:%d: invalid TOML: %s", file,
                              terr.line, terr.column, terr.message);

    struct schema_walk w = { .file = file, .strict = strict, .err = err };
    const struct temporal__toml_value *profiles = NULL;
    for (size_t i = 0; i < temporal__toml_table_count(root); i++) {
        const char *key = temporal__toml_table_key(root, i, NULL);
        const struct temporal__toml_value *v = temporal__toml_table_value(root, i);
        if (strcmp(key, "profile") != 0) {
            note_unknown(&w, "", key, v, temporal__toml_table_key_pos(root, i));
            continue;
        }
        if (temporal__toml_type_of(v) != TEMPORAL__TOML_TABLE) {
            rc = temporal__fail(err, TEMPORAL_ECONFIG, -1,
                                "%s:%d: 'profile' must be a table of profiles, not %s (write "
                                "[profile.default] and its keys below it)",
                                file, temporal__toml_value_pos(v).line,
                                article_type(temporal__toml_type_of(v)));
            goto done;
        }
        profiles = v;
    }
    for (size_t i = 0; profiles != NULL && i < temporal__toml_table_count(profiles); i++) {
        const char *pname = temporal__toml_table_key(profiles, i, NULL);
        const struct temporal__toml_value *pt = temporal__toml_table_value(profiles, i);
        if (temporal__toml_type_of(pt) != TEMPORAL__TOML_TABLE) {
            rc = temporal__fail(err, TEMPORAL_ECONFIG, -1,
                                "%s:%d: profile '%s' must be a table, not %s (write "
                                "[profile.%s] and its keys below it)",
                                file, temporal__toml_value_pos(pt).line, pname,
                                article_type(temporal__toml_type_of(pt)), pname);
            goto done;
        }
        bool selected = strcmp(pname, name) == 0;
        if (selected)
            *found = true;
        if ((rc = walk_profile(&w, pname, pt, selected ? out : NULL)) != 0)
            goto done;
    }
    if (w.unknown_count > 0) {
        rc = temporal__fail(err, TEMPORAL_ECONFIG, -1,
                            "%s: unknown key(s) (strict mode): %s; remove them or fix their "
                            "spelling (known profile keys: address, namespace, api_key, tls, "
                            "codec, grpc_meta)",
                            file, w.unknown);
        goto done;
    }
    if (profiles != NULL)
        list_profiles(profiles, names, names_cap);
done:
    temporal__toml_free(root);
    return rc;
}

/* Environment overrides --------------------------------------------------------------------- */

/* Applies the TLS path/data variables of one item, with sdk-core's conflict rules. */
static int env_tls_item(const struct temporal_config_load_options *o,
                        struct temporal_config_source *src, const char *var_stem,
                        const char *item_words, const char *origin, struct temporal_error *err)
{
    char path_var[96], data_var[96];
    snprintf(path_var, sizeof(path_var), "TEMPORAL_TLS_%s_PATH", var_stem);
    snprintf(data_var, sizeof(data_var), "TEMPORAL_TLS_%s_DATA", var_stem);
    const char *path = env_get(o, path_var), *data = env_get(o, data_var);
    if (path != NULL && data != NULL)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                              "Invalid configuration: Cannot specify both %s and %s: unset one "
                              "of them",
                              path_var, data_var);
    if (data != NULL && src->path != NULL)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                              "Cannot specify %s data via %s when %s path is already specified "
                              "(by %s): use %s instead, or remove the path from the file",
                              item_words, data_var, item_words, origin, path_var);
    if (path != NULL && src->data != NULL)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                              "Cannot specify %s path via %s when %s data is already specified "
                              "(by %s): use %s instead, or remove the data from the file",
                              item_words, path_var, item_words, origin, data_var);
    int rc = 0;
    if (path != NULL)
        rc = source_set_path(src, path);
    else if (data != NULL)
        rc = source_set_data(src, data, strlen(data));
    return rc ? oom(err) : 0;
}

/* |origin| names where the profile came from ("profile 'x' in <file>"), for messages. */
static int apply_env(const struct temporal_config_load_options *o,
                     struct temporal_config_profile *p, const char *origin,
                     struct temporal_error *err)
{
    const char *v;
    if ((v = env_get(o, "TEMPORAL_ADDRESS")) != NULL && set_string(&p->address, v) != 0)
        return oom(err);
    if ((v = env_get(o, "TEMPORAL_NAMESPACE")) != NULL && set_string(&p->namespace_name, v) != 0)
        return oom(err);
    if ((v = env_get(o, "TEMPORAL_API_KEY")) != NULL && set_string(&p->api_key, v) != 0)
        return oom(err);

    /* Any TEMPORAL_TLS* variable creates the tls table (and so turns TLS on). */
    static const char *const tls_vars[] = {
        "TEMPORAL_TLS",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "TEMPORAL_TLS_SERVER_NAME",
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    };
    for (size_t i = 0; i < TEMPORAL__ARRAY_LEN(tls_vars); i++)
        if (env_get(o, tls_vars[i]) != NULL)
            p->tls.present = true;
    bool b;
    if ((v = env_get(o, "TEMPORAL_TLS")) != NULL && parse_env_bool(v, &b) == 0)
        p->tls.disabled = b ? TEMPORAL_CONFIG_FALSE : TEMPORAL_CONFIG_TRUE;
    int rc;
    if ((rc = env_tls_item(o, &p->tls.client_cert, "CLIENT_CERT", "cert", origin, err)) != 0 ||
        (rc = env_tls_item(o, &p->tls.client_key, "CLIENT_KEY", "key", origin, err)) != 0 ||
        (rc = env_tls_item(o, &p->tls.server_ca_cert, "SERVER_CA_CERT", "server CA cert", origin,
                           err)) != 0)
        return rc;
    if ((v = env_get(o, "TEMPORAL_TLS_SERVER_NAME")) != NULL && set_string(&p->tls.server_name, v) != 0)
        return oom(err);
    if ((v = env_get(o, "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION")) != NULL &&
        parse_env_bool(v, &b) == 0)
        p->tls.disable_host_verification = b;

    const char *endpoint = env_get(o, "TEMPORAL_CODEC_ENDPOINT");
    const char *auth = env_get(o, "TEMPORAL_CODEC_AUTH");
    if (endpoint != NULL || auth != NULL)
        p->codec.present = true;
    if ((endpoint != NULL && set_string(&p->codec.endpoint, endpoint) != 0) ||
        (auth != NULL && set_string(&p->codec.auth, auth) != 0))
        return oom(err);

    /* TEMPORAL_GRPC_META_<NAME>: non-empty sets the header, empty removes it. */
    size_t plen = strlen(GRPC_META_ENV_PREFIX);
    for (const char *const *e = env_entries(o); e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL || strncmp(*e, GRPC_META_ENV_PREFIX, plen) != 0 || eq == *e + plen)
            continue;
        char name[256];
        size_t n = (size_t)(eq - (*e + plen));
        if (n >= sizeof(name))
            continue;
        memcpy(name, *e + plen, n);
        name[n] = '\0';
        if (meta_set(p, name, eq[1] != '\0' ? eq + 1 : NULL) != 0)
            return oom(err);
    }
    return 0;
}

/* Load ------------------------------------------------------------------------------------- */

int temporal_config_load_profile(const struct temporal_config_load_options *user_opts,
                                 struct temporal_config_profile *out, struct temporal_error *err)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    struct temporal_config_load_options o;
    if (user_opts == NULL || out == NULL || !temporal__copy_options(&o, sizeof(o), user_opts))
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "temporal_config_load_profile needs an output profile and options "
                              "initialized with TEMPORAL_CONFIG_LOAD_OPTIONS_INIT");

    if (o.disable_file && o.disable_env)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                              "Invalid configuration: Cannot disable both file and environment "
                              "loading: enable at least one");
    if (o.disable_file) {
        int rc = apply_env(&o, out, "the environment", err);
        if (rc != 0)
            temporal_config_profile_cleanup(out);
        return rc;
    }

    bool have_data = o.config_data != NULL && o.config_data_len > 0;
    if (have_data && o.config_file_path != NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1,
                              "Cannot specify both path and data for config source: give the "
                              "TOML as a file path or as data, not both");

    /* Which profile: explicit name, else TEMPORAL_PROFILE (unless env is disabled, as in
     * sdk-core), else "default" (which may be missing without error). */
    const char *name = o.profile;
    bool implicit = false;
    if (name == NULL && !o.disable_env)
        name = nonempty(env_get(&o, "TEMPORAL_PROFILE"));
    if (name == NULL) {
        name = DEFAULT_PROFILE;
        implicit = true;
    }

    /* Which file. */
    char *owned_text = NULL, *owned_path = NULL;
    const char *text = NULL, *file = NULL;
    size_t len = 0;
    int rc = 0;
    if (have_data) {
        text = o.config_data;
        len = o.config_data_len;
        file = o.config_data_name ? o.config_data_name : "<config data>";
    } else {
        file = o.config_file_path;
        if (file == NULL)
            file = nonempty(env_get(&o, "TEMPORAL_CONFIG_FILE"));
        if (file == NULL)
            file = owned_path = default_config_path();
        if (file != NULL) {
            rc = read_if_exists(file, &owned_text, &len, err);
            text = owned_text;
        }
    }

    bool found = false;
    char names[512];
    snprintf(names, sizeof(names), "none");
    if (rc == 0 && text != NULL && !blank(text, len))
        rc = load_from_toml(file, text, len, o.strict, name, out, &found, names, sizeof(names),
                            err);
    if (rc == 0 && !found && !implicit) {
        if (text == NULL)
            rc = temporal__fail(err, TEMPORAL_EPROFILE_NOT_FOUND, -1,
                                "Profile '%s' not found: there is no config file%s%s%s (set "
                                "TEMPORAL_CONFIG_FILE or the config path option)",
                                name, file ? " at '" : "", file ? file : "", file ? "'" : "");
        else
            rc = temporal__fail(err, TEMPORAL_EPROFILE_NOT_FOUND, -1,
                                "Profile '%s' not found in %s (profiles there: %s)", name, file,
                                names);
    }
    char origin[700];
    snprintf(origin, sizeof(origin), "profile '%s' in %s", name, file ? file : "no file");
    free(owned_text);
    free(owned_path);
    if (rc == 0 && !o.disable_env)
        rc = apply_env(&o, out, origin, err);
    if (rc != 0)
        temporal_config_profile_cleanup(out);
    return rc;
}

/* Client options ---------------------------------------------------------------------------- */

static void source_to_options(const struct temporal_config_source *s, const char **path,
                              const char **pem)
{
    *path = s->path;
    *pem = s->data;
}

static bool source_set(const struct temporal_config_source *s)
{
    return s->path != NULL || s->data != NULL;
}

int temporal_config_profile_client_options(struct temporal_config_profile *p,
                                           struct temporal_client_options *out,
                                           struct temporal_error *err)
{
    if (p == NULL || out == NULL)
        return temporal__fail(err, TEMPORAL_EINVAL, -1, "a profile and client options are required");

    /* Address: host:port; an explicit http:// or https:// scheme decides TLS (sdk-core). */
    const char *address = nonempty(p->address) ? p->address : DEFAULT_ADDRESS;
    int scheme_tls = -1; /* -1: no scheme, 0: http, 1: https */
    const char *sep = strstr(address, "://");
    if (sep != NULL) {
        if (strncmp(address, "https://", 8) == 0)
            scheme_tls = 1;
        else if (strncmp(address, "http://", 7) == 0)
            scheme_tls = 0;
        else
            return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                                  "Invalid configuration: Invalid address '%s': write host:port "
                                  "(e.g. localhost:7233), optionally after http:// or https://",
                                  address);
        address = sep + 3;
    }
    size_t alen = strlen(address);
    while (alen > 0 && address[alen - 1] == '/')
        alen--;
    const char *colon = memchr(address, ':', alen);
    if (alen == 0 || colon == NULL || colon == address || colon == address + alen - 1)
        return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                              "Invalid configuration: Invalid address '%s': write host:port "
                              "(e.g. localhost:7233)",
                              p->address);
    /* The host:port part, kept in the profile's private storage. */
    char *target = malloc(alen + 1);
    if (target == NULL)
        return oom(err);
    memcpy(target, address, alen);
    target[alen] = '\0';
    free(p->client_target_);
    p->client_target_ = target;
    out->target = target;
    out->namespace_name = nonempty(p->namespace_name) ? p->namespace_name : DEFAULT_NAMESPACE;
    out->api_key = p->api_key;

    /* TLS: a tls table that is not disabled, or else an API key, turns it on. */
    memset(&out->tls, 0, sizeof(out->tls));
    bool tls_on = p->tls.present ? p->tls.disabled != TEMPORAL_CONFIG_TRUE : p->api_key != NULL;
    if (scheme_tls >= 0)
        tls_on = scheme_tls == 1;
    if (tls_on) {
        bool cert = source_set(&p->tls.client_cert), key = source_set(&p->tls.client_key);
        if (cert != key)
            return temporal__fail(err, TEMPORAL_ECONFIG, -1,
                                  "Invalid configuration: Both client certificate and client key "
                                  "must be provided together: the profile sets tls.client_%s_* "
                                  "but not tls.client_%s_*",
                                  cert ? "cert" : "key", cert ? "key" : "cert");
        out->tls.enabled = true;
        source_to_options(&p->tls.client_cert, &out->tls.client_cert_path,
                          &out->tls.client_cert_pem);
        source_to_options(&p->tls.client_key, &out->tls.client_key_path, &out->tls.client_key_pem);
        source_to_options(&p->tls.server_ca_cert, &out->tls.server_ca_cert_path,
                          &out->tls.server_ca_cert_pem);
        out->tls.server_name = nonempty(p->tls.server_name);
    } else {
        out->tls.disabled = true;
    }

    /* Metadata, borrowed from the profile. */
    free(p->client_metadata_);
    p->client_metadata_ = NULL;
    out->metadata = NULL;
    out->metadata_count = 0;
    if (p->grpc_meta_count > 0) {
        p->client_metadata_ = calloc(p->grpc_meta_count, sizeof(*p->client_metadata_));
        if (p->client_metadata_ == NULL)
            return oom(err);
        for (size_t i = 0; i < p->grpc_meta_count; i++) {
            p->client_metadata_[i].key = p->grpc_meta[i].key;
            p->client_metadata_[i].value = p->grpc_meta[i].value;
        }
        out->metadata = p->client_metadata_;
        out->metadata_count = p->grpc_meta_count;
    }
    return 0;
}
