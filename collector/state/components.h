/*
 * components.h - components and groups created through the v1 API, kept
 * in the store (store_components.c), joined to those of pharos.yml each
 * time the configuration is built (start, reload, an API change). The
 * file owns its own: an API row whose id the file also uses is left out
 * (with a warning), so the file's definition always wins.
 */
#ifndef PH_COMPONENTS_H
#define PH_COMPONENTS_H

#include "pharos_conf.h"

struct store;

/* Caps on what the API may create. */
#define API_COMPONENTS_MAX 1000
#define API_GROUPS_MAX 200

/* Appends the stored groups and components to cf (api_owned = 1, no
 * checks, positions after the file's). Returns 0, PH_ENOMEM or a store
 * error (then cf holds what it had). */
int components_merge(struct pharos_conf *cf, struct store *s);

/* The same in two steps, for a change whose store work runs off the loop
 * (collector/api/deferred.h): the stored rows copied into a new
 * components_rows (any thread: it touches only s), then appended to cf
 * on the loop (rows borrowed; 0 or PH_ENOMEM). Free accepts NULL. */
struct components_rows;
int components_read(struct store *s, struct components_rows **ret);
int components_merge_rows(struct pharos_conf *cf,
                          const struct components_rows *rows);
void components_rows_free(struct components_rows *rows);

#endif
