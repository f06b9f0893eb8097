/*
 * libFuzzer target for the device's fleet-provisioning reply parser: the
 * first byte picks the operation and the topic (accepted or rejected), the
 * rest is the payload. Any input is refused with a one-line reason or
 * yields a reply whose fields hold their documented promises. Any other
 * outcome aborts.
 */
#include "core/name.h"
#include "device/provmsg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum ck_provmsg_op op = (data[0] & 1) ? CK_PROVMSG_OP_PROVISION : CK_PROVMSG_OP_CSR;
	bool accepted = (data[0] & 2) != 0;
	struct ck_provmsg_reply r;
	char why[256] = "";
	int rc = ck_provmsg_reply_parse(op, accepted, data + 1, size - 1, &r, why, sizeof(why));
	if (rc != 0) {
		if (!why[0] || !clean(why) || (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) ||
		    r.certificate_pem)
			abort();
		ck_provmsg_reply_cleanup(&r);
		return 0;
	}
	if (r.op != op || r.accepted != accepted)
		abort();
	if (!accepted) {
		if (!clean(r.error_code) || !clean(r.error_message) || r.status_code < 0 ||
		    r.status_code > 999 || r.certificate_pem)
			abort();
	} else if (op == CK_PROVMSG_OP_CSR) {
		if (!r.certificate_pem || strlen(r.certificate_pem) > CK_PROVMSG_CERT_MAX ||
		    strncmp(r.certificate_pem, "-----BEGIN CERTIFICATE-----", 27) != 0 ||
		    !r.token[0] || !clean(r.token) || !clean(r.certificate_id))
			abort();
	} else if (!ck_name_valid(r.thing_name) || r.certificate_pem) {
		abort();
	}
	ck_provmsg_reply_cleanup(&r);
	return 0;
}
