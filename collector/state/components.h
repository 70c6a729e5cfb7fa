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

#endif
