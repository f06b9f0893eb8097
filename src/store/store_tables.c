/*
 * Tables of JSON documents in the SQLite store (see store_tables.h). An
 * item is one doc_item row keyed by (table, partition value, sort value);
 * key values are bound as text or as numbers, so each sorts as what it
 * is. A table without a sort key stores '' as every item's sort value.
 */
#include "store/store_tables.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/store_usage.h"
#include "store/sqlite_int.h"

bool ck_table_name_valid(const char *name)
{
	if (!name)
		return false;
	size_t n = strnlen(name, CK_TABLE_NAME_MAX + 1);
	if (n < 3 || n > CK_TABLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* A write transaction of its own, or a savepoint in the caller's. */
static int tx_begin(struct ck_store *s, bool *own)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return ck_sq_exec(s, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT ck_table");
}

static int tx_end(struct ck_store *s, bool own, int rc)
{
	if (rc >= 0) {
		int c = ck_sq_exec(s, own ? "COMMIT" : "RELEASE ck_table");
		if (c == 0)
			return rc;
		rc = c;
	}
	if (own)
		ck_sq_exec(s, "ROLLBACK");
	else
		ck_sq_exec(s, "ROLLBACK TO ck_table; RELEASE ck_table");
	return rc;
}

int ck_store_table_create(struct ck_store *s, const struct ck_table_def *d, char *why,
                          size_t why_len)
{
	if (!ck_table_name_valid(d->name)) {
		snprintf(why, why_len, "a table name is 3 to 128 letters, digits, '_', '-' or '.'");
		return -EINVAL;
	}
	if (!ck_name_valid(d->partition_key) || (d->sort_key[0] && !ck_name_valid(d->sort_key))) {
		snprintf(why, why_len,
		         "key attribute names are 1 to 128 letters, digits, ':', '_' or '-'");
		return -EINVAL;
	}
	if ((d->partition_type != 'S' && d->partition_type != 'N') ||
	    (d->sort_key[0] && d->sort_type != 'S' && d->sort_type != 'N')) {
		snprintf(why, why_len, "key types are \"S\" (string) or \"N\" (number)");
		return -EINVAL;
	}
	if (d->sort_key[0] && strcmp(d->sort_key, d->partition_key) == 0) {
		snprintf(why, why_len, "the partition key and the sort key must differ");
		return -EINVAL;
	}
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO doc_table(name, partition_key, partition_type, sort_key,"
	                  " sort_type, created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	                  &st) != 0)
		return -EIO;
	char pt[2] = { d->partition_type, 0 }, stype[2] = { d->sort_type, 0 };
	sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->partition_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pt, -1, SQLITE_TRANSIENT);
	ck_sq_bind_text(st, 4, d->sort_key[0] ? d->sort_key : NULL);
	ck_sq_bind_text(st, 5, d->sort_key[0] ? stype : NULL);
	sqlite3_bind_int64(st, 6, d->created_ms);
	int rc = ck_sq_step_done(s, st, "create table");
	ck_sq_finish(s, st);
	return rc;
}

static void def_from_row(sqlite3_stmt *st, int col, struct ck_table_def *d)
{
	memset(d, 0, sizeof(*d));
	const unsigned char *pt = sqlite3_column_text(st, col + 2);
	const unsigned char *sk = sqlite3_column_text(st, col + 3);
	const unsigned char *stype = sqlite3_column_text(st, col + 4);
	snprintf(d->name, sizeof(d->name), "%s", (const char *)sqlite3_column_text(st, col));
	ck_sq_copy_name(d->partition_key, sqlite3_column_text(st, col + 1));
	d->partition_type = pt ? (char)pt[0] : 'S';
	ck_sq_copy_name(d->sort_key, sk);
	d->sort_type = sk && stype ? (char)stype[0] : 0;
	d->created_ms = sqlite3_column_int64(st, col + 5);
}

int ck_store_table_get(struct ck_store *s, const char *name, struct ck_table_def *out)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT name, partition_key, partition_type, sort_key, sort_type,"
	                  " created_ms FROM doc_table WHERE name = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		def_from_row(st, 0, out);
	ck_sq_finish(s, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read table");
}

int ck_store_table_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM doc_table WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "delete table");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

static cJSON *def_json(const struct ck_table_def *d)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	char t[2] = { d->partition_type, 0 };
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON *pk = cJSON_AddObjectToObject(o, "partitionKey");
	cJSON_AddStringToObject(pk, "name", d->partition_key);
	cJSON_AddStringToObject(pk, "type", t);
	if (d->sort_key[0]) {
		cJSON *sk = cJSON_AddObjectToObject(o, "sortKey");
		t[0] = d->sort_type;
		cJSON_AddStringToObject(sk, "name", d->sort_key);
		cJSON_AddStringToObject(sk, "type", t);
	} else {
		cJSON_AddNullToObject(o, "sortKey");
	}
	cJSON_AddNumberToObject(o, "createdAt", (double)d->created_ms);
	return o;
}

static int add_count(struct ck_store *s, cJSON *o, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT count(*) FROM doc_item WHERE tbl = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		cJSON_AddNumberToObject(o, "itemCount", (double)sqlite3_column_int64(st, 0));
	ck_sq_finish(s, st);
	return rc == SQLITE_ROW ? 0 : ck_sq_fail(s, "count items");
}

int ck_store_table_json(struct ck_store *s, const char *name, cJSON **out)
{
	struct ck_table_def d;
	*out = NULL;
	int rc = ck_store_table_get(s, name, &d);
	if (rc != 0)
		return rc;
	cJSON *o = def_json(&d);
	if (!o)
		return -ENOMEM;
	rc = add_count(s, o, name);
	if (rc != 0) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return 0;
}

static cJSON *table_row(sqlite3_stmt *st)
{
	struct ck_table_def d;
	def_from_row(st, 1, &d);
	return def_json(&d);
}

int ck_store_table_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, partition_key, partition_type, sort_key, sort_type,"
	                  " created_ms FROM doc_table WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
	                  &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, table_row);
}

int ck_table_key_check(const struct ck_table_def *d, bool sort, const cJSON *v, char *why,
                       size_t why_len)
{
	const char *attr = sort ? d->sort_key : d->partition_key;
	char type = sort ? d->sort_type : d->partition_type;
	size_t max = sort ? CK_TABLE_SK_MAX : CK_TABLE_PK_MAX;
	if (type == 'N') {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
			snprintf(why, why_len, "key \"%s\" must be a number", attr);
			return -EINVAL;
		}
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > max) {
		snprintf(why, why_len, "key \"%s\" must be a string of 1 to %zu bytes", attr, max);
		return -EINVAL;
	}
	return 0;
}

int ck_table_key_parse(const struct ck_table_def *d, bool sort, const char *text, cJSON **out,
                       char *why, size_t why_len)
{
	char type = sort ? d->sort_type : d->partition_type;
	*out = NULL;
	if (!text)
		text = "";
	if (type == 'N') {
		char *end = NULL;
		double v = strtod(text, &end);
		if (!text[0] || *end || !isfinite(v)) {
			snprintf(why, why_len, "key \"%s\" must be a number",
			         sort ? d->sort_key : d->partition_key);
			return -EINVAL;
		}
		*out = cJSON_CreateNumber(v);
	} else {
		*out = cJSON_CreateString(text);
	}
	if (!*out)
		return -ENOMEM;
	int rc = ck_table_key_check(d, sort, *out, why, why_len);
	if (rc != 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

static void bind_key(sqlite3_stmt *st, int i, const cJSON *v)
{
	if (!v)
		sqlite3_bind_text(st, i, "", 0, SQLITE_STATIC);
	else if (cJSON_IsNumber(v))
		sqlite3_bind_double(st, i, v->valuedouble);
	else
		sqlite3_bind_text(st, i, v->valuestring, -1, SQLITE_TRANSIENT);
}

/* A key column as a new cJSON value. */
static cJSON *key_json(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_TEXT)
		return cJSON_CreateString((const char *)sqlite3_column_text(st, i));
	return cJSON_CreateNumber(sqlite3_column_double(st, i));
}

/* Checks the keys for table d: pk always, sk exactly when d has a sort key. */
static int check_keys(const struct ck_table_def *d, const cJSON *pk, const cJSON *sk, char *why,
                      size_t why_len)
{
	int rc = ck_table_key_check(d, false, pk, why, why_len);
	if (rc != 0)
		return rc;
	if (d->sort_key[0])
		return ck_table_key_check(d, true, sk, why, why_len);
	if (sk) {
		snprintf(why, why_len, "table \"%s\" has no sort key", d->name);
		return -EINVAL;
	}
	return 0;
}

/* The current version of the item under the key: 0 when there is none. */
static int current_version(struct ck_store *s, const char *table, const cJSON *pk, const cJSON *sk,
                           int64_t *version)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "SELECT version FROM doc_item WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	bind_key(st, 2, pk);
	bind_key(st, 3, sk);
	int rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	ck_sq_finish(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read item version");
}

static int check_cond(const struct ck_table_cond *cond, int64_t version, char *why, size_t why_len)
{
	if (!cond || cond->kind == CK_TABLE_COND_NONE)
		return 0;
	if (cond->kind == CK_TABLE_COND_NOT_EXISTS && version != 0) {
		snprintf(why, why_len, "an item with this key exists (version %lld)",
		         (long long)version);
		return -ECANCELED;
	}
	if (cond->kind == CK_TABLE_COND_EXISTS && version == 0) {
		snprintf(why, why_len, "no item with this key exists");
		return -ECANCELED;
	}
	if (cond->kind == CK_TABLE_COND_VERSION && version != cond->version) {
		snprintf(why, why_len, "the item's version is %lld, not %lld", (long long)version,
		         (long long)cond->version);
		return -ECANCELED;
	}
	return 0;
}

static int ck_store_table_put_op(struct ck_store *s, const char *table, const cJSON *item,
                                 const struct ck_table_cond *cond, int64_t now_ms, int64_t *version,
                                 char *why, size_t why_len)
{
	struct ck_table_def d;
	char *text = NULL;
	bool own;
	int64_t v = 0;

	int rc = ck_store_table_get(s, table, &d);
	if (rc != 0)
		return rc;
	if (!cJSON_IsObject(item)) {
		snprintf(why, why_len, "an item must be a JSON object");
		return -EINVAL;
	}
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(item, d.partition_key);
	const cJSON *sk = d.sort_key[0] ? cJSON_GetObjectItemCaseSensitive(item, d.sort_key) : NULL;
	rc = check_keys(&d, pk, sk, why, why_len);
	if (rc != 0)
		return rc;
	text = cJSON_PrintUnformatted(item);
	if (!text)
		return -ENOMEM;
	if (strlen(text) > CK_TABLE_ITEM_MAX) {
		snprintf(why, why_len, "an item is at most %d bytes of JSON", CK_TABLE_ITEM_MAX);
		cJSON_free(text);
		return -EINVAL;
	}
	if (tx_begin(s, &own) != 0) {
		cJSON_free(text);
		return -EIO;
	}
	rc = current_version(s, table, pk, sk, &v);
	if (rc == 0)
		rc = check_cond(cond, v, why, why_len);
	sqlite3_stmt *st = NULL;
	if (rc == 0 &&
	    ck_sq_prepare(s,
	                  "INSERT INTO doc_item(tbl, pk, sk, doc, version, created_ms,"
	                  " updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)"
	                  " ON CONFLICT(tbl, pk, sk) DO UPDATE SET doc = excluded.doc,"
	                  " version = excluded.version, updated_ms = excluded.updated_ms",
	                  &st) != 0)
		rc = -EIO;
	if (rc == 0) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		bind_key(st, 2, pk);
		bind_key(st, 3, sk);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, v + 1);
		sqlite3_bind_int64(st, 6, now_ms);
		rc = ck_sq_step_done(s, st, "put item");
		ck_sq_finish(s, st);
	}
	rc = tx_end(s, own, rc);
	cJSON_free(text);
	if (rc == 0 && version)
		*version = v + 1;
	return rc;
}

static int ck_store_table_get_item_op(struct ck_store *s, const char *table, const cJSON *pk,
                                      const cJSON *sk, cJSON **item, int64_t *version, char *why,
                                      size_t why_len)
{
	struct ck_table_def d;
	*item = NULL;
	int rc = ck_store_table_get(s, table, &d);
	if (rc != 0)
		return rc;
	rc = check_keys(&d, pk, sk, why, why_len);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s, "SELECT doc, version FROM doc_item WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	bind_key(st, 2, pk);
	bind_key(st, 3, sk);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*item = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		if (version)
			*version = sqlite3_column_int64(st, 1);
		rc = *item ? 0 : -ENOMEM;
	} else {
		rc = step == SQLITE_DONE ? -ENODATA : ck_sq_fail(s, "get item");
	}
	ck_sq_finish(s, st);
	return rc;
}

static int ck_store_table_delete_item_op(struct ck_store *s, const char *table, const cJSON *pk,
                                         const cJSON *sk, const struct ck_table_cond *cond,
                                         bool *deleted, char *why, size_t why_len)
{
	struct ck_table_def d;
	bool own;
	int64_t v = 0;
	if (deleted)
		*deleted = false;
	int rc = ck_store_table_get(s, table, &d);
	if (rc != 0)
		return rc;
	rc = check_keys(&d, pk, sk, why, why_len);
	if (rc != 0)
		return rc;
	if (tx_begin(s, &own) != 0)
		return -EIO;
	rc = current_version(s, table, pk, sk, &v);
	if (rc == 0)
		rc = check_cond(cond, v, why, why_len);
	sqlite3_stmt *st = NULL;
	if (rc == 0 && v != 0) {
		if (ck_sq_prepare(s, "DELETE FROM doc_item WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
		                  &st) != 0) {
			rc = -EIO;
		} else {
			sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
			bind_key(st, 2, pk);
			bind_key(st, 3, sk);
			rc = ck_sq_step_done(s, st, "delete item");
			ck_sq_finish(s, st);
			if (rc == 0 && deleted)
				*deleted = true;
		}
	}
	return tx_end(s, own, rc);
}

/*
 * The bounds of a query as four parameters: sk >= lo, sk <= hi, sk > lo_x,
 * sk < hi_x. Unused bounds take values outside every key: numbers sort
 * before text and text before blobs in SQLite, so -inf and the empty blob
 * bound every number and string.
 */
static void bind_lo(sqlite3_stmt *st, int i, const cJSON *v)
{
	if (v)
		bind_key(st, i, v);
	else
		sqlite3_bind_double(st, i, -INFINITY);
}

static void bind_hi(sqlite3_stmt *st, int i, const cJSON *v)
{
	if (v)
		bind_key(st, i, v);
	else
		sqlite3_bind_zeroblob(st, i, 0);
}

static int ck_store_table_query_op(struct ck_store *s, const char *table,
                                   const struct ck_table_query *q, cJSON *items, cJSON **next,
                                   char *why, size_t why_len)
{
	static const char asc[] = "SELECT doc, sk FROM doc_item WHERE tbl = ?1 AND pk = ?2"
	                          " AND sk >= ?3 AND sk <= ?4 AND sk > ?5 AND sk < ?6"
	                          " AND sk >= ?8 AND sk < ?9 ORDER BY sk LIMIT ?7";
	static const char desc[] = "SELECT doc, sk FROM doc_item WHERE tbl = ?1 AND pk = ?2"
	                           " AND sk >= ?3 AND sk <= ?4 AND sk > ?5 AND sk < ?6"
	                           " AND sk >= ?8 AND sk < ?9 ORDER BY sk DESC LIMIT ?7";
	struct ck_table_def d;
	char *upper = NULL;
	*next = NULL;
	int rc = ck_store_table_get(s, table, &d);
	if (rc != 0)
		return rc;
	if (q->limit < 1 || q->limit > CK_TABLE_QUERY_MAX) {
		snprintf(why, why_len, "limit must be 1 to %d", CK_TABLE_QUERY_MAX);
		return -EINVAL;
	}
	rc = ck_table_key_check(&d, false, q->pk, why, why_len);
	if (rc != 0)
		return rc;
	if ((q->prefix || q->from || q->to || q->after) && !d.sort_key[0]) {
		snprintf(why, why_len, "table \"%s\" has no sort key to bound", d.name);
		return -EINVAL;
	}
	if (q->prefix && (d.sort_type != 'S' || strlen(q->prefix) > CK_TABLE_SK_MAX)) {
		snprintf(why, why_len, "a prefix needs a string sort key (at most %d bytes)",
		         CK_TABLE_SK_MAX);
		return -EINVAL;
	}
	const cJSON *bounds[] = { q->from, q->to, q->after };
	for (size_t i = 0; i < 3; i++) {
		rc = bounds[i] ? ck_table_key_check(&d, true, bounds[i], why, why_len) : 0;
		if (rc != 0)
			return rc;
	}
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, q->desc ? desc : asc, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	bind_key(st, 2, q->pk);
	bind_lo(st, 3, q->from);
	bind_hi(st, 4, q->to);
	bind_lo(st, 5, q->desc ? NULL : q->after);
	bind_hi(st, 6, q->desc ? q->after : NULL);
	bind_lo(st, 8, NULL);
	bind_hi(st, 9, NULL);
	if (q->prefix) {
		/* UTF-8 never holds 0xff, so prefix + 0xff is past every key
		 * that starts with prefix and before every other greater one. */
		size_t n = strlen(q->prefix);
		upper = malloc(n + 2);
		if (!upper) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		memcpy(upper, q->prefix, n);
		upper[n] = (char)0xff;
		upper[n + 1] = '\0';
		sqlite3_bind_text(st, 8, q->prefix, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, upper, (int)n + 1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int(st, 7, q->limit + 1);
	int n = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == q->limit)
			break; /* a further page exists; *next is the last key returned */
		cJSON *doc = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		cJSON_Delete(*next);
		*next = key_json(st, 1);
		if (!doc || !*next) {
			cJSON_Delete(doc);
			rc = -ENOMEM;
			break;
		}
		cJSON_AddItemToArray(items, doc);
		n++;
	}
	ck_sq_finish(s, st);
	free(upper);
	if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = ck_sq_fail(s, "query items");
	if (rc != 0 || step != SQLITE_ROW) {
		cJSON_Delete(*next);
		*next = NULL;
	}
	return rc;
}

int ck_store_table_put(struct ck_store *s, const char *table, const cJSON *item,
                       const struct ck_table_cond *cond, int64_t now_ms, int64_t *version,
                       char *why, size_t why_len)
{
	int rc = ck_store_table_put_op(s, table, item, cond, now_ms, version, why, why_len);
	if (rc >= 0)
		ck_store_usage_op(s, "table_ops", "table", table, 1);
	return rc;
}

int ck_store_table_get_item(struct ck_store *s, const char *table, const cJSON *pk, const cJSON *sk,
                            cJSON **item, int64_t *version, char *why, size_t why_len)
{
	int rc = ck_store_table_get_item_op(s, table, pk, sk, item, version, why, why_len);
	if (rc >= 0)
		ck_store_usage_op(s, "table_ops", "table", table, 0);
	return rc;
}

int ck_store_table_delete_item(struct ck_store *s, const char *table, const cJSON *pk,
                               const cJSON *sk, const struct ck_table_cond *cond, bool *deleted,
                               char *why, size_t why_len)
{
	int rc = ck_store_table_delete_item_op(s, table, pk, sk, cond, deleted, why, why_len);
	if (rc >= 0)
		ck_store_usage_op(s, "table_ops", "table", table, 1);
	return rc;
}

int ck_store_table_query(struct ck_store *s, const char *table, const struct ck_table_query *q,
                         cJSON *items, cJSON **next, char *why, size_t why_len)
{
	int rc = ck_store_table_query_op(s, table, q, items, next, why, why_len);
	if (rc >= 0)
		ck_store_usage_op(s, "table_ops", "table", table, 0);
	return rc;
}
