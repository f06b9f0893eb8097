/*
 * API handlers for things and their certificates (docs/api.md). Each
 * validates the whole request before it writes anything.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/rules.h"
#include "http/api_int.h"
#include "registry/snapshot.h"

#define MAX_ATTRIBUTES 50
#define MAX_ATTR_VALUE 800

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
		return ck_api_fail(out, 400, "bad_request",
		                   "attributes must be an object of strings");
	int n = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs)
	{
		if (++n > MAX_ATTRIBUTES)
			return ck_api_fail(out, 400, "bad_request", "at most 50 attributes");
		if (!cJSON_IsString(a) || strlen(a->valuestring) > MAX_ATTR_VALUE ||
		    !ck_name_valid(a->string))
			return ck_api_fail(
			    out, 400, "bad_request",
			    "attribute names must be 1 to 128 letters, digits, ':', '_' or "
			    "'-', values strings of at most 800 bytes");
	}
	return 0;
}

static int thing_create(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	struct ck_thing t = {
		.enabled = true, .created_ms = ck_api_now_ms(), .last_seen_ms = -1, .battery_mv = -1
	};

	if (!cJSON_IsString(name) || !ck_name_valid(name->valuestring)) {
		status =
		    ck_api_fail(out, 400, "invalid_name",
		                "thing name must be 1 to 128 letters, digits, ':', '_' or '-'");
		goto out;
	}
	if (type && !cJSON_IsNull(type) &&
	    (!cJSON_IsString(type) ||
	     (type->valuestring[0] && !ck_name_valid(type->valuestring)))) {
		status = ck_api_fail(out, 400, "bad_request", "type must be a name");
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
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "a thing with that name exists")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	struct ck_thing stored;
	rc = ck_store_thing_get(env->store, t.name, &stored);
	if (rc != 0) {
		status = ck_api_store_fail(out, rc);
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

static int thing_get(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	const char *name = param[0];
	(void)req;
	struct ck_thing t;
	int rc = ck_store_thing_get(env->store, name, &t);
	if (rc != 0)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                     : ck_api_store_fail(out, rc);
	*out = thing_json(&t);
	ck_thing_cleanup(&t);
	return 200;
}

static int cert_create(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	const char *thing = param[0];
	(void)req;
	struct ck_thing t;
	int rc = ck_store_thing_get(env->store, thing, &t);
	if (rc != 0)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                     : ck_api_store_fail(out, rc);
	ck_thing_cleanup(&t);

	char *cert = NULL, *key = NULL, err[256];
	char fp[CK_FINGERPRINT_LEN + 1];
	rc = ck_ca_issue_device(env->ca, thing, &cert, &key, fp, err, sizeof(err));
	if (rc != 0) {
		ck_error("api", "cannot issue a certificate for %s: %s", thing, err);
		return ck_api_fail(out, 500, "internal",
		                   "cannot issue the certificate; see clickd's log");
	}
	rc = ck_store_cert_put(env->store, fp, thing, cert, "active", ck_api_now_ms());
	if (rc == 0)
		rc = ck_snapshot_write(env->store, env->snapshot_path);
	if (rc != 0) {
		free(cert);
		free(key);
		return ck_api_store_fail(out, rc);
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

static int thing_list(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_thing_list, out);
}

const struct ck_api_route ck_api_routes_things[] = {
	{ "GET", "/things", thing_list },
	{ "POST", "/things", thing_create },
	{ "GET", "/things/{}", thing_get },
	{ "POST", "/things/{}/certificates", cert_create },
	{ NULL, NULL, NULL },
};
