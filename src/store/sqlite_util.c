/*
 * Helpers shared by the SQLite backend's files (see sqlite_int.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

int ck_sq_fail(struct ck_store *s, const char *what)
{
	ck_error("store", "%s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

int ck_sq_exec(struct ck_store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ck_error("store", "%s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

int ck_sq_prepare(struct ck_store *s, const char *sql, sqlite3_stmt **st)
{
	struct ck_sq_cached *slot = NULL;
	for (int i = 0; i < s->n_cache; i++) {
		if (s->cache[i].sql == sql) {
			if (!s->cache[i].in_use) {
				s->cache[i].in_use = true;
				*st = s->cache[i].st;
				return 0;
			}
			break; /* nested use of the same statement: prepare a fresh one */
		}
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return ck_sq_fail(s, "prepare");
	for (int i = 0; i < s->n_cache && !slot; i++)
		if (s->cache[i].sql == sql)
			return 0; /* the cached one is busy; this one is finalized after use */
	if (s->n_cache < CK_SQ_CACHE) {
		slot = &s->cache[s->n_cache++];
		slot->sql = sql;
		slot->st = *st;
		slot->in_use = true;
	}
	return 0;
}

void ck_sq_finish(struct ck_store *s, sqlite3_stmt *st)
{
	for (int i = 0; i < s->n_cache; i++) {
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->cache[i].in_use = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

void ck_sq_cache_clear(struct ck_store *s)
{
	for (int i = 0; i < s->n_cache; i++)
		sqlite3_finalize(s->cache[i].st);
	s->n_cache = 0;
}

/* Binds a possibly-NULL text. */
void ck_sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; maps constraint errors to -EEXIST. */
int ck_sq_step_done(struct ck_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(s->db);
	if (rc == SQLITE_DONE)
		return 0;
	if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	if (rc == SQLITE_CONSTRAINT)
		return -EINVAL;
	return ck_sq_fail(s, what);
}

void ck_sq_copy_name(char *dst, const unsigned char *src)
{
	snprintf(dst, CK_NAME_MAX + 1, "%s", src ? (const char *)src : "");
}

void ck_sq_add_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		cJSON_AddNullToObject(obj, key);
		break;
	case SQLITE_INTEGER:
		cJSON_AddNumberToObject(obj, key, (double)sqlite3_column_int64(st, i));
		break;
	default:
		cJSON_AddStringToObject(obj, key, (const char *)sqlite3_column_text(st, i));
		break;
	}
}

/* Adds column i holding JSON text as a parsed value (null when unparsable). */
void ck_sq_add_json_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i)
{
	cJSON *v = cJSON_Parse((const char *)sqlite3_column_text(st, i));
	cJSON_AddItemToObject(obj, key, v ? v : cJSON_CreateNull());
}

/*
 * Runs a list query whose last two parameters are the cursor and the limit
 * and whose rows are mapped by row_fn. The cursor column must be the first
 * result column; *next is set when a further page exists.
 */
int ck_sq_run_list(struct ck_store *s, sqlite3_stmt *st, int n_params,
                   const struct ck_list_query *q, cJSON *items, int64_t *next,
                   cJSON *(*row_fn)(sqlite3_stmt *st))
{
	int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 100;
	sqlite3_bind_int64(st, n_params - 1, q->after);
	sqlite3_bind_int(st, n_params, limit + 1);
	int n = 0, rc;
	*next = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			break;
		}
		cJSON *row = row_fn(st);
		if (!row) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, row);
		*next = sqlite3_column_int64(st, 0);
		n++;
	}
	bool more = rc == SQLITE_ROW;
	ck_sq_finish(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ck_sq_fail(s, "list");
	if (!more)
		*next = 0;
	return 0;
}

int ck_sq_select_int(struct ck_store *s, const char *sql, const char *a, const char *b,
                     int64_t *out, const char *what)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, a);
	if (b)
		ck_sq_bind_text(st, 2, b);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	ck_sq_finish(s, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, what);
}

int ck_sq_get_one(struct ck_store *s, sqlite3_stmt *st, cJSON *(*row_fn)(sqlite3_stmt *st),
                  const char *what, cJSON **out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row_fn(st);
		rc = *out ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, what);
	}
	ck_sq_finish(s, st);
	return rc;
}
