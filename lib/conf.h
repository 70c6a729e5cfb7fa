/*
 * conf.h - YAML tree with source positions and a table-driven decoder.
 *
 * conf_yaml.c turns a YAML file into a tree of struct conf_node, each with
 * its line and column. conf.c decodes a mapping node into a C struct from a
 * table of struct conf_opt rows (key, type, offset, default, bounds,
 * validator, doc): defaults are applied, bounds checked, unknown keys
 * rejected, and every problem is appended to a struct conf_errs so all
 * errors are reported in one run.
 */
#ifndef PH_CONF_H
#define PH_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CONF_ERRS_MAX 64
#define CONF_ERR_MSG_MAX 256

struct conf_errs {
    char msgs[CONF_ERRS_MAX][CONF_ERR_MSG_MAX]; /* "file:line:col: msg" */
    size_t n;
    size_t dropped;                             /* beyond CONF_ERRS_MAX */
};

enum conf_node_type { CONF_SCALAR = 1, CONF_MAP, CONF_SEQ };

struct conf_node {
    enum conf_node_type type;
    int line;                 /* 1-based */
    int col;                  /* 1-based */
    char *key;                /* key when this node is a mapping value */
    int key_line;
    int key_col;
    char *value;              /* scalar text */
    struct conf_node *child;  /* first child (map values / seq items) */
    struct conf_node *next;   /* next sibling */
};

enum conf_type {
    CONF_T_STR = 1,   /* char *, ph_strdup'ed */
    CONF_T_INT,       /* int */
    CONF_T_UINT32,    /* uint32_t */
    CONF_T_BOOL,      /* int 0/1 */
    CONF_T_DURATION,  /* uint32_t milliseconds: "500ms", "5s", "2m", "1h", "7d" */
    CONF_T_CUSTOM,    /* handled by the row's struct conf_custom alone */
    CONF_T_ENUM,      /* int: index into custom->names */
    CONF_T_DAYS,      /* uint32_t whole days, given as a duration: "7d" */
    CONF_T_MAP,       /* a mapping of the keys of another table; custom
                         points at the custom of a struct conf_sub */
    CONF_T_LIST,      /* a list of such mappings (struct conf_sub too) */
};

struct conf_opt;

/*
 * What a CONF_T_CUSTOM row does beyond the engine's types; any callback may
 * be NULL (then the engine does nothing for that step). base is the struct
 * the table describes. decode returns 0, or adds an error to errs and
 * returns -1; copy gets dst as a shallow copy of src and replaces what it
 * owns with copies, returning 0 or -1 (then dst must still be freeable).
 * For CONF_T_ENUM rows only names is used.
 */
struct conf_custom {
    int (*decode)(const struct conf_opt *opt, const struct conf_node *node,
                  void *base, const char *file, struct conf_errs *errs);
    void (*print)(const struct conf_opt *opt, const void *base,
                  const char *indent, struct buf *out);
    void (*release)(const struct conf_opt *opt, void *base);
    int (*copy)(const struct conf_opt *opt, void *dst, const void *src);
    int (*equal)(const struct conf_opt *opt, const void *a, const void *b);
    const char *const *names;     /* CONF_T_ENUM: NULL-terminated */
};

/*
 * The value of a CONF_T_MAP or CONF_T_LIST row: the table of its keys, so
 * that --help-config, printing, freeing, copying and comparing walk the
 * same rows as decoding. A MAP's struct is at the row's offset; a LIST's
 * items are an array (pointer at the row's offset, size_t count at
 * count_offset) of size bytes each. The engine does not decode these rows
 * (their sections check across keys and sections): custom.decode, when
 * set, is called as for a CONF_T_CUSTOM row. custom.print, when set,
 * replaces the engine's print.
 */
#define CONF_SUB_OMIT_DEFAULT 1 /* MAP: not printed while all default */
#define CONF_SUB_UNSTORED 2     /* not kept in the struct (e.g. defaults
                                   expanded into every check): only decode
                                   and help see it */

struct conf_sub {
    struct conf_custom custom;   /* first: a row's custom points here */
    const struct conf_opt *opts;
    size_t size;                 /* one item (LIST) or the struct (MAP) */
    size_t count_offset;         /* LIST: the size_t count */
    int flags;                   /* CONF_SUB_* */
};

struct conf_opt {
    const char *key;
    enum conf_type type;
    size_t offset;
    const char *def;          /* default as text, or NULL for none */
    int64_t min;              /* bounds for numbers and durations (ms) */
    int64_t max;
    int required;
    const struct conf_custom *custom; /* CONF_T_CUSTOM, _ENUM, _MAP, _LIST */
    const char *doc;          /* one line, for --help-config */
};

/* One table of a mapping whose keys come from several tables (a check:
 * the keys every check has, then its type's). With keep set, a missing
 * key leaves the field as it is instead of applying the row's default
 * (the field was filled beforehand, e.g. from a `defaults:` section). */
struct conf_part {
    const struct conf_opt *opts;
    int keep;
};

/* Parses file into a tree (returns new; free with conf_node_free).
 * On a YAML syntax error returns NULL and adds file:line:col to errs. */
struct conf_node *conf_yaml_load(const char *file, struct conf_errs *errs);
/* Same, from memory (name is used in messages). */
struct conf_node *conf_yaml_parse(const char *name, const char *text,
                                  size_t len, struct conf_errs *errs);
void conf_node_free(struct conf_node *n);

/* Decodes map node into base per the NULL-key-terminated table opts. */
int conf_decode(const struct conf_opt *opts, const struct conf_node *map,
                void *base, const char *file, struct conf_errs *errs);
/* Decodes map into base per the tables parts[0..n): a key is known when
 * any table has it; rows are handled table by table, in order. */
int conf_decode_parts(const struct conf_part *parts, size_t n,
                      const struct conf_node *map, void *base,
                      const char *file, struct conf_errs *errs);
/* 1 when map has every required key of the tables. */
int conf_has_required(const struct conf_part *parts, size_t n,
                      const struct conf_node *map);
/* Frees the CONF_T_STR fields of base described by opts. */
void conf_free_strings(const struct conf_opt *opts, void *base);
/* Frees what base owns per opts: strings, MAP and LIST rows (their
 * arrays too) and custom rows' release; freed pointers are NULLed. */
void conf_free_fields(const struct conf_opt *opts, void *base);
/* dst is a shallow copy of src: gives dst its own copies of what opts
 * says src owns. Returns 0 or PH_ENOMEM (dst stays freeable). */
int conf_copy_fields(const struct conf_opt *opts, void *dst,
                     const void *src);
/* 1 when every field of opts is equal in a and b. */
int conf_equal_fields(const struct conf_opt *opts, const void *a,
                      const void *b);

/*
 * Writes base as YAML, one "key: value" line per row of opts in table
 * order: strings double-quoted (none when NULL), durations in ms, days as
 * "<n>d", enums by name, custom rows through their print. A MAP row is
 * "key:" with its keys two columns in; a LIST row "key:" with one "- "
 * item per entry, nothing when empty. Lines are prefixed by *indent;
 * after the first line, *indent is set to next (so a list item starts
 * "  - " and goes on "    "). Secrets never have a row that prints them.
 */
void conf_print(const struct conf_opt *opts, const void *base,
                const char **indent, const char *next, struct buf *out);
/* A scalar or a list of scalars at node into out[0..max) (returns new
 * strings in out, their count in *ret_n). Returns 0, or adds an error
 * naming what and returns -1 (then nothing is left to free). */
int conf_string_list(const struct conf_node *node, char **out, size_t max,
                     size_t *ret_n, const char *what, const char *file,
                     struct conf_errs *errs);
/* Writes "<indent><key>: ["a", "b"]", nothing when n is 0. */
void conf_print_list(struct buf *out, const char *indent, const char *key,
                     const char *const *items, size_t n);
/* Appends s as a double-quoted YAML scalar. */
void conf_print_quoted(struct buf *out, const char *s);

/* Appends "file:line:col: msg" to errs. */
void conf_err(struct conf_errs *errs, const char *file, int line, int col,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The candidate nearest to word (Damerau-Levenshtein distance) when it
 * is close enough to be a typo of it, else NULL. Borrows all; returns one
 * of the candidates. */
const char *conf_suggest(const char *word, const char *const *cands,
                         size_t n);
/* Same over the keys of the NULL-key-terminated table opts. */
const char *conf_suggest_opt(const struct conf_opt *opts, const char *word);
/* Appends "unknown <what> '<word>'", with "; did you mean '<suggestion>'?"
 * when suggestion is not NULL. */
void conf_err_unknown(struct conf_errs *errs, const char *file, int line,
                      int col, const char *what, const char *word,
                      const char *suggestion);

/* Helpers for values. Return 0 or -1. */
int conf_parse_duration_ms(const char *s, uint32_t *ret_ms);
int conf_parse_bool(const char *s, int *ret);

/* Writes one line per option: "key (type, default X): doc", each prefixed
 * by prefix; the keys of a MAP or LIST row follow it as "key.sub" or
 * "key[].sub". */
void conf_help(const struct conf_opt *opts, const char *prefix,
               struct buf *out);

#endif
