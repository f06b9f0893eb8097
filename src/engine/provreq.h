/*
 * Parser of a relayed fleet-provisioning request (docs/internals/provision.md):
 * the frame the broker plugin publishes on $clickd/provision,
 *
 *   clickd-provision 1\n<client id>\n<thing>\n<topic>\n\n<device payload>
 *
 * and the device's JSON payload for its topic:
 * $aws/certificates/create-from-csr/json takes {"certificateSigningRequest":
 * PEM}; $aws/provisioning-templates/<template>/provision/json takes
 * {"certificateOwnershipToken": TOKEN, "parameters": {NAME: STRING}}.
 * The device payload is untrusted; the frame's identity lines come from the
 * broker. Pure: no I/O, no clock; everything bounded before allocation.
 */
#ifndef CK_PROVREQ_H
#define CK_PROVREQ_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CK_PROVREQ_MAX        (64 * 1024) /* largest frame accepted */
#define CK_PROVREQ_PARAMS_MAX 50
#define CK_PROVREQ_VALUE_MAX  256
#define CK_PROVREQ_TOKEN_MAX  128

enum ck_provreq_kind { CK_PROVREQ_CSR, CK_PROVREQ_PROVISION };

struct ck_provreq {
	enum ck_provreq_kind kind;
	char client_id[129];
	char thing[129];         /* the claim certificate's thing */
	char topic[300];         /* the request topic; replies go to topic/accepted|rejected */
	char template_name[129]; /* PROVISION only */
	char *csr;               /* CSR only: the PEM (owned) */
	char token[CK_PROVREQ_TOKEN_MAX + 1]; /* PROVISION only */
	cJSON *parameters; /* PROVISION only: object of strings (owned), maybe empty */
};

/*
 * Parses the frame in buf[0..len). Returns 0 with *out filled, or -EINVAL / -E2BIG with a one-line
 * reason in why. When the frame's identity and topic were read, out->client_id and out->topic are
 * set even on failure, so the caller can send a rejection; otherwise out->topic is "". -ENOMEM. In
 * every case *out must be released with ck_provreq_cleanup.
 */
int ck_provreq_parse(const void *buf, size_t len, struct ck_provreq *out, char *why,
                     size_t why_len);

/* Frees what ck_provreq_parse allocated; safe on a zeroed struct. */
void ck_provreq_cleanup(struct ck_provreq *r);

#endif
