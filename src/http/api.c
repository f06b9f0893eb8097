/*
 * The API router: matches a request's path against every route table and
 * calls the handler. A path that matches a pattern with another method
 * gets 405; a path that matches nothing gets 404.
 */
#include <stdbool.h>
#include <string.h>

#include "core/name.h"
#include "http/api_int.h"

#define MAX_SEGMENTS 6

/* One table per line, so that adding an area is a one-line change. */
/* clang-format off */
static const struct ck_api_route *const tables[] = {
	ck_api_routes_rules,
	ck_api_routes_things,
	ck_api_routes_outbox,
	ck_api_routes_usage,
	ck_api_routes_policies,
	ck_api_routes_metrics,
	ck_api_routes_queues,
	ck_api_routes_calls,
	ck_api_routes_auth,
	ck_api_routes_tables,
	ck_api_routes_certs,
	ck_api_routes_channels,
	ck_api_routes_functions,
	ck_api_routes_projects,
	ck_api_routes_claims,
	NULL,
};
/* clang-format on */

struct segments {
	char seg[MAX_SEGMENTS][CK_NAME_MAX + 2];
	int n;
};

/* Splits "/things/dock-1/certificates"; -1 when too deep or too long. */
static int split(const char *path, struct segments *s)
{
	s->n = 0;
	const char *p = path;
	while (*p == '/')
		p++;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (s->n == MAX_SEGMENTS || len > CK_NAME_MAX)
			return -1;
		memcpy(s->seg[s->n], p, len);
		s->seg[s->n][len] = '\0';
		s->n++;
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* Matches pattern against s, collecting "{}" segments into param. */
static bool match(const char *pattern, const struct segments *s, const char **param)
{
	struct segments pat;
	if (split(pattern, &pat) != 0 || pat.n != s->n)
		return false;
	int np = 0;
	for (int i = 0; i < s->n; i++) {
		if (strcmp(pat.seg[i], "{}") == 0) {
			if (np == CK_API_MAX_PARAMS)
				return false;
			param[np++] = s->seg[i];
		} else if (strcmp(pat.seg[i], s->seg[i]) != 0) {
			return false;
		}
	}
	return true;
}

int ck_api_handle(const struct ck_api_env *env, const struct ck_api_request *req, cJSON **out)
{
	struct segments s;
	const char *param[CK_API_MAX_PARAMS] = { 0 };
	bool path_known = false;

	*out = NULL;
	if (split(req->path, &s) != 0 || s.n == 0)
		return ck_api_fail(out, 404, "not_found", "no such endpoint");
	for (int t = 0; tables[t]; t++) {
		for (const struct ck_api_route *r = tables[t]; r->method; r++) {
			if (!match(r->pattern, &s, param))
				continue;
			path_known = true;
			if (strcmp(r->method, req->method) == 0)
				return r->handler(env, req, param, out);
		}
	}
	if (path_known)
		return ck_api_fail(out, 405, "method_not_allowed",
		                   "method not allowed on this endpoint");
	return ck_api_fail(out, 404, "not_found", "no such endpoint");
}
