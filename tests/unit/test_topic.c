/*
 * Unit tests for topic names, filters and AWS IoT matching (src/core/topic).
 */
#include "core/topic.h"

#include <stdlib.h>
#include <string.h>

#include "ck_test.h"

struct valid_case {
	const char *s;
	bool name, filter;
};

static const struct valid_case valid[] = {
	{ "a", true, true },
	{ "iotbutton/G030JF0001", true, true },
	{ "a//b", true, true },
	{ "/company/windfarm/+/turbine/+/+", false, true },
	{ "/a", true, true },
	{ "a/", true, true },
	{ "$aws/things/t/shadow/update", true, true },
	{ "+", false, true },
	{ "#", false, true },
	{ "a/#", false, true },
	{ "a/+/c", false, true },
	{ "+/+", false, true },
	{ "", false, false },
	{ "a/#/b", false, false },
	{ "a/b#", false, false },
	{ "a+/b", false, false },
	{ "a/+b", false, false },
	{ "##", false, false },
	{ "a/++", false, false },
	{ "#/a", false, false },
	{ "1/2/3/4/5/6/7/8", true, true },
	{ "1/2/3/4/5/6/7/8/9", false, false },
	{ "caf\xc3\xa9", true, true },
	{ "bad\xff", false, false },
	{ "bad\xc3", false, false },
	{ "\xed\xa0\x80", false, false }, /* surrogate */
};

struct match_case {
	const char *filter, *topic;
	bool match;
};

static const struct match_case matches[] = {
	{ "iotbutton/+", "iotbutton/G030JF0001", true },
	{ "iotbutton/+", "iotbutton/G030JF0001/feedback", false },
	{ "iotbutton/+", "iotbutton", false },
	{ "iotbutton/#", "iotbutton/a/b", true },
	{ "topic/#", "topic/subtopic", true },
	{ "topic/#", "topic/subtopic-2", true },
	{ "topic/#", "topic/subtopic-3/details", true },
	{ "topic/#", "topic-2/subtopic-x", false },
	{ "topic/+", "topic/subtopic", true },
	{ "topic/+", "topic/subtopic-3/details", false },
	{ "sensor/#", "sensor/", true },
	{ "sensor/#", "sensor", false }, /* AWS, unlike MQTT */
	{ "#", "a", true },
	{ "#", "a/b/c", true },
	{ "#", "/", true },
	{ "+", "a", true },
	{ "+", "a/b", false },
	{ "+", "", true },
	{ "+/+", "/", true },
	{ "a/+/c", "a//c", true },
	{ "a/+/c", "a/b/c", true },
	{ "a/+/c", "a/b/d", false },
	{ "a/b", "a/b", true },
	{ "a/b", "A/b", false },
	{ "a/b", "a/b/", false },
	{ "a/b/", "a/b", false },
	{ "a", "ab", false },
	{ "ab", "a", false },
	{ "#", "$aws/things", false },
	{ "+/things", "$aws/things", false },
	{ "$aws/things/+/shadow/update", "$aws/things/t1/shadow/update", true },
	{ "$aws/#", "$aws/x", true },
	{ "a/#", "a/$x", true },
	{ "/company/windfarm/+/turbine/+/+", "/company/windfarm/3/turbine/1/rpm", true },
};

/* Basic Ingest topics: the rule name and the topic topic() sees, or NULL. */
static const struct {
	const char *topic;
	const char *name; /* NULL: not a Basic Ingest topic */
	const char *rest;
} ingest[] = {
	{ "$aws/rules/pickup/iotbutton/G030JF0001", "pickup", "iotbutton/G030JF0001" },
	{ "$aws/rules/pickup/a", "pickup", "a" },
	{ "$aws/rules/r_1/a//b", "r_1", "a//b" },
	{ "$aws/rules/pickup", NULL, NULL },
	{ "$aws/rules/pickup/", NULL, NULL },
	{ "$aws/rules//a", NULL, NULL },
	{ "$aws/rules/", NULL, NULL },
	{ "$aws/things/x/shadow/update", NULL, NULL },
	{ "aws/rules/pickup/a", NULL, NULL },
	{ "iotbutton/G030JF0001", NULL, NULL },
	{ "$aws/rules/a_name_that_is_longer_than_the_buffer/x", NULL, NULL },
};

static void test_basic_ingest(void)
{
	for (size_t i = 0; i < sizeof(ingest) / sizeof(ingest[0]); i++) {
		char name[16] = "unchanged";
		const char *rest = ck_topic_basic_ingest(ingest[i].topic, name, sizeof(name));
		if (!ingest[i].name) {
			CK_CHECK(rest == NULL);
			CK_CHECK_STR(name, "unchanged");
			continue;
		}
		CK_CHECK_STR(rest, ingest[i].rest);
		CK_CHECK_STR(name, ingest[i].name);
	}
}

int main(void)
{
	test_basic_ingest();
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		bool n = ck_topic_name_valid(valid[i].s);
		bool f = ck_topic_filter_valid(valid[i].s);
		CK_CHECK(n == valid[i].name);
		CK_CHECK(f == valid[i].filter);
		if (n != valid[i].name || f != valid[i].filter)
			fprintf(stderr, "  topic: \"%s\" name %d filter %d\n", valid[i].s, n, f);
	}
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		bool m = ck_topic_match(matches[i].filter, matches[i].topic);
		CK_CHECK(m == matches[i].match);
		if (m != matches[i].match)
			fprintf(stderr, "  match: \"%s\" vs \"%s\" gave %d\n", matches[i].filter,
			        matches[i].topic, m);
	}

	/* length limits */
	char buf[CK_TOPIC_MAX_LEN + 2];
	memset(buf, 'x', sizeof(buf));
	buf[CK_TOPIC_MAX_LEN] = '\0';
	CK_CHECK(ck_topic_name_valid(buf));
	CK_CHECK(ck_topic_filter_valid(buf));
	buf[CK_TOPIC_MAX_LEN] = 'x';
	buf[CK_TOPIC_MAX_LEN + 1] = '\0';
	CK_CHECK(!ck_topic_name_valid(buf));
	CK_CHECK(!ck_topic_filter_valid(buf));

	/* NULL is never valid and never matches */
	CK_CHECK(!ck_topic_name_valid(NULL));
	CK_CHECK(!ck_topic_filter_valid(NULL));
	CK_CHECK(!ck_topic_match(NULL, "a"));
	CK_CHECK(!ck_topic_match("a", NULL));
	return ck_test_main("test_topic");
}
