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
/* With the rows, the stored manual overrides of ids and of the rows'
 * components (any thread), so the rebuild's restore reads no store on
 * the loop. 0 or PH_ENOMEM. */
int components_read_overrides(struct store *s, struct components_rows *rows,
                              const char *const *ids, size_t nids);
/* The stored override value of id as read: 0 (into ret), PH_ENOENT (read,
 * none), or 1 when it was not read with the rows. */
int components_rows_override(const struct components_rows *rows,
                             const char *id, char *ret, size_t len);
/* An override kept while rows wait for their rebuild (hub.c): the
 * value the restore will see for id, if it was read. */
void components_rows_set_override(struct components_rows *rows,
                                  const char *id, const char *val);

#endif
