/*
 * X.509 input checks (see pki.h). Every function bounds its input before
 * OpenSSL sees it and reads from a memory BIO, so nothing here depends on
 * the file system; the caller decides what to store.
 */
#include "registry/pki.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_len, const char *fmt,
                                                      ...)
{
	va_list ap;

	ERR_clear_error();
	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* A read-only BIO over pem, or NULL when it is empty or too large. */
static BIO *mem_bio(const char *pem, size_t len, int *rc, char *err, size_t err_len)
{
	if (!pem || len == 0) {
		*rc = fail(err, err_len, "empty PEM");
		return NULL;
	}
	if (len > CK_PKI_PEM_MAX) {
		fail(err, err_len, "PEM larger than %d bytes", CK_PKI_PEM_MAX);
		*rc = -E2BIG;
		return NULL;
	}
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		*rc = fail(err, err_len, "out of memory");
	return b;
}

/* 0 when key is one clickd accepts for a device. */
static int key_acceptable(EVP_PKEY *key, char *err, size_t err_len)
{
	char group[64] = "";
	size_t glen = 0;

	if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1)
			return fail(err, err_len, "the EC key names no curve");
		if (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0)
			return fail(err, err_len, "EC curve %s not accepted (P-256 or P-384)",
			            group);
		return 0;
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		int bits = EVP_PKEY_get_bits(key);
		if (bits < 2048 || bits > 4096)
			return fail(err, err_len, "RSA key of %d bits not accepted (2048 to 4096)",
			            bits);
		return 0;
	}
	return fail(err, err_len, "key type not accepted (EC P-256/P-384 or RSA)");
}

int ck_pki_csr_parse(const char *pem, size_t len, X509_REQ **out, char *err, size_t err_len)
{
	int rc = 0;
	BIO *b = mem_bio(pem, len, &rc, err, err_len);
	X509_REQ *req = NULL;
	EVP_PKEY *key = NULL;

	*out = NULL;
	if (!b)
		return rc;
	req = PEM_read_bio_X509_REQ(b, NULL, no_password, NULL);
	if (!req) {
		rc = fail(err, err_len, "not a PEM certificate request");
		goto out;
	}
	key = X509_REQ_get_pubkey(req);
	if (!key) {
		rc = fail(err, err_len, "the request has no usable public key");
		goto out;
	}
	rc = key_acceptable(key, err, err_len);
	if (rc)
		goto out;
	if (X509_REQ_verify(req, key) != 1) {
		rc = fail(err, err_len, "the request's signature does not verify");
		goto out;
	}
	*out = req;
	req = NULL;
out:
	EVP_PKEY_free(key);
	X509_REQ_free(req);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int ck_pki_csr_check(const char *pem, size_t len, char *err, size_t err_len)
{
	X509_REQ *req = NULL;
	int rc = ck_pki_csr_parse(pem, len, &req, err, err_len);

	X509_REQ_free(req);
	return rc;
}

static X509 *read_cert(const char *pem, size_t len, int *rc, char *err, size_t err_len)
{
	BIO *b = mem_bio(pem, len, rc, err, err_len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_password, NULL) : NULL;

	if (b && !x)
		*rc = fail(err, err_len, "not a PEM certificate");
	BIO_free(b);
	ERR_clear_error();
	return x;
}

int ck_pki_cert_parse(const char *pem, size_t len, struct ck_pki_cert *info, char *err,
                      size_t err_len)
{
	int rc = 0;
	X509 *x = read_cert(pem, len, &rc, err, err_len);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	BIO *name = NULL;

	memset(info, 0, sizeof(*info));
	if (!x)
		return rc;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex || strlen(hex) > CK_PKI_SERIAL_MAX || BN_is_negative(bn) || BN_is_zero(bn)) {
		rc = fail(err, err_len,
		          "the certificate's serial is missing, not positive or longer "
		          "than 20 octets");
		goto out;
	}
	for (size_t i = 0; hex[i]; i++)
		info->serial[i] =
		    (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	if (ck_fingerprint_x509(x, info->fingerprint) != 0) {
		rc = fail(err, err_len, "cannot fingerprint the certificate");
		goto out;
	}
	name = BIO_new(BIO_s_mem());
	if (name && X509_NAME_print_ex(name, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(name, info->subject, CK_PKI_NAME_MAX);
		info->subject[n > 0 ? n : 0] = '\0';
	}
	int cn = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, info->cn,
	                                   (int)sizeof(info->cn));
	if (cn < 0)
		info->cn[0] = '\0';
	info->is_ca = X509_check_ca(x) != 0;
	rc = 0;
out:
	BIO_free(name);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int ck_pki_signed_by(const char *cert_pem, const char *ca_pem, char *err, size_t err_len)
{
	int rc = 0;
	X509 *x = read_cert(cert_pem, strlen(cert_pem), &rc, err, err_len);
	X509 *ca = x ? read_cert(ca_pem, strlen(ca_pem), &rc, err, err_len) : NULL;
	EVP_PKEY *key = ca ? X509_get0_pubkey(ca) : NULL;

	if (!x || !ca)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) != 0 || !key ||
	    X509_verify(x, key) != 1) {
		rc = fail(err, err_len, "the certificate was not issued by this CA");
		goto out;
	}
	rc = 0;
out:
	X509_free(ca);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int ck_pki_crl_check(const char *crl_pem, size_t len, const char *ca_pem, int64_t *number,
                     char *err, size_t err_len)
{
	int rc = 0;
	BIO *b = mem_bio(crl_pem, len, &rc, err, err_len);
	X509_CRL *crl = b ? PEM_read_bio_X509_CRL(b, NULL, no_password, NULL) : NULL;
	X509 *ca = NULL;
	ASN1_INTEGER *num = NULL;

	*number = 0;
	if (!b)
		return rc;
	if (!crl) {
		rc = fail(err, err_len, "not a PEM CRL");
		goto out;
	}
	ca = read_cert(ca_pem, strlen(ca_pem), &rc, err, err_len);
	if (!ca)
		goto out;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1) {
		rc = fail(err, err_len, "the CRL was not issued by this CA");
		goto out;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (num) {
		int64_t v = 0;
		if (ASN1_INTEGER_get_int64(&v, num) == 1)
			*number = v;
	}
	rc = 0;
out:
	ASN1_INTEGER_free(num);
	X509_free(ca);
	X509_CRL_free(crl);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}
