/*
 * API handler for usage metering (docs/api.md "Usage"): the counters of a
 * calendar month, their totals, and for the current month a forecast to
 * its end at the rate so far.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cost/usage.h"
#include "http/api_int.h"
#include "journal/segment.h"
#include "store/store_usage.h"

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

static int64_t metric(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void usage_from(const cJSON *o, struct ck_cost_usage *u)
{
	*u = (struct ck_cost_usage){
		.messages = metric(o, "messages"),
		.rule_triggers = metric(o, "rule_triggers"),
		.actions = metric(o, "actions"),
		.function_runs = metric(o, "function_runs"),
		.function_ms = metric(o, "function_ms"),
		.sms_segments = metric(o, "sms_segments"),
		.emails = metric(o, "emails"),
		.webhooks = metric(o, "webhooks"),
		.table_writes = metric(o, "table_writes"),
	};
}

/* What the same usage costs on AWS, month to date and forecast (decimal
 * strings in USD, exact). */
static void add_aws(const struct ck_api_env *env, const cJSON *totals, const cJSON *forecast,
                    cJSON *doc)
{
	struct ck_cost_usage mtd, fc;
	struct ck_cost_usage_line lm[CK_COST_USAGE_LINES], lf[CK_COST_USAGE_LINES];
	int64_t tm, tf;
	char buf[48];
	usage_from(totals, &mtd);
	usage_from(forecast, &fc);
	if (ck_cost_usage_aws(&mtd, env->prices, true, lm, &tm) != 0 ||
	    ck_cost_usage_aws(&fc, env->prices, true, lf, &tf) != 0)
		return;
	cJSON *aws = cJSON_AddObjectToObject(doc, "aws");
	cJSON_AddStringToObject(aws, "prices", env->prices_path ? env->prices_path : "");
	cJSON *lines = cJSON_AddArrayToObject(aws, "lines");
	for (int i = 0; i < CK_COST_USAGE_LINES; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "name", lm[i].name);
		cJSON_AddNumberToObject(l, "quantity", (double)lm[i].quantity);
		ck_cost_format(lm[i].cost, 2, buf, sizeof(buf));
		cJSON_AddStringToObject(l, "monthToDate", buf);
		ck_cost_format(lf[i].cost, 2, buf, sizeof(buf));
		cJSON_AddStringToObject(l, "forecast", buf);
		cJSON_AddItemToArray(lines, l);
	}
	ck_cost_format(tm, 2, buf, sizeof(buf));
	cJSON_AddStringToObject(aws, "monthToDate", buf);
	ck_cost_format(tf, 2, buf, sizeof(buf));
	cJSON_AddStringToObject(aws, "forecast", buf);
}

/* Bytes of the store (with its WAL file) and of the journal's segments, now. */
static void add_storage(const struct ck_api_env *env, cJSON *doc)
{
	static const char *const store_files[] = { "clickd.db", "clickd.db-wal" };
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s", env->snapshot_path ? env->snapshot_path : "");
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	double store = 0, journal = 0;
	for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, store_files[i]);
		if (stat(path, &st) == 0)
			store += (double)st.st_size;
	}
	snprintf(path, sizeof(path), "%s/journal", dir);
	int jfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ck_journal_seg *segs = NULL;
	size_t n = 0;
	if (jfd >= 0 && ck_journal_seg_list(jfd, &segs, &n) == 0)
		for (size_t i = 0; i < n; i++)
			journal += (double)segs[i].size;
	free(segs);
	if (jfd >= 0)
		close(jfd);
	cJSON *s = cJSON_AddObjectToObject(doc, "storageBytes");
	cJSON_AddNumberToObject(s, "store", store);
	cJSON_AddNumberToObject(s, "journal", journal);
}

static int usage_get(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	int64_t now = ck_api_now_ms();
	char current[8], month[8];
	ck_usage_month(now, current);
	const char *want = req->query(req, "month");
	int y = 0, m = 0;
	char tail = 0;
	if (want && (strlen(want) != 7 || sscanf(want, "%4d-%2d%c", &y, &m, &tail) != 2 ||
	             y < 1970 || m < 1 || m > 12))
		return ck_api_fail(out, 400, "bad_request", "month must be YYYY-MM");
	snprintf(month, sizeof(month), "%s", want ? want : current);
	if (!want && sscanf(month, "%4d-%2d", &y, &m) != 2)
		return ck_api_fail(out, 500, "internal", "cannot read the clock");

	cJSON *doc = cJSON_CreateObject();
	cJSON *counters = cJSON_AddArrayToObject(doc, "counters");
	int rc = ck_store_usage_month(env->store, month, counters);
	if (rc != 0) {
		cJSON_Delete(doc);
		return ck_api_store_fail(out, rc);
	}
	int dim = days_in_month(y, m);
	double elapsed = dim; /* a past month is complete */
	if (strcmp(month, current) == 0) {
		time_t t = (time_t)(now / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		elapsed =
		    (tm.tm_mday - 1) + (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) / 86400.0;
		if (elapsed < 1.0 / 24)
			elapsed = 1.0 / 24; /* no forecast from the first minutes' noise */
	} else if (strcmp(month, current) > 0) {
		elapsed = 0;
	}
	cJSON_AddStringToObject(doc, "month", month);
	cJSON_AddNumberToObject(doc, "daysInMonth", dim);
	cJSON_AddNumberToObject(doc, "daysElapsed", elapsed);
	cJSON *totals = cJSON_AddObjectToObject(doc, "totals");
	cJSON *forecast = cJSON_AddObjectToObject(doc, "forecast");
	const cJSON *c;
	cJSON_ArrayForEach(c, counters)
	{
		const char *scope = cJSON_GetStringValue(cJSON_GetObjectItem(c, "scope"));
		const char *metric = cJSON_GetStringValue(cJSON_GetObjectItem(c, "metric"));
		double v = cJSON_GetObjectItem(c, "value")->valuedouble;
		if (!scope || !metric || strcmp(scope, "total") != 0)
			continue;
		cJSON_AddNumberToObject(totals, metric, v);
		cJSON_AddNumberToObject(
		    forecast, metric, elapsed > 0 ? (double)(int64_t)(v * dim / elapsed + 0.5) : v);
	}
	add_storage(env, doc);
	if (env->prices)
		add_aws(env, totals, forecast, doc);
	*out = doc;
	return 200;
}

const struct ck_api_route ck_api_routes_usage[] = {
	{ "GET", "/usage", usage_get },
	{ NULL, NULL, NULL },
};
