/*
 * Policies, their versions and attachments in the SQLite store, and the
 * reads the registry snapshot makes (see store_policies.h). Multi-statement
 * changes run in one transaction, so a failure leaves nothing half done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "policy/policy.h"
#include "store/sqlite_int.h"
#include "store/store_policies.h"

/* Runs fn inside BEGIN IMMEDIATE .. COMMIT, rolling back on error. */
static int in_tx(struct ck_store *s, int (*fn)(struct ck_store *s, void *arg), void *arg)
{
	int rc = ck_sq_exec(s, "BEGIN IMMEDIATE");

	if (rc)
		return rc;
	rc = fn(s, arg);
	if (rc == 0)
		rc = ck_sq_exec(s, "COMMIT");
	if (rc != 0)
		ck_sq_exec(s, "ROLLBACK");
	return rc;
}

/* ck_sq_select_int, its errors logged as this file's reads. */
static int select_int(struct ck_store *s, const char *sql, const char *a, const char *b,
                      int64_t *out)
{
	return ck_sq_select_int(s, sql, a, b, out, "read policy");
}

static int insert_version(struct ck_store *s, const char *name, int version, const char *doc,
                          int64_t now_ms)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "INSERT INTO policy_version(policy, version, document, created_ms)"
	                  " VALUES(?, ?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, doc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	int rc = ck_sq_step_done(s, st, "insert policy version");
	ck_sq_finish(s, st);
	return rc;
}

struct create_args {
	const char *name;
	const char *doc;
	int64_t now_ms;
	bool set_default;
	int version;
};

static int create_tx(struct ck_store *s, void *arg)
{
	struct create_args *a = arg;
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "INSERT INTO policy(name, default_version, next_version, created_ms)"
	                  " VALUES(?, 1, 2, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->now_ms);
	int rc = ck_sq_step_done(s, st, "insert policy");
	ck_sq_finish(s, st);
	if (rc == 0)
		rc = insert_version(s, a->name, 1, a->doc, a->now_ms);
	return rc;
}

int ck_store_policy_create(struct ck_store *s, const char *name, const char *document,
                           int64_t now_ms)
{
	struct create_args a = { .name = name, .doc = document, .now_ms = now_ms };

	return in_tx(s, create_tx, &a);
}

static int version_create_tx(struct ck_store *s, void *arg)
{
	struct create_args *a = arg;
	int64_t next, count;
	int rc =
	    select_int(s, "SELECT next_version FROM policy WHERE name = ?", a->name, NULL, &next);

	if (rc)
		return rc;
	rc = select_int(s, "SELECT count(*) FROM policy_version WHERE policy = ?", a->name, NULL,
	                &count);
	if (rc)
		return rc;
	if (count >= CK_POLICY_VERSIONS_MAX)
		return -ENOSPC;
	rc = insert_version(s, a->name, (int)next, a->doc, a->now_ms);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "UPDATE policy SET next_version = ?1 + 1,"
	                  " default_version = CASE WHEN ?2 THEN ?1 ELSE default_version END"
	                  " WHERE name = ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, next);
	sqlite3_bind_int(st, 2, a->set_default ? 1 : 0);
	sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
	rc = ck_sq_step_done(s, st, "update policy");
	ck_sq_finish(s, st);
	a->version = (int)next;
	return rc;
}

int ck_store_policy_version_create(struct ck_store *s, const char *name, const char *document,
                                   bool set_default, int64_t now_ms, int *version)
{
	struct create_args a = {
		.name = name, .doc = document, .now_ms = now_ms, .set_default = set_default
	};
	int rc = in_tx(s, version_create_tx, &a);

	if (rc == 0 && version)
		*version = a.version;
	return rc;
}

/* Runs an UPDATE/DELETE with parameters (a, b) or (a, n); -ENOENT when it
 * changed no row. Binding n to a statement without ?2 is harmless. */
static int change_one(struct ck_store *s, const char *sql, const char *a, const char *b, int n,
                      const char *what)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int(st, 2, n);
	int rc = ck_sq_step_done(s, st, what);
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_policy_version_set_default(struct ck_store *s, const char *name, int version)
{
	return change_one(s,
	                  "UPDATE policy SET default_version = ?2 WHERE name = ?1 AND EXISTS"
	                  " (SELECT 1 FROM policy_version WHERE policy = ?1 AND version = ?2)",
	                  name, NULL, version, "set default policy version");
}

struct version_args {
	const char *name;
	int version;
};

static int version_delete_tx(struct ck_store *s, void *arg)
{
	struct version_args *a = arg;
	int64_t def;
	int rc =
	    select_int(s, "SELECT default_version FROM policy WHERE name = ?", a->name, NULL, &def);

	if (rc)
		return rc;
	if (def == a->version)
		return -EPERM;
	return change_one(s, "DELETE FROM policy_version WHERE policy = ?1 AND version = ?2",
	                  a->name, NULL, a->version, "delete policy version");
}

int ck_store_policy_version_delete(struct ck_store *s, const char *name, int version)
{
	struct version_args a = { name, version };

	return in_tx(s, version_delete_tx, &a);
}

static int delete_tx(struct ck_store *s, void *arg)
{
	const char *name = arg;
	int64_t n;
	int rc = select_int(s, "SELECT count(*) FROM policy_attachment WHERE policy = ?", name,
	                    NULL, &n);

	if (rc)
		return rc;
	if (n > 0)
		return -EBUSY;
	rc = change_one(s, "DELETE FROM policy_version WHERE policy = ?1", name, NULL, 0,
	                "delete policy versions");
	if (rc && rc != -ENOENT)
		return rc;
	return change_one(s, "DELETE FROM policy WHERE name = ?1", name, NULL, 0, "delete policy");
}

int ck_store_policy_delete(struct ck_store *s, const char *name)
{
	return in_tx(s, delete_tx, (void *)name);
}

int ck_store_policy_attach(struct ck_store *s, const char *name, const char *fingerprint,
                           int64_t now_ms)
{
	int64_t one;
	int rc = select_int(s, "SELECT 1 FROM policy WHERE name = ?", name, NULL, &one);

	if (rc == 0)
		rc = select_int(s, "SELECT 1 FROM certificate WHERE fingerprint = ?", fingerprint,
		                NULL, &one);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT OR IGNORE INTO policy_attachment(policy, fingerprint, created_ms)"
	                  " VALUES(?, ?, ?)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = ck_sq_step_done(s, st, "attach policy");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_policy_detach(struct ck_store *s, const char *name, const char *fingerprint)
{
	return change_one(s, "DELETE FROM policy_attachment WHERE policy = ? AND fingerprint = ?",
	                  name, fingerprint, 0, "detach policy");
}

/* Adds column i (JSON text) parsed, or the text itself when unparsable. */
static void add_document(cJSON *o, sqlite3_stmt *st, int i)
{
	const char *text = (const char *)sqlite3_column_text(st, i);
	cJSON *doc = cJSON_Parse(text ? text : "null");

	cJSON_AddItemToObject(o, "document", doc ? doc : cJSON_CreateString(text ? text : ""));
}

int ck_store_policy_get_json(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	int rc;

	*out = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT p.name, p.default_version, p.created_ms, v.document"
	                  " FROM policy p JOIN policy_version v"
	                  " ON v.policy = p.name AND v.version = p.default_version"
	                  " WHERE p.name = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ck_sq_finish(s, st);
		return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read policy");
	}
	o = cJSON_CreateObject();
	ck_sq_add_column(o, "name", st, 0);
	ck_sq_add_column(o, "defaultVersion", st, 1);
	ck_sq_add_column(o, "createdAt", st, 2);
	add_document(o, st, 3);
	int def = sqlite3_column_int(st, 1);
	ck_sq_finish(s, st);

	cJSON *versions = cJSON_AddArrayToObject(o, "versions");
	if (ck_sq_prepare(s,
	                  "SELECT version, created_ms FROM policy_version WHERE policy = ?"
	                  " ORDER BY version",
	                  &st) != 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *v = cJSON_CreateObject();
		ck_sq_add_column(v, "version", st, 0);
		cJSON_AddBoolToObject(v, "isDefault", sqlite3_column_int(st, 0) == def);
		ck_sq_add_column(v, "createdAt", st, 1);
		cJSON_AddItemToArray(versions, v);
	}
	ck_sq_finish(s, st);
	if (rc != SQLITE_DONE)
		goto fail;

	cJSON *certs = cJSON_AddArrayToObject(o, "certificates");
	if (ck_sq_prepare(s,
	                  "SELECT fingerprint FROM policy_attachment WHERE policy = ?"
	                  " ORDER BY fingerprint",
	                  &st) != 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(certs,
		                     cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
	ck_sq_finish(s, st);
	if (rc != SQLITE_DONE)
		goto fail;
	*out = o;
	return 0;
fail:
	cJSON_Delete(o);
	return ck_sq_fail(s, "read policy");
}

int ck_store_policy_version_get_json(struct ck_store *s, const char *name, int version, cJSON **out)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT v.policy, v.version, v.version = p.default_version, v.document,"
	                  " v.created_ms FROM policy_version v JOIN policy p ON p.name = v.policy"
	                  " WHERE v.policy = ? AND v.version = ?",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ck_sq_finish(s, st);
		return rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "read policy version");
	}
	cJSON *o = cJSON_CreateObject();
	ck_sq_add_column(o, "policy", st, 0);
	ck_sq_add_column(o, "version", st, 1);
	cJSON_AddBoolToObject(o, "isDefault", sqlite3_column_int(st, 2) != 0);
	add_document(o, st, 3);
	ck_sq_add_column(o, "createdAt", st, 4);
	ck_sq_finish(s, st);
	*out = o;
	return 0;
}

static cJSON *policy_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	ck_sq_add_column(o, "name", st, 1);
	ck_sq_add_column(o, "defaultVersion", st, 2);
	ck_sq_add_column(o, "versions", st, 3);
	ck_sq_add_column(o, "attachments", st, 4);
	ck_sq_add_column(o, "createdAt", st, 5);
	return o;
}

int ck_store_policy_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                         int64_t *next)
{
	sqlite3_stmt *st = NULL;

	if (ck_sq_prepare(s,
	                  "SELECT p.rowid, p.name, p.default_version,"
	                  " (SELECT count(*) FROM policy_version v WHERE v.policy = p.name),"
	                  " (SELECT count(*) FROM policy_attachment a WHERE a.policy = p.name),"
	                  " p.created_ms FROM policy p WHERE p.rowid > ? ORDER BY p.rowid LIMIT ?",
	                  &st) != 0)
		return -EIO;
	return ck_sq_run_list(s, st, 2, q, items, next, policy_row);
}

int ck_store_cert_policies_json(struct ck_store *s, const char *fingerprint, cJSON **out)
{
	int64_t one;
	sqlite3_stmt *st = NULL;
	int rc = select_int(s, "SELECT 1 FROM certificate WHERE fingerprint = ?", fingerprint, NULL,
	                    &one);

	*out = NULL;
	if (rc)
		return rc;
	if (ck_sq_prepare(s,
	                  "SELECT policy FROM policy_attachment WHERE fingerprint = ?"
	                  " ORDER BY policy",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	cJSON *arr = cJSON_CreateArray();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(arr,
		                     cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
	ck_sq_finish(s, st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(arr);
		return ck_sq_fail(s, "list certificate policies");
	}
	*out = arr;
	return 0;
}

/* Runs sql (no parameters) and calls fn for each row. */
static int each_row(struct ck_store *s, const char *sql, int (*fn)(sqlite3_stmt *st, void *fn_ctx),
                    void *fn_ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop = fn(st, fn_ctx);
		if (stop) {
			ck_sq_finish(s, st);
			return stop;
		}
	}
	ck_sq_finish(s, st);
	return rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "read registry");
}

struct cb2 {
	int (*fn)(const char *a, const char *b, void *ctx);
	void *ctx;
};

static int call2(sqlite3_stmt *st, void *arg)
{
	struct cb2 *c = arg;

	return c->fn((const char *)sqlite3_column_text(st, 0),
	             (const char *)sqlite3_column_text(st, 1), c->ctx);
}

int ck_store_policy_default_each(struct ck_store *s,
                                 int (*fn)(const char *name, const char *document, void *ctx),
                                 void *ctx)
{
	struct cb2 c = { fn, ctx };

	return each_row(s,
	                "SELECT p.name, v.document FROM policy p JOIN policy_version v"
	                " ON v.policy = p.name AND v.version = p.default_version ORDER BY p.name",
	                call2, &c);
}

int ck_store_policy_attachment_each(struct ck_store *s,
                                    int (*fn)(const char *fingerprint, const char *policy,
                                              void *ctx),
                                    void *ctx)
{
	struct cb2 c = { fn, ctx };

	return each_row(s,
	                "SELECT fingerprint, policy FROM policy_attachment"
	                " ORDER BY fingerprint, policy",
	                call2, &c);
}

struct cb3 {
	int (*fn)(const char *a, const char *b, const char *c, void *ctx);
	void *ctx;
};

static int call3(sqlite3_stmt *st, void *arg)
{
	struct cb3 *c = arg;

	return c->fn((const char *)sqlite3_column_text(st, 0),
	             (const char *)sqlite3_column_text(st, 1),
	             (const char *)sqlite3_column_text(st, 2), c->ctx);
}

int ck_store_thing_registry_each(struct ck_store *s,
                                 int (*fn)(const char *name, const char *type,
                                           const char *attributes, void *ctx),
                                 void *ctx)
{
	struct cb3 c = { fn, ctx };

	return each_row(s, "SELECT name, type, attributes FROM thing ORDER BY name", call3, &c);
}
