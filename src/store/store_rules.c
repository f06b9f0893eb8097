/*
 * Rules in the SQLite store.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

static void bind_rule(sqlite3_stmt *st, const struct ck_rule_row *r)
{
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->sql, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->sql_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->actions, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 5, r->error_action);
	sqlite3_bind_int(st, 6, r->enabled ? 1 : 0);
	sqlite3_bind_int64(st, 7, r->created_ms);
	sqlite3_bind_int64(st, 8, r->updated_ms);
}

int ck_store_rule_put(struct ck_store *s, const struct ck_rule_row *r)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO rule(name, sql, sql_version, actions, error_action, enabled,"
	        " created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, 0))",
	        &st) != 0)
		return -EIO;
	bind_rule(st, r);
	int rc = ck_sq_step_done(s, st, "insert rule");
	ck_sq_finish(s, st);
	return rc;
}

/* Runs a one-row UPDATE or DELETE; -ENOENT when no row changed. */
static int change_one(struct ck_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = ck_sq_step_done(s, st, what);
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	return rc;
}

int ck_store_rule_replace(struct ck_store *s, const struct ck_rule_row *r)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "UPDATE rule SET sql = ?2, sql_version = ?3, actions = ?4, error_action = ?5,"
	        " enabled = ?6, updated_ms = ?8 WHERE name = ?1",
	        &st) != 0)
		return -EIO; /* ?7 (created_ms) is not in this statement: a replace keeps it. */
	bind_rule(st, r);
	return change_one(s, st, "replace rule");
}

int ck_store_rule_set_enabled(struct ck_store *s, const char *name, bool enabled, int64_t when_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "UPDATE rule SET enabled = ?2, updated_ms = ?3 WHERE name = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, enabled ? 1 : 0);
	sqlite3_bind_int64(st, 3, when_ms);
	return change_one(s, st, "enable rule");
}

int ck_store_rule_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM rule WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return change_one(s, st, "delete rule");
}
static void rule_from_row(sqlite3_stmt *st, int first, struct ck_rule_row *r)
{
	ck_sq_copy_name(r->name, sqlite3_column_text(st, first));
	r->sql = (const char *)sqlite3_column_text(st, first + 1);
	r->sql_version = (const char *)sqlite3_column_text(st, first + 2);
	r->actions = (const char *)sqlite3_column_text(st, first + 3);
	r->enabled = sqlite3_column_int(st, first + 4) != 0;
	r->created_ms = sqlite3_column_int64(st, first + 5);
	r->error_action = (const char *)sqlite3_column_text(st, first + 6);
	r->updated_ms = sqlite3_column_int64(st, first + 7);
}

int ck_store_rule_each(struct ck_store *s, int (*fn)(const struct ck_rule_row *r, void *ctx),
                       void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT name, sql, sql_version, actions, enabled, created_ms, error_action,"
	        " coalesce(updated_ms, 0) FROM rule"
	        " ORDER BY name",
	        &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_rule_row r;
		rule_from_row(st, 0, &r);
		int stop = fn(&r, ctx);
		if (stop != 0) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "list rules");
}

cJSON *ck_store_rule_to_json(const struct ck_rule_row *r)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "sql", r->sql);
	cJSON_AddStringToObject(o, "sqlVersion", r->sql_version);
	cJSON *actions = cJSON_Parse(r->actions);
	cJSON_AddItemToObject(o, "actions", actions ? actions : cJSON_CreateArray());
	cJSON *error_action = r->error_action ? cJSON_Parse(r->error_action) : NULL;
	cJSON_AddItemToObject(o, "errorAction", error_action ? error_action : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "enabled", r->enabled);
	cJSON_AddNumberToObject(o, "createdAt", (double)r->created_ms);
	if (r->updated_ms)
		cJSON_AddNumberToObject(o, "updatedAt", (double)r->updated_ms);
	else
		cJSON_AddNullToObject(o, "updatedAt");
	return o;
}

static cJSON *rule_row(sqlite3_stmt *st)
{
	struct ck_rule_row r;
	rule_from_row(st, 1, &r);
	return ck_store_rule_to_json(&r);
}

int ck_store_rule_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT rowid, name, sql, sql_version, actions, enabled, created_ms, error_action,"
	        " coalesce(updated_ms, 0) FROM rule"
	        " WHERE rowid > ? ORDER BY rowid LIMIT ?",
	        &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, rule_row);
}

int ck_store_rule_get_json(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT rowid, name, sql, sql_version, actions, enabled, created_ms, error_action,"
	        " coalesce(updated_ms, 0) FROM rule"
	        " WHERE name = ?",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ck_sq_get_one(s, st, rule_row, "read rule", out);
}
