/*
 * pharos_conf_staff.c - incidents.staff in pharos.yml: the responders'
 * channels (Slack incoming webhook, signed webhook, email) that get a
 * reminder when an incident is overdue for an update. Never the public
 * subscribers. A webhook's signing secret comes from a file.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "pharos_conf_int.h"

/* In the order of enum notify_kind. */
static const char *const kind_names[] = {"email", "webhook", "slack", NULL};
static const struct conf_custom kind_custom = {.names = kind_names};

static void
secret_release(const struct conf_opt *o, void *base)
{
    struct conf_staff *s = base;

    (void)o;
    if (s->secret != NULL) {
        memset(s->secret, 0, strlen(s->secret));
        ph_free(s->secret);
        s->secret = NULL;
    }
}

static int
secret_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_staff *d = dst;
    const struct conf_staff *s = src;

    (void)o;
    d->secret = NULL;
    return s->secret != NULL && (d->secret = ph_strdup(s->secret)) == NULL
               ? -1
               : 0;
}

static int
secret_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_staff *x = a, *y = b;

    (void)o;
    return (x->secret == NULL || y->secret == NULL)
               ? x->secret == y->secret
               : strcmp(x->secret, y->secret) == 0;
}

static int
secret_refuse(const struct conf_opt *o, const struct conf_node *n,
              void *base, const char *file, struct conf_errs *errs)
{
    (void)o;
    (void)base;
    conf_err(errs, file, n->line, n->col,
             "an inline secret is not accepted: use secret_file");
    return -1;
}

/* Holds the resolved secret; never printed. */
static const struct conf_custom secret_custom = {
    .decode = secret_refuse,
    .release = secret_release,
    .copy = secret_copy,
    .equal = secret_equal,
};

static const struct conf_opt staff_opts[] = {
    {"kind", CONF_T_ENUM, offsetof(struct conf_staff, kind), NULL, 0, 0, 1,
     &kind_custom, "slack, webhook or email"},
    {"address", CONF_T_STR, offsetof(struct conf_staff, address), NULL, 0, 0,
     1, NULL, "the Slack or webhook URL, or the email address"},
    {"secret_file", CONF_T_STR, offsetof(struct conf_staff, secret_file),
     NULL, 0, 0, 0, NULL, "webhook: file holding its whsec_ signing secret"},
    {"secret", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &secret_custom,
     "refused: the secret comes from secret_file"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct conf_sub pc_staff_sub = {
    .opts = staff_opts,
    .size = sizeof(struct conf_staff),
    .count_offset = offsetof(struct pharos_conf, nstaff),
};

static char *
read_line(const char *conf_file, const char *p)
{
    char *path = pc_relative_path(conf_file, p);
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    char line[256];
    char *out = NULL;

    if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        out = ph_strdup(line);
    }
    memset(line, 0, sizeof(line));
    if (f != NULL) {
        fclose(f);
    }
    ph_free(path);
    return out;
}

static void
check_one(struct conf_staff *s, const struct conf_node *n, const char *file,
          struct conf_errs *errs)
{
    if (s->address == NULL) {
        return;
    }
    if (s->kind == 0) {
        if (strchr(s->address, '@') == NULL || strlen(s->address) > 254) {
            conf_err(errs, file, n->line, n->col,
                     "staff: '%s' is not an email address", s->address);
        }
    } else if ((strncmp(s->address, "https://", 8) != 0 &&
                strncmp(s->address, "http://", 7) != 0) ||
               strlen(s->address) > 1000) {
        conf_err(errs, file, n->line, n->col,
                 "staff: address must be an http(s) URL");
    }
    if (s->kind == 1) {
        if (s->secret_file == NULL) {
            conf_err(errs, file, n->line, n->col,
                     "staff: a webhook needs secret_file (whsec_...)");
            return;
        }
        s->secret = read_line(file, s->secret_file);
        if (s->secret == NULL || strncmp(s->secret, "whsec_", 6) != 0) {
            conf_err(errs, file, n->line, n->col,
                     "staff: secret_file %s must hold a whsec_ secret",
                     s->secret_file);
        }
    } else if (s->secret_file != NULL) {
        conf_err(errs, file, n->line, n->col,
                 "staff: secret_file is for webhooks only");
    }
}

void
pc_decode_staff(const struct conf_node *root, const char *file,
                struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *inc = pc_find_key(root, "incidents");
    const struct conf_node *list;
    size_t count = 0;

    if (inc == NULL || inc->type != CONF_MAP) {
        return;
    }
    list = pc_seq_of(inc, "staff", 0, CONF_STAFF_MAX, file, errs, &count);
    if (list == NULL) {
        return;
    }
    cf->staff = ph_calloc(count, sizeof(*cf->staff));
    if (cf->staff == NULL) {
        conf_err(errs, file, list->line, list->col, "out of memory");
        return;
    }
    for (const struct conf_node *i = list->child; i; i = i->next) {
        struct conf_staff *s = &cf->staff[cf->nstaff++];

        if (conf_decode(staff_opts, i, s, file, errs) == 0) {
            check_one(s, i, file, errs);
        }
    }
}
