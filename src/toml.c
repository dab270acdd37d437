/*
 * TOML 1.0.0 parser (see toml.h), written from the specification at
 * https://toml.io/en/v1.0.0 and its ABNF grammar.
 *
 * Two passes.  The first checks the encoding of the whole document: valid UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF), no control characters other
 * than tab and newline, and no carriage return outside a CRLF pair.  TOML forbids those
 * control characters everywhere (in strings, comments and between tokens alike), so the
 * parser proper can then treat every byte at or above 0x80 as part of a valid character.
 * The second pass is a recursive-descent parser that builds the tree.  It recurses only
 * into arrays and inline tables, and every value carries its depth in the tree, which is
 * capped at TEMPORAL__TOML_MAX_DEPTH; freeing and walking the tree recursively is
 * therefore bounded too.
 *
 * Table definition rules (the spec's "Table", "Inline Table" and "Array of Tables"
 * sections) are enforced with flags on each table:
 *   - TBL_EXPLICIT: defined by a [header] (or is an element of an array of tables); it
 *     cannot be defined again, and dotted keys from elsewhere cannot add to it;
 *   - TBL_DOTTED: defined by dotted keys (a.b = 1 defines table a); a [header] cannot
 *     define it later, though a header may define sub-tables inside it;
 *   - TBL_SEALED: an inline table, or a table inside one; nothing may add to it;
 *   - none of these: created implicitly by a longer header ([a.b] creates a), which a
 *     later [a] (or dotted keys, which then define it) may still define.
 * ARR_OF_TABLES marks arrays made by [[header]]; only those can be appended to.
 */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "toml.h"

#define TBL_EXPLICIT 0x1u
#define TBL_DOTTED 0x2u
#define TBL_SEALED 0x4u
#define ARR_OF_TABLES 0x8u

/* Tables with more keys than this get a hash index; smaller ones are searched linearly. */
#define TABLE_INDEX_MIN 8

/* A key shown in an error message is cut to about this many bytes. */
#define MESSAGE_KEY_MAX 80

/* One key of a table. */
struct toml_entry {
    /* The key.  Owned; NUL-terminated, but may contain NUL, hence |key_len|. */
    char *key;
    size_t key_len;
    /* Where the key was written. */
    struct temporal__toml_pos pos;
    /* Owned. */
    struct temporal__toml_value *value;
};

struct temporal__toml_value {
    enum temporal__toml_type type;
    struct temporal__toml_pos pos;
    /* TBL_* for tables, ARR_OF_TABLES for arrays. */
    unsigned flags;
    /* 0 for the root table, parent's depth + 1 for everything else. */
    int depth;
    union {
        /* Owned; NUL-terminated after |len| bytes. */
        struct {
            char *ptr;
            size_t len;
        } str;
        int64_t integer;
        double real;
        bool boolean;
        struct temporal__toml_datetime dt;
        /* |items| is owned, and so is each element. */
        struct {
            struct temporal__toml_value **items;
            size_t len;
            size_t cap;
        } arr;
        /*
         * |items| (owned) holds the keys in document order.  |slots| (owned, NULL for
         * small tables) is an open-addressing hash index of |nslots| (a power of two)
         * entries, each 0 (free) or 1 + an index into |items|.
         */
        struct {
            struct toml_entry *items;
            size_t len;
            size_t cap;
            size_t *slots;
            size_t nslots;
        } tbl;
    } u;
};

/* One part of a (possibly dotted) key being parsed. */
struct key_part {
    /*
     * NUL-terminated.  Owned while |owned|; once a table takes it, still readable (for
     * error messages) as long as the tree lives.
     */
    char *s;
    size_t len;
    bool owned;
    struct temporal__toml_pos pos;
};

/* A growable byte buffer. */
struct buf {
    /* Owned; NULL until the first byte. */
    char *data;
    size_t len;
    size_t cap;
};

struct parser {
    /* The document.  Borrowed. */
    const char *s;
    size_t len;
    /* Offset of the next byte to read. */
    size_t pos;
    /* Line of |pos| (1-based) and the offset where that line starts. */
    int line;
    size_t line_start;
    /*
     * A known offset on the current line and its column, so that columns (which count
     * characters) are computed in linear time even on very long lines.
     */
    size_t col_off;
    int col;
    /* The tree being built.  Owned until returned. */
    struct temporal__toml_value *root;
    /* The table that key/value lines go into (set by headers).  Borrowed from |root|. */
    struct temporal__toml_value *current;
    /* The key being parsed: |nparts| parts in |parts| (owned, |parts_cap| long). */
    struct key_part *parts;
    int nparts;
    int parts_cap;
    /* The C locale for strtod(), created on first use.  Owned; (locale_t)0 until then. */
    locale_t c_numeric;
    /* Where errors go.  Optional. */
    struct temporal__toml_error *err;
};

/* Characters and positions ------------------------------------------------------------ */

static int peek_at(const struct parser *p, size_t k)
{
    return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static int peek(const struct parser *p) { return peek_at(p, 0); }

static bool is_ws(int c) { return c == ' ' || c == '\t'; }

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_bare_key_char(int c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-'; }

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static bool at_newline(const struct parser *p)
{
    int c = peek(p);
    return c == '\n' || (c == '\r' && peek_at(p, 1) == '\n');
}

/* Notes that a line starts at |p->pos|. */
static void start_line(struct parser *p)
{
    if (p->line < INT_MAX)
        p->line++;
    p->line_start = p->pos;
    p->col_off = p->pos;
    p->col = 1;
}

/* Consumes a newline ("\n" or "\r\n"); the caller has checked at_newline(). */
static void eat_newline(struct parser *p)
{
    if (p->s[p->pos] == '\r')
        p->pos++;
    p->pos++;
    start_line(p);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && is_ws((unsigned char)p->s[p->pos]))
        p->pos++;
}

/* Skips a comment, if one starts here, up to (not including) the end of its line. */
static void skip_comment(struct parser *p)
{
    if (peek(p) != '#')
        return;
    while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
        p->pos++;
}

/* Skips whitespace, comments and newlines (inside arrays). */
static void skip_ws_comments_newlines(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        if (!at_newline(p))
            return;
        eat_newline(p);
    }
}

/* The position of offset |off|, which must be on the current line. */
static struct temporal__toml_pos pos_of(struct parser *p, size_t off)
{
    if (off < p->col_off) {
        p->col_off = p->line_start;
        p->col = 1;
    }
    for (; p->col_off < off; p->col_off++) {
        /* Count characters: every byte except UTF-8 continuation bytes starts one. */
        if (((unsigned char)p->s[p->col_off] & 0xC0) != 0x80 && p->col < INT_MAX)
            p->col++;
    }
    struct temporal__toml_pos pos = { p->line, p->col };
    return pos;
}

static struct temporal__toml_pos here(struct parser *p) { return pos_of(p, p->pos); }

/* Decodes the (already validated) UTF-8 character at |s|. */
static uint32_t decode_utf8(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0];
    if (s[0] < 0xE0)
        return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    if (s[0] < 0xF0)
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Describes the character at the current position for an error message ("found ..."). */
static const char *describe_here(const struct parser *p, char *buf, size_t cap)
{
    int c = peek(p);
    if (c < 0)
        return "end of file";
    if (c == '\n' || c == '\r')
        return "end of line";
    if (is_ws(c))
        return "whitespace";
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "U+%04X", (unsigned)decode_utf8((const unsigned char *)p->s + p->pos));
    return buf;
}

/* Errors ------------------------------------------------------------------------------- */

static int vfail_at(struct parser *p, struct temporal__toml_pos at, const char *fmt, va_list ap)
    TEMPORAL__PRINTF(3, 0);

static int vfail_at(struct parser *p, struct temporal__toml_pos at, const char *fmt, va_list ap)
{
    if (p->err != NULL) {
        char *m = p->err->message;
        p->err->line = at.line;
        p->err->column = at.column;
        int n = vsnprintf(m, sizeof(p->err->message), fmt, ap);
        if (n >= (int)sizeof(p->err->message)) {
            /* Cut short: drop a character whose UTF-8 bytes did not all fit. */
            size_t end = strlen(m);
            size_t lead = end;
            while (lead > 0 && ((unsigned char)m[lead - 1] & 0xC0) == 0x80)
                lead--;
            if (lead > 0 && (unsigned char)m[lead - 1] >= 0xC0) {
                unsigned char c = (unsigned char)m[lead - 1];
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
                if (end - (lead - 1) < need)
                    m[lead - 1] = '\0';
            }
        }
    }
    return TEMPORAL_EINVAL;
}

/* Records a syntax or semantic error at |at|; returns TEMPORAL_EINVAL. */
static int fail_at(struct parser *p, struct temporal__toml_pos at, const char *fmt, ...)
    TEMPORAL__PRINTF(3, 4);

static int fail_at(struct parser *p, struct temporal__toml_pos at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_at(p, at, fmt, ap);
    va_end(ap);
    return rc;
}

/* Records an error at the current position; returns TEMPORAL_EINVAL. */
static int fail(struct parser *p, const char *fmt, ...) TEMPORAL__PRINTF(2, 3);

static int fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_at(p, here(p), fmt, ap);
    va_end(ap);
    return rc;
}

/* Records an allocation failure at the current position; returns TEMPORAL_ENOMEM. */
static int oom(struct parser *p)
{
    fail(p, "out of memory");
    return TEMPORAL_ENOMEM;
}

static int fail_depth(struct parser *p, struct temporal__toml_pos at)
{
    return fail_at(p, at, "nested too deeply (the limit is %d levels of tables and arrays)",
                   TEMPORAL__TOML_MAX_DEPTH);
}

/* Appends the |n| bytes at |s| to |out| (capacity |cap|, NUL-terminated) if they fit. */
static void text_append(char *out, size_t cap, const char *s, size_t n)
{
    size_t used = strlen(out);
    if (used + n < cap) {
        memcpy(out + used, s, n);
        out[used + n] = '\0';
    }
}

/* A bounded text being written for an error message. */
struct text {
    char *buf; /* Borrowed; |cap| bytes, at least 4. */
    size_t cap;
    size_t len;
    bool cut;
};

/*
 * Appends the |n| bytes at |s| (never a partial character) to |t|.  When they do not fit,
 * "..." ends the text instead and nothing more is added.
 */
static void text_put(struct text *t, const char *s, size_t n)
{
    if (t->cut)
        return;
    if (t->len + n + 4 > t->cap) {
        memcpy(t->buf + t->len, "...", 4);
        t->len += 3;
        t->cut = true;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/*
 * Appends |key| to |t| as one would write it in TOML: bare if it can be, otherwise in
 * double quotes with escapes.  Long keys are cut (at a character boundary) and end in "...".
 */
static void text_put_key(struct text *t, const char *key, size_t len)
{
    bool bare = len > 0;
    for (size_t i = 0; i < len && bare; i++)
        bare = is_bare_key_char((unsigned char)key[i]);
    size_t shown = len;
    if (shown > MESSAGE_KEY_MAX) {
        shown = MESSAGE_KEY_MAX;
        while (shown > 0 && ((unsigned char)key[shown] & 0xC0) == 0x80)
            shown--;
    }
    if (!bare)
        text_put(t, "\"", 1);
    for (size_t i = 0; i < shown;) {
        unsigned char c = (unsigned char)key[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            text_put(t, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            text_put(t, esc, strlen(esc));
            i++;
        } else {
            /* A whole character (keys are valid UTF-8). */
            size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            text_put(t, key + i, n);
            i += n;
        }
    }
    if (shown < len)
        text_put(t, "...", 3);
    if (!bare)
        text_put(t, "\"", 1);
}

/* Writes parts 0..|last| of the key being parsed, joined by dots, into |out|. */
static const char *key_text(const struct parser *p, int last, char *out, size_t cap)
{
    struct text t = { out, cap, 0, false };
    out[0] = '\0';
    for (int i = 0; i <= last && i < p->nparts; i++) {
        if (i > 0)
            text_put(&t, ".", 1);
        text_put_key(&t, p->parts[i].s, p->parts[i].len);
    }
    return out;
}

/* Values ------------------------------------------------------------------------------- */

static void value_free(struct temporal__toml_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case TEMPORAL__TOML_STRING:
        free(v->u.str.ptr);
        break;
    case TEMPORAL__TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            value_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case TEMPORAL__TOML_TABLE:
        for (size_t i = 0; i < v->u.tbl.len; i++) {
            free(v->u.tbl.items[i].key);
            value_free(v->u.tbl.items[i].value);
        }
        free(v->u.tbl.items);
        free(v->u.tbl.slots);
        break;
    default:
        break;
    }
    free(v);
}

/* A new zeroed value, or NULL (out of memory). */
static struct temporal__toml_value *value_new(enum temporal__toml_type type,
                                              struct temporal__toml_pos pos, int depth)
{
    struct temporal__toml_value *v = malloc(sizeof(*v));
    if (v == NULL)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->type = type;
    v->pos = pos;
    v->depth = depth;
    return v;
}

static size_t hash_key(const char *key, size_t len)
{
    /* FNV-1a, 64-bit. */
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 32));
}

/* The index of |key| in table |t|, or SIZE_MAX. */
static size_t table_index_of(const struct temporal__toml_value *t, const char *key, size_t len)
{
    const struct toml_entry *items = t->u.tbl.items;
    if (t->u.tbl.slots == NULL) {
        for (size_t i = 0; i < t->u.tbl.len; i++) {
            if (items[i].key_len == len && memcmp(items[i].key, key, len) == 0)
                return i;
        }
        return SIZE_MAX;
    }
    size_t mask = t->u.tbl.nslots - 1;
    for (size_t h = hash_key(key, len) & mask; t->u.tbl.slots[h] != 0; h = (h + 1) & mask) {
        const struct toml_entry *e = &items[t->u.tbl.slots[h] - 1];
        if (e->key_len == len && memcmp(e->key, key, len) == 0)
            return t->u.tbl.slots[h] - 1;
    }
    return SIZE_MAX;
}

static struct toml_entry *table_lookup(struct temporal__toml_value *t, const char *key, size_t len)
{
    size_t i = table_index_of(t, key, len);
    return i == SIZE_MAX ? NULL : &t->u.tbl.items[i];
}

static void index_add(size_t *slots, size_t nslots, const struct toml_entry *e, size_t i)
{
    size_t mask = nslots - 1;
    size_t h = hash_key(e->key, e->key_len) & mask;
    while (slots[h] != 0)
        h = (h + 1) & mask;
    slots[h] = i + 1;
}

/*
 * Adds |key| (|len| bytes, NUL-terminated) with |value| to table |t|.  On success the
 * table owns both; on failure (TEMPORAL_ENOMEM) the caller still does.
 */
static int table_insert(struct temporal__toml_value *t, char *key, size_t len,
                        struct temporal__toml_pos pos, struct temporal__toml_value *value)
{
    size_t n = t->u.tbl.len;
    if (n == t->u.tbl.cap) {
        size_t cap = n ? n * 2 : 4;
        if (cap > SIZE_MAX / sizeof(struct toml_entry))
            return TEMPORAL_ENOMEM;
        struct toml_entry *items = realloc(t->u.tbl.items, cap * sizeof(*items));
        if (items == NULL)
            return TEMPORAL_ENOMEM;
        t->u.tbl.items = items;
        t->u.tbl.cap = cap;
    }
    /* Keep the index at most half full; rebuild it before anything is modified. */
    if (n + 1 > TABLE_INDEX_MIN && (n + 1) * 2 > t->u.tbl.nslots) {
        size_t nslots = 32;
        while (nslots < (n + 1) * 4) {
            if (nslots > SIZE_MAX / 2 / sizeof(size_t))
                return TEMPORAL_ENOMEM;
            nslots *= 2;
        }
        size_t *slots = calloc(nslots, sizeof(*slots));
        if (slots == NULL)
            return TEMPORAL_ENOMEM;
        for (size_t i = 0; i < n; i++)
            index_add(slots, nslots, &t->u.tbl.items[i], i);
        free(t->u.tbl.slots);
        t->u.tbl.slots = slots;
        t->u.tbl.nslots = nslots;
    }
    struct toml_entry *e = &t->u.tbl.items[n];
    e->key = key;
    e->key_len = len;
    e->pos = pos;
    e->value = value;
    if (t->u.tbl.slots != NULL)
        index_add(t->u.tbl.slots, t->u.tbl.nslots, e, n);
    t->u.tbl.len = n + 1;
    return 0;
}

/* Appends |item| to array |a|.  On failure (TEMPORAL_ENOMEM) the caller still owns |item|. */
static int array_push(struct temporal__toml_value *a, struct temporal__toml_value *item)
{
    if (a->u.arr.len == a->u.arr.cap) {
        size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
        if (cap > SIZE_MAX / sizeof(*a->u.arr.items))
            return TEMPORAL_ENOMEM;
        struct temporal__toml_value **items = realloc(a->u.arr.items, cap * sizeof(*items));
        if (items == NULL)
            return TEMPORAL_ENOMEM;
        a->u.arr.items = items;
        a->u.arr.cap = cap;
    }
    a->u.arr.items[a->u.arr.len++] = item;
    return 0;
}

/*
 * Marks inline table |t| and every table defined inside it as closed to additions.  A
 * sealed table's sub-tables are all sealed already (nested inline tables were sealed when
 * they closed), so each table is visited once.
 */
static void seal(struct temporal__toml_value *t)
{
    t->flags |= TBL_SEALED;
    for (size_t i = 0; i < t->u.tbl.len; i++) {
        struct temporal__toml_value *v = t->u.tbl.items[i].value;
        if (v->type == TEMPORAL__TOML_TABLE && (v->flags & TBL_SEALED) == 0)
            seal(v);
    }
}

/* Byte buffers ------------------------------------------------------------------------- */

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return TEMPORAL_ENOMEM;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16;
        while (cap < b->len + n + 1)
            cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return TEMPORAL_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Makes sure |b| holds an allocated, NUL-terminated string (also when empty). */
static int buf_finish(struct buf *b)
{
    return b->data != NULL ? 0 : buf_put(b, "", 0);
}

/* Encoding check (first pass) ---------------------------------------------------------- */

/* Checks UTF-8 and control characters in the whole document; see the top of the file. */
static int check_encoding(struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    while (p->pos < p->len) {
        unsigned c = s[p->pos];
        if (c == '\n') {
            p->pos++;
            start_line(p);
            continue;
        }
        if (c == '\r') {
            if (p->pos + 1 < p->len && s[p->pos + 1] == '\n') {
                p->pos++;
                continue;
            }
            return fail(p, "carriage return not followed by a line feed (bare CR is not a "
                           "newline in TOML)");
        }
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return fail(p, "control character U+%04X is not allowed (use an escape in a "
                               "basic string)", c);
            p->pos++;
            continue;
        }
        /* Multi-byte: length, smallest code point for that length (no overlong forms). */
        size_t n;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return fail(p, "invalid UTF-8 (byte 0x%02X cannot start a character)", c);
        }
        if (p->len - p->pos < n)
            return fail(p, "invalid UTF-8 (character cut short by the end of the file)");
        for (size_t i = 1; i < n; i++) {
            unsigned cc = s[p->pos + i];
            if ((cc & 0xC0) != 0x80)
                return fail(p, "invalid UTF-8 (byte 0x%02X is not a continuation byte)", cc);
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min)
            return fail(p, "invalid UTF-8 (overlong encoding of U+%04X)", (unsigned)cp);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return fail(p, "invalid UTF-8 (encodes the surrogate U+%04X)", (unsigned)cp);
        if (cp > 0x10FFFF)
            return fail(p, "invalid UTF-8 (code point above U+10FFFF)");
        p->pos += n;
    }
    return 0;
}

/* Strings ------------------------------------------------------------------------------ */

static int put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(b, u, n);
}

/* Parses the escape sequence at the current position (a backslash) into |b|. */
static int parse_escape(struct parser *p, struct buf *b)
{
    struct temporal__toml_pos at = here(p);
    int c = peek_at(p, 1);
    char ch;
    switch (c) {
    case 'b': ch = '\b'; break;
    case 't': ch = '\t'; break;
    case 'n': ch = '\n'; break;
    case 'f': ch = '\f'; break;
    case 'r': ch = '\r'; break;
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case 'u':
    case 'U': {
        size_t digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t i = 0; i < digits; i++) {
            int h = peek_at(p, 2 + i);
            if (!is_hex(h))
                return fail_at(p, at, "invalid escape \\%c in string: expected %zu hex digits",
                               c, digits);
            cp = (cp << 4) | (uint32_t)hex_value(h);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail_at(p, at, "invalid escape \\%c%.*s in string: not a Unicode scalar value",
                           c, (int)digits, p->s + p->pos + 2);
        p->pos += 2 + digits;
        return put_utf8(b, cp) == 0 ? 0 : oom(p);
    }
    default:
        if (c < 0)
            return fail_at(p, at, "unterminated string (the file ends in an escape sequence)");
        if (c > 0x20 && c < 0x7F)
            return fail_at(p, at, "invalid escape \\%c in string", c);
        return fail_at(p, at, "invalid escape sequence in string (a backslash must be followed "
                              "by one of b t n f r \" \\ u U)");
    }
    p->pos += 2;
    return buf_put(b, &ch, 1) == 0 ? 0 : oom(p);
}

/* Appends the bytes from |from| to the current position to |b|. */
static int put_run(struct parser *p, struct buf *b, size_t from)
{
    if (p->pos > from && buf_put(b, p->s + from, p->pos - from) != 0)
        return oom(p);
    return 0;
}

/*
 * Parses a single-line string (basic if |quote| is '"', literal if '\'') at the current
 * position into |b|.
 */
static int parse_line_string(struct parser *p, int quote, struct buf *b)
{
    struct temporal__toml_pos start = here(p);
    p->pos++;
    size_t run = p->pos;
    for (;;) {
        int c = peek(p);
        if (c < 0 || c == '\n' || c == '\r')
            return fail_at(p, start, "unterminated string (missing closing %c before the end "
                                     "of the line)", quote);
        if (c == quote) {
            int rc = put_run(p, b, run);
            p->pos++;
            return rc;
        }
        if (c == '\\' && quote == '"') {
            int rc = put_run(p, b, run);
            if (rc == 0)
                rc = parse_escape(p, b);
            if (rc != 0)
                return rc;
            run = p->pos;
            continue;
        }
        p->pos++;
    }
}

/*
 * Parses a multi-line string (basic if |quote| is '"', literal if '\'') at the current
 * position (its three opening quotes) into |b|.  Newlines are stored as "\n".
 */
static int parse_multiline_string(struct parser *p, int quote, struct buf *b)
{
    struct temporal__toml_pos start = here(p);
    int rc;
    p->pos += 3;
    /* A newline right after the opening delimiter is not part of the string. */
    if (at_newline(p))
        eat_newline(p);
    size_t run = p->pos;
    for (;;) {
        int c = peek(p);
        if (c < 0)
            return fail_at(p, start, "unterminated multi-line string (missing closing %c%c%c)",
                           quote, quote, quote);
        if (c == quote) {
            size_t n = 0;
            while (peek_at(p, n) == quote)
                n++;
            if (n < 3) {
                p->pos += n;
                continue;
            }
            /* Up to two quotes may precede the closing three. */
            if (n > 5)
                return fail(p, "too many quotes: at most two %c may come right before the "
                               "closing %c%c%c", quote, quote, quote, quote);
            p->pos += n - 3;
            if ((rc = put_run(p, b, run)) != 0)
                return rc;
            p->pos += 3;
            return 0;
        }
        if (c == '\n' || c == '\r') {
            if ((rc = put_run(p, b, run)) != 0)
                return rc;
            if (buf_put(b, "\n", 1) != 0)
                return oom(p);
            eat_newline(p);
            run = p->pos;
            continue;
        }
        if (c == '\\' && quote == '"') {
            if ((rc = put_run(p, b, run)) != 0)
                return rc;
            /* A backslash ending a line (trailing whitespace allowed) joins the lines. */
            size_t k = 1;
            while (is_ws(peek_at(p, k)))
                k++;
            int after = peek_at(p, k);
            if (after == '\n' || (after == '\r' && peek_at(p, k + 1) == '\n')) {
                p->pos += k;
                for (;;) {
                    skip_ws(p);
                    if (!at_newline(p))
                        break;
                    eat_newline(p);
                }
            } else if (k > 1) {
                return fail(p, "invalid escape in string: a backslash followed by whitespace "
                               "must end the line");
            } else if ((rc = parse_escape(p, b)) != 0) {
                return rc;
            }
            run = p->pos;
            continue;
        }
        p->pos++;
    }
}

/* Parses any of the four kinds of string at the current position into |b|. */
static int parse_string(struct parser *p, struct buf *b, bool *multiline_out)
{
    int quote = peek(p);
    bool multiline = peek_at(p, 1) == quote && peek_at(p, 2) == quote;
    if (multiline_out != NULL)
        *multiline_out = multiline;
    int rc = multiline ? parse_multiline_string(p, quote, b) : parse_line_string(p, quote, b);
    if (rc == 0 && buf_finish(b) != 0)
        rc = oom(p);
    return rc;
}

/* Keys --------------------------------------------------------------------------------- */

static void parts_clear(struct parser *p)
{
    for (int i = 0; i < p->nparts; i++) {
        if (p->parts[i].owned)
            free(p->parts[i].s);
    }
    p->nparts = 0;
}

/* Parses one simple key (bare or quoted) and adds it to the key being parsed. */
static int parse_simple_key(struct parser *p)
{
    struct temporal__toml_pos at = here(p);
    struct buf b = { NULL, 0, 0 };
    int c = peek(p);
    int rc = 0;
    if (c == '"' || c == '\'') {
        bool multiline;
        rc = parse_string(p, &b, &multiline);
        if (rc == 0 && multiline)
            rc = fail_at(p, at, "a multi-line string cannot be a key");
    } else if (is_bare_key_char(c)) {
        size_t from = p->pos;
        while (is_bare_key_char(peek(p)))
            p->pos++;
        if (buf_put(&b, p->s + from, p->pos - from) != 0)
            rc = oom(p);
    } else {
        char d[16];
        rc = fail(p, "expected a key, found %s", describe_here(p, d, sizeof(d)));
    }
    if (rc == 0 && p->nparts >= TEMPORAL__TOML_MAX_DEPTH)
        rc = fail_depth(p, at);
    if (rc == 0 && p->nparts == p->parts_cap) {
        int cap = p->parts_cap ? p->parts_cap * 2 : 8;
        struct key_part *parts = realloc(p->parts, (size_t)cap * sizeof(*parts));
        if (parts == NULL) {
            rc = oom(p);
        } else {
            p->parts = parts;
            p->parts_cap = cap;
        }
    }
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    struct key_part *part = &p->parts[p->nparts++];
    part->s = b.data;
    part->len = b.len;
    part->owned = true;
    part->pos = at;
    return 0;
}

/* Parses a key (simple or dotted) and the whitespace after it into |p->parts|. */
static int parse_key(struct parser *p)
{
    parts_clear(p);
    for (;;) {
        int rc = parse_simple_key(p);
        if (rc != 0)
            return rc;
        skip_ws(p);
        if (peek(p) != '.')
            return 0;
        p->pos++;
        skip_ws(p);
    }
}

/* Numbers and dates -------------------------------------------------------------------- */

static bool is_token_char(int c) { return is_bare_key_char(c) || c == '.' || c == '+'; }

/*
 * Checks that |s[*i..n)| starts with digits of |base| separated by single underscores
 * (each underscore between two digits) and advances |*i| past them.
 */
static bool scan_digits(const char *s, size_t n, size_t *i, int base)
{
    size_t j = *i;
    bool want_digit = true;
    for (; j < n; j++) {
        int c = (unsigned char)s[j];
        bool digit = base == 16 ? is_hex(c) : (c >= '0' && c < '0' + base);
        if (digit) {
            want_digit = false;
        } else if (c == '_' && !want_digit) {
            want_digit = true;
        } else {
            break;
        }
    }
    if (want_digit)
        return false;
    *i = j;
    return true;
}

/* How much of an |n|-byte token an error message shows (with "%.*s"). */
static int token_width(size_t n) { return n > 64 ? 64 : (int)n; }

/* Parses the number token |s| of |n| bytes (already delimited) into |v|. */
static int parse_number_token(struct parser *p, struct temporal__toml_pos at, const char *s,
                              size_t n, struct temporal__toml_value *v)
{
    int w = token_width(n);
    size_t i = 0;
    bool neg = false;
    bool sign = n > 0 && (s[0] == '+' || s[0] == '-');
    if (sign) {
        neg = s[0] == '-';
        i = 1;
    }
    if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
        v->type = TEMPORAL__TOML_FLOAT;
        if (s[i] == 'i')
            v->u.real = neg ? -INFINITY : INFINITY;
        else
            v->u.real = neg ? -(double)NAN : (double)NAN;
        return 0;
    }
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
        int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
        const char *name = base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary";
        if (sign)
            return fail_at(p, at, "%s integers cannot have a sign", name);
        size_t j = i + 2;
        if (!scan_digits(s, n, &j, base) || j != n)
            return fail_at(p, at, "invalid %s integer '%.*s'", name, w, s);
        uint64_t u = 0;
        for (size_t k = i + 2; k < n; k++) {
            if (s[k] == '_')
                continue;
            uint64_t d = (uint64_t)hex_value((unsigned char)s[k]);
            if (u > ((uint64_t)INT64_MAX - d) / (uint64_t)base)
                return fail_at(p, at, "integer '%.*s' does not fit in 64 bits", w, s);
            u = u * (uint64_t)base + d;
        }
        v->type = TEMPORAL__TOML_INTEGER;
        v->u.integer = (int64_t)u;
        return 0;
    }
    /* Decimal: an integer part without leading zeros, then maybe a fraction and exponent. */
    size_t int_start = i;
    if (!scan_digits(s, n, &i, 10))
        return fail_at(p, at, "invalid number '%.*s'", w, s);
    if (s[int_start] == '0' && i - int_start > 1)
        return fail_at(p, at, "invalid number '%.*s': leading zeros are not allowed", w, s);
    bool is_float = false;
    if (i < n && s[i] == '.') {
        i++;
        if (!scan_digits(s, n, &i, 10))
            return fail_at(p, at, "invalid float '%.*s': a digit must follow the '.'", w, s);
        is_float = true;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!scan_digits(s, n, &i, 10))
            return fail_at(p, at, "invalid float '%.*s': bad exponent", w, s);
        is_float = true;
    }
    if (i != n)
        return fail_at(p, at, "invalid number '%.*s'", w, s);
    if (!is_float) {
        uint64_t u = 0;
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = int_start; k < n; k++) {
            if (s[k] == '_')
                continue;
            uint64_t d = (uint64_t)(s[k] - '0');
            if (u > (limit - d) / 10)
                return fail_at(p, at, "integer '%.*s' does not fit in 64 bits", w, s);
            u = u * 10 + d;
        }
        v->type = TEMPORAL__TOML_INTEGER;
        if (!neg)
            v->u.integer = (int64_t)u;
        else if (u > (uint64_t)INT64_MAX)
            v->u.integer = INT64_MIN;
        else
            v->u.integer = -(int64_t)u;
        return 0;
    }
    /* strtod() without the underscores, in the C locale whatever the process uses. */
    char *clean = malloc(n + 1);
    if (clean == NULL)
        return oom(p);
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] != '_')
            clean[m++] = s[k];
    }
    clean[m] = '\0';
    if (p->c_numeric == (locale_t)0)
        p->c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (p->c_numeric == (locale_t)0) {
        free(clean);
        return oom(p);
    }
    locale_t old = uselocale(p->c_numeric);
    char *end;
    errno = 0;
    double d = strtod(clean, &end);
    int saved = errno;
    uselocale(old);
    bool whole = end == clean + m;
    free(clean);
    if (!whole)
        return fail_at(p, at, "invalid float '%.*s'", w, s);
    if (saved == ERANGE && isinf(d))
        return fail_at(p, at, "float '%.*s' is out of range", w, s);
    v->type = TEMPORAL__TOML_FLOAT;
    v->u.real = d;
    return 0;
}

/* True if the |n| bytes at |s| are digits. */
static bool digits_at(const char *s, size_t avail, size_t n)
{
    if (avail < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Parses HH:MM:SS[.fraction] at the current position into |dt| (text appended). */
static int parse_time(struct parser *p, struct temporal__toml_datetime *dt)
{
    struct temporal__toml_pos at = here(p);
    const char *s = p->s + p->pos;
    size_t avail = p->len - p->pos;
    if (!digits_at(s, avail, 2) || avail < 8 || s[2] != ':' || !digits_at(s + 3, avail - 3, 2) ||
        s[5] != ':' || !digits_at(s + 6, avail - 6, 2))
        return fail_at(p, at, "invalid time: expected HH:MM:SS");
    dt->hour = two_digits(s);
    dt->minute = two_digits(s + 3);
    dt->second = two_digits(s + 6);
    if (dt->hour > 23)
        return fail_at(p, at, "invalid time: hour %02d is out of range", dt->hour);
    if (dt->minute > 59)
        return fail_at(p, at, "invalid time: minute %02d is out of range", dt->minute);
    if (dt->second > 60)
        return fail_at(p, at, "invalid time: second %02d is out of range", dt->second);
    text_append(dt->text, sizeof(dt->text), s, 8);
    p->pos += 8;
    if (peek(p) == '.') {
        if (!is_digit(peek_at(p, 1)))
            return fail(p, "invalid time: a digit must follow the '.'");
        p->pos++;
        text_append(dt->text, sizeof(dt->text), ".", 1);
        int ns = 0;
        int kept = 0;
        /* Digits beyond nanoseconds are dropped (truncated, as the spec requires). */
        for (; is_digit(peek(p)); p->pos++) {
            if (kept < 9) {
                ns = ns * 10 + (p->s[p->pos] - '0');
                text_append(dt->text, sizeof(dt->text), p->s + p->pos, 1);
                kept++;
            }
        }
        for (; kept < 9; kept++)
            ns *= 10;
        dt->nanosecond = ns;
    }
    return 0;
}

/* Parses a date, date-time or time at the current position into |v|. */
static int parse_datetime(struct parser *p, struct temporal__toml_value *v)
{
    struct temporal__toml_datetime *dt = &v->u.dt;
    const char *s = p->s + p->pos;
    size_t avail = p->len - p->pos;
    if (avail >= 3 && s[2] == ':') {
        v->type = TEMPORAL__TOML_LOCAL_TIME;
        return parse_time(p, dt);
    }
    struct temporal__toml_pos at = here(p);
    if (avail < 10 || !digits_at(s, avail, 4) || s[4] != '-' || !digits_at(s + 5, avail - 5, 2) ||
        s[7] != '-' || !digits_at(s + 8, avail - 8, 2))
        return fail_at(p, at, "invalid date: expected YYYY-MM-DD");
    dt->year = two_digits(s) * 100 + two_digits(s + 2);
    dt->month = two_digits(s + 5);
    dt->day = two_digits(s + 8);
    if (dt->month < 1 || dt->month > 12)
        return fail_at(p, at, "invalid date: month %02d is out of range", dt->month);
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
        return fail_at(p, at, "invalid date: %.10s has no day %02d", s, dt->day);
    text_append(dt->text, sizeof(dt->text), s, 10);
    p->pos += 10;
    v->type = TEMPORAL__TOML_LOCAL_DATE;
    /* A time follows after 'T' (or 't'), or after a space if digits and ':' come next. */
    int c = peek(p);
    if (!(c == 'T' || c == 't' ||
          (c == ' ' && is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) && peek_at(p, 3) == ':')))
        return 0;
    p->pos++;
    text_append(dt->text, sizeof(dt->text), "T", 1);
    int rc = parse_time(p, dt);
    if (rc != 0)
        return rc;
    v->type = TEMPORAL__TOML_LOCAL_DATETIME;
    c = peek(p);
    if (c == 'Z' || c == 'z') {
        p->pos++;
        text_append(dt->text, sizeof(dt->text), "Z", 1);
        v->type = TEMPORAL__TOML_OFFSET_DATETIME;
    } else if (c == '+' || c == '-') {
        struct temporal__toml_pos off_at = here(p);
        s = p->s + p->pos;
        avail = p->len - p->pos;
        if (avail < 6 || !digits_at(s + 1, avail - 1, 2) || s[3] != ':' ||
            !digits_at(s + 4, avail - 4, 2))
            return fail_at(p, off_at, "invalid time offset: expected Z, +HH:MM or -HH:MM");
        int oh = two_digits(s + 1);
        int om = two_digits(s + 4);
        if (oh > 23 || om > 59)
            return fail_at(p, off_at, "invalid time offset %.6s: out of range", s);
        dt->offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
        text_append(dt->text, sizeof(dt->text), s, 6);
        p->pos += 6;
        v->type = TEMPORAL__TOML_OFFSET_DATETIME;
    }
    return 0;
}

/* Values (second pass) ----------------------------------------------------------------- */

static int parse_value(struct parser *p, int depth, struct temporal__toml_value **out);
static int parse_keyval(struct parser *p, struct temporal__toml_value *t);

/* Reports an unquoted word where a value should be ("invalid value 'localhost'"). */
static int fail_bare_word(struct parser *p)
{
    size_t end = p->pos;
    while (end < p->len && end - p->pos < 40 &&
           (is_token_char((unsigned char)p->s[end]) || p->s[end] == ':'))
        end++;
    return fail(p, "invalid value '%.*s' (strings must be quoted; booleans are true and false)",
                (int)(end - p->pos), p->s + p->pos);
}

static int parse_array(struct parser *p, int depth, struct temporal__toml_value **out)
{
    struct temporal__toml_pos start = here(p);
    struct temporal__toml_value *a = value_new(TEMPORAL__TOML_ARRAY, start, depth);
    if (a == NULL)
        return oom(p);
    int rc;
    char d[16];
    p->pos++;
    for (;;) {
        skip_ws_comments_newlines(p);
        if (peek(p) == ']')
            break;
        if (peek(p) < 0) {
            rc = fail_at(p, start, "unterminated array (missing ']')");
            goto fail;
        }
        struct temporal__toml_value *item;
        if ((rc = parse_value(p, depth + 1, &item)) != 0)
            goto fail;
        if (array_push(a, item) != 0) {
            value_free(item);
            rc = oom(p);
            goto fail;
        }
        skip_ws_comments_newlines(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == ']')
            break;
        if (peek(p) < 0)
            rc = fail_at(p, start, "unterminated array (missing ']')");
        else
            rc = fail(p, "expected ',' or ']' in array, found %s", describe_here(p, d, sizeof(d)));
        goto fail;
    }
    p->pos++;
    *out = a;
    return 0;
fail:
    value_free(a);
    return rc;
}

static int parse_inline_table(struct parser *p, int depth, struct temporal__toml_value **out)
{
    struct temporal__toml_pos start = here(p);
    struct temporal__toml_value *t = value_new(TEMPORAL__TOML_TABLE, start, depth);
    if (t == NULL)
        return oom(p);
    int rc;
    char d[16];
    p->pos++;
    skip_ws(p);
    if (peek(p) != '}') {
        for (;;) {
            if (at_newline(p)) {
                rc = fail(p, "newline in inline table (an inline table must be on one line)");
                goto fail;
            }
            if ((rc = parse_keyval(p, t)) != 0)
                goto fail;
            skip_ws(p);
            if (peek(p) == ',') {
                p->pos++;
                skip_ws(p);
                if (peek(p) == '}') {
                    rc = fail(p, "trailing comma in inline table");
                    goto fail;
                }
                continue;
            }
            if (peek(p) == '}')
                break;
            if (peek(p) < 0)
                rc = fail_at(p, start, "unterminated inline table (missing '}')");
            else if (at_newline(p))
                rc = fail(p, "newline in inline table (an inline table must be on one line)");
            else
                rc = fail(p, "expected ',' or '}' in inline table, found %s",
                          describe_here(p, d, sizeof(d)));
            goto fail;
        }
    }
    p->pos++;
    seal(t);
    *out = t;
    return 0;
fail:
    value_free(t);
    return rc;
}

/* Parses the value at the current position into a new value stored in |*out|. */
static int parse_value(struct parser *p, int depth, struct temporal__toml_value **out)
{
    struct temporal__toml_pos at = here(p);
    if (depth > TEMPORAL__TOML_MAX_DEPTH)
        return fail_depth(p, at);
    int c = peek(p);
    if (c == '[')
        return parse_array(p, depth, out);
    if (c == '{')
        return parse_inline_table(p, depth, out);
    /* A scalar; its type is set as it is recognized (boolean owns nothing to free meanwhile). */
    struct temporal__toml_value *v = value_new(TEMPORAL__TOML_BOOLEAN, at, depth);
    if (v == NULL)
        return oom(p);
    int rc = 0;
    char d[16];
    const char *s = p->s + p->pos;
    size_t avail = p->len - p->pos;
    if (c == '"' || c == '\'') {
        struct buf b = { NULL, 0, 0 };
        rc = parse_string(p, &b, NULL);
        v->type = TEMPORAL__TOML_STRING;
        v->u.str.ptr = b.data;
        v->u.str.len = b.len;
    } else if (c == 't' || c == 'f') {
        size_t n = c == 't' ? 4 : 5;
        if (avail >= n && memcmp(s, c == 't' ? "true" : "false", n) == 0 &&
            !is_token_char(peek_at(p, n))) {
            v->type = TEMPORAL__TOML_BOOLEAN;
            v->u.boolean = c == 't';
            p->pos += n;
        } else {
            rc = fail_bare_word(p);
        }
    } else if ((digits_at(s, avail, 4) && avail > 4 && s[4] == '-') ||
               (digits_at(s, avail, 2) && avail > 2 && s[2] == ':')) {
        /* YYYY- starts a date (or date-time), HH: a local time. */
        rc = parse_datetime(p, v);
    } else if (is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n') {
        size_t n = 0;
        while (n < avail && is_token_char((unsigned char)s[n]))
            n++;
        if (is_alpha(c) && !(n == 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)))
            rc = fail_bare_word(p);
        else
            rc = parse_number_token(p, at, s, n, v);
        if (rc == 0)
            p->pos += n;
    } else if (is_bare_key_char(c)) {
        rc = fail_bare_word(p);
    } else {
        rc = fail(p, "expected a value, found %s", describe_here(p, d, sizeof(d)));
    }
    if (rc != 0) {
        value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* Tables ------------------------------------------------------------------------------- */

/*
 * Adds a new empty table with |flags| under key part |i| to |t| and stores it in |*out|.
 * The table takes the part's string.
 */
static int add_table(struct parser *p, struct temporal__toml_value *t, int i, unsigned flags,
                     struct temporal__toml_pos pos, struct temporal__toml_value **out)
{
    struct key_part *part = &p->parts[i];
    if (t->depth + 1 > TEMPORAL__TOML_MAX_DEPTH)
        return fail_depth(p, part->pos);
    struct temporal__toml_value *v = value_new(TEMPORAL__TOML_TABLE, pos, t->depth + 1);
    if (v == NULL)
        return oom(p);
    v->flags = flags;
    if (table_insert(t, part->s, part->len, part->pos, v) != 0) {
        value_free(v);
        return oom(p);
    }
    part->owned = false;
    *out = v;
    return 0;
}

/* Reports that key part |i| is already something else than a table. */
static int fail_not_table(struct parser *p, int i, const struct toml_entry *e)
{
    char k[MESSAGE_KEY_MAX * 2];
    const struct temporal__toml_value *v = e->value;
    if (v->type == TEMPORAL__TOML_ARRAY && (v->flags & ARR_OF_TABLES) == 0 &&
        temporal__toml_array_len(v) > 0 &&
        v->u.arr.items[0]->type == TEMPORAL__TOML_TABLE)
        return fail_at(p, p->parts[i].pos, "key '%s' is an array defined on line %d, not a table "
                       "(tables inside an array value cannot be extended)",
                       key_text(p, i, k, sizeof(k)), e->pos.line);
    return fail_at(p, p->parts[i].pos, "key '%s' is already defined as %s on line %d, not as a "
                   "table", key_text(p, i, k, sizeof(k)), temporal__toml_type_name(v->type),
                   e->pos.line);
}

/*
 * Follows a [header] or [[header]] from the root through all parts but the last, creating
 * missing tables (implicitly) and entering the last table of arrays of tables.
 */
static int walk_header(struct parser *p, struct temporal__toml_value **out)
{
    struct temporal__toml_value *t = p->root;
    char k[MESSAGE_KEY_MAX * 2];
    for (int i = 0; i < p->nparts - 1; i++) {
        struct key_part *part = &p->parts[i];
        struct toml_entry *e = table_lookup(t, part->s, part->len);
        if (e == NULL) {
            int rc = add_table(p, t, i, 0, part->pos, &t);
            if (rc != 0)
                return rc;
            continue;
        }
        struct temporal__toml_value *v = e->value;
        if (v->type == TEMPORAL__TOML_TABLE && (v->flags & TBL_SEALED) != 0)
            return fail_at(p, part->pos, "cannot add to inline table '%s' defined on line %d "
                           "(inline tables are complete as written)",
                           key_text(p, i, k, sizeof(k)), e->pos.line);
        if (v->type == TEMPORAL__TOML_TABLE) {
            t = v;
        } else if (v->type == TEMPORAL__TOML_ARRAY && (v->flags & ARR_OF_TABLES) != 0) {
            t = v->u.arr.items[v->u.arr.len - 1];
        } else {
            return fail_not_table(p, i, e);
        }
    }
    *out = t;
    return 0;
}

/* Parses a [table] or [[array of tables]] header line and makes it the current table. */
static int parse_header(struct parser *p)
{
    struct temporal__toml_pos start = here(p);
    char k[MESSAGE_KEY_MAX * 2];
    char d[16];
    bool aot = peek_at(p, 1) == '[';
    p->pos += aot ? 2 : 1;
    skip_ws(p);
    int rc = parse_key(p);
    if (rc != 0)
        return rc;
    if (aot ? !(peek(p) == ']' && peek_at(p, 1) == ']') : peek(p) != ']')
        return fail(p, "expected '%s' to close the %s header, found %s", aot ? "]]" : "]",
                    aot ? "array-of-tables" : "table", describe_here(p, d, sizeof(d)));
    p->pos += aot ? 2 : 1;

    struct temporal__toml_value *t = NULL;
    if ((rc = walk_header(p, &t)) != 0)
        return rc;
    int last = p->nparts - 1;
    struct key_part *part = &p->parts[last];
    struct toml_entry *e = table_lookup(t, part->s, part->len);
    if (aot) {
        struct temporal__toml_value *a;
        if (e == NULL) {
            if ((rc = add_table(p, t, last, 0, start, &a)) != 0)
                return rc;
            /* add_table() made a table; turn it into the array that holds tables. */
            a->type = TEMPORAL__TOML_ARRAY;
            a->flags = ARR_OF_TABLES;
        } else if (e->value->type == TEMPORAL__TOML_ARRAY &&
                   (e->value->flags & ARR_OF_TABLES) != 0) {
            a = e->value;
        } else if (e->value->type == TEMPORAL__TOML_ARRAY) {
            return fail_at(p, part->pos, "cannot append to array '%s' defined on line %d with "
                           "[[%s]]: only arrays of tables made by [[...]] headers can be",
                           key_text(p, last, k, sizeof(k)), e->pos.line,
                           key_text(p, last, k, sizeof(k)));
        } else {
            return fail_at(p, part->pos, "key '%s' is already defined as %s on line %d, not as "
                           "an array of tables", key_text(p, last, k, sizeof(k)),
                           temporal__toml_type_name(e->value->type), e->pos.line);
        }
        if (a->depth + 1 > TEMPORAL__TOML_MAX_DEPTH)
            return fail_depth(p, part->pos);
        struct temporal__toml_value *elem = value_new(TEMPORAL__TOML_TABLE, start, a->depth + 1);
        if (elem == NULL)
            return oom(p);
        elem->flags = TBL_EXPLICIT;
        if (array_push(a, elem) != 0) {
            value_free(elem);
            return oom(p);
        }
        p->current = elem;
        return 0;
    }
    if (e == NULL)
        return add_table(p, t, last, TBL_EXPLICIT, start, &p->current);
    struct temporal__toml_value *v = e->value;
    if (v->type != TEMPORAL__TOML_TABLE)
        return fail_not_table(p, last, e);
    if (v->flags & TBL_SEALED)
        return fail_at(p, part->pos, "cannot define table '%s': it is an inline table defined "
                       "on line %d", key_text(p, last, k, sizeof(k)), e->pos.line);
    if (v->flags & TBL_EXPLICIT)
        return fail_at(p, part->pos, "table '%s' is defined twice (first on line %d)",
                       key_text(p, last, k, sizeof(k)), v->pos.line);
    if (v->flags & TBL_DOTTED)
        return fail_at(p, part->pos, "cannot define table '%s' with a header: it was already "
                       "defined by dotted keys on line %d", key_text(p, last, k, sizeof(k)),
                       e->pos.line);
    v->flags |= TBL_EXPLICIT;
    v->pos = start;
    p->current = v;
    return 0;
}

/* Parses "key = value" into table |t|; dotted keys create or extend tables inside |t|. */
static int parse_keyval(struct parser *p, struct temporal__toml_value *t)
{
    char k[MESSAGE_KEY_MAX * 2];
    char d[16];
    int rc = parse_key(p);
    if (rc != 0)
        return rc;
    int last = p->nparts - 1;
    if (peek(p) != '=')
        return fail(p, "expected '=' after key '%s', found %s", key_text(p, last, k, sizeof(k)),
                    describe_here(p, d, sizeof(d)));
    p->pos++;
    skip_ws(p);
    for (int i = 0; i < last; i++) {
        struct key_part *part = &p->parts[i];
        struct toml_entry *e = table_lookup(t, part->s, part->len);
        if (e == NULL) {
            if ((rc = add_table(p, t, i, TBL_DOTTED, part->pos, &t)) != 0)
                return rc;
            continue;
        }
        struct temporal__toml_value *v = e->value;
        if (v->type != TEMPORAL__TOML_TABLE)
            return fail_not_table(p, i, e);
        if (v->flags & TBL_SEALED)
            return fail_at(p, part->pos, "cannot add to inline table '%s' defined on line %d "
                           "(inline tables are complete as written)",
                           key_text(p, i, k, sizeof(k)), e->pos.line);
        if (v->flags & TBL_EXPLICIT)
            return fail_at(p, part->pos, "cannot add to table '%s' with a dotted key: it was "
                           "defined by a [header] on line %d", key_text(p, i, k, sizeof(k)),
                           v->pos.line);
        v->flags |= TBL_DOTTED;
        t = v;
    }
    struct key_part *part = &p->parts[last];
    struct toml_entry *e = table_lookup(t, part->s, part->len);
    if (e != NULL)
        return fail_at(p, part->pos, "duplicate key '%s' (first defined on line %d)",
                       key_text(p, last, k, sizeof(k)), e->pos.line);
    /* The value may contain keys of its own (inline tables), so take this one out first. */
    char *key = part->s;
    size_t key_len = part->len;
    struct temporal__toml_pos key_pos = part->pos;
    part->owned = false;
    struct temporal__toml_value *v;
    if ((rc = parse_value(p, t->depth + 1, &v)) != 0) {
        free(key);
        return rc;
    }
    if (table_insert(t, key, key_len, key_pos, v) != 0) {
        free(key);
        value_free(v);
        return oom(p);
    }
    return 0;
}

/* Checks that a line ends after an expression: whitespace, an optional comment, newline. */
static int end_of_line(struct parser *p, const char *what)
{
    char d[16];
    skip_ws(p);
    skip_comment(p);
    if (peek(p) < 0)
        return 0;
    if (!at_newline(p))
        return fail(p, "expected the end of the line after %s, found %s", what,
                    describe_here(p, d, sizeof(d)));
    eat_newline(p);
    return 0;
}

static int parse_document(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        int c = peek(p);
        int rc = 0;
        const char *what = "a comment";
        if (c < 0)
            return 0;
        if (c == '[') {
            rc = parse_header(p);
            what = "a table header";
        } else if (c != '#' && c != '\n' && c != '\r') {
            rc = parse_keyval(p, p->current);
            what = "a key/value pair";
        }
        if (rc == 0)
            rc = end_of_line(p, what);
        if (rc != 0)
            return rc;
    }
}

/* Public (internal) API ---------------------------------------------------------------- */

int temporal__toml_parse(const char *text, size_t len, struct temporal__toml_value **root_out,
                         struct temporal__toml_error *err)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    p.s = text;
    p.len = len;
    p.line = 1;
    p.col = 1;
    p.err = err;
    if (root_out == NULL || (text == NULL && len > 0))
        return fail(&p, "invalid argument");
    *root_out = NULL;
    /* A UTF-8 byte order mark is not part of the document. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        p.pos = 3;
        p.line_start = p.col_off = 3;
    }
    size_t begin = p.pos;
    int rc = check_encoding(&p);
    if (rc != 0)
        return rc;
    p.pos = p.line_start = p.col_off = begin;
    p.line = 1;
    p.col = 1;
    struct temporal__toml_pos top = { 1, 1 };
    p.root = value_new(TEMPORAL__TOML_TABLE, top, 0);
    if (p.root == NULL)
        return oom(&p);
    p.root->flags = TBL_EXPLICIT;
    p.current = p.root;
    rc = parse_document(&p);
    parts_clear(&p);
    free(p.parts);
    if (p.c_numeric != (locale_t)0)
        freelocale(p.c_numeric);
    if (rc != 0) {
        value_free(p.root);
        return rc;
    }
    *root_out = p.root;
    return 0;
}

void temporal__toml_free(struct temporal__toml_value *root) { value_free(root); }

enum temporal__toml_type temporal__toml_type_of(const struct temporal__toml_value *v)
{
    return v != NULL ? v->type : (enum temporal__toml_type)0;
}

const char *temporal__toml_type_name(enum temporal__toml_type type)
{
    switch (type) {
    case TEMPORAL__TOML_STRING: return "string";
    case TEMPORAL__TOML_INTEGER: return "integer";
    case TEMPORAL__TOML_FLOAT: return "float";
    case TEMPORAL__TOML_BOOLEAN: return "boolean";
    case TEMPORAL__TOML_OFFSET_DATETIME: return "offset date-time";
    case TEMPORAL__TOML_LOCAL_DATETIME: return "local date-time";
    case TEMPORAL__TOML_LOCAL_DATE: return "local date";
    case TEMPORAL__TOML_LOCAL_TIME: return "local time";
    case TEMPORAL__TOML_ARRAY: return "array";
    case TEMPORAL__TOML_TABLE: return "table";
    }
    return "nothing";
}

struct temporal__toml_pos temporal__toml_value_pos(const struct temporal__toml_value *v)
{
    struct temporal__toml_pos none = { 0, 0 };
    return v != NULL ? v->pos : none;
}

static bool is_table(const struct temporal__toml_value *t)
{
    return t != NULL && t->type == TEMPORAL__TOML_TABLE;
}

size_t temporal__toml_table_count(const struct temporal__toml_value *t)
{
    return is_table(t) ? t->u.tbl.len : 0;
}

const char *temporal__toml_table_key(const struct temporal__toml_value *t, size_t i,
                                     size_t *len_out)
{
    if (!is_table(t) || i >= t->u.tbl.len)
        return NULL;
    if (len_out != NULL)
        *len_out = t->u.tbl.items[i].key_len;
    return t->u.tbl.items[i].key;
}

struct temporal__toml_pos temporal__toml_table_key_pos(const struct temporal__toml_value *t,
                                                       size_t i)
{
    struct temporal__toml_pos none = { 0, 0 };
    return is_table(t) && i < t->u.tbl.len ? t->u.tbl.items[i].pos : none;
}

const struct temporal__toml_value *temporal__toml_table_value(const struct temporal__toml_value *t,
                                                              size_t i)
{
    return is_table(t) && i < t->u.tbl.len ? t->u.tbl.items[i].value : NULL;
}

bool temporal__toml_table_find(const struct temporal__toml_value *t, const char *key,
                               size_t key_len, size_t *index_out)
{
    if (!is_table(t) || (key == NULL && key_len > 0))
        return false;
    size_t i = table_index_of(t, key != NULL ? key : "", key_len);
    if (i == SIZE_MAX)
        return false;
    if (index_out != NULL)
        *index_out = i;
    return true;
}

const struct temporal__toml_value *temporal__toml_table_get(const struct temporal__toml_value *t,
                                                            const char *key)
{
    size_t i;
    if (key == NULL || !temporal__toml_table_find(t, key, strlen(key), &i))
        return NULL;
    return t->u.tbl.items[i].value;
}

size_t temporal__toml_array_len(const struct temporal__toml_value *a)
{
    return a != NULL && a->type == TEMPORAL__TOML_ARRAY ? a->u.arr.len : 0;
}

const struct temporal__toml_value *temporal__toml_array_get(const struct temporal__toml_value *a,
                                                            size_t i)
{
    return i < temporal__toml_array_len(a) ? a->u.arr.items[i] : NULL;
}

const char *temporal__toml_get_string(const struct temporal__toml_value *v, size_t *len_out)
{
    if (v == NULL || v->type != TEMPORAL__TOML_STRING)
        return NULL;
    if (len_out != NULL)
        *len_out = v->u.str.len;
    return v->u.str.ptr;
}

int temporal__toml_get_int(const struct temporal__toml_value *v, int64_t *out)
{
    if (v == NULL || v->type != TEMPORAL__TOML_INTEGER || out == NULL)
        return TEMPORAL_EINVAL;
    *out = v->u.integer;
    return 0;
}

int temporal__toml_get_float(const struct temporal__toml_value *v, double *out)
{
    if (v == NULL || v->type != TEMPORAL__TOML_FLOAT || out == NULL)
        return TEMPORAL_EINVAL;
    *out = v->u.real;
    return 0;
}

int temporal__toml_get_bool(const struct temporal__toml_value *v, bool *out)
{
    if (v == NULL || v->type != TEMPORAL__TOML_BOOLEAN || out == NULL)
        return TEMPORAL_EINVAL;
    *out = v->u.boolean;
    return 0;
}

const struct temporal__toml_datetime *
temporal__toml_get_datetime(const struct temporal__toml_value *v)
{
    if (v == NULL)
        return NULL;
    switch (v->type) {
    case TEMPORAL__TOML_OFFSET_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATETIME:
    case TEMPORAL__TOML_LOCAL_DATE:
    case TEMPORAL__TOML_LOCAL_TIME:
        return &v->u.dt;
    default:
        return NULL;
    }
}
