/*
 * Rule actions (see actions.h): validation at rule creation, execution in
 * the ingest transaction.
 */
#include "engine/actions.h"
#include "engine/store_actions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/name.h"
#include "channels/channels.h"
#include "core/topic.h"
#include "engine/dispatch.h"
#include "store/store_calls.h"
#include "store/store_outbox.h"

#define MAX_HEADERS 16
#define MAX_URL     2048

const char *ck_action_type(const cJSON *action)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
	return cJSON_IsString(type) ? type->valuestring : "unknown";
}

void ck_action_key(char *buf, size_t len, int64_t seq, const char *rule, int index)
{
	if (index == CK_ACTION_ERROR_INDEX)
		snprintf(buf, len, "%lld/%s/error", (long long)seq, rule);
	else
		snprintf(buf, len, "%lld/%s/%d", (long long)seq, rule, index);
}

/* Compiles a template parameter to check it; fills why on failure. */
static int check_template(const char *param, const char *text, char *why, size_t why_len)
{
	struct ck_sql_template *tpl = NULL;
	struct ck_sql_error err;
	int rc = ck_sql_template_compile(text, CK_SQL_2016_03_23, &tpl, &err);
	if (rc != 0) {
		snprintf(why, why_len, "%s: column %d: %s", param, err.column, err.message);
		return -EINVAL;
	}
	ck_sql_template_free(tpl);
	return 0;
}

/* Renders a template parameter for the message; -EINVAL with why on failure. */
static int render(const char *param, const char *text, const struct ck_sql_message *msg, char **out,
                  char *why, size_t why_len)
{
	struct ck_sql_template *tpl = NULL;
	struct ck_sql_error err;
	*out = NULL;
	int rc = ck_sql_template_compile(text, CK_SQL_2016_03_23, &tpl, &err);
	if (rc == 0)
		rc = ck_sql_template_render(tpl, msg, out);
	ck_sql_template_free(tpl);
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0) {
		snprintf(why, why_len, "%s could not be rendered", param);
		return -EINVAL;
	}
	return 0;
}

static int check_max_age(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *age = cJSON_GetObjectItemCaseSensitive(action, "maxAgeSeconds");
	if (age && (!cJSON_IsNumber(age) || age->valuedouble < CK_ACTION_MAX_AGE_MIN_S ||
	            age->valuedouble > CK_ACTION_MAX_AGE_MAX_S)) {
		snprintf(why, why_len, "maxAgeSeconds must be a number from %d to %d",
		         CK_ACTION_MAX_AGE_MIN_S, CK_ACTION_MAX_AGE_MAX_S);
		return -EINVAL;
	}
	return 0;
}

static int64_t max_age_ms(const cJSON *action)
{
	const cJSON *age = cJSON_GetObjectItemCaseSensitive(action, "maxAgeSeconds");
	return (int64_t)(cJSON_IsNumber(age) ? age->valuedouble : CK_ACTION_MAX_AGE_DEFAULT_S) *
	       1000;
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

static int validate_webhook(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(action, "url");
	const cJSON *headers = cJSON_GetObjectItemCaseSensitive(action, "headers");
	if (!cJSON_IsString(url) || strlen(url->valuestring) > MAX_URL ||
	    (strncasecmp(url->valuestring, "http://", 7) != 0 &&
	     strncasecmp(url->valuestring, "https://", 8) != 0)) {
		snprintf(why, why_len, "webhook needs a \"url\" starting with http:// or https://");
		return -EINVAL;
	}
	if (check_template("url", url->valuestring, why, why_len) != 0)
		return -EINVAL;
	if (headers) {
		if (!cJSON_IsObject(headers) || cJSON_GetArraySize(headers) > MAX_HEADERS) {
			snprintf(why, why_len,
			         "webhook \"headers\" must be an object of at most %d "
			         "strings",
			         MAX_HEADERS);
			return -EINVAL;
		}
		const cJSON *h;
		cJSON_ArrayForEach(h, headers)
		{
			if (!cJSON_IsString(h) || !ck_name_valid(h->string) ||
			    strpbrk(h->valuestring, "\r\n")) {
				snprintf(why, why_len,
				         "header names must be names and values "
				         "single-line strings");
				return -EINVAL;
			}
			if (check_template("header", h->valuestring, why, why_len) != 0)
				return -EINVAL;
		}
	}
	return check_max_age(action, why, why_len);
}

static int validate_republish(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *topic = cJSON_GetObjectItemCaseSensitive(action, "topic");
	const cJSON *qos = cJSON_GetObjectItemCaseSensitive(action, "qos");
	if (!cJSON_IsString(topic) || !topic->valuestring[0]) {
		snprintf(why, why_len, "republish needs a \"topic\"");
		return -EINVAL;
	}
	if (check_template("topic", topic->valuestring, why, why_len) != 0)
		return -EINVAL;
	if (qos && (!cJSON_IsNumber(qos) || (qos->valuedouble != 0 && qos->valuedouble != 1))) {
		snprintf(why, why_len, "republish \"qos\" must be 0 or 1");
		return -EINVAL;
	}
	return check_max_age(action, why, why_len);
}

static int validate_notify(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *channel = cJSON_GetObjectItemCaseSensitive(action, "channel");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(action, "message");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(action, "subject");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(action, "attributes");
	if (!cJSON_IsString(channel) || !ck_name_valid(channel->valuestring)) {
		snprintf(why, why_len, "notify needs a \"channel\" name");
		return -EINVAL;
	}
	if (message && (!cJSON_IsString(message) || !message->valuestring[0] ||
	                strlen(message->valuestring) > CK_CHANNELS_MESSAGE_MAX)) {
		snprintf(why, why_len, "notify \"message\" must be a template of 1 to %d bytes",
		         CK_CHANNELS_MESSAGE_MAX);
		return -EINVAL;
	}
	if (message && check_template("message", message->valuestring, why, why_len) != 0)
		return -EINVAL;
	if (subject && (!cJSON_IsString(subject) || strpbrk(subject->valuestring, "\r\n"))) {
		snprintf(why, why_len, "notify \"subject\" must be a one-line template");
		return -EINVAL;
	}
	if (subject && check_template("subject", subject->valuestring, why, why_len) != 0)
		return -EINVAL;
	if (attrs && (!cJSON_IsObject(attrs) || cJSON_GetArraySize(attrs) > 10)) {
		snprintf(why, why_len, "notify \"attributes\" must be an object of at most 10");
		return -EINVAL;
	}
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs)
	{
		if (cJSON_IsNumber(a))
			continue;
		if (!cJSON_IsString(a)) {
			snprintf(why, why_len,
			         "notify attribute %.64s must be a string template or a number",
			         a->string);
			return -EINVAL;
		}
		if (check_template("attribute", a->valuestring, why, why_len) != 0)
			return -EINVAL;
	}
	return check_max_age(action, why, why_len);
}

/* {"type":"function","function":NAME}: an asynchronous invocation of a
 * function (docs/functions.md), queued in the outbox and run by the courier. */
static int validate_function(const cJSON *action, char *why, size_t why_len)
{
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(action, "function");
	if (!cJSON_IsString(fn) || !ck_name_valid(fn->valuestring)) {
		snprintf(why, why_len, "function needs \"function\": the name of a function");
		return -EINVAL;
	}
	return check_max_age(action, why, why_len);
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
	if (strcmp(type->valuestring, "queue") == 0)
		return ck_store_action_queue_validate(action, why, why_len);
	if (strcmp(type->valuestring, "table") == 0)
		return ck_store_action_table_validate(action, why, why_len);
	if (strcmp(type->valuestring, "webhook") == 0)
		return validate_webhook(action, why, why_len);
	if (strcmp(type->valuestring, "republish") == 0)
		return validate_republish(action, why, why_len);
	if (strcmp(type->valuestring, "notify") == 0)
		return validate_notify(action, why, why_len);
	if (strcmp(type->valuestring, "function") == 0)
		return validate_function(action, why, why_len);
	snprintf(why, why_len,
	         "unknown action type \"%.64s\" (known: workorder, webhook, republish, notify, "
	         "function)",
	         type->valuestring);
	return -EINVAL;
}

static int run_workorder(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                         struct ck_action_result *res)
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
	cJSON *def = NULL;
	int rc = ck_store_kind_get(s, w.kind, &def);
	if (rc == 0) { /* a defined kind: the press raises, joins or cancels a call */
		struct ck_dispatch_press p = {
			.kind = w.kind,
			.thing = w.thing,
			.click_type = w.click_type,
			.location = w.location,
			.rule = w.rule,
			.event_seq = w.event_seq,
			.pressed_ms = w.pressed_ms,
			.now_ms = w.created_ms,
		};
		bool created = false;
		rc = ck_dispatch_press(s, def, &p, &id, &created);
		cJSON_Delete(def);
		if (rc == 0 && created)
			res->workorders++;
		if (rc == 0)
			res->enqueued++; /* feedback: wake the courier */
		return rc;
	}
	if (rc != -ENOENT)
		return rc;
	rc = ck_store_workorder_put(s, &w, &id);
	if (rc != 0)
		return rc;
	ck_debug("actions", "work order %lld (%s) for %s at %s, rule %s", (long long)id, w.kind,
	         w.thing, w.location ? w.location : "(no location)", w.rule);
	res->workorders++;
	return 0;
}

/* Writes the outbox entry for an external action. */
static int enqueue(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                   const char *destination, const char *headers, struct ck_action_result *res)
{
	char key[CK_NAME_MAX + 64];
	char *action_text = cJSON_PrintUnformatted(action);
	if (!action_text)
		return -ENOMEM;
	ck_action_key(key, sizeof(key), ctx->event_seq, ctx->rule, ctx->action_index);
	struct ck_outbox_entry e = {
		.key = key,
		.rule = ctx->rule,
		.action_index = ctx->action_index,
		.action = action_text,
		.kind = ck_action_type(action),
		.destination = destination,
		.payload = ctx->output,
		.payload_len = ctx->output_len,
		.headers = headers,
		.event_seq = ctx->event_seq,
		.thing = ctx->thing,
		.topic = ctx->msg ? ctx->msg->topic : NULL,
		.client_id = ctx->msg ? ctx->msg->client_id : NULL,
		.original = ctx->msg ? ctx->msg->payload : NULL,
		.original_len = ctx->msg ? ctx->msg->payload_len : 0,
		.next_attempt_ms = ctx->now_ms,
		.created_ms = ctx->now_ms,
		.expires_ms = ctx->now_ms + max_age_ms(action),
	};
	int rc = ck_store_outbox_put(s, &e, NULL);
	cJSON_free(action_text);
	if (rc == -EEXIST) /* already enqueued by an earlier, identical run */
		return 0;
	if (rc == 0)
		res->enqueued++;
	return rc;
}

static int run_webhook(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                       struct ck_action_result *res)
{
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(action, "url");
	const cJSON *headers = cJSON_GetObjectItemCaseSensitive(action, "headers");
	char *dest = NULL, *headers_text = NULL;
	cJSON *rendered = NULL;
	int rc = render("url", url->valuestring, ctx->msg, &dest, res->error, sizeof(res->error));
	if (rc != 0)
		goto out;
	if (headers) {
		rendered = cJSON_CreateObject();
		const cJSON *h;
		cJSON_ArrayForEach(h, headers)
		{
			char *v = NULL;
			rc = render("header", h->valuestring, ctx->msg, &v, res->error,
			            sizeof(res->error));
			if (rc != 0)
				goto out;
			cJSON_AddStringToObject(rendered, h->string, v);
			free(v);
		}
		headers_text = cJSON_PrintUnformatted(rendered);
	}
	rc = enqueue(s, action, ctx, dest, headers_text, res);
out:
	free(dest);
	cJSON_free(headers_text);
	cJSON_Delete(rendered);
	return rc;
}

static int run_republish(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                         struct ck_action_result *res)
{
	const cJSON *topic = cJSON_GetObjectItemCaseSensitive(action, "topic");
	char *dest = NULL;
	int rc =
	    render("topic", topic->valuestring, ctx->msg, &dest, res->error, sizeof(res->error));
	if (rc != 0)
		return rc;
	if (!ck_topic_name_valid(dest)) {
		snprintf(res->error, sizeof(res->error),
		         "republish topic \"%.100s\" is not a valid topic name", dest);
		free(dest);
		return -EINVAL;
	}
	rc = enqueue(s, action, ctx, dest, NULL, res);
	free(dest);
	return rc;
}

/* Renders the attributes' string templates; numbers are kept. */
static int render_attrs(const cJSON *attrs, const struct ck_action_ctx *ctx, cJSON **out,
                        struct ck_action_result *res)
{
	*out = NULL;
	if (!attrs)
		return 0;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs)
	{
		if (cJSON_IsNumber(a)) {
			cJSON_AddNumberToObject(o, a->string, a->valuedouble);
			continue;
		}
		char *v = NULL;
		int rc = render("attribute", a->valuestring, ctx->msg, &v, res->error,
		                sizeof(res->error));
		if (rc != 0) {
			cJSON_Delete(o);
			return rc;
		}
		cJSON_AddStringToObject(o, a->string, v);
		free(v);
	}
	*out = o;
	return 0;
}

static int run_notify(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                      struct ck_action_result *res)
{
	const cJSON *channel = cJSON_GetObjectItemCaseSensitive(action, "channel");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(action, "message");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(action, "subject");
	char *text = NULL, *subj = NULL;
	cJSON *attrs = NULL;
	char key[CK_NAME_MAX + 64], source[CK_NAME_MAX + 8];
	int rc = 0;
	if (message) {
		rc = render("message", message->valuestring, ctx->msg, &text, res->error,
		            sizeof(res->error));
	} else { /* the rule's output, as AWS IoT's SNS action sends it */
		text = malloc(ctx->output_len + 1);
		if (!text)
			rc = -ENOMEM;
		else if (ctx->output_len)
			memcpy(text, ctx->output, ctx->output_len);
		if (text)
			text[ctx->output_len] = '\0';
	}
	if (rc == 0 && subject)
		rc = render("subject", subject->valuestring, ctx->msg, &subj, res->error,
		            sizeof(res->error));
	if (rc == 0)
		rc = render_attrs(cJSON_GetObjectItemCaseSensitive(action, "attributes"), ctx,
		                  &attrs, res);
	if (rc != 0)
		goto out;
	ck_action_key(key, sizeof(key), ctx->event_seq, ctx->rule, ctx->action_index);
	snprintf(source, sizeof(source), "rule:%s", ctx->rule);
	const cJSON *age = cJSON_GetObjectItemCaseSensitive(action, "maxAgeSeconds");
	struct ck_channels_origin o = {
		.key = key,
		.rule = ctx->rule,
		.action_index = ctx->action_index,
		.event_seq = ctx->event_seq,
		.thing = ctx->thing,
		.topic = ctx->msg ? ctx->msg->topic : NULL,
		.client_id = ctx->msg ? ctx->msg->client_id : NULL,
		.original = ctx->msg ? ctx->msg->payload : NULL,
		.original_len = ctx->msg ? ctx->msg->payload_len : 0,
		.source = source,
		.max_age_ms = cJSON_IsNumber(age) ? max_age_ms(action) : 0,
	};
	struct ck_channels_result cres;
	rc = ck_channels_notify(s, channel->valuestring, subj, text, attrs, &o, ctx->now_ms, &cres);
	if (rc == -ENOENT || rc == -EINVAL) {
		snprintf(res->error, sizeof(res->error), "notify: %s", cres.error);
		rc = -EINVAL;
	} else if (rc == 0) {
		res->enqueued += cres.deliveries;
	}
out:
	free(text);
	free(subj);
	cJSON_Delete(attrs);
	return rc;
}

/* The event the function receives is the rule's output (for SELECT * the
 * button's own payload); the courier runs it. */
static int run_function(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                        struct ck_action_result *res)
{
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(action, "function");
	return enqueue(s, action, ctx, fn->valuestring, NULL, res);
}

int ck_action_run(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                  struct ck_action_result *res)
{
	const char *type = ck_action_type(action);
	if (strcmp(type, "workorder") == 0)
		return run_workorder(s, action, ctx, res);
	if (strcmp(type, "queue") == 0)
		return ck_store_action_queue_run(s, action, ctx, res);
	if (strcmp(type, "table") == 0)
		return ck_store_action_table_run(s, action, ctx, res);
	if (strcmp(type, "webhook") == 0)
		return run_webhook(s, action, ctx, res);
	if (strcmp(type, "republish") == 0)
		return run_republish(s, action, ctx, res);
	if (strcmp(type, "notify") == 0)
		return run_notify(s, action, ctx, res);
	if (strcmp(type, "function") == 0)
		return run_function(s, action, ctx, res);
	snprintf(res->error, sizeof(res->error), "unknown action type \"%.64s\"", type);
	return -EINVAL;
}
