/*
 * idmap.h - a fixed-size string -> index map (open addressing, FNV-1a),
 * built once from a list of ids and read on hot paths such as ingest.
 * Keys are borrowed: they must outlive the map.
 */
#ifndef PH_IDMAP_H
#define PH_IDMAP_H

#include <stddef.h>

struct idmap {
    const char **keys;
    int *vals;
    size_t cap;       /* power of two, at least 2 x count */
};

/* Builds the map for keys[0..n) -> 0..n-1. Returns 0, PH_ENOMEM or
 * PH_EEXIST (a duplicate key). */
int idmap_init(struct idmap *m, const char *const *keys, size_t n);
/* Same, for keys found at a fixed stride inside an array of structs. */
int idmap_init_stride(struct idmap *m, const void *base, size_t n,
                      size_t stride, size_t offset, int is_ptr);
void idmap_free(struct idmap *m);
/* Returns the index of key, or -1. */
int idmap_get(const struct idmap *m, const char *key);

#endif
