#include "idmap.h"

#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int
put(struct idmap *m, const char *key, int val)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);

    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], key) == 0) {
            return PH_EEXIST;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return 0;
}

static int
alloc(struct idmap *m, size_t n)
{
    m->count = 0;
    m->cap = 16;
    while (m->cap < n * 2) {
        m->cap *= 2;
    }
    m->keys = ph_calloc(m->cap, sizeof(*m->keys));
    m->vals = ph_calloc(m->cap, sizeof(*m->vals));
    if (m->keys == NULL || m->vals == NULL) {
        idmap_free(m);
        return PH_ENOMEM;
    }
    return 0;
}

int
idmap_init(struct idmap *m, const char *const *keys, size_t n)
{
    int rc = alloc(m, n);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = put(m, keys[i], (int)i);
    }
    if (rc != 0) {
        idmap_free(m);
    }
    return rc;
}

int
idmap_init_stride(struct idmap *m, const void *base, size_t n, size_t stride,
                  size_t offset, int is_ptr)
{
    const char *p = base;
    int rc = alloc(m, n);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *field = p + i * stride + offset;
        const char *key;

        if (is_ptr) {
            memcpy(&key, field, sizeof(key));
        } else {
            key = field;
        }
        rc = put(m, key, (int)i);
    }
    if (rc != 0) {
        idmap_free(m);
    }
    return rc;
}

int
idmap_add(struct idmap *m, const char *key, int val)
{
    if ((m->count + 1) * 2 > m->cap) {
        struct idmap old = *m;
        int rc = alloc(m, m->count + 1 > 8 ? m->count + 1 : 8);

        if (rc != 0) {
            *m = old;
            return rc;
        }
        for (size_t i = 0; i < old.cap; i++) {
            if (old.keys[i] != NULL) {
                (void)put(m, old.keys[i], old.vals[i]);
            }
        }
        idmap_free(&old);
    }
    return put(m, key, val);
}

void
idmap_reset(struct idmap *m)
{
    if (m->cap > 0) {
        memset(m->keys, 0, m->cap * sizeof(*m->keys));
    }
    m->count = 0;
}

void
idmap_free(struct idmap *m)
{
    ph_free(m->keys);
    ph_free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
    m->count = 0;
}

int
idmap_get(const struct idmap *m, const char *key)
{
    size_t i;

    if (m->cap == 0) {
        return -1;
    }
    i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], key) == 0) {
            return m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}
