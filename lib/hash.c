/*
 * hash.c - FNV-1a 64 (hash.h).
 */
#include "hash.h"

uint64_t
ph_fnv1a64(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}
