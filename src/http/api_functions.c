/*
 * API handlers for functions (docs/api.md "Functions"): definitions,
 * invocations (synchronous on the API's thread, or queued in the outbox
 * for the courier as a rule would) and the runs with their logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "engine/actions.h"
#include "functions/function.h"
#include "http/api_int.h"
#include "store/store_functions.h"
#include "store/store_outbox.h"

/* Parses and validates def for name, including onFailure as a rule action.
 * Returns 0, or an HTTP status with *out set. */
static int check(const char *name, const cJSON *def, cJSON **out)
{
	char err[400] = "";
	struct ck_function *f = NULL;
	int rc = ck_function_parse(name, def, &f, err, sizeof(err));
	if (rc == -ENOMEM)
		return ck_api_fail(out, 500, "internal", "out of memory");
	if (rc != 0)
		return ck_api_fail(out, 400, "invalid_function", err);
	int status = 0;
	if (f->on_failure && ck_action_validate(f->on_failure, err, sizeof(err)) != 0) {
		char msg[460];
		snprintf(msg, sizeof(msg), "onFailure: %s", err);
		status = ck_api_fail(out, 400, "invalid_function", msg);
	}
	ck_function_free(f);
	return status;
}

static int put(const struct ck_api_env *env, const char *name, cJSON *def, bool replace,
               cJSON **out)
{
	int status = check(name, def, out);
	if (status != 0)
		return status;
	char *text = cJSON_PrintUnformatted(def);
	if (!text)
		return ck_api_fail(out, 500, "internal", "out of memory");
	int rc = ck_store_function_put(env->store, name, text, ck_api_now_ms(), replace);
	cJSON_free(text);
	if (rc == -EEXIST)
		return ck_api_fail(out, 409, "conflict", "a function with that name exists");
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such function");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "function %s %s", name, replace ? "replaced" : "created");
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "name", name);
	cJSON_AddItemToObject(*out, "definition", cJSON_Duplicate(def, true));
	return replace ? 200 : 201;
}

static int fn_create(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status != 0)
		return status;
	cJSON *name = cJSON_DetachItemFromObjectCaseSensitive(body, "name");
	if (!cJSON_IsString(name))
		status = ck_api_fail(out, 400, "invalid_function", "a function needs a \"name\"");
	else
		status = put(env, name->valuestring, body, false, out);
	cJSON_Delete(name);
	cJSON_Delete(body);
	return status;
}

static int fn_replace(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status != 0)
		return status;
	cJSON_DeleteItemFromObjectCaseSensitive(body, "name");
	status = put(env, param[0], body, true, out);
	cJSON_Delete(body);
	return status;
}

static int fn_list(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_function_list, out);
}

static int fn_get(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	(void)req;
	char *text = NULL;
	int rc = ck_store_function_get(env->store, param[0], &text);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such function");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "name", param[0]);
	cJSON *def = cJSON_Parse(text);
	cJSON_AddItemToObject(*out, "definition", def ? def : cJSON_CreateNull());
	free(text);
	return 200;
}

static int fn_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_function_delete(env->store, param[0]);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such function");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "function %s deleted", param[0]);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

static void request_id(char *buf, size_t len)
{
	uint8_t r[8] = { 0 };
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	snprintf(buf, len, "invoke/%lld/%02x%02x%02x%02x%02x%02x%02x%02x",
	         (long long)ck_api_now_ms(), r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

/* POST /functions/NAME/invocations[?mode=async]: the body is the event. */
static int fn_invoke(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	const char *mode = req->query(req, "mode");
	if (mode && strcmp(mode, "sync") != 0 && strcmp(mode, "async") != 0)
		return ck_api_fail(out, 400, "bad_request", "mode must be sync or async");
	const char *event = req->body_len ? req->body : "{}";
	size_t event_len = req->body_len ? req->body_len : 2;
	cJSON *parsed = cJSON_ParseWithLength(event, event_len);
	if (!parsed)
		return ck_api_fail(out, 400, "bad_request", "the event must be JSON");
	cJSON_Delete(parsed);
	char err[400] = "", rid[96];
	struct ck_function *f = NULL;
	int rc = ck_function_load(env->store, param[0], &f, err, sizeof(err));
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such function");
	if (rc != 0)
		return ck_api_fail(out, 500, "internal", err[0] ? err : "cannot load the function");
	request_id(rid, sizeof(rid));
	int64_t now = ck_api_now_ms();
	if (mode && strcmp(mode, "async") == 0) {
		char rule[CK_NAME_MAX + 16];
		snprintf(rule, sizeof(rule), "function:%s", f->name);
		struct ck_outbox_entry e = {
			.key = rid,
			.rule = rule,
			.action_index = -1,
			.action = "{\"type\":\"function\"}",
			.kind = "function",
			.destination = f->name,
			.payload = (const uint8_t *)event,
			.payload_len = event_len,
			.next_attempt_ms = now,
			.created_ms = now,
			.expires_ms = now + f->max_event_age_ms,
		};
		rc = ck_store_outbox_put(env->store, &e, NULL);
		ck_function_free(f);
		if (rc != 0)
			return ck_api_store_fail(out, rc);
		if (env->outbox_changed)
			env->outbox_changed(env->arg);
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "requestId", rid);
		cJSON_AddStringToObject(*out, "status", "queued");
		return 202;
	}
	struct ck_function_invocation inv = {
		.request_id = rid,
		.trigger = "api",
		.attempt = 1,
		.event = event,
		.event_len = event_len,
		.now_ms = now,
	};
	struct ck_function_outcome o;
	rc = ck_function_invoke(env->store, f, &inv, &o);
	ck_function_free(f);
	if (rc != 0) {
		ck_function_outcome_cleanup(&o);
		return ck_api_store_fail(out, rc);
	}
	/* Calls it made may have queued deliveries (publish, http.request, notify). */
	if (o.calls > 0 && env->outbox_changed)
		env->outbox_changed(env->arg);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "requestId", rid);
	cJSON_AddNumberToObject(*out, "runId", (double)o.run_id);
	cJSON_AddStringToObject(*out, "status", o.status);
	if (strcmp(o.status, "ok") == 0)
		cJSON_AddNullToObject(*out, "error");
	else
		cJSON_AddStringToObject(*out, "error", o.error);
	cJSON_AddItemToObject(*out, "result", o.result ? o.result : cJSON_CreateNull());
	o.result = NULL;
	cJSON_AddNumberToObject(*out, "durationUs", (double)o.duration_us);
	cJSON_AddNumberToObject(*out, "calls", o.calls);
	cJSON_AddNumberToObject(*out, "denied", o.denied);
	return 200;
}

static int fn_runs(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	struct ck_list_query q = { .limit = 50 };
	const char *limit = req->query(req, "limit"), *after = req->query(req, "after");
	char *end = NULL;
	if (limit) {
		long v = strtol(limit, &end, 10);
		if (!*limit || *end || v < 1 || v > 500)
			return ck_api_fail(out, 400, "bad_request",
			                   "limit must be an integer from 1 to 500");
		q.limit = (int)v;
	}
	if (after) {
		long long v = strtoll(after, &end, 10);
		if (!*after || *end || v < 0)
			return ck_api_fail(out, 400, "bad_request",
			                   "after must be a cursor from \"next\"");
		q.after = v;
	}
	char *def = NULL;
	int rc = ck_store_function_get(env->store, param[0], &def);
	free(def);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such function");
	cJSON *items = cJSON_CreateArray();
	int64_t next = 0;
	if (rc == 0)
		rc = ck_store_function_runs(env->store, param[0], &q, items, &next);
	if (rc != 0) {
		cJSON_Delete(items);
		return ck_api_store_fail(out, rc);
	}
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "items", items);
	if (next)
		cJSON_AddNumberToObject(*out, "next", (double)next);
	else
		cJSON_AddNullToObject(*out, "next");
	return 200;
}

const struct ck_api_route ck_api_routes_functions[] = {
	{ "GET", "/functions", fn_list },
	{ "POST", "/functions", fn_create },
	{ "GET", "/functions/{}", fn_get },
	{ "PUT", "/functions/{}", fn_replace },
	{ "DELETE", "/functions/{}", fn_delete },
	{ "POST", "/functions/{}/invocations", fn_invoke },
	{ "GET", "/functions/{}/runs", fn_runs },
	{ NULL, NULL, NULL },
};
