/*
 * clickctl's "workorders" command: "workorders list" fetches every page of
 * GET /workorders (newest first), optionally filtered by status and thing,
 * and shows the times in local ISO 8601. Read-only.
 */
#include "clickctl/clickctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTER_MAX 256

/* Appends "&key=escaped" (or "?key=...") to path. Returns 0 or -1 when a
 * value is too long. */
static int add_filter(char *path, size_t len, const char *key, const char *value)
{
	char esc[3 * FILTER_MAX + 1];
	size_t n = strlen(path);

	if (!value)
		return 0;
	if (strlen(value) > FILTER_MAX || ck_cli_url_escape(value, esc, sizeof(esc)) < 0)
		return -1;
	if (snprintf(path + n, len - n, "%c%s=%s", strchr(path, '?') ? '&' : '?', key, esc) >=
	    (int)(len - n))
		return -1;
	return 0;
}

/* One work order's row: ID KIND STATUS THING CLICK LOCATION PRESSED CREATED. */
static int workorder_row(struct ck_cli_table *t, const cJSON *it)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
	char id_buf[32] = "", pressed[40], created[40];
	if (cJSON_IsNumber(id))
		snprintf(id_buf, sizeof(id_buf), "%.0f", id->valuedouble);
	else if (cJSON_IsString(id))
		snprintf(id_buf, sizeof(id_buf), "%s", id->valuestring);
	const char *row[] = { id_buf,
		              ck_ctl_json_str(it, "kind"),
		              ck_ctl_json_str(it, "status"),
		              ck_ctl_json_str(it, "thing"),
		              ck_ctl_json_str(it, "clickType"),
		              ck_ctl_json_str(it, "location"),
		              ck_ctl_json_time(it, "pressedAt", pressed, sizeof(pressed)),
		              ck_ctl_json_time(it, "createdAt", created, sizeof(created)) };
	return ck_cli_table_add(t, row);
}

/*
 * clickctl workorders list [--status S] [--thing T]:
 * ID KIND STATUS THING CLICK LOCATION PRESSED CREATED. Returns an exit
 * status.
 */
int ck_ctl_workorders_list(struct ck_ctl *c)
{
	static const char *const head[] = { "ID",    "KIND",     "STATUS",  "THING",
		                            "CLICK", "LOCATION", "PRESSED", "CREATED" };
	char path[2 * (3 * FILTER_MAX + 16) + 32] = "/workorders";

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "workorders list takes no arguments");
	if (add_filter(path, sizeof(path), "status", ck_cli_opt_value(c->args, CK_CTL_OPT_STATUS)) <
	        0 ||
	    add_filter(path, sizeof(path), "thing", ck_cli_opt_value(c->args, CK_CTL_OPT_THING)) <
	        0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--status and --thing take at most %d bytes",
		                   FILTER_MAX);
	return ck_ctl_list_print(c, path, 8, head, workorder_row);
}
