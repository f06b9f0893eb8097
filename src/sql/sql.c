/*
 * IoT SQL public entry points (see sql.h): version names, compilation
 * (length check, lexing, parsing into a rule that owns one arena) and the
 * rule's accessors. Evaluation is in eval.c.
 */
#include "sql/sql_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ck_sql_version_parse(const char *name, enum ck_sql_version *out)
{
	if (!name || !*name || strcmp(name, "2016-03-23") == 0) {
		*out = CK_SQL_2016_03_23;
		return 0;
	}
	if (strcmp(name, "2015-10-08") == 0) {
		*out = CK_SQL_2015_10_08;
		return 0;
	}
	return -EINVAL;
}

/* The name of v ("2016-03-23" or "2015-10-08"); a static string. */
const char *ck_sql_version_name(enum ck_sql_version v)
{
	return v == CK_SQL_2015_10_08 ? "2015-10-08" : "2016-03-23";
}

static void set_error(struct ck_sql_error *err, int line, int column, const char *msg)
{
	if (!err)
		return;
	err->line = line;
	err->column = column;
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

int ck_sql_compile(const char *sql, enum ck_sql_version version, struct ck_sql_rule **out,
                   struct ck_sql_error *err)
{
	struct ck_sql_error local;
	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (!sql) {
		set_error(err, 0, 0, "no SQL text");
		return -EINVAL;
	}
	size_t len = strnlen(sql, CK_SQL_MAX_LEN + 1);
	if (len > CK_SQL_MAX_LEN) {
		char msg[64];
		snprintf(msg, sizeof(msg), "SQL longer than %d bytes", CK_SQL_MAX_LEN);
		set_error(err, 0, 0, msg);
		return -E2BIG;
	}
	size_t bad = ck_sql_utf8_check(sql, len);
	if (bad < len) {
		int line = 1, col = 1;
		for (size_t i = 0; i < bad; i++) {
			if (sql[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)sql[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		set_error(err, line, col, "invalid UTF-8");
		return -EINVAL;
	}
	if (version != CK_SQL_2016_03_23 && version != CK_SQL_2015_10_08) {
		set_error(err, 0, 0, "unknown SQL version");
		return -EINVAL;
	}
	struct ck_sql_rule *rule = calloc(1, sizeof(*rule));
	if (!rule)
		return -ENOMEM;
	ck_sql_arena_init(&rule->arena, 0);
	rule->ver = version;
	struct ck_sql_token *toks;
	int rc = ck_sql_lex(&rule->arena, sql, version, &toks);
	if (rc >= 0)
		rc = ck_sql_parse(rule, toks, err);
	if (rc < 0) {
		if (rc == -ENOMEM)
			set_error(err, 0, 0, "out of memory");
		ck_sql_rule_free(rule);
		return rc;
	}
	*out = rule;
	return 0;
}

/* Frees rule and everything it owns; NULL is ignored. */
void ck_sql_rule_free(struct ck_sql_rule *rule)
{
	if (!rule)
		return;
	ck_sql_arena_cleanup(&rule->arena);
	free(rule);
}

const char *ck_sql_rule_topic_filter(const struct ck_sql_rule *rule)
{
	return rule ? rule->topic : NULL;
}
