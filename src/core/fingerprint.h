/*
 * Certificate fingerprints: the lowercase hex SHA-256 of a certificate's DER
 * encoding, as AWS IoT uses for certificate ids. Shared by clickd (registry)
 * and the broker plugin (authentication), so both always agree.
 */
#ifndef CK_FINGERPRINT_H
#define CK_FINGERPRINT_H

#include <stddef.h>

#define CK_FINGERPRINT_LEN 64 /* hex characters, without the terminator */

/*
 * Writes the fingerprint of cert (an OpenSSL X509 *, passed as void * so
 * callers need not include OpenSSL headers) into out, NUL-terminated.
 * Returns 0, or -EINVAL if cert is NULL or cannot be encoded.
 */
int ck_fingerprint_x509(const void *cert, char out[CK_FINGERPRINT_LEN + 1]);

/* Same for a PEM-encoded certificate. Returns 0, -EINVAL on bad PEM. */
int ck_fingerprint_pem(const char *pem, size_t len, char out[CK_FINGERPRINT_LEN + 1]);

#endif
