/*
 * Unit tests for the device side of fleet provisioning (device/provmsg.h):
 * topics and their classification, the two request payloads, and the
 * replies clickd sends (accepted and rejected, for both operations),
 * including malformed, oversized and hostile ones.
 */
#include "device/provmsg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "ck_test.h"

#define CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

static void test_topics(void)
{
	char t[CK_PROVMSG_TOPIC_MAX];
	enum ck_provmsg_op op;
	bool acc;
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_CSR, NULL, NULL, t, sizeof(t)), ==, 0);
	CK_CHECK_STR(t, "$aws/certificates/create-from-csr/json");
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, "buttons", "rejected", t, sizeof(t)),
	             ==, 0);
	CK_CHECK_STR(t, "$aws/provisioning-templates/buttons/provision/json/rejected");
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, "a/b", NULL, t, sizeof(t)), ==,
	             -EINVAL);
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, "+", NULL, t, sizeof(t)), ==,
	             -EINVAL);
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_CSR, NULL, "other", t, sizeof(t)), ==, -EINVAL);
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_CSR, NULL, NULL, t, 10), ==, -ENAMETOOLONG);
	CK_CHECK_STR(t, "");
	char long_name[CK_PROVMSG_TEMPLATE_MAX + 2];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CK_CHECK(!ck_provmsg_template_valid(long_name));
	long_name[CK_PROVMSG_TEMPLATE_MAX] = '\0';
	CK_CHECK(ck_provmsg_template_valid(long_name));
	CK_CHECK_INT(ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, long_name, "accepted", t, sizeof(t)),
	             ==, 0);

	CK_CHECK_INT(ck_provmsg_classify("$aws/certificates/create-from-csr/json/accepted",
	                                 "buttons", &op, &acc),
	             ==, 0);
	CK_CHECK(op == CK_PROVMSG_OP_CSR && acc);
	CK_CHECK_INT(ck_provmsg_classify("$aws/provisioning-templates/buttons/provision/json/"
	                                 "rejected",
	                                 "buttons", &op, &acc),
	             ==, 0);
	CK_CHECK(op == CK_PROVMSG_OP_PROVISION && !acc);
	CK_CHECK_INT(
	    ck_provmsg_classify("$aws/provisioning-templates/other/provision/json/accepted",
	                        "buttons", &op, &acc),
	    ==, -ENOENT);
	CK_CHECK_INT(
	    ck_provmsg_classify("$aws/certificates/create-from-csr/json", "buttons", &op, &acc), ==,
	    -ENOENT);
}

static void test_requests(void)
{
	char why[128];
	char *s = ck_provmsg_csr_request("-----BEGIN CERTIFICATE REQUEST-----\nAB\n"
	                                 "-----END CERTIFICATE REQUEST-----\n");
	CK_CHECK_STR(s, "{\"certificateSigningRequest\":\"-----BEGIN CERTIFICATE REQUEST-----"
	                "\\nAB\\n-----END CERTIFICATE REQUEST-----\\n\"}");
	free(s);
	CK_CHECK(ck_provmsg_csr_request("not a CSR") == NULL);

	const char *keys[] = { "SerialNumber", "location" };
	const char *values[] = { "S100", "Line \"1\"" };
	s = ck_provmsg_provision_request("tok", keys, values, 2, why, sizeof(why));
	CK_CHECK_STR(s, "{\"certificateOwnershipToken\":\"tok\",\"parameters\":"
	                "{\"SerialNumber\":\"S100\",\"location\":\"Line \\\"1\\\"\"}}");
	free(s);
	const char *dup[] = { "SerialNumber", "SerialNumber" };
	errno = 0;
	CK_CHECK(ck_provmsg_provision_request("tok", dup, values, 2, why, sizeof(why)) == NULL);
	CK_CHECK_INT(errno, ==, EINVAL);
	CK_CHECK_STR(why, "parameter SerialNumber given twice");
	const char *bad[] = { "a b" };
	CK_CHECK(ck_provmsg_provision_request("tok", bad, values, 1, why, sizeof(why)) == NULL);
	CK_CHECK(ck_provmsg_provision_request("", keys, values, 1, why, sizeof(why)) == NULL);
	CK_CHECK_STR(why, "no certificate ownership token");
}

static int parse(enum ck_provmsg_op op, bool acc, const char *text, struct ck_provmsg_reply *r,
                 char *why, size_t why_len)
{
	return ck_provmsg_reply_parse(op, acc, text, strlen(text), r, why, why_len);
}

static void test_replies(void)
{
	struct ck_provmsg_reply r;
	char why[256];

	CK_CHECK_INT(parse(CK_PROVMSG_OP_CSR, true,
	                   "{\"certificateId\":\"ab12\",\"certificatePem\":\"-----BEGIN "
	                   "CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\","
	                   "\"certificateOwnershipToken\":\"t-1\"}",
	                   &r, why, sizeof(why)),
	             ==, 0);
	CK_CHECK_STR(r.certificate_pem, CERT);
	CK_CHECK_STR(r.token, "t-1");
	CK_CHECK_STR(r.certificate_id, "ab12");
	ck_provmsg_reply_cleanup(&r);

	CK_CHECK_INT(parse(CK_PROVMSG_OP_PROVISION, true,
	                   "{\"deviceConfiguration\":{},\"thingName\":\"btn-S100\"}", &r, why,
	                   sizeof(why)),
	             ==, 0);
	CK_CHECK_STR(r.thing_name, "btn-S100");
	ck_provmsg_reply_cleanup(&r);

	CK_CHECK_INT(parse(CK_PROVMSG_OP_PROVISION, false,
	                   "{\"statusCode\":403,\"errorCode\":\"AccessDenied\",\"errorMessage\":"
	                   "\"serial\\nS999 is not allowed\\u001b[2J\"}",
	                   &r, why, sizeof(why)),
	             ==, 0);
	CK_CHECK_INT(r.status_code, ==, 403);
	CK_CHECK_STR(r.error_code, "AccessDenied");
	CK_CHECK_STR(r.error_message, "serial?S999 is not allowed?[2J");
	ck_provmsg_reply_cleanup(&r);

	/* Refused: each with its reason. */
	static const struct {
		enum ck_provmsg_op op;
		bool acc;
		const char *text, *why;
	} bad[] = {
		{ CK_PROVMSG_OP_CSR, true, "[]", "the reply is not a JSON object" },
		{ CK_PROVMSG_OP_CSR, true, "{\"certificatePem\":\"-----BEGIN CERTIFICATE-----\"}",
		  "the reply has no \"certificateOwnershipToken\"" },
		{ CK_PROVMSG_OP_CSR, true,
		  "{\"certificatePem\":\"x\",\"certificateOwnershipToken\":\"t\"}",
		  "\"certificatePem\" is not a PEM certificate" },
		{ CK_PROVMSG_OP_CSR, true,
		  ("{\"certificatePem\":\"-----BEGIN "
		   "CERTIFICATE-----\",\"certificateOwnershipToken\":"
		   "\"a\\nb\"}"),
		  "the ownership token is empty or not printable" },
		{ CK_PROVMSG_OP_PROVISION, true, "{\"thingName\":\"a/b\"}",
		  "\"thingName\" is not a thing name" },
		{ CK_PROVMSG_OP_PROVISION, true, "{\"thingName\":7}",
		  "\"thingName\" is not a string" },
		{ CK_PROVMSG_OP_PROVISION, false, "{\"statusCode\":\"403\"}",
		  "\"statusCode\" is not a status code" },
		{ CK_PROVMSG_OP_PROVISION, true, "{\"thingName\":\"x\"",
		  "the reply is not a JSON object" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CK_CHECK_INT(parse(bad[i].op, bad[i].acc, bad[i].text, &r, why, sizeof(why)), ==,
		             -EINVAL);
		CK_CHECK_STR(why, bad[i].why);
		CK_CHECK(r.certificate_pem == NULL);
		ck_provmsg_reply_cleanup(&r);
	}
	/* A NUL byte and the size ceiling. */
	CK_CHECK_INT(
	    ck_provmsg_reply_parse(CK_PROVMSG_OP_CSR, true, "{}\0", 3, &r, why, sizeof(why)), ==,
	    -EINVAL);
	ck_provmsg_reply_cleanup(&r);
	char *big = malloc(CK_PROVMSG_MAX + 1);
	memset(big, ' ', CK_PROVMSG_MAX + 1);
	CK_CHECK_INT(ck_provmsg_reply_parse(CK_PROVMSG_OP_CSR, true, big, CK_PROVMSG_MAX + 1, &r,
	                                    why, sizeof(why)),
	             ==, -E2BIG);
	ck_provmsg_reply_cleanup(&r);
	free(big);
}

int main(void)
{
	test_topics();
	test_requests();
	test_replies();
	return ck_test_main("test_provmsg");
}
