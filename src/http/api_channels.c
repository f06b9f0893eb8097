/*
 * API handlers for channels (docs/api.md "Channels"): channels with their
 * providers and spend caps, subscriptions, publishing, delivery status.
 * Credentials are accepted but never returned; a webhook subscription's
 * secret is shown once, in the answer that creates it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channels.h"
#include "channels/signature.h"
#include "core/log.h"
#include "core/name.h"
#include "http/api_int.h"
#include "store/store_channels.h"

#define DELIVERIES_DEFAULT 100
#define DELIVERIES_MAX     500
#define SECRET_MIN         16
#define SECRET_MAX         256

static int no_channel(cJSON **out)
{
	return ck_api_fail(out, 404, "not_found", "no such channel");
}

static int channel_create(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body = NULL, *config = NULL;
	char why[256] = "";
	int64_t cap = 0;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (!cJSON_IsString(name) || !ck_name_valid(name->valuestring)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "\"name\" must be 1 to 128 letters, digits, ':', '_' or '-'");
		goto out;
	}
	int rc = ck_channels_config_check(body, &config, &cap, why, sizeof(why));
	if (rc == -EINVAL) {
		status = ck_api_fail(out, 400, "bad_request", why);
		goto out;
	}
	char *text = rc == 0 ? cJSON_PrintUnformatted(config) : NULL;
	rc = text ? ck_store_channel_put(env->store, name->valuestring, text, cap, ck_api_now_ms())
	          : -ENOMEM;
	cJSON_free(text);
	if (rc == -EEXIST) {
		status = ck_api_fail(out, 409, "conflict", "a channel with that name exists");
		goto out;
	}
	if (rc != 0) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "channel %s created", name->valuestring);
	struct ck_channel_row row;
	rc = ck_store_channel_get(env->store, name->valuestring, &row);
	if (rc == 0) {
		*out = ck_channels_view(env->store, &row, ck_api_now_ms());
		ck_store_channel_row_cleanup(&row);
	}
	status = *out ? 201 : ck_api_store_fail(out, rc ? rc : -ENOMEM);
out:
	cJSON_Delete(body);
	cJSON_Delete(config);
	return status;
}

static int add_view(const struct ck_channel_row *r, void *ctx)
{
	void **args = ctx;
	cJSON *v = ck_channels_view(args[0], r, ck_api_now_ms());
	if (!v)
		return -ENOMEM;
	cJSON_AddItemToArray(args[1], v);
	return 0;
}

static int channel_list(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *items = cJSON_CreateArray();
	void *args[2] = { env->store, items };
	int rc = items ? ck_store_channel_each(env->store, add_view, args) : -ENOMEM;
	return ck_api_one_page(items, rc, out);
}

/* Answers with view() of the channel named name: 200, 404 or a store error. */
static int channel_answer(const struct ck_api_env *env, const char *name,
                          cJSON *(*view)(struct ck_store *, const struct ck_channel_row *, int64_t),
                          cJSON **out)
{
	struct ck_channel_row row;
	int rc = ck_store_channel_get(env->store, name, &row);
	if (rc == -ENOENT)
		return no_channel(out);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	*out = view(env->store, &row, ck_api_now_ms());
	ck_store_channel_row_cleanup(&row);
	return *out ? 200 : ck_api_store_fail(out, -EIO);
}

static int channel_get(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	return channel_answer(env, param[0], ck_channels_view, out);
}

static int channel_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_channel_delete(env->store, param[0]);
	if (rc == -ENOENT)
		return no_channel(out);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "channel %s deleted", param[0]);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

static cJSON *sub_json(const struct ck_channel_sub *sub)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)sub->id);
	cJSON_AddStringToObject(o, "channel", sub->channel);
	cJSON_AddStringToObject(o, "protocol", sub->protocol);
	cJSON_AddStringToObject(o, "endpoint", sub->endpoint);
	cJSON *f = sub->filter ? cJSON_Parse(sub->filter) : NULL;
	if (f)
		cJSON_AddItemToObject(o, "filterPolicy", f);
	else
		cJSON_AddNullToObject(o, "filterPolicy");
	if (strcmp(sub->protocol, "webhook") == 0)
		cJSON_AddBoolToObject(o, "secretSet", sub->secret != NULL);
	cJSON_AddNumberToObject(o, "createdAt", (double)sub->created_ms);
	return o;
}

static int subscribe(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	char why[256] = "", secret[SECRET_MAX + 1] = "";
	char *filter_text = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *protocol = cJSON_GetObjectItemCaseSensitive(body, "protocol");
	const cJSON *endpoint = cJSON_GetObjectItemCaseSensitive(body, "endpoint");
	const cJSON *filter = cJSON_GetObjectItemCaseSensitive(body, "filterPolicy");
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(body, "secret");
	if ((endpoint && !cJSON_IsString(endpoint)) || (given && !cJSON_IsString(given))) {
		status = ck_api_fail(out, 400, "bad_request", "endpoint and secret are strings");
		goto out;
	}
	const char *proto = cJSON_IsString(protocol) ? protocol->valuestring : NULL;
	int rc = ck_channels_sub_check(proto, endpoint ? endpoint->valuestring : NULL, filter, why,
	                               sizeof(why));
	if (rc != 0) {
		status = rc == -EINVAL ? ck_api_fail(out, 400, "bad_request", why)
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	bool webhook = strcmp(proto, "webhook") == 0;
	if (given &&
	    (!webhook || strlen(given->valuestring) < SECRET_MIN ||
	     strlen(given->valuestring) > SECRET_MAX || strpbrk(given->valuestring, "\r\n"))) {
		status =
		    ck_api_fail(out, 400, "bad_request",
		                "\"secret\" is for webhook subscriptions: 16 to 256 characters");
		goto out;
	}
	if (webhook && given)
		snprintf(secret, sizeof(secret), "%s", given->valuestring);
	else if (webhook && ck_signature_secret(secret) != 0) {
		status = ck_api_store_fail(out, -EIO);
		goto out;
	}
	if (filter && !cJSON_IsNull(filter))
		filter_text = cJSON_PrintUnformatted(filter);
	struct ck_channel_sub sub = {
		.channel = param[0],
		.protocol = proto,
		.endpoint = endpoint ? endpoint->valuestring : "",
		.filter = filter_text,
		.secret = webhook ? secret : NULL,
		.created_ms = ck_api_now_ms(),
	};
	rc = ck_store_channel_sub_put(env->store, &sub, &sub.id);
	if (rc == -ENOENT) {
		status = no_channel(out);
		goto out;
	}
	if (rc != 0) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "channel %s: subscription %lld (%s)", param[0], (long long)sub.id, proto);
	*out = sub_json(&sub);
	if (webhook) /* shown once: the receiver needs it to check signatures */
		cJSON_AddStringToObject(*out, "secret", secret);
	status = 201;
out:
	cJSON_free(filter_text);
	cJSON_Delete(body);
	return status;
}

static int add_sub(const struct ck_channel_sub *sub, void *ctx)
{
	cJSON *o = sub_json(sub);
	if (!o)
		return -ENOMEM;
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int sub_list(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	struct ck_channel_row row;
	int rc = ck_store_channel_get(env->store, param[0], &row);
	if (rc == -ENOENT)
		return no_channel(out);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_store_channel_row_cleanup(&row);
	cJSON *items = cJSON_CreateArray();
	rc = items ? ck_store_channel_sub_each(env->store, param[0], add_sub, items) : -ENOMEM;
	return ck_api_one_page(items, rc, out);
}

static int parse_id(const char *text, int64_t *id)
{
	char *end = NULL;
	long long v = strtoll(text, &end, 10);
	if (!*text || *end || v <= 0)
		return -EINVAL;
	*id = v;
	return 0;
}

static int unsubscribe(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int64_t id;
	int rc = parse_id(param[1], &id) == 0
	             ? ck_store_channel_sub_delete(env->store, param[0], id)
	             : -ENOENT;
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such subscription on that channel");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "channel %s: subscription %lld deleted", param[0], (long long)id);
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "deleted", (double)id);
	return 200;
}

static int publish(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "message");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(body, "subject");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	const cJSON *thing = cJSON_GetObjectItemCaseSensitive(body, "thing");
	if (!cJSON_IsString(message) || (subject && !cJSON_IsString(subject)) ||
	    (thing && (!cJSON_IsString(thing) || !ck_name_valid(thing->valuestring)))) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "publish needs a \"message\" string; \"subject\" is a string "
		                     "and \"thing\" a thing name");
		goto out;
	}
	struct ck_channels_origin o = {
		.source = "api",
		.thing = thing ? thing->valuestring : NULL,
	};
	struct ck_channels_result res;
	int rc = ck_store_begin(env->store);
	if (rc == 0)
		rc = ck_channels_notify(env->store, param[0], subject ? subject->valuestring : NULL,
		                        message->valuestring, attrs, &o, ck_api_now_ms(), &res);
	if (rc == 0)
		rc = ck_store_commit(env->store);
	if (rc != 0) {
		ck_store_rollback(env->store);
		status = rc == -ENOENT   ? no_channel(out)
		         : rc == -EINVAL ? ck_api_fail(out, 400, "bad_request", res.error)
		                         : ck_api_store_fail(out, rc);
		goto out;
	}
	if (env->outbox_changed)
		env->outbox_changed(env->arg);
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "messageId", (double)res.message_id);
	cJSON_AddNumberToObject(*out, "deliveries", res.deliveries);
	cJSON_AddNumberToObject(*out, "filtered", res.filtered);
	status = 202;
out:
	cJSON_Delete(body);
	return status;
}

static int deliveries(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	const char *msg = req->query(req, "message");
	const char *lim = req->query(req, "limit");
	int64_t message_id = 0, limit = DELIVERIES_DEFAULT;
	if ((msg && parse_id(msg, &message_id) != 0) ||
	    (lim && (parse_id(lim, &limit) != 0 || limit > DELIVERIES_MAX)))
		return ck_api_fail(out, 400, "bad_request",
		                   "message is a message id and limit a number from 1 to 500");
	struct ck_channel_row row;
	int rc = ck_store_channel_get(env->store, param[0], &row);
	if (rc == -ENOENT)
		return no_channel(out);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_store_channel_row_cleanup(&row);
	cJSON *items = cJSON_CreateArray();
	rc = items
	         ? ck_store_channel_deliveries(env->store, param[0], message_id, (int)limit, items)
	         : -ENOMEM;
	return ck_api_one_page(items, rc, out);
}

static int cap_get(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	(void)req;
	return channel_answer(env, param[0], ck_channels_spend, out);
}

static int cap_put(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int64_t micros = 0;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *usd = cJSON_GetObjectItemCaseSensitive(body, "monthlyUsd");
	if (ck_channels_usd(usd, &micros) != 0) {
		cJSON_Delete(body);
		return ck_api_fail(out, 400, "bad_request",
		                   "\"monthlyUsd\" must be a number from 0 to 1000000");
	}
	cJSON_Delete(body);
	int rc = ck_store_channel_set_cap(env->store, param[0], micros);
	if (rc == -ENOENT)
		return no_channel(out);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "channel %s: monthly cap set to %lld micro-USD", param[0],
	        (long long)micros);
	/* Dead letters held by the old cap are not retried on their own; new
	 * deliveries and retried ones are measured against the new cap. */
	if (env->outbox_changed)
		env->outbox_changed(env->arg);
	return cap_get(env, req, param, out);
}

const struct ck_api_route ck_api_routes_channels[] = {
	{ "POST", "/channels", channel_create },
	{ "GET", "/channels", channel_list },
	{ "GET", "/channels/{}", channel_get },
	{ "DELETE", "/channels/{}", channel_delete },
	{ "POST", "/channels/{}/subscriptions", subscribe },
	{ "GET", "/channels/{}/subscriptions", sub_list },
	{ "DELETE", "/channels/{}/subscriptions/{}", unsubscribe },
	{ "POST", "/channels/{}/publish", publish },
	{ "GET", "/channels/{}/deliveries", deliveries },
	{ "GET", "/channels/{}/cap", cap_get },
	{ "PUT", "/channels/{}/cap", cap_put },
	{ NULL, NULL, NULL },
};
