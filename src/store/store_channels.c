/*
 * Channels in the SQLite store (see store_channels.h).
 */
#include "store/store_channels.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite_int.h"

void ck_store_channel_row_cleanup(struct ck_channel_row *r)
{
	free(r->config);
	r->config = NULL;
}

int ck_store_channel_put(struct ck_store *s, const char *name, const char *config,
                         int64_t cap_micros, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO channel(name, config, cap_micros, created_ms)"
	                  " VALUES(?1, ?2, ?3, ?4)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, config, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cap_micros);
	sqlite3_bind_int64(st, 4, now_ms);
	int rc = ck_sq_step_done(s, st, "insert channel");
	ck_sq_finish(s, st);
	return rc;
}

static int row_from(sqlite3_stmt *st, struct ck_channel_row *r)
{
	memset(r, 0, sizeof(*r));
	ck_sq_copy_name(r->name, sqlite3_column_text(st, 0));
	r->config = strdup((const char *)sqlite3_column_text(st, 1));
	r->cap_micros = sqlite3_column_int64(st, 2);
	const unsigned char *w = sqlite3_column_text(st, 3);
	snprintf(r->warned_month, sizeof(r->warned_month), "%s", w ? (const char *)w : "");
	r->created_ms = sqlite3_column_int64(st, 4);
	return r->config ? 0 : -ENOMEM;
}

int ck_store_channel_get(struct ck_store *s, const char *name, struct ck_channel_row *r)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT name, config, cap_micros, warned_month, created_ms FROM channel"
	                  " WHERE name = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	int rc;
	if (step == SQLITE_ROW)
		rc = row_from(st, r);
	else if (step == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = ck_sq_fail(s, "read channel");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_each(struct ck_store *s, int (*fn)(const struct ck_channel_row *r, void *ctx),
                          void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT name, config, cap_micros, warned_month, created_ms FROM channel"
	                  " ORDER BY name",
	                  &st) != 0)
		return -EIO;
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_channel_row r;
		rc = row_from(st, &r);
		if (rc == 0)
			rc = fn(&r, ctx);
		ck_store_channel_row_cleanup(&r);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = ck_sq_fail(s, "list channels");
	ck_sq_finish(s, st);
	return rc;
}

/* Runs a statement on a channel (?1 the name; ?2 and ?3 bound when the SQL
 * has them) and maps "no row changed" to -ENOENT. */
static int change_named(struct ck_store *s, const char *sql, const char *name, int64_t v,
                        const char *text, const char *what)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	ck_sq_bind_text(st, 3, text);
	int rc = ck_sq_step_done(s, st, what);
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_channel_delete(struct ck_store *s, const char *name)
{
	return change_named(s, "DELETE FROM channel WHERE name = ?1", name, 0, NULL,
	                    "delete channel");
}

int ck_store_channel_set_cap(struct ck_store *s, const char *name, int64_t cap_micros)
{
	return change_named(s, "UPDATE channel SET cap_micros = ?2 WHERE name = ?1", name,
	                    cap_micros, NULL, "set channel cap");
}

int ck_store_channel_set_warned(struct ck_store *s, const char *name, const char *month)
{
	return change_named(s, "UPDATE channel SET warned_month = ?3 WHERE name = ?1", name, 0,
	                    month, "set channel warning");
}

int ck_store_channel_sub_put(struct ck_store *s, const struct ck_channel_sub *sub, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO channel_subscription(channel, protocol, endpoint,"
	                  " filter_policy, secret, created_ms)"
	                  " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS"
	                  " (SELECT 1 FROM channel WHERE name = ?1)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, sub->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sub->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sub->endpoint ? sub->endpoint : "", -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 4, sub->filter);
	ck_sq_bind_text(st, 5, sub->secret);
	sqlite3_bind_int64(st, 6, sub->created_ms);
	int rc = ck_sq_step_done(s, st, "insert subscription");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int ck_store_channel_sub_each(struct ck_store *s, const char *channel,
                              int (*fn)(const struct ck_channel_sub *sub, void *ctx), void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, channel, protocol, endpoint, filter_policy, secret,"
	                  " created_ms FROM channel_subscription WHERE channel = ?1 ORDER BY id",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_channel_sub sub = {
			.id = sqlite3_column_int64(st, 0),
			.channel = (const char *)sqlite3_column_text(st, 1),
			.protocol = (const char *)sqlite3_column_text(st, 2),
			.endpoint = (const char *)sqlite3_column_text(st, 3),
			.filter = (const char *)sqlite3_column_text(st, 4),
			.secret = (const char *)sqlite3_column_text(st, 5),
			.created_ms = sqlite3_column_int64(st, 6),
		};
		rc = fn(&sub, ctx);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = ck_sq_fail(s, "list subscriptions");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_sub_delete(struct ck_store *s, const char *channel, int64_t id)
{
	return change_named(s,
	                    "DELETE FROM channel_subscription WHERE channel = ?1 AND id = ?2"
	                    "",
	                    channel, id, NULL, "delete subscription");
}

int ck_store_channel_msg_put(struct ck_store *s, const struct ck_channel_msg *m, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (m->origin_key) {
		if (ck_sq_prepare(s, "SELECT id FROM channel_message WHERE origin_key = ?1", &st) !=
		    0)
			return -EIO;
		sqlite3_bind_text(st, 1, m->origin_key, -1, SQLITE_STATIC);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			*id = sqlite3_column_int64(st, 0);
		ck_sq_finish(s, st);
		if (step == SQLITE_ROW)
			return -EEXIST;
		if (step != SQLITE_DONE)
			return ck_sq_fail(s, "read channel message");
	}
	if (ck_sq_prepare(s,
	                  "INSERT INTO channel_message(channel, subject, message, attributes,"
	                  " source, origin_key, event_seq, thing, created_ms)"
	                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, m->channel, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 2, m->subject);
	sqlite3_bind_text(st, 3, m->message, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 4, m->attributes);
	sqlite3_bind_text(st, 5, m->source ? m->source : "api", -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 6, m->origin_key);
	sqlite3_bind_int64(st, 7, m->event_seq);
	ck_sq_bind_text(st, 8, m->thing);
	sqlite3_bind_int64(st, 9, m->created_ms);
	int rc = ck_sq_step_done(s, st, "insert channel message");
	ck_sq_finish(s, st);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int ck_store_channel_delivery_put(struct ck_store *s, int64_t message_id, int64_t sub_id,
                                  const char *protocol, const char *endpoint,
                                  const char *outbox_key, int segments)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO channel_delivery(message_id, subscription_id, protocol,"
	                  " endpoint, outbox_key, segments) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_int64(st, 2, sub_id);
	sqlite3_bind_text(st, 3, protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, outbox_key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, segments);
	int rc = ck_sq_step_done(s, st, "insert channel delivery");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_deliveries(struct ck_store *s, const char *channel, int64_t message_id,
                                int limit, cJSON *items)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "SELECT d.message_id, d.subscription_id, d.protocol, d.endpoint, d.segments,"
	        " o.state, o.attempts, o.last_error, o.id, o.created_ms, o.finished_ms"
	        " FROM channel_delivery d JOIN channel_message m ON m.id = d.message_id"
	        " LEFT JOIN outbox o ON o.idempotency_key = d.outbox_key"
	        " WHERE m.channel = ?1 AND (?2 = 0 OR d.message_id = ?2)"
	        " ORDER BY d.message_id DESC, d.subscription_id LIMIT ?3",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, message_id);
	sqlite3_bind_int(st, 3, limit);
	static const char *const keys[] = { "messageId", "subscriptionId", "protocol",  "endpoint",
		                            "segments",  "state",          "attempts",  "lastError",
		                            "outboxId",  "createdMs",      "finishedMs" };
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		for (int i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
			ck_sq_add_column(o, keys[i], st, i);
		cJSON_AddItemToArray(items, o);
	}
	int rc = step == SQLITE_DONE  ? 0
	         : step == SQLITE_ROW ? -ENOMEM
	                              : ck_sq_fail(s, "list deliveries");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_spent(struct ck_store *s, const char *channel, const char *month,
                           const char *except_key, int64_t *micros, int64_t *segments)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT coalesce(sum(cost_micros), 0), coalesce(sum(segments), 0)"
	                  " FROM channel_spend WHERE channel = ?1 AND month = ?2"
	                  " AND outbox_key IS NOT ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 3, except_key);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*micros = sqlite3_column_int64(st, 0);
		if (segments)
			*segments = sqlite3_column_int64(st, 1);
	} else {
		rc = ck_sq_fail(s, "read channel spend");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_reserve(struct ck_store *s, const char *key, const char *channel,
                             const char *month, int segments, int64_t cost_micros, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT OR REPLACE INTO channel_spend(outbox_key, channel, month,"
	                  " segments, cost_micros, sent, created_ms)"
	                  " VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, month, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, segments);
	sqlite3_bind_int64(st, 5, cost_micros);
	sqlite3_bind_int64(st, 6, now_ms);
	int rc = ck_sq_step_done(s, st, "reserve channel spend");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_channel_reservation_end(struct ck_store *s, const char *key, bool sent)
{
	sqlite3_stmt *st = NULL;
	const char *sql = sent ? "UPDATE channel_spend SET sent = 1 WHERE outbox_key = ?1"
	                       : "DELETE FROM channel_spend WHERE outbox_key = ?1 AND sent = 0";
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "end channel spend reservation");
	ck_sq_finish(s, st);
	return rc;
}
