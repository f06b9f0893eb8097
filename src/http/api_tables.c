/*
 * The tables area of the API (docs/api.md "Tables"): create, list, show
 * and delete tables; put (optionally conditional), get and delete one
 * item; query a partition by sort-key prefix or range. Key values in query
 * strings are parsed by the table's key types.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api_int.h"
#include "store/store_tables.h"

static int table_fail(cJSON **out, int rc, const char *why)
{
	switch (rc) {
	case -ENOENT:
		return ck_api_fail(out, 404, "not_found", "no such table");
	case -ENODATA:
		return ck_api_fail(out, 404, "not_found", "no item with that key");
	case -EEXIST:
		return ck_api_fail(out, 409, "conflict", "a table with that name exists");
	case -EINVAL:
		return ck_api_fail(out, 400, "bad_request",
		                   why && why[0] ? why : "invalid request");
	case -ECANCELED:
		return ck_api_fail(out, 409, "condition_failed", why);
	default:
		return ck_api_store_fail(out, rc);
	}
}

/* Reads {"name": N, "type": "S"|"N"} into name and type; 0 or 400. */
static int key_member(const cJSON *body, const char *member, char *name, char *type, cJSON **out)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(body, member);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(k, "name");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(k, "type");
	char msg[160];
	if (!cJSON_IsObject(k) || !cJSON_IsString(n) || strlen(n->valuestring) > CK_NAME_MAX ||
	    (t && (!cJSON_IsString(t) ||
	           (strcmp(t->valuestring, "S") != 0 && strcmp(t->valuestring, "N") != 0)))) {
		snprintf(msg, sizeof(msg),
		         "\"%s\" must be {\"name\": ATTRIBUTE, \"type\": \"S\" or \"N\"}", member);
		return ck_api_fail(out, 400, "bad_request", msg);
	}
	snprintf(name, CK_NAME_MAX + 1, "%s", n->valuestring);
	*type = t ? t->valuestring[0] : 'S';
	return 0;
}

static int table_create(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)param;
	struct ck_table_def d;
	cJSON *body = NULL;
	char why[256] = "";
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	memset(&d, 0, sizeof(d));
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *sk = cJSON_GetObjectItemCaseSensitive(body, "sortKey");
	if (!cJSON_IsString(name) || !ck_table_name_valid(name->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "\"name\" must be 3 to 128 letters, digits, '_', '-' or '.'");
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name->valuestring);
	status = key_member(body, "partitionKey", d.partition_key, &d.partition_type, out);
	if (!status && sk && !cJSON_IsNull(sk))
		status = key_member(body, "sortKey", d.sort_key, &d.sort_type, out);
	if (status)
		goto out;
	d.created_ms = ck_api_now_ms();
	int rc = ck_store_table_create(env->store, &d, why, sizeof(why));
	if (rc == 0)
		rc = ck_store_table_json(env->store, d.name, out);
	status = rc == 0 ? 201 : table_fail(out, rc, why);
out:
	cJSON_Delete(body);
	return status;
}

static int table_list(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_table_list, out);
}

static int table_show(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_table_json(env->store, param[0], out);
	return rc == 0 ? 200 : table_fail(out, rc, NULL);
}

static int table_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_table_delete(env->store, param[0]);
	if (rc != 0)
		return table_fail(out, rc, NULL);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

/*
 * Reads a condition: {"exists": false} (create only), {"exists": true}
 * (replace only) or {"version": N}. 0 or 400 with *out set.
 */
static int parse_condition(const cJSON *c, struct ck_table_cond *cond, cJSON **out)
{
	memset(cond, 0, sizeof(*cond));
	if (!c || cJSON_IsNull(c))
		return 0;
	const cJSON *exists = cJSON_GetObjectItemCaseSensitive(c, "exists");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(c, "version");
	if (cJSON_IsObject(c) && cJSON_GetArraySize(c) == 1 && cJSON_IsBool(exists)) {
		cond->kind = cJSON_IsTrue(exists) ? CK_TABLE_COND_EXISTS : CK_TABLE_COND_NOT_EXISTS;
		return 0;
	}
	if (cJSON_IsObject(c) && cJSON_GetArraySize(c) == 1 && cJSON_IsNumber(version) &&
	    version->valuedouble >= 1 && version->valuedouble <= 9e15 &&
	    version->valuedouble == floor(version->valuedouble)) {
		cond->kind = CK_TABLE_COND_VERSION;
		cond->version = (int64_t)version->valuedouble;
		return 0;
	}
	return ck_api_fail(out, 400, "bad_request",
	                   "\"condition\" must be {\"exists\": true|false} or {\"version\": N}");
}

static int item_put(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	struct ck_table_cond cond;
	cJSON *body = NULL;
	char why[256] = "";
	int64_t version = 0;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, "item");
	status = parse_condition(cJSON_GetObjectItemCaseSensitive(body, "condition"), &cond, out);
	if (status)
		goto out;
	if (!cJSON_IsObject(item)) {
		status = ck_api_fail(out, 400, "bad_request", "\"item\" must be a JSON object");
		goto out;
	}
	int rc = ck_store_table_put(env->store, param[0], item, &cond, ck_api_now_ms(), &version,
	                            why, sizeof(why));
	if (rc != 0) {
		status = table_fail(out, rc, why);
		goto out;
	}
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "version", (double)version);
	status = 200;
out:
	cJSON_Delete(body);
	return status;
}

/* Parses ?pk= and ?sk= for table into new values (caller deletes). */
static int query_key(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *table, struct ck_table_def *d, cJSON **pk, cJSON **sk, cJSON **out)
{
	char why[256] = "";
	*pk = *sk = NULL;
	int rc = ck_store_table_get(env->store, table, d);
	if (rc != 0)
		return table_fail(out, rc, NULL);
	const char *sk_text = req->query(req, "sk");
	rc = ck_table_key_parse(d, false, req->query(req, "pk"), pk, why, sizeof(why));
	if (rc == 0 && d->sort_key[0])
		rc = ck_table_key_parse(d, true, sk_text, sk, why, sizeof(why));
	else if (rc == 0 && sk_text) {
		snprintf(why, sizeof(why), "table \"%s\" has no sort key", d->name);
		rc = -EINVAL;
	}
	if (rc != 0) {
		cJSON_Delete(*pk);
		*pk = NULL;
		return table_fail(out, rc, why);
	}
	return 0;
}

static int item_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	struct ck_table_def d;
	cJSON *pk, *sk, *item = NULL;
	char why[256] = "";
	int64_t version = 0;
	int status = query_key(env, req, param[0], &d, &pk, &sk, out);
	if (status)
		return status;
	int rc = ck_store_table_get_item(env->store, param[0], pk, sk, &item, &version, why,
	                                 sizeof(why));
	if (rc == 0) {
		*out = cJSON_CreateObject();
		cJSON_AddItemToObject(*out, "item", item);
		cJSON_AddNumberToObject(*out, "version", (double)version);
		status = 200;
	} else {
		status = table_fail(out, rc, why);
	}
	cJSON_Delete(pk);
	cJSON_Delete(sk);
	return status;
}

static int item_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	struct ck_table_def d;
	struct ck_table_cond cond = { 0 };
	cJSON *pk, *sk;
	char why[256] = "";
	bool deleted = false;
	const char *version = req->query(req, "version");
	if (version) {
		char *end = NULL;
		long long v = strtoll(version, &end, 10);
		if (!version[0] || *end || v < 1)
			return ck_api_fail(out, 400, "bad_request",
			                   "version must be a positive integer");
		cond.kind = CK_TABLE_COND_VERSION;
		cond.version = v;
	}
	int status = query_key(env, req, param[0], &d, &pk, &sk, out);
	if (status)
		return status;
	int rc = ck_store_table_delete_item(env->store, param[0], pk, sk, &cond, &deleted, why,
	                                    sizeof(why));
	if (rc == 0) {
		*out = cJSON_CreateObject();
		cJSON_AddBoolToObject(*out, "deleted", deleted);
		status = 200;
	} else {
		status = table_fail(out, rc, why);
	}
	cJSON_Delete(pk);
	cJSON_Delete(sk);
	return status;
}

static int item_query(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	struct ck_table_def d;
	struct ck_table_query q = { .limit = 100 };
	cJSON *pk = NULL, *bound[3] = { NULL, NULL, NULL }, *next = NULL, *doc = NULL;
	static const char *const names[] = { "from", "to", "after" };
	char why[256] = "";
	int status = 0;

	int rc = ck_store_table_get(env->store, param[0], &d);
	if (rc != 0)
		return table_fail(out, rc, NULL);
	rc = ck_table_key_parse(&d, false, req->query(req, "pk"), &pk, why, sizeof(why));
	for (int i = 0; i < 3 && rc == 0; i++) {
		const char *text = req->query(req, names[i]);
		if (text && !d.sort_key[0]) {
			snprintf(why, sizeof(why), "table \"%s\" has no sort key to bound", d.name);
			rc = -EINVAL;
		} else if (text) {
			rc = ck_table_key_parse(&d, true, text, &bound[i], why, sizeof(why));
		}
	}
	const char *limit = req->query(req, "limit");
	const char *order = req->query(req, "order");
	if (rc == 0 && limit) {
		char *end = NULL;
		long v = strtol(limit, &end, 10);
		if (!limit[0] || *end || v < 1 || v > CK_TABLE_QUERY_MAX) {
			snprintf(why, sizeof(why), "limit must be an integer from 1 to %d",
			         CK_TABLE_QUERY_MAX);
			rc = -EINVAL;
		}
		q.limit = (int)v;
	}
	if (rc == 0 && order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		snprintf(why, sizeof(why), "order must be asc or desc");
		rc = -EINVAL;
	}
	if (rc != 0) {
		status = table_fail(out, rc, why);
		goto out;
	}
	q.pk = pk;
	q.prefix = req->query(req, "prefix");
	q.from = bound[0];
	q.to = bound[1];
	q.after = bound[2];
	q.desc = order && strcmp(order, "desc") == 0;
	doc = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(doc, "items");
	rc = ck_store_table_query(env->store, param[0], &q, items, &next, why, sizeof(why));
	if (rc != 0) {
		status = table_fail(out, rc, why);
		goto out;
	}
	cJSON_AddItemToObject(doc, "next", next ? next : cJSON_CreateNull());
	*out = doc;
	doc = NULL;
	status = 200;
out:
	cJSON_Delete(doc);
	cJSON_Delete(pk);
	for (int i = 0; i < 3; i++)
		cJSON_Delete(bound[i]);
	return status;
}

const struct ck_api_route ck_api_routes_tables[] = {
	{ "POST", "/tables", table_create },
	{ "GET", "/tables", table_list },
	{ "GET", "/tables/{}", table_show },
	{ "DELETE", "/tables/{}", table_delete },
	{ "PUT", "/tables/{}/item", item_put },
	{ "GET", "/tables/{}/item", item_get },
	{ "DELETE", "/tables/{}/item", item_delete },
	{ "GET", "/tables/{}/items", item_query },
	{ NULL, NULL, NULL },
};
