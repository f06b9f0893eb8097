/*
 * Error-action aggregation over the outbox (see outbox.h).
 */
#include "engine/outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/actions.h"
#include "store/store_outbox.h"

static char *base64(const uint8_t *p, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

cJSON *ck_outbox_error_message(const struct ck_outbox_origin *origin, cJSON *failures)
{
	cJSON *m = cJSON_CreateObject();
	char *b64 = base64(origin->payload ? origin->payload : (const uint8_t *)"",
	                   origin->payload ? origin->payload_len : 0);
	if (!m || !b64) {
		cJSON_Delete(m);
		cJSON_Delete(failures);
		free(b64);
		return NULL;
	}
	cJSON_AddStringToObject(m, "ruleName", origin->rule);
	cJSON_AddStringToObject(m, "topic", origin->topic ? origin->topic : "");
	cJSON_AddStringToObject(m, "clientId", origin->client_id ? origin->client_id : "");
	cJSON_AddStringToObject(m, "base64OriginalPayload", b64);
	cJSON_AddItemToObject(m, "failures", failures);
	free(b64);
	return m;
}

int ck_outbox_settle(struct ck_store *s, const struct ck_outbox_origin *origin,
                     const cJSON *error_action, int64_t now_ms)
{
	int pending = 0;
	cJSON *failures = cJSON_CreateArray();
	if (!failures)
		return -ENOMEM;
	int rc = ck_store_outbox_siblings(s, origin->event_seq, origin->rule, &pending, failures);
	if (rc != 0 || pending > 0 || cJSON_GetArraySize(failures) == 0 || !error_action ||
	    cJSON_IsNull(error_action)) {
		if (rc == 0 && pending == 0 && cJSON_GetArraySize(failures) > 0)
			ck_warn("outbox",
			        "rule %s, event %lld: %d action(s) failed; no error action",
			        origin->rule, (long long)origin->event_seq,
			        cJSON_GetArraySize(failures));
		cJSON_Delete(failures);
		return rc;
	}
	cJSON *msg = ck_outbox_error_message(origin, failures);
	char *text = msg ? cJSON_PrintUnformatted(msg) : NULL;
	cJSON_Delete(msg);
	if (!text)
		return -ENOMEM;

	/* A store action (workorder) as error action leaves no outbox entry of
	 * its own; a "done" marker under the error key makes it run once. */
	char key[CK_NAME_MAX + 64];
	ck_action_key(key, sizeof(key), origin->event_seq, origin->rule, CK_ACTION_ERROR_INDEX);
	if (strcmp(ck_action_type(error_action), "workorder") == 0) {
		struct ck_outbox_entry marker = {
			.key = key,
			.rule = origin->rule,
			.action_index = CK_ACTION_ERROR_INDEX,
			.action = "{\"type\":\"workorder\"}",
			.kind = "workorder",
			.destination = "",
			.payload = (const uint8_t *)text,
			.payload_len = strlen(text),
			.event_seq = origin->event_seq,
			.thing = origin->thing,
			.topic = origin->topic,
			.state = "done",
			.created_ms = now_ms,
			.expires_ms = now_ms,
		};
		rc = ck_store_outbox_put(s, &marker, NULL);
		if (rc == -EEXIST) {
			cJSON_free(text);
			return 0;
		}
		if (rc != 0) {
			cJSON_free(text);
			return rc;
		}
	}
	struct ck_sql_message msg_in = {
		.topic = origin->topic ? origin->topic : "",
		.payload = origin->payload,
		.payload_len = origin->payload_len,
		.client_id = origin->client_id,
		.timestamp_ms = now_ms,
		.principal = origin->thing,
	};
	struct ck_action_ctx ctx = {
		.rule = origin->rule,
		.thing = origin->thing,
		.event_seq = origin->event_seq,
		.pressed_ms = now_ms,
		.now_ms = now_ms,
		.msg = &msg_in,
		.output = (const uint8_t *)text,
		.output_len = strlen(text),
		.action_index = CK_ACTION_ERROR_INDEX,
	};
	struct ck_action_result res = { 0 };
	rc = ck_action_run(s, error_action, &ctx, &res);
	if (rc == -EINVAL) {
		ck_error("outbox", "rule %s: the error action failed too: %s", origin->rule,
		         res.error);
		rc = 0;
	} else if (rc == 0) {
		ck_info("outbox", "rule %s, event %lld: failures sent to the error action (%s)",
		        origin->rule, (long long)origin->event_seq, ck_action_type(error_action));
	}
	cJSON_free(text);
	return rc;
}
