/*
 * Channel deliveries over libcurl (see delivery.h).
 */
#include "channels/delivery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "channels/channels.h"
#include "channels/segments.h"
#include "channels/signature.h"
#include "core/log.h"
#include "store/store_channels.h"

#define BODY_MAX 4096
#define HDR_MAX  512

bool ck_delivery_is_channel(const char *kind)
{
	return strncmp(kind, CK_DELIVERY_KIND_PREFIX, strlen(CK_DELIVERY_KIND_PREFIX)) == 0;
}

bool ck_delivery_is_mqtt(const char *kind)
{
	return strcmp(kind, "notify-mqtt") == 0 || strcmp(kind, "notify-feedback") == 0;
}

/* What an attempt works on: the envelope and the channel's row and settings. */
struct attempt {
	cJSON *env;
	const char *channel, *subject, *message;
	int64_t sub_id;
	struct ck_channel_row row;
	cJSON *config;
};

static void attempt_cleanup(struct attempt *a)
{
	cJSON_Delete(a->env);
	cJSON_Delete(a->config);
	ck_store_channel_row_cleanup(&a->row);
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int attempt_load(struct ck_store *s, const struct ck_delivery *d, struct attempt *a,
                        char *err, size_t err_len)
{
	memset(a, 0, sizeof(*a));
	a->env = cJSON_ParseWithLength((const char *)d->payload, d->payload_len);
	a->channel = str_of(a->env, "Channel");
	a->message = str_of(a->env, "Message");
	a->subject = str_of(a->env, "Subject");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(a->env, "SubscriptionId");
	a->sub_id = cJSON_IsNumber(sub) ? (int64_t)sub->valuedouble : 0;
	if (!a->channel || !a->message) {
		snprintf(err, err_len, "the delivery's notification is malformed");
		return -1;
	}
	int rc = ck_store_channel_get(s, a->channel, &a->row);
	if (rc == -ENOENT) {
		snprintf(err, err_len, "channel %s was deleted", a->channel);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, err_len, "cannot read channel %s from the store", a->channel);
		return 1;
	}
	a->config = cJSON_Parse(a->row.config);
	return a->config ? 0 : 1;
}

/* --- a growing buffer for response bodies and mail text ------------------ */

struct buf {
	char *p;
	size_t len, cap, max, off;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static size_t keep_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t take = size * n;
	if (b->len + take > b->max)
		take = b->max > b->len ? b->max - b->len : 0;
	if (take)
		buf_add(b, p, take);
	return size * n;
}

static size_t read_buf(char *dst, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t left = b->len - b->off, take = size * n < left ? size * n : left;
	memcpy(dst, b->p + b->off, take);
	b->off += take;
	return take;
}

/* --- email --------------------------------------------------------------- */

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static int add_b64_word(struct buf *b, const char *s)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int rc = buf_add(b, "=?UTF-8?B?", 10);
	for (size_t i = 0; rc == 0 && i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
			      i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '=' };
		rc = buf_add(b, q, 4);
	}
	return rc ? rc : buf_add(b, "?=", 2);
}

/* Builds the RFC 5322 message: headers, then the body with CRLF line ends. */
static int mail_text(struct buf *b, const struct attempt *a, const char *from, const char *to,
                     const struct ck_delivery *d)
{
	char line[HDR_MAX + 64];
	time_t t = (time_t)(d->now_ms / 1000);
	struct tm tm;
	char date[64];
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char subject[HDR_MAX];
	snprintf(subject, sizeof(subject), "%s", a->subject ? a->subject : "clickd notification");
	subject[strcspn(subject, "\r\n")] = '\0';
	int rc = 0;
	snprintf(line, sizeof(line), "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: ", date, from,
	         to);
	rc = rc ? rc : buf_add(b, line, strlen(line));
	if (is_ascii(subject))
		rc = rc ? rc : buf_add(b, subject, strlen(subject));
	else
		rc = rc ? rc : add_b64_word(b, subject);
	snprintf(line, sizeof(line),
	         "\r\nMessage-ID: <%s.%lld@clickd>\r\nMIME-Version: 1.0\r\n"
	         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
	         "X-Clickd-Channel: %s\r\n\r\n",
	         d->key, (long long)d->now_ms, a->channel);
	for (char *c = line; *c; c++)
		if (*c == '/')
			*c = '.';
	rc = rc ? rc : buf_add(b, line, strlen(line));
	for (const char *p = a->message; rc == 0 && *p; p++) {
		if (*p == '\r')
			continue;
		rc = *p == '\n' ? buf_add(b, "\r\n", 2) : buf_add(b, p, 1);
	}
	return rc ? rc : buf_add(b, "\r\n", 2);
}

static int deliver_email(CURL *h, const struct attempt *a, const struct ck_delivery *d, char *err,
                         size_t err_len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(a->config, "email");
	if (!e) {
		snprintf(err, err_len, "channel %s has no email settings", a->channel);
		return -1;
	}
	const char *url = str_of(e, "url"), *from = str_of(e, "from"), *tls = str_of(e, "tls");
	const char *user = str_of(e, "username"), *pass = str_of(e, "password");
	const char *ca = str_of(e, "caFile");
	struct buf mail = { 0 };
	struct curl_slist *rcpt = NULL;
	char addr[HDR_MAX];
	int out = 1;
	if (mail_text(&mail, a, from, d->destination, d) != 0) {
		snprintf(err, err_len, "out of memory");
		goto done;
	}
	snprintf(addr, sizeof(addr), "<%s>", d->destination);
	rcpt = curl_slist_append(NULL, addr);
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_buf);
	curl_easy_setopt(h, CURLOPT_READDATA, &mail);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)mail.len);
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 tls && strcmp(tls, "none") == 0 ? (long)CURLUSESSL_NONE
	                                                 : (long)CURLUSESSL_ALL);
	if (user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pass);
	}
	if (ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		out = 0;
	} else if (rc == CURLE_LOGIN_DENIED) {
		snprintf(err, err_len, "the SMTP server refused the credentials");
		out = -1;
	} else {
		snprintf(err, err_len, "SMTP: %s (reply %ld)", curl_easy_strerror(rc), code);
		out = code >= 500 && code < 600 ? -1 : 1;
	}
done:
	curl_slist_free_all(rcpt);
	free(mail.p);
	return out;
}

/* --- SMS ------------------------------------------------------------------ */

static void money(char *out, size_t len, int64_t micros)
{
	snprintf(out, len, "$%lld.%06lld", (long long)(micros / 1000000),
	         (long long)(micros % 1000000));
	/* Drop trailing zeros past the cents, as people write amounts. */
	size_t n = strlen(out), keep = (size_t)(strchr(out, '.') - out) + 3;
	while (n > keep && out[n - 1] == '0')
		out[--n] = '\0';
}

/* Sends the 80% warning to the admin channel, in the caller's transaction. */
static void warn_admin(struct ck_store *s, const struct attempt *a, const char *month,
                       int64_t spent, int64_t now_ms)
{
	char msg[512], sp[32], cap[32];
	money(sp, sizeof(sp), spent);
	money(cap, sizeof(cap), a->row.cap_micros);
	snprintf(msg, sizeof(msg),
	         "Channel %s has spent %s of its %s monthly SMS cap for %s (80%% or more). "
	         "At 100%% SMS deliveries stop; raise the cap with: clickctl channels cap %s "
	         "--monthly-usd AMOUNT",
	         a->channel, sp, cap, month, a->channel);
	struct ck_channels_origin o = { .source = "clickd" };
	struct ck_channels_result res;
	int rc = ck_channels_notify(s, CK_CHANNELS_ADMIN, "clickd: SMS spend warning", msg, NULL,
	                            &o, now_ms, &res);
	if (rc != 0)
		ck_warn("channels", "%s (no admin channel to tell: %s)", msg, res.error);
	else
		ck_warn("channels", "%s", msg);
}

/* Reserves the cost of this SMS under the cap; 0, or -1 (cap) / 1 (store). */
static int reserve(struct ck_store *s, const struct attempt *a, const struct ck_delivery *d,
                   int segments, char *err, size_t err_len)
{
	char month[CK_STORE_MONTH_LEN];
	ck_channels_month(d->now_ms, month);
	int64_t price = ck_channels_price_micros(&a->row);
	int64_t cost = price * segments, spent = 0;
	int rc = ck_store_begin(s);
	if (rc == 0)
		rc = ck_store_channel_spent(s, a->channel, month, d->key, &spent, NULL);
	if (rc == 0 && spent + cost > a->row.cap_micros) {
		char sp[32], cap[32], c[32];
		money(sp, sizeof(sp), spent);
		money(cap, sizeof(cap), a->row.cap_micros);
		money(c, sizeof(c), cost);
		snprintf(err, err_len,
		         "monthly spend cap reached: channel %s has spent %s of its %s cap for %s; "
		         "this SMS (%d segment%s, %s) was not sent",
		         a->channel, sp, cap, month, segments, segments == 1 ? "" : "s", c);
		ck_store_rollback(s);
		return -1;
	}
	if (rc == 0)
		rc = ck_store_channel_reserve(s, d->key, a->channel, month, segments, cost,
		                              d->now_ms);
	bool warn = rc == 0 && (spent + cost) * 5 >= a->row.cap_micros * 4 &&
	            strcmp(a->row.warned_month, month) != 0;
	if (warn)
		rc = ck_store_channel_set_warned(s, a->channel, month);
	if (warn && rc == 0)
		warn_admin(s, a, month, spent + cost, d->now_ms);
	if (rc == 0)
		rc = ck_store_commit(s);
	if (rc != 0) {
		ck_store_rollback(s);
		snprintf(err, err_len, "cannot record the SMS spend in the store");
		return 1;
	}
	return 0;
}

static int form_add(struct buf *b, CURL *h, const char *name, const char *value)
{
	char *v = curl_easy_escape(h, value, 0);
	if (!v)
		return -ENOMEM;
	int rc = b->len ? buf_add(b, "&", 1) : 0;
	rc = rc ? rc : buf_add(b, name, strlen(name));
	rc = rc ? rc : buf_add(b, "=", 1);
	rc = rc ? rc : buf_add(b, v, strlen(v));
	curl_free(v);
	return rc;
}

static int deliver_sms(struct ck_store *s, CURL *h, const struct attempt *a,
                       const struct ck_delivery *d, char *err, size_t err_len)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(a->config, "sms");
	if (!m) {
		snprintf(err, err_len, "channel %s has no SMS gateway", a->channel);
		return -1;
	}
	struct ck_segments seg;
	if (ck_segments_count(a->message, strlen(a->message), &seg) != 0) {
		snprintf(err, err_len, "the message is not UTF-8");
		return -1;
	}
	int out = reserve(s, a, d, seg.segments, err, err_len);
	if (out != 0)
		return out;
	const char *base = str_of(m, "url"), *sid = str_of(m, "accountSid");
	char url[2600];
	snprintf(url, sizeof(url), "%s%s2010-04-01/Accounts/%s/Messages.json", base,
	         base[strlen(base) - 1] == '/' ? "" : "/", sid);
	struct buf form = { 0 }, body = { .max = BODY_MAX };
	struct curl_slist *hdrs = NULL;
	char line[HDR_MAX];
	out = 1;
	curl_easy_reset(h);
	if (form_add(&form, h, "To", d->destination) ||
	    form_add(&form, h, "From", str_of(m, "from")) ||
	    form_add(&form, h, "Body", a->message)) {
		snprintf(err, err_len, "out of memory");
		goto done;
	}
	snprintf(line, sizeof(line), "Idempotency-Key: %s", d->key);
	hdrs = curl_slist_append(hdrs, line);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.p);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, sid);
	curl_easy_setopt(h, CURLOPT_PASSWORD, str_of(m, "authToken"));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "clickd/" CK_VERSION);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(err, err_len, "SMS gateway: %s", curl_easy_strerror(rc));
	} else if (status >= 200 && status < 300) {
		out = 0;
	} else {
		cJSON *j = body.p ? cJSON_Parse(body.p) : NULL;
		const char *why = str_of(j, "message");
		snprintf(err, err_len, "SMS gateway answered HTTP %ld%s%.160s", status,
		         why ? ": " : "", why ? why : "");
		cJSON_Delete(j);
		out = status == 408 || status == 425 || status == 429 || status >= 500 ? 1 : -1;
	}
done:
	/* A failed attempt gives its reservation back; a sent one keeps it. */
	if (ck_store_channel_reservation_end(s, d->key, out == 0) != 0)
		ck_error("channels", "cannot record the SMS spend of %s", d->key);
	curl_slist_free_all(hdrs);
	free(form.p);
	free(body.p);
	return out;
}

/* --- webhook -------------------------------------------------------------- */

struct find_sub {
	int64_t id;
	char *secret;
	bool found;
};

static int find_secret(const struct ck_channel_sub *sub, void *ctx)
{
	struct find_sub *f = ctx;
	if (sub->id != f->id)
		return 0;
	f->found = true;
	f->secret = sub->secret ? strdup(sub->secret) : NULL;
	return 1;
}

static int deliver_webhook(struct ck_store *s, CURL *h, const struct attempt *a,
                           const struct ck_delivery *d, char *err, size_t err_len)
{
	struct find_sub f = { .id = a->sub_id };
	int rc = ck_store_channel_sub_each(s, a->channel, find_secret, &f);
	if (rc < 0) {
		snprintf(err, err_len, "cannot read the subscription from the store");
		return 1;
	}
	if (!f.found || !f.secret) {
		snprintf(err, err_len, "subscription %lld of channel %s was deleted",
		         (long long)a->sub_id, a->channel);
		free(f.secret);
		return -1;
	}
	int64_t ts = d->now_ms / 1000;
	char sig[CK_SIGNATURE_HEX], line[HDR_MAX];
	rc = ck_signature_hmac(f.secret, ts, d->payload, d->payload_len, sig);
	free(f.secret);
	if (rc != 0) {
		snprintf(err, err_len, "cannot sign the request");
		return 1;
	}
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "X-Clickd-Message-Type: Notification");
	snprintf(line, sizeof(line), "Idempotency-Key: %s", d->key);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Channel: %s", a->channel);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Message-Id: %s", str_of(a->env, "MessageId"));
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Timestamp: %lld", (long long)ts);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Signature: v1=%s", sig);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Attempt: %d", d->attempt);
	hdrs = curl_slist_append(hdrs, line);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, d->destination);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)d->payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->payload_len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	struct buf body = { .max = 0 };
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "clickd/" CK_VERSION);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	free(body.p);
	long status = 0;
	if (cc != CURLE_OK) {
		snprintf(err, err_len, "%s", curl_easy_strerror(cc));
		return cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ? -1 : 1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 0;
	snprintf(err, err_len, "HTTP status %ld", status);
	return status == 408 || status == 425 || status == 429 || status >= 500 ? 1 : -1;
}

int ck_delivery_run(struct ck_store *s, CURL *curl, const struct ck_delivery *d, char *err,
                    size_t err_len)
{
	struct attempt a;
	int out = attempt_load(s, d, &a, err, err_len);
	if (out != 0)
		goto done;
	if (strcmp(d->kind, "notify-email") == 0)
		out = deliver_email(curl, &a, d, err, err_len);
	else if (strcmp(d->kind, "notify-sms") == 0)
		out = deliver_sms(s, curl, &a, d, err, err_len);
	else if (strcmp(d->kind, "notify-webhook") == 0)
		out = deliver_webhook(s, curl, &a, d, err, err_len);
	else {
		snprintf(err, err_len, "unknown delivery kind %s", d->kind);
		out = -1;
	}
done:
	attempt_cleanup(&a);
	return out;
}
