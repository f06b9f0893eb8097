/*
 * clickctl's "rules" commands: "rules create" sends a rule with one
 * workorder action to POST /rules and, when clickd rejects the SQL, shows
 * the message with the line and column and the offending line with a caret;
 * "rules list" shows every rule. The SQL is compiled by clickd only, so
 * clickctl never disagrees with the server about what is valid.
 */
#include "clickctl/clickctl.h"

#include "core/name.h"

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

/* Parses a JSON option value; prints the problem and returns NULL. */
static cJSON *json_option(const char *opt, const char *text, bool want_array)
{
	cJSON *v = cJSON_Parse(text);
	if (!v || (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v))) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE, "--%s wants a JSON %s", opt,
		            want_array ? "array" : "object");
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/*
 * Builds the rule body from the command line. Returns NULL after printing
 * the problem (usage errors exit 2).
 */
static cJSON *rule_body(struct ck_ctl *c, const char *verb, int *status)
{
	const char *sql = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL);
	const char *version = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL_VERSION);
	const char *action = ck_cli_opt_value(c->args, CK_CTL_OPT_ACTION);
	const char *kind = ck_cli_opt_value(c->args, CK_CTL_OPT_KIND);
	const char *actions_json = ck_cli_opt_value(c->args, CK_CTL_OPT_ACTIONS_JSON);
	const char *error_json = ck_cli_opt_value(c->args, CK_CTL_OPT_ERROR_ACTION_JSON);
	bool enabled = ck_cli_opt_value(c->args, CK_CTL_OPT_DISABLED) == NULL;
	cJSON *actions = NULL, *error_action = NULL;

	*status = CK_CTL_EXIT_USAGE;
	if (c->n_operands != 1) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules %s needs exactly one NAME (%s)", verb,
		            usage_hint);
		return NULL;
	}
	if (!sql || !sql[0]) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules %s needs --sql SQL (%s)", verb, usage_hint);
		return NULL;
	}
	if (!action == !actions_json) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE,
		            "rules %s needs either --action workorder or --actions-json (%s)", verb,
		            usage_hint);
		return NULL;
	}
	if (action && strcmp(action, "workorder") != 0) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE,
		            "unknown action \"%s\" (use workorder, or --actions-json)", action);
		return NULL;
	}
	if (kind && !action) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE, "--kind goes with --action workorder");
		return NULL;
	}
	if (actions_json) {
		actions = json_option("actions-json", actions_json, true);
		if (!actions)
			return NULL;
	} else {
		actions = cJSON_CreateArray();
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "type", "workorder");
		if (kind)
			cJSON_AddStringToObject(a, "kind", kind);
		cJSON_AddItemToArray(actions, a);
	}
	if (error_json) {
		error_action = json_option("error-action-json", error_json, false);
		if (!error_action) {
			cJSON_Delete(actions);
			return NULL;
		}
	}
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", c->operands[0]);
	cJSON_AddStringToObject(body, "sql", sql);
	if (version)
		cJSON_AddStringToObject(body, "sqlVersion", version);
	cJSON_AddBoolToObject(body, "enabled", enabled);
	cJSON_AddItemToObject(body, "actions", actions);
	if (error_action)
		cJSON_AddItemToObject(body, "errorAction", error_action);
	*status = CK_CTL_EXIT_OK;
	return body;
}

/* POSTs (create) or PUTs (replace) a rule; reports SQL errors with a caret. */
static int rule_write(struct ck_ctl *c, bool replace)
{
	const char *verb = replace ? "replace" : "create";
	struct ck_ctl_api_error e;
	cJSON *rule = NULL;
	char path[3 * CK_NAME_MAX + 16];
	int rc;
	cJSON *body = rule_body(c, verb, &rc);

	if (!body)
		return rc;
	const char *sql = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL);
	char esc[3 * CK_NAME_MAX + 1];
	if (replace && ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) < 0) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rule name too long");
	}
	if (replace)
		snprintf(path, sizeof(path), "/rules/%s", esc);
	rc = ck_ctl_api(c->http, replace ? "PUT" : "POST", replace ? path : "/rules", body, &rule,
	                &e);
	if (rc == CK_CTL_EXIT_FAIL && strcmp(e.code, "invalid_sql") == 0)
		rc = print_sql_error(&e, sql);
	else if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (c->json) {
		rc = ck_ctl_print_json(rule);
	} else {
		const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(rule, "enabled");
		printf("%s rule %s (%s)\n", replace ? "replaced" : "created", c->operands[0],
		       cJSON_IsTrue(enabled) ? "enabled" : "disabled");
	}
out:
	cJSON_Delete(rule);
	cJSON_Delete(body);
	return rc;
}

/* clickctl rules create NAME ... Returns an exit status. */
int ck_ctl_rules_create(struct ck_ctl *c)
{
	return rule_write(c, false);
}

/* clickctl rules replace NAME ... Returns an exit status. */
int ck_ctl_rules_replace(struct ck_ctl *c)
{
	return rule_write(c, true);
}

/* Runs METHOD /rules/NAME[suffix] and prints the result or done_fmt. */
static int rule_call(struct ck_ctl *c, const char *verb, const char *method, const char *suffix)
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	char path[400];

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules %s needs exactly one NAME", verb);
	char esc[3 * CK_NAME_MAX + 1];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rule name too long");
	snprintf(path, sizeof(path), "/rules/%s%s", esc, suffix);
	int rc = ck_ctl_api(c->http, method, path, NULL, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json || strcmp(verb, "show") == 0)
			rc = ck_ctl_print_json(resp);
		else
			printf("%s rule %s\n",
			       verb[0] == 'e'   ? "enabled"
			       : verb[1] == 'i' ? "disabled"
			                        : "deleted",
			       c->operands[0]);
	}
	cJSON_Delete(resp);
	return rc;
}

int ck_ctl_rules_show(struct ck_ctl *c)
{
	return rule_call(c, "show", "GET", "");
}

int ck_ctl_rules_enable(struct ck_ctl *c)
{
	return rule_call(c, "enable", "POST", "/enable");
}

int ck_ctl_rules_disable(struct ck_ctl *c)
{
	return rule_call(c, "disable", "POST", "/disable");
}

int ck_ctl_rules_delete(struct ck_ctl *c)
{
	return rule_call(c, "delete", "DELETE", "");
}

/* One rule's row: NAME ENABLED SQL. */
static int rule_row(struct ck_cli_table *t, const cJSON *it)
{
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(it, "enabled");
	const char *row[] = { ck_ctl_json_str(it, "name"),
		              cJSON_IsBool(enabled) ? (cJSON_IsTrue(enabled) ? "yes" : "no") : NULL,
		              ck_ctl_json_str(it, "sql") };
	return ck_cli_table_add(t, row);
}

/* clickctl rules list: NAME ENABLED SQL. Returns an exit status. */
int ck_ctl_rules_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "ENABLED", "SQL" };
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "rules list takes no arguments");
	return ck_ctl_list_print(c, "/rules", 3, head, rule_row);
}
