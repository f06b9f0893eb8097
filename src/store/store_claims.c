/*
 * SQLite storage of provisioning templates, ownership tokens and the claim
 * log (see store_claims.h).
 */
#include "store/store_claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

int ck_store_provtpl_put(struct ck_store *s, const char *name, const char *document, int64_t now_ms,
                         bool replace)
{
	sqlite3_stmt *st = NULL;
	const char *sql = replace ? "UPDATE provisioning_template SET document = ?2 WHERE name = ?1"
	                          : "INSERT INTO provisioning_template(name, document, created_ms)"
	                            " VALUES(?1, ?2, ?3)";
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, document, -1, SQLITE_STATIC);
	if (!replace)
		sqlite3_bind_int64(st, 3, now_ms);
	int rc = ck_sq_step_done(s, st, "provisioning template put");
	ck_sq_finish(s, st);
	if (rc == 0 && replace && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_provtpl_get(struct ck_store *s, const char *name, char **document)
{
	sqlite3_stmt *st = NULL;
	*document = NULL;
	if (ck_sq_prepare(s, "SELECT document FROM provisioning_template WHERE name = ?1", &st) !=
	    0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*document = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *document ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "provisioning template get");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_provtpl_delete(struct ck_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM provisioning_template WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "provisioning template delete");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

int ck_store_provtpl_list(struct ck_store *s, cJSON *items)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT name, document, created_ms FROM provisioning_template"
	                  " ORDER BY name",
	                  &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		if (!o) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		ck_sq_add_column(o, "templateName", st, 0);
		ck_sq_add_json_column(o, "document", st, 1);
		ck_sq_add_column(o, "createdAt", st, 2);
		cJSON_AddItemToArray(items, o);
	}
	rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "provisioning template list");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_token_put(struct ck_store *s, const char *token, const char *fingerprint,
                       int64_t expires_ms)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "INSERT INTO ownership_token(token, fingerprint, expires_ms)"
	                  " VALUES(?1, ?2, ?3)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, expires_ms);
	int rc = ck_sq_step_done(s, st, "ownership token put");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_token_take(struct ck_store *s, const char *token, int64_t now_ms, char fp[65])
{
	sqlite3_stmt *st = NULL;
	fp[0] = '\0';
	if (ck_sq_prepare(s,
	                  "DELETE FROM ownership_token WHERE token = ?1"
	                  " RETURNING fingerprint, expires_ms",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *f = sqlite3_column_text(st, 0);
		bool live = sqlite3_column_int64(st, 1) > now_ms;
		if (f && live)
			snprintf(fp, 65, "%s", (const char *)f);
		rc = f && live ? 0 : -ENOENT;
		while (sqlite3_step(st) == SQLITE_ROW)
			;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "ownership token take");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_claim_log_put(struct ck_store *s, const struct ck_claim_use *u)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO claim_log(at_ms, claim_thing, client_id, operation, template,"
	        " serial, thing, fingerprint, outcome, reason)"
	        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	        &st) != 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, u->at_ms);
	ck_sq_bind_text(st, 2, u->claim_thing ? u->claim_thing : "");
	ck_sq_bind_text(st, 3, u->client_id ? u->client_id : "");
	ck_sq_bind_text(st, 4, u->operation);
	ck_sq_bind_text(st, 5, u->template_name);
	ck_sq_bind_text(st, 6, u->serial);
	ck_sq_bind_text(st, 7, u->thing);
	ck_sq_bind_text(st, 8, u->fingerprint);
	ck_sq_bind_text(st, 9, u->outcome);
	ck_sq_bind_text(st, 10, u->reason);
	int rc = ck_sq_step_done(s, st, "claim log put");
	ck_sq_finish(s, st);
	return rc;
}

static cJSON *log_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	static const char *const keys[] = { "id",          "at",       "claim",  "clientId",
		                            "operation",   "template", "serial", "thing",
		                            "fingerprint", "outcome",  "reason" };
	for (int i = 0; i < 11; i++)
		ck_sq_add_column(o, keys[i], st, i);
	return o;
}

int ck_store_claim_log_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                            int64_t *next)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT id, at_ms, claim_thing, client_id, operation, template, serial,"
	                  " thing, fingerprint, outcome, reason FROM claim_log"
	                  " WHERE (?1 IS NULL OR claim_thing = ?1) AND (?2 = 0 OR id < ?2)"
	                  " ORDER BY id DESC LIMIT ?3",
	                  &st) != 0)
		return -EIO;
	ck_sq_bind_text(st, 1, q->thing);
	return ck_sq_run_list(s, st, 3, q, items, next, log_row);
}
