/*
 * SHA-256 certificate fingerprints over the DER encoding (see fingerprint.h).
 */
#include "core/fingerprint.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

int ck_fingerprint_x509(const void *cert, char out[CK_FINGERPRINT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	out[0] = '\0';
	if (!cert)
		return -EINVAL;
	if (X509_digest((const X509 *)cert, EVP_sha256(), md, &len) != 1 || len != 32)
		return -EINVAL;
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[CK_FINGERPRINT_LEN] = '\0';
	return 0;
}

int ck_fingerprint_pem(const char *pem, size_t len, char out[CK_FINGERPRINT_LEN + 1])
{
	out[0] = '\0';
	if (!pem || len > (size_t)INT_MAX)
		return -EINVAL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x)
		return -EINVAL;
	int rc = ck_fingerprint_x509(x, out);
	X509_free(x);
	return rc;
}
