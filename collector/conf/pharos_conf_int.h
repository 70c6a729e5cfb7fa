/*
 * pharos_conf_int.h - shared between pharos_conf.c (sections, load,
 * lookups) and pharos_conf_checks.c (the check tables and their
 * cross-field validation). Not part of the public configuration API.
 */
#ifndef PH_PHAROS_CONF_INT_H
#define PH_PHAROS_CONF_INT_H

#include "pharos_conf.h"

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
/* Decodes the `defaults:` section (node may be NULL) into *ret: the keys
 * every check has, with their defaults. Free with check_free(). */
void pc_decode_defaults(const struct conf_node *node, const char *file,
                        struct check *ret, struct conf_errs *errs);
/* Decodes one check node over the defaults d into *ret. Every problem
 * goes to errs. Returns 0, or -1 (then *ret holds nothing). */
int pc_decode_check(const struct conf_node *node, const struct check *d,
                    const char *component, struct pharos_conf *cf,
                    const char *file, struct check *ret,
                    struct conf_errs *errs);

#endif
