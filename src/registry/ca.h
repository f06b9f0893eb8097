/*
 * clickd's certificate authority: an ECDSA P-256 CA created on first start,
 * the broker's server certificate, and per-device certificates. Keys are
 * written with mode 0600 and never logged. OpenSSL 3 does the cryptography.
 */
#ifndef CK_CA_H
#define CK_CA_H

#include <stddef.h>

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

#endif
