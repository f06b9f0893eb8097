/*
 * clickd's certificate authority: an ECDSA P-256 CA created on first start,
 * the broker's server certificate, and per-device certificates. Keys are
 * written with mode 0600 and never logged. OpenSSL 3 does the cryptography.
 */
#ifndef CK_CA_H
#define CK_CA_H

#include <stddef.h>
#include <stdint.h>

#include "core/fingerprint.h"

struct ck_ca;

/* Files under the CA directory (DATA_DIR/ca). */
#define CK_CA_CERT_FILE   "ca.pem"
#define CK_CA_KEY_FILE    "ca.key"
#define CK_CA_SERVER_CERT "server.pem"
#define CK_CA_SERVER_KEY  "server.key"

/*
 * Opens the CA in dir, creating dir (0700), a new P-256 key and a
 * self-signed CA certificate (CN "clickd CA <random hex>", 10 years) when
 * none exists. Returns 0 and a new handle in *out (free with ck_ca_free), or
 * a negative errno with a one-line reason in err (e.g. unreadable key, key
 * and certificate that do not match).
 */
int ck_ca_open(const char *dir, struct ck_ca **out, char *err, size_t err_len);

void ck_ca_free(struct ck_ca *ca);

/* The CA certificate in PEM. Borrowed, valid until ck_ca_free. */
const char *ck_ca_cert_pem(const struct ck_ca *ca);

/*
 * (Re)issues the broker's server certificate into dir/server.pem and
 * dir/server.key (0600): a new P-256 key, signed by the CA, 2 years, with
 * subjectAltName entries for every name in hosts (an entry that parses as
 * an IPv4/IPv6 address becomes an IP SAN, otherwise a DNS SAN). Returns 0
 * or a negative errno with a reason in err.
 */
int ck_ca_issue_server(struct ck_ca *ca, const char *const *hosts, size_t n_hosts, char *err,
                       size_t err_len);

/*
 * Issues a device certificate with CN = thing (a new P-256 key generated
 * here, clientAuth extended key usage, 10 years). On success returns 0 and
 * stores malloc'd PEM strings in *cert_pem and *key_pem (caller frees) and
 * the certificate's fingerprint in fingerprint.
 */
int ck_ca_issue_device(struct ck_ca *ca, const char *thing, char **cert_pem, char **key_pem,
                       char fingerprint[CK_FINGERPRINT_LEN + 1], char *err, size_t err_len);

/* Longest serial, in hex, that clickd records (20 octets, RFC 5280). */
#define CK_CA_SERIAL_HEX_MAX 40

/* The CA certificate's SHA-256 fingerprint (lowercase hex). Borrowed. */
const char *ck_ca_fingerprint(const struct ck_ca *ca);

/*
 * As ck_ca_issue_device, and also writes the certificate's serial
 * (lowercase hex, for revocation lists) into serial.
 */
int ck_ca_issue_device_serial(struct ck_ca *ca, const char *thing, char **cert_pem, char **key_pem,
                              char fingerprint[CK_FINGERPRINT_LEN + 1],
                              char serial[CK_CA_SERIAL_HEX_MAX + 1], char *err, size_t err_len);

/*
 * Issues a device certificate (CN = thing, clientAuth, 10 years) for the
 * public key of csr_pem, a PKCS#10 request whose signature must verify
 * (proof that the device holds the private key, which never leaves it).
 * Only EC P-256/P-384 and RSA keys of 2048 to 4096 bits are accepted. The
 * CSR's subject and extensions are ignored. Returns 0 with a malloc'd PEM
 * in *cert_pem and the fingerprint and serial filled, -EINVAL for a bad
 * thing name or CSR (reason in err), -EIO or -ENOMEM otherwise.
 */
int ck_ca_issue_csr(struct ck_ca *ca, const char *thing, const char *csr_pem, char **cert_pem,
                    char fingerprint[CK_FINGERPRINT_LEN + 1], char serial[CK_CA_SERIAL_HEX_MAX + 1],
                    char *err, size_t err_len);

/* The serial of a PEM certificate in lowercase hex; 0 or -EINVAL. */
int ck_ca_cert_serial(const char *pem, char out[CK_CA_SERIAL_HEX_MAX + 1]);

struct ck_ca_revoked {
	const char *serial; /* hex */
	int64_t revoked_ms;
};

/*
 * Signs a version 2 CRL with the CA's key listing the n revoked serials,
 * with CRL number crl_number, lastUpdate this_update_s (Unix seconds) and
 * nextUpdate ten years later. Returns 0 and a malloc'd PEM in *crl_pem, or
 * -EINVAL for a serial that is not hex, -EIO / -ENOMEM with err set.
 */
int ck_ca_crl(struct ck_ca *ca, const struct ck_ca_revoked *revoked, size_t n, int64_t crl_number,
              int64_t this_update_s, char **crl_pem, char *err, size_t err_len);

/*
 * Rotates the CA: the current key and certificate stay in dir as
 * ca-<first 16 hex of the fingerprint>.key/.pem (so certificates it signed
 * can still be revoked), and a new CA replaces ca.key and ca.pem. From then
 * on the handle issues with the new CA. Returns 0 or a negative errno with
 * err set; on failure the handle is unchanged.
 */
int ck_ca_rotate(struct ck_ca *ca, char *err, size_t err_len);

/*
 * Opens an earlier CA kept by ck_ca_rotate in dir, by its full fingerprint.
 * Returns 0 and a handle (free with ck_ca_free), -ENOENT when it is not
 * there, -EINVAL when the files do not hold that CA.
 */
int ck_ca_open_archived(const char *dir, const char *fingerprint, struct ck_ca **out, char *err,
                        size_t err_len);

/*
 * As ck_ca_issue_server, writing into ca's directory a server certificate
 * signed by signer (an earlier CA that devices not yet re-issued still
 * trust alone).
 */
int ck_ca_issue_server_by(struct ck_ca *signer, struct ck_ca *ca, const char *const *hosts,
                          size_t n_hosts, char *err, size_t err_len);

#endif
