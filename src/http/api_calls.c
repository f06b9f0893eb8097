/*
 * Calls, call kinds and call reports over the API (docs/api.md,
 * "Dispatch"). Lifecycle decisions are dispatch's (engine/dispatch.h);
 * this file parses requests, checks who asks, and shapes answers.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/name.h"
#include "engine/calls.h"
#include "engine/dispatch.h"
#include "http/api_int.h"
#include "http/auth.h"
#include "store/store_calls.h"
#include "store/store_users.h"

static const char *str(const cJSON *body, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0)
		return -EINVAL;
	*id = v;
	return 0;
}

/* --- calls ---------------------------------------------------------------- */

/* Parses query parameter key as Unix ms into *v (left as is when absent);
 * non-zero (the 400 answer) when malformed. */
static int ms_param(const struct ck_api_request *req, const char *key, int64_t *v, cJSON **out)
{
	const char *text = req->query(req, key);
	char *end = NULL;
	if (!text)
		return 0;
	long long n = strtoll(text, &end, 10);
	if (!*text || *end || n < 0) {
		char msg[64];
		snprintf(msg, sizeof(msg), "%s must be Unix milliseconds", key);
		return ck_api_fail(out, 400, "bad_request", msg);
	}
	*v = n;
	return 0;
}

static int call_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	struct ck_call_query q = { .q = { .limit = 100 }, .from_ms = -1, .to_ms = -1 };
	int bad = ms_param(req, "from", &q.from_ms, out);
	if (!bad)
		bad = ms_param(req, "to", &q.to_ms, out);
	if (bad)
		return bad;
	const char *limit = req->query(req, "limit"), *after = req->query(req, "after");
	char *end = NULL;
	if (limit) {
		long v = strtol(limit, &end, 10);
		if (!*limit || *end || v < 1 || v > 500)
			return ck_api_fail(out, 400, "bad_request",
			                   "limit must be an integer from 1 to 500");
		q.q.limit = (int)v;
	}
	if (after) {
		long long v = strtoll(after, &end, 10);
		if (!*after || *end || v < 0)
			return ck_api_fail(out, 400, "bad_request",
			                   "after must be a cursor from \"next\"");
		q.q.after = v;
	}
	enum ck_call_status st;
	q.q.status = req->query(req, "status");
	if (q.q.status && strcmp(q.q.status, "open") != 0 &&
	    ck_calls_status_parse(q.q.status, &st) != 0)
		return ck_api_fail(
		    out, 400, "bad_request",
		    "status must be raised, claimed, arrived, resolved, cancelled or "
		    "open");
	q.q.thing = req->query(req, "thing");
	q.kind = req->query(req, "kind");
	q.location = req->query(req, "location");
	q.claimed_by = req->query(req, "claimedBy");
	cJSON *doc = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(doc, "items");
	int64_t next = 0;
	int rc = ck_store_call_list(env->store, &q, items, &next);
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

static int call_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	int64_t id;
	if (parse_id(param[0], &id) != 0)
		return ck_api_fail(out, 404, "not_found", "no such call");
	int rc = ck_store_call_get_json(env->store, id, out);
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int call_op(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *id_text, enum ck_call_op op, cJSON **out)
{
	int64_t id;
	cJSON *body = NULL;
	char why[200] = "";
	char on_behalf[CK_USER_NAME_MAX + 1] = "";
	if (parse_id(id_text, &id) != 0)
		return ck_api_fail(out, 404, "not_found", "no such call");
	int status = req->body_len ? ck_api_parse_body(req, &body, out) : 0;
	if (status)
		return status;
	bool privileged = ck_auth_rank(req->role) >= 2;
	struct ck_dispatch_actor a = {
		.user = req->user ? req->user : "",
		.privileged = privileged,
		.reason = str(body, "reason"),
		.note = str(body, "note"),
	};
	const char *driver = str(body, "driver");
	if (op == CK_CALL_CLAIM && driver) {
		struct ck_user_row u;
		if (!privileged) {
			status = ck_api_fail(out, 403, "forbidden",
			                     "only supervisors and admins claim for someone else");
			goto out;
		}
		if (ck_store_user_read(env->store, driver, &u) != 0 || ck_auth_rank(u.role) < 1) {
			status = ck_api_fail(out, 400, "bad_request", "no such user to assign");
			goto out;
		}
		snprintf(on_behalf, sizeof(on_behalf), "%s", u.name);
		a.user = on_behalf;
	}
	if ((op == CK_CALL_RESOLVE || op == CK_CALL_CANCEL) &&
	    (!a.reason || !a.reason[0] || strlen(a.reason) > CK_CALLS_REASON_MAX)) {
		status =
		    ck_api_fail(out, 400, "bad_request", "\"reason\" is required (1 to 200 bytes)");
		goto out;
	}
	if (a.note && strlen(a.note) > CK_CALLS_NOTE_MAX) {
		status = ck_api_fail(out, 400, "bad_request", "\"note\" is at most 1000 bytes");
		goto out;
	}
	int rc = ck_dispatch_op(env->store, id, op, &a, ck_api_now_ms(), why, sizeof(why));
	if (rc == -ENOENT)
		status = ck_api_fail(out, 404, "not_found", "no such call");
	else if (rc == -EPERM)
		status = ck_api_fail(out, 409, "conflict", why);
	else if (rc == -EACCES)
		status = ck_api_fail(out, 403, "forbidden", why);
	else if (rc != 0)
		status = ck_api_store_fail(out, rc);
	else {
		rc = ck_store_call_get_json(env->store, id, out);
		status = rc == 0 ? 200 : ck_api_store_fail(out, rc);
		if (rc == 0 && env->outbox_changed)
			env->outbox_changed(env->arg); /* the button's feedback */
	}
out:
	cJSON_Delete(body);
	return status;
}

#define OP_HANDLER(fn, op)                                                                         \
	static int fn(const struct ck_api_env *env, const struct ck_api_request *req,              \
	              const char *const *param, cJSON **out)                                       \
	{                                                                                          \
		return call_op(env, req, param[0], op, out);                                       \
	}
OP_HANDLER(call_claim, CK_CALL_CLAIM)
OP_HANDLER(call_arrive, CK_CALL_ARRIVE)
OP_HANDLER(call_resolve, CK_CALL_RESOLVE)
OP_HANDLER(call_release, CK_CALL_RELEASE)
OP_HANDLER(call_cancel, CK_CALL_CANCEL)

/* --- kinds ---------------------------------------------------------------- */

static int kind_templates(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)env;
	(void)req;
	(void)param;
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "items", ck_calls_templates());
	cJSON_AddNullToObject(*out, "next");
	return 200;
}

static int kind_write(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *name, bool replace, cJSON **out)
{
	cJSON *body = NULL, *def = NULL;
	char why[256];
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	if (!name)
		name = str(body, "name");
	if (!name || !ck_name_valid(name) || strcmp(name, "templates") == 0) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "kind names are 1 to 128 letters, digits, ':', '_' or '-' "
		                     "(not \"templates\")");
		goto out;
	}
	if (ck_calls_kind_build(name, body, &def, why, sizeof(why)) != 0) {
		status = ck_api_fail(out, 400, "bad_request", why);
		goto out;
	}
	char *text = cJSON_PrintUnformatted(def);
	int rc = !text     ? -ENOMEM
	         : replace ? ck_store_kind_replace(env->store, name, text, ck_api_now_ms())
	                   : ck_store_kind_put(env->store, name, text, ck_api_now_ms());
	cJSON_free(text);
	if (rc == 0)
		rc = ck_store_kind_get(env->store, name, out);
	status = rc == 0 ? (replace ? 200 : 201) : ck_api_store_fail(out, rc);
out:
	cJSON_Delete(def);
	cJSON_Delete(body);
	return status;
}

static int kind_create(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	return kind_write(env, req, NULL, false, out);
}

static int kind_put(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	return kind_write(env, req, param[0], true, out);
}

static int kind_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_kind_get(env->store, param[0], out);
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int kind_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *doc = cJSON_CreateObject();
	int rc = ck_store_kind_list(env->store, cJSON_AddArrayToObject(doc, "items"));
	if (rc != 0) {
		cJSON_Delete(doc);
		return ck_api_store_fail(out, rc);
	}
	cJSON_AddNullToObject(doc, "next");
	*out = doc;
	return 200;
}

static int kind_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_kind_delete(env->store, param[0]);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

/* --- reports -------------------------------------------------------------- */

#define REPORT_MAX_GROUPS 1000
#define REPORT_MAX_CALLS  200000

struct group {
	char key[160];
	long calls, resolved, cancelled, open, presses;
	int64_t *accept, *resolve;
	long n_accept, n_resolve;
};

struct report {
	const char *by;
	struct group *g;
	int n;
	long total;
	int err;
	char *csv;
	size_t csv_len, csv_cap;
};

static int64_t num(const cJSON *o, const char *key, bool *set)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*set = cJSON_IsNumber(v);
	return *set ? (int64_t)v->valuedouble : 0;
}

static const char *shift_of(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	if (tm.tm_hour >= 6 && tm.tm_hour < 14)
		return "early";
	if (tm.tm_hour >= 14 && tm.tm_hour < 22)
		return "late";
	return "night";
}

static int add_sample(int64_t **arr, long *n, int64_t v)
{
	int64_t *grown = realloc(*arr, (size_t)(*n + 1) * sizeof(**arr));
	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = v;
	*arr = grown;
	return 0;
}

static int group_call(const cJSON *call, void *arg)
{
	struct report *r = arg;
	bool set;
	char key[160];
	if (++r->total > REPORT_MAX_CALLS)
		return -E2BIG;
	if (strcmp(r->by, "shift") == 0) {
		snprintf(key, sizeof(key), "%s", shift_of(num(call, "createdAt", &set)));
	} else {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(call, r->by);
		snprintf(key, sizeof(key), "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
	}
	struct group *g = NULL;
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->g[i].key, key) == 0)
			g = &r->g[i];
	if (!g) {
		if (r->n == REPORT_MAX_GROUPS)
			return -E2BIG;
		struct group *grown = realloc(r->g, (size_t)(r->n + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->g = grown;
		g = &r->g[r->n++];
		memset(g, 0, sizeof(*g));
		snprintf(g->key, sizeof(g->key), "%s", key);
	}
	const char *status = cJSON_GetObjectItemCaseSensitive(call, "status")->valuestring;
	g->calls++;
	g->presses += (long)num(call, "presses", &set);
	if (strcmp(status, "resolved") == 0)
		g->resolved++;
	else if (strcmp(status, "cancelled") == 0)
		g->cancelled++;
	else
		g->open++;
	int64_t created = num(call, "createdAt", &set);
	bool has;
	int64_t claimed = num(call, "claimedAt", &has);
	if (has && add_sample(&g->accept, &g->n_accept, claimed - created) != 0)
		return -ENOMEM;
	int64_t resolved = num(call, "resolvedAt", &has);
	if (has && add_sample(&g->resolve, &g->n_resolve, resolved - created) != 0)
		return -ENOMEM;
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static cJSON *stats(int64_t *v, long n)
{
	if (n == 0)
		return cJSON_CreateNull();
	qsort(v, (size_t)n, sizeof(*v), cmp64);
	double sum = 0;
	for (long i = 0; i < n; i++)
		sum += (double)v[i];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "avg", round(sum / (double)n));
	cJSON_AddNumberToObject(o, "p50", (double)v[(n - 1) * 50 / 100]);
	cJSON_AddNumberToObject(o, "p90", (double)v[(n - 1) * 90 / 100]);
	return o;
}

static int cmp_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int window(const struct ck_api_request *req, int64_t *from, int64_t *to, cJSON **out)
{
	const char *f = req->query(req, "from"), *t = req->query(req, "to");
	char *end = NULL;
	*to = ck_api_now_ms();
	*from = *to - 7LL * 24 * 3600 * 1000;
	if (t) {
		*to = strtoll(t, &end, 10);
		if (!*t || *end || *to < 0)
			return ck_api_fail(out, 400, "bad_request", "to must be Unix milliseconds");
	}
	if (f) {
		*from = strtoll(f, &end, 10);
		if (!*f || *end || *from < 0)
			return ck_api_fail(out, 400, "bad_request",
			                   "from must be Unix milliseconds");
	}
	if (*from > *to)
		return ck_api_fail(out, 400, "bad_request", "from is after to");
	return 0;
}

static int report(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	(void)param;
	static const char *const bys[] = { "location",  "kind",  "shift",         "category",
		                           "claimedBy", "thing", "closureReason", NULL };
	int64_t from, to;
	int status = window(req, &from, &to, out);
	if (status)
		return status;
	const char *by = req->query(req, "by");
	int ok = 0;
	for (int i = 0; bys[i]; i++)
		if (by && strcmp(by, bys[i]) == 0)
			ok = 1;
	if (!by)
		by = "location", ok = 1;
	if (!ok)
		return ck_api_fail(out, 400, "bad_request",
		                   "by must be location, kind, shift, category, claimedBy, thing "
		                   "or closureReason");
	const char *kind = req->query(req, "kind");
	struct report r = { .by = by };
	int rc = ck_store_call_report(env->store, from, to, kind, group_call, &r);
	if (rc == 0) {
		if (r.n > 1) /* r.g is NULL for an empty window; qsort wants a pointer */
			qsort(r.g, (size_t)r.n, sizeof(*r.g), cmp_groups);
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "by", by);
		cJSON_AddNumberToObject(doc, "from", (double)from);
		cJSON_AddNumberToObject(doc, "to", (double)to);
		if (kind)
			cJSON_AddStringToObject(doc, "kind", kind);
		else
			cJSON_AddNullToObject(doc, "kind");
		cJSON *items = cJSON_AddArrayToObject(doc, "items");
		for (int i = 0; i < r.n; i++) {
			struct group *g = &r.g[i];
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "key", g->key);
			cJSON_AddNumberToObject(o, "calls", (double)g->calls);
			cJSON_AddNumberToObject(o, "resolved", (double)g->resolved);
			cJSON_AddNumberToObject(o, "cancelled", (double)g->cancelled);
			cJSON_AddNumberToObject(o, "open", (double)g->open);
			cJSON_AddNumberToObject(o, "presses", (double)g->presses);
			cJSON_AddItemToObject(o, "acceptMs", stats(g->accept, g->n_accept));
			cJSON_AddItemToObject(o, "resolveMs", stats(g->resolve, g->n_resolve));
			cJSON_AddItemToArray(items, o);
		}
		*out = doc;
		status = 200;
	} else if (rc == -E2BIG) {
		status = ck_api_fail(out, 413, "too_large",
		                     "the window holds too many calls or groups; narrow it");
	} else {
		status = ck_api_store_fail(out, rc);
	}
	for (int i = 0; i < r.n; i++) {
		free(r.g[i].accept);
		free(r.g[i].resolve);
	}
	free(r.g);
	return status;
}

/* --- CSV -------------------------------------------------------------------- */

static int csv_put(struct report *r, const char *s, size_t n)
{
	if (r->csv_len + n + 1 > r->csv_cap) {
		size_t cap = r->csv_cap ? r->csv_cap * 2 : 65536;
		while (cap < r->csv_len + n + 1)
			cap *= 2;
		char *grown = realloc(r->csv, cap);
		if (!grown)
			return -ENOMEM;
		r->csv = grown;
		r->csv_cap = cap;
	}
	memcpy(r->csv + r->csv_len, s, n);
	r->csv_len += n;
	r->csv[r->csv_len] = '\0';
	return 0;
}

/* A CSV field: quoted when needed; a leading = + - @ is prefixed with ' so
 * spreadsheets do not run it as a formula. */
static int csv_text(struct report *r, const char *s, bool last)
{
	int rc = 0;
	if (s) {
		bool quote = strpbrk(s, ",\"\r\n") != NULL;
		if (quote)
			rc |= csv_put(r, "\"", 1);
		if (strchr("=+-@", s[0]) && s[0])
			rc |= csv_put(r, "'", 1);
		for (const char *p = s; *p; p++)
			rc |= *p == '"' ? csv_put(r, "\"\"", 2) : csv_put(r, p, 1);
		if (quote)
			rc |= csv_put(r, "\"", 1);
	}
	rc |= csv_put(r, last ? "\r\n" : ",", last ? 2 : 1);
	return rc ? -ENOMEM : 0;
}

static int csv_time(struct report *r, const cJSON *call, const char *key)
{
	bool set;
	int64_t ms = num(call, key, &set);
	if (!set)
		return csv_text(r, NULL, false);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return csv_text(r, buf, false);
}

static int csv_row(const cJSON *call, void *arg)
{
	struct report *r = arg;
	char buf[32];
	bool set, has;
	int rc = 0;
	if (++r->total > REPORT_MAX_CALLS)
		return -E2BIG;
	static const char *const text_keys[] = { "kind",   "category", "priority",
		                                 "status", "thing",    "location" };
	snprintf(buf, sizeof(buf), "%lld", (long long)num(call, "id", &set));
	rc |= csv_text(r, buf, false);
	for (int i = 0; i < 6; i++)
		rc |= csv_text(r, str(call, text_keys[i]), false);
	snprintf(buf, sizeof(buf), "%lld", (long long)num(call, "presses", &set));
	rc |= csv_text(r, buf, false);
	rc |= csv_time(r, call, "createdAt");
	rc |= csv_text(r, str(call, "claimedBy"), false);
	rc |= csv_time(r, call, "claimedAt");
	rc |= csv_time(r, call, "arrivedAt");
	rc |= csv_time(r, call, "resolvedAt");
	rc |= csv_time(r, call, "cancelledAt");
	rc |= csv_text(r, str(call, "closureReason"), false);
	int64_t created = num(call, "createdAt", &set);
	int64_t claimed = num(call, "claimedAt", &has);
	snprintf(buf, sizeof(buf), "%lld", (long long)(claimed - created));
	rc |= csv_text(r, has ? buf : NULL, false);
	int64_t resolved = num(call, "resolvedAt", &has);
	snprintf(buf, sizeof(buf), "%lld", (long long)(resolved - created));
	rc |= csv_text(r, has ? buf : NULL, true);
	return rc ? -ENOMEM : 0;
}

static int report_csv(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)param;
	static const char header[] =
	    "id,kind,category,priority,status,thing,location,presses,created_at,claimed_by,"
	    "claimed_at,arrived_at,resolved_at,cancelled_at,closure_reason,accept_ms,resolve_"
	    "ms\r\n";
	int64_t from, to;
	int status = window(req, &from, &to, out);
	if (status)
		return status;
	if (!req->reply)
		return ck_api_fail(out, 500, "internal", "no reply for CSV");
	struct report r = { .by = "csv" };
	int rc = csv_put(&r, header, sizeof(header) - 1);
	if (rc == 0)
		rc = ck_store_call_report(env->store, from, to, req->query(req, "kind"), csv_row,
		                          &r);
	if (rc != 0) {
		free(r.csv);
		return rc == -E2BIG ? ck_api_fail(out, 413, "too_large",
		                                  "the window holds too many calls; narrow it")
		                    : ck_api_store_fail(out, rc);
	}
	req->reply->raw = r.csv;
	req->reply->raw_len = r.csv_len;
	req->reply->raw_type = "text/csv; charset=utf-8";
	*out = cJSON_CreateObject();
	return 200;
}

const struct ck_api_route ck_api_routes_calls[] = {
	{ "GET", "/calls", call_list },
	{ "GET", "/calls/{}", call_get },
	{ "POST", "/calls/{}/claim", call_claim },
	{ "POST", "/calls/{}/arrive", call_arrive },
	{ "POST", "/calls/{}/resolve", call_resolve },
	{ "POST", "/calls/{}/release", call_release },
	{ "POST", "/calls/{}/cancel", call_cancel },
	{ "GET", "/kinds/templates", kind_templates },
	{ "GET", "/kinds", kind_list },
	{ "POST", "/kinds", kind_create },
	{ "GET", "/kinds/{}", kind_get },
	{ "PUT", "/kinds/{}", kind_put },
	{ "DELETE", "/kinds/{}", kind_delete },
	{ "GET", "/reports/calls", report },
	{ "GET", "/reports/calls.csv", report_csv },
	{ NULL, NULL, NULL },
};
