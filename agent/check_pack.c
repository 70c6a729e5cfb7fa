/*
 * check_pack.c - run-length coding of a struct check's bytes
 * (check_pack.h). The form is a list of tokens, each a count of zero
 * bytes (0-255), a count of literal bytes (0-255), then those literals,
 * until sizeof(struct check) bytes are described. Short zero runs inside
 * literals stay literals: a new token costs two bytes.
 */
#include "check_pack.h"

#include <string.h>

#include "ph_err.h"

/* A zero run shorter than this is cheaper kept among literals. */
#define MIN_ZERO_RUN 3

/* Walks the tokens of c's bytes; writes them to out unless NULL.
 * Returns the length of the packed form. */
static size_t
encode(const uint8_t *b, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        size_t z = 0, l = 0;

        while (i + z < n && b[i + z] == 0 && z < 255) {
            z++;
        }
        i += z;
        while (i + l < n && l < 255) {
            size_t run = 0;

            while (i + l + run < n && b[i + l + run] == 0 &&
                   run < MIN_ZERO_RUN) {
                run++;
            }
            /* A long zero run (or the zeros at the end) starts the
             * next token. */
            if (run == MIN_ZERO_RUN || (run > 0 && i + l + run == n)) {
                break;
            }
            l += run > 0 ? run : 1;
            if (l > 255) {
                l = 255;
            }
        }
        if (out != NULL) {
            out[o] = (uint8_t)z;
            out[o + 1] = (uint8_t)l;
            memcpy(out + o + 2, b + i, l);
        }
        o += 2 + l;
        i += l;
    }
    return o;
}

size_t
check_pack_size(const struct check *c)
{
    return encode((const uint8_t *)c, sizeof(*c), NULL);
}

size_t
check_pack(const struct check *c, uint8_t *out)
{
    return encode((const uint8_t *)c, sizeof(*c), out);
}

int
check_unpack_prefix(const uint8_t *p, size_t len, void *out, size_t outlen)
{
    uint8_t *b = out;
    size_t i = 0, o = 0;

    if (outlen > sizeof(struct check)) {
        return PH_EINVAL;
    }
    memset(b, 0, outlen);
    while (o < outlen) {
        size_t z, l;

        if (i + 2 > len) {
            return PH_EINVAL;
        }
        z = p[i];
        l = p[i + 1];
        i += 2;
        if (i + l > len || o + z + l > sizeof(struct check)) {
            return PH_EINVAL;
        }
        o += z;
        if (o < outlen) {
            memcpy(b + o, p + i, o + l <= outlen ? l : outlen - o);
        }
        o += l;
        i += l;
    }
    return 0;
}

int
check_unpack(const uint8_t *p, size_t len, struct check *out)
{
    return check_unpack_prefix(p, len, out, sizeof(*out));
}
