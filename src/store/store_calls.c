/*
 * Calls in the SQLite store (see store_calls.h): kinds, call rows and
 * their conditional transitions, the change log and escalation timers.
 */
#include "store/store_calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite_int.h"

/* --- kinds --------------------------------------------------------------- */

int ck_store_kind_put(struct ck_store *s, const char *name, const char *def, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "INSERT INTO call_kind(name, definition, created_ms) VALUES(?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, def, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	int rc = ck_sq_step_done(s, st, "insert call kind");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_kind_replace(struct ck_store *s, const char *name, const char *def, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "UPDATE call_kind SET definition = ?, updated_ms = ? WHERE name = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, def, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "update call kind");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

static cJSON *kind_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
	if (!o)
		return NULL;
	ck_sq_add_column(o, "createdAt", st, 1);
	ck_sq_add_column(o, "updatedAt", st, 2);
	return o;
}

int ck_store_kind_get(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT definition, created_ms, updated_ms FROM call_kind WHERE name = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = kind_row(st);
		rc = *out ? 0 : -EIO;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read call kind");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_kind_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM call_kind WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "delete call kind");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_kind_list(struct ck_store *s, cJSON *items)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT definition, created_ms, updated_ms FROM call_kind"
	                  " ORDER BY name LIMIT 500",
	                  &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = kind_row(st);
		if (o)
			cJSON_AddItemToArray(items, o);
	}
	rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "list call kinds");
	ck_sq_finish(s, st);
	return rc;
}

/* --- calls --------------------------------------------------------------- */

int ck_store_call_insert(struct ck_store *s, const struct ck_call_new *c, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO workorder(kind, thing, click_type, location, rule, event_seq,"
	        " pressed_ms, created_ms, priority, category, place, presses,"
	        " last_press_ms, updated_ms, version, is_call)"
	        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?8, ?8, 1, 1)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->thing, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 3, c->click_type);
	ck_sq_bind_text(st, 4, c->location);
	ck_sq_bind_text(st, 5, c->rule);
	sqlite3_bind_int64(st, 6, c->event_seq);
	sqlite3_bind_int64(st, 7, c->pressed_ms);
	sqlite3_bind_int64(st, 8, c->now_ms);
	sqlite3_bind_text(st, 9, c->priority ? c->priority : "normal", -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 10, c->category);
	sqlite3_bind_text(st, 11, c->place, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "insert call");
	ck_sq_finish(s, st);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int read_row(struct ck_store *s, sqlite3_stmt *st, struct ck_call_row *out, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(st, 0);
		copy_text(out->kind, sizeof(out->kind), st, 1);
		copy_text(out->thing, sizeof(out->thing), st, 2);
		copy_text(out->status, sizeof(out->status), st, 3);
		copy_text(out->claimed_by, sizeof(out->claimed_by), st, 4);
		copy_text(out->priority, sizeof(out->priority), st, 5);
		out->presses = sqlite3_column_int(st, 6);
		out->event_seq = sqlite3_column_int64(st, 7);
		out->is_call = sqlite3_column_int(st, 8);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, what);
	}
	ck_sq_finish(s, st);
	return rc;
}

#define ROW_COLUMNS                                                                                \
	"SELECT id, kind, thing, status, claimed_by, priority, presses, event_seq, is_call"        \
	" FROM workorder "

int ck_store_call_find_open(struct ck_store *s, const char *kind, const char *place,
                            struct ck_call_row *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  ROW_COLUMNS "WHERE kind = ? AND place = ? AND is_call = 1"
	                              " AND status IN ('raised','claimed','arrived')"
	                              " ORDER BY id DESC LIMIT 1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, place, -1, SQLITE_STATIC);
	return read_row(s, st, out, "find open call");
}

int ck_store_call_read(struct ck_store *s, int64_t id, struct ck_call_row *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, ROW_COLUMNS "WHERE id = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return read_row(s, st, out, "read call");
}

int ck_store_call_join(struct ck_store *s, int64_t id, int64_t now_ms, const char *priority,
                       int raise_priority)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE workorder SET presses = presses + 1, last_press_ms = ?2,"
	                  " updated_ms = ?2, version = version + 1,"
	                  " priority = CASE WHEN ?4 THEN ?3 ELSE priority END WHERE id = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, priority ? priority : "normal", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, raise_priority ? 1 : 0);
	int rc = ck_sq_step_done(s, st, "join call");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_call_update(struct ck_store *s, const struct ck_call_update *u)
{
	sqlite3_stmt *st = NULL;
	/* One statement whose WHERE names the status the caller saw: of two
	 * writers racing from the same status, only the first matches. */
	if (ck_sq_prepare(
	        s,
	        "UPDATE workorder SET status = ?3, updated_ms = ?4, version = version + 1,"
	        " claimed_by = CASE ?3 WHEN 'claimed' THEN ?5 WHEN 'raised' THEN NULL"
	        "   ELSE claimed_by END,"
	        " claimed_ms = CASE ?3 WHEN 'claimed' THEN ?4 WHEN 'raised' THEN NULL"
	        "   ELSE claimed_ms END,"
	        " arrived_ms = CASE ?3 WHEN 'arrived' THEN ?4 WHEN 'raised' THEN NULL"
	        "   ELSE arrived_ms END,"
	        " resolved_ms = CASE ?3 WHEN 'resolved' THEN ?4 ELSE resolved_ms END,"
	        " cancelled_ms = CASE ?3 WHEN 'cancelled' THEN ?4 ELSE cancelled_ms END,"
	        " closed_by = CASE WHEN ?3 IN ('resolved','cancelled') THEN ?5 ELSE closed_by END,"
	        " closure_reason = CASE WHEN ?3 IN ('resolved','cancelled') THEN ?6"
	        "   ELSE closure_reason END,"
	        " note = CASE WHEN ?3 = 'resolved' THEN ?7 ELSE note END"
	        " WHERE id = ?1 AND status = ?2",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, u->id);
	sqlite3_bind_text(st, 2, u->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, u->now_ms);
	ck_sq_bind_text(st, 5, u->actor);
	ck_sq_bind_text(st, 6, u->reason);
	ck_sq_bind_text(st, 7, u->note);
	int rc = ck_sq_step_done(s, st, "update call");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -EAGAIN;
	return rc;
}

int ck_store_call_escalated(struct ck_store *s, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE workorder SET escalations = escalations + 1, escalated_ms = ?2,"
	                  " updated_ms = ?2, version = version + 1 WHERE id = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	int rc = ck_sq_step_done(s, st, "count escalation");
	ck_sq_finish(s, st);
	return rc;
}

/* --- change log ---------------------------------------------------------- */

int ck_store_call_change(struct ck_store *s, int64_t id, const char *change, int64_t now_ms,
                         int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "INSERT INTO call_change(workorder_id, change, at_ms) VALUES(?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, change, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	int rc = ck_sq_step_done(s, st, "log call change");
	ck_sq_finish(s, st);
	if (rc == 0 && seq)
		*seq = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int ck_store_call_change_bounds(struct ck_store *s, int64_t *oldest, int64_t *newest)
{
	sqlite3_stmt *st = NULL;
	*oldest = *newest = 0;
	if (ck_sq_prepare(s, "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM call_change",
	                  &st) != 0)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*oldest = sqlite3_column_int64(st, 0);
		*newest = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = ck_sq_fail(s, "read change bounds");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_thing_change(struct ck_store *s, const char *thing, int64_t now_ms, int64_t window_ms,
                          int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	*seq = 0;
	if (ck_sq_prepare(s,
	                  "INSERT INTO call_change(workorder_id, change, at_ms, thing)"
	                  " SELECT 0, 'thing', ?2, ?1 FROM thing WHERE name = ?1 AND NOT EXISTS"
	                  " (SELECT 1 FROM call_change WHERE thing = ?1 AND at_ms > ?2 - ?3)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, thing, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, window_ms);
	int rc = ck_sq_step_done(s, st, "log thing change");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) > 0)
		*seq = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int ck_store_call_changes(struct ck_store *s, int64_t after, int limit,
                          int (*fn)(int64_t seq, int64_t id, const char *change, const char *thing,
                                    void *arg),
                          void *arg)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT seq, workorder_id, change, thing FROM call_change WHERE seq > ?"
	                  " ORDER BY seq LIMIT ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	int rc, stop = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stop = fn(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		          (const char *)sqlite3_column_text(st, 2),
		          (const char *)sqlite3_column_text(st, 3), arg);
		if (stop)
			break;
	}
	if (stop)
		rc = stop;
	else
		rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read call changes");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_call_change_prune(struct ck_store *s)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "DELETE FROM call_change WHERE seq <= (SELECT max(seq) FROM call_change)"
	                  " - ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int(st, 1, CK_STORE_CALL_CHANGES_KEPT);
	int rc = ck_sq_step_done(s, st, "prune call changes");
	ck_sq_finish(s, st);
	return rc;
}

/* --- the API shape ------------------------------------------------------- */

#define JSON_COLUMNS                                                                               \
	"SELECT id, kind, status, thing, click_type, location, rule, event_seq, pressed_ms,"       \
	" created_ms, priority, category, updated_ms, presses, last_press_ms, claimed_by,"         \
	" claimed_ms, arrived_ms, resolved_ms, cancelled_ms, closed_by, closure_reason, note,"     \
	" escalations, escalated_ms, version, is_call FROM workorder "

static cJSON *call_row(sqlite3_stmt *st)
{
	static const char *const keys[] = {
		"id",        "kind",          "status",    "thing",       "clickType",
		"location",  "rule",          "eventSeq",  "pressedAt",   "createdAt",
		"priority",  "category",      "updatedAt", "presses",     "lastPressAt",
		"claimedBy", "claimedAt",     "arrivedAt", "resolvedAt",  "cancelledAt",
		"closedBy",  "closureReason", "note",      "escalations", "lastEscalatedAt",
		"version",
	};
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	for (int i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
		ck_sq_add_column(o, keys[i], st, i);
	cJSON_AddBoolToObject(o, "call", sqlite3_column_int(st, 26));
	return o;
}

int ck_store_call_get_json(struct ck_store *s, int64_t id, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s, JSON_COLUMNS "WHERE id = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return ck_sq_get_one(s, st, call_row, "read call", out);
}

int ck_store_call_list(struct ck_store *s, const struct ck_call_query *q, cJSON *items,
                       int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  JSON_COLUMNS
	                  "WHERE (?3 IS NULL OR status = ?3 OR (?3 = 'open' AND status IN"
	                  " ('raised','claimed','arrived'))) AND (?4 IS NULL OR thing = ?4)"
	                  " AND (?5 IS NULL OR kind = ?5) AND (?6 IS NULL OR location = ?6)"
	                  " AND (?7 IS NULL OR claimed_by = ?7)"
	                  " AND (?8 < 0 OR created_ms >= ?8) AND (?9 < 0 OR created_ms < ?9)"
	                  " AND (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 8, q->from_ms);
	sqlite3_bind_int64(st, 9, q->to_ms);
	ck_sq_bind_text(st, 3, q->q.status);
	ck_sq_bind_text(st, 4, q->q.thing);
	ck_sq_bind_text(st, 5, q->kind);
	ck_sq_bind_text(st, 6, q->location);
	ck_sq_bind_text(st, 7, q->claimed_by);
	return ck_sq_run_list(s, st, 2, &q->q, items, next, call_row);
}

int ck_store_call_report(struct ck_store *s, int64_t from_ms, int64_t to_ms, const char *kind,
                         int (*fn)(const cJSON *call, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  JSON_COLUMNS "WHERE created_ms >= ?1 AND created_ms < ?2"
	                               " AND (?3 IS NULL OR kind = ?3) ORDER BY id",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	ck_sq_bind_text(st, 3, kind);
	int rc, stop = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = call_row(st);
		if (!o) {
			stop = -ENOMEM;
			break;
		}
		stop = fn(o, arg);
		cJSON_Delete(o);
		if (stop)
			break;
	}
	if (stop)
		rc = stop;
	else
		rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "report calls");
	ck_sq_finish(s, st);
	return rc;
}

/* --- escalation timers --------------------------------------------------- */

int ck_store_escalation_set(struct ck_store *s, int64_t id, const char *stage, int64_t due_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT OR REPLACE INTO escalation(workorder_id, stage, due_ms, fired)"
	                  " VALUES(?, ?, ?, 0)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, due_ms);
	int rc = ck_sq_step_done(s, st, "set escalation");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_escalation_clear(struct ck_store *s, int64_t id, const char *stage)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s, "DELETE FROM escalation WHERE workorder_id = ? AND (?2 IS NULL OR stage = ?2)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	ck_sq_bind_text(st, 2, stage);
	int rc = ck_sq_step_done(s, st, "clear escalation");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_escalation_next(struct ck_store *s, int64_t *due_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT min(due_ms) FROM escalation", &st) != 0)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*due_ms = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW ? -ENOENT : ck_sq_fail(s, "next escalation");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_escalation_due(struct ck_store *s, int64_t now_ms, struct ck_escalation_row *rows,
                            int max)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT workorder_id, stage, due_ms, fired FROM escalation"
	                  " WHERE due_ms <= ? ORDER BY due_ms LIMIT ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int(st, 2, max);
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		rows[n].id = sqlite3_column_int64(st, 0);
		copy_text(rows[n].stage, sizeof(rows[n].stage), st, 1);
		rows[n].due_ms = sqlite3_column_int64(st, 2);
		rows[n].fired = sqlite3_column_int(st, 3);
		n++;
	}
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? n : ck_sq_fail(s, "due escalations");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_escalation_fired(struct ck_store *s, int64_t id, const char *stage, int64_t next_ms)
{
	if (next_ms == 0)
		return ck_store_escalation_clear(s, id, stage);
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE escalation SET fired = fired + 1, due_ms = ?3"
	                  " WHERE workorder_id = ?1 AND stage = ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next_ms);
	int rc = ck_sq_step_done(s, st, "reschedule escalation");
	ck_sq_finish(s, st);
	return rc;
}
