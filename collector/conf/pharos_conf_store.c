/*
 * pharos_conf_store.c - the top-level keys that choose the store:
 * `store:` (a postgresql:// URI; absent = sqlite in server.state_dir)
 * and `store_password_file:`. Scalars at the top level, decoded by their
 * own table from a map of just those keys of the root.
 */
#include <stddef.h>
#include <string.h>

#include "mem.h"
#include "pharos_conf.h"
#include "pharos_conf_int.h"

/* Keys at the top level whose values are scalars, not sections. */
const struct conf_opt pc_store_opts[] = {
    {"store", CONF_T_STR, offsetof(struct pharos_conf, store), NULL, 0, 0,
     0, NULL,
     "postgresql://user@host:port/db?sslmode=verify-full puts the store in "
     "PostgreSQL (default: sqlite in server.state_dir)"},
    {"store_password_file", CONF_T_STR,
     offsetof(struct pharos_conf, store_password_file), NULL, 0, 0, 0, NULL,
     "file holding the PostgreSQL password (default: PGPASSWORD or "
     "~/.pgpass)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

int
pc_is_store_key(const char *key)
{
    for (const struct conf_opt *o = pc_store_opts; o->key != NULL; o++) {
        if (strcmp(o->key, key) == 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 when the URI carries a password (user:pw@ or password=): refused, so
 * that it never sits in pharos.yml, in -nv output or in a log line. */
static int
uri_has_password(const char *uri)
{
    const char *a = strstr(uri, "://");
    size_t auth_len;
    const char *at;

    if (strstr(uri, "password=") != NULL) {
        return 1;
    }
    if (a == NULL) {
        return 0;
    }
    a += 3;
    auth_len = strcspn(a, "/?");
    at = memchr(a, '@', auth_len);
    return at != NULL && memchr(a, ':', (size_t)(at - a)) != NULL;
}

/* store: and store_password_file: are top-level scalars; they are decoded
 * by their own table from a map of just those keys of root. */
void
pc_decode_store(const struct conf_node *root, const char *file,
             struct pharos_conf *cf, struct conf_errs *errs)
{
    struct conf_node keys[2], map;
    const struct conf_node *store_node = NULL, *pw_node = NULL;
    size_t n = 0;

    memset(&map, 0, sizeof(map));
    map.type = CONF_MAP;
    map.line = root->line;
    map.col = root->col;
    for (const struct conf_node *c = root->child; c != NULL; c = c->next) {
        if (n < 2 && pc_is_store_key(c->key)) {
            keys[n] = *c;
            keys[n].next = NULL;
            if (n > 0) {
                keys[n - 1].next = &keys[n];
            }
            if (strcmp(c->key, "store") == 0) {
                store_node = c;
            } else {
                pw_node = c;
            }
            n++;
        }
    }
    if (n == 0) {
        return;
    }
    map.child = &keys[0];
    if (conf_decode(pc_store_opts, &map, cf, file, errs) != 0) {
        return;
    }
    if (cf->store != NULL) {
        if (strncmp(cf->store, "postgresql://", 13) != 0 &&
            strncmp(cf->store, "postgres://", 11) != 0) {
            conf_err(errs, file, store_node->line, store_node->col,
                     "store must be a postgresql:// URI (leave it out to "
                     "keep sqlite in server.state_dir)");
        } else if (uri_has_password(cf->store)) {
            conf_err(errs, file, store_node->line, store_node->col,
                     "store: put the password in store_password_file or "
                     "the PGPASSWORD environment variable, not in the URI");
        }
    }
    if (cf->store_password_file != NULL) {
        if (cf->store == NULL) {
            conf_err(errs, file, pw_node->line, pw_node->col,
                     "store_password_file needs store: postgresql://...");
            return;
        }
        cf->store_password = pc_read_secret_file(file, cf->store_password_file);
        if (cf->store_password == NULL) {
            conf_err(errs, file, pw_node->line, pw_node->col,
                     "cannot read store_password_file %s",
                     cf->store_password_file);
        }
    }
}

