/*
 * Argon2id password hashes and random tokens (see password.h).
 */
#include "http/password.h"

#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

/* OWASP's minimum for Argon2id: 19 MiB, two passes, one lane. */
#define T_COST   2
#define M_COST   19456
#define LANES    1
#define SALT_LEN 16
#define HASH_LEN 32

bool ck_password_acceptable(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;
	return n >= CK_PASSWORD_MIN && n <= CK_PASSWORD_MAX;
}

int ck_password_hash(const char *pw, char *out, size_t out_len)
{
	unsigned char salt[SALT_LEN];
	if (!ck_password_acceptable(pw))
		return -EINVAL;
	if (out_len < argon2_encodedlen(T_COST, M_COST, LANES, SALT_LEN, HASH_LEN, Argon2_id))
		return -EINVAL;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -EIO;
	int rc = argon2id_hash_encoded(T_COST, M_COST, LANES, pw, strlen(pw), salt, sizeof(salt),
	                               HASH_LEN, out, out_len);
	return rc == ARGON2_OK ? 0 : -EIO;
}

bool ck_password_verify(const char *encoded, const char *pw)
{
	if (!encoded || !pw || strncmp(encoded, "$argon2id$", 10) != 0 ||
	    strlen(pw) > CK_PASSWORD_MAX)
		return false;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

int ck_password_token(char *out, size_t out_len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[CK_TOKEN_CHARS];
	if (out_len <= CK_TOKEN_CHARS || RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	/* 43 characters of 6 bits each: 258 bits, at least the 256 promised. */
	for (int i = 0; i < CK_TOKEN_CHARS; i++)
		out[i] = alphabet[raw[i] & 63];
	out[CK_TOKEN_CHARS] = '\0';
	return 0;
}

void ck_password_sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}
