/*
 * store_codec.h - an incident's list columns as text (store_codec.c),
 * shared by the sqlite and PostgreSQL backends.
 */
#ifndef PH_STORE_CODEC_H
#define PH_STORE_CODEC_H

#include "buf.h"
#include "incident.h"

/* Appends "a b c" (inc's component ids) to b; 0 or PH_ENOMEM. */
int store_join_components(const struct incident *inc, struct buf *b);
/* Appends u's affected components as "code old new;..." to b. */
int store_join_affected(const struct inc_update *u, struct buf *b);
/* Parses "a b c" into inc->components (capped at INC_COMPONENTS_MAX;
 * ids that do not fit are skipped); 0 or PH_ENOMEM. */
int store_split_components(struct incident *inc, const char *text);
/* Parses "code old new;..." into u->affected; bad items are skipped. */
int store_split_affected(struct inc_update *u, const char *text);

#endif
