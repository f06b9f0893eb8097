/*
 * clickctl's "rules" commands: "rules create" sends a rule with one
 * workorder action to POST /rules and, when clickd rejects the SQL, shows
 * the message with the line and column and the offending line with a caret;
 * "rules list" shows every rule. The SQL is compiled by clickd only, so
 * clickctl never disagrees with the server about what is valid.
 */
#include "clickctl/clickctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage_hint = "try clickctl rules create --help";

/* Prints an invalid_sql error with its position and a caret line. */
static int print_sql_error(const struct ck_ctl_api_error *e, const char *sql)
{
	char caret[2 * 8192 + 16];

	if (e->line > 0 && strncmp(e->message, "line ", 5) == 0)
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "invalid SQL: %s", e->message);
	else if (e->line > 0)
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "invalid SQL: line %d, column %d: %s", e->line,
		            e->column, e->message);
	else
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "invalid SQL: %s", e->message);
	if (e->line > 0 && ck_cli_sql_caret(sql, e->line, e->column, caret, sizeof(caret)) == 0)
		fputs(caret, stderr);
	return CK_CTL_EXIT_FAIL;
}

static cJSON *rule_body(const char *name, const char *sql, const char *version, const char *kind,
                        bool enabled)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *actions = body ? cJSON_AddArrayToObject(body, "actions") : NULL;
	cJSON *action = cJSON_CreateObject();

	if (!actions || !action || !cJSON_AddStringToObject(body, "name", name) ||
	    !cJSON_AddStringToObject(body, "sql", sql) ||
	    (version && !cJSON_AddStringToObject(body, "sqlVersion", version)) ||
	    !cJSON_AddBoolToObject(body, "enabled", enabled) ||
	    !cJSON_AddStringToObject(action, "type", "workorder") ||
	    (kind && !cJSON_AddStringToObject(action, "kind", kind))) {
		cJSON_Delete(action);
		cJSON_Delete(body);
		return NULL;
	}
	cJSON_AddItemToArray(actions, action);
	return body;
}

/*
 * clickctl rules create NAME --sql SQL --action workorder [--sql-version V]
 * [--kind K] [--disabled]. Returns an exit status.
 */
int ck_ctl_rules_create(struct ck_ctl *c)
{
	const char *sql = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL);
	const char *version = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL_VERSION);
	const char *action = ck_cli_opt_value(c->args, CK_CTL_OPT_ACTION);
	const char *kind = ck_cli_opt_value(c->args, CK_CTL_OPT_KIND);
	bool enabled = ck_cli_opt_value(c->args, CK_CTL_OPT_DISABLED) == NULL;
	struct ck_ctl_api_error e;
	cJSON *body = NULL, *rule = NULL;
	int rc;

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules create needs exactly one NAME (%s)",
		                   usage_hint);
	if (!sql || !sql[0])
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules create needs --sql SQL (%s)",
		                   usage_hint);
	if (!action)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules create needs --action workorder (%s)",
		                   usage_hint);
	if (strcmp(action, "workorder") != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "unknown action \"%s\" (the only action is workorder)", action);
	body = rule_body(c->operands[0], sql, version, kind, enabled);
	if (!body)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");

	rc = ck_ctl_api(c->http, "POST", "/rules", body, &rule, &e);
	if (rc == CK_CTL_EXIT_FAIL && strcmp(e.code, "invalid_sql") == 0)
		rc = print_sql_error(&e, sql);
	else if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (c->json)
		rc = ck_ctl_print_json(rule);
	else
		printf("created rule %s (%s), action workorder, kind %s\n", c->operands[0],
		       enabled ? "enabled" : "disabled", kind ? kind : c->operands[0]);
out:
	cJSON_Delete(rule);
	cJSON_Delete(body);
	return rc;
}

/* clickctl rules list: NAME ENABLED SQL. Returns an exit status. */
int ck_ctl_rules_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "ENABLED", "SQL" };
	struct ck_ctl_api_error e;
	struct ck_cli_table *t = NULL;
	cJSON *items = NULL;
	const cJSON *it;
	int rc;

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules list takes no arguments");
	rc = ck_ctl_api_list(c->http, "/rules", &items, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (c->json) {
		rc = ck_ctl_print_json_list(items);
		goto out;
	}
	t = ck_cli_table_new(3, head);
	if (!t) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(it, "enabled");
		const char *row[] = { ck_ctl_json_str(it, "name"),
			              cJSON_IsBool(enabled) ? (cJSON_IsTrue(enabled) ? "yes" : "no")
			                                    : NULL,
			              ck_ctl_json_str(it, "sql") };
		if (ck_cli_table_add(t, row) < 0) {
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
			goto out;
		}
	}
	rc = ck_ctl_print_table(t);
out:
	ck_cli_table_free(t);
	cJSON_Delete(items);
	return rc;
}
