/*
 * clickctl's "functions" commands (docs/functions.md): create, update,
 * delete and list function definitions, invoke one (synchronously, or
 * queued as a rule would with --async) and show its recent runs with their
 * logs. Definitions are JSON files; Lua code may come from its own file.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/name.h"

#define FILE_MAX (64 * 1024)

/* Reads path ("-": standard input) into a new string; NULL with a message printed. */
static char *read_text(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(FILE_MAX + 2);
	size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	if (f != stdin)
		fclose(f);
	if (!buf) {
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		return NULL;
	}
	if (n > FILE_MAX) {
		free(buf);
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s is larger than %d bytes", path, FILE_MAX);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* The definition from --definition-file and/or --code-file; NULL on error (printed). */
static cJSON *definition(struct ck_ctl *c)
{
	const char *def_file = ck_cli_opt_value(c->args, CK_CTL_OPT_DEFINITION_FILE);
	const char *code_file = ck_cli_opt_value(c->args, CK_CTL_OPT_CODE_FILE);
	cJSON *def = NULL;
	if (!def_file && !code_file) {
		ck_ctl_fail(CK_CTL_EXIT_USAGE,
		            "give --definition-file FILE and/or --code-file FILE");
		return NULL;
	}
	if (def_file) {
		char *text = read_text(def_file);
		if (!text)
			return NULL;
		def = cJSON_Parse(text);
		free(text);
		if (!cJSON_IsObject(def)) {
			cJSON_Delete(def);
			ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s is not a JSON object", def_file);
			return NULL;
		}
	} else {
		def = cJSON_CreateObject();
		cJSON_AddStringToObject(def, "runtime", "lua");
	}
	if (code_file) {
		char *code = read_text(code_file);
		if (!code) {
			cJSON_Delete(def);
			return NULL;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(def, "code");
		cJSON_AddStringToObject(def, "code", code);
		free(code);
	}
	return def;
}

static int send_definition(struct ck_ctl *c, bool replace)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "functions %s needs exactly one NAME",
		                   replace ? "update" : "create");
	char esc[CK_NAME_MAX * 3 + 1], path[CK_NAME_MAX * 3 + 32];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "function name too long");
	cJSON *def = definition(c);
	if (!def)
		return CK_CTL_EXIT_USAGE;
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc;
	if (replace) {
		snprintf(path, sizeof(path), "/functions/%s", esc);
		rc = ck_ctl_api(c->http, "PUT", path, def, &resp, &e);
	} else {
		cJSON_AddStringToObject(def, "name", c->operands[0]);
		rc = ck_ctl_api(c->http, "POST", "/functions", def, &resp, &e);
	}
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json)
			rc = ck_ctl_print_json(resp);
		else
			printf("function %s %s\n", c->operands[0], replace ? "updated" : "created");
	}
	cJSON_Delete(def);
	cJSON_Delete(resp);
	return rc;
}

/* clickctl functions create NAME (--definition-file F | --code-file F). */
int ck_ctl_functions_create(struct ck_ctl *c)
{
	return send_definition(c, false);
}

/* clickctl functions update NAME (--definition-file F | --code-file F). */
int ck_ctl_functions_update(struct ck_ctl *c)
{
	return send_definition(c, true);
}

/* clickctl functions delete NAME. */
int ck_ctl_functions_delete(struct ck_ctl *c)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "functions delete needs exactly one NAME");
	char esc[CK_NAME_MAX * 3 + 1], path[CK_NAME_MAX * 3 + 32];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "function name too long");
	snprintf(path, sizeof(path), "/functions/%s", esc);
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, "DELETE", path, NULL, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK)
		printf("function %s deleted\n", c->operands[0]);
	cJSON_Delete(resp);
	return rc;
}

/* One function's row: NAME RUNTIME CREATED UPDATED. */
static int function_row(struct ck_cli_table *t, const cJSON *it)
{
	char created[64], updated[64];
	const char *row[] = { ck_ctl_json_str(it, "name"), ck_ctl_json_str(it, "runtime"),
		              ck_ctl_json_time(it, "createdAt", created, sizeof(created)),
		              ck_ctl_json_time(it, "updatedAt", updated, sizeof(updated)) };
	return ck_cli_table_add(t, row);
}

/* clickctl functions list: NAME RUNTIME CREATED UPDATED. */
int ck_ctl_functions_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "RUNTIME", "CREATED", "UPDATED" };
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "functions list takes no arguments");
	return ck_ctl_list_print(c, "/functions", 4, head, function_row);
}

/* clickctl functions invoke NAME [--payload JSON | --payload-file F] [--async]. */
int ck_ctl_functions_invoke(struct ck_ctl *c)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "functions invoke needs exactly one NAME");
	const char *payload = ck_cli_opt_value(c->args, CK_CTL_OPT_PAYLOAD);
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_PAYLOAD_FILE);
	bool async = ck_cli_opt_value(c->args, CK_CTL_OPT_ASYNC) != NULL;
	char *text = NULL;
	if (payload && file)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "give --payload or --payload-file, not both");
	if (file && !(text = read_text(file)))
		return CK_CTL_EXIT_FAIL;
	cJSON *event = cJSON_Parse(text ? text : payload ? payload : "{}");
	free(text);
	if (!event)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "the event must be JSON");
	char esc[CK_NAME_MAX * 3 + 1], path[CK_NAME_MAX * 3 + 48];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) != 0) {
		cJSON_Delete(event);
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "function name too long");
	}
	snprintf(path, sizeof(path), "/functions/%s/invocations%s", esc,
	         async ? "?mode=async" : "");
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, "POST", path, event, &resp, &e);
	cJSON_Delete(event);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	const char *status = ck_ctl_json_str(resp, "status");
	if (c->json || async) {
		rc = ck_ctl_print_json(resp);
	} else if (status && strcmp(status, "ok") == 0) {
		rc = ck_ctl_print_json(cJSON_GetObjectItemCaseSensitive(resp, "result"));
	}
	if (!async && (!status || strcmp(status, "ok") != 0)) {
		const char *err = ck_ctl_json_str(resp, "error");
		rc = ck_ctl_fail(
		    CK_CTL_EXIT_FAIL, "function %s: %s: %s (see clickctl functions logs %s)",
		    c->operands[0], status ? status : "?", err ? err : "", c->operands[0]);
	}
out:
	cJSON_Delete(resp);
	return rc;
}

/* clickctl functions logs NAME: the recent runs, newest first, with their logs. */
int ck_ctl_functions_logs(struct ck_ctl *c)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "functions logs needs exactly one NAME");
	char esc[CK_NAME_MAX * 3 + 1], path[CK_NAME_MAX * 3 + 32];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "function name too long");
	snprintf(path, sizeof(path), "/functions/%s/runs?limit=50", esc);
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, "GET", path, NULL, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (c->json) {
		rc = ck_ctl_print_json(resp);
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(resp, "items"))
	{
		char when[64];
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "durationUs");
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "attempt");
		const char *err = ck_ctl_json_str(it, "error");
		printf("%s %s attempt %d %s %.3f ms%s%s\n",
		       ck_ctl_json_time(it, "startedAt", when, sizeof(when)),
		       ck_ctl_json_str(it, "requestId") ? ck_ctl_json_str(it, "requestId") : "-",
		       cJSON_IsNumber(a) ? (int)a->valuedouble : 0,
		       ck_ctl_json_str(it, "status") ? ck_ctl_json_str(it, "status") : "?",
		       cJSON_IsNumber(d) ? d->valuedouble / 1000.0 : 0.0, err ? ": " : "",
		       err ? err : "");
		const char *log = ck_ctl_json_str(it, "log");
		for (const char *p = log; p && *p;) {
			size_t n = strcspn(p, "\n");
			printf("    %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		const cJSON *result = cJSON_GetObjectItemCaseSensitive(it, "result");
		if (result && !cJSON_IsNull(result)) {
			char *r = cJSON_PrintUnformatted(result);
			if (r)
				printf("    result: %s\n", r);
			cJSON_free(r);
		}
	}
out:
	cJSON_Delete(resp);
	return rc;
}
