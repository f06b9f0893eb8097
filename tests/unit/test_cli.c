/*
 * Unit tests for the command-line helpers (src/core/cli.c): option parsing,
 * --attr splitting, table layout and sanitizing, local times, URL and shell
 * quoting, clickbtn.conf rendering and SQL error carets. Table-driven where
 * the cases are many.
 */
#include "core/name.h"
#include "core/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ck_test.h"

enum { O_HELP, O_SERVER, O_JSON, O_ATTR, O_OUT };

static const struct ck_cli_opt spec[] = {
	{ "help", O_HELP, false }, { "server", O_SERVER, true }, { "json", O_JSON, false },
	{ "attr", O_ATTR, true },  { "out", O_OUT, true },
};
#define N_SPEC (sizeof(spec) / sizeof(spec[0]))

static int parse(struct ck_cli_args *a, char *err, size_t err_len, int argc, ...)
{
	/* Small fixed argv built from a literal list. */
	static char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return ck_cli_parse(argc, argv, spec, N_SPEC, a, err, err_len);
}

static void test_parse(void)
{
	struct ck_cli_args a;
	char err[128];

	CK_CHECK_INT(parse(&a, err, sizeof(err), 8, "--server", "http://x:1", "thing", "create",
	                   "dock-1", "--attr=location=Dock 1", "--attr", "floor=2"),
	             ==, 0);
	CK_CHECK_INT(a.n_pos, ==, 3);
	CK_CHECK_STR(a.pos[0], "thing");
	CK_CHECK_STR(a.pos[2], "dock-1");
	CK_CHECK_STR(ck_cli_opt_value(&a, O_SERVER), "http://x:1");
	CK_CHECK_INT(a.n_opts, ==, 3);
	CK_CHECK_STR(a.opts[1].value, "location=Dock 1");
	CK_CHECK_STR(a.opts[2].value, "floor=2");
	CK_CHECK(ck_cli_opt_value(&a, O_JSON) == NULL);

	CK_CHECK_INT(parse(&a, err, sizeof(err), 4, "-h", "--json", "--", "--out"), ==, 0);
	CK_CHECK_STR(ck_cli_opt_value(&a, O_HELP), "");
	CK_CHECK_STR(ck_cli_opt_value(&a, O_JSON), "");
	CK_CHECK_INT(a.n_pos, ==, 1);
	CK_CHECK_STR(a.pos[0], "--out");

	/* Last value wins; "-" is a positional; a value may start with '-'. */
	CK_CHECK_INT(parse(&a, err, sizeof(err), 5, "--out", "a", "--out=-b", "-", "--json"), ==,
	             0);
	CK_CHECK_STR(ck_cli_opt_value(&a, O_OUT), "-b");
	CK_CHECK_INT(a.n_pos, ==, 1);

	struct {
		char arg[16];
		const char *err;
	} bad[] = {
		{ "--nope", "unknown option --nope" },
		{ "-x", "unknown option -x" },
		{ "--=", "unknown option --=" },
		{ "--serv", "unknown option --serv" },
		{ "--server", "option needs a value: --server" },
		{ "--json=1", "option takes no value: --json=1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { bad[i].arg };
		CK_CHECK_INT(ck_cli_parse(1, argv, spec, N_SPEC, &a, err, sizeof(err)), ==,
		             -EINVAL);
		CK_CHECK_STR(err, bad[i].err);
	}

	char *many[CK_CLI_MAX_ARGS + 1];
	char x[] = "x";
	for (int i = 0; i <= CK_CLI_MAX_ARGS; i++)
		many[i] = x;
	CK_CHECK_INT(ck_cli_parse(CK_CLI_MAX_ARGS + 1, many, spec, N_SPEC, &a, err, sizeof(err)),
	             ==, -E2BIG);
	CK_CHECK_INT(ck_cli_parse(CK_CLI_MAX_ARGS, many, spec, N_SPEC, &a, err, sizeof(err)), ==,
	             0);
}

static void test_attr(void)
{
	static const struct {
		const char *arg;
		int rc;
		size_t key_len;
	} cases[] = {
		{ "location=Dock 1", 0, 8 }, { "k=", 0, 1 },
		{ "a=b=c", 0, 1 },           { "=v", -EINVAL, 0 },
		{ "novalue", -EINVAL, 0 },   { "", -EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t k = 0;
		CK_CHECK_INT(ck_cli_attr_split(cases[i].arg, &k), ==, cases[i].rc);
		if (cases[i].rc == 0)
			CK_CHECK_INT(k, ==, cases[i].key_len);
	}
}

static void test_table(void)
{
	static const char *const head[] = { "NAME", "TYPE", "LOCATION" };
	static const char *const r1[] = { "dock-1", "button", "Dock 1" };
	static const char *const r2[] = { "lager-süd", NULL, "" };
	static const char *const r3[] = { "x", "a\tb\nc", "\x1b[31mred\xc2\x9b\xff" };
	struct ck_cli_table *t = ck_cli_table_new(3, head);
	char *s;

	CK_CHECK(t != NULL);
	if (!t)
		return;
	CK_CHECK_INT(ck_cli_table_add(t, r1), ==, 0);
	CK_CHECK_INT(ck_cli_table_add(t, r2), ==, 0);
	CK_CHECK_INT(ck_cli_table_add(t, r3), ==, 0);
	s = ck_cli_table_render(t);
	CK_CHECK_STR(s, "NAME       TYPE    LOCATION\n"
	                "dock-1     button  Dock 1\n"
	                "lager-süd  -       -\n"
	                "x          a b c   ?[31mred??\n");
	free(s);
	ck_cli_table_free(t);

	/* Many rows grow the table; a header-only table renders one line. */
	static const char *const one[] = { "ID" };
	t = ck_cli_table_new(1, one);
	s = t ? ck_cli_table_render(t) : NULL;
	CK_CHECK_STR(s, "ID\n");
	free(s);
	for (int i = 0; t && i < 1000; i++) {
		static const char *const row[] = { "1234567" };
		CK_CHECK_INT(ck_cli_table_add(t, row), ==, 0);
	}
	s = t ? ck_cli_table_render(t) : NULL;
	CK_CHECK(s && strlen(s) == 3 + 1000 * 8);
	free(s);
	ck_cli_table_free(t);

	CK_CHECK(ck_cli_table_new(0, head) == NULL);
	CK_CHECK(ck_cli_table_new(CK_CLI_MAX_TABLE_COL + 1, head) == NULL);
}

static void test_time(void)
{
	char buf[32];

	setenv("TZ", "UTC", 1);
	tzset();
	CK_CHECK_INT(ck_cli_format_time(1764123456789, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "2025-11-26T02:17:36+00:00");
	CK_CHECK_INT(ck_cli_format_time(-1, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "1969-12-31T23:59:59+00:00");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	CK_CHECK_INT(ck_cli_format_time(0, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "1970-01-01T05:30:00+05:30");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	CK_CHECK_INT(ck_cli_format_time(0, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "1969-12-31T20:30:00-03:30");
	CK_CHECK_INT(ck_cli_format_time(0, buf, 10), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_format_time(INT64_MAX, buf, sizeof(buf)), ==, -ERANGE);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_quoting(void)
{
	char buf[64];

	CK_CHECK_INT(ck_cli_url_escape("dock-1:a_b.c~", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "dock-1%3Aa_b.c~");
	CK_CHECK_INT(ck_cli_url_escape("a b&c=d/ü", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "a%20b%26c%3Dd%2F%C3%BC");
	CK_CHECK_INT(ck_cli_url_escape("abc", buf, 3), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_url_escape("abc", buf, 4), ==, 0);
	CK_CHECK_INT(ck_cli_url_escape(" ", buf, 3), ==, -ENOSPC);

	CK_CHECK_INT(ck_cli_shell_quote("./dock-1", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "./dock-1");
	CK_CHECK_INT(ck_cli_shell_quote("my dir", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "'my dir'");
	CK_CHECK_INT(ck_cli_shell_quote("it's", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "'it'\\''s'");
	CK_CHECK_INT(ck_cli_shell_quote("", buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "''");
	CK_CHECK_INT(ck_cli_shell_quote("a b", buf, 5), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_shell_quote("a b", buf, 6), ==, 0);
}

static void test_btn_conf(void)
{
	char *s = NULL;

	CK_CHECK_INT(ck_cli_btn_conf("127.0.0.1", 8883, "dock-1", &s), ==, 0);
	CK_CHECK_STR(s, "# written by clickctl thing create\n"
	                "endpoint = 127.0.0.1\n"
	                "port = 8883\n"
	                "thing = dock-1\n"
	                "cert = cert.pem\n"
	                "key = key.pem\n"
	                "ca = ca.pem\n");
	free(s);
	static const struct {
		const char *host;
		long port;
		const char *thing;
	} bad[] = {
		{ "", 8883, "t" },         { "a b", 8883, "t" }, { "a\nport = 1", 8883, "t" },
		{ "h#x", 8883, "t" },      { "h", 0, "t" },      { "h", 65536, "t" },
		{ "h", 8883, "bad name" }, { "h", 8883, "" },    { NULL, 8883, "t" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (char *)"unchanged";
		CK_CHECK_INT(ck_cli_btn_conf(bad[i].host, bad[i].port, bad[i].thing, &s), ==,
		             -EINVAL);
		CK_CHECK(s == NULL);
	}
	CK_CHECK(ck_name_valid("a:b_c-D9"));
	CK_CHECK(!ck_name_valid("a/b"));
	char name[130];
	memset(name, 'n', sizeof(name));
	name[128] = '\0';
	CK_CHECK(ck_name_valid(name));
	name[128] = 'n';
	name[129] = '\0';
	CK_CHECK(!ck_name_valid(name));
}

static void test_caret(void)
{
	char buf[256];

	CK_CHECK_INT(ck_cli_sql_caret("SELECT * FORM 'a'", 1, 10, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "  SELECT * FORM 'a'\n           ^\n");
	CK_CHECK_INT(ck_cli_sql_caret("SELECT *\r\n\tFROM x WHER", 2, 8, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "  \tFROM x WHER\n  \t      ^\n");
	CK_CHECK_INT(ck_cli_sql_caret("SELECT 'ü' x", 1, 12, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "  SELECT 'ü' x\n             ^\n");
	/* Past the end: at the end. */
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 40, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "  SELECT\n        ^\n");
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 2, 1, buf, sizeof(buf)), ==, -EINVAL);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 0, 1, buf, sizeof(buf)), ==, -EINVAL);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 0, buf, sizeof(buf)), ==, -EINVAL);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 3, buf, 8), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 3, buf, 14), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 3, buf, 15), ==, -ENOSPC);
	CK_CHECK_INT(ck_cli_sql_caret("SELECT", 1, 3, buf, 16), ==, 0);
	CK_CHECK_STR(buf, "  SELECT\n    ^\n");
}

int main(void)
{
	test_parse();
	test_attr();
	test_table();
	test_time();
	test_quoting();
	test_btn_conf();
	test_caret();
	return ck_test_main("cli");
}
