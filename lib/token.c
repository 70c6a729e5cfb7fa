#include "token.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ph_err.h"

void
token_hash(const char *token, size_t len, char out[TOKEN_HASH_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[64] = '\0';
}

int
token_hash_equal(const char *a, const char *b)
{
    if (!token_hash_valid(a) || !token_hash_valid(b)) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, 64) == 0;
}

int
token_hash_valid(const char *s)
{
    size_t i;

    for (i = 0; i < 64; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return 0;
        }
    }
    return s[64] == '\0';
}

int
token_generate(char *out, size_t size)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[32];
    size_t o = 0;

    if (size < TOKEN_MAX) {
        return PH_EINVAL;
    }
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return PH_EIO;
    }
    memcpy(out, "ph_", 3);
    o = 3;
    /* 32 bytes -> 43 base64url characters without padding; each character
     * takes 6 bits, and 43 * 6 >= 256. */
    for (size_t bit = 0; bit < 256; bit += 6) {
        size_t byte = bit / 8;
        unsigned v = (unsigned)raw[byte] << 8;
        if (byte + 1 < sizeof(raw)) {
            v |= raw[byte + 1];
        }
        v = (v >> (10 - bit % 8)) & 0x3f;
        out[o++] = b64[v];
    }
    out[o] = '\0';
    return 0;
}

int
token_random_id(char *out, size_t n)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[64];

    if (n == 0 || n > sizeof(raw) + 1) {
        return PH_EINVAL;
    }
    if (RAND_bytes(raw, (int)(n - 1)) != 1) {
        return PH_EIO;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        /* 252 = 7 x 36: reject-free modulo bias is small enough for ids
         * that only need to be unique and unguessable-ish. */
        out[i] = alnum[raw[i] % 36];
    }
    out[n - 1] = '\0';
    return 0;
}
