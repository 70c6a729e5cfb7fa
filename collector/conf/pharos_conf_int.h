/*
 * pharos_conf_int.h - shared between pharos_conf.c (sections, load,
 * lookups) and pharos_conf_checks.c (the check tables and their
 * cross-field validation). Not part of the public configuration API.
 */
#ifndef PH_PHAROS_CONF_INT_H
#define PH_PHAROS_CONF_INT_H

#include "pharos_conf.h"

/* The sections of pharos.yml, in the order they are printed: decoded
 * section by section (pharos_conf.c), printed and listed for
 * --help-config by walking this table (pharos_conf_print.c). */
extern const struct conf_opt pc_root_opts[];
/* The top-level scalars (store:, store_password_file:), in
 * pharos_conf_store.c: their table, whether key is one of them, and
 * their decoding from the root map (after the other sections). */
extern const struct conf_opt pc_store_opts[];
int pc_is_store_key(const char *key);
void pc_decode_store(const struct conf_node *root, const char *file,
                     struct pharos_conf *cf, struct conf_errs *errs);
/* The first line of the file at p (relative to conf_file), new; NULL
 * when it cannot be read. */
char *pc_read_secret_file(const char *conf_file, const char *p);

/* The rows of a secret given as token_sha256, token_file or token_env
 * (exactly one) in struct type; what names what the token is for. Only
 * token_sha256 is printed: pc_resolve_token() leaves the others NULL. */
extern const struct conf_custom pc_token_hash_custom;
#define PC_TOKEN_ROWS(type, what)                                          \
    {"token_sha256", CONF_T_CUSTOM, offsetof(type, token_sha256), NULL, 0, \
     0, 0, &pc_token_hash_custom, "SHA-256 (hex) of " what},               \
    {"token_file", CONF_T_STR, offsetof(type, token_file), NULL, 0, 0, 0,  \
     NULL, "file holding " what},                                          \
    {"token_env", CONF_T_STR, offsetof(type, token_env), NULL, 0, 0, 0,    \
     NULL, "environment variable holding " what}

/* Resolves the token given by exactly one of sha256 (decoded already),
 * *tfile (relative to the config file) or *tenv into sha256, or adds an
 * error at node; then frees *tfile and *tenv and NULLs them. */
void pc_resolve_token(char sha256[65], char **tfile, char **tenv,
                      const struct conf_node *node, const char *file,
                      struct conf_errs *errs);
/* The `alerts:` section's row (a MAP of struct conf_alerts). */
extern const struct conf_sub pc_alerts_sub;
/* Decodes the `alerts:` section (after components) into cf->alerts. */
void pc_decode_alerts(const struct conf_node *root, const char *file,
                      struct pharos_conf *cf, struct conf_errs *errs);
/* The `checks:` row of a component: prints c->checks by their tables. */
extern const struct conf_custom pc_checks_custom;

/* p relative to the directory of the config file conf_path (returns new,
 * or NULL when out of memory). */
char *pc_relative_path(const char *conf_path, const char *p);
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
