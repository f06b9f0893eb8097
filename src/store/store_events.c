/*
 * Events and work orders in the SQLite store.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

int ck_store_event_put(struct ck_store *s, const struct ck_event_row *e)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO event(seq, thing, topic, received_ms, status, reason, click_type,"
	        " payload_size) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_text(st, 2, e->thing, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->received_ms);
	static const char *const names[] = { "accepted", "rejected", "duplicate" };
	sqlite3_bind_text(st, 5, names[e->status], -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 6, e->reason);
	ck_sq_bind_text(st, 7, e->click_type);
	sqlite3_bind_int64(st, 8, e->payload_size);
	int rc = ck_sq_step_done(s, st, "insert event");
	ck_sq_finish(s, st);
	return rc;
}

static cJSON *event_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "seq", st, 0);
	ck_sq_add_column(o, "thing", st, 1);
	ck_sq_add_column(o, "topic", st, 2);
	ck_sq_add_column(o, "receivedAt", st, 3);
	ck_sq_add_column(o, "status", st, 4);
	ck_sq_add_column(o, "reason", st, 5);
	ck_sq_add_column(o, "clickType", st, 6);
	ck_sq_add_column(o, "payloadSize", st, 7);
	return o;
}

int ck_store_event_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT seq, thing, topic, received_ms, status, reason, click_type, payload_size"
	        " FROM event WHERE (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR thing = ?4)"
	        " AND (?1 = 0 OR seq < ?1) ORDER BY seq DESC LIMIT ?2",
	        &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 3, q->status);
	ck_sq_bind_text(st, 4, q->thing);
	return ck_sq_run_list(s, st, 2, q, items, next, event_row);
}

int ck_store_workorder_put(struct ck_store *s, const struct ck_workorder *w, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO workorder(kind, thing, click_type, location, rule, event_seq,"
	        " pressed_ms, created_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, w->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->thing, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 3, w->click_type);
	ck_sq_bind_text(st, 4, w->location);
	ck_sq_bind_text(st, 5, w->rule);
	sqlite3_bind_int64(st, 6, w->event_seq);
	sqlite3_bind_int64(st, 7, w->pressed_ms);
	sqlite3_bind_int64(st, 8, w->created_ms);
	int rc = ck_sq_step_done(s, st, "insert work order");
	ck_sq_finish(s, st);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static cJSON *workorder_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "id", st, 0);
	ck_sq_add_column(o, "kind", st, 1);
	ck_sq_add_column(o, "status", st, 2);
	ck_sq_add_column(o, "thing", st, 3);
	ck_sq_add_column(o, "clickType", st, 4);
	ck_sq_add_column(o, "location", st, 5);
	ck_sq_add_column(o, "rule", st, 6);
	ck_sq_add_column(o, "eventSeq", st, 7);
	ck_sq_add_column(o, "pressedAt", st, 8);
	ck_sq_add_column(o, "createdAt", st, 9);
	return o;
}

int ck_store_workorder_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                            int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, kind, status, thing, click_type, location, rule, event_seq,"
	                  " pressed_ms, created_ms FROM workorder"
	                  " WHERE (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR thing = ?4)"
	                  " AND (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 3, q->status);
	ck_sq_bind_text(st, 4, q->thing);
	return ck_sq_run_list(s, st, 2, q, items, next, workorder_row);
}
