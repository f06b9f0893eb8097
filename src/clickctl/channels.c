/*
 * clickctl's "channels" commands (the SNS counterpart): create, list and
 * delete channels; subscribe and unsubscribe; publish; delivery status per
 * message; the monthly spend cap. Everything goes through the HTTP API
 * (docs/api.md "Channels"); credentials given on the command line are sent
 * to clickd and never printed.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

/* "/channels/<escaped name><suffix>" into path; usage failure when too long. */
static int channel_path(const char *name, const char *suffix, char *path, size_t len)
{
	char esc[3 * 128 + 1];
	if (ck_cli_url_escape(name, esc, sizeof(esc)) < 0)
		return -EINVAL;
	int n = snprintf(path, len, "/channels/%s%s", esc, suffix);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* Parses --NAME's JSON value into *out (NULL when the option is absent). */
static int json_opt(struct ck_ctl *c, int id, const char *opt, cJSON **out)
{
	*out = NULL;
	const char *text = ck_cli_opt_value(c->args, id);
	if (!text)
		return CK_CTL_EXIT_OK;
	*out = cJSON_Parse(text);
	if (!*out)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--%s is not valid JSON", opt);
	return CK_CTL_EXIT_OK;
}

static int number_opt(struct ck_ctl *c, int id, const char *opt, double *v, bool *given)
{
	const char *text = ck_cli_opt_value(c->args, id);
	*given = text != NULL;
	if (!text)
		return CK_CTL_EXIT_OK;
	char *end = NULL;
	*v = strtod(text, &end);
	if (!*text || *end)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--%s needs a number, not \"%s\"", opt, text);
	return CK_CTL_EXIT_OK;
}

/* Sends a request and prints the answer as JSON, or line when not --json. */
static int call(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                const char *line)
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (c->json || !line)
		rc = ck_ctl_print_json(resp);
	else
		printf("%s\n", line);
	cJSON_Delete(resp);
	return rc;
}

/* clickctl channels create NAME [--config-json JSON] [--monthly-usd X]. */
int ck_ctl_channels_create(struct ck_ctl *c)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels create needs exactly one NAME");
	cJSON *body = NULL;
	double cap = 0;
	bool has_cap = false;
	int rc = json_opt(c, CK_CTL_OPT_CONFIG_JSON, "config-json", &body);
	if (rc == CK_CTL_EXIT_OK)
		rc = number_opt(c, CK_CTL_OPT_MONTHLY_USD, "monthly-usd", &cap, &has_cap);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (!body)
		body = cJSON_CreateObject();
	if (!cJSON_IsObject(body)) {
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "--config-json must be a JSON object");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(body, "name");
	cJSON_AddStringToObject(body, "name", c->operands[0]);
	if (has_cap) {
		cJSON_DeleteItemFromObjectCaseSensitive(body, "monthlyCapUsd");
		cJSON_AddNumberToObject(body, "monthlyCapUsd", cap);
	}
	char line[256];
	snprintf(line, sizeof(line), "channel %s created", c->operands[0]);
	rc = call(c, "POST", "/channels", body, line);
out:
	cJSON_Delete(body);
	return rc;
}

/* One channel's row: NAME EMAIL SMS CAP SPENT STATE. */
static int channel_row(struct ck_cli_table *t, const cJSON *it)
{
	const cJSON *spend = cJSON_GetObjectItemCaseSensitive(it, "spend");
	const cJSON *email = cJSON_GetObjectItemCaseSensitive(it, "email");
	const cJSON *sms = cJSON_GetObjectItemCaseSensitive(it, "sms");
	const cJSON *spent = cJSON_GetObjectItemCaseSensitive(spend, "spentUsd");
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(it, "monthlyCapUsd");
	char cap_s[32], spent_s[32];
	snprintf(cap_s, sizeof(cap_s), "%.6g", cJSON_IsNumber(cap) ? cap->valuedouble : 0);
	snprintf(spent_s, sizeof(spent_s), "%.6g", cJSON_IsNumber(spent) ? spent->valuedouble : 0);
	const char *email_s = email ? ck_ctl_json_str(email, "url") : NULL;
	const char *sms_s = sms ? ck_ctl_json_str(sms, "url") : NULL;
	const char *row[] = { ck_ctl_json_str(it, "name"),
		              email_s ? email_s : "-",
		              sms_s ? sms_s : "-",
		              cap_s,
		              spent_s,
		              ck_ctl_json_str(spend, "state") };
	return ck_cli_table_add(t, row);
}

/* clickctl channels list: NAME EMAIL SMS CAP SPENT STATE. */
int ck_ctl_channels_list(struct ck_ctl *c)
{
	static const char *const head[] = {
		"NAME", "EMAIL", "SMS", "CAP-USD", "SPENT-USD", "STATE"
	};
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels list takes no arguments");
	return ck_ctl_list_print(c, "/channels", 6, head, channel_row);
}

/* clickctl channels delete NAME. */
int ck_ctl_channels_delete(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN], line[256];
	if (c->n_operands != 1 || channel_path(c->operands[0], "", path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels delete needs exactly one NAME");
	snprintf(line, sizeof(line), "channel %s deleted", c->operands[0]);
	return call(c, "DELETE", path, NULL, line);
}

/* clickctl channels subscribe NAME PROTOCOL [ENDPOINT] [--filter-json J] [--secret S]. */
int ck_ctl_channels_subscribe(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];
	if (c->n_operands < 2 || c->n_operands > 3 ||
	    channel_path(c->operands[0], "/subscriptions", path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "channels subscribe needs NAME PROTOCOL [ENDPOINT]");
	cJSON *filter = NULL;
	int rc = json_opt(c, CK_CTL_OPT_FILTER_JSON, "filter-json", &filter);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "protocol", c->operands[1]);
	if (c->n_operands == 3)
		cJSON_AddStringToObject(body, "endpoint", c->operands[2]);
	if (filter)
		cJSON_AddItemToObject(body, "filterPolicy", filter);
	const char *secret = ck_cli_opt_value(c->args, CK_CTL_OPT_SECRET);
	if (secret)
		cJSON_AddStringToObject(body, "secret", secret);
	/* The answer holds a webhook's secret, shown this once: print it all. */
	rc = call(c, "POST", path, body, NULL);
	cJSON_Delete(body);
	return rc;
}

/* clickctl channels unsubscribe NAME ID. */
int ck_ctl_channels_unsubscribe(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN], suffix[64], line[256];
	char *end = NULL;
	long long id = c->n_operands == 2 ? strtoll(c->operands[1], &end, 10) : 0;
	if (c->n_operands != 2 || !c->operands[1][0] || *end || id <= 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "channels unsubscribe needs NAME and a subscription ID");
	snprintf(suffix, sizeof(suffix), "/subscriptions/%lld", id);
	if (channel_path(c->operands[0], suffix, path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channel name too long");
	snprintf(line, sizeof(line), "subscription %lld deleted", id);
	return call(c, "DELETE", path, NULL, line);
}

/* Collects --attr KEY=VALUE (strings) and --attributes-json into body. */
static int publish_attrs(struct ck_ctl *c, cJSON *body)
{
	cJSON *attrs = NULL;
	int rc = json_opt(c, CK_CTL_OPT_ATTRIBUTES_JSON, "attributes-json", &attrs);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (attrs && !cJSON_IsObject(attrs)) {
		cJSON_Delete(attrs);
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attributes-json must be a JSON object");
	}
	for (size_t i = 0; i < c->args->n_opts; i++) {
		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		const char *arg = c->args->opts[i].value;
		size_t key_len;
		char key[257];
		if (ck_cli_attr_split(arg, &key_len) < 0 || key_len >= sizeof(key)) {
			cJSON_Delete(attrs);
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"",
			                   arg);
		}
		memcpy(key, arg, key_len);
		key[key_len] = '\0';
		if (!attrs)
			attrs = cJSON_CreateObject();
		cJSON_DeleteItemFromObjectCaseSensitive(attrs, key);
		cJSON_AddStringToObject(attrs, key, arg + key_len + 1);
	}
	if (attrs)
		cJSON_AddItemToObject(body, "attributes", attrs);
	return CK_CTL_EXIT_OK;
}

/* clickctl channels publish NAME MESSAGE [--subject S] [--attr K=V]... */
int ck_ctl_channels_publish(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];
	if (c->n_operands != 2 || channel_path(c->operands[0], "/publish", path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels publish needs NAME and MESSAGE");
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "message", c->operands[1]);
	const char *subject = ck_cli_opt_value(c->args, CK_CTL_OPT_SUBJECT);
	const char *thing = ck_cli_opt_value(c->args, CK_CTL_OPT_THING);
	if (subject)
		cJSON_AddStringToObject(body, "subject", subject);
	if (thing)
		cJSON_AddStringToObject(body, "thing", thing);
	int rc = publish_attrs(c, body);
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	if (rc == CK_CTL_EXIT_OK)
		rc = ck_ctl_api(c->http, "POST", path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK && c->json) {
		rc = ck_ctl_print_json(resp);
	} else if (rc == CK_CTL_EXIT_OK) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(resp, "messageId");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(resp, "deliveries");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(resp, "filtered");
		printf("message %.0f: %.0f deliveries, %.0f filtered out\n",
		       cJSON_IsNumber(id) ? id->valuedouble : 0,
		       cJSON_IsNumber(n) ? n->valuedouble : 0,
		       cJSON_IsNumber(f) ? f->valuedouble : 0);
	}
	cJSON_Delete(resp);
	cJSON_Delete(body);
	return rc;
}

/* clickctl channels deliveries NAME [--message ID]. */
int ck_ctl_channels_deliveries(struct ck_ctl *c)
{
	static const char *const head[] = { "MESSAGE", "SUB",      "PROTOCOL", "ENDPOINT",
		                            "STATE",   "ATTEMPTS", "ERROR" };
	char path[PATH_MAX_LEN], suffix[64] = "/deliveries";
	const char *msg = ck_cli_opt_value(c->args, CK_CTL_OPT_MESSAGE);
	if (msg) {
		char *end = NULL;
		long long id = strtoll(msg, &end, 10);
		if (!*msg || *end || id <= 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--message needs a message id");
		snprintf(suffix, sizeof(suffix), "/deliveries?message=%lld", id);
	}
	if (c->n_operands != 1 || channel_path(c->operands[0], suffix, path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels deliveries needs exactly one NAME");
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	struct ck_cli_table *t = NULL;
	int rc = ck_ctl_api(c->http, "GET", path, NULL, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(resp, "items"), *it;
	if (c->json) {
		rc = ck_ctl_print_json(resp);
		goto out;
	}
	t = ck_cli_table_new(7, head);
	cJSON_ArrayForEach(it, items)
	{
		char m[32], s[32], a[32];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "messageId");
		snprintf(m, sizeof(m), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
		v = cJSON_GetObjectItemCaseSensitive(it, "subscriptionId");
		snprintf(s, sizeof(s), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
		v = cJSON_GetObjectItemCaseSensitive(it, "attempts");
		snprintf(a, sizeof(a), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
		const char *err = ck_ctl_json_str(it, "lastError");
		const char *row[] = { m,
			              s,
			              ck_ctl_json_str(it, "protocol"),
			              ck_ctl_json_str(it, "endpoint"),
			              ck_ctl_json_str(it, "state"),
			              a,
			              err ? err : "-" };
		if (!t || ck_cli_table_add(t, row) < 0) {
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
			goto out;
		}
	}
	rc = ck_ctl_print_table(t);
out:
	ck_cli_table_free(t);
	cJSON_Delete(resp);
	return rc;
}

/* clickctl channels cap NAME [--monthly-usd X]: shows, or sets then shows. */
int ck_ctl_channels_cap(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];
	double usd = 0;
	bool set = false;
	if (c->n_operands != 1 || channel_path(c->operands[0], "/cap", path, sizeof(path)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "channels cap needs exactly one NAME");
	int rc = number_opt(c, CK_CTL_OPT_MONTHLY_USD, "monthly-usd", &usd, &set);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = NULL;
	if (set) {
		body = cJSON_CreateObject();
		cJSON_AddNumberToObject(body, "monthlyUsd", usd);
	}
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	rc = ck_ctl_api(c->http, set ? "PUT" : "GET", path, body, &resp, &e);
	cJSON_Delete(body);
	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (c->json) {
		rc = ck_ctl_print_json(resp);
	} else {
		const cJSON *spent = cJSON_GetObjectItemCaseSensitive(resp, "spentUsd");
		const cJSON *cap = cJSON_GetObjectItemCaseSensitive(resp, "capUsd");
		const cJSON *pct = cJSON_GetObjectItemCaseSensitive(resp, "percent");
		printf("%s %s: spent %.6g of %.6g USD (%.1f%%), %s\n", c->operands[0],
		       ck_ctl_json_str(resp, "month") ? ck_ctl_json_str(resp, "month") : "-",
		       cJSON_IsNumber(spent) ? spent->valuedouble : 0,
		       cJSON_IsNumber(cap) ? cap->valuedouble : 0,
		       cJSON_IsNumber(pct) ? pct->valuedouble : 0,
		       ck_ctl_json_str(resp, "state") ? ck_ctl_json_str(resp, "state") : "-");
	}
	cJSON_Delete(resp);
	return rc;
}
