/*
 * Unit tests of the policy engine (src/policy). Each case names its source:
 * aws-model.md §3.x (the design note), or the AWS IoT / IAM documentation
 * page it comes from. Decisions are table-driven: one policy, a request,
 * the expected effect and deciding statement.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"

#define ARN "arn:aws:iot:us-east-1:123456789012:"

/* §3.5 recommended per-thing template (pub-sub-policy.html). */
static const char thing_policy[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
    "\"Resource\":\"" ARN "client/${iot:Connection.Thing.ThingName}\"},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
    "\"Resource\":\"" ARN "topic/iotbutton/${iot:Connection.Thing.ThingName}\"}]}";

/* §3.5 connect-deny example (connect-policy.html). */
static const char connect_deny[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Deny\",\"Action\":\"iot:Connect\","
    "\"Resource\":[\"" ARN "client/client1\",\"" ARN "client/client2\"]},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
    "\"Resource\":\"" ARN "client/${iot:Connection.Thing.ThingName}\"}]}";

/* §3.4: Subscribe is checked on the literal filter; the documented fix is
 * Receive with NotResource (pub-sub-policy.html). */
static const char restricted[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\",\"Resource\":\"" ARN "topicfilter/a/*\"},"
    "{\"Effect\":\"Deny\",\"Action\":\"iot:Subscribe\","
    "\"Resource\":\"" ARN "topicfilter/a/restricted/*\"},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Receive\","
    "\"NotResource\":\"" ARN "topic/a/restricted/*\"}]}";

/* §3.4 wildcards: '*' crosses '/', '?' is one character, + and # literal. */
static const char wildcards[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Allow\",\"Action\":[\"iot:Publish\",\"iot:Receive\"],"
    "\"Resource\":[\"" ARN "topic/some/?????"
    "/topic\",\"" ARN "topic/all/*\"]},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\","
    "\"Resource\":[\"" ARN "topicfilter/my/+/topic\",\"" ARN "topicfilter/deep/#\"]}]}";

/* §3.3 attribute and type variables, ClientId pitfall. */
static const char variables[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Sid\":\"Floor\",\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
    "\"Resource\":\"" ARN "topic/site/${iot:Connection.Thing.Attributes[floor]}/*\"},"
    "{\"Sid\":\"Type\",\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\","
    "\"Resource\":\"" ARN "topicfilter/types/${iot:Connection.Thing.ThingTypeName}\"},"
    "{\"Sid\":\"Mine\",\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\","
    "\"Resource\":\"" ARN "topicfilter/my/${iot:ClientId}/topic\"},"
    "{\"Sid\":\"Cn\",\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
    "\"Resource\":\"" ARN "topic/cn/${iot:Certificate.Subject.CommonName}\"},"
    "{\"Sid\":\"Org\",\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
    "\"Resource\":\"" ARN "topic/org/${iot:Certificate.Subject.Organization}\"},"
    "{\"Sid\":\"Escapes\",\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","
    "\"Resource\":\"" ARN "topic/lit/${*}${?}${$}\"}]}";

/* IAM reference_policies_elements_condition_operators.html. */
static const char conditions[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\",\"Resource\":\"*\","
    "\"Condition\":{\"StringEquals\":{\"iot:ClientId\":\"${iot:Connection.Thing.ThingName}\"},"
    "\"Bool\":{\"iot:Connection.Thing.IsAttached\":\"true\"}}},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\",\"Resource\":\"*\","
    "\"Condition\":{\"StringLike\":{\"iot:Connection.Thing.Attributes[zone]\":[\"a-*\",\"b-?\"]}}},"
    "{\"Effect\":\"Deny\",\"Action\":\"iot:Publish\",\"Resource\":\"*\","
    "\"Condition\":{\"StringEqualsIgnoreCase\":{\"iot:Connection.Thing.ThingTypeName\":"
    "\"BLOCKED\"}}},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\",\"Resource\":\"*\","
    "\"Condition\":{\"Null\":{\"iot:Connection.Thing.ThingTypeName\":\"false\"},"
    "\"StringNotEquals\":{\"iot:Connection.Thing.ThingTypeName\":\"sensor\"}}},"
    "{\"Effect\":\"Allow\",\"Action\":\"iot:Receive\",\"Resource\":\"*\","
    "\"Condition\":{\"StringEqualsIfExists\":{\"iot:Certificate.Subject.CommonName\":"
    "\"press\"}}}]}";

/* 2008-10-17: no variables (IAM reference_policies_variables.html). */
static const char old_version[] =
    "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\","
    "\"Resource\":\"" ARN "topic/${iot:ClientId}\"}}";

/* NotAction and iot:* (IAM grammar, §3.1). */
static const char not_action[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"" ARN "*\"},"
    "{\"Effect\":\"Deny\",\"NotAction\":[\"iot:Connect\",\"iot:Pub*\"],\"Resource\":\"*\"}]}";

struct ctxdef {
	const char *client_id, *thing, *type, *cn;
	const char *attr_name, *attr_value;
};

struct decide_case {
	const char *source;
	const char *policy;
	const char *action;
	const char *resource; /* the ARN's resource part */
	struct ctxdef ctx;
	int effect;
	int statement; /* deciding statement, -1 implicit */
};

#define T1                                                                                         \
	{                                                                                          \
		"dev1", "dev1", NULL, NULL, NULL, NULL                                             \
	}
#define TY                                                                                         \
	{                                                                                          \
		"dev1", "dev1", "button", "dev1-cn", "floor", "3"                                  \
	}
#define ANY CK_POLICY_ALLOW
#define DNY CK_POLICY_DENY

static const struct decide_case decide_cases[] = {
	/* §3.5 per-thing template */
	{ "§3.5 template", thing_policy, "iot:Connect", "client/dev1", T1, ANY, 0 },
	{ "§3.5 template: other client id", thing_policy, "iot:Connect", "client/dev2", T1, DNY,
	  -1 },
	{ "§3.5 template: own topic", thing_policy, "iot:Publish", "topic/iotbutton/dev1", T1, ANY,
	  1 },
	{ "§3.5 template: other thing's topic", thing_policy, "iot:Publish", "topic/iotbutton/dev2",
	  T1, DNY, -1 },
	{ "§3.5 template: subtopic is another topic", thing_policy, "iot:Publish",
	  "topic/iotbutton/dev1/x", T1, DNY, -1 },
	{ "§3.4 deny by default: no Subscribe statement", thing_policy, "iot:Subscribe",
	  "topicfilter/iotbutton/dev1", T1, DNY, -1 },
	{ "§3.3 no thing attached: variable has no value",
	  thing_policy,
	  "iot:Connect",
	  "client/dev1",
	  { "dev1", NULL, NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "§3.3 value-less variable does not match the literal",
	  thing_policy,
	  "iot:Connect",
	  "client/${iot:Connection.Thing.ThingName}",
	  { "x", NULL, NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	/* connect-policy.html deny example */
	{ "connect-policy.html: client1 denied",
	  connect_deny,
	  "iot:Connect",
	  "client/client1",
	  { "client1", "client1", NULL, NULL, NULL, NULL },
	  DNY,
	  0 },
	{ "connect-policy.html: client3 allowed",
	  connect_deny,
	  "iot:Connect",
	  "client/client3",
	  { "client3", "client3", NULL, NULL, NULL, NULL },
	  ANY,
	  1 },
	/* §3.4 Subscribe literal filter */
	{ "§3.4 subscribe a/# is not a/restricted/*", restricted, "iot:Subscribe",
	  "topicfilter/a/#", T1, ANY, 0 },
	{ "§3.4 subscribe a/restricted/x denied", restricted, "iot:Subscribe",
	  "topicfilter/a/restricted/x", T1, DNY, 1 },
	{ "§3.4 receive a/restricted/x not allowed", restricted, "iot:Receive",
	  "topic/a/restricted/x", T1, DNY, -1 },
	{ "§3.4 receive a/open allowed", restricted, "iot:Receive", "topic/a/open", T1, ANY, 2 },
	/* §3.4 wildcards */
	{ "§3.4 ? is one char", wildcards, "iot:Publish", "topic/some/abcde/topic", T1, ANY, 0 },
	{ "§3.4 ????? is not four chars", wildcards, "iot:Publish", "topic/some/abcd/topic", T1,
	  DNY, -1 },
	{ "§3.4 ? matches '/' too", wildcards, "iot:Publish", "topic/some/ab/de/topic", T1, ANY,
	  0 },
	{ "§3.4 ? is one UTF-8 character", wildcards, "iot:Publish",
	  "topic/some/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9/topic", T1, ANY, 0 },
	{ "§3.4 * crosses /", wildcards, "iot:Receive", "topic/all/x/y/z", T1, ANY, 0 },
	{ "§3.4 * matches empty", wildcards, "iot:Receive", "topic/all/", T1, ANY, 0 },
	{ "§3.4 topic/all/* does not match topic/all", wildcards, "iot:Receive", "topic/all", T1,
	  DNY, -1 },
	{ "§3.4 + literal: matches the filter my/+/topic", wildcards, "iot:Subscribe",
	  "topicfilter/my/+/topic", T1, ANY, 1 },
	{ "§3.4 + literal: not my/x/topic", wildcards, "iot:Subscribe", "topicfilter/my/x/topic",
	  T1, DNY, -1 },
	{ "§3.4 # literal: matches deep/#", wildcards, "iot:Subscribe", "topicfilter/deep/#", T1,
	  ANY, 1 },
	{ "§3.4 # literal: not deep/a", wildcards, "iot:Subscribe", "topicfilter/deep/a", T1, DNY,
	  -1 },
	{ "§3.2 Publish does not grant Subscribe", wildcards, "iot:Subscribe", "topicfilter/all/x",
	  T1, DNY, -1 },
	/* §3.3 variables */
	{ "§3.3 attribute variable", variables, "iot:Publish", "topic/site/3/a", TY, ANY, 0 },
	{ "§3.3 attribute variable: other value", variables, "iot:Publish", "topic/site/4/a", TY,
	  DNY, -1 },
	{ "§3.3 attribute missing: no value",
	  variables,
	  "iot:Publish",
	  "topic/site//a",
	  { "dev1", "dev1", NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "§3.3 thing type variable", variables, "iot:Subscribe", "topicfilter/types/button", TY,
	  ANY, 1 },
	{ "§3.3 ClientId variable", variables, "iot:Subscribe", "topicfilter/my/dev1/topic", TY,
	  ANY, 2 },
	{ "§3.3 pitfall: client id + matches my/+/topic",
	  variables,
	  "iot:Subscribe",
	  "topicfilter/my/+/topic",
	  { "+", NULL, NULL, NULL, NULL, NULL },
	  ANY,
	  2 },
	{ "§3.3 client id '*' is literal",
	  variables,
	  "iot:Subscribe",
	  "topicfilter/my/abc/topic",
	  { "*", NULL, NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "§3.3 certificate CN", variables, "iot:Publish", "topic/cn/dev1-cn", TY, ANY, 3 },
	{ "§3.3 CN with a wildcard char is not substituted",
	  variables,
	  "iot:Publish",
	  "topic/cn/a+b",
	  { "dev1", "dev1", NULL, "a+b", NULL, NULL },
	  DNY,
	  -1 },
	{ "§3.3 certificate Organization has no value in clickd", variables, "iot:Publish",
	  "topic/org/", TY, DNY, -1 },
	{ "IAM fixed-value escapes ${*} ${?} ${$}", variables, "iot:Publish", "topic/lit/*?$", TY,
	  ANY, 5 },
	{ "IAM escapes are literal, not wildcards", variables, "iot:Publish", "topic/lit/xy$", TY,
	  DNY, -1 },
	{ "IAM 2008-10-17: ${...} literal", old_version, "iot:Publish", "topic/${iot:ClientId}", T1,
	  ANY, 0 },
	{ "IAM 2008-10-17: not substituted", old_version, "iot:Publish", "topic/dev1", T1, DNY,
	  -1 },
	/* conditions */
	{ "Condition StringEquals with variable + Bool", conditions, "iot:Connect", "client/dev1",
	  T1, ANY, 0 },
	{ "Condition StringEquals: client id is not the thing",
	  conditions,
	  "iot:Connect",
	  "client/dev2",
	  { "dev2", NULL, NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "Condition StringLike a-*",
	  conditions,
	  "iot:Publish",
	  "topic/x",
	  { "d", "d", "button", NULL, "zone", "a-12" },
	  ANY,
	  1 },
	{ "Condition StringLike b-? one char",
	  conditions,
	  "iot:Publish",
	  "topic/x",
	  { "d", "d", "button", NULL, "zone", "b-12" },
	  DNY,
	  -1 },
	{ "Condition explicit Deny wins (IgnoreCase)",
	  conditions,
	  "iot:Publish",
	  "topic/x",
	  { "d", "d", "blocked", NULL, "zone", "a-1" },
	  DNY,
	  2 },
	{ "Condition Null false + StringNotEquals",
	  conditions,
	  "iot:Subscribe",
	  "topicfilter/x",
	  { "d", "d", "button", NULL, NULL, NULL },
	  ANY,
	  3 },
	{ "Condition StringNotEquals fails",
	  conditions,
	  "iot:Subscribe",
	  "topicfilter/x",
	  { "d", "d", "sensor", NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "Condition Null false needs the key",
	  conditions,
	  "iot:Subscribe",
	  "topicfilter/x",
	  { "d", "d", NULL, NULL, NULL, NULL },
	  DNY,
	  -1 },
	{ "Condition IfExists: absent key holds", conditions, "iot:Receive", "topic/x", T1, ANY,
	  4 },
	{ "Condition IfExists: present, other value",
	  conditions,
	  "iot:Receive",
	  "topic/x",
	  { "d", "d", NULL, "other", NULL, NULL },
	  DNY,
	  -1 },
	/* NotAction, iot:* */
	{ "iot:* allows Subscribe... but NotAction Deny wins", not_action, "iot:Subscribe",
	  "topicfilter/x", T1, DNY, 1 },
	{ "NotAction excludes iot:Pub*", not_action, "iot:Publish", "topic/x", T1, ANY, 0 },
	{ "NotAction excludes Connect", not_action, "iot:Connect", "client/x", T1, ANY, 0 },
	{ "NotAction: RetainPublish is not Pub*", not_action, "iot:RetainPublish", "topic/x", T1,
	  DNY, 1 },
};

static void test_decisions(void)
{
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct ck_policy *p = NULL;
		char err[256];
		int rc = ck_policy_parse(c->policy, strlen(c->policy), &p, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "case %zu (%s): parse failed: %s\n", i, c->source, err);
			CK_CHECK(rc == 0);
			continue;
		}
		struct ck_policy_attr attr = { c->ctx.attr_name, c->ctx.attr_value };
		struct ck_policy_context ctx = {
			.client_id = c->ctx.client_id,
			.thing_name = c->ctx.thing,
			.thing_type = c->ctx.type,
			.cert_cn = c->ctx.cn,
			.attrs = c->ctx.attr_name ? &attr : NULL,
			.n_attrs = c->ctx.attr_name ? 1 : 0,
		};
		struct ck_policy_request req = {
			.action = (enum ck_policy_action)ck_policy_action_parse(c->action),
			.resource = c->resource,
			.ctx = &ctx,
		};
		struct ck_policy_decision d;
		const struct ck_policy *set[1] = { p };
		int effect = ck_policy_eval(set, 1, &req, &d);
		if (effect != c->effect || d.statement != c->statement)
			fprintf(stderr, "case %zu (%s): got %s by %d, want %s by %d\n", i,
			        c->source, effect ? "ALLOW" : "DENY", d.statement,
			        c->effect ? "ALLOW" : "DENY", c->statement);
		CK_CHECK_INT(effect, ==, c->effect);
		CK_CHECK_INT(d.statement, ==, c->statement);
		ck_policy_free(p);
	}
}

struct bad_case {
	const char *source;
	const char *doc;
	int rc;
	const char *message; /* substring of the error */
};

static const struct bad_case bad_cases[] = {
	{ "JSON syntax, line and column",
	  "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [}\n}", -EINVAL, "line 3, column" },
	{ "trailing text",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	  "\"Resource\":\"*\"}} x",
	  -EINVAL, "unexpected text" },
	{ "§3.1 Effect",
	  "{\"Statement\":{\"Effect\":\"allow\",\"Action\":\"iot:Connect\","
	  "\"Resource\":\"*\"}}",
	  -EINVAL, "Statement: Effect must be" },
	{ "§3.1 Action required", "{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}",
	  -EINVAL, "Statement[0]: exactly one of Action and NotAction" },
	{ "§3.1 Resource and NotResource",
	  "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	  "\"iot:Connect\",\"Resource\":\"*\",\"NotResource\":\"*\"}]}",
	  -EINVAL, "exactly one of Resource and NotResource" },
	{ "§3.2 unknown action",
	  "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"iot:Connect\","
	  "\"iot:Publsh\"],\"Resource\":\"*\"}]}",
	  -EINVAL, "Statement[0].Action[1]: \"iot:Publsh\"" },
	{ "§3.2 not an IoT action",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:Get\","
	  "\"Resource\":\"*\"}}",
	  -EINVAL, "not an IoT action" },
	{ "§3.4 no wildcard in the service",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	  "\"iot:Connect\",\"Resource\":\"arn:aws:io*:r:a:client/x\"}}",
	  -EINVAL, "Statement.Resource: \"arn:aws:io*" },
	{ "§3.2 unknown resource kind",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	  "\"iot:Publish\",\"Resource\":\"" ARN "topics/x\"}}",
	  -EINVAL, "is not client/, topic/" },
	{ "§3.3 unknown variable",
	  "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
	  "\"Action\":\"iot:Publish\",\"Resource\":\"" ARN "topic/${iot:Thingname}\"}}",
	  -EINVAL, "unknown policy variable ${iot:Thingname}" },
	{ "§3.3 unterminated variable",
	  "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
	  "\"Allow\",\"Action\":\"iot:Publish\",\"Resource\":\"" ARN "topic/${iot:ClientId\"}}",
	  -EINVAL, "unterminated policy variable" },
	{ "§3.1 unknown operator",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	  "\"Resource\":\"*\",\"Condition\":{\"StringMatches\":{\"iot:ClientId\":\"x\"}}}}",
	  -EINVAL, "Statement.Condition.StringMatches: unknown operator StringMatches" },
	{ "§3.1 IpAddress unsupported",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	  "\"iot:Connect\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
	  "\"10.0.0.0/8\"}}}}",
	  -EINVAL, "unknown operator IpAddress" },
	{ "unknown condition key",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	  "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"iot:Nope\":\"x\"}}}}",
	  -EINVAL, "StringEquals.iot:Nope: unknown condition key" },
	{ "Bool value",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	  "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"iot:Connection.Thing.IsAttached\":\"yes\"}"
	  "}}}",
	  -EINVAL, "must be \"true\" or \"false\"" },
	{ "Version",
	  "{\"Version\":\"2012-10-18\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	  "\"iot:Connect\",\"Resource\":\"*\"}}",
	  -EINVAL, "Version must be" },
	{ "Principal is not an IoT policy element",
	  "{\"Statement\":{\"Effect\":\"Allow\","
	  "\"Principal\":\"*\",\"Action\":\"iot:Connect\",\"Resource\":\"*\"}}",
	  -EINVAL, "unknown element \"Principal\"" },
	{ "duplicate key",
	  "{\"Statement\":{\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Action\":"
	  "\"iot:Connect\",\"Resource\":\"*\"}}",
	  -EINVAL, "duplicate key \"Effect\"" },
	{ "empty list", "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}}",
	  -EINVAL, "Action must not be empty" },
	{ "no Statement", "{\"Version\":\"2012-10-17\"}", -EINVAL, "Statement is required" },
	{ "not an object", "[]", -EINVAL, "must be a JSON object" },
	{ "empty", "", -EINVAL, "empty" },
	{ "invalid UTF-8", "{\"Statement\":\"\xff\"}", -EINVAL, "UTF-8" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct ck_policy *p = (struct ck_policy *)1;
		char err[256] = "";
		int rc = ck_policy_parse(c->doc, strlen(c->doc), &p, err, sizeof(err));
		if (rc != c->rc || !strstr(err, c->message))
			fprintf(stderr, "bad case %zu (%s): rc %d, error \"%s\"\n", i, c->source,
			        rc, err);
		CK_CHECK_INT(rc, ==, c->rc);
		CK_CHECK(strstr(err, c->message) != NULL);
		CK_CHECK(p == NULL);
	}
}

static void test_bounds(void)
{
	/* §3.1 2,048 characters (AWS quota); whitespace does not count. */
	char doc[CK_POLICY_DOC_MAX + 64];
	const char head[] = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	                    "\"Resource\":\"" ARN "client/";
	size_t n = strlen(head);
	memcpy(doc, head, n);
	while (n < 2100)
		doc[n++] = 'x';
	memcpy(doc + n, "\"}}", 4);
	struct ck_policy *p = NULL;
	char err[256];
	CK_CHECK_INT(ck_policy_parse(doc, strlen(doc), &p, err, sizeof(err)), ==, -E2BIG);
	CK_CHECK(strstr(err, "at most 2048") != NULL);

	/* The same document padded with whitespace stays under the quota. */
	const char ok[] = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","
	                  "\"Resource\":\"*\"}}";
	n = 0;
	doc[n++] = '{';
	while (n < 3000)
		doc[n++] = ' ';
	memcpy(doc + n, ok + 1, sizeof(ok) - 1);
	CK_CHECK_INT(ck_policy_parse(doc, strlen(doc), &p, err, sizeof(err)), ==, 0);
	ck_policy_free(p);

	/* Over the byte cap whatever it holds. */
	memset(doc, ' ', sizeof(doc));
	CK_CHECK_INT(ck_policy_parse(doc, CK_POLICY_DOC_MAX + 1, &p, err, sizeof(err)), ==, -E2BIG);

	/* Too many statements. */
	char *big = malloc(70 * 80 + 64);
	n = 0;
	n += (size_t)snprintf(big + n, 64, "{\"Statement\":[");
	for (int i = 0; i < CK_POLICY_STATEMENTS_MAX + 1; i++)
		n += (size_t)snprintf(big + n, 80,
		                      "%s{\"Effect\":\"Deny\",\"Action\":\"*\","
		                      "\"Resource\":\"*\"}",
		                      i ? "," : "");
	n += (size_t)snprintf(big + n, 8, "]}");
	int rc = ck_policy_parse(big, n, &p, err, sizeof(err));
	CK_CHECK(rc == -E2BIG);
	free(big);
}

static void test_set_and_helpers(void)
{
	/* §3.4: all attached policies are evaluated as one; a Deny in any wins. */
	static const char allow_all[] = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:*\","
	                                "\"Resource\":\"*\"}}";
	static const char deny_pub[] =
	    "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	    "\"iot:Connect\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
	    "\"Action\":\"iot:Publish\",\"Resource\":\"" ARN "topic/x\"}]}";
	struct ck_policy *a = NULL, *d = NULL;
	char err[256];
	CK_CHECK_INT(ck_policy_parse(allow_all, strlen(allow_all), &a, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(ck_policy_parse(deny_pub, strlen(deny_pub), &d, err, sizeof(err)), ==, 0);
	const struct ck_policy *set[3] = { a, NULL, d };
	struct ck_policy_request req = { CK_POLICY_PUBLISH, "topic/x", NULL };
	struct ck_policy_decision dec;
	CK_CHECK_INT(ck_policy_eval(set, 3, &req, &dec), ==, CK_POLICY_DENY);
	CK_CHECK_INT(dec.policy, ==, 2);
	CK_CHECK_INT(dec.statement, ==, 1);
	req.resource = "topic/y";
	CK_CHECK_INT(ck_policy_eval(set, 3, &req, &dec), ==, CK_POLICY_ALLOW);
	CK_CHECK_INT(dec.policy, ==, 0);
	CK_CHECK_INT(ck_policy_eval(set, 0, &req, &dec), ==, CK_POLICY_DENY);
	CK_CHECK_INT(dec.statement, ==, -1);
	CK_CHECK_STR(ck_policy_statement_json(d, 1),
	             "{\"Effect\":\"Deny\",\"Action\":\"iot:Publish\",\"Resource\":\"" ARN
	             "topic/x\"}");
	CK_CHECK(ck_policy_statement_json(d, 2) == NULL);
	CK_CHECK_INT(ck_policy_statement_count(d), ==, 2);

	/* A resource over the cap is denied even by Allow *. */
	char longres[CK_POLICY_RESOURCE_MAX + 16];
	memset(longres, 'a', sizeof(longres) - 1);
	longres[sizeof(longres) - 1] = '\0';
	req.resource = longres;
	CK_CHECK_INT(ck_policy_eval(set, 1, &req, NULL), ==, CK_POLICY_DENY);
	ck_policy_free(a);
	ck_policy_free(d);

	CK_CHECK_INT(ck_policy_action_parse("iot:publish"), ==, CK_POLICY_PUBLISH);
	CK_CHECK_INT(ck_policy_action_parse("IOT:RetainPublish"), ==, CK_POLICY_RETAIN_PUBLISH);
	CK_CHECK_INT(ck_policy_action_parse("iot:Pub"), ==, -EINVAL);
	CK_CHECK_STR(ck_policy_action_name(CK_POLICY_RECEIVE), "iot:Receive");
	CK_CHECK_STR(ck_policy_arn_resource(ARN "topic/a:b"), "topic/a:b");
	CK_CHECK(ck_policy_arn_resource("arn:aws:iot:r::topic/x") == NULL);
	CK_CHECK(ck_policy_arn_resource("arn:aws:s3:r:a:topic/x") == NULL);
	CK_CHECK(ck_policy_arn_resource("topic/x") == NULL);
	CK_CHECK(ck_policy_name_valid("clickd-button.v1@x=y,z+"));
	CK_CHECK(!ck_policy_name_valid("a b"));
	CK_CHECK(!ck_policy_name_valid(""));
}

int main(void)
{
	test_decisions();
	test_errors();
	test_bounds();
	test_set_and_helpers();
	return ck_test_main("test_policy");
}
