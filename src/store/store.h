/*
 * The store: everything clickd remembers (things, certificates, rules,
 * events, work orders, the ingest cursor). Callers see only this header.
 * SQLite (store_sqlite.c) is the one backend today; when the PostgreSQL
 * backend arrives these functions become dispatchers over an operations
 * table and callers do not change. One ck_store is one connection and must
 * be used by one thread at a time; open one per thread.
 *
 * Rows travel as plain structs on the write side and as cJSON objects in the
 * HTTP API's shape on the list side, so the API layer does not re-map
 * columns. Every function returns 0 or a negative errno: -ENOENT (no such
 * row), -EEXIST (unique key taken), -EIO (backend failure, logged here).
 */
#ifndef CK_STORE_H
#define CK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/name.h"
#include "journal/record.h"

struct ck_store;

struct ck_thing {
	char name[CK_NAME_MAX + 1];
	char type[CK_NAME_MAX + 1]; /* "" when untyped */
	cJSON *attributes;          /* object of strings; borrowed on put, owned after get */
	bool enabled;
	int64_t created_ms;
	int64_t last_seen_ms; /* -1 when never seen */
	int battery_mv;       /* -1 when never reported */
};

/* A stored rule. Strings are borrowed: on put from the caller, in
 * ck_store_rule_each() for the duration of the callback. */
struct ck_rule_row {
	char name[CK_NAME_MAX + 1];
	const char *sql;
	const char *sql_version;
	const char *actions;      /* JSON array text */
	const char *error_action; /* JSON object text, or NULL for none */
	bool enabled;
	int64_t created_ms;
	int64_t updated_ms; /* 0 when never replaced */
};

enum ck_event_status { CK_EVENT_ACCEPTED = 0, CK_EVENT_REJECTED, CK_EVENT_DUPLICATE };

struct ck_event_row {
	int64_t seq; /* journal sequence */
	const char *thing;
	const char *topic;
	int64_t received_ms;
	enum ck_event_status status;
	const char *reason;     /* NULL when accepted */
	const char *click_type; /* NULL when none */
	int64_t payload_size;
};

struct ck_workorder {
	const char *kind;
	const char *thing;
	const char *click_type;
	const char *location; /* NULL when the thing has none */
	const char *rule;
	int64_t event_seq;
	int64_t pressed_ms;
	int64_t created_ms;
};

/* Filters and paging for list operations; NULL/0 fields mean "any". */
struct ck_list_query {
	const char *status;
	const char *thing;
	int64_t after; /* cursor from a previous page; 0 for the first */
	int limit;     /* 1..500 */
};

/*
 * Opens (creating if needed) the SQLite store at path and brings its schema
 * to the newest version, each migration in its own transaction. Returns 0
 * and a new store in *out, or a negative errno with a one-line reason in
 * err (unwritable directory, a database newer than this program, ...).
 */
int ck_store_open_sqlite(const char *path, struct ck_store **out, char *err, size_t err_len);

/* Closes the connection and frees the store. NULL is a no-op. */
void ck_store_close(struct ck_store *s);

/* The schema version the store is at (after migrations). */
int ck_store_schema_version(struct ck_store *s);

/* Transactions: begin takes the write lock at once (no upgrade deadlocks). */
int ck_store_begin(struct ck_store *s);
int ck_store_commit(struct ck_store *s);
int ck_store_rollback(struct ck_store *s);

/*
 * Calls fn for each row of an SQLite journal left by an older version
 * (DATA/journal.db) with seq > after, in order; the row is borrowed for
 * the call. fn returning non-zero stops and is returned. Otherwise returns
 * the number of rows, or -EIO when the file cannot be read.
 */
int ck_store_legacy_journal_read(const char *path, int64_t after,
                                 int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx);

int ck_store_cursor_get(struct ck_store *s, const char *name, int64_t *out);
int ck_store_cursor_set(struct ck_store *s, const char *name, int64_t value);

/* Things. */
int ck_store_thing_put(struct ck_store *s, const struct ck_thing *t);
int ck_store_thing_get(struct ck_store *s, const char *name, struct ck_thing *out);
void ck_thing_cleanup(struct ck_thing *t);
int ck_store_thing_seen(struct ck_store *s, const char *name, int64_t when_ms, int battery_mv);
int ck_store_thing_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next);

/* Certificates (fingerprint is lowercase hex SHA-256). */
int ck_store_cert_put(struct ck_store *s, const char *fingerprint, const char *thing,
                      const char *pem, const char *status, int64_t created_ms);
int ck_store_cert_each(struct ck_store *s,
                       int (*fn)(const char *fingerprint, const char *thing, const char *status,
                                 void *ctx),
                       void *ctx);

/* Rules. */
int ck_store_rule_put(struct ck_store *s, const struct ck_rule_row *r);
int ck_store_rule_each(struct ck_store *s, int (*fn)(const struct ck_rule_row *r, void *ctx),
                       void *ctx);
int ck_store_rule_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next);
int ck_store_rule_get_json(struct ck_store *s, const char *name, cJSON **out);
/* Replaces the definition of an existing rule (keeps created_ms); -ENOENT. */
int ck_store_rule_replace(struct ck_store *s, const struct ck_rule_row *r);
/* Enables or disables a rule; -ENOENT when there is none. */
int ck_store_rule_set_enabled(struct ck_store *s, const char *name, bool enabled, int64_t when_ms);
/* Deletes a rule; -ENOENT when there is none. */
int ck_store_rule_delete(struct ck_store *s, const char *name);

/* Events and work orders. */
int ck_store_event_put(struct ck_store *s, const struct ck_event_row *e);
int ck_store_event_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next);
int ck_store_workorder_put(struct ck_store *s, const struct ck_workorder *w, int64_t *id);
int ck_store_workorder_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                            int64_t *next);

/* Converts a rule row to its API JSON object (new object, caller deletes). */
cJSON *ck_store_rule_to_json(const struct ck_rule_row *r);

#endif
