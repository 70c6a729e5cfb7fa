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

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
encode(const char *alpha, int pad, const void *in, size_t len, char *out,
       size_t outlen)
{
    const uint8_t *p = in;
    size_t need = pad ? (len + 2) / 3 * 4 : (len * 4 + 2) / 3;
    size_t o = 0;

    if (outlen < need + 1) {
        return -1;
    }
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;

        if (n > 1) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        if (n > 2) {
            v |= p[i + 2];
        }
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        if (n > 1) {
            out[o++] = alpha[(v >> 6) & 63];
        } else if (pad) {
            out[o++] = '=';
        }
        if (n > 2) {
            out[o++] = alpha[v & 63];
        } else if (pad) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    return (int)o;
}

int
sign_base64(const void *in, size_t len, char *out, size_t outlen)
{
    return encode(b64std, 1, in, len, out, outlen);
}

int
sign_base64url(const void *in, size_t len, char *out, size_t outlen)
{
    return encode(b64url, 0, in, len, out, outlen);
}

static int
b64val(int ch)
{
    const char *p = ch != 0 ? strchr(b64std, ch) : NULL;

    return p != NULL ? (int)(p - b64std) : -1;
}

int
sign_unbase64(const char *in, size_t len, uint8_t *out, size_t outlen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    while (len > 0 && in[len - 1] == '=') {
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)in[i]);

        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen) {
                return -1;
            }
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* One leftover character cannot encode a byte. */
    return bits >= 6 ? -1 : (int)o;
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
