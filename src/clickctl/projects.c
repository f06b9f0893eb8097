/*
 * clickctl's "projects" and "placements" commands, the 1-Click model over
 * the API (docs/api.md "Projects and placements"): projects with their
 * device slots and default attributes, placements with their own
 * attributes, and things assigned to slots. Lists print tables; show and
 * the changing commands print the resulting document with --json, a line
 * otherwise.
 */
#include "clickctl/clickctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG (128 * 3 + 1) /* an escaped name */

/* Adds every --attr KEY=VALUE to a new object under key in body (allowing
 * empty values when allow_empty). Returns an exit status. */
static int add_attrs(struct ck_ctl *c, cJSON *body, const char *key, bool allow_empty)
{
	cJSON *attrs = NULL;
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		char name[256];
		size_t n;
		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		if (ck_cli_attr_split(arg, &n) < 0 || n >= sizeof(name) ||
		    (!allow_empty && !arg[n + 1]))
			return ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                   "--attr needs KEY=VALUE%s, not \"%s\"",
			                   allow_empty ? "" : " with a value", arg);
		memcpy(name, arg, n);
		name[n] = '\0';
		if (!attrs)
			attrs = cJSON_AddObjectToObject(body, key);
		if (!attrs || !cJSON_AddStringToObject(attrs, name, arg + n + 1))
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	return CK_CTL_EXIT_OK;
}

/* Builds the path of the first n operands (project, placement, slot)
 * followed by suffix. Returns an exit status. */
static int path_of(struct ck_ctl *c, char *path, size_t len, size_t n, const char *suffix)
{
	char esc[3][SEG];
	for (size_t i = 0; i < n; i++)
		if (ck_cli_url_escape(c->operands[i], esc[i], sizeof(esc[i])) != 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long: %s", c->operands[i]);
	if (n == 1)
		snprintf(path, len, "/projects/%s%s", esc[0], suffix);
	else if (n == 2)
		snprintf(path, len, "/projects/%s/placements/%s%s", esc[0], esc[1], suffix);
	else
		snprintf(path, len, "/projects/%s/placements/%s/devices/%s", esc[0], esc[1],
		         esc[2]);
	return CK_CTL_EXIT_OK;
}

/* Sends one request and prints the reply (JSON) or line (text). */
static int send(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                const char *line)
{
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (!resp)
			resp = cJSON_CreateObject();
		if (c->json || !line)
			rc = ck_ctl_print_json(resp);
		else
			printf("%s\n", line);
	}
	cJSON_Delete(resp);
	return rc;
}

static int need(struct ck_ctl *c, size_t n, const char *usage)
{
	if (c->n_operands != n)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "usage: clickctl %s", usage);
	return CK_CTL_EXIT_OK;
}

/* clickctl projects create NAME --slot S... [--attr K=V]... [--description D]. */
int ck_ctl_projects_create(struct ck_ctl *c)
{
	int rc = need(c, 1, "projects create NAME --slot SLOT... [--attr K=V]...");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	const char *desc = ck_cli_opt_value(c->args, CK_CTL_OPT_DESCRIPTION);
	cJSON *body = cJSON_CreateObject();
	cJSON *pt = body ? cJSON_AddObjectToObject(body, "placementTemplate") : NULL;
	cJSON *tpls = pt ? cJSON_AddObjectToObject(pt, "deviceTemplates") : NULL;
	if (!tpls || !cJSON_AddStringToObject(body, "projectName", c->operands[0]) ||
	    (desc && !cJSON_AddStringToObject(body, "description", desc))) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < c->args->n_opts; i++) {
		if (c->args->opts[i].id != CK_CTL_OPT_SLOT)
			continue;
		cJSON *slot = cJSON_AddObjectToObject(tpls, c->args->opts[i].value);
		if (!slot || !cJSON_AddStringToObject(slot, "deviceType", "button")) {
			cJSON_Delete(body);
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		}
	}
	if (cJSON_GetArraySize(tpls) == 0) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "projects create needs at least one --slot");
	}
	rc = add_attrs(c, pt, "defaultAttributes", false);
	char line[200];
	snprintf(line, sizeof(line), "project %s created", c->operands[0]);
	if (rc == CK_CTL_EXIT_OK)
		rc = send(c, "POST", "/projects", body, line);
	cJSON_Delete(body);
	return rc;
}

/* clickctl projects update NAME [--attr K=V]... [--description D]. */
int ck_ctl_projects_update(struct ck_ctl *c)
{
	int rc = need(c, 1, "projects update NAME [--attr K=V]... [--description D]");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	const char *desc = ck_cli_opt_value(c->args, CK_CTL_OPT_DESCRIPTION);
	cJSON *body = cJSON_CreateObject();
	cJSON *pt = body ? cJSON_AddObjectToObject(body, "placementTemplate") : NULL;
	if (!pt || (desc && !cJSON_AddStringToObject(body, "description", desc))) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	rc = add_attrs(c, pt, "defaultAttributes", false);
	char path[SEG + 32], line[200];
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 1, "");
	snprintf(line, sizeof(line), "project %s updated", c->operands[0]);
	if (rc == CK_CTL_EXIT_OK)
		rc = send(c, "PATCH", path, body, line);
	cJSON_Delete(body);
	return rc;
}

int ck_ctl_projects_show(struct ck_ctl *c)
{
	char path[SEG + 32];
	int rc = need(c, 1, "projects show NAME");
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 1, "");
	return rc == CK_CTL_EXIT_OK ? send(c, "GET", path, NULL, NULL) : rc;
}

int ck_ctl_projects_delete(struct ck_ctl *c)
{
	char path[SEG + 32], line[200];
	int rc = need(c, 1, "projects delete NAME");
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 1, "");
	snprintf(line, sizeof(line), "project %s deleted", c->n_operands ? c->operands[0] : "");
	return rc == CK_CTL_EXIT_OK ? send(c, "DELETE", path, NULL, line) : rc;
}

/* Joins the keys of an object (or key=value pairs) into buf. */
static const char *join(const cJSON *o, bool values, char *buf, size_t len)
{
	size_t n = 0;
	const cJSON *a;
	buf[0] = '\0';
	cJSON_ArrayForEach(a, o)
	{
		int w = values && cJSON_IsString(a)
		            ? snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", a->string,
		                       a->valuestring)
		            : snprintf(buf + n, len - n, "%s%s", n ? " " : "", a->string);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* One project's row: PROJECT SLOTS PLACEMENTS DEFAULTS. */
static int project_row(struct ck_cli_table *t, const cJSON *it)
{
	char a[1024], b[2048], n[32];
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(it, "placementTemplate");
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(it, "placements");
	snprintf(n, sizeof(n), "%.0f", cJSON_IsNumber(count) ? count->valuedouble : 0);
	const char *row[] = {
		ck_ctl_json_str(it, "projectName"),
		join(cJSON_GetObjectItemCaseSensitive(pt, "deviceTemplates"), false, a, sizeof(a)),
		n,
		join(cJSON_GetObjectItemCaseSensitive(pt, "defaultAttributes"), true, b, sizeof(b)),
	};
	return ck_cli_table_add(t, row);
}

/* One placement's row: PLACEMENT DEVICES ATTRIBUTES. */
static int placement_row(struct ck_cli_table *t, const cJSON *it)
{
	char a[1024], b[2048];
	const char *row[] = {
		ck_ctl_json_str(it, "placementName"),
		join(cJSON_GetObjectItemCaseSensitive(it, "devices"), true, a, sizeof(a)),
		join(cJSON_GetObjectItemCaseSensitive(it, "attributes"), true, b, sizeof(b)),
	};
	return ck_cli_table_add(t, row);
}

int ck_ctl_projects_list(struct ck_ctl *c)
{
	static const char *const head[] = { "PROJECT", "SLOTS", "PLACEMENTS", "DEFAULTS" };
	int rc = need(c, 0, "projects list");
	return rc == CK_CTL_EXIT_OK ? ck_ctl_list_print(c, "/projects", 4, head, project_row) : rc;
}

/* clickctl placements create PROJECT NAME [--attr K=V]... */
int ck_ctl_placements_create(struct ck_ctl *c)
{
	int rc = need(c, 2, "placements create PROJECT NAME [--attr K=V]...");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "placementName", c->operands[1])) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	char path[SEG + 64], line[300];
	rc = add_attrs(c, body, "attributes", false);
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 1, "/placements");
	snprintf(line, sizeof(line), "placement %s/%s created", c->operands[0], c->operands[1]);
	if (rc == CK_CTL_EXIT_OK)
		rc = send(c, "POST", path, body, line);
	cJSON_Delete(body);
	return rc;
}

/* clickctl placements update PROJECT NAME --attr K=V... (K= removes K). */
int ck_ctl_placements_update(struct ck_ctl *c)
{
	int rc = need(c, 2, "placements update PROJECT NAME --attr K=V...");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = cJSON_CreateObject();
	if (!body)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	char path[2 * SEG + 64], line[300];
	rc = add_attrs(c, body, "attributes", true);
	if (rc == CK_CTL_EXIT_OK && !cJSON_GetObjectItemCaseSensitive(body, "attributes"))
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "placements update needs --attr K=V");
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 2, "");
	snprintf(line, sizeof(line), "placement %s/%s updated", c->operands[0], c->operands[1]);
	if (rc == CK_CTL_EXIT_OK)
		rc = send(c, "PATCH", path, body, line);
	cJSON_Delete(body);
	return rc;
}

int ck_ctl_placements_show(struct ck_ctl *c)
{
	char path[2 * SEG + 64];
	int rc = need(c, 2, "placements show PROJECT NAME");
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 2, "");
	return rc == CK_CTL_EXIT_OK ? send(c, "GET", path, NULL, NULL) : rc;
}

int ck_ctl_placements_delete(struct ck_ctl *c)
{
	char path[2 * SEG + 64], line[300];
	int rc = need(c, 2, "placements delete PROJECT NAME");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	rc = path_of(c, path, sizeof(path), 2, "");
	snprintf(line, sizeof(line), "placement %s/%s deleted", c->operands[0], c->operands[1]);
	return rc == CK_CTL_EXIT_OK ? send(c, "DELETE", path, NULL, line) : rc;
}

int ck_ctl_placements_list(struct ck_ctl *c)
{
	static const char *const head[] = { "PLACEMENT", "DEVICES", "ATTRIBUTES" };
	char path[SEG + 64];
	int rc = need(c, 1, "placements list PROJECT");
	if (rc == CK_CTL_EXIT_OK)
		rc = path_of(c, path, sizeof(path), 1, "/placements");
	return rc == CK_CTL_EXIT_OK ? ck_ctl_list_print(c, path, 3, head, placement_row) : rc;
}

/* clickctl placements assign PROJECT NAME SLOT THING. */
int ck_ctl_placements_assign(struct ck_ctl *c)
{
	char path[3 * SEG + 64], line[600];
	int rc = need(c, 4, "placements assign PROJECT NAME SLOT THING");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	rc = path_of(c, path, sizeof(path), 3, "");
	cJSON *body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "deviceId", c->operands[3])) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	snprintf(line, sizeof(line), "thing %s assigned to %s/%s slot %s", c->operands[3],
	         c->operands[0], c->operands[1], c->operands[2]);
	if (rc == CK_CTL_EXIT_OK)
		rc = send(c, "PUT", path, body, line);
	cJSON_Delete(body);
	return rc;
}

/* clickctl placements unassign PROJECT NAME SLOT. */
int ck_ctl_placements_unassign(struct ck_ctl *c)
{
	char path[3 * SEG + 64], line[600];
	int rc = need(c, 3, "placements unassign PROJECT NAME SLOT");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	rc = path_of(c, path, sizeof(path), 3, "");
	snprintf(line, sizeof(line), "%s/%s slot %s emptied", c->operands[0], c->operands[1],
	         c->operands[2]);
	return rc == CK_CTL_EXIT_OK ? send(c, "DELETE", path, NULL, line) : rc;
}
