/*
 * Checks of X.509 material that arrives from outside clickd: device CSRs,
 * certificates and CA certificates an operator registers, and CRLs. Pure
 * functions over buffers (OpenSSL parses; nothing touches files, clocks
 * or the store), each with a ceiling on the input size before it parses,
 * so they are fuzzed (tests/fuzz/fuzz_pki.c). Errors are -EINVAL or -E2BIG
 * with a one-line reason in err; the OpenSSL error queue is empty on return.
 */
#ifndef CK_PKI_H
#define CK_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/fingerprint.h"

#define CK_PKI_PEM_MAX    (16 * 1024) /* a CSR, certificate or CRL in PEM */
#define CK_PKI_SERIAL_MAX 40          /* hex digits of a serial (20 octets) */
#define CK_PKI_NAME_MAX   256         /* one-line subject, truncated */

/* What clickd records of a certificate. */
struct ck_pki_cert {
	char fingerprint[CK_FINGERPRINT_LEN + 1];
	char serial[CK_PKI_SERIAL_MAX + 1]; /* lowercase hex */
	char subject[CK_PKI_NAME_MAX + 1];  /* RFC 2253 one line */
	char cn[CK_PKI_NAME_MAX + 1];       /* "" when there is none */
	bool is_ca;                         /* basicConstraints CA:TRUE, may sign */
};

/*
 * Parses a PEM PKCS#10 request of len bytes (need not be NUL-terminated)
 * and checks it: its self-signature verifies and its key is EC on P-256 or
 * P-384, or RSA of 2048 to 4096 bits. Returns 0 with the request in *out
 * (X509_REQ_free it), or -E2BIG (over CK_PKI_PEM_MAX) / -EINVAL.
 */
int ck_pki_csr_parse(const char *pem, size_t len, X509_REQ **out, char *err, size_t err_len);

/* Same checks without keeping the request. */
int ck_pki_csr_check(const char *pem, size_t len, char *err, size_t err_len);

/*
 * Parses one PEM certificate (the first in the buffer) and fills *info.
 * Returns 0, -E2BIG or -EINVAL.
 */
int ck_pki_cert_parse(const char *pem, size_t len, struct ck_pki_cert *info, char *err,
                      size_t err_len);

/*
 * Checks that cert_pem was issued by ca_pem: issuer name equals the CA's
 * subject and the signature verifies with the CA's key. Validity dates are
 * the TLS layer's business. Returns 0 or -EINVAL with err set.
 */
int ck_pki_signed_by(const char *cert_pem, const char *ca_pem, char *err, size_t err_len);

/*
 * Checks that crl_pem (PEM, len bytes) is a CRL issued and signed by
 * ca_pem; stores its CRL number in *number (0 when it has none). Returns 0,
 * -E2BIG or -EINVAL.
 */
int ck_pki_crl_check(const char *crl_pem, size_t len, const char *ca_pem, int64_t *number,
                     char *err, size_t err_len);

#endif
