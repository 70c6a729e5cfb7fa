/*
 * pharos_conf_ha.c - the `ha:` section of pharos.yml: several collectors
 * on one PostgreSQL, one leader (collector/ha/): its key table, printed
 * only when present, and its rules.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "pharos_conf_int.h"

static const struct conf_opt ha_opts[] = {
    {"database", CONF_T_STR, offsetof(struct conf_ha, database), NULL, 0, 0,
     0, NULL,
     "PostgreSQL holding the lease (libpq conninfo or postgresql:// URI; "
     "default the store: database, required without it; the password "
     "from passfile= or PGPASSWORD, not inline)"},
    {"lease", CONF_T_DURATION, offsetof(struct conf_ha, lease_ms), "10s",
     1000, 300000, 0, NULL,
     "how long a leader's lease lasts; a dead leader is replaced within "
     "lease + 2 s"},
    {"node_id", CONF_T_STR, offsetof(struct conf_ha, node_id), NULL, 0, 0, 0,
     NULL, "this collector's name in the lease (default: the host name)"},
    {"advertise_url", CONF_T_STR, offsetof(struct conf_ha, advertise_url),
     NULL, 0, 0, 0, NULL,
     "how the other collectors reach this one: a follower forwards API "
     "writes to the leader's (default http://<server.listen>, a wildcard "
     "address replaced by node_id)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* Printed only when present, so configurations without HA print as
 * before. */
const struct conf_sub pc_ha_sub = {
    .opts = ha_opts,
    .size = sizeof(struct conf_ha),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

/* ha: present means enabled, and then database is required unless the
 * store is PostgreSQL (the lease and the shared documents then live in
 * the store's database, with its password). node_id defaults to the
 * host name. Runs after pc_decode_store(). */
void
pc_decode_ha(const struct conf_node *root, const char *file,
          struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *n = pc_find_key(root, "ha");
    struct conf_ha *ha = &cf->ha;
    char host[256];

    if (n == NULL) {
        ha->lease_ms = 10000;
        return;
    }
    if (n->type != CONF_MAP) {
        conf_err(errs, file, n->line, n->col, "'ha' must be a mapping");
        return;
    }
    if (conf_decode(ha_opts, n, ha, file, errs) != 0) {
        return;
    }
    ha->enabled = 1;
    if ((ha->database == NULL || ha->database[0] == '\0') &&
        cf->store == NULL) {
        conf_err(errs, file, n->line, n->col,
                 "ha: missing required key 'database' (where the lease "
                 "lives; optional with store: postgresql://...)");
    }
    if (ha->node_id == NULL) {
        if (gethostname(host, sizeof(host)) != 0) {
            snprintf(host, sizeof(host), "collector");
        }
        host[sizeof(host) - 1] = '\0';
        host[63] = '\0'; /* a long FQDN: its first 63 characters */
        ha->node_id = ph_strdup(host);
    } else if (!pc_valid_id(ha->node_id, 1)) {
        conf_err(errs, file, n->line, n->col,
                 "ha: node_id '%s' must be 1-63 of [A-Za-z0-9._-]",
                 ha->node_id);
    }
    if (ha->advertise_url != NULL &&
        ((strncmp(ha->advertise_url, "http://", 7) != 0 &&
          strncmp(ha->advertise_url, "https://", 8) != 0) ||
         strlen(ha->advertise_url) > 200 ||
         strpbrk(ha->advertise_url, " \t\r\n?#") != NULL)) {
        conf_err(errs, file, n->line, n->col,
                 "ha: advertise_url must be an http:// or https:// base URL "
                 "(no query, at most 200 bytes)");
    }
}
