/*
 * idmap.h - a string -> index map (open addressing, FNV-1a), built once
 * from a list of ids and read on hot paths such as ingest, or grown one
 * key at a time (idmap_add: the public documents by path). Keys are
 * borrowed: they must outlive the map and not move.
 */
#ifndef PH_IDMAP_H
#define PH_IDMAP_H

#include <stddef.h>

struct idmap {
    const char **keys;
    int *vals;
    size_t cap;       /* power of two, at least 2 x count; 0: empty */
    size_t count;
};

/* Builds the map for keys[0..n) -> 0..n-1. Returns 0, PH_ENOMEM or
 * PH_EEXIST (a duplicate key). */
int idmap_init(struct idmap *m, const char *const *keys, size_t n);
/* Same, for keys found at a fixed stride inside an array of structs. */
int idmap_init_stride(struct idmap *m, const void *base, size_t n,
                      size_t stride, size_t offset, int is_ptr);
/* Adds key -> val to m (zeroed, built, or reset): it grows as needed.
 * Returns 0, PH_ENOMEM or PH_EEXIST. */
int idmap_add(struct idmap *m, const char *key, int val);
/* Empties m, keeping its memory. */
void idmap_reset(struct idmap *m);
void idmap_free(struct idmap *m);
/* Returns the index of key, or -1. */
int idmap_get(const struct idmap *m, const char *key);

#endif
