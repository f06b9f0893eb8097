/*
 * Helpers shared by the API handlers (see api_int.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/api_int.h"
#include <time.h>

int64_t ck_api_now_ms(void)
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

int ck_api_fail(cJSON **out, int status, const char *code, const char *message)
{
	*out = ck_api_error(code, message);
	return status;
}

int ck_api_store_fail(cJSON **out, int rc)
{
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such item");
	if (rc == -EEXIST)
		return ck_api_fail(out, 409, "conflict", "an item with that name exists");
	return ck_api_fail(out, 500, "internal", "the store failed; see clickd's log");
}

/* Splits "/things/dock-1/certificates" into at most 3 segments. */
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
			return ck_api_fail(out, 400, "bad_request",
			                   "limit must be an integer from 1 to 500");
		q->limit = (int)v;
	}
	if (after) {
		long long v = strtoll(after, &end, 10);
		if (!*after || *end || v < 0)
			return ck_api_fail(out, 400, "bad_request",
			                   "after must be a cursor from \"next\"");
		q->after = v;
	}
	q->status = req->query(req, "status");
	q->thing = req->query(req, "thing");
	return 0;
}

int ck_api_list(const struct ck_api_env *env, const struct ck_api_request *req, ck_api_list_fn fn,
                cJSON **out)
{
	return ck_api_list_status(env, req, fn, NULL, out);
}

int ck_api_list_status(const struct ck_api_env *env, const struct ck_api_request *req,
                       ck_api_list_fn fn, const char *status_filter, cJSON **out)
{
	struct ck_list_query q;
	int status = parse_query(req, &q, out);
	if (status)
		return status;
	if (status_filter)
		q.status = status_filter;
	cJSON *doc = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(doc, "items");
	int64_t next = 0;
	int rc = fn(env->store, &q, items, &next);
	if (rc != 0) {
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

int ck_api_one_page(cJSON *items, int rc, cJSON **out)
{
	cJSON *doc = rc == 0 ? cJSON_CreateObject() : NULL;
	if (!doc) {
		cJSON_Delete(items);
		return ck_api_store_fail(out, rc != 0 ? rc : -ENOMEM);
	}
	cJSON_AddItemToObject(doc, "items", items);
	cJSON_AddNullToObject(doc, "next");
	*out = doc;
	return 200;
}

int ck_api_parse_body(const struct ck_api_request *req, cJSON **body, cJSON **out)
{
	*body = cJSON_ParseWithLength(req->body, req->body_len);
	if (!cJSON_IsObject(*body)) {
		cJSON_Delete(*body);
		*body = NULL;
		return ck_api_fail(out, 400, "invalid_json",
		                   "the request body must be a JSON object");
	}
	return 0;
}
