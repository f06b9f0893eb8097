/*
 * Unit tests for the clickbtn.conf parser and path resolution: a table of
 * accepted files with the values they yield, a table of rejected files
 * with the exact reason, and the size, NUL and length boundaries.
 */
#include "core/name.h"
#include "device/btnconf.h"

#include <errno.h>

#include "ck_test.h"

struct good {
	const char *text;
	const char *endpoint;
	int port;
	const char *thing;
	const char *cert, *key, *ca;
};

static const struct good goods[] = {
	/* What `clickctl thing create` writes. */
	{ "endpoint = 127.0.0.1\nport = 8883\nthing = dock-1\ncert = cert.pem\nkey = key.pem\n"
	  "ca = ca.pem\n",
	  "127.0.0.1", 8883, "dock-1", "cert.pem", "key.pem", "ca.pem" },
	/* Defaults, no final newline. */
	{ "endpoint=broker.example.com\nthing=G030JF059405K485", "broker.example.com", 8883,
	  "G030JF059405K485", "cert.pem", "key.pem", "ca.pem" },
	/* Comments, blank lines, CRLF, tabs, any order, absolute and spaced paths. */
	{ "# written by clickctl\r\n\r\n  \t\r\n\tca\t=\t/etc/clickd/ca.pem \r\n"
	  "  # indented comment\nthing = a:b_c-D9\nkey = my key.pem\ncert = ../certs/c.pem\n"
	  "endpoint = ::1\nport = 1\n",
	  "::1", 1, "a:b_c-D9", "../certs/c.pem", "my key.pem", "/etc/clickd/ca.pem" },
	{ "endpoint = h\nthing = t\nport = 65535\n", "h", 65535, "t", "cert.pem", "key.pem",
	  "ca.pem" },
	{ "endpoint = h\nthing = t\nport = 00080\n", "h", 80, "t", "cert.pem", "key.pem",
	  "ca.pem" },
	/* '#' inside a value is part of it (only whole-line comments exist). */
	{ "endpoint = h\nthing = t\ncert = a#b.pem\n", "h", 8883, "t", "a#b.pem", "key.pem",
	  "ca.pem" },
};

struct bad {
	const char *text;
	const char *why;
};

static const struct bad bads[] = {
	{ "", "endpoint missing (add \"endpoint = HOST\")" },
	{ "# nothing\n\n", "endpoint missing (add \"endpoint = HOST\")" },
	{ "endpoint = h\n", "thing missing (add \"thing = NAME\")" },
	{ "thing = t\n", "endpoint missing (add \"endpoint = HOST\")" },
	{ "endpoint h\nthing = t\n", "line 1, column 10: expected \"key = value\"" },
	{ "endpoint = h\n  thing\n", "line 2, column 3: expected \"key = value\"" },
	{ "endpoint = h\n= t\n", "line 2, column 1: expected \"key = value\"" },
	{ "endpoint = h\nthing : t\n", "line 2, column 7: expected \"key = value\"" },
	{ "endpoint = h\nenpoint = x\n",
	  "line 2, column 1: unknown key \"enpoint\" (expected endpoint, port, thing, cert, key or "
	  "ca)" },
	{ "Endpoint = h\n",
	  "line 1, column 1: unknown key \"Endpoint\" (expected endpoint, port, thing, cert, key "
	  "or ca)" },
	{ "endpoint = h\nthing = a\nthing = b\n", "line 3, column 1: thing given twice" },
	{ "endpoint = \nthing = t\n", "line 1, column 12: empty value for endpoint" },
	{ "endpoint = h\nthing = t\ncert =\n", "line 3, column 7: empty value for cert" },
	{ "endpoint = h\nthing = t\nport = 0\n",
	  "line 3, column 8: port must be a number from 1 to 65535" },
	{ "endpoint = h\nthing = t\nport = 65536\n",
	  "line 3, column 8: port must be a number from 1 to 65535" },
	{ "endpoint = h\nthing = t\nport = 123456\n",
	  "line 3, column 8: port must be a number from 1 to 65535" },
	{ "endpoint = h\nthing = t\nport = 88x3\n",
	  "line 3, column 8: port must be a number from 1 to 65535" },
	{ "endpoint = h\nthing = t\nport = -1\n",
	  "line 3, column 8: port must be a number from 1 to 65535" },
	{ "endpoint = h\nthing = dock 1\n",
	  "line 2, column 13: thing must match [a-zA-Z0-9:_-]{1,128}" },
	{ "endpoint = h\nthing = dock/1\n",
	  "line 2, column 13: thing must match [a-zA-Z0-9:_-]{1,128}" },
	{ "endpoint = h\nthing = d\xc3\xa9\n",
	  "line 2, column 10: thing must match [a-zA-Z0-9:_-]{1,128}" },
	{ "endpoint = mqtt://h\nthing = t\n",
	  "line 1, column 17: endpoint must be a host name or IP address" },
	{ "endpoint = h h\nthing = t\n",
	  "line 1, column 13: endpoint must be a host name or IP address" },
	{ "endpoint = h\nthing = t\nkey = a\x01"
	  "b\n",
	  "line 3, column 8: control character in key path" },
};

static void test_goods(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct ck_btnconf c;
		char why[200] = "unset";
		int rc = ck_btnconf_parse(g->text, strlen(g->text), &c, why, sizeof(why));
		CK_CHECK_INT(rc, ==, 0);
		if (rc != 0) {
			fprintf(stderr, "  good[%zu]: %s\n", i, why);
			continue;
		}
		CK_CHECK_STR(why, "");
		CK_CHECK_STR(c.endpoint, g->endpoint);
		CK_CHECK_INT(c.port, ==, g->port);
		CK_CHECK_STR(c.thing, g->thing);
		CK_CHECK_STR(c.cert, g->cert);
		CK_CHECK_STR(c.key, g->key);
		CK_CHECK_STR(c.ca, g->ca);
	}
}

static void test_bads(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct ck_btnconf c;
		char why[200] = "unset";
		int rc = ck_btnconf_parse(bads[i].text, strlen(bads[i].text), &c, why, sizeof(why));
		CK_CHECK_INT(rc, ==, -EINVAL);
		CK_CHECK_STR(why, bads[i].why);
	}
}

static void test_limits(void)
{
	struct ck_btnconf c;
	char why[200];
	static char big[CK_BTNCONF_MAX + 1];
	static const char head[] = "endpoint = h\nthing = t\n";

	/* A file of exactly CK_BTNCONF_MAX bytes (comments) parses; one more not. */
	memset(big, '\n', sizeof(big));
	memcpy(big, head, sizeof(head) - 1);
	big[sizeof(head) - 1] = '#';
	CK_CHECK_INT(ck_btnconf_parse(big, CK_BTNCONF_MAX, &c, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(ck_btnconf_parse(big, CK_BTNCONF_MAX + 1, &c, why, sizeof(why)), ==, -E2BIG);
	CK_CHECK_STR(why, "too large (16385 bytes, limit 16384)");

	/* len bounds the read, and a NUL byte is refused with its place. */
	static const char text[] = "endpoint = h\nthing = t\nport = 1\0junk";
	CK_CHECK_INT(ck_btnconf_parse(text, 31, &c, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(c.port, ==, 1);
	CK_CHECK_INT(ck_btnconf_parse(text, sizeof(text) - 1, &c, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK_STR(why, "line 3, column 9: NUL byte");

	/* Thing: 128 characters are fine, 129 are not. */
	char conf[600];
	char name[CK_BTNCONF_THING_MAX + 2];
	memset(name, 'x', sizeof(name));
	name[CK_BTNCONF_THING_MAX] = '\0';
	int n = snprintf(conf, sizeof(conf), "endpoint = h\nthing = %s\n", name);
	CK_CHECK_INT(ck_btnconf_parse(conf, (size_t)n, &c, why, sizeof(why)), ==, 0);
	CK_CHECK_STR(c.thing, name);
	CK_CHECK(ck_name_valid(name));
	name[CK_BTNCONF_THING_MAX] = 'x';
	name[CK_BTNCONF_THING_MAX + 1] = '\0';
	n = snprintf(conf, sizeof(conf), "endpoint = h\nthing = %s\n", name);
	CK_CHECK_INT(ck_btnconf_parse(conf, (size_t)n, &c, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK_STR(why, "line 2, column 137: thing must match [a-zA-Z0-9:_-]{1,128}");
	CK_CHECK(!ck_name_valid(name));
	CK_CHECK(!ck_name_valid(""));
	CK_CHECK(!ck_name_valid(NULL));
	CK_CHECK(!ck_name_valid("a/b"));
	CK_CHECK(ck_name_valid("iotbutton_G030JF059405K485"));

	/* Endpoint: 253 characters are fine, 254 are not. */
	char host[CK_BTNCONF_HOST_MAX + 2];
	memset(host, 'a', sizeof(host));
	host[CK_BTNCONF_HOST_MAX] = '\0';
	n = snprintf(conf, sizeof(conf), "endpoint = %s\nthing = t\n", host);
	CK_CHECK_INT(ck_btnconf_parse(conf, (size_t)n, &c, why, sizeof(why)), ==, 0);
	CK_CHECK_STR(c.endpoint, host);
	host[CK_BTNCONF_HOST_MAX] = 'a';
	host[CK_BTNCONF_HOST_MAX + 1] = '\0';
	n = snprintf(conf, sizeof(conf), "endpoint = %s\nthing = t\n", host);
	CK_CHECK_INT(ck_btnconf_parse(conf, (size_t)n, &c, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK_STR(why, "line 1, column 12: endpoint too long (254 bytes, limit 253)");

	/* Paths: 1024 bytes are fine, 1025 are not. */
	static char path[CK_BTNCONF_PATH_MAX + 2];
	static char pconf[CK_BTNCONF_PATH_MAX + 64];
	memset(path, 'p', sizeof(path));
	path[CK_BTNCONF_PATH_MAX] = '\0';
	n = snprintf(pconf, sizeof(pconf), "endpoint = h\nthing = t\nca = %s\n", path);
	CK_CHECK_INT(ck_btnconf_parse(pconf, (size_t)n, &c, why, sizeof(why)), ==, 0);
	CK_CHECK_STR(c.ca, path);
	path[CK_BTNCONF_PATH_MAX] = 'p';
	path[CK_BTNCONF_PATH_MAX + 1] = '\0';
	n = snprintf(pconf, sizeof(pconf), "endpoint = h\nthing = t\nca = %s\n", path);
	CK_CHECK_INT(ck_btnconf_parse(pconf, (size_t)n, &c, why, sizeof(why)), ==, -EINVAL);
	CK_CHECK_STR(why, "line 3, column 6: ca path too long (1025 bytes, limit 1024)");

	/* A long unknown key is quoted shortened. */
	static const char longkey[] = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij = 1\n";
	CK_CHECK_INT(ck_btnconf_parse(longkey, sizeof(longkey) - 1, &c, why, sizeof(why)), ==,
	             -EINVAL);
	CK_CHECK_STR(why, "line 1, column 1: unknown key \"abcdefghijabcdefghijabcdefghijabcdefghij"
	                  "...\" (expected endpoint, port, thing, cert, key or ca)");

	/* why may be NULL or tiny. */
	CK_CHECK_INT(ck_btnconf_parse("x", 1, &c, NULL, 0), ==, -EINVAL);
	char small[6];
	memset(small, '#', sizeof(small));
	CK_CHECK_INT(ck_btnconf_parse("x", 1, &c, small, 4), ==, -EINVAL);
	CK_CHECK_STR(small, "lin");
	CK_CHECK_INT(small[4], ==, '#');
}

static void test_path(void)
{
	char out[32];
	CK_CHECK_INT(ck_btnconf_path("/etc/btn", "cert.pem", out, sizeof(out)), ==, 0);
	CK_CHECK_STR(out, "/etc/btn/cert.pem");
	CK_CHECK_INT(ck_btnconf_path("/etc/btn/", "cert.pem", out, sizeof(out)), ==, 0);
	CK_CHECK_STR(out, "/etc/btn/cert.pem");
	CK_CHECK_INT(ck_btnconf_path("rel", "../ca.pem", out, sizeof(out)), ==, 0);
	CK_CHECK_STR(out, "rel/../ca.pem");
	CK_CHECK_INT(ck_btnconf_path("/etc/btn", "/srv/ca.pem", out, sizeof(out)), ==, 0);
	CK_CHECK_STR(out, "/srv/ca.pem");
	CK_CHECK_INT(ck_btnconf_path("", "ca.pem", out, sizeof(out)), ==, 0);
	CK_CHECK_STR(out, "ca.pem");
	CK_CHECK_INT(ck_btnconf_path("/etc/btn", "", out, sizeof(out)), ==, -EINVAL);
	/* "/etc/btn/" + 22 bytes + NUL = 32: fits exactly; one more does not. */
	CK_CHECK_INT(ck_btnconf_path("/etc/btn", "0123456789012345678901", out, sizeof(out)), ==,
	             0);
	CK_CHECK_INT(strlen(out), ==, 31);
	CK_CHECK_INT(ck_btnconf_path("/etc/btn", "01234567890123456789012", out, sizeof(out)), ==,
	             -ENAMETOOLONG);
	CK_CHECK_STR(out, "");
}

int main(void)
{
	test_goods();
	test_bads();
	test_limits();
	test_path();
	return ck_test_main("clickbtn_conf");
}
