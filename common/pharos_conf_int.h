/*
 * pharos_conf_int.h - shared between pharos_conf.c (sections, load,
 * lookups) and pharos_conf_checks.c (the check tables and their
 * cross-field validation). Not part of the public configuration API.
 */
#ifndef PH_PHAROS_CONF_INT_H
#define PH_PHAROS_CONF_INT_H

#include "pharos_conf.h"

/* A check as decoded from YAML, before validation moves it into a
 * struct check. Also holds the `defaults:` section. */
struct check_stage {
    char *id;
    char *type;
    uint32_t interval_ms;
    uint32_t timeout_ms;
    uint32_t degraded_over_ms;
    uint32_t fail_after;
    uint32_t recover_after;
    char *quorum;
    char *minority;
    char *impact;
    uint32_t cert_expiry_days;
    char *source_address;
    char *regions[CHECK_MAX_REGIONS];
    size_t nregions;
    /* http */
    char *url;
    char *method;
    char *body;
    int follow_redirects;
    int expect_status[CHECK_MAX_EXPECT_STATUS];
    size_t nexpect_status;
    struct check_header headers[CHECK_MAX_HEADERS];
    size_t nheaders;
    char *body_contains;
    char *body_not_contains;
    char *body_regex;
    char *json_path;
    char *json_equals;
    int insecure;
    char *ca_file;
    /* tcp, dns, smtp */
    char *host;
    int port;
    int tls;
    char *sni;
    char *send;
    char *expect;
    char *name;
    char *record_type;
    char *server;
    char *expect_rcode;
    char *expect_answers[CHECK_MAX_ANSWERS];
    size_t nexpect_answers;
    int implicit_tls;
    char *starttls;
    char *ehlo_name;
};

extern const struct conf_opt pc_defaults_opts[];

/* Where a secret comes from: exactly one of the three is set. */
struct token_src {
    char *sha256;
    char *file;
    char *env;
};

/* Resolves t (relative files against the config file) into the hex
 * SHA-256 out, or adds an error at node. */
void pc_resolve_token(const struct token_src *t, const struct conf_node *node,
                      const char *file, char out[65], struct conf_errs *errs);
/* Decodes the `alerts:` section (after components) into cf->alerts. */
void pc_decode_alerts(const struct conf_node *root, const char *file,
                      struct pharos_conf *cf, struct conf_errs *errs);
void pc_alerts_free(struct conf_alerts *a);

const struct conf_node *pc_find_key(const struct conf_node *map,
                                    const char *key);
/* 1 if s is 1-63 of [a-z0-9_-] (plus [A-Z.] with allow_dot_upper). */
int pc_valid_id(const char *s, int allow_dot_upper);
/* The list under key of map, with its length (at most max) in *ret_n;
 * NULL when absent or empty ("key:" with nothing under it), or after
 * reporting a non-list, an over-long list, or a missing required one. */
const struct conf_node *pc_seq_of(const struct conf_node *map,
                                  const char *key, int required, size_t max,
                                  const char *file, struct conf_errs *errs,
                                  size_t *ret_n);
int pc_in_list(const char *s, const char *const *list, size_t n);
/* Frees what a stage holds and zeroes it. */
void pc_stage_free(struct check_stage *s);
/* Decodes one check node with the defaults d into *ret. Every problem
 * goes to errs. Returns 0 or -1. */
int pc_decode_check(const struct conf_node *node, const struct check_stage *d,
                    const char *component, struct pharos_conf *cf,
                    const char *file, struct check *ret,
                    struct conf_errs *errs);

#endif
