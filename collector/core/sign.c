/*
 * sign.c - HMAC-SHA256 and base64 (sign.h).
 */
#include "sign.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ph_err.h"

/*
 * Base64 is OpenSSL's (EVP_EncodeBlock, EVP_DecodeBlock). Both work on
 * whole 4-character groups: EncodeBlock always pads, DecodeBlock wants a
 * multiple of 4 characters, returns the padded length (3 per group) and
 * takes '=' as a zero digit anywhere and whitespace at either end. The
 * wrappers below keep the contract of sign.h: exact lengths, padding
 * optional on input, and anything but the alphabet refused.
 */

/* Largest input we hand to the int-sized OpenSSL calls. */
#define B64_IN_MAX (1u << 24)

static int
encode(int url, const void *in, size_t len, char *out, size_t outlen)
{
    size_t bulk = len - len % 3, padded = (len + 2) / 3 * 4;
    size_t need = url ? (len * 4 + 2) / 3 : padded;
    size_t o;

    if (len > B64_IN_MAX || outlen < need + 1) {
        return -1;
    }
    /* Whole groups go straight to out; a short tail is padded in tail[]
     * so an unpadded result fits in an out sized for it. */
    o = bulk > 0 ? (size_t)EVP_EncodeBlock((unsigned char *)out, in,
                                           (int)bulk)
                 : 0;
    if (len > bulk) {
        unsigned char tail[5];

        EVP_EncodeBlock(tail, (const unsigned char *)in + bulk,
                        (int)(len - bulk));
        memcpy(out + o, tail, need - o);
    }
    o = need;
    out[o] = '\0';
    if (url) {
        for (size_t i = 0; i < o; i++) {
            if (out[i] == '+') {
                out[i] = '-';
            } else if (out[i] == '/') {
                out[i] = '_';
            }
        }
    }
    return (int)o;
}

int
sign_base64(const void *in, size_t len, char *out, size_t outlen)
{
    return encode(0, in, len, out, outlen);
}

int
sign_base64url(const void *in, size_t len, char *out, size_t outlen)
{
    return encode(1, in, len, out, outlen);
}

/* The standard alphabet; '=' and whitespace are not in it. */
static int
b64char(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

int
sign_unbase64(const char *in, size_t len, uint8_t *out, size_t outlen)
{
    size_t bulk, rem, need;

    /* Trailing '=' are optional padding; anything else outside the
     * alphabet (an inner '=', whitespace, NUL) is refused here, before
     * DecodeBlock would read it as a zero digit or skip it. */
    while (len > 0 && in[len - 1] == '=') {
        len--;
    }
    if (len > B64_IN_MAX) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!b64char((unsigned char)in[i])) {
            return -1;
        }
    }
    bulk = len - len % 4;
    rem = len % 4;
    /* One leftover character cannot encode a byte. */
    if (rem == 1) {
        return -1;
    }
    need = bulk / 4 * 3 + (rem > 0 ? rem - 1 : 0);
    if (need > outlen) {
        return -1;
    }
    if (bulk > 0 &&
        EVP_DecodeBlock(out, (const unsigned char *)in, (int)bulk) !=
            (int)(bulk / 4 * 3)) {
        return -1;
    }
    if (rem > 0) {
        unsigned char group[4] = {'=', '=', '=', '='};
        unsigned char bytes[3];

        memcpy(group, in + bulk, rem);
        if (EVP_DecodeBlock(bytes, group, 4) != 3) {
            return -1;
        }
        memcpy(out + bulk / 4 * 3, bytes, rem - 1);
    }
    return (int)need;
}

/* HMAC-SHA256 over a then b (b may be empty). */
static int
hmac2(const void *key, size_t keylen, const void *a, size_t alen,
      const void *b, size_t blen, uint8_t out[32])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[2];
    size_t maclen = 0;
    int result = PH_EINTERNAL;

    params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256",
                                                 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_MAC_init(ctx, key, keylen, params) != 1 ||
        EVP_MAC_update(ctx, a, alen) != 1 ||
        (blen > 0 && EVP_MAC_update(ctx, b, blen) != 1) ||
        EVP_MAC_final(ctx, out, &maclen, 32) != 1 || maclen != 32) {
        goto out;
    }
    result = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return result;
}

int
sign_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                 uint8_t out[32])
{
    return hmac2(key, keylen, data, len, NULL, 0, out);
}

int
sign_secret_generate(char out[SIGN_SECRET_MAX])
{
    uint8_t raw[24];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return PH_EIO;
    }
    memcpy(out, "whsec_", 6);
    if (sign_base64(raw, sizeof(raw), out + 6, SIGN_SECRET_MAX - 6) < 0) {
        return PH_EINTERNAL;
    }
    return 0;
}

int
sign_webhook(const char *secret, const char *msg_id, int64_t ts,
             const void *body, size_t len, char out[SIGN_HEADER_MAX])
{
    uint8_t key[64], mac[32];
    char prefix[160];
    const char *b64 = secret;
    int keylen, plen, rc;

    if (strncmp(b64, "whsec_", 6) == 0) {
        b64 += 6;
    }
    keylen = sign_unbase64(b64, strlen(b64), key, sizeof(key));
    if (keylen <= 0 || strchr(msg_id, '.') != NULL) {
        return PH_EINVAL;
    }
    plen = snprintf(prefix, sizeof(prefix), "%s.%lld.", msg_id,
                    (long long)ts);
    if (plen < 0 || plen >= (int)sizeof(prefix)) {
        return PH_EINVAL;
    }
    /* Streamed, so the body is not copied to prepend the prefix. */
    rc = hmac2(key, (size_t)keylen, prefix, (size_t)plen, body, len, mac);
    memset(key, 0, sizeof(key));
    if (rc != 0) {
        return rc;
    }
    memcpy(out, "v1,", 3);
    if (sign_base64(mac, sizeof(mac), out + 3, SIGN_HEADER_MAX - 3) < 0) {
        return PH_EINTERNAL;
    }
    return 0;
}
