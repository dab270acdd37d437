/*
 * temporal-c: environment configuration ("envconfig"), the `temporal.toml` file and
 * `TEMPORAL_*` environment variables that every official Temporal SDK and the CLI read.
 *
 * A profile is loaded in three steps, exactly as the official SDKs do (sdk-core's rules
 * where the SDKs differ; docs/ENVCONFIG.md lists each choice):
 *   1. the file: an explicit path or TOML data, else $TEMPORAL_CONFIG_FILE, else
 *      <user config dir>/temporalio/temporal.toml ($XDG_CONFIG_HOME, else ~/.config).  A
 *      missing file is not an error: it holds no profiles.
 *   2. the profile: the explicit name, else $TEMPORAL_PROFILE, else "default".  A missing
 *      profile is an error only when it was asked for by name.
 *   3. the environment: each TEMPORAL_* variable that is present overrides its field, even
 *      when empty; TEMPORAL_GRPC_META_<NAME>= (empty) removes that header.
 * Then temporal_config_profile_client_options() turns the profile into client options:
 * address (default "localhost:7233"), namespace (default "default"), API key, TLS (on when
 * the profile has a tls table that is not disabled, or an API key and no tls table), and
 * gRPC metadata.
 *
 * Errors name the file, the profile and the key, and say how to fix the problem.  No
 * message ever contains an API key or key material.
 */
#ifndef TEMPORAL_ENVCONFIG_H
#define TEMPORAL_ENVCONFIG_H

#include "client.h"
#include "common.h"
#include "error.h"

TEMPORAL_EXTERN_C_BEGIN

/** A boolean that may also be unset. */
enum temporal_config_tristate {
    TEMPORAL_CONFIG_UNSET = 0,
    TEMPORAL_CONFIG_FALSE = 1,
    TEMPORAL_CONFIG_TRUE = 2,
};

/**
 * Where one piece of TLS material comes from: a file path, inline PEM data, or neither.
 * At most one of |path| and |data| is set.  |data| has a NUL byte after |data_len|.
 */
struct temporal_config_source {
    char *path;
    char *data;
    size_t data_len;
};

/** The `[profile.NAME.tls]` table. */
struct temporal_config_tls {
    /** Whether the profile has a tls table (from the file, or created by a TEMPORAL_TLS* variable). */
    bool present;
    /** `disabled`: TRUE turns TLS off even with an API key. */
    enum temporal_config_tristate disabled;
    struct temporal_config_source client_cert;
    struct temporal_config_source client_key;
    struct temporal_config_source server_ca_cert;
    /** `server_name`, or NULL. */
    char *server_name;
    /**
     * `disable_host_verification`.  Parsed and kept, but not applied when building client
     * options (as in sdk-core and the Python, TypeScript and .NET SDKs).
     */
    bool disable_host_verification;
};

/** The `[profile.NAME.codec]` table (remote codec server; parsed, not used by the client). */
struct temporal_config_codec {
    bool present;
    char *endpoint;
    char *auth;
};

/** One `grpc_meta` entry; the key is normalised (lower case, '_' replaced by '-'). */
struct temporal_config_meta {
    char *key;
    char *value;
};

/**
 * A loaded profile.  Every string is owned by the profile; NULL means unset, "" means set
 * to the empty string.  Release with temporal_config_profile_cleanup().
 */
struct temporal_config_profile {
    char *address;
    char *namespace_name;
    char *api_key;
    struct temporal_config_tls tls;
    struct temporal_config_codec codec;
    struct temporal_config_meta *grpc_meta;
    size_t grpc_meta_count;
    /* Private: storage for temporal_config_profile_client_options(). */
    struct temporal_metadata_pair *client_metadata_;
    char *client_target_;
};

/** Options of temporal_config_load_profile().  Start from TEMPORAL_CONFIG_LOAD_OPTIONS_INIT. */
struct temporal_config_load_options {
    size_t self_size;
    /** Optional.  Path of the TOML file (a missing file holds no profiles).  Borrowed for the call. */
    const char *config_file_path;
    /** Optional.  TOML text to read instead of a file (|config_data_len| bytes).  Borrowed. */
    const char *config_data;
    size_t config_data_len;
    /** Optional.  Profile name; NULL means $TEMPORAL_PROFILE, else "default".  Borrowed. */
    const char *profile;
    /** Reject unknown keys (all of them are listed in the error). */
    bool strict;
    /** Ignore the file (and the profile name): start from an empty profile. */
    bool disable_file;
    /** Ignore TEMPORAL_* variables except TEMPORAL_CONFIG_FILE. */
    bool disable_env;
    /**
     * Optional.  An environment to use instead of the process's: a NULL-terminated array of
     * "NAME=value" strings, like `environ`.  Borrowed for the call.  The user config
     * directory is still found from the process's HOME / XDG_CONFIG_HOME.
     */
    const char *const *env;
    /**
     * Optional.  A name for TOML given as |config_data| in error messages.  Default
     * "<config data>".  Borrowed.
     */
    const char *config_data_name;
};

#define TEMPORAL_CONFIG_LOAD_OPTIONS_INIT { .self_size = sizeof(struct temporal_config_load_options) }

/**
 * Loads one profile (see the top of this header) into |out|, which the caller releases
 * with temporal_config_profile_cleanup() whether or not the call succeeds.
 * Returns 0, or: TEMPORAL_EINVAL (bad options), TEMPORAL_ECONFIG (invalid TOML, a value of
 * the wrong type, path and data given for one TLS item, an unknown key in strict mode,
 * both file and environment disabled; the message names file, line, profile and key),
 * TEMPORAL_EPROFILE_NOT_FOUND (a profile asked for by name is not in the file),
 * TEMPORAL_EIO (the file exists but cannot be read), or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_config_load_profile(const struct temporal_config_load_options *opts,
                                              struct temporal_config_profile *out,
                                              struct temporal_error *err);

/** Frees what |p| holds and zeroes it.  NULL is a no-op.  Since: 0.1 */
TEMPORAL_API void temporal_config_profile_cleanup(struct temporal_config_profile *p);

/**
 * Fills the connection fields of |out| (which the caller initialised with
 * TEMPORAL_CLIENT_OPTIONS_INIT) from profile |p|: target, namespace_name, api_key, tls and
 * metadata.  Other fields of |out| are left alone.  The strings and the metadata array are
 * borrowed from |p| and stay valid until |p| is cleaned up or passed here again.  TLS files
 * are read later, by temporal_client_connect().
 * Returns 0, TEMPORAL_ECONFIG (a client certificate without its key or the reverse, or an
 * address that is not host:port), or TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_config_profile_client_options(struct temporal_config_profile *p,
                                                        struct temporal_client_options *out,
                                                        struct temporal_error *err);

/**
 * Normalises a gRPC metadata key the way every SDK does: lower case, every '_' replaced by
 * '-'.  Writes a new string to |*out| (free with temporal_free()).  Returns 0 or
 * TEMPORAL_ENOMEM.
 * Since: 0.1
 */
TEMPORAL_API int temporal_config_normalize_grpc_meta_key(const char *key, char **out);

TEMPORAL_EXTERN_C_END

#endif /* TEMPORAL_ENVCONFIG_H */
