/*
 * Password hashing and secret tokens for logins. Passwords are hashed
 * with Argon2id (libargon2) into the library's encoded form
 * ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), which carries its own salt
 * and parameters; tokens come from OpenSSL's CSPRNG. Owns nothing.
 */
#ifndef CK_PASSWORD_H
#define CK_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define CK_PASSWORD_MIN      8
#define CK_PASSWORD_MAX      256
#define CK_PASSWORD_HASH_MAX 256
#define CK_TOKEN_CHARS       43 /* 32 random bytes, base64url without padding */

/* True when pw has CK_PASSWORD_MIN..CK_PASSWORD_MAX bytes. */
bool ck_password_acceptable(const char *pw);

/*
 * Hashes pw with a fresh random salt into out (NUL-terminated, at most
 * CK_PASSWORD_HASH_MAX bytes). Returns 0, -EINVAL (unacceptable password)
 * or -EIO. Takes about 20 ms and 19 MiB of memory.
 */
int ck_password_hash(const char *pw, char *out, size_t out_len);

/* True when pw matches the encoded hash (false for a malformed hash). */
bool ck_password_verify(const char *encoded, const char *pw);

/* Writes CK_TOKEN_CHARS random base64url characters and a NUL into out
 * (out_len > CK_TOKEN_CHARS). Returns 0 or -EIO. */
int ck_password_token(char *out, size_t out_len);

/* Writes the lowercase hex SHA-256 of s (64 characters and a NUL) into out. */
void ck_password_sha256_hex(const char *s, char out[65]);

#endif
