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
#include "core/topic_index.h"
#include "engine/actions.h"

struct ck_rules {
	struct ck_rule *items; /* sorted by name (the store lists them so) */
	size_t n, cap;
	struct ck_topic_index *index; /* FROM filter -> position in items */
};

static int validate_actions(const cJSON *actions, const cJSON *error_action, char *why,
                            size_t why_len)
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
	int i = 0;
	cJSON_ArrayForEach(a, actions)
	{
		char detail[256];
		if (ck_action_validate(a, detail, sizeof(detail)) != 0) {
			snprintf(why, why_len, "action %d: %s", i + 1, detail);
			return -EINVAL;
		}
		i++;
	}
	if (error_action && !cJSON_IsNull(error_action)) {
		char detail[256];
		if (ck_action_validate(error_action, detail, sizeof(detail)) != 0) {
			snprintf(why, why_len, "errorAction: %s", detail);
			return -EINVAL;
		}
	}
	return 0;
}

int ck_rule_validate(const char *name, const char *sql, const char *version, const cJSON *actions,
                     const cJSON *error_action, struct ck_sql_error *sql_err, char *why,
                     size_t why_len)
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
	return validate_actions(actions, error_action, why, why_len);
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
	r->error_action = row->error_action ? cJSON_Parse(row->error_action) : NULL;
	return 0;
}

int ck_rules_load(struct ck_store *s, struct ck_rules **out)
{
	*out = NULL;
	struct ck_rules *rules = calloc(1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	int rc = ck_store_rule_each(s, add_rule, rules);
	rules->index = ck_topic_index_new();
	if (rc == 0 && !rules->index)
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < rules->n; i++)
		rc = ck_topic_index_add(rules->index, ck_sql_rule_topic_filter(rules->items[i].sql),
		                        (int)i);
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
		cJSON_Delete(rules->items[i].error_action);
	}
	free(rules->items);
	ck_topic_index_free(rules->index);
	free(rules);
}

size_t ck_rules_count(const struct ck_rules *rules)
{
	return rules ? rules->n : 0;
}

struct match_ctx {
	const struct ck_rules *rules;
	int (*fn)(const struct ck_rule *rule, void *ctx);
	void *ctx;
};

static int call_rule(int id, void *arg)
{
	const struct match_ctx *m = arg;
	return m->fn(&m->rules->items[id], m->ctx);
}

int ck_rules_match(const struct ck_rules *rules, const char *topic,
                   int (*fn)(const struct ck_rule *rule, void *ctx), void *ctx)
{
	if (!rules || !rules->index)
		return 0;
	struct match_ctx m = { .rules = rules, .fn = fn, .ctx = ctx };
	return ck_topic_index_match(rules->index, topic, call_rule, &m);
}

static int cmp_name(const void *key, const void *item)
{
	return strcmp(key, ((const struct ck_rule *)item)->name);
}

const struct ck_rule *ck_rules_find(const struct ck_rules *rules, const char *name)
{
	if (!rules || rules->n == 0)
		return NULL;
	return bsearch(name, rules->items, rules->n, sizeof(rules->items[0]), cmp_name);
}

const char *ck_rules_basic_ingest(const char *topic, char *name, size_t name_len)
{
	return ck_topic_basic_ingest(topic, name, name_len);
}
