/*
 * What the broker's TLS layer trusts: DATA/ca/trust.pem (every active CA:
 * clickd's current one, earlier ones kept through a rotation, operators'
 * registered CAs) and DATA/ca/crl.pem (one CRL per trusted CA: clickd signs
 * its own from the revoked certificates in the store; an operator's CA
 * comes with the CRL its owner signed). Both are rewritten atomically from
 * the store; mosquitto re-reads them on SIGHUP. The plugin's registry
 * snapshot remains what refuses and disconnects a revoked certificate
 * within a second; the CRL is the TLS layer's own second line.
 */
#ifndef CK_TRUST_H
#define CK_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/ca.h"
#include "store/store.h"

#define CK_TRUST_FILE "trust.pem"
#define CK_CRL_FILE   "crl.pem"

/*
 * Records ca (clickd's signing CA) in the store's CA table when it is not
 * there yet. Returns 0 or a negative errno (logged).
 */
int ck_trust_register_self(struct ck_store *s, struct ck_ca *ca, int64_t now_ms);

/*
 * Re-signs the CRL of every active clickd CA (ca itself, and earlier ones
 * opened from ca_dir) from the revoked certificates in the store, then
 * writes ca_dir/trust.pem and ca_dir/crl.pem. Sets *changed when either
 * file's content changed (the broker must then reload). Returns 0 or a
 * negative errno (logged); on failure the previous files stay.
 */
int ck_trust_sync(struct ck_store *s, struct ck_ca *ca, const char *ca_dir, int64_t now_ms,
                  bool *changed);

/*
 * The PEM text devices should trust for the broker and clickd's own CAs:
 * every active clickd CA, newest first. Returns a malloc'd string or NULL.
 */
char *ck_trust_device_bundle(struct ck_store *s);

/*
 * The fingerprint of the oldest active clickd CA into out: the one the
 * broker's server certificate is signed by, so that a device not yet
 * re-issued after a rotation still verifies the broker. Returns 0, -ENOENT.
 */
int ck_trust_server_signer(struct ck_store *s, char out[CK_FINGERPRINT_LEN + 1]);

#endif
