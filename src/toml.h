/*
 * A TOML 1.0.0 parser (internal; not installed).
 *
 * temporal__toml_parse() reads a whole document into a tree of values.  Every value and
 * every table key remembers the line and column where it was defined, so that callers
 * (the envconfig module) can write errors such as "temporal.toml:12: key 'tls.client_cert_path'
 * must be a string".  The tree is read-only: it is built once and freed as a whole with
 * temporal__toml_free().  Pointers returned by the accessors are borrowed from the tree and
 * stay valid until it is freed.
 *
 * The accessors tolerate a value of the wrong type (and NULL): they return 0, NULL or
 * TEMPORAL_EINVAL rather than crash, so callers can check types with one call.
 *
 * Thread safety: a tree may be read from several threads at once; nothing is global.
 */
#ifndef TEMPORAL_TOML_H
#define TEMPORAL_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The deepest nesting accepted.  The root table is at level 0 and every value is one level
 * below the table or array holding it, tables made by headers and dotted keys included:
 * in "a = [[1]]" the 1 is at level 3, and "[a.b.c]" puts table c at level 3.  A document
 * with a value deeper than this fails with TEMPORAL_EINVAL, so hostile input cannot
 * exhaust the stack.
 */
#define TEMPORAL__TOML_MAX_DEPTH 128

/** Size of temporal__toml_error.message, including the terminating NUL. */
#define TEMPORAL__TOML_MESSAGE_SIZE 256

/** The type of a TOML value. */
enum temporal__toml_type {
    TEMPORAL__TOML_STRING = 1,
    TEMPORAL__TOML_INTEGER,
    TEMPORAL__TOML_FLOAT,
    TEMPORAL__TOML_BOOLEAN,
    TEMPORAL__TOML_OFFSET_DATETIME, /* 1979-05-27T07:32:00Z, 1979-05-27 00:32:00-07:00 */
    TEMPORAL__TOML_LOCAL_DATETIME,  /* 1979-05-27T07:32:00 */
    TEMPORAL__TOML_LOCAL_DATE,      /* 1979-05-27 */
    TEMPORAL__TOML_LOCAL_TIME,      /* 07:32:00.999 */
    TEMPORAL__TOML_ARRAY,
    TEMPORAL__TOML_TABLE,
};

/** A place in the document.  Both are 1-based; the column counts characters, not bytes. */
struct temporal__toml_pos {
    int line;
    int column;
};

/** Why a parse failed.  Caller-allocated; holds no pointers. */
struct temporal__toml_error {
    /** Where the problem is (1-based; column in characters). */
    int line;
    int column;
    /** One line saying what is wrong, e.g. "duplicate key 'address' (first defined on line 3)". */
    char message[TEMPORAL__TOML_MESSAGE_SIZE];
};

/**
 * A date, a time or both, as parsed.  Which fields are meaningful depends on the value's
 * type: the date fields for the three types with a date, the time fields for the three
 * types with a time, |offset_minutes| only for TEMPORAL__TOML_OFFSET_DATETIME.  The others
 * are 0.
 */
struct temporal__toml_datetime {
    int year;   /* 0..9999 */
    int month;  /* 1..12 */
    int day;    /* 1..31, valid for the month (leap years included) */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..60 (60 only for a leap second) */
    /** Fractional second in nanoseconds; digits beyond the ninth are truncated (spec). */
    int nanosecond;
    /** Offset from UTC in minutes, east positive; 0 for "Z" (and for "-00:00"). */
    int offset_minutes;
    /**
     * The value in RFC 3339 form: "T" between date and time, "Z" upper case, the
     * fractional digits as written (at most nine), the offset as written.  NUL-terminated.
     */
    char text[40];
};

struct temporal__toml_value;

/**
 * Parses the TOML 1.0.0 document |text| of |len| bytes (need not be NUL-terminated; a NUL
 * byte in it is an error, as the spec says) into a new tree stored in |*root_out| (a
 * table; free with temporal__toml_free()).  A UTF-8 byte order mark at the start is
 * skipped.  On failure |*root_out| is NULL, nothing is left allocated, and |err| (if not
 * NULL) says where and what.
 * Returns 0, TEMPORAL_EINVAL if the document is not valid TOML 1.0.0 (or |root_out| is
 * NULL, or it nests deeper than TEMPORAL__TOML_MAX_DEPTH), or TEMPORAL_ENOMEM.
 */
int temporal__toml_parse(const char *text, size_t len, struct temporal__toml_value **root_out,
                         struct temporal__toml_error *err);

/** Frees a tree returned by temporal__toml_parse().  NULL is a no-op. */
void temporal__toml_free(struct temporal__toml_value *root);

/** The type of |v|, or 0 if |v| is NULL. */
enum temporal__toml_type temporal__toml_type_of(const struct temporal__toml_value *v);

/** A lower-case name for |type| ("string", "offset date-time", ...); "nothing" for 0. */
const char *temporal__toml_type_name(enum temporal__toml_type type);

/**
 * Where |v| was defined: the first character of a scalar, array or inline table; for a
 * table made by a [header] or [[header]], the '[' of that header; for a table created
 * implicitly (by a longer header or a dotted key), the key that created it.  The root
 * table is at line 1, column 1.  {0, 0} for NULL.
 */
struct temporal__toml_pos temporal__toml_value_pos(const struct temporal__toml_value *v);

/** Number of keys in table |t| (0 if |t| is not a table). */
size_t temporal__toml_table_count(const struct temporal__toml_value *t);

/**
 * The |i|-th key of table |t| in document order (NUL-terminated; |*len_out|, if not
 * NULL, receives its length, since a key may contain "\u0000").  NULL if |t| is not a
 * table or |i| is out of range.  Borrowed from the tree.
 */
const char *temporal__toml_table_key(const struct temporal__toml_value *t, size_t i,
                                     size_t *len_out);

/** Where the |i|-th key of |t| was written ({0, 0} if out of range). */
struct temporal__toml_pos temporal__toml_table_key_pos(const struct temporal__toml_value *t,
                                                       size_t i);

/** The value of the |i|-th key of |t|, or NULL if out of range.  Borrowed. */
const struct temporal__toml_value *temporal__toml_table_value(const struct temporal__toml_value *t,
                                                              size_t i);

/**
 * Looks up the key of |key_len| bytes at |key| in table |t| (one key, not a dotted path).
 * Returns true and stores its position in |*index_out| (if not NULL) when found.
 */
bool temporal__toml_table_find(const struct temporal__toml_value *t, const char *key,
                               size_t key_len, size_t *index_out);

/** The value of the NUL-terminated |key| in table |t|, or NULL.  Borrowed. */
const struct temporal__toml_value *temporal__toml_table_get(const struct temporal__toml_value *t,
                                                            const char *key);

/** Number of elements of array |a| (0 if |a| is not an array). */
size_t temporal__toml_array_len(const struct temporal__toml_value *a);

/** Element |i| of array |a|, or NULL if out of range.  Borrowed. */
const struct temporal__toml_value *temporal__toml_array_get(const struct temporal__toml_value *a,
                                                            size_t i);

/**
 * The string value of |v| (NUL-terminated, valid UTF-8, and |*len_out|, if not NULL,
 * receives its length, since it may contain "\u0000"), or NULL if |v| is not a string.
 * Newlines inside multi-line strings are "\n", also where the document has CRLF.
 * Borrowed.
 */
const char *temporal__toml_get_string(const struct temporal__toml_value *v, size_t *len_out);

/** Stores the integer value of |v| in |*out|.  Returns 0, or TEMPORAL_EINVAL if not an integer. */
int temporal__toml_get_int(const struct temporal__toml_value *v, int64_t *out);

/** Stores the float value of |v| in |*out|.  Returns 0, or TEMPORAL_EINVAL if not a float. */
int temporal__toml_get_float(const struct temporal__toml_value *v, double *out);

/** Stores the boolean value of |v| in |*out|.  Returns 0, or TEMPORAL_EINVAL if not a boolean. */
int temporal__toml_get_bool(const struct temporal__toml_value *v, bool *out);

/**
 * The parsed date-time of |v| if it is one of the four date/time types (check which with
 * temporal__toml_type_of()), else NULL.  Borrowed.
 */
const struct temporal__toml_datetime *
temporal__toml_get_datetime(const struct temporal__toml_value *v);

#endif /* TEMPORAL_TOML_H */
