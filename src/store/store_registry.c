/*
 * Thing updates and filters, certificate status and attachment, and the
 * trusted CAs in the SQLite store (see store_registry.h). Every statement
 * is a literal, so the statement cache keeps them; filters are bound
 * parameters, never text pasted into SQL.
 */
#include "store/store_registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite_int.h"
#include "store/store_policies.h"

/* ck_sq_select_int, its errors logged as this file's reads. */
static int select_int(struct ck_store *s, const char *sql, const char *a, const char *b,
                      int64_t *out)
{
	return ck_sq_select_int(s, sql, a, b, out, "read registry");
}

int ck_store_thing_update(struct ck_store *s, const struct ck_thing *t)
{
	sqlite3_stmt *st = NULL;
	char *attrs = t->attributes ? cJSON_PrintUnformatted(t->attributes) : NULL;
	int rc;

	if (ck_sq_prepare(s,
	                  "UPDATE thing SET type = ?, attributes = ?, enabled = ? WHERE name = ?",
	                  &st) != 0) {
		cJSON_free(attrs);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, t->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, attrs ? attrs : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t->enabled ? 1 : 0);
	sqlite3_bind_text(st, 4, t->name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "update thing");
	ck_sq_finish(s, st);
	cJSON_free(attrs);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_thing_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int rc = select_int(s,
	                    "SELECT (SELECT count(*) FROM certificate WHERE thing = ?1)"
	                    " + (SELECT count(*) FROM placement_device WHERE thing = ?1)",
	                    name, NULL, &n);

	if (rc)
		return rc;
	if (n > 0)
		return -EBUSY;
	if (ck_sq_prepare(s, "DELETE FROM thing WHERE name = ?", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "delete thing");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

static cJSON *thing_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "name", st, 1);
	ck_sq_add_column(o, "type", st, 2);
	ck_sq_add_json_column(o, "attributes", st, 3);
	cJSON_AddBoolToObject(o, "enabled", sqlite3_column_int(st, 4) != 0);
	ck_sq_add_column(o, "createdAt", st, 5);
	ck_sq_add_column(o, "lastSeenAt", st, 6);
	ck_sq_add_column(o, "batteryMv", st, 7);
	return o;
}

int ck_store_thing_query(struct ck_store *s, const struct ck_thing_filter *f,
                         const struct ck_list_query *q, cJSON *items, int64_t *next)
{
	sqlite3_stmt *st = NULL;

	/* The attribute is looked up with json_each so that its name is a
	 * bound value, not part of a JSON path. */
	if (ck_sq_prepare(s,
	                  "SELECT rowid, name, type, attributes, enabled, created_ms, last_seen_ms,"
	                  " battery_mv FROM thing WHERE (?1 IS NULL OR type = ?1)"
	                  " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(thing.attributes)"
	                  "  WHERE key = ?2 AND value = ?3))"
	                  " AND rowid > ?4 ORDER BY rowid LIMIT ?5",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, f ? f->type : NULL);
	ck_sq_bind_text(st, 2, f ? f->attr_name : NULL);
	ck_sq_bind_text(st, 3, f && f->attr_value ? f->attr_value : "");
	return ck_sq_run_list(s, st, 5, q, items, next, thing_row);
}

int ck_store_cert_set_origin(struct ck_store *s, const char *fingerprint, const char *serial,
                             const char *issuer)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s, "UPDATE certificate SET serial = ?, issuer = ? WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, serial);
	ck_sq_bind_text(st, 2, issuer);
	sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "update certificate");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

static cJSON *cert_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "fingerprint", st, 1);
	ck_sq_add_column(o, "thing", st, 2);
	ck_sq_add_column(o, "status", st, 3);
	ck_sq_add_column(o, "serial", st, 4);
	ck_sq_add_column(o, "issuer", st, 5);
	ck_sq_add_column(o, "createdAt", st, 6);
	ck_sq_add_column(o, "updatedAt", st, 7);
	return o;
}

int ck_store_cert_get_json(struct ck_store *s, const char *fingerprint, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	cJSON *policies = NULL;
	int rc;

	*out = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT rowid, fingerprint, thing, status, serial, issuer, created_ms,"
	                  " updated_ms, pem FROM certificate WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ck_sq_finish(s, st);
		return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read certificate");
	}
	cJSON *o = cert_row(st);
	if (o)
		ck_sq_add_column(o, "certificatePem", st, 8);
	ck_sq_finish(s, st);
	if (!o)
		return -ENOMEM;
	rc = ck_store_cert_policies_json(s, fingerprint, &policies);
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	cJSON_AddItemToObject(o, "policies", policies);
	*out = o;
	return 0;
}

int ck_store_cert_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "SELECT rowid, fingerprint, thing, status, serial, issuer, created_ms,"
	                  " updated_ms FROM certificate WHERE (?1 IS NULL OR thing = ?1)"
	                  " AND (?2 IS NULL OR status = ?2) AND rowid > ?3 ORDER BY rowid LIMIT ?4",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, q->thing);
	ck_sq_bind_text(st, 2, q->status);
	return ck_sq_run_list(s, st, 4, q, items, next, cert_row);
}

int ck_store_cert_set_status(struct ck_store *s, const char *fingerprint, const char *status,
                             int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int64_t revoked = 0;
	int rc;

	if (strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0 &&
	    strcmp(status, "revoked") != 0)
		return -EINVAL;
	rc = select_int(s, "SELECT status = 'revoked' FROM certificate WHERE fingerprint = ?",
	                fingerprint, NULL, &revoked);
	if (rc)
		return rc;
	if (revoked)
		return strcmp(status, "revoked") == 0 ? 0 : -EPERM;
	if (ck_sq_prepare(s,
	                  "UPDATE certificate SET status = ?, updated_ms = ? WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "update certificate status");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_cert_set_thing(struct ck_store *s, const char *fingerprint, const char *thing,
                            int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	int rc = select_int(s,
	                    "SELECT coalesce(thing = ?2, thing IS NULL OR ?2 IS NULL)"
	                    " FROM certificate WHERE fingerprint = ?1",
	                    fingerprint, thing, &v);

	if (rc)
		return rc;
	/* v is 0 only when attaching to a thing other than the current one. */
	if (thing && !v)
		return -EBUSY;
	if (thing) {
		rc = select_int(s, "SELECT 1 FROM thing WHERE name = ?", thing, NULL, &v);
		if (rc)
			return rc;
	}
	if (ck_sq_prepare(s,
	                  "UPDATE certificate SET thing = ?, updated_ms = ? WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, thing);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "attach certificate");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_cert_revoked_each(struct ck_store *s, const char *issuer,
                               int (*fn)(const char *serial, int64_t revoked_ms, void *ctx),
                               void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ck_sq_prepare(s,
	                  "SELECT serial, coalesce(updated_ms, created_ms) FROM certificate"
	                  " WHERE issuer = ? AND status = 'revoked' AND serial IS NOT NULL"
	                  " ORDER BY serial",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop =
		    fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), ctx);
		if (stop) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "list revoked certificates");
}

int ck_store_ca_put(struct ck_store *s, const struct ck_ca_row *ca)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "INSERT INTO ca_cert(fingerprint, pem, subject, origin, status, crl_pem,"
	                  " crl_number, created_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, ca->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ca->pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ca->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ca->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ca->status, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 6, ca->crl_pem);
	sqlite3_bind_int64(st, 7, ca->crl_number);
	sqlite3_bind_int64(st, 8, ca->created_ms);
	int rc = ck_sq_step_done(s, st, "insert CA");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_ca_each(struct ck_store *s, int (*fn)(const struct ck_ca_row *ca, void *ctx),
                     void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ck_sq_prepare(s,
	                  "SELECT fingerprint, pem, subject, origin, status, crl_pem, crl_number,"
	                  " created_ms FROM ca_cert ORDER BY created_ms, fingerprint",
	                  &st) != 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ck_ca_row r = {
			.fingerprint = (const char *)sqlite3_column_text(st, 0),
			.pem = (const char *)sqlite3_column_text(st, 1),
			.subject = (const char *)sqlite3_column_text(st, 2),
			.origin = (const char *)sqlite3_column_text(st, 3),
			.status = (const char *)sqlite3_column_text(st, 4),
			.crl_pem = (const char *)sqlite3_column_text(st, 5),
			.crl_number = sqlite3_column_int64(st, 6),
			.created_ms = sqlite3_column_int64(st, 7),
		};
		int stop = fn(&r, ctx);
		if (stop) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "list CAs");
}

static int ca_json(const struct ck_ca_row *r, void *ctx)
{
	cJSON *items = ctx;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "fingerprint", r->fingerprint);
	cJSON_AddStringToObject(o, "subject", r->subject);
	cJSON_AddStringToObject(o, "origin", r->origin);
	cJSON_AddStringToObject(o, "status", r->status);
	cJSON_AddBoolToObject(o, "hasCrl", r->crl_pem != NULL);
	cJSON_AddNumberToObject(o, "crlNumber", (double)r->crl_number);
	cJSON_AddNumberToObject(o, "createdAt", (double)r->created_ms);
	cJSON_AddStringToObject(o, "caPem", r->pem);
	cJSON_AddItemToArray(items, o);
	return 0;
}

int ck_store_ca_list(struct ck_store *s, cJSON *items)
{
	return ck_store_ca_each(s, ca_json, items);
}

int ck_store_ca_set_status(struct ck_store *s, const char *fingerprint, const char *status,
                           int64_t now_ms)
{
	sqlite3_stmt *st = NULL;

	if (strcmp(status, "active") != 0 && strcmp(status, "retired") != 0)
		return -EINVAL;
	if (ck_sq_prepare(s, "UPDATE ca_cert SET status = ?, updated_ms = ? WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "update CA");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_ca_set_crl(struct ck_store *s, const char *fingerprint, const char *crl_pem,
                        int64_t crl_number, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "UPDATE ca_cert SET crl_pem = ?, crl_number = ?, updated_ms = ?"
	                  " WHERE fingerprint = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, crl_pem, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, crl_number);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_text(st, 4, fingerprint, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "update CA revocation list");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}
