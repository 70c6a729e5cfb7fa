/*
 * token.h - bearer tokens for agents and API keys (OpenSSL libcrypto).
 *
 * Only the SHA-256 of a token is ever stored; comparison of hashes is
 * constant-time. Tokens are 32 random bytes, base64url, prefixed "ph_".
 */
#ifndef PH_TOKEN_H
#define PH_TOKEN_H

#include <stddef.h>

#define TOKEN_HASH_HEX 65   /* 64 hex digits + NUL */
#define TOKEN_MAX 128       /* longest token accepted */

/* Writes the lowercase hex SHA-256 of token[0..len) into out. */
void token_hash(const char *token, size_t len, char out[TOKEN_HASH_HEX]);
/* Constant-time equality of two hex hashes. Returns 1 when equal. */
int token_hash_equal(const char *a, const char *b);
/* Generates a new random token into out (size >= TOKEN_MAX).
 * Returns 0 or PH_EIO. */
int token_generate(char *out, size_t size);
/* Writes n-1 random lowercase alphanumerics and a NUL into out (object
 * ids in the Statuspage style: n = 13 gives 12 characters). Returns 0,
 * PH_EINVAL (n out of range) or PH_EIO. */
int token_random_id(char *out, size_t n);
/* Returns 1 if s is 64 lowercase hex digits. */
int token_hash_valid(const char *s);

#endif
