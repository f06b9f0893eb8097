/*
 * clickctl's "cost" command: "cost estimate" reads a price file (--prices,
 * else the first one found next to clickctl, in the source tree's data/ or
 * under share/clickd/prices), estimates a workload with the pure cost model
 * (src/cost) and prints the AWS line items next to the self-hosted ones as
 * a table, JSON or CSV. It needs neither clickd nor a token. Every bad
 * argument or price file is a usage error: one line, exit 2.
 */
#include "clickctl/clickctl.h"
#include "cost/cost.h"
#include "cost/prices_file.h"
#include "cost/usage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRICES_NAME CK_COST_PRICES_NAME

static int load_prices(struct ck_ctl *c, struct ck_cost_prices **out, char *path, size_t len);

enum format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

/* Parses the value of --name as a whole number in [min, max] into *out,
 * leaving *out alone when the option is absent. Returns 0, or prints the
 * error and returns CK_CTL_EXIT_USAGE. */
static int opt_count(const struct ck_ctl *c, int id, const char *name, int64_t min, int64_t max,
                     int64_t *out)
{
	const char *s = ck_cli_opt_value(c->args, id);
	long long v;
	char *end;

	if (!s)
		return 0;
	if (s[0] < '0' || s[0] > '9' || strlen(s) > 19)
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return ck_ctl_fail(CK_CTL_EXIT_USAGE,
	                   "--%s must be a whole number from %lld to %lld, not '%s'", name,
	                   (long long)min, (long long)max, s);
}

/* Money as "$193.50": exact, at least two decimals. */
static const char *usd(int64_t v, char *buf, size_t len)
{
	buf[0] = '$';
	if (ck_cost_format(v, 2, buf + 1, len - 1) < 0)
		snprintf(buf, len, "?");
	return buf;
}

/* Inserts thousands separators into the integer part of a decimal. */
static const char *grouped(const char *s, char *buf, size_t len)
{
	size_t digits = strspn(s, "0123456789"), o = 0;

	for (size_t i = 0; s[i] && o + 2 < len; i++) {
		if (i > 0 && i < digits && (digits - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *qty(int64_t v, char *buf, size_t len)
{
	char raw[40];

	if (ck_cost_format_qty(v, 0, raw, sizeof(raw)) < 0)
		return "?";
	return grouped(raw, buf, len);
}

/* "$1.00 per 1M messages", "$80.00 over 1095 days". */
static const char *price_text(const struct ck_cost_line *l, const struct ck_cost_prices *p,
                              char *buf, size_t len)
{
	char amount[48];

	usd(p->p[l->price].value, amount, sizeof(amount));
	if (l->item == CK_COST_ITEM_SELF_SERVER)
		snprintf(buf, len, "%s over %lld days", amount,
		         (long long)(p->p[CK_COST_KEY_SELF_SERVER_LIFE].value / CK_COST_SCALE));
	else
		snprintf(buf, len, "%s %s", amount, ck_cost_key_per(l->price));
	return buf;
}

static int print_table(const struct ck_cost_input *in, const struct ck_cost_estimate *e,
                       const struct ck_cost_prices *p, const char *path)
{
	static const char *const aws_head[] = {
		"AWS", "QUANTITY", "FREE", "BILLED", "PRICE", "COST"
	};
	static const char *const self_head[] = { "SELF-HOSTED", "QUANTITY", "PRICE", "COST" };
	static const char *const sum_head[] = { "TOTAL", "AWS", "SELF-HOSTED" };
	struct ck_cli_table *t[3] = { ck_cli_table_new(6, aws_head), ck_cli_table_new(4, self_head),
		                      ck_cli_table_new(3, sum_head) };
	char presses[40], buf[8][96];
	int rc = CK_CTL_EXIT_FAIL;

	for (int i = 0; i < 3; i++) {
		if (!t[i])
			goto out;
	}
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		const struct ck_cost_line *l = &e->lines[i];
		char q[64], cost[64];
		snprintf(q, sizeof(q), "%s %s", qty(l->quantity, buf[0], sizeof(buf[0])), l->unit);
		snprintf(cost, sizeof(cost), "%s%s", usd(l->cost, buf[1], sizeof(buf[1])),
		         l->rounded ? " (rounded)" : "");
		price_text(l, p, buf[2], sizeof(buf[2]));
		if (l->side == CK_COST_AWS) {
			const char *row[] = { l->name,
				              q,
				              l->free ? qty(l->free, buf[3], sizeof(buf[3])) : "-",
				              qty(l->billed, buf[4], sizeof(buf[4])),
				              buf[2],
				              cost };
			if (ck_cli_table_add(t[0], row) < 0)
				goto out;
		} else {
			const char *row[] = { l->name, q, buf[2], cost };
			if (ck_cli_table_add(t[1], row) < 0)
				goto out;
		}
	}
	for (int with = 0; with < 2; with++) {
		const int64_t *tot = with ? e->total : e->total_without_sms;
		char a[96], s[96];
		snprintf(a, sizeof(a), "%s (≈ %s)", usd(tot[CK_COST_AWS], buf[0], sizeof(buf[0])),
		         usd(ck_cost_round(tot[CK_COST_AWS], 2), buf[1], sizeof(buf[1])));
		snprintf(s, sizeof(s), "%s (≈ %s)", usd(tot[CK_COST_SELF], buf[2], sizeof(buf[2])),
		         usd(ck_cost_round(tot[CK_COST_SELF], 2), buf[3], sizeof(buf[3])));
		const char *row[] = { with ? "with SMS" : "without SMS", a, s };
		if (ck_cli_table_add(t[2], row) < 0)
			goto out;
	}
	snprintf(presses, sizeof(presses), "%lld", (long long)e->presses);
	printf("Estimate for %lld buttons x %lld presses a day x %lld days = %s presses\n",
	       (long long)in->buttons, (long long)in->presses_per_day, (long long)in->days,
	       grouped(presses, buf[5], sizeof(buf[5])));
	printf("Per press: %lld SMS, %lld emails, %lld webhooks; %s\n",
	       (long long)in->sms_per_press, (long long)in->emails_per_press,
	       (long long)in->webhooks_per_press,
	       in->free_tier ? "AWS always-free monthly allowances applied" : "no AWS free tier");
	printf("Prices: %s\n\n", path);
	for (int i = 0; i < 3; i++) {
		if (i > 0)
			putchar('\n');
		rc = ck_ctl_print_table(t[i]);
		if (rc != CK_CTL_EXIT_OK)
			goto out;
	}
	rc = CK_CTL_EXIT_OK;
out:
	if (rc == CK_CTL_EXIT_FAIL)
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	for (int i = 0; i < 3; i++)
		ck_cli_table_free(t[i]);
	return rc;
}

static bool add_decimal(cJSON *o, const char *key, int64_t v, bool quantity)
{
	char buf[48];

	if ((quantity ? ck_cost_format_qty(v, 0, buf, sizeof(buf))
	              : ck_cost_format(v, 2, buf, sizeof(buf))) < 0)
		return false;
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static cJSON *json_side(const struct ck_cost_estimate *e, const struct ck_cost_prices *p,
                        enum ck_cost_side side)
{
	cJSON *o = cJSON_CreateObject(), *lines = cJSON_AddArrayToObject(o, "lines");
	char buf[48];

	if (!o || !lines)
		goto fail;
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		const struct ck_cost_line *l = &e->lines[i];
		const struct ck_cost_price *pr = &p->p[l->price];
		cJSON *j;
		if (l->side != side)
			continue;
		j = cJSON_CreateObject();
		if (!j || !cJSON_AddItemToArray(lines, j))
			goto fail_item;
		if (ck_cost_format(pr->value, 2, buf, sizeof(buf)) < 0 ||
		    !cJSON_AddStringToObject(j, "id", l->id) ||
		    !cJSON_AddStringToObject(j, "name", l->name) ||
		    !add_decimal(j, "quantity", l->quantity, true) ||
		    !cJSON_AddStringToObject(j, "unit", l->unit) ||
		    !add_decimal(j, "free", l->free, true) ||
		    !add_decimal(j, "billed", l->billed, true) ||
		    !cJSON_AddStringToObject(j, "price", buf) ||
		    !cJSON_AddStringToObject(j, "price_unit", ck_cost_key_unit(l->price)) ||
		    !cJSON_AddStringToObject(j, "price_key", ck_cost_key_name(l->price)) ||
		    !cJSON_AddStringToObject(j, "source", pr->source) ||
		    !cJSON_AddStringToObject(j, "date", pr->date) ||
		    !add_decimal(j, "cost", l->cost, false) ||
		    !cJSON_AddBoolToObject(j, "rounded", l->rounded) ||
		    !cJSON_AddBoolToObject(j, "sms", l->sms))
			goto fail;
		continue;
	fail_item:
		cJSON_Delete(j);
		goto fail;
	}
	if (!add_decimal(o, "total", e->total[side], false) ||
	    !add_decimal(o, "total_without_sms", e->total_without_sms[side], false))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int print_json(const struct ck_cost_input *in, const struct ck_cost_estimate *e,
                      const struct ck_cost_prices *p, const char *path)
{
	cJSON *o = cJSON_CreateObject(), *inputs = cJSON_AddObjectToObject(o, "inputs");
	cJSON *aws = json_side(e, p, CK_COST_AWS), *self = json_side(e, p, CK_COST_SELF);
	int rc;

	if (!o || !inputs || !aws || !self ||
	    !cJSON_AddNumberToObject(inputs, "buttons", (double)in->buttons) ||
	    !cJSON_AddNumberToObject(inputs, "presses_per_day", (double)in->presses_per_day) ||
	    !cJSON_AddNumberToObject(inputs, "days", (double)in->days) ||
	    !cJSON_AddNumberToObject(inputs, "sms_per_press", (double)in->sms_per_press) ||
	    !cJSON_AddNumberToObject(inputs, "emails_per_press", (double)in->emails_per_press) ||
	    !cJSON_AddNumberToObject(inputs, "webhooks_per_press",
	                             (double)in->webhooks_per_press) ||
	    !cJSON_AddBoolToObject(inputs, "free_tier", in->free_tier) ||
	    !cJSON_AddNumberToObject(o, "presses", (double)e->presses) ||
	    !cJSON_AddStringToObject(o, "currency", "USD") ||
	    !cJSON_AddStringToObject(o, "prices", path)) {
		cJSON_Delete(aws);
		cJSON_Delete(self);
		cJSON_Delete(o);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	cJSON_AddItemToObject(o, "aws", aws);
	cJSON_AddItemToObject(o, "self_hosted", self);
	rc = ck_ctl_print_json(o);
	cJSON_Delete(o);
	return rc;
}

/* Writes s as one CSV field (RFC 4180 quoting when needed). */
static void csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static int print_csv(const struct ck_cost_estimate *e, const struct ck_cost_prices *p)
{
	static const char *const head[] = { "side",    "id",     "name",  "quantity",   "unit",
		                            "free",    "billed", "price", "price_unit", "cost",
		                            "rounded", "source", "date" };
	const size_t n = sizeof(head) / sizeof(head[0]);

	for (size_t i = 0; i < n; i++)
		csv_field(head[i], i + 1 == n);
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		const struct ck_cost_line *l = &e->lines[i];
		const struct ck_cost_price *pr = &p->p[l->price];
		char q[48], f[48], b[48], pv[48], c[48];
		if (ck_cost_format_qty(l->quantity, 0, q, sizeof(q)) < 0 ||
		    ck_cost_format_qty(l->free, 0, f, sizeof(f)) < 0 ||
		    ck_cost_format_qty(l->billed, 0, b, sizeof(b)) < 0 ||
		    ck_cost_format(pr->value, 2, pv, sizeof(pv)) < 0 ||
		    ck_cost_format(l->cost, 2, c, sizeof(c)) < 0)
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot format line %s", l->id);
		const char *row[] = { l->side == CK_COST_AWS ? "aws" : "self_hosted",
			              l->id,
			              l->name,
			              q,
			              l->unit,
			              f,
			              b,
			              pv,
			              ck_cost_key_unit(l->price),
			              c,
			              l->rounded ? "true" : "false",
			              pr->source,
			              pr->date };
		for (size_t k = 0; k < n; k++)
			csv_field(row[k], k + 1 == n);
	}
	for (int side = 0; side < 2; side++) {
		for (int with = 0; with < 2; with++) {
			char c[48];
			if (ck_cost_format(with ? e->total[side] : e->total_without_sms[side], 2, c,
			                   sizeof(c)) < 0)
				return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot format a total");
			printf("%s,%s,%s,,,,,,,%s,false,,\n",
			       side == CK_COST_AWS ? "aws" : "self_hosted",
			       with ? "total" : "total_without_sms",
			       with ? "Total" : "Total without SMS", c);
		}
	}
	return CK_CTL_EXIT_OK;
}

/*
 * clickctl cost estimate --buttons N --presses-per-day P [--days D]
 * [--sms-per-press S] [--emails-per-press E] [--webhooks-per-press W]
 * [--free-tier | --no-free-tier] [--prices FILE] [--format table|json|csv].
 * Returns an exit status; every bad argument or price file is
 * CK_CTL_EXIT_USAGE with one line on stderr.
 */
int ck_ctl_cost_estimate(struct ck_ctl *c)
{
	struct ck_cost_input in = { .buttons = -1, .presses_per_day = -1, .days = 30 };
	const char *fmt = ck_cli_opt_value(c->args, CK_CTL_OPT_FORMAT);
	const char *path = NULL;
	struct ck_cost_prices *prices = NULL;
	struct ck_cost_estimate e;
	enum format format = c->json ? FORMAT_JSON : FORMAT_TABLE;
	char resolved[PATH_MAX], err[512];
	int rc;

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "cost estimate takes no arguments, only options (got '%s')",
		                   c->operands[0]);
	if (fmt) {
		if (strcmp(fmt, "table") == 0)
			format = FORMAT_TABLE;
		else if (strcmp(fmt, "json") == 0)
			format = FORMAT_JSON;
		else if (strcmp(fmt, "csv") == 0)
			format = FORMAT_CSV;
		else
			return ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                   "--format must be table, json or csv, not '%s'", fmt);
		if (c->json && format != FORMAT_JSON)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--json conflicts with --format %s",
			                   fmt);
	}
	if (ck_cli_opt_value(c->args, CK_CTL_OPT_FREE_TIER) &&
	    ck_cli_opt_value(c->args, CK_CTL_OPT_NO_FREE_TIER))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "give --free-tier or --no-free-tier, not both");
	in.free_tier = !ck_cli_opt_value(c->args, CK_CTL_OPT_NO_FREE_TIER);
	rc = opt_count(c, CK_CTL_OPT_BUTTONS, "buttons", 1, CK_COST_BUTTONS_MAX, &in.buttons);
	if (rc == 0)
		rc = opt_count(c, CK_CTL_OPT_PRESSES_PER_DAY, "presses-per-day", 0,
		               CK_COST_PRESSES_MAX, &in.presses_per_day);
	if (rc == 0)
		rc = opt_count(c, CK_CTL_OPT_DAYS, "days", 1, CK_COST_DAYS_MAX, &in.days);
	if (rc == 0)
		rc = opt_count(c, CK_CTL_OPT_SMS_PER_PRESS, "sms-per-press", 0,
		               CK_COST_PER_PRESS_MAX, &in.sms_per_press);
	if (rc == 0)
		rc = opt_count(c, CK_CTL_OPT_EMAILS_PER_PRESS, "emails-per-press", 0,
		               CK_COST_PER_PRESS_MAX, &in.emails_per_press);
	if (rc == 0)
		rc = opt_count(c, CK_CTL_OPT_WEBHOOKS_PER_PRESS, "webhooks-per-press", 0,
		               CK_COST_PER_PRESS_MAX, &in.webhooks_per_press);
	if (rc != 0)
		return rc;
	if (in.buttons < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "cost estimate needs --buttons N");
	if (in.presses_per_day < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "cost estimate needs --presses-per-day P");

	rc = load_prices(c, &prices, resolved, sizeof(resolved));
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	path = resolved;
	if (ck_cost_estimate(&in, prices, &e, err, sizeof(err)) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s", err);
		goto out;
	}
	if (format == FORMAT_JSON)
		rc = print_json(&in, &e, prices, path);
	else if (format == FORMAT_CSV)
		rc = print_csv(&e, prices);
	else
		rc = print_table(&in, &e, prices, path);
out:
	free(prices);
	return rc;
}

/*
 * Loads the price table named by --prices, or the first one found: the
 * shared half of "cost estimate" and "cost usage". On success returns
 * CK_CTL_EXIT_OK with a new table in *out (caller frees) and its path in
 * path; otherwise prints the problem and returns the exit status.
 */
static int load_prices(struct ck_ctl *c, struct ck_cost_prices **out, char *path, size_t len)
{
	const char *given = ck_cli_opt_value(c->args, CK_CTL_OPT_PRICES);
	char found[PATH_MAX], err[512];
	char *text = NULL;
	size_t n = 0;
	int rc = CK_CTL_EXIT_OK;

	*out = NULL;
	if (!given) {
		if (ck_cost_prices_find(found, sizeof(found)) < 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                   "no price file " PRICES_NAME
			                   " next to clickctl, in the source tree's data/prices or "
			                   "in /usr/share/clickd/prices; give --prices FILE");
		given = found;
	}
	if (!realpath(given, path))
		snprintf(path, len, "%s", given);
	if (ck_cost_prices_read(path, &text, &n, err, sizeof(err)) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s", err);
	*out = malloc(sizeof(**out));
	if (!*out) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	} else if (ck_cost_prices_parse(text, n, *out, err, sizeof(err)) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s: %s", path, err);
		free(*out);
		*out = NULL;
	}
	free(text);
	return rc;
}

static int64_t total_of(const cJSON *totals, const char *metric)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(totals, metric);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void usage_from(const cJSON *totals, struct ck_cost_usage *u)
{
	u->messages = total_of(totals, "messages");
	u->rule_triggers = total_of(totals, "rule_triggers");
	u->actions = total_of(totals, "actions");
	u->function_runs = total_of(totals, "function_runs");
	u->function_ms = total_of(totals, "function_ms");
	u->sms_segments = total_of(totals, "sms_segments");
	u->emails = total_of(totals, "emails");
	u->webhooks = total_of(totals, "webhooks");
	u->table_writes = total_of(totals, "table_writes");
}

/*
 * clickctl cost usage [--month YYYY-MM] [--prices FILE] [--no-free-tier]:
 * the month's metered usage, the forecast to its end, and what the same
 * usage costs on AWS, month to date and forecast. Returns an exit status.
 */
int ck_ctl_cost_usage(struct ck_ctl *c)
{
	static const char *const head[] = { "USAGE", "MONTH TO DATE", "FORECAST" };
	static const char *const aws_head[] = { "AWS EQUIVALENT", "MONTH TO DATE", "FORECAST" };
	const char *month = ck_cli_opt_value(c->args, CK_CTL_OPT_MONTH);
	bool free_tier = ck_cli_opt_value(c->args, CK_CTL_OPT_NO_FREE_TIER) == NULL;
	struct ck_ctl_api_error e;
	struct ck_cost_prices *prices = NULL;
	struct ck_cli_table *t = NULL, *a = NULL;
	cJSON *doc = NULL;
	char path[PATH_MAX], url[64];
	int rc;

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "cost usage takes no arguments");
	if (month && (strlen(month) != 7 || month[4] != '-'))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--month wants YYYY-MM, not \"%s\"", month);
	rc = load_prices(c, &prices, path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	snprintf(url, sizeof(url), "/usage%s%s", month ? "?month=" : "", month ? month : "");
	rc = ck_ctl_api(c->http, "GET", url, NULL, &doc, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;

	struct ck_cost_usage mtd, fc;
	struct ck_cost_usage_line lm[CK_COST_USAGE_LINES], lf[CK_COST_USAGE_LINES];
	int64_t tm = 0, tf = 0;
	usage_from(cJSON_GetObjectItemCaseSensitive(doc, "totals"), &mtd);
	usage_from(cJSON_GetObjectItemCaseSensitive(doc, "forecast"), &fc);
	if (ck_cost_usage_aws(&mtd, prices, free_tier, lm, &tm) != 0 ||
	    ck_cost_usage_aws(&fc, prices, free_tier, lf, &tf) != 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "usage too large to price");
		goto out;
	}
	if (c->json) {
		cJSON *aws = cJSON_AddObjectToObject(doc, "aws");
		char buf[48];
		cJSON_AddStringToObject(aws, "prices", path);
		ck_cost_format(tm, 2, buf, sizeof(buf));
		cJSON_AddStringToObject(aws, "monthToDate", buf);
		ck_cost_format(tf, 2, buf, sizeof(buf));
		cJSON_AddStringToObject(aws, "forecast", buf);
		rc = ck_ctl_print_json(doc);
		goto out;
	}
	const cJSON *cm = cJSON_GetObjectItemCaseSensitive(doc, "month");
	printf("Usage for %s (UTC), %.1f of %d days; prices from %s\n\n",
	       cJSON_IsString(cm) ? cm->valuestring : "?",
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "daysElapsed")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "daysInMonth")),
	       path);
	t = ck_cli_table_new(3, head);
	a = ck_cli_table_new(3, aws_head);
	if (!t || !a) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		goto out;
	}
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(doc, "totals");
	const cJSON *forecast = cJSON_GetObjectItemCaseSensitive(doc, "forecast");
	const cJSON *it;
	cJSON_ArrayForEach(it, totals)
	{
		char v1[32], v2[32];
		snprintf(v1, sizeof(v1), "%lld", (long long)total_of(totals, it->string));
		snprintf(v2, sizeof(v2), "%lld", (long long)total_of(forecast, it->string));
		const char *row[] = { it->string, v1, v2 };
		ck_cli_table_add(t, row);
	}
	for (int i = 0; i < CK_COST_USAGE_LINES; i++) {
		char v1[48], v2[48];
		snprintf(v1, sizeof(v1), "$");
		ck_cost_format(lm[i].cost, 2, v1 + 1, sizeof(v1) - 1);
		snprintf(v2, sizeof(v2), "$");
		ck_cost_format(lf[i].cost, 2, v2 + 1, sizeof(v2) - 1);
		const char *row[] = { lm[i].name, v1, v2 };
		ck_cli_table_add(a, row);
	}
	char s1[48] = "$", s2[48] = "$";
	ck_cost_format(tm, 2, s1 + 1, sizeof(s1) - 1);
	ck_cost_format(tf, 2, s2 + 1, sizeof(s2) - 1);
	const char *sum[] = { "total", s1, s2 };
	ck_cli_table_add(a, sum);
	rc = ck_ctl_print_table(t);
	if (rc == CK_CTL_EXIT_OK) {
		printf("\n");
		rc = ck_ctl_print_table(a);
	}
out:
	ck_cli_table_free(t);
	ck_cli_table_free(a);
	cJSON_Delete(doc);
	free(prices);
	return rc;
}
