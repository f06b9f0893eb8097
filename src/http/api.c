/*
 * API handlers (docs/api.md). Each validates its input completely before it
 * writes anything, so bad input gets a clear error and changes nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "engine/rules.h"
#include "http/http.h"
#include "registry/snapshot.h"
#include "sql/sql.h"

#define MAX_ATTRIBUTES 50
#define MAX_ATTR_VALUE 800

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cJSON *ck_api_error(const char *code, const char *message)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(doc, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	return doc;
}

static int fail(cJSON **out, int status, const char *code, const char *message)
{
	*out = ck_api_error(code, message);
	return status;
}

static int store_fail(cJSON **out, int rc)
{
	if (rc == -ENOENT)
		return fail(out, 404, "not_found", "no such item");
	if (rc == -EEXIST)
		return fail(out, 409, "conflict", "an item with that name exists");
	return fail(out, 500, "internal", "the store failed; see clickd's log");
}

/* Splits "/things/dock-1/certificates" into at most 3 segments. */
static int split_path(const char *path, char seg[3][CK_NAME_MAX + 2])
{
	int n = 0;
	const char *p = path;
	while (*p == '/')
		p++;
	while (*p && n < 3) {
		size_t len = strcspn(p, "/");
		if (len > CK_NAME_MAX)
			return -EINVAL;
		memcpy(seg[n], p, len);
		seg[n][len] = '\0';
		n++;
		p += len;
		while (*p == '/')
			p++;
	}
	return *p ? -EINVAL : n;
}

static int parse_query(const struct ck_api_request *req, struct ck_list_query *q, cJSON **out)
{
	memset(q, 0, sizeof(*q));
	q->limit = 100;
	const char *limit = req->query(req, "limit");
	const char *after = req->query(req, "after");
	char *end = NULL;
	if (limit) {
		long v = strtol(limit, &end, 10);
		if (!*limit || *end || v < 1 || v > 500)
			return fail(out, 400, "bad_request",
			            "limit must be an integer from 1 to 500");
		q->limit = (int)v;
	}
	if (after) {
		long long v = strtoll(after, &end, 10);
		if (!*after || *end || v < 0)
			return fail(out, 400, "bad_request",
			            "after must be a cursor from \"next\"");
		q->after = v;
	}
	q->status = req->query(req, "status");
	q->thing = req->query(req, "thing");
	return 0;
}

typedef int (*list_fn)(struct ck_store *, const struct ck_list_query *, cJSON *, int64_t *);

static int list(const struct ck_api_env *env, const struct ck_api_request *req, list_fn fn,
                cJSON **out)
{
	struct ck_list_query q;
	int status = parse_query(req, &q, out);
	if (status)
		return status;
	cJSON *doc = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(doc, "items");
	int64_t next = 0;
	int rc = fn(env->store, &q, items, &next);
	if (rc != 0) {
		cJSON_Delete(doc);
		return store_fail(out, rc);
	}
	if (next)
		cJSON_AddNumberToObject(doc, "next", (double)next);
	else
		cJSON_AddNullToObject(doc, "next");
	*out = doc;
	return 200;
}

static int parse_body(const struct ck_api_request *req, cJSON **body, cJSON **out)
{
	*body = cJSON_ParseWithLength(req->body, req->body_len);
	if (!cJSON_IsObject(*body)) {
		cJSON_Delete(*body);
		*body = NULL;
		return fail(out, 400, "invalid_json", "the request body must be a JSON object");
	}
	return 0;
}

static cJSON *thing_json(const struct ck_thing *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "type", t->type);
	cJSON_AddItemToObject(o, "attributes", cJSON_Duplicate(t->attributes, 1));
	cJSON_AddBoolToObject(o, "enabled", t->enabled);
	cJSON_AddNumberToObject(o, "createdAt", (double)t->created_ms);
	if (t->last_seen_ms >= 0)
		cJSON_AddNumberToObject(o, "lastSeenAt", (double)t->last_seen_ms);
	else
		cJSON_AddNullToObject(o, "lastSeenAt");
	if (t->battery_mv >= 0)
		cJSON_AddNumberToObject(o, "batteryMv", t->battery_mv);
	else
		cJSON_AddNullToObject(o, "batteryMv");
	return o;
}

static int check_attributes(const cJSON *attrs, cJSON **out)
{
	if (!attrs)
		return 0;
	if (!cJSON_IsObject(attrs))
		return fail(out, 400, "bad_request", "attributes must be an object of strings");
	int n = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs)
	{
		if (++n > MAX_ATTRIBUTES)
			return fail(out, 400, "bad_request", "at most 50 attributes");
		if (!cJSON_IsString(a) || strlen(a->valuestring) > MAX_ATTR_VALUE ||
		    !ck_name_valid(a->string))
			return fail(out, 400, "bad_request",
			            "attribute names must be 1 to 128 letters, digits, ':', '_' or "
			            "'-', values strings of at most 800 bytes");
	}
	return 0;
}

static int thing_create(const struct ck_api_env *env, const struct ck_api_request *req, cJSON **out)
{
	cJSON *body;
	int status = parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	struct ck_thing t = {
		.enabled = true, .created_ms = now_ms(), .last_seen_ms = -1, .battery_mv = -1
	};

	if (!cJSON_IsString(name) || !ck_name_valid(name->valuestring)) {
		status = fail(out, 400, "invalid_name",
		              "thing name must be 1 to 128 letters, digits, ':', '_' or '-'");
		goto out;
	}
	if (type && !cJSON_IsNull(type) &&
	    (!cJSON_IsString(type) ||
	     (type->valuestring[0] && !ck_name_valid(type->valuestring)))) {
		status = fail(out, 400, "bad_request", "type must be a name");
		goto out;
	}
	status = check_attributes(attrs, out);
	if (status)
		goto out;
	snprintf(t.name, sizeof(t.name), "%s", name->valuestring);
	snprintf(t.type, sizeof(t.type), "%s", cJSON_IsString(type) ? type->valuestring : "");
	t.attributes = cJSON_IsObject(attrs) ? (cJSON *)attrs : NULL;
	int rc = ck_store_thing_put(env->store, &t);
	if (rc != 0) {
		status = rc == -EEXIST ? fail(out, 409, "conflict", "a thing with that name exists")
		                       : store_fail(out, rc);
		goto out;
	}
	struct ck_thing stored;
	rc = ck_store_thing_get(env->store, t.name, &stored);
	if (rc != 0) {
		status = store_fail(out, rc);
		goto out;
	}
	*out = thing_json(&stored);
	ck_thing_cleanup(&stored);
	ck_info("api", "thing %s created", t.name);
	status = 201;
out:
	cJSON_Delete(body);
	return status;
}

static int thing_get(const struct ck_api_env *env, const char *name, cJSON **out)
{
	struct ck_thing t;
	int rc = ck_store_thing_get(env->store, name, &t);
	if (rc != 0)
		return rc == -ENOENT ? fail(out, 404, "not_found", "no such thing")
		                     : store_fail(out, rc);
	*out = thing_json(&t);
	ck_thing_cleanup(&t);
	return 200;
}

static int cert_create(const struct ck_api_env *env, const char *thing, cJSON **out)
{
	struct ck_thing t;
	int rc = ck_store_thing_get(env->store, thing, &t);
	if (rc != 0)
		return rc == -ENOENT ? fail(out, 404, "not_found", "no such thing")
		                     : store_fail(out, rc);
	ck_thing_cleanup(&t);

	char *cert = NULL, *key = NULL, err[256];
	char fp[CK_FINGERPRINT_LEN + 1];
	rc = ck_ca_issue_device(env->ca, thing, &cert, &key, fp, err, sizeof(err));
	if (rc != 0) {
		ck_error("api", "cannot issue a certificate for %s: %s", thing, err);
		return fail(out, 500, "internal", "cannot issue the certificate; see clickd's log");
	}
	rc = ck_store_cert_put(env->store, fp, thing, cert, "active", now_ms());
	if (rc == 0)
		rc = ck_snapshot_write(env->store, env->snapshot_path);
	if (rc != 0) {
		free(cert);
		free(key);
		return store_fail(out, rc);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "fingerprint", fp);
	cJSON_AddStringToObject(o, "status", "active");
	cJSON_AddStringToObject(o, "thing", thing);
	cJSON_AddStringToObject(o, "certificatePem", cert);
	cJSON_AddStringToObject(o, "privateKeyPem", key);
	cJSON_AddStringToObject(o, "caPem", ck_ca_cert_pem(env->ca));
	cJSON *ep = cJSON_AddObjectToObject(o, "endpoint");
	cJSON_AddStringToObject(ep, "host", env->endpoint_host);
	cJSON_AddNumberToObject(ep, "port", env->endpoint_port);
	/* The key leaves clickd here and is not kept; wipe our copy. */
	memset(key, 0, strlen(key));
	free(key);
	free(cert);
	ck_info("api", "certificate %.16s... issued for thing %s", fp, thing);
	*out = o;
	return 201;
}

static int rule_create(const struct ck_api_env *env, const struct ck_api_request *req, cJSON **out)
{
	cJSON *body;
	int status = parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *sql = cJSON_GetObjectItemCaseSensitive(body, "sql");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(body, "sqlVersion");
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(body, "actions");
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(body, "enabled");
	char *actions_text = NULL;

	if (!cJSON_IsString(name) || !cJSON_IsString(sql)) {
		status = fail(out, 400, "bad_request", "name and sql must be strings");
		goto out;
	}
	if ((version && !cJSON_IsString(version)) || (enabled && !cJSON_IsBool(enabled))) {
		status = fail(out, 400, "bad_request",
		              "sqlVersion must be a string and enabled a boolean");
		goto out;
	}
	const char *v = version ? version->valuestring : "2016-03-23";
	struct ck_sql_error sql_err;
	char why[384];
	if (ck_rule_validate(name->valuestring, sql->valuestring, v, actions, &sql_err, why,
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
	struct ck_rule_row row = {
		.sql = sql->valuestring,
		.sql_version = v,
		.actions = actions_text,
		.enabled = enabled ? cJSON_IsTrue(enabled) : true,
		.created_ms = now_ms(),
	};
	snprintf(row.name, sizeof(row.name), "%s", name->valuestring);
	int rc = ck_store_rule_put(env->store, &row);
	if (rc != 0) {
		status = rc == -EEXIST ? fail(out, 409, "conflict", "a rule with that name exists")
		                       : store_fail(out, rc);
		goto out;
	}
	ck_info("api", "rule %s created", row.name);
	if (env->rules_changed)
		env->rules_changed(env->arg);
	*out = ck_store_rule_to_json(&row);
	status = 201;
out:
	cJSON_free(actions_text);
	cJSON_Delete(body);
	return status;
}

static int health(const struct ck_api_env *env, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "broker",
	                        env->broker_state ? env->broker_state(env->arg) : "unknown");
	cJSON_AddStringToObject(o, "version", CK_VERSION);
	*out = o;
	return 200;
}

static int method_not_allowed(cJSON **out)
{
	return fail(out, 405, "method_not_allowed", "method not allowed on this endpoint");
}

int ck_api_handle(const struct ck_api_env *env, const struct ck_api_request *req, cJSON **out)
{
	char seg[3][CK_NAME_MAX + 2];
	int n = split_path(req->path, seg);
	bool get = strcmp(req->method, "GET") == 0;
	bool post = strcmp(req->method, "POST") == 0;
	*out = NULL;

	if (n <= 0)
		return fail(out, 404, "not_found", "no such endpoint");
	if (n == 1 && strcmp(seg[0], "health") == 0)
		return get ? health(env, out) : method_not_allowed(out);
	if (strcmp(seg[0], "things") == 0) {
		if (n == 1)
			return get    ? list(env, req, ck_store_thing_list, out)
			       : post ? thing_create(env, req, out)
			              : method_not_allowed(out);
		if (n == 2)
			return get ? thing_get(env, seg[1], out) : method_not_allowed(out);
		if (n == 3 && strcmp(seg[2], "certificates") == 0)
			return post ? cert_create(env, seg[1], out) : method_not_allowed(out);
	}
	if (strcmp(seg[0], "rules") == 0) {
		if (n == 1)
			return get    ? list(env, req, ck_store_rule_list, out)
			       : post ? rule_create(env, req, out)
			              : method_not_allowed(out);
		if (n == 2) {
			if (!get)
				return method_not_allowed(out);
			int rc = ck_store_rule_get_json(env->store, seg[1], out);
			return rc == 0         ? 200
			       : rc == -ENOENT ? fail(out, 404, "not_found", "no such rule")
			                       : store_fail(out, rc);
		}
	}
	if (n == 1 && strcmp(seg[0], "workorders") == 0)
		return get ? list(env, req, ck_store_workorder_list, out) : method_not_allowed(out);
	if (n == 1 && strcmp(seg[0], "events") == 0)
		return get ? list(env, req, ck_store_event_list, out) : method_not_allowed(out);
	return fail(out, 404, "not_found", "no such endpoint");
}
