/*
 * Unit tests for the button payload codec: a table of accepted payloads
 * with the press each decodes to, a table of rejected payloads with the
 * exact reason, the size and NUL boundaries, and encoding (field order,
 * omission of absent fields, escaping, -ENOSPC at every short capacity,
 * -EINVAL for presses decoding would refuse, round trips).
 */
#include "device/payload.h"

#include <errno.h>
#include <stdlib.h>

#include "ck_test.h"

struct good {
	const char *json;
	enum ck_click click;
	const char *serial;
	int mv;
	int64_t seq;
	int64_t pressed;
};

static const struct good goods[] = {
	/* Real capture and AWS documentation samples. */
	{ "{\"serialNumber\": \"G030JF059405K485\", \"batteryVoltage\": \"1615mV\", "
	  "\"clickType\": \"SINGLE\"}",
	  CK_CLICK_SINGLE, "G030JF059405K485", 1615, -1, -1 },
	{ "{\"serialNumber\": \"ABCDEFG12345\", \"clickType\": \"SINGLE\", "
	  "\"batteryVoltage\": \"2000 mV\"}",
	  CK_CLICK_SINGLE, "ABCDEFG12345", 2000, -1, -1 },
	{ "{\"serialNumber\":\"G030JF051234A5BC\",\"batteryVoltage\":\"2000mV\","
	  "\"clickType\":\"DOUBLE\"}",
	  CK_CLICK_DOUBLE, "G030JF051234A5BC", 2000, -1, -1 },
	{ "{\"clickType\":\"LONG\"}", CK_CLICK_LONG, "", -1, -1, -1 },
	/* What clickbtn sends. */
	{ "{\"serialNumber\":\"dock-1\",\"batteryVoltage\":\"3012mV\",\"clickType\":\"SINGLE\","
	  "\"seq\":42,\"pressedAt\":1764125499123}",
	  CK_CLICK_SINGLE, "dock-1", 3012, 42, 1764125499123LL },
	/* Edges of every field. */
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"0mV\",\"seq\":0,\"pressedAt\":0}",
	  CK_CLICK_SINGLE, "", 0, 0, 0 },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"99999mV\"}", CK_CLICK_SINGLE, "", 99999,
	  -1, -1 },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"00042mV\"}", CK_CLICK_SINGLE, "", 42, -1,
	  -1 },
	{ "{\"clickType\":\"SINGLE\",\"seq\":9007199254740991}", CK_CLICK_SINGLE, "", -1,
	  9007199254740991LL, -1 },
	{ "{\"clickType\":\"SINGLE\",\"seq\":1e3,\"pressedAt\":5.0}", CK_CLICK_SINGLE, "", -1, 1000,
	  5 },
	{ "{\"clickType\":\"SINGLE\",\"seq\":-0}", CK_CLICK_SINGLE, "", -1, 0, -1 },
	/* null means absent for optional fields; unknown keys are ignored. */
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":null,\"batteryVoltage\":null,\"seq\":null}",
	  CK_CLICK_SINGLE, "", -1, -1, -1 },
	{ "{\"clickType\":\"DOUBLE\",\"extra\":{\"nested\":[1,2,{\"clickType\":\"LONG\"}]}}",
	  CK_CLICK_DOUBLE, "", -1, -1, -1 },
	/* Whitespace, a BOM, escapes and UTF-8 in the serial. */
	{ "\xef\xbb\xbf \r\n\t{ \"clickType\" : \"LONG\" } \n", CK_CLICK_LONG, "", -1, -1, -1 },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"a\\\"b\\\\c\\/d\\u00e9\"}", CK_CLICK_SINGLE,
	  "a\"b\\c/d\xc3\xa9", -1, -1, -1 },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\xe2\x82\xac\xf0\x9f\x94\x98\"}",
	  CK_CLICK_SINGLE, "\xe2\x82\xac\xf0\x9f\x94\x98", -1, -1, -1 },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\"}", CK_CLICK_SINGLE, "", -1, -1, -1 },
};

struct bad {
	const char *json;
	const char *why;
};

static const struct bad bads[] = {
	{ "", "payload is empty" },
	{ "clickType=SINGLE", "payload is not JSON (error at offset 0)" },
	{ "{\"clickType\":\"SINGLE\"", "payload is not JSON (error at offset 21)" },
	{ "{\"clickType\":\"SINGLE\"} x", "payload is not JSON (error at offset 23)" },
	{ "{\"clickType\":\"SINGLE\"}{}", "payload is not JSON (error at offset 22)" },
	{ "{'clickType':'SINGLE'}", "payload is not JSON (error at offset 2)" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\\ud800\"}",
	  "payload is not JSON (error at offset 38)" },
	{ "[\"SINGLE\"]", "payload is not a JSON object" },
	{ "\"SINGLE\"", "payload is not a JSON object" },
	{ "42", "payload is not a JSON object" },
	{ "null", "payload is not a JSON object" },
	{ "{}", "clickType missing" },
	{ "{\"clicktype\":\"SINGLE\"}", "clickType missing" },
	{ "{\"clickType\":1}", "clickType must be a string" },
	{ "{\"clickType\":null}", "clickType must be a string" },
	{ "{\"clickType\":\"single\"}",
	  "unknown clickType \"single\" (expected SINGLE, DOUBLE or LONG)" },
	{ "{\"clickType\":\"\"}", "unknown clickType \"\" (expected SINGLE, DOUBLE or LONG)" },
	{ "{\"clickType\":\"TRIPLE\\n\\\"x\"}",
	  "unknown clickType \"TRIPLE??x\" (expected SINGLE, DOUBLE or LONG)" },
	{ "{\"clickType\":\"0123456789012345678901234567890123456789\"}",
	  "unknown clickType \"01234567890123456789012345678901...\" (expected SINGLE, DOUBLE or "
	  "LONG)" },
	{ "{\"clickType\":\"SINGLE\",\"clickType\":\"LONG\"}", "duplicate key \"clickType\"" },
	{ "{\"seq\":1,\"clickType\":\"LONG\",\"seq\":2}", "duplicate key \"seq\"" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":42}", "serialNumber must be a string" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"a\\u0001b\"}",
	  "serialNumber must be UTF-8 text without control characters" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"a\tb\"}",
	  "serialNumber must be UTF-8 text without control characters" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\xc3\"}",
	  "serialNumber must be UTF-8 text without control characters" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\xc0\xaf\"}",
	  "serialNumber must be UTF-8 text without control characters" },
	{ "{\"clickType\":\"SINGLE\",\"serialNumber\":\"\xed\xa0\x80\"}",
	  "serialNumber must be UTF-8 text without control characters" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":1615}",
	  "batteryVoltage must be a string like \"1615mV\"" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"1615\"}",
	  "bad batteryVoltage \"1615\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"xxmV\"}",
	  "bad batteryVoltage \"xxmV\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"1615mv\"}",
	  "bad batteryVoltage \"1615mv\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"1615  mV\"}",
	  "bad batteryVoltage \"1615  mV\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\" 1615mV\"}",
	  "bad batteryVoltage \" 1615mV\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"-5mV\"}",
	  "bad batteryVoltage \"-5mV\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"100000mV\"}",
	  "bad batteryVoltage \"100000mV\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"1.6V\"}",
	  "bad batteryVoltage \"1.6V\" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"batteryVoltage\":\"1615mV \"}",
	  "bad batteryVoltage \"1615mV \" (expected e.g. \"1615mV\")" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":-1}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":1.5}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":\"7\"}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":9007199254740992}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":1e999}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"seq\":true}",
	  "seq must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"pressedAt\":-1}",
	  "pressedAt must be a non-negative integer (at most 2^53-1)" },
	{ "{\"clickType\":\"SINGLE\",\"pressedAt\":\"2026-01-01\"}",
	  "pressedAt must be a non-negative integer (at most 2^53-1)" },
};

static void test_goods(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct ck_press p;
		char why[160] = "unset";
		int rc = ck_payload_decode((const uint8_t *)g->json, strlen(g->json), &p, why,
		                           sizeof(why));
		CK_CHECK_INT(rc, ==, 0);
		if (rc != 0) {
			fprintf(stderr, "  good[%zu]: %s: %s\n", i, g->json, why);
			continue;
		}
		CK_CHECK_STR(why, "");
		CK_CHECK_INT(p.click, ==, g->click);
		CK_CHECK_STR(p.serial, g->serial);
		CK_CHECK_INT(p.battery_mv, ==, g->mv);
		CK_CHECK_INT(p.seq, ==, g->seq);
		CK_CHECK_INT(p.pressed_ms, ==, g->pressed);

		/* Every accepted payload re-encodes to one that decodes the same. */
		char enc[CK_PAYLOAD_ENCODED_MAX];
		struct ck_press q;
		int n = ck_payload_encode(&p, enc, sizeof(enc));
		CK_CHECK_INT(n, >, 0);
		CK_CHECK_INT(ck_payload_decode((const uint8_t *)enc, (size_t)n, &q, NULL, 0), ==,
		             0);
		CK_CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	}
}

static void test_bads(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct ck_press p;
		char why[160] = "unset";
		p.click = CK_CLICK_LONG;
		int rc = ck_payload_decode((const uint8_t *)b->json, strlen(b->json), &p, why,
		                           sizeof(why));
		CK_CHECK_INT(rc, ==, -EINVAL);
		CK_CHECK_STR(why, b->why);
		CK_CHECK(strchr(why, '\n') == NULL);
		/* A rejected payload leaves nothing half-decoded. */
		CK_CHECK_INT(p.click, ==, CK_CLICK_NONE);
		CK_CHECK_INT(p.battery_mv, ==, -1);
		CK_CHECK_INT(p.seq, ==, -1);
		CK_CHECK_STR(p.serial, "");
	}
}

static void test_limits(void)
{
	struct ck_press p;
	char why[160];
	static uint8_t big[CK_PAYLOAD_MAX + 2];
	static const char head[] = "{\"clickType\":\"SINGLE\",\"pad\":\"";

	/* Exactly CK_PAYLOAD_MAX bytes is accepted, one more is refused. */
	memset(big, 'x', sizeof(big));
	memcpy(big, head, sizeof(head) - 1);
	big[CK_PAYLOAD_MAX - 2] = '"';
	big[CK_PAYLOAD_MAX - 1] = '}';
	CK_CHECK_INT(ck_payload_decode(big, CK_PAYLOAD_MAX, &p, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(p.click, ==, CK_CLICK_SINGLE);
	CK_CHECK_INT(ck_payload_decode(big, CK_PAYLOAD_MAX + 1, &p, why, sizeof(why)), ==, -E2BIG);
	CK_CHECK_STR(why, "payload too large (4097 bytes, limit 4096)");
	CK_CHECK_INT(ck_payload_decode(big, 5000, &p, why, sizeof(why)), ==, -E2BIG);
	CK_CHECK_STR(why, "payload too large (5000 bytes, limit 4096)");

	/* len bounds the read: the bytes after it are never looked at. */
	static const char trail[] = "{\"clickType\":\"LONG\"}garbage";
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)trail, 20, &p, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(p.click, ==, CK_CLICK_LONG);

	/* A NUL byte inside the payload is refused, not treated as the end. */
	static const uint8_t nul[] = "{\"clickType\":\"LONG\"}\0{}";
	CK_CHECK_INT(ck_payload_decode(nul, sizeof(nul) - 1, &p, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK_STR(why, "payload is not JSON (NUL byte at offset 20)");

	/* Nesting far beyond cJSON's limit fails cleanly. */
	static uint8_t deep[CK_PAYLOAD_MAX];
	memset(deep, '[', sizeof(deep));
	CK_CHECK_INT(ck_payload_decode(deep, sizeof(deep), &p, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK(strncmp(why, "payload is not JSON", 19) == 0);

	/* A serial of exactly CK_SERIAL_MAX bytes is kept, one more refused. */
	char json[400];
	char serial[CK_SERIAL_MAX + 2];
	memset(serial, 'S', sizeof(serial));
	serial[CK_SERIAL_MAX] = '\0';
	int n = snprintf(json, sizeof(json), "{\"clickType\":\"LONG\",\"serialNumber\":\"%s\"}",
	                 serial);
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)json, (size_t)n, &p, why, sizeof(why)), ==,
	             0);
	CK_CHECK_STR(p.serial, serial);
	serial[CK_SERIAL_MAX] = 'S';
	serial[CK_SERIAL_MAX + 1] = '\0';
	n = snprintf(json, sizeof(json), "{\"clickType\":\"LONG\",\"serialNumber\":\"%s\"}",
	             serial);
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)json, (size_t)n, &p, why, sizeof(why)), ==,
	             -EINVAL);
	CK_CHECK_STR(why, "serialNumber too long (129 bytes, limit 128)");

	/* A tiny why buffer is truncated, never overrun; NULL is allowed. */
	char small[8];
	memset(small, '#', sizeof(small));
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)"{}", 2, &p, small, 5), ==, -EINVAL);
	CK_CHECK_STR(small, "clic");
	CK_CHECK_INT(small[5], ==, '#');
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)"{}", 2, &p, NULL, 0), ==, -EINVAL);
	CK_CHECK_INT(ck_payload_decode(NULL, 0, &p, why, sizeof(why)), ==, -EINVAL);
}

static struct ck_press press(enum ck_click c, const char *serial, int mv, int64_t seq,
                             int64_t pressed)
{
	struct ck_press p;
	memset(&p, 0, sizeof(p));
	p.click = c;
	snprintf(p.serial, sizeof(p.serial), "%s", serial);
	p.battery_mv = mv;
	p.seq = seq;
	p.pressed_ms = pressed;
	return p;
}

static void test_encode(void)
{
	char buf[CK_PAYLOAD_ENCODED_MAX];
	struct ck_press p = press(CK_CLICK_SINGLE, "dock-1", 3012, 42, 1764125499123LL);
	static const char want[] =
	    "{\"serialNumber\":\"dock-1\",\"batteryVoltage\":\"3012mV\","
	    "\"clickType\":\"SINGLE\",\"seq\":42,\"pressedAt\":1764125499123}";
	int n = ck_payload_encode(&p, buf, sizeof(buf));
	CK_CHECK_INT(n, ==, (int)strlen(want));
	CK_CHECK_STR(buf, want);

	/* Exactly enough room (length + NUL) works; every smaller cap fails. */
	char exact[sizeof(want)];
	CK_CHECK_INT(ck_payload_encode(&p, exact, sizeof(exact)), ==, (int)strlen(want));
	CK_CHECK_STR(exact, want);
	for (size_t cap = 0; cap < sizeof(want); cap++) {
		char tiny[sizeof(want)];
		memset(tiny, '#', sizeof(tiny));
		CK_CHECK_INT(ck_payload_encode(&p, tiny, cap), ==, -ENOSPC);
		for (size_t k = cap; k < sizeof(tiny); k++)
			CK_CHECK_INT(tiny[k], ==, '#');
	}

	/* Absent fields are omitted. */
	p = press(CK_CLICK_LONG, "", -1, -1, -1);
	CK_CHECK_INT(ck_payload_encode(&p, buf, sizeof(buf)), >, 0);
	CK_CHECK_STR(buf, "{\"clickType\":\"LONG\"}");
	p = press(CK_CLICK_DOUBLE, "", 0, 0, -1);
	CK_CHECK_INT(ck_payload_encode(&p, buf, sizeof(buf)), >, 0);
	CK_CHECK_STR(buf, "{\"batteryVoltage\":\"0mV\",\"clickType\":\"DOUBLE\",\"seq\":0}");

	/* Quotes and backslashes are escaped. */
	p = press(CK_CLICK_SINGLE, "a\"b\\c", -1, -1, -1);
	CK_CHECK_INT(ck_payload_encode(&p, buf, sizeof(buf)), >, 0);
	CK_CHECK_STR(buf, "{\"serialNumber\":\"a\\\"b\\\\c\",\"clickType\":\"SINGLE\"}");

	/* The largest press fits CK_PAYLOAD_ENCODED_MAX. */
	p = press(CK_CLICK_SINGLE, "", CK_PAYLOAD_MV_MAX, CK_PAYLOAD_INT_MAX, CK_PAYLOAD_INT_MAX);
	memset(p.serial, '"', CK_SERIAL_MAX);
	p.serial[CK_SERIAL_MAX] = '\0';
	n = ck_payload_encode(&p, buf, sizeof(buf));
	CK_CHECK_INT(n, >, 0);
	CK_CHECK_INT(n, <, CK_PAYLOAD_ENCODED_MAX);
	struct ck_press q;
	CK_CHECK_INT(ck_payload_decode((const uint8_t *)buf, (size_t)n, &q, NULL, 0), ==, 0);
	CK_CHECK(memcmp(&p, &q, sizeof(p)) == 0);

	/* What decoding would refuse, encoding refuses. */
	struct ck_press rej[] = {
		press(CK_CLICK_NONE, "", -1, -1, -1),
		press((enum ck_click)7, "", -1, -1, -1),
		press(CK_CLICK_SINGLE, "", -2, -1, -1),
		press(CK_CLICK_SINGLE, "", CK_PAYLOAD_MV_MAX + 1, -1, -1),
		press(CK_CLICK_SINGLE, "", -1, -2, -1),
		press(CK_CLICK_SINGLE, "", -1, CK_PAYLOAD_INT_MAX + 1, -1),
		press(CK_CLICK_SINGLE, "", -1, -1, INT64_MIN),
		press(CK_CLICK_SINGLE, "tab\there", -1, -1, -1),
		press(CK_CLICK_SINGLE, "\xff", -1, -1, -1),
	};
	for (size_t i = 0; i < sizeof(rej) / sizeof(rej[0]); i++)
		CK_CHECK_INT(ck_payload_encode(&rej[i], buf, sizeof(buf)), ==, -EINVAL);
	/* A serial filling the whole array with no NUL is refused too. */
	p = press(CK_CLICK_SINGLE, "", -1, -1, -1);
	memset(p.serial, 'A', sizeof(p.serial));
	CK_CHECK_INT(ck_payload_encode(&p, buf, sizeof(buf)), ==, -EINVAL);
	CK_CHECK_INT(ck_payload_encode(NULL, buf, sizeof(buf)), ==, -EINVAL);
}

static void test_names(void)
{
	CK_CHECK_STR(ck_click_name(CK_CLICK_SINGLE), "SINGLE");
	CK_CHECK_STR(ck_click_name(CK_CLICK_DOUBLE), "DOUBLE");
	CK_CHECK_STR(ck_click_name(CK_CLICK_LONG), "LONG");
	CK_CHECK(ck_click_name(CK_CLICK_NONE) == NULL);
	CK_CHECK(ck_click_name((enum ck_click)99) == NULL);
	CK_CHECK_INT(ck_click_parse("SINGLE"), ==, CK_CLICK_SINGLE);
	CK_CHECK_INT(ck_click_parse("DOUBLE"), ==, CK_CLICK_DOUBLE);
	CK_CHECK_INT(ck_click_parse("LONG"), ==, CK_CLICK_LONG);
	CK_CHECK_INT(ck_click_parse("long"), ==, CK_CLICK_NONE);
	CK_CHECK_INT(ck_click_parse("SINGLE "), ==, CK_CLICK_NONE);
	CK_CHECK_INT(ck_click_parse(""), ==, CK_CLICK_NONE);
	CK_CHECK_INT(ck_click_parse(NULL), ==, CK_CLICK_NONE);
}

int main(void)
{
	test_goods();
	test_bads();
	test_limits();
	test_encode();
	test_names();
	return ck_test_main("payload");
}
