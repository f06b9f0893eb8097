/*
 * The journal writer (see journal.h): one SQLite connection, one prepared
 * INSERT, autocommit (each step is a committed transaction), and the
 * message callback that feeds it. Nothing here retries: a failed append is
 * reported to mosquitto, which withholds the acknowledgement so that the
 * device sends the message again.
 */
#include "journal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <sqlite3.h>

#include "acl.h"
#include "logging.h"
#include "plugin.h"

static const char create_sql[] = "CREATE TABLE IF NOT EXISTS journal("
                                 "seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 "received_ms INTEGER NOT NULL,"
                                 "client_id TEXT NOT NULL,"
                                 "thing TEXT NOT NULL,"
                                 "topic TEXT NOT NULL,"
                                 "qos INTEGER NOT NULL,"
                                 "retain INTEGER NOT NULL,"
                                 "payload BLOB,"
                                 "payload_size INTEGER NOT NULL)";

static const char insert_sql[] =
    "INSERT INTO journal(received_ms, client_id, thing, topic, qos, retain, payload, "
    "payload_size) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static void set_error(struct ck_plugin_journal *j, const char *what)
{
	snprintf(j->errmsg, sizeof(j->errmsg), "%s: %s", what,
	         j->db ? sqlite3_errmsg(j->db) : "out of memory");
}

/* Runs a PRAGMA that returns one text row and checks the value. */
static int pragma_expect(struct ck_plugin_journal *j, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		set_error(j, sql);
		return -EIO;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *got = sqlite3_column_text(st, 0);
		if (got && strcmp((const char *)got, want) == 0)
			rc = 0;
		else
			snprintf(j->errmsg, sizeof(j->errmsg), "%s returned %s, wanted %s", sql,
			         got ? (const char *)got : "nothing", want);
	} else {
		set_error(j, sql);
	}
	sqlite3_finalize(st);
	return rc;
}

int ck_plugin_journal_open(struct ck_plugin_journal *j, const char *path)
{
	memset(j, 0, sizeof(*j));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK) {
		set_error(j, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(j->db, 1);
	if (sqlite3_busy_timeout(j->db, CK_JOURNAL_BUSY_TIMEOUT_MS) != SQLITE_OK) {
		set_error(j, "busy_timeout");
		goto fail;
	}
	if (pragma_expect(j, "PRAGMA journal_mode=WAL", "wal") != 0)
		goto fail;
	if (sqlite3_exec(j->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		set_error(j, "synchronous");
		goto fail;
	}
	if (sqlite3_exec(j->db, create_sql, NULL, NULL, NULL) != SQLITE_OK) {
		set_error(j, "create table");
		goto fail;
	}
	if (sqlite3_prepare_v3(j->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->insert,
	                       NULL) != SQLITE_OK) {
		set_error(j, "prepare insert");
		goto fail;
	}
	return 0;
fail:;
	char saved[sizeof(j->errmsg)];
	memcpy(saved, j->errmsg, sizeof(saved));
	ck_plugin_journal_close(j);
	memcpy(j->errmsg, saved, sizeof(saved));
	return -EIO;
}

static int bind_entry(sqlite3_stmt *st, const struct ck_plugin_journal_entry *e)
{
	int rc = sqlite3_bind_int64(st, 1, e->received_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, e->client_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, e->thing, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, e->topic, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, e->qos);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, e->retain ? 1 : 0);
	if (rc == SQLITE_OK) {
		if (e->payload_size > CK_JOURNAL_PAYLOAD_CAP)
			rc = sqlite3_bind_null(st, 7);
		else if (e->payload_size == 0 || !e->payload)
			rc = sqlite3_bind_zeroblob(st, 7, 0);
		else
			rc = sqlite3_bind_blob(st, 7, e->payload, (int)e->payload_size,
			                       SQLITE_STATIC);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, (sqlite3_int64)e->payload_size);
	return rc;
}

int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_plugin_journal_entry *e)
{
	if (!j->db || !j->insert) {
		snprintf(j->errmsg, sizeof(j->errmsg), "journal is not open");
		return -EIO;
	}
	int ret = 0;
	if (bind_entry(j->insert, e) != SQLITE_OK) {
		set_error(j, "bind");
		ret = -EIO;
	} else if (sqlite3_step(j->insert) != SQLITE_DONE) {
		set_error(j, "insert");
		ret = -EIO;
	}
	/* Borrowed buffers must not outlive this call inside the statement. */
	sqlite3_reset(j->insert);
	sqlite3_clear_bindings(j->insert);
	return ret;
}

void ck_plugin_journal_close(struct ck_plugin_journal *j)
{
	sqlite3_finalize(j->insert);
	j->insert = NULL;
	if (j->db)
		sqlite3_close(j->db);
	j->db = NULL;
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ck_plugin_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ev = event_data;
	struct ck_plugin *p = userdata;
	char idbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];

	(void)event;
	if (ck_plugin_is_account(ev->client))
		return MOSQ_ERR_SUCCESS;
	const char *id = mosquitto_client_id(ev->client);
	const struct ck_plugin_client *c = ck_plugin_clients_get(&p->clients, ev->client);
	const struct ck_plugin_cert *rec =
	    c ? ck_plugin_registry_find(&p->snapshot.reg, c->fp) : NULL;
	/* The ACL check already decided; deciding again with the same registry
	 * keeps a row's thing consistent with the certificate that sent it
	 * whatever runs before us. */
	if (!c || c->kicked ||
	    !ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_PUBLISH, "topic", ev->topic,
	                          NULL)) {
		ck_plugin_log(MOSQ_LOG_NOTICE,
		              "message from %s not allowed by its policies; not "
		              "journaled",
		              ck_plugin_printable(id, idbuf));
		return ck_plugin_acl_write_denied(ev->client);
	}
	struct ck_plugin_journal_entry e = {
		.received_ms = wall_clock_ms(),
		.client_id = id,
		.thing = rec->thing, /* the certificate's thing */
		.topic = ev->topic,
		.qos = ev->qos,
		.retain = ev->retain,
		.payload = ev->payload,
		.payload_size = ev->payloadlen,
	};
	if (ck_plugin_journal_append(&p->journal, &e) != 0) {
		ck_plugin_log(MOSQ_LOG_ERR,
		              "journal append failed for %s (%s); message not acknowledged, "
		              "client disconnected",
		              ck_plugin_printable(id, idbuf), p->journal.errmsg);
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}
