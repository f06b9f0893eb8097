/*
 * Users and sessions in the SQLite store (see store_users.h).
 */
#include "store/store_users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite_int.h"

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int ck_store_user_put(struct ck_store *s, const char *name, const char *role, const char *hash,
                      int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s, "INSERT INTO app_user(name, role, password, created_ms) VALUES(?, ?, ?, ?)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	int rc = ck_sq_step_done(s, st, "insert user");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_user_read(struct ck_store *s, const char *name, struct ck_user_row *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT name, role, password FROM app_user WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(out->name, sizeof(out->name), st, 0);
		copy_text(out->role, sizeof(out->role), st, 1);
		copy_text(out->hash, sizeof(out->hash), st, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read user");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_user_update(struct ck_store *s, const char *name, const char *role, const char *hash,
                         int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE app_user SET role = coalesce(?2, role),"
	                  " password = coalesce(?3, password), updated_ms = ?4 WHERE name = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 2, role);
	ck_sq_bind_text(st, 3, hash);
	sqlite3_bind_int64(st, 4, now_ms);
	int rc = ck_sq_step_done(s, st, "update user");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_user_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM session WHERE user = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "delete sessions");
	ck_sq_finish(s, st);
	if (rc != 0)
		return rc;
	if (ck_sq_prepare(s, "DELETE FROM app_user WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "delete user");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

static cJSON *user_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "name", st, 1);
	ck_sq_add_column(o, "role", st, 2);
	ck_sq_add_column(o, "createdAt", st, 3);
	ck_sq_add_column(o, "updatedAt", st, 4);
	return o;
}

int ck_store_user_get_json(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, role, created_ms, updated_ms FROM app_user"
	                  " WHERE name = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ck_sq_get_one(s, st, user_row, "read user", out);
}

int ck_store_user_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, role, created_ms, updated_ms FROM app_user"
	                  " WHERE (?1 = 0 OR rowid > ?1) ORDER BY rowid LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, user_row);
}

int ck_store_session_put(struct ck_store *s, const char *id_hash, const char *user,
                         const char *csrf, int64_t now_ms, int64_t expires_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO session(id_hash, user, csrf, created_ms, expires_ms)"
	                  " VALUES(?, ?, ?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, id_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, expires_ms);
	int rc = ck_sq_step_done(s, st, "insert session");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_session_read(struct ck_store *s, const char *id_hash, int64_t now_ms,
                          struct ck_session_row *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT s.user, u.role, s.csrf, s.expires_ms FROM session s"
	                  " JOIN app_user u ON u.name = s.user WHERE s.id_hash = ? AND"
	                  " s.expires_ms > ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, id_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(out->user, sizeof(out->user), st, 0);
		copy_text(out->role, sizeof(out->role), st, 1);
		copy_text(out->csrf, sizeof(out->csrf), st, 2);
		out->expires_ms = sqlite3_column_int64(st, 3);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read session");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_session_delete(struct ck_store *s, const char *id_hash)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM session WHERE id_hash = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, id_hash, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "delete session");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_session_end_user(struct ck_store *s, const char *user, const char *keep_hash,
                              int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "DELETE FROM session WHERE (user = ?1 AND (?2 IS NULL OR id_hash <> ?2))"
	                  " OR expires_ms <= ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 2, keep_hash);
	sqlite3_bind_int64(st, 3, now_ms);
	int rc = ck_sq_step_done(s, st, "end sessions");
	ck_sq_finish(s, st);
	return rc;
}
