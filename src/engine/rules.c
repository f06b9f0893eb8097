/*
 * Rule sets: compiled rules in memory (see rules.h).
 */
#include "engine/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/topic.h"

struct ck_rules {
	struct ck_rule *items;
	size_t n, cap;
};

static int validate_actions(const cJSON *actions, char *why, size_t why_len)
{
	if (!cJSON_IsArray(actions)) {
		snprintf(why, why_len, "actions must be an array");
		return -EINVAL;
	}
	int n = cJSON_GetArraySize(actions);
	if (n < 1 || n > CK_RULE_ACTIONS_MAX) {
		snprintf(why, why_len, "a rule needs 1 to %d actions, not %d", CK_RULE_ACTIONS_MAX,
		         n);
		return -EINVAL;
	}
	const cJSON *a;
	cJSON_ArrayForEach(a, actions)
	{
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
		if (!cJSON_IsObject(a) || !cJSON_IsString(type)) {
			snprintf(why, why_len,
			         "each action must be an object with a string \"type\"");
			return -EINVAL;
		}
		if (strcmp(type->valuestring, "workorder") != 0) {
			snprintf(why, why_len, "unknown action type \"%.64s\" (known: workorder)",
			         type->valuestring);
			return -EINVAL;
		}
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(a, "kind");
		if (kind && (!cJSON_IsString(kind) || !ck_name_valid(kind->valuestring))) {
			snprintf(why, why_len,
			         "action \"kind\" must be a name of 1 to 128 letters, digits, ':', "
			         "'_' or '-'");
			return -EINVAL;
		}
	}
	return 0;
}

int ck_rule_validate(const char *name, const char *sql, const char *version, const cJSON *actions,
                     struct ck_sql_error *sql_err, char *why, size_t why_len)
{
	memset(sql_err, 0, sizeof(*sql_err));
	if (!ck_name_valid(name)) {
		snprintf(why, why_len,
		         "rule name must be 1 to 128 letters, digits, ':', '_' or '-'");
		return -EINVAL;
	}
	enum ck_sql_version v;
	if (ck_sql_version_parse(version, &v) != 0) {
		snprintf(why, why_len,
		         "unknown SQL version \"%.32s\" (known: 2016-03-23, 2015-10-08)", version);
		return -EINVAL;
	}
	struct ck_sql_rule *compiled = NULL;
	int rc = ck_sql_compile(sql, v, &compiled, sql_err);
	if (rc != 0) {
		if (rc == -E2BIG)
			snprintf(why, why_len, "SQL longer than %d bytes", CK_SQL_MAX_LEN);
		else if (sql_err->line > 0)
			snprintf(why, why_len, "line %d, column %d: %s", sql_err->line,
			         sql_err->column, sql_err->message);
		else
			snprintf(why, why_len, "%s", sql_err->message);
		return -EINVAL;
	}
	ck_sql_rule_free(compiled);
	return validate_actions(actions, why, why_len);
}

static int add_rule(const struct ck_rule_row *row, void *ctx)
{
	struct ck_rules *rules = ctx;
	if (!row->enabled)
		return 0;
	if (rules->n == CK_RULES_MAX) {
		ck_warn("rules", "more than %d rules; \"%s\" and later ones are not loaded",
		        CK_RULES_MAX, row->name);
		return 0;
	}
	enum ck_sql_version v;
	struct ck_sql_error err;
	struct ck_sql_rule *sql = NULL;
	if (ck_sql_version_parse(row->sql_version, &v) != 0 ||
	    ck_sql_compile(row->sql, v, &sql, &err) != 0) {
		ck_error("rules", "rule \"%s\" does not compile; skipped", row->name);
		return 0;
	}
	cJSON *actions = cJSON_Parse(row->actions);
	if (!cJSON_IsArray(actions)) {
		ck_error("rules", "rule \"%s\" has unreadable actions; skipped", row->name);
		cJSON_Delete(actions);
		ck_sql_rule_free(sql);
		return 0;
	}
	if (rules->n == rules->cap) {
		size_t cap = rules->cap ? rules->cap * 2 : 16;
		struct ck_rule *items = realloc(rules->items, cap * sizeof(*items));
		if (!items) {
			cJSON_Delete(actions);
			ck_sql_rule_free(sql);
			return -ENOMEM;
		}
		rules->items = items;
		rules->cap = cap;
	}
	struct ck_rule *r = &rules->items[rules->n++];
	snprintf(r->name, sizeof(r->name), "%s", row->name);
	r->sql = sql;
	r->actions = actions;
	return 0;
}

int ck_rules_load(struct ck_store *s, struct ck_rules **out)
{
	*out = NULL;
	struct ck_rules *rules = calloc(1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	int rc = ck_store_rule_each(s, add_rule, rules);
	if (rc != 0) {
		ck_rules_free(rules);
		return rc;
	}
	*out = rules;
	return 0;
}

void ck_rules_free(struct ck_rules *rules)
{
	if (!rules)
		return;
	for (size_t i = 0; i < rules->n; i++) {
		ck_sql_rule_free(rules->items[i].sql);
		cJSON_Delete(rules->items[i].actions);
	}
	free(rules->items);
	free(rules);
}

size_t ck_rules_count(const struct ck_rules *rules)
{
	return rules ? rules->n : 0;
}

int ck_rules_match(const struct ck_rules *rules, const char *topic,
                   int (*fn)(const struct ck_rule *rule, void *ctx), void *ctx)
{
	if (!rules)
		return 0;
	for (size_t i = 0; i < rules->n; i++) {
		const struct ck_rule *r = &rules->items[i];
		if (!ck_topic_match(ck_sql_rule_topic_filter(r->sql), topic))
			continue;
		int rc = fn(r, ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}
