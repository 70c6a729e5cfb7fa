/*
 * check_http_spec.h - the multi-step and assertion keys of an http check:
 * `secrets:`, `steps:` (at most HTTP_STEPS_MAX requests, each with
 * `extract:` and `assert:`) and `assert:` on a plain check. Their key
 * tables, the rules across keys (variables defined before use, at most
 * ten steps, valid operators and JSONPaths, errors as file:line:col), and
 * their text form in the agent plan (the same YAML the config printer
 * writes, decoded by the same tables).
 *
 * Ownership: every pointer in these structs is owned by the struct check
 * that holds them and freed by check_free() through the key tables.
 */
#ifndef PH_CHECK_HTTP_SPEC_H
#define PH_CHECK_HTTP_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "conf.h"

#define HTTP_STEPS_MAX 10
#define HTTP_ASSERTS_MAX 32  /* per step, and on a plain check */
#define HTTP_EXTRACTS_MAX 16 /* per step */
#define HTTP_SECRETS_MAX 16
#define HTTP_SPEC_TEXT_MAX (256 * 1024) /* the plan's text form */
/* In the plan, the url of a check with steps carries this prefix: an
 * agent that predates steps ignores the spec field and would probe the
 * bare url as a single GET, reporting a false "up"; with the prefix its
 * libcurl refuses the scheme and the check is down until it is
 * upgraded. */
#define HTTP_STEPS_URL_PREFIX "pharos-steps+"

struct http_kv {
    char *name;
    char *value;
};

struct http_kvs {
    struct http_kv *kv; /* n entries, owned */
    size_t n;
};

struct http_statuses {
    int v[CHECK_MAX_EXPECT_STATUS];
    size_t n; /* 0 means 200-399 */
};

/* One assertion: a JSON value (json: $.path) or a header (header: Name)
 * judged by op (enum assert_op) against value (may hold {{var}}). */
struct http_assert {
    char *json;
    char *header;
    int op;
    char *value;
};

/* One variable taken from a response: the JSON value at json, or the
 * header's value, or the body; regex (POSIX ERE) then keeps its first
 * group (or the whole match when it has none). */
struct http_extract {
    char *var;
    char *json;
    char *header;
    char *regex;
    int secret; /* masked in results like a secret */
};

struct http_step {
    char *name;   /* NULL: "step N" */
    char *method; /* NULL: GET, or POST with a body */
    char *url;    /* NULL: the check's url */
    struct http_kvs headers;
    char *body;
    uint32_t timeout_ms; /* 0: what is left of the check's */
    struct http_statuses expect_status;
    char *body_regex;
    uint32_t max_latency_ms; /* 0: off */
    struct http_extract *extract;
    size_t nextract;
    struct http_assert *asserts;
    size_t nasserts;
};

/* A value read by the agent when the check runs, from its environment or
 * a file (first line, trailing newline removed); never in the plan. */
struct http_secret {
    char *name;
    char *env;
    char *file;
};

/* The value of a LIST row of these tables: the engine's conf_sub first
 * (a row's custom points at sub.custom), the item cap, and the rules of
 * one item, checked as it is decoded. */
struct http_spec_sub {
    struct conf_sub sub;
    size_t max;
    const char *what; /* "steps", for messages */
    void (*item_check)(void *item, size_t index, const struct conf_node *node,
                       const char *file, struct conf_errs *errs);
};

/* The values of the http table's rows `secrets`, `steps` and `assert`:
 * {"steps", CONF_T_LIST, H(steps), ..., &http_steps_spec.sub.custom}. */
extern const struct http_spec_sub http_secrets_spec;
extern const struct http_spec_sub http_steps_spec;
extern const struct http_spec_sub http_asserts_spec;

/*
 * The rules across keys, after decoding the check at node: variables
 * used before a step or secret defines them, steps combined with the
 * keys of a single request, secrets without steps. Adds errors as
 * file:line:col: check '<id>': ...; returns 0 or -1.
 */
int check_http_spec_finish(struct check *c, const struct conf_node *node,
                           const char *file, struct conf_errs *errs);

/* 1 when c has steps, assertions or secrets (what the plan's spec text
 * carries). */
int check_http_spec_present(const struct check *c);

/* The secrets, steps and assert keys of c as YAML (the plan's text form;
 * secrets by reference only) in *ret (returns new; free with ph_free),
 * its length in *ret_len. Returns 0, PH_ETOOBIG over HTTP_SPEC_TEXT_MAX
 * bytes, or PH_ENOMEM. */
int check_http_spec_print(const struct check *c, char **ret, size_t *ret_len);

/*
 * Decodes text (len bytes, borrowed) from check_http_spec_print() into
 * c's secrets, steps and assert, with the same rules as the config.
 * Returns 0, or PH_EPROTO with the first problem in err.
 */
int check_http_spec_load(struct check *c, const char *text, size_t len,
                         char *err, size_t errlen);

#endif
