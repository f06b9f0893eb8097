/*
 * Fleet provisioning by claim, clickd's side (docs/internals/provision.md):
 * a thread of its own, connected (libmosquitto) as clickd's account on the local
 * listener, takes the requests the broker plugin relays on
 * $clickd/provision (engine/provreq.h) and answers on the AWS reply topics
 * through $clickd/reply. create-from-csr issues an inactive certificate
 * from the device's CSR with a one-hour ownership token; provision checks
 * the token, the claim's template, the template's allow-list (serials
 * and/or an exec hook), creates the thing from the template, attaches and
 * activates the certificate, attaches the template's policy and rewrites
 * the registry snapshot. Every use of a claim is logged (store_claims.h).
 * It has its own store connection and opens the CA for each issuance, so
 * a rotated CA is used at once.
 */
#ifndef CK_PROVISIONER_H
#define CK_PROVISIONER_H

#include <stddef.h>

#define CK_PROVISIONER_CLAIM_TYPE    "provisioning-claim" /* thing type of a claim */
#define CK_PROVISIONER_TEMPLATE_ATTR "provisioningTemplate"
#define CK_PROVISIONER_HOOK_MS       5000 /* the pre-provisioning hook's deadline (AWS: 5 s) */
#define CK_PROVISIONER_TOKEN_MS      3600000

struct ck_provisioner_config {
	const char *store_path;
	const char *ca_dir;
	const char *snapshot_path;
	const char *mqtt_host;
	int mqtt_port;
	const char *mqtt_user;
	const char *mqtt_password;
};

struct ck_provisioner;

/* Starts the provisioner; strings are copied. Returns 0, or a negative
 * errno with a one-line reason in err. It connects (and reconnects) on
 * its own; a broker not yet up is not an error. */
int ck_provisioner_start(const struct ck_provisioner_config *cfg, struct ck_provisioner **out,
                         char *err, size_t err_len);

/* Disconnects, joins the thread and frees p; NULL is a no-op. */
void ck_provisioner_stop(struct ck_provisioner *p);

#endif
