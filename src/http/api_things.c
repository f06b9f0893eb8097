/*
 * API handlers for things and their certificates (docs/api.md): create,
 * update, delete, list with filters, and certificates issued by clickd's
 * CA with a key it generates or from the device's CSR. Each validates the
 * whole request before it writes anything.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/rules.h"
#include "http/api_int.h"
#include "registry/pki.h"
#include "registry/snapshot.h"
#include "registry/trust.h"
#include "store/store_registry.h"

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

/* Issues a certificate for thing: from the device's CSR when csr is not
 * NULL (the private key never leaves the device), else with a key pair
 * generated here and returned once. */
static int cert_issue(const struct ck_api_env *env, const char *thing, const char *csr, cJSON **out)
{
	struct ck_thing t;
	int rc = ck_store_thing_get(env->store, thing, &t);
	if (rc != 0)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                     : ck_api_store_fail(out, rc);
	ck_thing_cleanup(&t);

	char *cert = NULL, *key = NULL, *bundle = NULL, err[256];
	char fp[CK_FINGERPRINT_LEN + 1], serial[CK_CA_SERIAL_HEX_MAX + 1];
	if (csr) {
		rc = ck_pki_csr_check(csr, strlen(csr), err, sizeof(err));
		if (rc != 0)
			return ck_api_fail(out, 400, "bad_request", err);
		rc = ck_ca_issue_csr(env->ca, thing, csr, &cert, fp, serial, err, sizeof(err));
	} else {
		rc = ck_ca_issue_device_serial(env->ca, thing, &cert, &key, fp, serial, err,
		                               sizeof(err));
	}
	if (rc != 0) {
		ck_error("api", "cannot issue a certificate for %s: %s", thing, err);
		return ck_api_fail(out, 500, "internal",
		                   "cannot issue the certificate; see clickd's log");
	}
	rc = ck_store_begin(env->store);
	if (rc == 0)
		rc = ck_store_cert_put(env->store, fp, thing, cert, "active", ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_cert_set_origin(env->store, fp, serial[0] ? serial : NULL,
		                              ck_ca_fingerprint(env->ca));
	if (rc == 0)
		rc = ck_store_commit(env->store);
	else
		ck_store_rollback(env->store);
	if (rc == 0)
		rc = ck_snapshot_write(env->store, env->snapshot_path);
	bundle = rc == 0 ? ck_trust_device_bundle(env->store) : NULL;
	if (rc != 0) {
		free(cert);
		if (key)
			explicit_bzero(key, strlen(key));
		free(key);
		return ck_api_store_fail(out, rc);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "fingerprint", fp);
	cJSON_AddStringToObject(o, "status", "active");
	cJSON_AddStringToObject(o, "thing", thing);
	cJSON_AddStringToObject(o, "certificatePem", cert);
	if (key)
		cJSON_AddStringToObject(o, "privateKeyPem", key);
	cJSON_AddStringToObject(o, "caPem", bundle ? bundle : ck_ca_cert_pem(env->ca));
	cJSON *ep = cJSON_AddObjectToObject(o, "endpoint");
	cJSON_AddStringToObject(ep, "host", env->endpoint_host);
	cJSON_AddNumberToObject(ep, "port", env->endpoint_port);
	/* The key leaves clickd here and is not kept; wipe our copy. */
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	free(bundle);
	ck_info("api", "certificate %.16s... issued for thing %s%s", fp, thing,
	        csr ? " from its CSR" : "");
	*out = o;
	return 201;
}

static int cert_create(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int status = 0;

	if (req->body_len > 0) {
		status = ck_api_parse_body(req, &body, out);
		if (status)
			return status;
	}
	const cJSON *csr = cJSON_GetObjectItemCaseSensitive(body, "csr");
	if (csr && !cJSON_IsString(csr))
		status = ck_api_fail(out, 400, "bad_request", "csr must be a PEM string");
	else
		status = cert_issue(env, param[0], csr ? csr->valuestring : NULL, out);
	cJSON_Delete(body);
	return status;
}

/* The filters of GET /things: ?type=T and ?attr=NAME=VALUE. */
static int thing_filter(const struct ck_api_request *req, struct ck_thing_filter *f, char *name,
                        size_t name_len, cJSON **out)
{
	const char *type = req->query(req, "type");
	const char *attr = req->query(req, "attr");

	memset(f, 0, sizeof(*f));
	if (type) {
		if (type[0] && !ck_name_valid(type))
			return ck_api_fail(out, 400, "bad_request", "type must be a name");
		f->type = type;
	}
	if (attr) {
		const char *eq = strchr(attr, '=');
		size_t n = eq ? (size_t)(eq - attr) : 0;
		if (!eq || n == 0 || n >= name_len || !ck_name_valid_len(attr, n))
			return ck_api_fail(out, 400, "bad_request",
			                   "attr must be NAME=VALUE with an attribute name");
		memcpy(name, attr, n);
		name[n] = '\0';
		f->attr_name = name;
		f->attr_value = eq + 1;
	}
	return 0;
}

static int thing_list(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	struct ck_thing_filter f;
	struct ck_list_query q;
	char name[CK_NAME_MAX + 1];
	int64_t next = 0;
	(void)param;

	int status = thing_filter(req, &f, name, sizeof(name), out);
	if (status)
		return status;
	/* Paging as every list: parsed by the shared helper through a list
	 * function that applies the filters. */
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	const char *limit = req->query(req, "limit");
	const char *after = req->query(req, "after");
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
	cJSON *doc = cJSON_CreateObject();
	cJSON *items = doc ? cJSON_AddArrayToObject(doc, "items") : NULL;
	int rc = items ? ck_store_thing_query(env->store, &f, &q, items, &next) : -ENOMEM;
	if (rc) {
		cJSON_Delete(doc);
		return ck_api_store_fail(out, rc);
	}
	if (next)
		cJSON_AddNumberToObject(doc, "next", (double)next);
	else
		cJSON_AddNullToObject(doc, "next");
	*out = doc;
	return 200;
}

/*
 * PATCH /things/{name} {"type", "attributes", "merge", "enabled"}: type ""
 * or null removes it; attributes replace the set, or with "merge": true
 * are merged into it, where an empty value removes that attribute (as
 * AWS's UpdateThing). Disabling a thing deactivates its certificates in
 * the broker within a second.
 */
static int thing_update(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	cJSON *body;
	struct ck_thing t = { .attributes = NULL };
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	const cJSON *merge = cJSON_GetObjectItemCaseSensitive(body, "merge");
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(body, "enabled");
	if (type && !cJSON_IsNull(type) &&
	    (!cJSON_IsString(type) ||
	     (type->valuestring[0] && !ck_name_valid(type->valuestring)))) {
		status = ck_api_fail(out, 400, "bad_request", "type must be a name");
		goto out;
	}
	if ((merge && !cJSON_IsBool(merge)) || (enabled && !cJSON_IsBool(enabled))) {
		status = ck_api_fail(out, 400, "bad_request", "merge and enabled are booleans");
		goto out;
	}
	status = check_attributes(attrs, out);
	if (status)
		goto out;
	int rc = ck_store_thing_get(env->store, param[0], &t);
	if (rc) {
		status = rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	if (type)
		snprintf(t.type, sizeof(t.type), "%s",
		         cJSON_IsString(type) ? type->valuestring : "");
	if (enabled)
		t.enabled = cJSON_IsTrue(enabled);
	if (attrs && cJSON_IsTrue(merge)) {
		const cJSON *a;
		cJSON_ArrayForEach(a, attrs)
		{
			cJSON_DeleteItemFromObjectCaseSensitive(t.attributes, a->string);
			if (a->valuestring[0])
				cJSON_AddStringToObject(t.attributes, a->string, a->valuestring);
		}
		if (cJSON_GetArraySize(t.attributes) > MAX_ATTRIBUTES) {
			status = ck_api_fail(out, 400, "bad_request", "at most 50 attributes");
			goto out;
		}
	} else if (attrs) {
		cJSON_Delete(t.attributes);
		t.attributes = cJSON_Duplicate(attrs, 1);
	}
	rc = ck_store_thing_update(env->store, &t);
	if (rc == 0)
		rc = ck_api_registry_changed(env, false);
	if (rc) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_thing_cleanup(&t);
	rc = ck_store_thing_get(env->store, param[0], &t);
	if (rc) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "thing %s updated", t.name);
	*out = thing_json(&t);
	status = 200;
out:
	ck_thing_cleanup(&t);
	cJSON_Delete(body);
	return status;
}

static int thing_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_thing_delete(env->store, param[0]);
	if (rc == -EBUSY)
		return ck_api_fail(out, 409, "conflict",
		                   "the thing still has certificates or a placement slot; detach "
		                   "them first");
	if (rc == 0)
		rc = ck_api_registry_changed(env, false);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "thing %s deleted", param[0]);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

const struct ck_api_route ck_api_routes_things[] = {
	{ "GET", "/things", thing_list },
	{ "POST", "/things", thing_create },
	{ "GET", "/things/{}", thing_get },
	{ "PATCH", "/things/{}", thing_update },
	{ "DELETE", "/things/{}", thing_delete },
	{ "POST", "/things/{}/certificates", cert_create },
	{ NULL, NULL, NULL },
};
