/*
 * Channels (see channels.h): definitions, subscriptions and the fan-out of
 * a published message into deliveries.
 */
#include "store/store_usage.h"
#include "channels/channels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channels/filter.h"
#include "channels/segments.h"
#include "core/log.h"
#include "core/name.h"
#include "core/topic.h"
#include "store/store_outbox.h"

#define URL_MAX   2048
#define FIELD_MAX 512
#define KEY_MAX   (CK_NAME_MAX + 96)

void ck_channels_month(int64_t now_ms, char out[CK_STORE_MONTH_LEN])
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, CK_STORE_MONTH_LEN, "%04d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
}

int ck_channels_usd(const cJSON *v, int64_t *micros)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
	    v->valuedouble > (double)CK_CHANNELS_CAP_MAX_MICROS / 1e6)
		return -EINVAL;
	*micros = llround(v->valuedouble * 1e6);
	return 0;
}

static bool single_line(const char *s, size_t max)
{
	return strlen(s) <= max && !strpbrk(s, "\r\n");
}

static bool email_ok(const char *a)
{
	const char *at = strchr(a, '@');
	return strlen(a) <= 254 && at && at != a && at[1] && !strchr(at + 1, '@') &&
	       !strpbrk(a, " \t\r\n<>,;:\"()[]\\");
}

static bool phone_ok(const char *p)
{
	size_t n = strlen(p);
	return p[0] == '+' && n >= 9 && n <= 16 && strspn(p + 1, "0123456789") == n - 1;
}

static bool http_url_ok(const char *u)
{
	return strlen(u) <= URL_MAX && !strpbrk(u, " \t\r\n") &&
	       (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0);
}

/* True for http URLs whose host is the loopback interface. */
static bool loopback_http(const char *u)
{
	static const char *const hosts[] = { "http://127.0.0.1", "http://localhost",
		                             "http://[::1]" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i]);
		if (strncasecmp(u, hosts[i], n) == 0 && (u[n] == ':' || u[n] == '/' || !u[n]))
			return true;
	}
	return false;
}

static const char *str_member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Only these members are stored; anything else is refused. */
static int known_members(const cJSON *o, const char *const *names, const char *what, char *why,
                         size_t why_len)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, o)
	{
		bool known = false;
		for (int i = 0; names[i]; i++)
			known = known || strcmp(m->string, names[i]) == 0;
		if (!known) {
			snprintf(why, why_len, "%s: unknown member \"%.64s\"", what, m->string);
			return -EINVAL;
		}
		if (!cJSON_IsString(m) && strcmp(m->string, "pricePerSegmentUsd") != 0) {
			snprintf(why, why_len, "%s: \"%s\" must be a string", what, m->string);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_email(const cJSON *e, char *why, size_t why_len)
{
	static const char *const names[] = { "url",  "tls",    "username", "password",
		                             "from", "caFile", NULL };
	if (!cJSON_IsObject(e)) {
		snprintf(why, why_len, "\"email\" must be an object");
		return -EINVAL;
	}
	if (known_members(e, names, "email", why, why_len) != 0)
		return -EINVAL;
	const char *url = str_member(e, "url"), *tls = str_member(e, "tls");
	const char *from = str_member(e, "from"), *user = str_member(e, "username");
	const char *pass = str_member(e, "password"), *ca = str_member(e, "caFile");
	if (!url || strlen(url) > URL_MAX || strpbrk(url, " \t\r\n") ||
	    (strncasecmp(url, "smtp://", 7) != 0 && strncasecmp(url, "smtps://", 8) != 0)) {
		snprintf(why, why_len, "email needs a \"url\" starting with smtp:// or smtps://");
		return -EINVAL;
	}
	if (!from || !email_ok(from)) {
		snprintf(why, why_len, "email needs a \"from\" address such as alerts@example.com");
		return -EINVAL;
	}
	if (tls && strcmp(tls, "starttls") && strcmp(tls, "implicit") && strcmp(tls, "none")) {
		snprintf(why, why_len, "email \"tls\" is starttls, implicit or none");
		return -EINVAL;
	}
	if (tls && strcmp(tls, "implicit") == 0 && strncasecmp(url, "smtps://", 8) != 0) {
		snprintf(why, why_len, "email \"tls\": implicit needs an smtps:// url");
		return -EINVAL;
	}
	if ((user && !pass) || (pass && !user) || (user && !single_line(user, FIELD_MAX)) ||
	    (pass && !single_line(pass, FIELD_MAX))) {
		snprintf(why, why_len,
		         "email \"username\" and \"password\" go together, one line each");
		return -EINVAL;
	}
	if (user && tls && strcmp(tls, "none") == 0) {
		snprintf(why, why_len,
		         "email: credentials are never sent over a connection without TLS");
		return -EINVAL;
	}
	if (ca && (ca[0] != '/' || !single_line(ca, 4096))) {
		snprintf(why, why_len, "email \"caFile\" must be an absolute path");
		return -EINVAL;
	}
	return 0;
}

static int check_sms(const cJSON *m, char *why, size_t why_len)
{
	static const char *const names[] = { "provider",  "url",  "accountSid",
		                             "authToken", "from", "pricePerSegmentUsd",
		                             NULL };
	if (!cJSON_IsObject(m)) {
		snprintf(why, why_len, "\"sms\" must be an object");
		return -EINVAL;
	}
	if (known_members(m, names, "sms", why, why_len) != 0)
		return -EINVAL;
	const char *provider = str_member(m, "provider"), *url = str_member(m, "url");
	const char *sid = str_member(m, "accountSid"), *token = str_member(m, "authToken");
	const char *from = str_member(m, "from");
	const cJSON *price = cJSON_GetObjectItemCaseSensitive(m, "pricePerSegmentUsd");
	int64_t micros;
	if (!provider || strcmp(provider, "twilio") != 0) {
		snprintf(why, why_len,
		         "sms \"provider\" must be \"twilio\" (a Twilio-compatible "
		         "gateway)");
		return -EINVAL;
	}
	if (!url || !http_url_ok(url) ||
	    (strncasecmp(url, "http://", 7) == 0 && !loopback_http(url))) {
		snprintf(why, why_len,
		         "sms \"url\" must be an https:// URL (http:// only on the loopback "
		         "interface)");
		return -EINVAL;
	}
	if (!sid || !sid[0] || strlen(sid) > 64 ||
	    strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
	        strlen(sid)) {
		snprintf(why, why_len, "sms needs an \"accountSid\" of letters and digits");
		return -EINVAL;
	}
	if (!token || !token[0] || !single_line(token, FIELD_MAX)) {
		snprintf(why, why_len, "sms needs an \"authToken\"");
		return -EINVAL;
	}
	if (!from || !(phone_ok(from) || (ck_name_valid(from) && strlen(from) <= 11))) {
		snprintf(why, why_len,
		         "sms \"from\" must be a number such as +15551234567 or a sender id of "
		         "at most 11 characters");
		return -EINVAL;
	}
	if (price && (ck_channels_usd(price, &micros) != 0 || micros > 1000000)) {
		snprintf(why, why_len, "sms \"pricePerSegmentUsd\" must be from 0 to 1");
		return -EINVAL;
	}
	return 0;
}

int ck_channels_config_check(const cJSON *def, cJSON **config, int64_t *cap_micros, char *why,
                             size_t why_len)
{
	*config = NULL;
	*cap_micros = CK_CHANNELS_CAP_DEFAULT_MICROS;
	const cJSON *email = cJSON_GetObjectItemCaseSensitive(def, "email");
	const cJSON *sms = cJSON_GetObjectItemCaseSensitive(def, "sms");
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(def, "monthlyCapUsd");
	if (email && !cJSON_IsNull(email) && check_email(email, why, why_len) != 0)
		return -EINVAL;
	if (sms && !cJSON_IsNull(sms) && check_sms(sms, why, why_len) != 0)
		return -EINVAL;
	if (cap && ck_channels_usd(cap, cap_micros) != 0) {
		snprintf(why, why_len, "\"monthlyCapUsd\" must be a number from 0 to 1000000");
		return -EINVAL;
	}
	cJSON *c = cJSON_CreateObject();
	if (!c)
		return -ENOMEM;
	if (email && !cJSON_IsNull(email))
		cJSON_AddItemToObject(c, "email", cJSON_Duplicate(email, true));
	if (sms && !cJSON_IsNull(sms))
		cJSON_AddItemToObject(c, "sms", cJSON_Duplicate(sms, true));
	*config = c;
	return 0;
}

int ck_channels_sub_check(const char *protocol, const char *endpoint, const cJSON *filter,
                          char *why, size_t why_len)
{
	const char *ep = endpoint ? endpoint : "";
	if (!protocol) {
		snprintf(
		    why, why_len,
		    "a subscription needs a \"protocol\": email, sms, webhook, mqtt or feedback");
		return -EINVAL;
	}
	if (strcmp(protocol, "email") == 0) {
		if (!email_ok(ep)) {
			snprintf(why, why_len,
			         "email endpoint must be an address such as "
			         "ops@example.com");
			return -EINVAL;
		}
	} else if (strcmp(protocol, "sms") == 0) {
		if (!phone_ok(ep)) {
			snprintf(why, why_len,
			         "sms endpoint must be an E.164 number such as +15551234567");
			return -EINVAL;
		}
	} else if (strcmp(protocol, "webhook") == 0) {
		if (!http_url_ok(ep)) {
			snprintf(
			    why, why_len,
			    "webhook endpoint must be a URL starting with http:// or https://");
			return -EINVAL;
		}
	} else if (strcmp(protocol, "mqtt") == 0) {
		if (!ck_topic_name_valid(ep) || ep[0] == '$' ||
		    strncmp(ep, "iotbutton/", 10) == 0) {
			snprintf(
			    why, why_len,
			    "mqtt endpoint must be a topic name without wildcards, not a $ topic "
			    "and not under iotbutton/ (use the feedback protocol for buttons)");
			return -EINVAL;
		}
	} else if (strcmp(protocol, "feedback") == 0) {
		if (ep[0] && !ck_name_valid(ep)) {
			snprintf(why, why_len,
			         "feedback endpoint is a thing name, or empty for the button that "
			         "caused the message");
			return -EINVAL;
		}
	} else {
		snprintf(why, why_len,
		         "unknown protocol \"%.32s\" (known: email, sms, webhook, mqtt, feedback)",
		         protocol);
		return -EINVAL;
	}
	if (filter && !cJSON_IsNull(filter)) {
		char *text = cJSON_PrintUnformatted(filter);
		if (!text)
			return -ENOMEM;
		struct ck_filter *f = NULL;
		int rc = ck_filter_compile(text, strlen(text), &f, why, why_len);
		ck_filter_free(f);
		cJSON_free(text);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- publishing ---------------------------------------------------------- */

struct fanout {
	struct ck_store *s;
	const char *channel;
	const char *subject;
	const char *message;
	const cJSON *attrs; /* normalized */
	const struct ck_channels_origin *o;
	int64_t now_ms;
	struct ck_channels_result *res;
	int64_t message_id;
	int sms_segments; /* -1 when the message cannot be counted */
	char timestamp[32];
};

/* Usage metering (store_usage.h): one notification per delivery, per
 * channel; SMS also in segments, email and webhooks by count, as AWS SNS
 * bills them. Counted when the delivery is written, in the same
 * transaction. */
static int meter_delivery(const struct fanout *f, const char *protocol, int segments)
{
	char month[8];
	ck_usage_month(f->now_ms, month);
	const char *metric = strcmp(protocol, "sms") == 0       ? "sms_segments"
	                     : strcmp(protocol, "email") == 0   ? "emails"
	                     : strcmp(protocol, "webhook") == 0 ? "webhooks"
	                                                        : NULL;
	int64_t n = strcmp(protocol, "sms") == 0 ? segments : 1;
	int rc = ck_store_usage_add(f->s, month, "notifications", "total", "", 1);
	if (rc == 0)
		rc = ck_store_usage_add(f->s, month, "notifications", "channel", f->channel, 1);
	if (rc == 0 && metric)
		rc = ck_store_usage_add(f->s, month, metric, "total", "", n);
	if (rc == 0 && metric)
		rc = ck_store_usage_add(f->s, month, metric, "channel", f->channel, n);
	return rc;
}

static cJSON *envelope(const struct fanout *f, int64_t sub_id)
{
	cJSON *e = cJSON_CreateObject();
	char id[32];
	snprintf(id, sizeof(id), "%lld", (long long)f->message_id);
	cJSON_AddStringToObject(e, "Type", "Notification");
	cJSON_AddStringToObject(e, "MessageId", id);
	cJSON_AddStringToObject(e, "Channel", f->channel);
	cJSON_AddNumberToObject(e, "SubscriptionId", (double)sub_id);
	if (f->subject)
		cJSON_AddStringToObject(e, "Subject", f->subject);
	cJSON_AddStringToObject(e, "Message", f->message);
	cJSON_AddStringToObject(e, "Timestamp", f->timestamp);
	if (f->o->thing)
		cJSON_AddStringToObject(e, "Thing", f->o->thing);
	cJSON_AddItemToObject(e, "MessageAttributes", cJSON_Duplicate(f->attrs, true));
	return e;
}

static int one_delivery(const struct ck_channel_sub *sub, void *ctx)
{
	struct fanout *f = ctx;
	const struct ck_channels_origin *o = f->o;
	int rc = 0;
	if (sub->filter) {
		struct ck_filter *flt = NULL;
		char why[128];
		if (ck_filter_compile(sub->filter, strlen(sub->filter), &flt, why, sizeof(why)) ==
		        0 &&
		    !ck_filter_match(flt, f->attrs)) {
			ck_filter_free(flt);
			f->res->filtered++;
			return 0;
		}
		ck_filter_free(flt);
	}
	char kind[32], key[KEY_MAX], dest[CK_NAME_MAX + 32], action[128];
	const char *error = NULL;
	char error_buf[128];
	int segments = 0;
	snprintf(kind, sizeof(kind), "notify-%s", sub->protocol);
	if (o->key)
		snprintf(key, sizeof(key), "%s/s%lld", o->key, (long long)sub->id);
	else
		snprintf(key, sizeof(key), "ch/%lld/s%lld", (long long)f->message_id,
		         (long long)sub->id);
	snprintf(action, sizeof(action), "{\"type\":\"notify\",\"subscription\":%lld,\"qos\":1}",
	         (long long)sub->id);
	const char *destination = sub->endpoint;
	cJSON *env = NULL;
	char *payload = NULL;
	if (strcmp(sub->protocol, "feedback") == 0) {
		const char *thing = sub->endpoint[0] ? sub->endpoint : o->thing;
		if (!thing) {
			error = "a feedback subscription without a thing needs a message about a "
			        "button";
			thing = "-";
		}
		snprintf(dest, sizeof(dest), "iotbutton/%s/feedback", thing);
		destination = dest;
		payload = strdup(f->message);
	} else {
		env = envelope(f, sub->id);
		payload = env ? cJSON_PrintUnformatted(env) : NULL;
	}
	if (strcmp(sub->protocol, "sms") == 0) {
		segments = f->sms_segments;
		if (segments > CK_CHANNELS_SMS_SEGMENTS_MAX) {
			snprintf(error_buf, sizeof(error_buf),
			         "the message needs %d SMS segments; at most %d are sent", segments,
			         CK_CHANNELS_SMS_SEGMENTS_MAX);
			error = error_buf;
		}
	}
	if (!payload) {
		rc = -ENOMEM;
		goto out;
	}
	int64_t max_age = o->max_age_ms > 0 ? o->max_age_ms : CK_CHANNELS_MAX_AGE_MS;
	struct ck_outbox_entry e = {
		.key = key,
		.rule = o->rule ? o->rule : "",
		.action_index = o->action_index,
		.action = action,
		.kind = kind,
		.destination = destination,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.event_seq = o->event_seq,
		.thing = o->thing,
		.topic = o->topic,
		.client_id = o->client_id,
		.original = o->original,
		.original_len = o->original_len,
		.next_attempt_ms = f->now_ms,
		.created_ms = f->now_ms,
		.expires_ms = f->now_ms + max_age,
		.last_error = error,
	};
	rc = ck_store_outbox_put(f->s, &e, NULL);
	if (rc == 0)
		rc = ck_store_channel_delivery_put(f->s, f->message_id, sub->id, sub->protocol,
		                                   destination, key, segments);
	if (rc == 0)
		f->res->deliveries++;
	if (rc == 0)
		rc = meter_delivery(f, sub->protocol, segments);
out:
	cJSON_Delete(env);
	cJSON_free(payload);
	return rc;
}

static bool utf8_ok(const char *s)
{
	struct ck_segments seg;
	return ck_segments_count(s, strlen(s), &seg) == 0;
}

int ck_channels_notify(struct ck_store *s, const char *channel, const char *subject,
                       const char *message, const cJSON *attributes,
                       const struct ck_channels_origin *o, int64_t now_ms,
                       struct ck_channels_result *res)
{
	static const struct ck_channels_origin none = { .action_index = 0 };
	struct ck_channel_row row = { 0 };
	cJSON *attrs = NULL;
	char *attrs_text = NULL;
	if (!o)
		o = &none;
	memset(res, 0, sizeof(*res));
	if (!message || !message[0] || strlen(message) > CK_CHANNELS_MESSAGE_MAX ||
	    !utf8_ok(message)) {
		snprintf(res->error, sizeof(res->error), "a message is 1 to %d bytes of UTF-8 text",
		         CK_CHANNELS_MESSAGE_MAX);
		return -EINVAL;
	}
	if (subject && (!subject[0] || !single_line(subject, CK_CHANNELS_SUBJECT_MAX * 4) ||
	                !utf8_ok(subject))) {
		snprintf(res->error, sizeof(res->error),
		         "a subject is one line of at most %d characters", CK_CHANNELS_SUBJECT_MAX);
		return -EINVAL;
	}
	int rc = ck_filter_attributes(attributes, &attrs, res->error, sizeof(res->error));
	if (rc != 0)
		return rc;
	rc = ck_store_channel_get(s, channel, &row);
	if (rc == -ENOENT)
		snprintf(res->error, sizeof(res->error), "channel \"%.128s\" does not exist",
		         channel);
	if (rc != 0)
		goto out;
	attrs_text = cJSON_PrintUnformatted(attrs);
	if (!attrs_text) {
		rc = -ENOMEM;
		goto out;
	}
	struct ck_channel_msg m = {
		.channel = channel,
		.subject = subject,
		.message = message,
		.attributes = attrs_text,
		.source = o->source ? o->source : "api",
		.origin_key = o->key,
		.thing = o->thing,
		.event_seq = o->event_seq,
		.created_ms = now_ms,
	};
	rc = ck_store_channel_msg_put(s, &m, &res->message_id);
	if (rc == -EEXIST) { /* this action published it already */
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	struct ck_segments seg = { .segments = 1 };
	ck_segments_count(message, strlen(message), &seg);
	struct fanout f = {
		.s = s,
		.channel = channel,
		.subject = subject,
		.message = message,
		.attrs = attrs,
		.o = o,
		.now_ms = now_ms,
		.res = res,
		.message_id = res->message_id,
		.sms_segments = seg.segments,
	};
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(f.timestamp, sizeof(f.timestamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, (int)(now_ms % 1000));
	rc = ck_store_channel_sub_each(s, channel, one_delivery, &f);
	if (rc == 0)
		ck_info("channels", "message %lld on %s: %d deliveries, %d filtered out",
		        (long long)res->message_id, channel, res->deliveries, res->filtered);
out:
	ck_store_channel_row_cleanup(&row);
	cJSON_Delete(attrs);
	cJSON_free(attrs_text);
	return rc;
}

/* --- views --------------------------------------------------------------- */

int64_t ck_channels_price_micros(const struct ck_channel_row *r)
{
	cJSON *c = cJSON_Parse(r->config);
	const cJSON *sms = cJSON_GetObjectItemCaseSensitive(c, "sms");
	const cJSON *price = cJSON_GetObjectItemCaseSensitive(sms, "pricePerSegmentUsd");
	int64_t micros = CK_CHANNELS_SMS_PRICE_MICROS;
	if (price)
		ck_channels_usd(price, &micros);
	cJSON_Delete(c);
	return micros;
}

cJSON *ck_channels_spend(struct ck_store *s, const struct ck_channel_row *r, int64_t now_ms)
{
	char month[CK_STORE_MONTH_LEN];
	int64_t spent = 0, segments = 0;
	ck_channels_month(now_ms, month);
	if (ck_store_channel_spent(s, r->name, month, NULL, &spent, &segments) != 0)
		return NULL;
	int64_t price = ck_channels_price_micros(r);
	const char *state = "ok";
	if (spent >= r->cap_micros || (price > 0 && spent + price > r->cap_micros))
		state = "stopped";
	else if (spent * 5 >= r->cap_micros * 4)
		state = "warning";
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "month", month);
	cJSON_AddNumberToObject(o, "spentUsd", (double)spent / 1e6);
	cJSON_AddNumberToObject(o, "capUsd", (double)r->cap_micros / 1e6);
	cJSON_AddNumberToObject(o, "smsPricePerSegmentUsd", (double)price / 1e6);
	cJSON_AddNumberToObject(o, "segments", (double)segments);
	cJSON_AddNumberToObject(o, "percent",
	                        r->cap_micros > 0
	                            ? floor((double)spent * 1000.0 / (double)r->cap_micros) / 10.0
	                            : 100.0);
	cJSON_AddStringToObject(o, "state", state);
	return o;
}

/* A provider's settings with every credential replaced by "<name>Set": true. */
static cJSON *redacted(const cJSON *provider, const char *secret)
{
	cJSON *p = cJSON_Duplicate(provider, true);
	if (!p)
		return NULL;
	char flag[64];
	snprintf(flag, sizeof(flag), "%sSet", secret);
	bool set = cJSON_GetObjectItemCaseSensitive(p, secret) != NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(p, secret);
	cJSON_AddBoolToObject(p, flag, set);
	return p;
}

cJSON *ck_channels_view(struct ck_store *s, const struct ck_channel_row *r, int64_t now_ms)
{
	cJSON *v = cJSON_CreateObject();
	cJSON *c = cJSON_Parse(r->config);
	cJSON *spend = ck_channels_spend(s, r, now_ms);
	if (!v || !c || !spend) {
		cJSON_Delete(v);
		cJSON_Delete(c);
		cJSON_Delete(spend);
		return NULL;
	}
	cJSON_AddStringToObject(v, "name", r->name);
	cJSON_AddNumberToObject(v, "createdAt", (double)r->created_ms);
	const cJSON *email = cJSON_GetObjectItemCaseSensitive(c, "email");
	const cJSON *sms = cJSON_GetObjectItemCaseSensitive(c, "sms");
	if (email)
		cJSON_AddItemToObject(v, "email", redacted(email, "password"));
	if (sms)
		cJSON_AddItemToObject(v, "sms", redacted(sms, "authToken"));
	cJSON_AddNumberToObject(v, "monthlyCapUsd", (double)r->cap_micros / 1e6);
	cJSON_AddItemToObject(v, "spend", spend);
	cJSON_AddBoolToObject(v, "capWarning",
	                      strcmp(cJSON_GetObjectItem(spend, "state")->valuestring, "ok") != 0);
	cJSON_Delete(c);
	return v;
}
