/*
 * API handlers for rules, work orders, events and health (docs/api.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/rules.h"
#include "http/api_int.h"
#include "sql/sql.h"

/*
 * Creates (param NULL) or replaces (param[0] names the rule) a rule from the
 * request body. Everything is validated before the store is touched, so an
 * invalid rule changes nothing and the previous version stays in force.
 */
static int rule_write(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *replace, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *sql = cJSON_GetObjectItemCaseSensitive(body, "sql");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(body, "sqlVersion");
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(body, "actions");
	const cJSON *error_action = cJSON_GetObjectItemCaseSensitive(body, "errorAction");
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(body, "enabled");
	char *actions_text = NULL, *error_text = NULL;
	const char *rule_name = replace ? replace : cJSON_GetStringValue(name);

	if (!rule_name || !cJSON_IsString(sql)) {
		status = ck_api_fail(out, 400, "bad_request", "name and sql must be strings");
		goto out;
	}
	if (replace && name && (!cJSON_IsString(name) || strcmp(name->valuestring, replace))) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "the body's name differs from the rule in the path");
		goto out;
	}
	if ((version && !cJSON_IsString(version)) || (enabled && !cJSON_IsBool(enabled))) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "sqlVersion must be a string and enabled a boolean");
		goto out;
	}
	const char *v = version ? version->valuestring : "2016-03-23";
	struct ck_sql_error sql_err;
	char why[384];
	if (ck_rule_validate(rule_name, sql->valuestring, v, actions, error_action, &sql_err, why,
	                     sizeof(why)) != 0) {
		*out = ck_api_error(sql_err.line > 0 ? "invalid_sql" : "bad_request", why);
		if (sql_err.line > 0) {
			cJSON *e = cJSON_GetObjectItemCaseSensitive(*out, "error");
			cJSON_AddNumberToObject(e, "line", sql_err.line);
			cJSON_AddNumberToObject(e, "column", sql_err.column);
		}
		status = 400;
		goto out;
	}
	actions_text = cJSON_PrintUnformatted(actions);
	if (error_action && !cJSON_IsNull(error_action))
		error_text = cJSON_PrintUnformatted(error_action);
	int64_t now = ck_api_now_ms();
	struct ck_rule_row row = {
		.sql = sql->valuestring,
		.sql_version = v,
		.actions = actions_text,
		.error_action = error_text,
		.enabled = enabled ? cJSON_IsTrue(enabled) : true,
		.created_ms = now,
		.updated_ms = replace ? now : 0,
	};
	snprintf(row.name, sizeof(row.name), "%s", rule_name);
	int rc =
	    replace ? ck_store_rule_replace(env->store, &row) : ck_store_rule_put(env->store, &row);
	if (rc != 0) {
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "a rule with that name exists")
		         : rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such rule")
		                         : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "rule %s %s", row.name, replace ? "replaced" : "created");
	if (env->rules_changed)
		env->rules_changed(env->arg);
	if (replace)
		rc = ck_store_rule_get_json(env->store, row.name, out);
	else
		*out = ck_store_rule_to_json(&row);
	status = rc == 0 && *out ? (replace ? 200 : 201) : ck_api_store_fail(out, rc ? rc : -EIO);
out:
	cJSON_free(actions_text);
	cJSON_free(error_text);
	cJSON_Delete(body);
	return status;
}

static int rule_create(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	return rule_write(env, req, NULL, out);
}

static int rule_replace(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	return rule_write(env, req, param[0], out);
}

static int rule_enable(const struct ck_api_env *env, const char *name, bool enabled, cJSON **out)
{
	int rc = ck_store_rule_set_enabled(env->store, name, enabled, ck_api_now_ms());
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such rule");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "rule %s %s", name, enabled ? "enabled" : "disabled");
	if (env->rules_changed)
		env->rules_changed(env->arg);
	rc = ck_store_rule_get_json(env->store, name, out);
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int rule_enable_route(const struct ck_api_env *env, const struct ck_api_request *req,
                             const char *const *param, cJSON **out)
{
	(void)req;
	return rule_enable(env, param[0], true, out);
}

static int rule_disable_route(const struct ck_api_env *env, const struct ck_api_request *req,
                              const char *const *param, cJSON **out)
{
	(void)req;
	return rule_enable(env, param[0], false, out);
}

static int rule_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_rule_delete(env->store, param[0]);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such rule");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "rule %s deleted", param[0]);
	if (env->rules_changed)
		env->rules_changed(env->arg);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

static int rule_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_rule_get_json(env->store, param[0], out);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such rule");
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int rule_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_rule_list, out);
}

static int workorder_list(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_workorder_list, out);
}

static int event_list(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_event_list, out);
}

static int health(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "broker",
	                        env->broker_state ? env->broker_state(env->arg) : "unknown");
	cJSON_AddStringToObject(o, "version", CK_VERSION);
	*out = o;
	return 200;
}

const struct ck_api_route ck_api_routes_rules[] = {
	{ "GET", "/health", health },
	{ "GET", "/rules", rule_list },
	{ "POST", "/rules", rule_create },
	{ "GET", "/rules/{}", rule_get },
	{ "PUT", "/rules/{}", rule_replace },
	{ "DELETE", "/rules/{}", rule_delete },
	{ "POST", "/rules/{}/enable", rule_enable_route },
	{ "POST", "/rules/{}/disable", rule_disable_route },
	{ "GET", "/workorders", workorder_list },
	{ "GET", "/events", event_list },
	{ NULL, NULL, NULL },
};
