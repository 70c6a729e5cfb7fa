/*
 * check_pack.h - a struct check kept in a few dozen bytes instead of
 * sizeof(struct check) (440), for the scheduler's idle checks (issue
 * #15: 10,000 checks in a few MB).
 *
 * The struct's own bytes are run-length coded (a check is mostly zeros:
 * the id and component id buffers, the union of every type's part, unset
 * keys); the pointers in it are kept as they are, so the strings and
 * arrays the check owns stay where they were and stay owned by the
 * packed form: unpacking gives back a struct whose pointers are those,
 * borrowed. Pure: no allocation, no I/O.
 */
#ifndef PH_CHECK_PACK_H
#define PH_CHECK_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* Bytes check_pack() writes for c (at most CHECK_PACK_MAX). */
size_t check_pack_size(const struct check *c);
/* Writes the packed form of c's bytes into out (room for CHECK_PACK_MAX
 * bytes) and returns its length, check_pack_size(c). c is borrowed;
 * what it owns is now reachable from out. */
size_t check_pack(const struct check *c, uint8_t *out);
/* Decodes the first outlen bytes of the struct packed in p[0..len) into
 * out (outlen <= sizeof(struct check); CHECK_ID_MAX gives just the id).
 * Returns 0, or PH_EINVAL if p is not a packed check. */
int check_unpack_prefix(const uint8_t *p, size_t len, void *out,
                        size_t outlen);
/* The whole check; its pointers are borrowed from the packed form. */
int check_unpack(const uint8_t *p, size_t len, struct check *out);

/* Worst case: every byte a literal, 2 bytes of header per 255. */
#define CHECK_PACK_MAX                                                      \
    (sizeof(struct check) + 2 * (sizeof(struct check) / 255 + 2))

#endif
