/*
 * hash.h - FNV-1a 64, the one non-cryptographic hash of the project:
 * plan versions and ETags, document ETags, the store's id cache. Not for
 * anything an attacker chooses the input of and could make collide on
 * purpose (tokens use SHA-256, token.h).
 */
#ifndef PH_HASH_H
#define PH_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of len bytes at p. */
uint64_t ph_fnv1a64(const void *p, size_t len);

#endif
