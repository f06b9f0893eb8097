/*
 * clickctl's "deadletters" commands: the outbox entries that could not be
 * delivered ("list") and putting one back in the queue ("retry ID").
 */
#include "clickctl/clickctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One dead letter's row: ID RULE KIND DESTINATION ATTEMPTS ERROR. */
static int deadletter_row(struct ck_cli_table *t, const cJSON *it)
{
	char id[32], attempts[32];
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "id");
	snprintf(id, sizeof(id), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
	v = cJSON_GetObjectItemCaseSensitive(it, "attempts");
	snprintf(attempts, sizeof(attempts), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
	const char *row[] = { id,
		              ck_ctl_json_str(it, "rule"),
		              ck_ctl_json_str(it, "kind"),
		              ck_ctl_json_str(it, "destination"),
		              attempts,
		              ck_ctl_json_str(it, "lastError") };
	return ck_cli_table_add(t, row);
}

/* clickctl deadletters list: ID RULE KIND DESTINATION ATTEMPTS ERROR. */
int ck_ctl_deadletters_list(struct ck_ctl *c)
{
	static const char *const head[] = {
		"ID", "RULE", "KIND", "DESTINATION", "ATTEMPTS", "ERROR"
	};

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "deadletters list takes no arguments");
	return ck_ctl_list_print(c, "/deadletters", 6, head, deadletter_row);
}

/* clickctl deadletters retry ID. */
int ck_ctl_deadletters_retry(struct ck_ctl *c)
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	char path[64];

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "deadletters retry needs exactly one ID");
	char *end = NULL;
	long long id = strtoll(c->operands[0], &end, 10);
	if (!c->operands[0][0] || *end || id <= 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "\"%s\" is not a dead-letter id",
		                   c->operands[0]);
	snprintf(path, sizeof(path), "/deadletters/%lld/retry", id);
	int rc = ck_ctl_api(c->http, "POST", path, NULL, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json)
			rc = ck_ctl_print_json(resp);
		else
			printf("dead letter %lld queued for delivery again\n", id);
	}
	cJSON_Delete(resp);
	return rc;
}
