/*
 * "queue" and "table" rule actions (see store_actions.h): a queue message
 * or a table item written in the ingest transaction.
 */
#include "engine/store_actions.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sql/sql.h"
#include "store/store_queues.h"
#include "store/store_tables.h"

/* Checks that an optional member is a template that compiles. */
static int check_template(const cJSON *action, const char *key, char *why, size_t why_len)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(action, key);
	struct ck_sql_template *tpl = NULL;
	struct ck_sql_error err;
	if (!t)
		return 0;
	if (!cJSON_IsString(t) || !t->valuestring[0]) {
		snprintf(why, why_len, "\"%s\" must be a non-empty template string", key);
		return -EINVAL;
	}
	if (ck_sql_template_compile(t->valuestring, CK_SQL_2016_03_23, &tpl, &err) != 0) {
		snprintf(why, why_len, "%s: column %d: %s", key, err.column, err.message);
		return -EINVAL;
	}
	ck_sql_template_free(tpl);
	return 0;
}

/* Renders the template member key for the message; -EINVAL with res->error. */
static int render(const cJSON *action, const char *key, const struct ck_action_ctx *ctx, char **out,
                  struct ck_action_result *res)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(action, key);
	struct ck_sql_template *tpl = NULL;
	struct ck_sql_error err;
	*out = NULL;
	int rc = ck_sql_template_compile(t->valuestring, CK_SQL_2016_03_23, &tpl, &err);
	if (rc == 0 && ctx->msg)
		rc = ck_sql_template_render(tpl, ctx->msg, out);
	else if (rc == 0)
		rc = -EINVAL;
	ck_sql_template_free(tpl);
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0) {
		snprintf(res->error, sizeof(res->error), "%s could not be rendered", key);
		return -EINVAL;
	}
	return 0;
}

int ck_store_action_queue_validate(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *queue = cJSON_GetObjectItemCaseSensitive(action, "queue");
	const cJSON *delay = cJSON_GetObjectItemCaseSensitive(action, "delaySeconds");
	if (!cJSON_IsString(queue) || !ck_queue_name_valid(queue->valuestring)) {
		snprintf(why, why_len,
		         "queue needs a \"queue\" name (1 to 80 letters, digits, '_' "
		         "or '-')");
		return -EINVAL;
	}
	if (delay && (!cJSON_IsNumber(delay) || delay->valuedouble != floor(delay->valuedouble) ||
	              delay->valuedouble < 0 || delay->valuedouble > CK_QUEUE_DELAY_MAX_S)) {
		snprintf(why, why_len, "queue \"delaySeconds\" must be an integer from 0 to %d",
		         CK_QUEUE_DELAY_MAX_S);
		return -EINVAL;
	}
	return check_template(action, "body", why, why_len);
}

int ck_store_action_queue_run(struct ck_store *s, const cJSON *action,
                              const struct ck_action_ctx *ctx, struct ck_action_result *res)
{
	const cJSON *queue = cJSON_GetObjectItemCaseSensitive(action, "queue");
	const cJSON *delay = cJSON_GetObjectItemCaseSensitive(action, "delaySeconds");
	char *rendered = NULL;
	const char *body = (const char *)ctx->output;
	size_t len = ctx->output_len;
	char id[CK_QUEUE_ID_LEN + 1];

	if (cJSON_GetObjectItemCaseSensitive(action, "body")) {
		int rc = render(action, "body", ctx, &rendered, res);
		if (rc != 0)
			return rc;
		body = rendered;
		len = strlen(rendered);
	}
	int rc = ck_store_queue_send(s, queue->valuestring, body, len,
	                             cJSON_IsNumber(delay) ? (int)delay->valuedouble : -1,
	                             ctx->now_ms, id);
	free(rendered);
	if (rc == -ENOENT) {
		snprintf(res->error, sizeof(res->error), "no queue named \"%s\"",
		         queue->valuestring);
		return -EINVAL;
	}
	if (rc == -EINVAL) {
		snprintf(res->error, sizeof(res->error),
		         "the message body must be UTF-8 text of 1 byte to 256 KiB");
		return -EINVAL;
	}
	if (rc == 0)
		ck_info("actions", "message %s sent to queue %s, rule %s", id, queue->valuestring,
		        ctx->rule);
	return rc;
}

int ck_store_action_table_validate(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *table = cJSON_GetObjectItemCaseSensitive(action, "table");
	const cJSON *cond = cJSON_GetObjectItemCaseSensitive(action, "condition");
	if (!cJSON_IsString(table) || !ck_table_name_valid(table->valuestring)) {
		snprintf(why, why_len,
		         "table needs a \"table\" name (3 to 128 letters, digits, '_', "
		         "'-' or '.')");
		return -EINVAL;
	}
	if (cond && !(cJSON_IsObject(cond) && cJSON_GetArraySize(cond) == 1 &&
	              cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cond, "exists")))) {
		snprintf(why, why_len, "table \"condition\" can only be {\"exists\": false}");
		return -EINVAL;
	}
	int rc = check_template(action, "partitionKey", why, why_len);
	if (rc == 0)
		rc = check_template(action, "sortKey", why, why_len);
	return rc;
}

/* Sets the key attribute from the rendered template, typed for the table. */
static int set_key(cJSON *item, const struct ck_table_def *d, bool sort, const cJSON *action,
                   const struct ck_action_ctx *ctx, struct ck_action_result *res)
{
	const char *member = sort ? "sortKey" : "partitionKey";
	char *text = NULL;
	cJSON *v = NULL;
	if (!cJSON_GetObjectItemCaseSensitive(action, member))
		return 0;
	int rc = render(action, member, ctx, &text, res);
	if (rc != 0)
		return rc;
	rc = ck_table_key_parse(d, sort, text, &v, res->error, sizeof(res->error));
	free(text);
	if (rc != 0)
		return rc;
	const char *attr = sort ? d->sort_key : d->partition_key;
	cJSON_DeleteItemFromObjectCaseSensitive(item, attr);
	cJSON_AddItemToObject(item, attr, v);
	return 0;
}

int ck_store_action_table_run(struct ck_store *s, const cJSON *action,
                              const struct ck_action_ctx *ctx, struct ck_action_result *res)
{
	const cJSON *table = cJSON_GetObjectItemCaseSensitive(action, "table");
	struct ck_table_def d;
	struct ck_table_cond cond = { 0 };
	cJSON *item = NULL;
	int64_t version = 0;

	int rc = ck_store_table_get(s, table->valuestring, &d);
	if (rc == -ENOENT) {
		snprintf(res->error, sizeof(res->error), "no table named \"%s\"",
		         table->valuestring);
		return -EINVAL;
	}
	if (rc != 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(action, "condition"))
		cond.kind = CK_TABLE_COND_NOT_EXISTS;
	item = cJSON_ParseWithLength((const char *)ctx->output, ctx->output_len);
	if (!cJSON_IsObject(item)) {
		/* Not an object: kept whole under "payload" (as text when not JSON). */
		if (!item) {
			char *text = ctx->output
			                 ? strndup((const char *)ctx->output, ctx->output_len)
			                 : strdup("");
			item = text ? cJSON_CreateString(text) : NULL;
			free(text);
		}
		cJSON *wrapped = cJSON_CreateObject();
		if (!item || !wrapped) {
			cJSON_Delete(item);
			cJSON_Delete(wrapped);
			return -ENOMEM;
		}
		cJSON_AddItemToObject(wrapped, "payload", item);
		item = wrapped;
	}
	rc = set_key(item, &d, false, action, ctx, res);
	if (rc == 0)
		rc = set_key(item, &d, true, action, ctx, res);
	if (rc == 0)
		rc = ck_store_table_put(s, d.name, item, &cond, ctx->now_ms, &version, res->error,
		                        sizeof(res->error));
	cJSON_Delete(item);
	if (rc == -ECANCELED)
		rc = -EINVAL; /* the condition failed: an action failure, res->error says why */
	if (rc == 0)
		ck_info("actions", "item written to table %s (version %lld), rule %s", d.name,
		        (long long)version, ctx->rule);
	return rc;
}
