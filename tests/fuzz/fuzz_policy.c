/*
 * libFuzzer target for IoT policy documents: the input is the document;
 * when it compiles, every action is decided against resources and contexts
 * chosen to reach the variables, wildcards and conditions (empty context,
 * a full one, and one whose values hold wildcard characters), and the
 * deciding statement's JSON is read back.
 */
#include "policy/policy.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const resources[] = {
	"client/dev1",
	"topic/iotbutton/dev1",
	"topic/iotbutton/dev1/feedback",
	"topicfilter/iotbutton/#",
	"topicfilter/my/+/topic",
	"topic/site/3/a/b",
	"topic/\xc3\xa9t\xc3\xa9",
	"",
	"thing/dev1",
	"topic/a*b?c",
};

static const struct ck_policy_attr attrs[] = {
	{ "floor", "3" },
	{ "zone", "a-12" },
	{ "empty", "" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_policy *p = NULL;
	char err[256];

	if (ck_policy_parse((const char *)data, size, &p, err, sizeof(err)) != 0)
		return 0;
	const struct ck_policy_context contexts[] = {
		{ 0 },
		{ .client_id = "dev1",
		  .thing_name = "dev1",
		  .thing_type = "button",
		  .attrs = attrs,
		  .n_attrs = 3,
		  .cert_cn = "dev1" },
		{ .client_id = "+",
		  .thing_name = "*",
		  .thing_type = "#",
		  .attrs = attrs,
		  .n_attrs = 1,
		  .cert_cn = "a*b" },
	};
	const struct ck_policy *set[2] = { p, p };
	for (int a = 0; a < CK_POLICY_N_ACTIONS; a++) {
		for (size_t r = 0; r < sizeof(resources) / sizeof(resources[0]); r++) {
			for (size_t c = 0; c < sizeof(contexts) / sizeof(contexts[0]); c++) {
				struct ck_policy_request req = { (enum ck_policy_action)a,
					                         resources[r], &contexts[c] };
				struct ck_policy_decision d;
				ck_policy_eval(set, 2, &req, &d);
				if (d.statement >= 0 &&
				    !ck_policy_statement_json(p, (size_t)d.statement))
					__builtin_trap();
			}
		}
	}
	ck_policy_free(p);
	return 0;
}
