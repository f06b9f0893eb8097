/*
 * Queues in the SQLite store (see store_queues.h). A message is one row of
 * queue_message; it is receivable when visible_ms has passed. A receive
 * pushes visible_ms forward and replaces the receipt handle, so only the
 * newest handle deletes. After a commit that made a message receivable the
 * connection's WAL hook calls the process-wide listener.
 */
#include "store/store_queues.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/store_usage.h"
#include "store/sqlite_int.h"

/* The WAL hook also does what SQLite's default hook does: checkpoint once
 * the log holds this many pages. */
#define AUTOCHECKPOINT_PAGES 1000

static pthread_mutex_t listener_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*listener_fn)(void *ctx);
static void *listener_ctx;

void ck_store_queue_listen(void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&listener_lock);
	listener_fn = fn;
	listener_ctx = ctx;
	pthread_mutex_unlock(&listener_lock);
}

/* Runs after every commit on a connection that has touched a queue. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ck_store *s = arg;
	if (s->queue_dirty) {
		s->queue_dirty = false;
		pthread_mutex_lock(&listener_lock);
		if (listener_fn)
			listener_fn(listener_ctx);
		pthread_mutex_unlock(&listener_lock);
	}
	if (pages >= AUTOCHECKPOINT_PAGES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Marks the transaction as one that listeners must hear of. */
static void mark_dirty(struct ck_store *s)
{
	if (!s->queue_hooked) {
		sqlite3_wal_hook(s->db, on_wal_commit, s);
		s->queue_hooked = true;
	}
	s->queue_dirty = true;
}

bool ck_queue_name_valid(const char *name)
{
	if (!name)
		return false;
	size_t n = strnlen(name, CK_QUEUE_NAME_MAX + 1);
	if (n == 0 || n > CK_QUEUE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

void ck_queue_attrs_default(struct ck_queue_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->visibility_timeout_s = CK_QUEUE_VISIBILITY_DEFAULT_S;
	a->retention_s = CK_QUEUE_RETENTION_DEFAULT_S;
}

int ck_queue_attrs_check(const struct ck_queue_attrs *a, char *why, size_t why_len)
{
	if (!ck_queue_name_valid(a->name)) {
		snprintf(why, why_len, "a queue name is 1 to 80 letters, digits, '_' or '-'");
		return -EINVAL;
	}
	if (a->visibility_timeout_s < 0 || a->visibility_timeout_s > CK_QUEUE_VISIBILITY_MAX_S) {
		snprintf(why, why_len, "visibilityTimeout must be 0 to %d seconds",
		         CK_QUEUE_VISIBILITY_MAX_S);
		return -EINVAL;
	}
	if (a->retention_s < CK_QUEUE_RETENTION_MIN_S ||
	    a->retention_s > CK_QUEUE_RETENTION_MAX_S) {
		snprintf(why, why_len, "messageRetentionPeriod must be %d to %d seconds",
		         CK_QUEUE_RETENTION_MIN_S, CK_QUEUE_RETENTION_MAX_S);
		return -EINVAL;
	}
	if (a->delay_s < 0 || a->delay_s > CK_QUEUE_DELAY_MAX_S) {
		snprintf(why, why_len, "delaySeconds must be 0 to %d", CK_QUEUE_DELAY_MAX_S);
		return -EINVAL;
	}
	if (a->receive_wait_s < 0 || a->receive_wait_s > CK_QUEUE_WAIT_MAX_S) {
		snprintf(why, why_len, "receiveMessageWaitTimeSeconds must be 0 to %d",
		         CK_QUEUE_WAIT_MAX_S);
		return -EINVAL;
	}
	if (a->dead_letter_queue[0]) {
		if (!ck_queue_name_valid(a->dead_letter_queue)) {
			snprintf(why, why_len, "redrivePolicy.deadLetterQueue is not a queue name");
			return -EINVAL;
		}
		if (strcmp(a->dead_letter_queue, a->name) == 0) {
			snprintf(why, why_len, "a queue cannot be its own dead-letter queue");
			return -EINVAL;
		}
		if (a->max_receive_count < 1 || a->max_receive_count > CK_QUEUE_MAX_RECEIVE_COUNT) {
			snprintf(why, why_len, "redrivePolicy.maxReceiveCount must be 1 to %d",
			         CK_QUEUE_MAX_RECEIVE_COUNT);
			return -EINVAL;
		}
	} else if (a->max_receive_count != 0) {
		snprintf(why, why_len, "redrivePolicy.maxReceiveCount needs a deadLetterQueue");
		return -EINVAL;
	}
	return 0;
}

/*
 * Starts a write transaction unless the caller has one open (then a
 * savepoint, so a failure here undoes only this call). *own says which.
 */
static int tx_begin(struct ck_store *s, bool *own)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return ck_sq_exec(s, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT ck_queue");
}

/* Ends what tx_begin started: commits on rc == 0, else rolls back. */
static int tx_end(struct ck_store *s, bool own, int rc)
{
	if (rc >= 0) {
		int c = ck_sq_exec(s, own ? "COMMIT" : "RELEASE ck_queue");
		if (c == 0)
			return rc;
		rc = c;
	}
	if (own)
		ck_sq_exec(s, "ROLLBACK");
	else
		ck_sq_exec(s, "ROLLBACK TO ck_queue; RELEASE ck_queue");
	return rc;
}

static void attrs_from_row(sqlite3_stmt *st, struct ck_queue_attrs *a)
{
	memset(a, 0, sizeof(*a));
	const unsigned char *dlq = sqlite3_column_text(st, 5);
	snprintf(a->name, sizeof(a->name), "%s", (const char *)sqlite3_column_text(st, 0));
	a->visibility_timeout_s = sqlite3_column_int(st, 1);
	a->retention_s = sqlite3_column_int(st, 2);
	a->delay_s = sqlite3_column_int(st, 3);
	a->receive_wait_s = sqlite3_column_int(st, 4);
	snprintf(a->dead_letter_queue, sizeof(a->dead_letter_queue), "%s",
	         dlq ? (const char *)dlq : "");
	a->max_receive_count = sqlite3_column_int(st, 6);
	a->created_ms = sqlite3_column_int64(st, 7);
}

int ck_store_queue_get(struct ck_store *s, const char *name, struct ck_queue_attrs *out)
{
	static const char sql[] =
	    "SELECT name, visibility_timeout_s, retention_s, delay_s, receive_wait_s,"
	    " dead_letter_queue, max_receive_count, created_ms FROM queue WHERE name = ?1";
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		attrs_from_row(st, out);
	ck_sq_finish(s, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read queue");
}

int ck_store_queue_create(struct ck_store *s, const struct ck_queue_attrs *a, char *why,
                          size_t why_len)
{
	int rc = ck_queue_attrs_check(a, why, why_len);
	if (rc != 0)
		return rc;
	bool own;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	if (a->dead_letter_queue[0]) {
		struct ck_queue_attrs dlq;
		rc = ck_store_queue_get(s, a->dead_letter_queue, &dlq);
		if (rc == -ENOENT) {
			snprintf(why, why_len, "dead-letter queue \"%s\" does not exist",
			         a->dead_letter_queue);
			rc = -EINVAL;
		}
		if (rc != 0)
			return tx_end(s, own, rc);
	}
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO queue(name, visibility_timeout_s, retention_s, delay_s,"
	                  " receive_wait_s, dead_letter_queue, max_receive_count, created_ms)"
	                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	                  &st) != 0)
		return tx_end(s, own, -EIO);
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, a->visibility_timeout_s);
	sqlite3_bind_int(st, 3, a->retention_s);
	sqlite3_bind_int(st, 4, a->delay_s);
	sqlite3_bind_int(st, 5, a->receive_wait_s);
	ck_sq_bind_text(st, 6, a->dead_letter_queue[0] ? a->dead_letter_queue : NULL);
	if (a->dead_letter_queue[0])
		sqlite3_bind_int(st, 7, a->max_receive_count);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, a->created_ms);
	rc = ck_sq_step_done(s, st, "insert queue");
	ck_sq_finish(s, st);
	return tx_end(s, own, rc);
}

int ck_store_queue_delete(struct ck_store *s, const char *name, char *why, size_t why_len)
{
	bool own;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	sqlite3_stmt *st = NULL;
	int rc = ck_sq_prepare(s,
	                       "SELECT name FROM queue WHERE dead_letter_queue = ?1"
	                       " AND name != ?1 LIMIT 1",
	                       &st);
	if (rc != 0)
		return tx_end(s, own, -EIO);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		snprintf(why, why_len,
		         "queue \"%s\" is the dead-letter queue of \"%s\"; delete that one or "
		         "change it first",
		         name, (const char *)sqlite3_column_text(st, 0));
		rc = -EBUSY;
	} else if (step != SQLITE_DONE) {
		rc = ck_sq_fail(s, "find queues using a dead-letter queue");
	}
	ck_sq_finish(s, st);
	if (rc != 0)
		return tx_end(s, own, rc);
	if (ck_sq_prepare(s, "DELETE FROM queue WHERE name = ?1", &st) != 0)
		return tx_end(s, own, -EIO);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "delete queue");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return tx_end(s, own, rc);
}

/* Adds the approximate message counts of queue name at now to obj. */
static int add_counts(struct ck_store *s, cJSON *obj, const char *name, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT count(*) FILTER (WHERE visible_ms <= ?2),"
	                  " count(*) FILTER (WHERE visible_ms > ?2 AND receive_count > 0),"
	                  " count(*) FILTER (WHERE visible_ms > ?2 AND receive_count = 0)"
	                  " FROM queue_message WHERE queue = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		cJSON_AddNumberToObject(obj, "approximateNumberOfMessages",
		                        (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(obj, "approximateNumberOfMessagesNotVisible",
		                        (double)sqlite3_column_int64(st, 1));
		cJSON_AddNumberToObject(obj, "approximateNumberOfMessagesDelayed",
		                        (double)sqlite3_column_int64(st, 2));
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_ROW ? 0 : ck_sq_fail(s, "count queue messages");
}

static cJSON *attrs_json(const struct ck_queue_attrs *a)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddNumberToObject(o, "visibilityTimeout", a->visibility_timeout_s);
	cJSON_AddNumberToObject(o, "messageRetentionPeriod", a->retention_s);
	cJSON_AddNumberToObject(o, "delaySeconds", a->delay_s);
	cJSON_AddNumberToObject(o, "receiveMessageWaitTimeSeconds", a->receive_wait_s);
	if (a->dead_letter_queue[0]) {
		cJSON *r = cJSON_AddObjectToObject(o, "redrivePolicy");
		cJSON_AddStringToObject(r, "deadLetterQueue", a->dead_letter_queue);
		cJSON_AddNumberToObject(r, "maxReceiveCount", a->max_receive_count);
	} else {
		cJSON_AddNullToObject(o, "redrivePolicy");
	}
	cJSON_AddNumberToObject(o, "createdAt", (double)a->created_ms);
	return o;
}

int ck_store_queue_json(struct ck_store *s, const char *name, int64_t now_ms, cJSON **out)
{
	struct ck_queue_attrs a;
	*out = NULL;
	int rc = ck_store_queue_get(s, name, &a);
	if (rc != 0)
		return rc;
	cJSON *o = attrs_json(&a);
	if (!o)
		return -ENOMEM;
	rc = add_counts(s, o, name, now_ms);
	if (rc != 0) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return 0;
}

int ck_store_queue_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	/* rowid first: the list cursor; then the columns attrs_from_row reads. */
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, visibility_timeout_s, retention_s, delay_s,"
	                  " receive_wait_s, dead_letter_queue, max_receive_count, created_ms"
	                  " FROM queue WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 100;
	sqlite3_bind_int64(st, 1, q->after);
	sqlite3_bind_int(st, 2, limit + 1);
	int n = 0, rc;
	*next = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		struct ck_queue_attrs a;
		memset(&a, 0, sizeof(a));
		const unsigned char *dlq = sqlite3_column_text(st, 6);
		snprintf(a.name, sizeof(a.name), "%s", (const char *)sqlite3_column_text(st, 1));
		a.visibility_timeout_s = sqlite3_column_int(st, 2);
		a.retention_s = sqlite3_column_int(st, 3);
		a.delay_s = sqlite3_column_int(st, 4);
		a.receive_wait_s = sqlite3_column_int(st, 5);
		snprintf(a.dead_letter_queue, sizeof(a.dead_letter_queue), "%s",
		         dlq ? (const char *)dlq : "");
		a.max_receive_count = sqlite3_column_int(st, 7);
		a.created_ms = sqlite3_column_int64(st, 8);
		cJSON *o = attrs_json(&a);
		if (!o) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, o);
		*next = sqlite3_column_int64(st, 0);
		n++;
	}
	bool more = rc == SQLITE_ROW;
	ck_sq_finish(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ck_sq_fail(s, "list queues");
	if (!more)
		*next = 0;
	/* Counts need their own statement, so they are added after the scan. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	cJSON *it;
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (cJSON_IsString(nm) && add_counts(s, it, nm->valuestring, now_ms) != 0)
			return -EIO;
	}
	return 0;
}

/* Checks that p[0..n) is UTF-8 without NUL (what a JSON string can carry). */
static bool utf8_text(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	while (i < n) {
		unsigned char c = u[i];
		size_t len;
		uint32_t cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Writes n random bytes as lowercase hex (2n characters and a NUL). */
static int random_hex(char *out, size_t n)
{
	unsigned char buf[32];
	if (n > sizeof(buf) || getrandom(buf, n, 0) != (ssize_t)n)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}

/* A random (version 4) UUID in text, CK_QUEUE_ID_LEN + 1 bytes. */
static int new_message_id(char *out)
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, CK_QUEUE_ID_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
	return 0;
}

static int ck_store_queue_send_op(struct ck_store *s, const char *name, const char *body,
                                  size_t body_len, int delay_s, int64_t now_ms, char *message_id)
{
	char id[CK_QUEUE_ID_LEN + 1];
	if (!body || body_len == 0 || body_len > CK_QUEUE_BODY_MAX || !utf8_text(body, body_len) ||
	    delay_s < -1 || delay_s > CK_QUEUE_DELAY_MAX_S)
		return -EINVAL;
	if (new_message_id(id) != 0)
		return -EIO;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO queue_message(message_id, queue, body, sent_ms, visible_ms)"
	                  " SELECT ?1, name, ?3, ?4,"
	                  " ?4 + 1000 * (CASE WHEN ?5 < 0 THEN delay_s ELSE ?5 END)"
	                  " FROM queue WHERE name = ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, body, (int)body_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int(st, 5, delay_s);
	/* Before the step: without a transaction around it, the step commits. */
	mark_dirty(s);
	int rc = ck_sq_step_done(s, st, "send to queue");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	if (rc == 0 && message_id)
		memcpy(message_id, id, sizeof(id));
	return rc;
}

/* Moves message id to the dead-letter queue dlq as a fresh, visible message. */
static int move_to_dead_letter(struct ck_store *s, int64_t id, const char *from, const char *dlq,
                               int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE queue_message SET queue = ?2, visible_ms = ?3, receive_count = 0,"
	                  " first_receive_ms = NULL, received_ms = NULL, receipt = NULL,"
	                  " dead_letter_source = ?4 WHERE id = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, dlq, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_text(st, 4, from, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "move message to dead-letter queue");
	ck_sq_finish(s, st);
	if (rc == 0)
		mark_dirty(s);
	return rc;
}

static int delete_by_id(struct ck_store *s, int64_t id)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM queue_message WHERE id = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = ck_sq_step_done(s, st, "delete expired message");
	ck_sq_finish(s, st);
	return rc;
}

/* Receives message id: new handle, count + 1, invisible until until_ms. */
static int mark_received(struct ck_store *s, int64_t id, const char *receipt, int64_t now_ms,
                         int64_t until_ms, sqlite3_stmt **row)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE queue_message SET receive_count = receive_count + 1,"
	                  " receipt = ?2, received_ms = ?3, visible_ms = ?4,"
	                  " first_receive_ms = coalesce(first_receive_ms, ?3) WHERE id = ?1"
	                  " RETURNING message_id, body, receive_count, sent_ms, first_receive_ms,"
	                  " dead_letter_source",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, until_ms);
	if (sqlite3_step(st) != SQLITE_ROW) {
		int rc = ck_sq_fail(s, "receive message");
		ck_sq_finish(s, st);
		return rc;
	}
	*row = st;
	return 0;
}

struct candidate {
	int64_t id;
	int64_t sent_ms;
	int receive_count;
};

/* Up to max visible messages of the queue (more when some must move or expire). */
static int candidates(struct ck_store *s, const char *name, int64_t now_ms, struct candidate *c,
                      int max)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, sent_ms, receive_count FROM queue_message"
	                  " WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, id LIMIT ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int(st, 3, max);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		c[n].id = sqlite3_column_int64(st, 0);
		c[n].sent_ms = sqlite3_column_int64(st, 1);
		c[n].receive_count = sqlite3_column_int(st, 2);
		n++;
	}
	ck_sq_finish(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ck_sq_fail(s, "find visible messages");
	return n;
}

static int next_visible(struct ck_store *s, const char *name, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT min(visible_ms) FROM queue_message WHERE queue = ?1", &st) !=
	    0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	ck_sq_finish(s, st);
	return rc == SQLITE_ROW ? 0 : ck_sq_fail(s, "next visible message");
}

static bool seen(const int64_t *ids, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* A batch of candidates; messages that move or expire are replaced by
 * scanning again, at most this many rounds per receive. */
#define CANDIDATES  32
#define SCAN_ROUNDS 8

static int ck_store_queue_receive_op(struct ck_store *s, const char *name, int max,
                                     int visibility_s, int64_t now_ms,
                                     int (*fn)(const struct ck_queue_message *m, void *ctx),
                                     void *ctx, int64_t *next_visible_ms)
{
	struct ck_queue_attrs a;
	struct candidate c[CANDIDATES];
	int64_t got[CK_QUEUE_RECEIVE_MAX];
	bool own, stop = false;
	int received = 0, rc;

	if (next_visible_ms)
		*next_visible_ms = 0;
	if (max < 1 || max > CK_QUEUE_RECEIVE_MAX || visibility_s < -1 ||
	    visibility_s > CK_QUEUE_VISIBILITY_MAX_S)
		return -EINVAL;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	rc = ck_store_queue_get(s, name, &a);
	if (rc != 0)
		goto out;
	int64_t until_ms =
	    now_ms + 1000 * (int64_t)(visibility_s < 0 ? a.visibility_timeout_s : visibility_s);
	for (int round = 0; round < SCAN_ROUNDS && received < max; round++) {
		int n = candidates(s, name, now_ms, c, CANDIDATES);
		if (n < 0) {
			rc = n;
			goto out;
		}
		int progressed = 0;
		for (int i = 0; i < n && received < max; i++) {
			if (seen(got, received, c[i].id))
				continue; /* received above with a zero timeout */
			progressed++;
			if (c[i].sent_ms + 1000 * (int64_t)a.retention_s <= now_ms) {
				rc = delete_by_id(s, c[i].id);
			} else if (a.dead_letter_queue[0] &&
			           c[i].receive_count >= a.max_receive_count) {
				rc = move_to_dead_letter(s, c[i].id, name, a.dead_letter_queue,
				                         now_ms);
				if (rc == 0)
					ck_info("queues",
					        "message moved from %s to dead-letter queue %s "
					        "after %d "
					        "receives",
					        name, a.dead_letter_queue, c[i].receive_count);
			} else {
				char receipt[CK_QUEUE_RECEIPT_LEN + 1];
				sqlite3_stmt *row = NULL;
				rc = random_hex(receipt, CK_QUEUE_RECEIPT_LEN / 2);
				if (rc == 0)
					rc = mark_received(s, c[i].id, receipt, now_ms, until_ms,
					                   &row);
				if (rc != 0)
					goto out;
				struct ck_queue_message m = {
					.message_id = (const char *)sqlite3_column_text(row, 0),
					.receipt = receipt,
					.body = (const char *)sqlite3_column_text(row, 1),
					.body_len = (size_t)sqlite3_column_bytes(row, 1),
					.receive_count = sqlite3_column_int(row, 2),
					.sent_ms = sqlite3_column_int64(row, 3),
					.first_receive_ms = sqlite3_column_int64(row, 4),
					.dead_letter_source =
					    (const char *)sqlite3_column_text(row, 5),
				};
				if (!stop && fn)
					stop = fn(&m, ctx) != 0;
				ck_sq_finish(s, row);
				got[received++] = c[i].id;
			}
			if (rc != 0)
				goto out;
		}
		if (n < CANDIDATES || progressed == 0)
			break;
	}
	if (received == 0 && next_visible_ms)
		rc = next_visible(s, name, next_visible_ms);
out:
	rc = tx_end(s, own, rc);
	return rc < 0 ? rc : received;
}

/* Finds the message of queue name whose newest handle is receipt. */
static int find_receipt(struct ck_store *s, const char *name, const char *receipt, int64_t *id,
                        int64_t *visible_ms, int64_t *received_ms)
{
	struct ck_queue_attrs a;
	int rc = ck_store_queue_get(s, name, &a);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, visible_ms, received_ms FROM queue_message"
	                  " WHERE receipt = ?1 AND queue = ?2",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*visible_ms = sqlite3_column_int64(st, 1);
		*received_ms = sqlite3_column_int64(st, 2);
	}
	ck_sq_finish(s, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ESTALE : ck_sq_fail(s, "find receipt handle");
}

static int ck_store_queue_delete_message_op(struct ck_store *s, const char *name,
                                            const char *receipt)
{
	int64_t id, visible, received;
	bool own;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	int rc = find_receipt(s, name, receipt, &id, &visible, &received);
	if (rc == 0)
		rc = delete_by_id(s, id);
	return tx_end(s, own, rc);
}

static int ck_store_queue_change_visibility_op(struct ck_store *s, const char *name,
                                               const char *receipt, int timeout_s, int64_t now_ms)
{
	int64_t id, visible, received;
	bool own;
	if (timeout_s < 0 || timeout_s > CK_QUEUE_VISIBILITY_MAX_S)
		return -EINVAL;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	int rc = find_receipt(s, name, receipt, &id, &visible, &received);
	if (rc != 0)
		goto out;
	if (visible <= now_ms) {
		rc = -ETIME;
		goto out;
	}
	int64_t until = now_ms + 1000 * (int64_t)timeout_s;
	if (until > received + 1000 * (int64_t)CK_QUEUE_VISIBILITY_MAX_S) {
		rc = -EINVAL;
		goto out;
	}
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "UPDATE queue_message SET visible_ms = ?2 WHERE id = ?1", &st) != 0) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, until);
	rc = ck_sq_step_done(s, st, "change message visibility");
	ck_sq_finish(s, st);
	if (rc == 0)
		mark_dirty(s);
out:
	return tx_end(s, own, rc);
}

int ck_store_queue_purge(struct ck_store *s, const char *name, int64_t *n)
{
	struct ck_queue_attrs a;
	bool own;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	int rc = ck_store_queue_get(s, name, &a);
	sqlite3_stmt *st = NULL;
	if (rc == 0 && ck_sq_prepare(s, "DELETE FROM queue_message WHERE queue = ?1", &st) != 0)
		rc = -EIO;
	if (rc == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = ck_sq_step_done(s, st, "purge queue");
		ck_sq_finish(s, st);
		if (rc == 0 && n)
			*n = sqlite3_changes64(s->db);
	}
	return tx_end(s, own, rc);
}

int ck_store_queue_send(struct ck_store *s, const char *name, const char *body, size_t body_len,
                        int delay_s, int64_t now_ms, char *message_id)
{
	int rc = ck_store_queue_send_op(s, name, body, body_len, delay_s, now_ms, message_id);
	if (rc >= 0)
		ck_store_usage_op(s, "queue_ops", "queue", name, 0);
	return rc;
}

int ck_store_queue_receive(struct ck_store *s, const char *name, int max, int visibility_s,
                           int64_t now_ms, int (*fn)(const struct ck_queue_message *m, void *ctx),
                           void *ctx, int64_t *next_visible_ms)
{
	int rc =
	    ck_store_queue_receive_op(s, name, max, visibility_s, now_ms, fn, ctx, next_visible_ms);
	if (rc >= 0)
		ck_store_usage_op(s, "queue_ops", "queue", name, 0);
	return rc;
}

int ck_store_queue_delete_message(struct ck_store *s, const char *name, const char *receipt)
{
	int rc = ck_store_queue_delete_message_op(s, name, receipt);
	if (rc >= 0)
		ck_store_usage_op(s, "queue_ops", "queue", name, 0);
	return rc;
}

int ck_store_queue_change_visibility(struct ck_store *s, const char *name, const char *receipt,
                                     int timeout_s, int64_t now_ms)
{
	int rc = ck_store_queue_change_visibility_op(s, name, receipt, timeout_s, now_ms);
	if (rc >= 0)
		ck_store_usage_op(s, "queue_ops", "queue", name, 0);
	return rc;
}
