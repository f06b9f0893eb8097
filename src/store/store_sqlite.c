/*
 * The SQLite backend of the store (store.h). One connection per ck_store, in
 * WAL mode with synchronous=NORMAL: a committed transaction survives the
 * crash of any process. Schema changes are numbered migrations tracked in
 * PRAGMA user_version; a database newer than this program is refused rather
 * than guessed at. The journal the broker plugin writes is not SQLite
 * (src/journal/); only a journal.db left by an older version is read here,
 * once, to carry its unprocessed rows over.
 */
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

static int migrate(struct ck_store *s, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "PRAGMA user_version", &st) != 0) {
		snprintf(err, err_len, "cannot read schema version: %s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	ck_sq_finish(s, st);

	if (version > ck_store_n_migrations) {
		snprintf(err, err_len,
		         "store schema version %d is newer than this clickd supports (%d)", version,
		         ck_store_n_migrations);
		return -EPROTO;
	}
	for (int v = version; v < ck_store_n_migrations; v++) {
		char set[64];
		snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
		if (ck_sq_exec(s, "BEGIN IMMEDIATE") != 0)
			goto failed;
		if (ck_sq_exec(s, ck_store_migrations[v]) != 0 || ck_sq_exec(s, set) != 0) {
			ck_sq_exec(s, "ROLLBACK");
			goto failed;
		}
		if (ck_sq_exec(s, "COMMIT") != 0)
			goto failed;
		ck_info("store", "migrated schema to version %d", v + 1);
		continue;
	failed:
		snprintf(err, err_len, "migration to schema version %d failed: %s", v + 1,
		         sqlite3_errmsg(s->db));
		return -EIO;
	}
	s->version = ck_store_n_migrations;
	return 0;
}

int ck_store_open_sqlite(const char *path, struct ck_store **out, char *err, size_t err_len)
{
	*out = NULL;
	struct ck_store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "cannot open store %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		ck_store_close(s);
		return -EIO;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	if (ck_sq_exec(s, "PRAGMA journal_mode=WAL") != 0 ||
	    ck_sq_exec(s, "PRAGMA synchronous=NORMAL") != 0 ||
	    ck_sq_exec(s, "PRAGMA foreign_keys=ON") != 0) {
		snprintf(err, err_len, "cannot use store %s: %s", path, sqlite3_errmsg(s->db));
		ck_store_close(s);
		return -EIO;
	}
	int rc = migrate(s, err, err_len);
	if (rc != 0) {
		ck_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ck_store_close(struct ck_store *s)
{
	if (!s)
		return;
	ck_sq_cache_clear(s);
	sqlite3_close_v2(s->db);
	free(s);
}

int ck_store_schema_version(struct ck_store *s)
{
	return s->version;
}

int ck_store_begin(struct ck_store *s)
{
	return ck_sq_exec(s, "BEGIN IMMEDIATE");
}

int ck_store_commit(struct ck_store *s)
{
	return ck_sq_exec(s, "COMMIT");
}

int ck_store_rollback(struct ck_store *s)
{
	return ck_sq_exec(s, "ROLLBACK");
}

int ck_store_legacy_journal_read(const char *path, int64_t after,
                                 int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		ck_error("store", "cannot open the old journal %s: %s", path,
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close_v2(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db,
	                       "SELECT seq, received_ms, client_id, thing, topic, qos, retain,"
	                       " payload, payload_size FROM journal WHERE seq > ? ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK) {
		ck_error("store", "read the old journal %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return -EIO;
	}
	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_journal_row row = {
			.seq = sqlite3_column_int64(st, 0),
			.received_ms = sqlite3_column_int64(st, 1),
			.client_id = (const char *)sqlite3_column_text(st, 2),
			.thing = (const char *)sqlite3_column_text(st, 3),
			.topic = (const char *)sqlite3_column_text(st, 4),
			.qos = sqlite3_column_int(st, 5),
			.retain = sqlite3_column_int(st, 6) != 0,
			.payload_size = sqlite3_column_int64(st, 8),
		};
		if (!row.client_id || !row.thing || !row.topic)
			continue; /* NOT NULL in the old schema; a damaged row */
		if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
			row.payload = sqlite3_column_blob(st, 7);
			row.payload_len = (size_t)sqlite3_column_bytes(st, 7);
			if (!row.payload)
				row.payload = (const uint8_t *)"";
		}
		n++;
		int stop = fn(&row, ctx);
		if (stop != 0) {
			sqlite3_finalize(st);
			sqlite3_close_v2(db);
			return stop;
		}
	}
	if (rc != SQLITE_DONE)
		ck_error("store", "read the old journal %s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc == SQLITE_DONE ? n : -EIO;
}

int ck_store_cursor_get(struct ck_store *s, const char *name, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	*out = 0;
	if (ck_sq_prepare(s, "SELECT value FROM cursor WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	ck_sq_finish(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read cursor");
}

int ck_store_cursor_set(struct ck_store *s, const char *name, int64_t value)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO cursor(name, value) VALUES(?, ?)"
	                  " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	int rc = ck_sq_step_done(s, st, "write cursor");
	ck_sq_finish(s, st);
	return rc;
}
