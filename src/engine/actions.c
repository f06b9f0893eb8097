/*
 * Store-only actions run inside the ingest transaction (see actions.h).
 */
#include "engine/actions.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/name.h"

#include "core/log.h"

static int run_workorder(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                         int *workorders)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(action, "kind");
	struct ck_workorder w = {
		.kind = cJSON_IsString(kind) ? kind->valuestring : ctx->rule,
		.thing = ctx->thing,
		.click_type = ctx->click_type,
		.location = ctx->location,
		.rule = ctx->rule,
		.event_seq = ctx->event_seq,
		.pressed_ms = ctx->pressed_ms,
		.created_ms = ctx->now_ms,
	};
	int64_t id = 0;
	int rc = ck_store_workorder_put(s, &w, &id);
	if (rc != 0)
		return rc;
	ck_info("actions", "work order %lld (%s) for %s at %s, rule %s", (long long)id, w.kind,
	        w.thing, w.location ? w.location : "(no location)", w.rule);
	(*workorders)++;
	return 0;
}

static int validate_workorder(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(action, "kind");
	if (kind && (!cJSON_IsString(kind) || !ck_name_valid(kind->valuestring))) {
		snprintf(why, why_len,
		         "workorder \"kind\" must be a name of 1 to 128 letters, digits, ':', '_' "
		         "or '-'");
		return -EINVAL;
	}
	return 0;
}

int ck_action_validate(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
	if (!cJSON_IsObject(action) || !cJSON_IsString(type)) {
		snprintf(why, why_len, "an action must be an object with a string \"type\"");
		return -EINVAL;
	}
	if (strcmp(type->valuestring, "workorder") == 0)
		return validate_workorder(action, why, why_len);
	snprintf(why, why_len, "unknown action type \"%.64s\" (known: workorder)",
	         type->valuestring);
	return -EINVAL;
}

int ck_action_run(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                  int *workorders)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "workorder") == 0)
		return run_workorder(s, action, ctx, workorders);
	/* Rules are validated on creation; an unknown type means a newer store. */
	ck_warn("actions", "rule %s: unknown action type skipped", ctx->rule);
	return 0;
}
