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
/* ha: (pharos_conf_ha.c): its row's sub-table and the decoder, run after
 * the store keys. */
extern const struct conf_sub pc_ha_sub;
void pc_decode_ha(const struct conf_node *root, const char *file,
                  struct pharos_conf *cf, struct conf_errs *errs);

/* server.trusted_proxies (pharos_conf_proxies.c). */
extern const struct conf_custom pc_proxies_custom;

/* page.access and its keys (pharos_conf_access.c): the rows of
 * page_opts, and the checks run once the page and server are decoded
 * (page_node is page:, server_node is server: or NULL). */
extern const struct conf_custom pc_access_custom;
extern const struct conf_custom pc_allow_ips_custom;
void pc_validate_access(const struct conf_node *page_node,
                        const struct conf_node *server_node, const char *file,
                        struct pharos_conf *cf, struct conf_errs *errs);
#define PC_ACCESS_ROWS                                                      \
    {"access", CONF_T_ENUM, offsetof(struct conf_page, access), "public",  \
     0, 0, 0, &pc_access_custom,                                            \
     "public, password or token: who may read the page"},                  \
    {"password_sha256", CONF_T_CUSTOM,                                      \
     offsetof(struct conf_page, password_sha256), NULL, 0, 0, 0,            \
     &pc_token_hash_custom, "SHA-256 (hex) of the page password"},         \
    {"password_file", CONF_T_STR, offsetof(struct conf_page, password_file),\
     NULL, 0, 0, 0, NULL, "file holding the page password"},               \
    {"password_env", CONF_T_STR, offsetof(struct conf_page, password_env),  \
     NULL, 0, 0, 0, NULL, "environment variable holding the password"},    \
    {"session_ttl", CONF_T_DURATION,                                        \
     offsetof(struct conf_page, session_ttl_ms), "7d", 1000,                \
     30LL * 86400000, 0, NULL, "how long a viewer stays signed in"},       \
    {"allow_ips", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &pc_allow_ips_custom,    \
     "addresses or networks the page may be read from (default: any)"}

/* incidents.templates (pharos_conf_templates.c): the row's sub-table and
 * the decoder, run after components. */
extern const struct conf_sub pc_templates_sub;
void pc_decode_templates(const struct conf_node *root, const char *file,
                         struct pharos_conf *cf, struct conf_errs *errs);
/* incidents.staff (pharos_conf_staff.c). */
extern const struct conf_sub pc_staff_sub;
void pc_decode_staff(const struct conf_node *root, const char *file,
                     struct pharos_conf *cf, struct conf_errs *errs);
/* The `integrations:` section's row and decoder (pharos_conf_hooks.c),
 * decoded after components. */
extern const struct conf_sub pc_integrations_sub;
void pc_decode_integrations(const struct conf_node *root, const char *file,
                            struct pharos_conf *cf, struct conf_errs *errs);
/* depends_on and mass_failure (pharos_conf_depends.c): the component's
 * depends_on row, the mass_failure section's row, its decoding, and the
 * checks of every depends_on once components are decoded (unknown ids,
 * itself, cycles). */
extern const struct conf_custom pc_depends_custom;
extern const struct conf_sub pc_mass_failure_sub;
void pc_decode_mass_failure(const struct conf_node *root, const char *file,
                            struct pharos_conf *cf, struct conf_errs *errs);
void pc_validate_depends(const struct conf_node *root, const char *file,
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

/* The page's language and branding keys (pharos_conf_brand.c), spliced
 * into the page table. */
extern const struct conf_sub pc_header_links_sub;
extern const struct conf_sub pc_footer_links_sub;
#define PC_PAGE_BRAND_ROWS                                                 \
    {"language", CONF_T_STR, offsetof(struct conf_page, language), "en",   \
     0, 0, 0, NULL,                                                        \
     "language of the page and the emails: en, de, fr, es, pt-BR, ja, "    \
     "zh-CN"},                                                             \
    {"reader_language", CONF_T_BOOL,                                       \
     offsetof(struct conf_page, reader_language), "false", 0, 0, 0, NULL,  \
     "show the page in the reader's language (Accept-Language) when "      \
     "shipped, else in language"},                                         \
    {"brand_color_dark", CONF_T_STR,                                       \
     offsetof(struct conf_page, brand_color_dark), NULL, 0, 0, 0, NULL,    \
     "accent colour #rrggbb of the dark scheme"},                          \
    {"logo", CONF_T_STR, offsetof(struct conf_page, logo), NULL, 0, 0, 0,  \
     NULL, "logo file (PNG, JPEG, WebP or SVG; at most 256 KiB) next to "  \
     "pharos.yml"},                                                        \
    {"favicon", CONF_T_STR, offsetof(struct conf_page, favicon), NULL, 0,  \
     0, 0, NULL, "favicon file (ICO, PNG or SVG; at most 64 KiB)"},        \
    {"css", CONF_T_STR, offsetof(struct conf_page, css), NULL, 0, 0, 0,    \
     NULL, "custom CSS file loaded after the page's (at most 64 KiB)"},    \
    {"header_links", CONF_T_LIST, offsetof(struct conf_page, header_links),\
     NULL, 0, 0, 0, &pc_header_links_sub.custom,                           \
     "links in the page header (at most 8)"},                              \
    {"footer_links", CONF_T_LIST, offsetof(struct conf_page, footer_links),\
     NULL, 0, 0, 0, &pc_footer_links_sub.custom,                           \
     "links in the page footer (at most 8)"}

/* Checks the page's language and branding keys (decoded already into
 * pg from the page node n): a shipped language, colours and their
 * contrast (warnings), brand files (confined next to file, capped,
 * typed) made absolute, the link lists decoded. */
void pc_decode_page_brand(const struct conf_node *n, const char *file,
                          struct conf_page *pg, struct conf_errs *errs,
                          struct conf_errs *warns);

#endif
