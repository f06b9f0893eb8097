/*
 * SQLite storage of functions and their runs (see store_functions.h).
 */
#include "store/store_functions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

int ck_store_function_put(struct ck_store *s, const char *name, const char *definition,
                          int64_t now_ms, bool replace)
{
	sqlite3_stmt *st = NULL;
	const char *sql = replace ? "UPDATE function SET definition = ?2, updated_ms = ?3"
	                            " WHERE name = ?1"
	                          : "INSERT INTO function(name, definition, created_ms)"
	                            " VALUES(?1, ?2, ?3)";
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, definition, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	int rc = ck_sq_step_done(s, st, "function put");
	ck_sq_finish(s, st);
	if (rc == 0 && replace && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	return rc;
}

int ck_store_function_get(struct ck_store *s, const char *name, char **definition)
{
	sqlite3_stmt *st = NULL;
	*definition = NULL;
	if (ck_sq_prepare(s, "SELECT definition FROM function WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*definition = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *definition ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = ck_sq_fail(s, "function get");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_function_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM function WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "function delete");
	ck_sq_finish(s, st);
	if (rc != 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return -ENOENT;
	if (ck_sq_prepare(s, "DELETE FROM function_run WHERE function = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "function runs delete");
	ck_sq_finish(s, st);
	return rc;
}

static cJSON *function_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "name", st, 1);
	cJSON *def = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
	const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(def, "runtime");
	cJSON_AddStringToObject(o, "runtime",
	                        cJSON_IsString(runtime) ? runtime->valuestring : "unknown");
	ck_sq_add_column(o, "createdAt", st, 3);
	ck_sq_add_column(o, "updatedAt", st, 4);
	if (def)
		cJSON_AddItemToObject(o, "definition", def);
	else
		cJSON_AddNullToObject(o, "definition");
	return o;
}

int ck_store_function_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                           int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, definition, created_ms, updated_ms FROM function"
	                  " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, function_row);
}

int ck_store_function_run_put(struct ck_store *s, const struct ck_function_run *r, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO function_run(function, request_id, trigger, attempt, status,"
	                  " error, started_ms, duration_us, result, log)"
	                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, r->function);
	ck_sq_bind_text(st, 2, r->request_id);
	ck_sq_bind_text(st, 3, r->trigger);
	sqlite3_bind_int(st, 4, r->attempt);
	ck_sq_bind_text(st, 5, r->status);
	ck_sq_bind_text(st, 6, r->error);
	sqlite3_bind_int64(st, 7, r->started_ms);
	sqlite3_bind_int64(st, 8, r->duration_us);
	ck_sq_bind_text(st, 9, r->result);
	ck_sq_bind_text(st, 10, r->log);
	int rc = ck_sq_step_done(s, st, "function run put");
	ck_sq_finish(s, st);
	if (rc != 0)
		return rc;
	int64_t rowid = sqlite3_last_insert_rowid(s->db);
	if (id)
		*id = rowid;
	if (ck_sq_prepare(s,
	                  "DELETE FROM function_run WHERE function = ?1"
	                  " AND id IN (SELECT id FROM function_run WHERE function = ?1"
	                  "  ORDER BY id DESC LIMIT -1 OFFSET ?2)",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, r->function);
	sqlite3_bind_int(st, 2, CK_STORE_FUNCTION_RUNS_KEPT);
	rc = ck_sq_step_done(s, st, "function run prune");
	ck_sq_finish(s, st);
	return rc;
}

static cJSON *run_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "id", st, 0);
	ck_sq_add_column(o, "requestId", st, 1);
	ck_sq_add_column(o, "trigger", st, 2);
	ck_sq_add_column(o, "attempt", st, 3);
	ck_sq_add_column(o, "status", st, 4);
	ck_sq_add_column(o, "error", st, 5);
	ck_sq_add_column(o, "startedAt", st, 6);
	ck_sq_add_column(o, "durationUs", st, 7);
	ck_sq_add_json_column(o, "result", st, 8);
	ck_sq_add_column(o, "log", st, 9);
	return o;
}

int ck_store_function_runs(struct ck_store *s, const char *function, const struct ck_list_query *q,
                           cJSON *items, int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, request_id, trigger, attempt, status, error, started_ms,"
	                  " duration_us, result, log FROM function_run"
	                  " WHERE function = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, function);
	return ck_sq_run_list(s, st, 3, q, items, next, run_row);
}
