/*
 * The device side of AWS fleet provisioning by claim (MQTT API, JSON), as
 * clickbtn speaks it (docs/internals/provision.md): the request topics and
 * payloads it publishes, and the replies it receives on
 * $aws/certificates/create-from-csr/json/{accepted,rejected} and
 * $aws/provisioning-templates/<template>/provision/json/{accepted,rejected}.
 * Pure: builds and parses buffers, no I/O, no clock. Replies are untrusted
 * (whatever the broker delivers); every field is bounded and checked before
 * it is kept, and strings meant for a terminal carry no control characters.
 */
#ifndef CK_PROVMSG_H
#define CK_PROVMSG_H

#include <stdbool.h>
#include <stddef.h>

#define CK_PROVMSG_CSR_TOPIC    "$aws/certificates/create-from-csr/json"
#define CK_PROVMSG_MAX          (64 * 1024) /* largest reply accepted */
#define CK_PROVMSG_CERT_MAX     (16 * 1024) /* largest certificate PEM */
#define CK_PROVMSG_TOKEN_MAX    128
#define CK_PROVMSG_ID_MAX       128
#define CK_PROVMSG_TEMPLATE_MAX 128
#define CK_PROVMSG_PARAMS_MAX   50
#define CK_PROVMSG_VALUE_MAX    256
#define CK_PROVMSG_MESSAGE_MAX  300
#define CK_PROVMSG_TOPIC_MAX                                                                       \
	(sizeof("$aws/provisioning-templates//provision/json/rejected") + CK_PROVMSG_TEMPLATE_MAX)

enum ck_provmsg_op { CK_PROVMSG_OP_CSR, CK_PROVMSG_OP_PROVISION };

struct ck_provmsg_reply {
	enum ck_provmsg_op op;
	bool accepted;
	/* CSR accepted */
	char certificate_id[CK_PROVMSG_ID_MAX + 1];
	char *certificate_pem; /* owned; NULL otherwise */
	char token[CK_PROVMSG_TOKEN_MAX + 1];
	/* PROVISION accepted: a valid thing name */
	char thing_name[129];
	/* rejected: what clickd said; status 0 and "" when absent */
	int status_code;
	char error_code[64];
	char error_message[CK_PROVMSG_MESSAGE_MAX + 1]; /* control characters as '?' */
};

/*
 * True when name can be a template in a topic: 1..CK_PROVMSG_TEMPLATE_MAX
 * bytes of [A-Za-z0-9_-] (AWS's template name characters).
 */
bool ck_provmsg_template_valid(const char *name);

/*
 * Writes the request topic of op into out: CK_PROVMSG_CSR_TOPIC, or
 * $aws/provisioning-templates/<template>/provision/json. suffix is NULL,
 * "accepted" or "rejected" (appended after a '/'). Returns 0, -EINVAL for
 * an invalid template (PROVISION only), -ENAMETOOLONG when cap is short.
 */
int ck_provmsg_topic(enum ck_provmsg_op op, const char *template_name, const char *suffix,
                     char *out, size_t cap);

/*
 * Maps a topic a reply arrived on to its operation and outcome, for the
 * given template. Returns 0, or -ENOENT when it is none of the four reply
 * topics.
 */
int ck_provmsg_classify(const char *topic, const char *template_name, enum ck_provmsg_op *op,
                        bool *accepted);

/*
 * The CreateCertificateFromCsr request {"certificateSigningRequest": PEM}.
 * Returns a malloc'd NUL-terminated JSON string (caller frees), or NULL
 * when csr_pem is not a PEM certificate request or memory ran out.
 */
char *ck_provmsg_csr_request(const char *csr_pem);

/*
 * The RegisterThing request {"certificateOwnershipToken": token,
 * "parameters": {keys[i]: values[i]}}. Keys must be names (1..128 bytes of
 * [A-Za-z0-9:_-], core/name.h), values at most CK_PROVMSG_VALUE_MAX bytes, n at most
 * CK_PROVMSG_PARAMS_MAX, no key twice. Returns a malloc'd JSON string, or
 * NULL with errno EINVAL (a reason in why) or ENOMEM.
 */
char *ck_provmsg_provision_request(const char *token, const char *const *keys,
                                   const char *const *values, size_t n, char *why, size_t why_len);

/*
 * Parses a reply payload buf[0..len) for op, which arrived on the accepted
 * (accepted true) or rejected topic. Returns 0 with *out filled: for an
 * accepted CSR reply certificate_pem (a PEM certificate), token and
 * certificate_id are set; for an accepted PROVISION reply thing_name; for
 * a rejected one whatever of status_code, error_code and error_message it
 * held. Returns -EINVAL or -E2BIG with a one-line reason in why when the
 * payload is not such a reply, -ENOMEM. *out must be released with
 * ck_provmsg_reply_cleanup in every case.
 */
int ck_provmsg_reply_parse(enum ck_provmsg_op op, bool accepted, const void *buf, size_t len,
                           struct ck_provmsg_reply *out, char *why, size_t why_len);

/* Frees what ck_provmsg_reply_parse allocated; safe on a zeroed struct. */
void ck_provmsg_reply_cleanup(struct ck_provmsg_reply *r);

#endif
