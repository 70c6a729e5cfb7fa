/*
 * sign.h - HMAC-SHA256 signatures and base64 for notifications (OpenSSL
 * libcrypto; with token.c the only includers of OpenSSL in common/).
 *
 * Webhooks are signed as Standard Webhooks 1.0 (see
 * shared/reference/integrations.md 4.3): the secret is "whsec_" + base64
 * of random bytes, the HMAC key is the base64-decoded part, the signed
 * content is "<id>.<timestamp>.<body>", the header value "v1,<base64>".
 */
#ifndef PH_SIGN_H
#define PH_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_SECRET_MAX 96     /* "whsec_" + base64 of up to 64 bytes + NUL */
#define SIGN_HEADER_MAX 64     /* "v1," + 44 base64 characters + NUL */

/* Standard base64 (with padding) of in[0..len) into out; returns the
 * length written (excluding the NUL) or -1 when out is too small. */
int sign_base64(const void *in, size_t len, char *out, size_t outlen);
/* Decodes standard base64 (padding optional); returns the byte count or
 * -1 on bad input or a too small out. */
int sign_unbase64(const char *in, size_t len, uint8_t *out, size_t outlen);
/* base64url without padding (tokens in links). Same returns as above. */
int sign_base64url(const void *in, size_t len, char *out, size_t outlen);

/* Raw HMAC-SHA256 of data with key into out. Returns 0 or PH_EINTERNAL. */
int sign_hmac_sha256(const void *key, size_t keylen, const void *data,
                     size_t len, uint8_t out[32]);

/* A new webhook secret "whsec_<base64 of 24 random bytes>" into out.
 * Returns 0 or PH_EIO. */
int sign_secret_generate(char out[SIGN_SECRET_MAX]);
/* Writes "v1,<base64 HMAC>" of "<msg_id>.<ts>.<body>" keyed with secret
 * (with or without its "whsec_" prefix) into out. Returns 0, PH_EINVAL
 * (a secret that is not base64, an id holding '.') or PH_EINTERNAL. */
int sign_webhook(const char *secret, const char *msg_id, int64_t ts,
                 const void *body, size_t len, char out[SIGN_HEADER_MAX]);

#endif
