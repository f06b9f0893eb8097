/*
 * Usage counters in the SQLite store (see store_usage.h).
 */
#include "store/store_usage.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "core/log.h"
#include "store/sqlite_int.h"

void ck_usage_month(int64_t when_ms, char month[8])
{
	time_t t = (time_t)(when_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(month, 8, "%04d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
}

int ck_store_usage_add(struct ck_store *s, const char *month, const char *metric, const char *scope,
                       const char *key, int64_t delta)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO usage(month, metric, scope, key, value) VALUES(?1, ?2, ?3, ?4, ?5)"
	        " ON CONFLICT(month, metric, scope, key) DO UPDATE"
	        " SET value = value + excluded.value",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key ? key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, delta);
	int rc = ck_sq_step_done(s, st, "add usage");
	ck_sq_finish(s, st);
	return rc;
}

void ck_store_usage_op(struct ck_store *s, const char *metric, const char *scope, const char *key,
                       int writes)
{
	struct timespec ts;
	char month[8];
	clock_gettime(CLOCK_REALTIME, &ts);
	ck_usage_month((int64_t)ts.tv_sec * 1000, month);
	int rc = ck_store_usage_add(s, month, metric, "total", "", 1);
	if (rc == 0)
		rc = ck_store_usage_add(s, month, metric, scope, key, 1);
	if (rc == 0 && writes)
		rc = ck_store_usage_add(s, month, "table_writes", "total", "", writes);
	if (rc != 0)
		ck_warn("store", "usage of %s %s not counted", scope, key);
}

int ck_store_usage_month(struct ck_store *s, const char *month, cJSON *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT metric, scope, key, value FROM usage WHERE month = ?1"
	                  " ORDER BY scope <> 'total', scope, metric, key",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		ck_sq_add_column(o, "metric", st, 0);
		ck_sq_add_column(o, "scope", st, 1);
		ck_sq_add_column(o, "key", st, 2);
		ck_sq_add_column(o, "value", st, 3);
		cJSON_AddItemToArray(out, o);
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read usage");
}
