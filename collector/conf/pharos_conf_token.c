/*
 * pharos_conf_token.c - secrets in pharos.yml (agents, api_keys,
 * alerts.tokens): exactly one of token_sha256, token_file or token_env,
 * resolved into the hex SHA-256 the collector compares with. Only the
 * hash is kept and printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "token.h"
#include "pharos_conf_int.h"

/* token_sha256: checked and kept as given (lowercase hex). */
static int
hash_row_decode(const struct conf_opt *o, const struct conf_node *n,
                  void *base, const char *file, struct conf_errs *errs)
{
    char *out = (char *)base + o->offset;

    if (n->type != CONF_SCALAR || !token_hash_valid(n->value)) {
        conf_err(errs, file, n->line, n->col,
                 "token_sha256 must be 64 lowercase hex digits");
        return -1;
    }
    memcpy(out, n->value, 65);
    return 0;
}

static void
hash_row_print(const struct conf_opt *o, const void *base,
                 const char *indent, struct buf *out)
{
    const char *hash = (const char *)base + o->offset;

    if (hash[0] != '\0') {
        buf_printf(out, "%s%s: ", indent, o->key);
        conf_print_quoted(out, hash);
        buf_appends(out, "\n");
    }
}

static int
hash_row_equal(const struct conf_opt *o, const void *a, const void *b)
{
    return strcmp((const char *)a + o->offset, (const char *)b + o->offset) ==
           0;
}

const struct conf_custom pc_token_hash_custom = {
    .decode = hash_row_decode,
    .print = hash_row_print,
    .equal = hash_row_equal,
};

void
pc_resolve_token(char sha256[65], char **tfile, char **tenv,
                 const struct conf_node *node, const char *file,
                 struct conf_errs *errs)
{
    int n = (sha256[0] != '\0') + (*tfile != NULL) + (*tenv != NULL);
    char tok[TOKEN_MAX + 2];

    tok[0] = '\0';
    if (n != 1) {
        sha256[0] = '\0';
        conf_err(errs, file, node->line, node->col,
                 "exactly one of token_sha256, token_file or token_env is "
                 "required");
        goto out;
    }
    if (sha256[0] != '\0') {
        goto out; /* checked by hash_row_decode */
    }
    if (*tfile != NULL) {
        char *path = pc_relative_path(file, *tfile);
        FILE *f = path ? fopen(path, "r") : NULL;
        size_t len;

        if (f == NULL || fgets(tok, sizeof(tok), f) == NULL) {
            conf_err(errs, file, node->line, node->col,
                     "cannot read token_file %s", path ? path : *tfile);
            if (f != NULL) {
                fclose(f);
            }
            ph_free(path);
            goto out;
        }
        fclose(f);
        ph_free(path);
        len = strcspn(tok, "\r\n");
        tok[len] = '\0';
    } else {
        const char *v = getenv(*tenv);
        if (v == NULL || v[0] == '\0' || strlen(v) > TOKEN_MAX) {
            conf_err(errs, file, node->line, node->col,
                     "environment variable %s is not set", *tenv);
            goto out;
        }
        snprintf(tok, sizeof(tok), "%s", v);
    }
    if (strlen(tok) < 16 || strlen(tok) > TOKEN_MAX) {
        conf_err(errs, file, node->line, node->col,
                 "token must be 16 to %d characters", TOKEN_MAX);
        goto out;
    }
    token_hash(tok, strlen(tok), sha256);
out:
    memset(tok, 0, sizeof(tok));
    ph_free(*tfile);
    ph_free(*tenv);
    *tfile = NULL;
    *tenv = NULL;
}
