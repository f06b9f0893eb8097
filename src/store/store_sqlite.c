/*
 * The SQLite backend of the store (store.h). One connection per ck_store, in
 * WAL mode with synchronous=NORMAL: a committed transaction survives the
 * crash of any process. Schema changes are numbered migrations tracked in
 * PRAGMA user_version; a database newer than this program is refused rather
 * than guessed at. The journal written by the broker plugin is attached
 * read-mostly as schema "j" so that ingest reads it and commits its cursor
 * and effects through one connection.
 */
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"

struct ck_store {
	sqlite3 *db;
	int version;
	bool journal_attached;
};

/* Each entry moves the schema from version i to i + 1. Append only. */
static const char *const migrations[] = {
	/* 1: the walking skeleton's tables. */
	"CREATE TABLE thing("
	"  name TEXT PRIMARY KEY,"
	"  type TEXT NOT NULL DEFAULT '',"
	"  attributes TEXT NOT NULL DEFAULT '{}',"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER,"
	"  battery_mv INTEGER);"
	"CREATE TABLE certificate("
	"  fingerprint TEXT PRIMARY KEY,"
	"  thing TEXT REFERENCES thing(name),"
	"  pem TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active','inactive','revoked')),"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX certificate_thing ON certificate(thing);"
	"CREATE TABLE rule("
	"  name TEXT PRIMARY KEY,"
	"  sql TEXT NOT NULL,"
	"  sql_version TEXT NOT NULL,"
	"  actions TEXT NOT NULL,"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE event("
	"  seq INTEGER PRIMARY KEY,"
	"  thing TEXT NOT NULL,"
	"  topic TEXT NOT NULL,"
	"  received_ms INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('accepted','rejected')),"
	"  reason TEXT,"
	"  click_type TEXT,"
	"  payload_size INTEGER NOT NULL);"
	"CREATE INDEX event_thing ON event(thing, seq);"
	"CREATE TABLE workorder("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'raised',"
	"  thing TEXT NOT NULL,"
	"  click_type TEXT,"
	"  location TEXT,"
	"  rule TEXT,"
	"  event_seq INTEGER,"
	"  pressed_ms INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX workorder_status ON workorder(status, id);"
	"CREATE INDEX workorder_thing ON workorder(thing, id);"
	"CREATE TABLE cursor(name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char journal_schema[] = "CREATE TABLE IF NOT EXISTS j.journal("
                                     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                     "  received_ms INTEGER NOT NULL,"
                                     "  client_id TEXT NOT NULL,"
                                     "  thing TEXT NOT NULL,"
                                     "  topic TEXT NOT NULL,"
                                     "  qos INTEGER NOT NULL,"
                                     "  retain INTEGER NOT NULL,"
                                     "  payload BLOB,"
                                     "  payload_size INTEGER NOT NULL);";

static int fail(struct ck_store *s, const char *what)
{
	ck_error("store", "%s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

static int exec(struct ck_store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ck_error("store", "%s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int prepare(struct ck_store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	return 0;
}

/* Binds a possibly-NULL text. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; maps constraint errors to -EEXIST. */
static int step_done(struct ck_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(s->db);
	if (rc == SQLITE_DONE)
		return 0;
	if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	if (rc == SQLITE_CONSTRAINT)
		return -EINVAL;
	return fail(s, what);
}

static int migrate(struct ck_store *s, char *err, size_t err_len)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s, "PRAGMA user_version", &st) != 0) {
		snprintf(err, err_len, "cannot read schema version: %s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);

	if (version > N_MIGRATIONS) {
		snprintf(err, err_len,
		         "store schema version %d is newer than this clickd supports (%d)", version,
		         N_MIGRATIONS);
		return -EPROTO;
	}
	for (int v = version; v < N_MIGRATIONS; v++) {
		char set[64];
		snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
		if (exec(s, "BEGIN IMMEDIATE") != 0)
			goto failed;
		if (exec(s, migrations[v]) != 0 || exec(s, set) != 0) {
			exec(s, "ROLLBACK");
			goto failed;
		}
		if (exec(s, "COMMIT") != 0)
			goto failed;
		ck_info("store", "migrated schema to version %d", v + 1);
		continue;
	failed:
		snprintf(err, err_len, "migration to schema version %d failed: %s", v + 1,
		         sqlite3_errmsg(s->db));
		return -EIO;
	}
	s->version = N_MIGRATIONS;
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
	if (exec(s, "PRAGMA journal_mode=WAL") != 0 || exec(s, "PRAGMA synchronous=NORMAL") != 0 ||
	    exec(s, "PRAGMA foreign_keys=ON") != 0) {
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
	sqlite3_close_v2(s->db);
	free(s);
}

int ck_store_schema_version(struct ck_store *s)
{
	return s->version;
}

int ck_store_begin(struct ck_store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int ck_store_commit(struct ck_store *s)
{
	return exec(s, "COMMIT");
}

int ck_store_rollback(struct ck_store *s)
{
	return exec(s, "ROLLBACK");
}

int ck_store_attach_journal(struct ck_store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s, "ATTACH DATABASE ? AS j", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	int rc = step_done(s, st, "attach journal");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (exec(s, "PRAGMA j.journal_mode=WAL") != 0 || exec(s, journal_schema) != 0)
		return -EIO;
	s->journal_attached = true;
	return 0;
}

int ck_store_journal_read(struct ck_store *s, int64_t after, int limit,
                          int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx)
{
	if (!s->journal_attached)
		return -EINVAL;
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "SELECT seq, received_ms, client_id, thing, topic, qos, retain, payload,"
	            " payload_size FROM j.journal WHERE seq > ? ORDER BY seq LIMIT ?",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	int n = 0, rc;
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
			return stop;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(s, "read journal");
	return n;
}

int ck_store_cursor_get(struct ck_store *s, const char *name, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	*out = 0;
	if (prepare(s, "SELECT value FROM cursor WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "read cursor");
}

int ck_store_cursor_set(struct ck_store *s, const char *name, int64_t value)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "INSERT INTO cursor(name, value) VALUES(?, ?)"
	            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	int rc = step_done(s, st, "write cursor");
	sqlite3_finalize(st);
	return rc;
}

int ck_store_thing_put(struct ck_store *s, const struct ck_thing *t)
{
	sqlite3_stmt *st = NULL;
	char *attrs = t->attributes ? cJSON_PrintUnformatted(t->attributes) : NULL;
	if (prepare(s,
	            "INSERT INTO thing(name, type, attributes, enabled, created_ms)"
	            " VALUES(?, ?, ?, ?, ?)",
	            &st) != 0) {
		cJSON_free(attrs);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, attrs ? attrs : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, t->enabled ? 1 : 0);
	sqlite3_bind_int64(st, 5, t->created_ms);
	int rc = step_done(s, st, "insert thing");
	sqlite3_finalize(st);
	cJSON_free(attrs);
	return rc;
}

static void copy_name(char *dst, const unsigned char *src)
{
	snprintf(dst, CK_NAME_MAX + 1, "%s", src ? (const char *)src : "");
}

int ck_store_thing_get(struct ck_store *s, const char *name, struct ck_thing *out)
{
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	if (prepare(s,
	            "SELECT name, type, attributes, enabled, created_ms,"
	            " coalesce(last_seen_ms, -1), coalesce(battery_mv, -1)"
	            " FROM thing WHERE name = ?",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : fail(s, "read thing");
	}
	copy_name(out->name, sqlite3_column_text(st, 0));
	copy_name(out->type, sqlite3_column_text(st, 1));
	out->attributes = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
	if (!out->attributes)
		out->attributes = cJSON_CreateObject();
	out->enabled = sqlite3_column_int(st, 3) != 0;
	out->created_ms = sqlite3_column_int64(st, 4);
	out->last_seen_ms = sqlite3_column_int64(st, 5);
	out->battery_mv = sqlite3_column_int(st, 6);
	sqlite3_finalize(st);
	return out->attributes ? 0 : -ENOMEM;
}

void ck_thing_cleanup(struct ck_thing *t)
{
	cJSON_Delete(t->attributes);
	t->attributes = NULL;
}

int ck_store_thing_seen(struct ck_store *s, const char *name, int64_t when_ms, int battery_mv)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "UPDATE thing SET last_seen_ms = max(coalesce(last_seen_ms, 0), ?1),"
	            " battery_mv = CASE WHEN ?2 >= 0 THEN ?2 ELSE battery_mv END WHERE name = ?3",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, when_ms);
	sqlite3_bind_int(st, 2, battery_mv);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	int rc = step_done(s, st, "update thing");
	sqlite3_finalize(st);
	return rc;
}

/* Adds column i of st to obj under key: NULL, integer or text as stored. */
static void add_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i)
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
static void add_json_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i)
{
	cJSON *v = cJSON_Parse((const char *)sqlite3_column_text(st, i));
	cJSON_AddItemToObject(obj, key, v ? v : cJSON_CreateNull());
}

/*
 * Runs a list query whose last two parameters are the cursor and the limit
 * and whose rows are mapped by row_fn. The cursor column must be the first
 * result column; *next is set when a further page exists.
 */
static int run_list(struct ck_store *s, sqlite3_stmt *st, int n_params,
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
			sqlite3_finalize(st);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, row);
		*next = sqlite3_column_int64(st, 0);
		n++;
	}
	bool more = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "list");
	if (!more)
		*next = 0;
	return 0;
}

static cJSON *thing_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_column(o, "name", st, 1);
	add_column(o, "type", st, 2);
	add_json_column(o, "attributes", st, 3);
	cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 4) != 0);
	add_column(o, "createdAt", st, 5);
	add_column(o, "lastSeenAt", st, 6);
	add_column(o, "batteryMv", st, 7);
	return o;
}

int ck_store_thing_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "SELECT rowid, name, type, attributes, enabled, created_ms, last_seen_ms,"
	            " battery_mv FROM thing WHERE rowid > ? ORDER BY rowid LIMIT ?",
	            &st) != 0)
		return -EIO;
	return run_list(s, st, 2, q, items, next, thing_row);
}

int ck_store_cert_put(struct ck_store *s, const char *fingerprint, const char *thing,
                      const char *pem, const char *status, int64_t created_ms)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "INSERT INTO certificate(fingerprint, thing, pem, status, created_ms)"
	            " VALUES(?, ?, ?, ?, ?)",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	bind_text(st, 2, thing);
	sqlite3_bind_text(st, 3, pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, created_ms);
	int rc = step_done(s, st, "insert certificate");
	sqlite3_finalize(st);
	return rc;
}

int ck_store_cert_each(struct ck_store *s,
                       int (*fn)(const char *fingerprint, const char *thing, const char *status,
                                 void *ctx),
                       void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "SELECT c.fingerprint, c.thing, CASE WHEN t.enabled = 0 AND c.status = 'active'"
	            " THEN 'inactive' ELSE c.status END FROM certificate c"
	            " JOIN thing t ON t.name = c.thing ORDER BY c.fingerprint",
	            &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop = fn((const char *)sqlite3_column_text(st, 0),
		              (const char *)sqlite3_column_text(st, 1),
		              (const char *)sqlite3_column_text(st, 2), ctx);
		if (stop != 0) {
			sqlite3_finalize(st);
			return stop;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "list certificates");
}

int ck_store_rule_put(struct ck_store *s, const struct ck_rule_row *r)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "INSERT INTO rule(name, sql, sql_version, actions, enabled, created_ms)"
	            " VALUES(?, ?, ?, ?, ?, ?)",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->sql, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->sql_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->actions, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->enabled ? 1 : 0);
	sqlite3_bind_int64(st, 6, r->created_ms);
	int rc = step_done(s, st, "insert rule");
	sqlite3_finalize(st);
	return rc;
}

static void rule_from_row(sqlite3_stmt *st, int first, struct ck_rule_row *r)
{
	copy_name(r->name, sqlite3_column_text(st, first));
	r->sql = (const char *)sqlite3_column_text(st, first + 1);
	r->sql_version = (const char *)sqlite3_column_text(st, first + 2);
	r->actions = (const char *)sqlite3_column_text(st, first + 3);
	r->enabled = sqlite3_column_int(st, first + 4) != 0;
	r->created_ms = sqlite3_column_int64(st, first + 5);
}

int ck_store_rule_each(struct ck_store *s, int (*fn)(const struct ck_rule_row *r, void *ctx),
                       void *ctx)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "SELECT name, sql, sql_version, actions, enabled, created_ms FROM rule"
	            " ORDER BY name",
	            &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_rule_row r;
		rule_from_row(st, 0, &r);
		int stop = fn(&r, ctx);
		if (stop != 0) {
			sqlite3_finalize(st);
			return stop;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "list rules");
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
	cJSON_AddBoolToObject(o, "enabled", r->enabled);
	cJSON_AddNumberToObject(o, "createdAt", (double)r->created_ms);
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
	if (prepare(s,
	            "SELECT rowid, name, sql, sql_version, actions, enabled, created_ms FROM rule"
	            " WHERE rowid > ? ORDER BY rowid LIMIT ?",
	            &st) != 0)
		return -EIO;
	return run_list(s, st, 2, q, items, next, rule_row);
}

int ck_store_rule_get_json(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (prepare(s,
	            "SELECT rowid, name, sql, sql_version, actions, enabled, created_ms FROM rule"
	            " WHERE name = ?",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = rule_row(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return fail(s, "read rule");
	return *out ? 0 : -ENOMEM;
}

int ck_store_event_put(struct ck_store *s, const struct ck_event_row *e)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "INSERT INTO event(seq, thing, topic, received_ms, status, reason, click_type,"
	            " payload_size) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_text(st, 2, e->thing, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->received_ms);
	sqlite3_bind_text(st, 5, e->status == CK_EVENT_ACCEPTED ? "accepted" : "rejected", -1,
	                  SQLITE_STATIC);
	bind_text(st, 6, e->reason);
	bind_text(st, 7, e->click_type);
	sqlite3_bind_int64(st, 8, e->payload_size);
	int rc = step_done(s, st, "insert event");
	sqlite3_finalize(st);
	return rc;
}

static cJSON *event_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_column(o, "seq", st, 0);
	add_column(o, "thing", st, 1);
	add_column(o, "topic", st, 2);
	add_column(o, "receivedAt", st, 3);
	add_column(o, "status", st, 4);
	add_column(o, "reason", st, 5);
	add_column(o, "clickType", st, 6);
	add_column(o, "payloadSize", st, 7);
	return o;
}

int ck_store_event_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (prepare(
	        s,
	        "SELECT seq, thing, topic, received_ms, status, reason, click_type, payload_size"
	        " FROM event WHERE (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR thing = ?4)"
	        " AND (?1 = 0 OR seq < ?1) ORDER BY seq DESC LIMIT ?2",
	        &st) != 0)
		return -EIO;
	bind_text(st, 3, q->status);
	bind_text(st, 4, q->thing);
	return run_list(s, st, 2, q, items, next, event_row);
}

int ck_store_workorder_put(struct ck_store *s, const struct ck_workorder *w, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "INSERT INTO workorder(kind, thing, click_type, location, rule, event_seq,"
	            " pressed_ms, created_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	            &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, w->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->thing, -1, SQLITE_STATIC);
	bind_text(st, 3, w->click_type);
	bind_text(st, 4, w->location);
	bind_text(st, 5, w->rule);
	sqlite3_bind_int64(st, 6, w->event_seq);
	sqlite3_bind_int64(st, 7, w->pressed_ms);
	sqlite3_bind_int64(st, 8, w->created_ms);
	int rc = step_done(s, st, "insert work order");
	sqlite3_finalize(st);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static cJSON *workorder_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_column(o, "id", st, 0);
	add_column(o, "kind", st, 1);
	add_column(o, "status", st, 2);
	add_column(o, "thing", st, 3);
	add_column(o, "clickType", st, 4);
	add_column(o, "location", st, 5);
	add_column(o, "rule", st, 6);
	add_column(o, "eventSeq", st, 7);
	add_column(o, "pressedAt", st, 8);
	add_column(o, "createdAt", st, 9);
	return o;
}

int ck_store_workorder_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                            int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (prepare(s,
	            "SELECT id, kind, status, thing, click_type, location, rule, event_seq,"
	            " pressed_ms, created_ms FROM workorder"
	            " WHERE (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR thing = ?4)"
	            " AND (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
	            &st) != 0)
		return -EIO;
	bind_text(st, 3, q->status);
	bind_text(st, 4, q->thing);
	return run_list(s, st, 2, q, items, next, workorder_row);
}
