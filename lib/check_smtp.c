/*
 * check_smtp.c - the smtp check type: greeting, EHLO, STARTTLS (the
 * struct is in check_smtp.h, the probe agent/probe/probe_smtp.c; the key
 * table also carries the check on the wire, lib/wire.c).
 */
#include "check.h"
#include "conf.h"

/* Indexed by enum smtp_starttls. */
static const char *const starttls_names[] = {"optional", "required", "off",
                                             NULL};
static const struct conf_custom starttls_enum = {NULL, NULL, NULL,
                                                 NULL, NULL, starttls_names};

#define S(field) offsetof(struct check, u.smtp.field)

static const struct conf_opt smtp_opts[] = {
    {"host", CONF_T_STR, S(host), NULL, 0, 0, 1, NULL, "mail server"},
    {"port", CONF_T_INT, S(port), NULL, 1, 65535, 0, NULL,
     "default 25, or 465 with implicit_tls"},
    {"implicit_tls", CONF_T_BOOL, S(implicit_tls), "false", 0, 0, 0, NULL,
     "TLS from the first byte (port 465)"},
    {"starttls", CONF_T_ENUM, S(starttls), "optional", 0, 0, 0,
     &starttls_enum, "required, optional or off"},
    {"insecure", CONF_T_BOOL, S(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, S(ca_file), NULL, 0, 0, 0, NULL, "CA bundle"},
    {"ehlo_name", CONF_T_STR, S(ehlo_name), NULL, 0, 0, 0, NULL,
     "name sent in EHLO"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
smtp_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    (void)node;
    (void)file;
    (void)errs;
    if (c->u.smtp.port == 0) {
        c->u.smtp.port = c->u.smtp.implicit_tls ? 465 : 25;
    }
    return 0;
}

const struct check_kind check_smtp_kind = {"smtp", CHECK_SMTP, smtp_opts,
                                           smtp_finish};
