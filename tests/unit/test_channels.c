/*
 * Unit tests for channels: SMS segment counting (GSM-7 160/153, extension
 * characters, UCS-2 70/67, surrogate pairs), SNS filter policies and
 * attribute normalization, webhook signatures, and the spend ledger and
 * fan-out on a real store in a temporary directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/channels.h"
#include "channels/filter.h"
#include "channels/segments.h"
#include "channels/signature.h"
#include "store/store_channels.h"
#include "store/store_outbox.h"

#include "ck_test.h"

static char *repeat(const char *unit, int n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * (size_t)n + 1);
	for (int i = 0; i < n; i++)
		memcpy(s + len * (size_t)i, unit, len);
	s[len * (size_t)n] = '\0';
	return s;
}

struct seg_case {
	const char *unit;
	int n;
	int segments;
	int ucs2;
	int units;
};

static const struct seg_case segs[] = {
	{ "a", 160, 1, 0, 160 },
	{ "a", 161, 2, 0, 161 },
	{ "a", 306, 2, 0, 306 },
	{ "a", 307, 3, 0, 307 },
	{ "\xe2\x82\xac", 80, 1, 0, 160 }, /* euro sign: extension, two septets */
	{ "\xe2\x82\xac", 81, 2, 0, 162 }, /* 153 is odd: 76 euros a segment */
	{ "\xc3\xa9", 160, 1, 0, 160 },    /* e acute is in the basic set */
	{ "\xc3\xa7", 70, 1, 1, 70 },      /* c cedilla lower case is not */
	{ "\xc3\xa7", 71, 2, 1, 71 },
	{ "\xc3\xa7", 134, 2, 1, 134 },
	{ "\xc3\xa7", 135, 3, 1, 135 },
	{ "\xf0\x9f\x94\x94", 35, 1, 1, 70 }, /* bell emoji: a surrogate pair */
	{ "\xf0\x9f\x94\x94", 36, 2, 1, 72 },
	{ "`", 1, 1, 1, 1 }, /* the backtick is not GSM */
	{ "", 1, 1, 0, 0 },
};

static void test_segments(void)
{
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		char *s = repeat(segs[i].unit, segs[i].n);
		struct ck_segments out;
		CK_CHECK_INT(ck_segments_count(s, strlen(s), &out), ==, 0);
		CK_CHECK_INT(out.segments, ==, segs[i].segments);
		CK_CHECK_INT(out.ucs2, ==, segs[i].ucs2);
		CK_CHECK_INT(out.units, ==, segs[i].units);
		free(s);
	}
	/* 152 septets, a euro, 152 more: 306 septets would fit two segments of
	 * 153, but the escape pair is never split, so a third is needed. */
	char *s = repeat("a", 152);
	char buf[400];
	snprintf(buf, sizeof(buf), "%s\xe2\x82\xac%s", s, s);
	struct ck_segments out;
	CK_CHECK_INT(ck_segments_count(buf, strlen(buf), &out), ==, 0);
	CK_CHECK_INT(out.units, ==, 306);
	CK_CHECK_INT(out.segments, ==, 3);
	free(s);
	CK_CHECK_INT(ck_segments_count("\xc3", 1, &out), ==, -EINVAL);
	CK_CHECK_INT(ck_segments_count("\xed\xa0\x80", 3, &out), ==, -EINVAL); /* surrogate */
	CK_CHECK_INT(ck_segments_count("\xc0\xaf", 2, &out), ==, -EINVAL);     /* overlong */
}

struct filter_case {
	const char *policy;
	const char *attrs;
	int match;
};

static const struct filter_case filters[] = {
	{ "{\"a\":[\"x\",\"y\"]}", "{\"a\":\"y\"}", 1 },
	{ "{\"a\":[\"x\"]}", "{\"a\":\"z\"}", 0 },
	{ "{\"a\":[\"x\"]}", "{}", 0 },
	{ "{\"a\":[\"x\"],\"b\":[1]}", "{\"a\":\"x\",\"b\":1}", 1 },
	{ "{\"a\":[\"x\"],\"b\":[1]}", "{\"a\":\"x\",\"b\":2}", 0 },
	{ "{\"b\":[1]}", "{\"b\":\"1\"}", 0 }, /* a String never equals a number */
	{ "{\"a\":[{\"prefix\":\"dock\"}]}", "{\"a\":\"dock-1\"}", 1 },
	{ "{\"a\":[{\"suffix\":\"-1\"}]}", "{\"a\":\"dock-1\"}", 1 },
	{ "{\"a\":[{\"equals-ignore-case\":\"HIGH\"}]}", "{\"a\":\"high\"}", 1 },
	{ "{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":5}", 1 },
	{ "{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":0}", 0 },
	{ "{\"n\":[{\"numeric\":[\"=\",2.5]}]}",
	  "{\"n\":{\"DataType\":\"Number\",\"StringValue\":\"2.50\"}}", 1 },
	{ "{\"a\":[{\"exists\":true}]}", "{\"a\":\"\"}", 1 },
	{ "{\"a\":[{\"exists\":false}]}", "{}", 1 },
	{ "{\"a\":[{\"exists\":false}]}", "{\"a\":\"x\"}", 0 },
	{ "{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", "{\"a\":\"z\"}", 1 },
	{ "{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", "{\"a\":\"x\"}", 0 },
	{ "{\"a\":[{\"anything-but\":[\"x\"]}]}", "{}", 0 },
	{ "{\"a\":[{\"anything-but\":{\"prefix\":\"test\"}}]}", "{\"a\":\"prod\"}", 1 },
	{ "{\"a\":[\"red\"]}", "{\"a\":[\"blue\",\"red\"]}", 1 }, /* String.Array: any */
	{ "{\"a\":[\"red\"]}", "{\"a\":[\"blue\"]}", 0 },
};

static void test_filters(void)
{
	char why[256];
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct ck_filter *f = NULL;
		cJSON *in = cJSON_Parse(filters[i].attrs), *attrs = NULL;
		CK_CHECK_INT(ck_filter_compile(filters[i].policy, strlen(filters[i].policy), &f,
		                               why, sizeof(why)),
		             ==, 0);
		CK_CHECK_INT(ck_filter_attributes(in, &attrs, why, sizeof(why)), ==, 0);
		bool m = ck_filter_match(f, attrs);
		if (m != (filters[i].match != 0))
			fprintf(stderr, "filter case %zu: %s on %s\n", i, filters[i].policy,
			        filters[i].attrs);
		CK_CHECK(m == (filters[i].match != 0));
		ck_filter_free(f);
		cJSON_Delete(in);
		cJSON_Delete(attrs);
	}
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"a\":\"x\"}",
		"{\"a\":[]}",
		"{\"a\":[{\"regex\":\"x\"}]}",
		"{\"a\":[{\"numeric\":[\"<\",1,\">\",0]}]}",
		"{\"a\":[{\"numeric\":[\">\",2,\"<\",1]}]}",
		"{\"a\":[1e10]}",
		"{\"a\":[{\"exists\":1}]}",
		"{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}",
		"{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13],\"b\":[1,2,3,4,5,6,7,8,9,10,11,12]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ck_filter *f = NULL;
		why[0] = '\0';
		CK_CHECK_INT(ck_filter_compile(bad[i], strlen(bad[i]), &f, why, sizeof(why)), ==,
		             -EINVAL);
		CK_CHECK(why[0] != '\0');
		CK_CHECK(f == NULL);
	}
	static const char *const bad_attrs[] = {
		"{\"AWS.x\":\"1\"}",
		"{\"a b\":\"1\"}",
		"{\"n\":{\"DataType\":\"Number\",\"StringValue\":\"ten\"}}",
		"{\"n\":{\"DataType\":\"Binary\",\"StringValue\":\"AA==\"}}",
		"{\"t\":true}",
		("{\"1\":1,\"2\":1,\"3\":1,\"4\":1,\"5\":1,\"6\":1,\"7\":1,\"8\":1,\"9\":1,\"10\":"
		 "1,"
		 "\"11\":1}"),
	};
	for (size_t i = 0; i < sizeof(bad_attrs) / sizeof(bad_attrs[0]); i++) {
		cJSON *in = cJSON_Parse(bad_attrs[i]), *out = NULL;
		CK_CHECK_INT(ck_filter_attributes(in, &out, why, sizeof(why)), ==, -EINVAL);
		CK_CHECK(out == NULL);
		cJSON_Delete(in);
	}
}

static void test_signature(void)
{
	char hex[CK_SIGNATURE_HEX];
	const char *body = "{\"a\":1}";
	CK_CHECK_INT(
	    ck_signature_hmac("secret", 1700000000, (const uint8_t *)body, strlen(body), hex), ==,
	    0);
	/* Python: hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256). */
	CK_CHECK_STR(hex, "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
	char a[CK_SIGNATURE_SECRET], b[CK_SIGNATURE_SECRET];
	CK_CHECK_INT(ck_signature_secret(a), ==, 0);
	CK_CHECK_INT(ck_signature_secret(b), ==, 0);
	CK_CHECK_INT((int)strlen(a), ==, 64);
	CK_CHECK(strcmp(a, b) != 0);
}

static int count_outbox(const struct ck_outbox_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static void test_store(void)
{
	char dir[] = "/tmp/ck-channels-XXXXXX", path[64], err[256];
	CK_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/clickd.db", dir);
	struct ck_store *s = NULL;
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, 0);
	if (!s)
		return;
	int64_t now = 1760000000000LL; /* 2025-10-09 */
	CK_CHECK_INT(ck_store_channel_put(s, "alerts", "{}", 30000, now), ==, 0);
	CK_CHECK_INT(ck_store_channel_put(s, "alerts", "{}", 30000, now), ==, -EEXIST);
	struct ck_channel_sub sub = { .channel = "alerts",
		                      .protocol = "sms",
		                      .endpoint = "+15550001111",
		                      .created_ms = now };
	int64_t id = 0;
	CK_CHECK_INT(ck_store_channel_sub_put(s, &sub, &id), ==, 0);
	sub.protocol = "email";
	sub.endpoint = "ops@example.com";
	sub.filter = "{\"severity\":[\"high\"]}";
	CK_CHECK_INT(ck_store_channel_sub_put(s, &sub, &id), ==, 0);
	sub.channel = "missing";
	CK_CHECK_INT(ck_store_channel_sub_put(s, &sub, &id), ==, -ENOENT);

	/* Fan-out: the email subscription filters the low-severity message out. */
	cJSON *attrs = cJSON_Parse("{\"severity\":\"low\"}");
	struct ck_channels_result res;
	CK_CHECK_INT(ck_store_begin(s), ==, 0);
	CK_CHECK_INT(ck_channels_notify(s, "alerts", NULL, "hello", attrs, NULL, now, &res), ==, 0);
	CK_CHECK_INT(res.deliveries, ==, 1);
	CK_CHECK_INT(res.filtered, ==, 1);
	struct ck_channels_origin o = { .key = "7/pickup/0", .rule = "pickup", .event_seq = 7 };
	CK_CHECK_INT(ck_channels_notify(s, "alerts", "S", "again", NULL, &o, now, &res), ==, 0);
	int64_t first = res.message_id;
	CK_CHECK_INT(ck_channels_notify(s, "alerts", "S", "again", NULL, &o, now, &res), ==, 0);
	CK_CHECK_INT(res.message_id, ==, first); /* published once per origin key */
	CK_CHECK_INT(res.deliveries, ==, 0);
	CK_CHECK_INT(ck_channels_notify(s, "nope", NULL, "x", NULL, NULL, now, &res), ==, -ENOENT);
	CK_CHECK_INT(ck_channels_notify(s, "alerts", NULL, "", NULL, NULL, now, &res), ==, -EINVAL);
	CK_CHECK_INT(ck_channels_notify(s, "alerts", "a\nb", "x", NULL, NULL, now, &res), ==,
	             -EINVAL);
	CK_CHECK_INT(ck_store_commit(s), ==, 0);
	int pending = 0;
	CK_CHECK_INT(ck_store_outbox_due(s, now, 100, count_outbox, &pending), ==, 0);
	CK_CHECK_INT(pending, ==, 2); /* the SMS of each; message 2 has no severity for the email */
	cJSON_Delete(attrs);

	/* The ledger: reservations count until released; a re-reservation of
	 * the same key replaces, never adds. */
	int64_t spent = -1, segments = -1;
	CK_CHECK_INT(ck_store_channel_reserve(s, "k1", "alerts", "2025-10", 1, 10000, now), ==, 0);
	CK_CHECK_INT(ck_store_channel_reserve(s, "k2", "alerts", "2025-10", 2, 20000, now), ==, 0);
	CK_CHECK_INT(ck_store_channel_reserve(s, "k2", "alerts", "2025-10", 2, 20000, now), ==, 0);
	CK_CHECK_INT(ck_store_channel_spent(s, "alerts", "2025-10", NULL, &spent, &segments), ==,
	             0);
	CK_CHECK_INT(spent, ==, 30000);
	CK_CHECK_INT(segments, ==, 3);
	CK_CHECK_INT(ck_store_channel_spent(s, "alerts", "2025-10", "k2", &spent, NULL), ==, 0);
	CK_CHECK_INT(spent, ==, 10000);
	CK_CHECK_INT(ck_store_channel_reservation_end(s, "k1", true), ==, 0);
	CK_CHECK_INT(ck_store_channel_reservation_end(s, "k1", false), ==, 0); /* sent stays */
	CK_CHECK_INT(ck_store_channel_reservation_end(s, "k2", false), ==, 0);
	CK_CHECK_INT(ck_store_channel_spent(s, "alerts", "2025-10", NULL, &spent, NULL), ==, 0);
	CK_CHECK_INT(spent, ==, 10000);
	CK_CHECK_INT(ck_store_channel_spent(s, "alerts", "2025-11", NULL, &spent, NULL), ==, 0);
	CK_CHECK_INT(spent, ==, 0);

	struct ck_channel_row row;
	CK_CHECK_INT(ck_store_channel_get(s, "alerts", &row), ==, 0);
	cJSON *spend = ck_channels_spend(s, &row, now);
	CK_CHECK_STR(cJSON_GetObjectItem(spend, "month")->valuestring, "2025-10");
	CK_CHECK_STR(cJSON_GetObjectItem(spend, "state")->valuestring, "ok");
	cJSON_Delete(spend);
	ck_store_channel_row_cleanup(&row);
	/* 40000 of 50000 is 80% with room for one more segment (6450): warning. */
	CK_CHECK_INT(ck_store_channel_reserve(s, "k3", "alerts", "2025-10", 3, 30000, now), ==, 0);
	CK_CHECK_INT(ck_store_channel_set_cap(s, "alerts", 50000), ==, 0);
	CK_CHECK_INT(ck_store_channel_get(s, "alerts", &row), ==, 0);
	spend = ck_channels_spend(s, &row, now);
	CK_CHECK_STR(cJSON_GetObjectItem(spend, "state")->valuestring, "warning");
	cJSON_Delete(spend);
	ck_store_channel_row_cleanup(&row);
	/* No room for another segment: stopped, although under 100%. */
	CK_CHECK_INT(ck_store_channel_set_cap(s, "alerts", 46000), ==, 0);
	CK_CHECK_INT(ck_store_channel_get(s, "alerts", &row), ==, 0);
	spend = ck_channels_spend(s, &row, now);
	CK_CHECK_STR(cJSON_GetObjectItem(spend, "state")->valuestring, "stopped");
	cJSON_Delete(spend);
	ck_store_channel_row_cleanup(&row);
	CK_CHECK_INT(ck_store_channel_set_cap(s, "nope", 1), ==, -ENOENT);
	CK_CHECK_INT(ck_store_channel_delete(s, "alerts"), ==, 0);
	CK_CHECK_INT(ck_store_channel_delete(s, "alerts"), ==, -ENOENT);
	ck_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CK_CHECK_INT(system(cmd), ==, 0);
}

static void test_config(void)
{
	char why[256];
	cJSON *config = NULL;
	int64_t cap = 0;
	static const char *const bad[] = {
		"{\"email\":{\"url\":\"http://x\",\"from\":\"a@b.c\"}}",
		"{\"email\":{\"url\":\"smtp://x\",\"from\":\"nobody\"}}",
		"{\"email\":{\"url\":\"smtp://x\",\"from\":\"a@b.c\",\"tls\":\"none\","
		"\"username\":\"u\",\"password\":\"p\"}}",
		"{\"sms\":{\"provider\":\"other\"}}",
		"{\"sms\":{\"provider\":\"twilio\",\"url\":\"http://gateway.example.com\","
		"\"accountSid\":\"AC1\",\"authToken\":\"t\",\"from\":\"+15550000000\"}}",
		"{\"monthlyCapUsd\":-1}",
		"{\"email\":{\"url\":\"smtp://x\",\"from\":\"a@b.c\",\"extra\":\"1\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *d = cJSON_Parse(bad[i]);
		CK_CHECK_INT(ck_channels_config_check(d, &config, &cap, why, sizeof(why)), ==,
		             -EINVAL);
		CK_CHECK(config == NULL);
		cJSON_Delete(d);
	}
	cJSON *d =
	    cJSON_Parse("{\"sms\":{\"provider\":\"twilio\",\"url\":\"https://api.twilio.com\","
	                "\"accountSid\":\"AC1\",\"authToken\":\"t\",\"from\":\"+15550000000\"}}");
	CK_CHECK_INT(ck_channels_config_check(d, &config, &cap, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(cap, ==, CK_CHANNELS_CAP_DEFAULT_MICROS);
	cJSON_Delete(d);
	cJSON_Delete(config);
	CK_CHECK_INT(ck_channels_sub_check("mqtt", "iotbutton/x", NULL, why, sizeof(why)), ==,
	             -EINVAL);
	CK_CHECK_INT(ck_channels_sub_check("mqtt", "alerts/#", NULL, why, sizeof(why)), ==,
	             -EINVAL);
	CK_CHECK_INT(ck_channels_sub_check("mqtt", "alerts/dock", NULL, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(ck_channels_sub_check("feedback", "", NULL, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(ck_channels_sub_check("fax", "1", NULL, why, sizeof(why)), ==, -EINVAL);
}

int main(void)
{
	test_segments();
	test_filters();
	test_signature();
	test_config();
	test_store();
	return ck_test_main("test_channels");
}
