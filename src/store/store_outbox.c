/*
 * The outbox and the dedup table in the SQLite store (see store_outbox.h).
 */
#include "store/store_outbox.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/sqlite_int.h"

static void bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	if (p)
		sqlite3_bind_blob64(st, i, n ? (const void *)p : "", n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int ck_store_outbox_put(struct ck_store *s, const struct ck_outbox_entry *e, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO outbox(idempotency_key, rule, action_index, action, kind,"
	        " destination, payload, headers, event_seq, thing, topic, client_id,"
	        " original_payload, state, attempts, next_attempt_ms, created_ms,"
	        " expires_ms, last_error, finished_ms)"
	        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?19, ?15, ?16,"
	        " ?17, ?18, ?14, CASE WHEN ?19 = 'pending' THEN NULL ELSE ?17 END)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, e->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, e->action_index);
	sqlite3_bind_text(st, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->destination, -1, SQLITE_STATIC);
	bind_blob(st, 7, e->payload ? e->payload : (const uint8_t *)"", e->payload_len);
	ck_sq_bind_text(st, 8, e->headers);
	sqlite3_bind_int64(st, 9, e->event_seq);
	ck_sq_bind_text(st, 10, e->thing);
	ck_sq_bind_text(st, 11, e->topic);
	ck_sq_bind_text(st, 12, e->client_id);
	bind_blob(st, 13, e->original, e->original_len);
	ck_sq_bind_text(st, 14, e->last_error);
	sqlite3_bind_int(st, 15, e->attempts);
	sqlite3_bind_int64(st, 16, e->next_attempt_ms);
	sqlite3_bind_int64(st, 17, e->created_ms);
	sqlite3_bind_int64(st, 18, e->expires_ms);
	sqlite3_bind_text(st, 19,
	                  e->state        ? e->state
	                  : e->last_error ? "dead"
	                                  : "pending",
	                  -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "insert outbox entry");
	ck_sq_finish(s, st);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

#define ENTRY_COLUMNS                                                                              \
	"id, idempotency_key, rule, action_index, action, kind, destination, payload, headers,"    \
	" event_seq, thing, topic, client_id, original_payload, state, attempts,"                  \
	" next_attempt_ms, created_ms, expires_ms, last_error"

static void entry_from_row(sqlite3_stmt *st, struct ck_outbox_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->key = (const char *)sqlite3_column_text(st, 1);
	e->rule = (const char *)sqlite3_column_text(st, 2);
	e->action_index = sqlite3_column_int(st, 3);
	e->action = (const char *)sqlite3_column_text(st, 4);
	e->kind = (const char *)sqlite3_column_text(st, 5);
	e->destination = (const char *)sqlite3_column_text(st, 6);
	e->payload = sqlite3_column_blob(st, 7);
	e->payload_len = (size_t)sqlite3_column_bytes(st, 7);
	e->headers = (const char *)sqlite3_column_text(st, 8);
	e->event_seq = sqlite3_column_int64(st, 9);
	e->thing = (const char *)sqlite3_column_text(st, 10);
	e->topic = (const char *)sqlite3_column_text(st, 11);
	e->client_id = (const char *)sqlite3_column_text(st, 12);
	e->original = sqlite3_column_blob(st, 13);
	e->original_len = (size_t)sqlite3_column_bytes(st, 13);
	e->state = (const char *)sqlite3_column_text(st, 14);
	e->attempts = sqlite3_column_int(st, 15);
	e->next_attempt_ms = sqlite3_column_int64(st, 16);
	e->created_ms = sqlite3_column_int64(st, 17);
	e->expires_ms = sqlite3_column_int64(st, 18);
	e->last_error = (const char *)sqlite3_column_text(st, 19);
}

int ck_store_outbox_due(struct ck_store *s, int64_t now_ms, int limit,
                        int (*fn)(const struct ck_outbox_entry *e, void *ctx), void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT " ENTRY_COLUMNS " FROM outbox WHERE state = 'pending'"
	                  " AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int(st, 2, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_outbox_entry e;
		entry_from_row(st, &e);
		int stop = fn(&e, ctx);
		if (stop != 0) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read outbox");
}

int ck_store_outbox_next_due(struct ck_store *s, int64_t *when_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT min(next_attempt_ms) FROM outbox WHERE state = 'pending'",
	                  &st) != 0)
		return -EIO;
	int rc = sqlite3_step(st);
	bool none = rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL;
	if (!none)
		*when_ms = sqlite3_column_int64(st, 0);
	ck_sq_finish(s, st);
	if (rc != SQLITE_ROW)
		return ck_sq_fail(s, "read outbox");
	return none ? -ENOENT : 0;
}

static int update(struct ck_store *s, const char *sql, int64_t id, int64_t a, int64_t b,
                  const char *text)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	/* Statements use a prefix of (id, a, b, text); bind only what they have. */
	int n = sqlite3_bind_parameter_count(st);
	sqlite3_bind_int64(st, 1, id);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, a);
	if (n >= 3)
		sqlite3_bind_int64(st, 3, b);
	if (n >= 4)
		ck_sq_bind_text(st, 4, text);
	int rc = ck_sq_step_done(s, st, "update outbox");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	return rc;
}

int ck_store_outbox_done(struct ck_store *s, int64_t id, int64_t now_ms)
{
	return update(s,
	              "UPDATE outbox SET state = 'done', attempts = attempts + 1, finished_ms = ?2,"
	              " last_error = NULL WHERE id = ?1 AND state = 'pending'",
	              id, now_ms, 0, NULL);
}

int ck_store_outbox_retry(struct ck_store *s, int64_t id, int attempts, int64_t next_ms,
                          const char *error)
{
	return update(s,
	              "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4"
	              " WHERE id = ?1 AND state = 'pending'",
	              id, attempts, next_ms, error);
}

int ck_store_outbox_dead(struct ck_store *s, int64_t id, int attempts, int64_t now_ms,
                         const char *error)
{
	return update(s,
	              "UPDATE outbox SET state = 'dead', attempts = ?2, finished_ms = ?3,"
	              " last_error = ?4 WHERE id = ?1 AND state = 'pending'",
	              id, attempts, now_ms, error);
}

int ck_store_outbox_requeue(struct ck_store *s, int64_t id, int64_t now_ms, int64_t expires_ms)
{
	return update(s,
	              "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?2,"
	              " expires_ms = ?3, finished_ms = NULL WHERE id = ?1 AND state = 'dead'",
	              id, now_ms, expires_ms, NULL);
}

int ck_store_outbox_siblings(struct ck_store *s, int64_t event_seq, const char *rule, int *pending,
                             cJSON *failures)
{
	sqlite3_stmt *st = NULL;
	*pending = 0;
	if (ck_sq_prepare(s,
	                  "SELECT state, kind, destination, last_error FROM outbox"
	                  " WHERE event_seq = ?1 AND rule = ?2 AND action_index >= 0 ORDER BY id",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, event_seq);
	sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(state, "pending") == 0) {
			(*pending)++;
		} else if (strcmp(state, "dead") == 0) {
			cJSON *f = cJSON_CreateObject();
			ck_sq_add_column(f, "failedAction", st, 1);
			ck_sq_add_column(f, "failedResource", st, 2);
			ck_sq_add_column(f, "errorMessage", st, 3);
			cJSON_AddItemToArray(failures, f);
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read outbox");
}

static cJSON *entry_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "id", st, 0);
	ck_sq_add_column(o, "idempotencyKey", st, 1);
	ck_sq_add_column(o, "rule", st, 2);
	ck_sq_add_column(o, "actionIndex", st, 3);
	ck_sq_add_json_column(o, "action", st, 4);
	ck_sq_add_column(o, "kind", st, 5);
	ck_sq_add_column(o, "destination", st, 6);
	ck_sq_add_column(o, "eventSeq", st, 9);
	ck_sq_add_column(o, "thing", st, 10);
	ck_sq_add_column(o, "topic", st, 11);
	ck_sq_add_column(o, "state", st, 14);
	ck_sq_add_column(o, "attempts", st, 15);
	ck_sq_add_column(o, "nextAttemptAt", st, 16);
	ck_sq_add_column(o, "createdAt", st, 17);
	ck_sq_add_column(o, "expiresAt", st, 18);
	ck_sq_add_column(o, "lastError", st, 19);
	return o;
}

int ck_store_outbox_get_json(struct ck_store *s, int64_t id, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s, "SELECT " ENTRY_COLUMNS " FROM outbox WHERE id = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return ck_sq_get_one(s, st, entry_json, "read outbox", out);
}

int ck_store_outbox_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                         int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT " ENTRY_COLUMNS " FROM outbox"
	                  " WHERE (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR thing = ?4)"
	                  " AND (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 3, q->status);
	ck_sq_bind_text(st, 4, q->thing);
	return ck_sq_run_list(s, st, 2, q, items, next, entry_json);
}

int ck_store_dedup(struct ck_store *s, const char *thing, const char *key, int64_t when_ms,
                   int64_t window_ms, int64_t seq, int64_t *dup_of)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT seen_ms, event_seq FROM dedup WHERE thing = ?1 AND key = ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, thing, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	bool seen = rc == SQLITE_ROW;
	int64_t seen_ms = seen ? sqlite3_column_int64(st, 0) : 0;
	int64_t seen_seq = seen ? sqlite3_column_int64(st, 1) : 0;
	ck_sq_finish(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ck_sq_fail(s, "read dedup");
	if (seen && (window_ms <= 0 || when_ms - seen_ms <= window_ms)) {
		*dup_of = seen_seq;
		return -EEXIST;
	}
	if (ck_sq_prepare(s,
	                  "INSERT INTO dedup(thing, key, seen_ms, event_seq) VALUES(?1, ?2, ?3, ?4)"
	                  " ON CONFLICT(thing, key) DO UPDATE SET seen_ms = excluded.seen_ms,"
	                  " event_seq = excluded.event_seq",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, thing, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when_ms);
	sqlite3_bind_int64(st, 4, seq);
	rc = ck_sq_step_done(s, st, "write dedup");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_dedup_prune(struct ck_store *s, int64_t before_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM dedup WHERE seen_ms < ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ms);
	int rc = ck_sq_step_done(s, st, "prune dedup");
	ck_sq_finish(s, st);
	return rc;
}
