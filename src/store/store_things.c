/*
 * Things and certificates in the SQLite store.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

int ck_store_thing_put(struct ck_store *s, const struct ck_thing *t)
{
	sqlite3_stmt *st = NULL;
	char *attrs = t->attributes ? cJSON_PrintUnformatted(t->attributes) : NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO thing(name, type, attributes, enabled, created_ms)"
	                  " VALUES(?, ?, ?, ?, ?)",
	                  &st) != 0) {
		cJSON_free(attrs);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, attrs ? attrs : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, t->enabled ? 1 : 0);
	sqlite3_bind_int64(st, 5, t->created_ms);
	int rc = ck_sq_step_done(s, st, "insert thing");
	ck_sq_finish(s, st);
	cJSON_free(attrs);
	return rc;
}

int ck_store_thing_get(struct ck_store *s, const char *name, struct ck_thing *out)
{
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	if (ck_sq_prepare(s,
	                  "SELECT name, type, attributes, enabled, created_ms,"
	                  " coalesce(last_seen_ms, -1), coalesce(battery_mv, -1)"
	                  " FROM thing WHERE name = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ck_sq_finish(s, st);
		return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read thing");
	}
	ck_sq_copy_name(out->name, sqlite3_column_text(st, 0));
	ck_sq_copy_name(out->type, sqlite3_column_text(st, 1));
	out->attributes = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
	if (!out->attributes)
		out->attributes = cJSON_CreateObject();
	out->enabled = sqlite3_column_int(st, 3) != 0;
	out->created_ms = sqlite3_column_int64(st, 4);
	out->last_seen_ms = sqlite3_column_int64(st, 5);
	out->battery_mv = sqlite3_column_int(st, 6);
	ck_sq_finish(s, st);
	return out->attributes ? 0 : -ENOMEM;
}

void ck_thing_cleanup(struct ck_thing *t)
{
	cJSON_Delete(t->attributes);
	t->attributes = NULL;
}

int ck_store_thing_seen(struct ck_store *s, const char *name, int64_t when_ms, int battery_mv)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "UPDATE thing SET last_seen_ms = max(coalesce(last_seen_ms, 0), ?1),"
	        " battery_mv = CASE WHEN ?2 >= 0 THEN ?2 ELSE battery_mv END WHERE name = ?3",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, when_ms);
	sqlite3_bind_int(st, 2, battery_mv);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "update thing");
	ck_sq_finish(s, st);
	return rc;
}

/* Adds column i of st to obj under key: NULL, integer or text as stored. */
static cJSON *thing_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "name", st, 1);
	ck_sq_add_column(o, "type", st, 2);
	ck_sq_add_json_column(o, "attributes", st, 3);
	cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 4) != 0);
	ck_sq_add_column(o, "createdAt", st, 5);
	ck_sq_add_column(o, "lastSeenAt", st, 6);
	ck_sq_add_column(o, "batteryMv", st, 7);
	return o;
}

int ck_store_thing_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, type, attributes, enabled, created_ms, last_seen_ms,"
	                  " battery_mv FROM thing WHERE rowid > ? ORDER BY rowid LIMIT ?",
	                  &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, thing_row);
}

int ck_store_cert_put(struct ck_store *s, const char *fingerprint, const char *thing,
                      const char *pem, const char *status, int64_t created_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO certificate(fingerprint, thing, pem, status, created_ms)"
	                  " VALUES(?, ?, ?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 2, thing);
	sqlite3_bind_text(st, 3, pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, created_ms);
	int rc = ck_sq_step_done(s, st, "insert certificate");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_cert_each(struct ck_store *s,
                       int (*fn)(const char *fingerprint, const char *thing, const char *status,
                                 void *ctx),
                       void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT c.fingerprint, c.thing, CASE WHEN t.enabled = 0 AND c.status = 'active'"
	        " THEN 'inactive' ELSE c.status END FROM certificate c"
	        " JOIN thing t ON t.name = c.thing ORDER BY c.fingerprint",
	        &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop = fn((const char *)sqlite3_column_text(st, 0),
		              (const char *)sqlite3_column_text(st, 1),
		              (const char *)sqlite3_column_text(st, 2), ctx);
		if (stop != 0) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "list certificates");
}
