/*
 * clickctl's "tables" commands (docs/api.md "Tables"): create, list,
 * drop, put, get, delete and query. Items are JSON objects given on the
 * command line or with --payload-file; key values are plain arguments,
 * read as numbers for N keys by clickd. Options beyond the global ones go
 * through --attr KEY=VALUE: IfNotExists, IfExists and IfVersion for put;
 * IfVersion for delete; Prefix, From, To, After, Limit and Order for query.
 */
#include "clickctl/clickctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value of --attr KEY=VALUE for key (case-insensitive), or NULL. */
static const char *attr(const struct ck_ctl *c, const char *key)
{
	const char *found = NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		if (c->args->opts[i].id == CK_CTL_OPT_ATTR && strncasecmp(arg, key, n) == 0 &&
		    arg[n] == '=')
			found = arg + n + 1;
	}
	return found;
}

/* Refuses --attr keys outside allowed (NULL-terminated). */
static int check_attrs(const struct ck_ctl *c, const char *const *allowed)
{
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		size_t key_len;
		bool ok = false;
		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		if (ck_cli_attr_split(arg, &key_len) < 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"",
			                   arg);
		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = strlen(allowed[j]) == key_len &&
			     strncasecmp(arg, allowed[j], key_len) == 0;
		if (!ok)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "unknown attribute in --attr %s",
			                   arg);
	}
	return CK_CTL_EXIT_OK;
}

static int call_print(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                      const char *text)
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json || !text)
			rc = ck_ctl_print_json(resp);
		else
			printf("%s\n", text);
	}
	cJSON_Delete(resp);
	return rc;
}

/* Appends "&name=<escaped value>" to buf when value is set. */
static int add_query(char *buf, size_t len, const char *name, const char *value)
{
	char esc[4096];
	if (!value)
		return 0;
	if (ck_cli_url_escape(value, esc, sizeof(esc)) != 0 ||
	    strlen(buf) + strlen(name) + strlen(esc) + 3 >= len)
		return -1;
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s=%s", strchr(buf, '?') ? "&" : "?", name, esc);
	return 0;
}

/* "/tables/NAME<suffix>" */
static int table_path(const char *name, const char *suffix, char *path, size_t len)
{
	char esc[512];
	if (ck_cli_url_escape(name, esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "table name too long");
	snprintf(path, len, "/tables/%s%s", esc, suffix);
	return CK_CTL_EXIT_OK;
}

/* Adds {"name": N, "type": T} from "NAME[:S|N]" under member. */
static int add_key(cJSON *body, const char *member, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char name[256];
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n == 0 || n >= sizeof(name) ||
	    (colon && strcmp(colon + 1, "S") != 0 && strcmp(colon + 1, "N") != 0))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "a key is ATTRIBUTE[:S|N], not \"%s\"", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	cJSON *k = cJSON_AddObjectToObject(body, member);
	if (!k || !cJSON_AddStringToObject(k, "name", name) ||
	    !cJSON_AddStringToObject(k, "type", colon ? colon + 1 : "S"))
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	return CK_CTL_EXIT_OK;
}

/* clickctl tables create NAME PARTITION-KEY[:S|N] [SORT-KEY[:S|N]]. */
int ck_ctl_tables_create(struct ck_ctl *c)
{
	if (c->n_operands < 2 || c->n_operands > 3)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "tables create needs NAME, PARTITION-KEY[:S|N] and optionally "
		                   "SORT-KEY[:S|N]");
	cJSON *body = cJSON_CreateObject();
	int rc = body && cJSON_AddStringToObject(body, "name", c->operands[0])
	             ? add_key(body, "partitionKey", c->operands[1])
	             : ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (rc == CK_CTL_EXIT_OK && c->n_operands == 3)
		rc = add_key(body, "sortKey", c->operands[2]);
	if (rc == CK_CTL_EXIT_OK)
		rc = call_print(c, "POST", "/tables", body, "table created");
	cJSON_Delete(body);
	return rc;
}

/* One table's row: NAME PARTITION-KEY SORT-KEY. */
static int table_row(struct ck_cli_table *t, const cJSON *it)
{
	static const char *const members[] = { "partitionKey", "sortKey" };
	char keys[2][200];
	for (int i = 0; i < 2; i++) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, members[i]);
		if (ck_ctl_json_str(k, "name"))
			snprintf(keys[i], sizeof(keys[i]), "%s (%s)", ck_ctl_json_str(k, "name"),
			         ck_ctl_json_str(k, "type") ? ck_ctl_json_str(k, "type") : "S");
		else
			keys[i][0] = '\0';
	}
	const char *row[] = { ck_ctl_json_str(it, "name"), keys[0], keys[1] };
	return ck_cli_table_add(t, row);
}

/* clickctl tables list: NAME PARTITION-KEY SORT-KEY. */
int ck_ctl_tables_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "PARTITION-KEY", "SORT-KEY" };
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables list takes no arguments");
	return ck_ctl_list_print(c, "/tables", 3, head, table_row);
}

/* clickctl tables drop NAME: deletes the table and its items. */
int ck_ctl_tables_drop(struct ck_ctl *c)
{
	char path[1024];
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables drop needs exactly one NAME");
	int rc = table_path(c->operands[0], "", path, sizeof(path));
	return rc ? rc : call_print(c, "DELETE", path, NULL, "table deleted");
}

/* clickctl tables put TABLE JSON [--attr IfNotExists=true|IfExists=true|IfVersion=N]. */
int ck_ctl_tables_put(struct ck_ctl *c)
{
	static const char *const allowed[] = { "IfNotExists", "IfExists", "IfVersion", NULL };
	char path[1024];
	cJSON *body = NULL, *item = NULL;
	if (c->n_operands != 2)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables put needs TABLE and an item as JSON");
	int rc = check_attrs(c, allowed);
	if (rc == CK_CTL_EXIT_OK)
		rc = table_path(c->operands[0], "/item", path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	item = cJSON_Parse(c->operands[1]);
	if (!cJSON_IsObject(item)) {
		cJSON_Delete(item);
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "the item must be a JSON object");
	}
	body = cJSON_CreateObject();
	if (!body) {
		cJSON_Delete(item);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	cJSON_AddItemToObject(body, "item", item);
	const char *not_exists = attr(c, "IfNotExists"), *exists = attr(c, "IfExists");
	const char *version = attr(c, "IfVersion");
	if ((not_exists != NULL) + (exists != NULL) + (version != NULL) > 1) {
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "give at most one condition");
		goto out;
	}
	if (not_exists || exists || version) {
		cJSON *cond = cJSON_AddObjectToObject(body, "condition");
		char *end = NULL;
		long long v = version ? strtoll(version, &end, 10) : 0;
		if (version && (!version[0] || *end || v < 1)) {
			rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "IfVersion must be a positive integer");
			goto out;
		}
		if (version)
			cJSON_AddNumberToObject(cond, "version", (double)v);
		else
			cJSON_AddBoolToObject(cond, "exists", exists != NULL);
	}
	rc = call_print(c, "PUT", path, body, "item written");
out:
	cJSON_Delete(body);
	return rc;
}

/* Builds "/tables/T/<what>?pk=..&sk=.." from the operands after TABLE. */
static int key_path(struct ck_ctl *c, const char *what, char *path, size_t len)
{
	char suffix[16];
	snprintf(suffix, sizeof(suffix), "/%s", what);
	int rc = table_path(c->operands[0], suffix, path, len);
	if (rc == CK_CTL_EXIT_OK &&
	    (add_query(path, len, "pk", c->operands[1]) != 0 ||
	     add_query(path, len, "sk", c->n_operands > 2 ? c->operands[2] : NULL) != 0))
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "key too long");
	return rc;
}

/* clickctl tables get TABLE PK [SK]. */
int ck_ctl_tables_get(struct ck_ctl *c)
{
	char path[8192];
	if (c->n_operands < 2 || c->n_operands > 3)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables get needs TABLE, PK and maybe SK");
	int rc = key_path(c, "item", path, sizeof(path));
	return rc ? rc : call_print(c, "GET", path, NULL, NULL);
}

/* clickctl tables delete TABLE PK [SK] [--attr IfVersion=N]. */
int ck_ctl_tables_delete(struct ck_ctl *c)
{
	static const char *const allowed[] = { "IfVersion", NULL };
	char path[8192];
	if (c->n_operands < 2 || c->n_operands > 3)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables delete needs TABLE, PK and maybe SK");
	int rc = check_attrs(c, allowed);
	if (rc == CK_CTL_EXIT_OK)
		rc = key_path(c, "item", path, sizeof(path));
	if (rc == CK_CTL_EXIT_OK && add_query(path, sizeof(path), "version", attr(c, "IfVersion")))
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "IfVersion too long");
	return rc ? rc : call_print(c, "DELETE", path, NULL, NULL);
}

/* clickctl tables query TABLE PK [--attr Prefix=P|From=A|To=B|After=K|Limit=N|Order=desc]. */
int ck_ctl_tables_query(struct ck_ctl *c)
{
	static const char *const allowed[] = { "Prefix", "From",  "To", "After",
		                               "Limit",  "Order", NULL };
	char path[16384];
	if (c->n_operands != 2)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "tables query needs TABLE and PK");
	int rc = check_attrs(c, allowed);
	if (rc == CK_CTL_EXIT_OK)
		rc = key_path(c, "items", path, sizeof(path));
	for (int i = 0; allowed[i] && rc == CK_CTL_EXIT_OK; i++) {
		char lower[16];
		size_t n = strlen(allowed[i]);
		for (size_t k = 0; k <= n; k++)
			lower[k] = (char)(k < n && allowed[i][k] >= 'A' && allowed[i][k] <= 'Z'
			                      ? allowed[i][k] + 32
			                      : allowed[i][k]);
		if (add_query(path, sizeof(path), lower, attr(c, allowed[i])) != 0)
			rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "query too long");
	}
	return rc ? rc : call_print(c, "GET", path, NULL, NULL);
}
