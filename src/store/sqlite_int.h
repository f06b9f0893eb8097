/*
 * Private to the SQLite backend's files: the connection struct, the
 * migration list, and the small helpers every store_*.c uses. Not for
 * callers of the store, which see only store.h and its siblings.
 */
#ifndef CK_SQLITE_INT_H
#define CK_SQLITE_INT_H

#include <stdbool.h>

#include <sqlite3.h>

#include "store/store.h"

#define CK_SQ_CACHE 64

/* A prepared statement kept for reuse, keyed by its SQL text's address
 * (the store's SQL is string literals, so the address is stable). */
struct ck_sq_cached {
	const char *sql;
	sqlite3_stmt *st;
	bool in_use;
};

struct ck_store {
	sqlite3 *db;
	struct ck_sq_cached cache[CK_SQ_CACHE];
	int n_cache;
	int version;
	/* Queues (store_queues.c): a message became receivable in the current
	 * transaction; the WAL hook tells the listener after the commit. */
	bool queue_dirty;
	bool queue_hooked;
};

/* Schema migrations, oldest first (migrations.c); entry i moves version i to i + 1. */
extern const char *const ck_store_migrations[];
extern const int ck_store_n_migrations;

/* Logs the connection's error for what and returns -EIO. */
int ck_sq_fail(struct ck_store *s, const char *what);
/* Runs SQL without results; 0 or -EIO (logged). */
int ck_sq_exec(struct ck_store *s, const char *sql);
/*
 * Prepares sql into *st, reusing a cached statement for the same literal
 * when it is not in use; 0 or -EIO (logged). Every statement obtained here
 * must be given back with ck_sq_finish(), on every path.
 */
int ck_sq_prepare(struct ck_store *s, const char *sql, sqlite3_stmt **st);

/* Gives a statement back: resets a cached one, finalizes any other. */
void ck_sq_finish(struct ck_store *s, sqlite3_stmt *st);

/* Finalizes every cached statement (before closing the connection). */
void ck_sq_cache_clear(struct ck_store *s);
/* Runs a one-row SELECT of one integer with text parameter a and, when not
 * NULL, b; 0 with *out set, -ENOENT when there is no row, -EIO (logged as
 * what) on an error. */
int ck_sq_select_int(struct ck_store *s, const char *sql, const char *a, const char *b,
                     int64_t *out, const char *what);
/* Binds a text that may be NULL. */
void ck_sq_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement without results: 0, -EEXIST on a unique key, -EINVAL on
 * another constraint, -EIO otherwise. */
int ck_sq_step_done(struct ck_store *s, sqlite3_stmt *st, const char *what);
/* Copies a column text into a CK_NAME_MAX + 1 buffer. */
void ck_sq_copy_name(char *dst, const unsigned char *src);
/* Adds column i to obj under key as null, integer or text. */
void ck_sq_add_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i);
/* Adds column i, holding JSON text, as a parsed value (null if unparsable). */
void ck_sq_add_json_column(cJSON *obj, const char *key, sqlite3_stmt *st, int i);
/*
 * Runs a list statement whose parameters n_params - 1 and n_params are the
 * cursor and the limit and whose first result column is the cursor value;
 * maps rows with row_fn into items; sets *next when a further page exists.
 * Finalizes st.
 */
int ck_sq_run_list(struct ck_store *s, sqlite3_stmt *st, int n_params,
                   const struct ck_list_query *q, cJSON *items, int64_t *next,
                   cJSON *(*row_fn)(sqlite3_stmt *st));
/*
 * Steps st (parameters bound) once and finishes it: 0 with the row as
 * row_fn builds it in *out, -ENOENT when there is no row, -ENOMEM when
 * row_fn fails, or the store's error (logged as what).
 */
int ck_sq_get_one(struct ck_store *s, sqlite3_stmt *st, cJSON *(*row_fn)(sqlite3_stmt *st),
                  const char *what, cJSON **out);

#endif
