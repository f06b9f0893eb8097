/*
 * The journal writer (see journal.h): one SQLite connection, one prepared
 * INSERT, autocommit (each step is a committed transaction), the counters,
 * the failure episode, and the message callback that feeds it. Nothing
 * here retries: a failed append is reported to mosquitto, which withholds
 * a success acknowledgement so that the device sends the message again.
 */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <sqlite3.h>

#include "acl.h"
#include "journal_upkeep.h"
#include "logging.h"
#include "plugin.h"

/* Pages an insert may need beyond the current size (a split, overflow
 * pages of a 64 KiB payload); SQLITE_FULL this close to max_page_count
 * means the journal, not the disk, is full. */
#define FULL_SLACK_PAGES 24

/* seq is numbered by the plugin (continue_numbering, append), not by
 * AUTOINCREMENT, whose sqlite_sequence row would add a second WAL frame to
 * every commit on the broker thread. Journals created with AUTOINCREMENT
 * keep working: explicit numbers are taken as they are. */
static const char create_sql[] = "CREATE TABLE IF NOT EXISTS journal("
                                 "seq INTEGER PRIMARY KEY,"
                                 "received_ms INTEGER NOT NULL,"
                                 "client_id TEXT NOT NULL,"
                                 "thing TEXT NOT NULL,"
                                 "topic TEXT NOT NULL,"
                                 "qos INTEGER NOT NULL,"
                                 "retain INTEGER NOT NULL,"
                                 "payload BLOB,"
                                 "payload_size INTEGER NOT NULL)";

static const char insert_sql[] =
    "INSERT INTO journal(seq, received_ms, client_id, thing, topic, qos, retain, payload, "
    "payload_size) VALUES(?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char *const cause_names[CK_JCAUSE_COUNT] = {
	[CK_JCAUSE_NONE] = "none",           [CK_JCAUSE_JOURNAL_FULL] = "journal_full",
	[CK_JCAUSE_DISK_FULL] = "disk_full", [CK_JCAUSE_LOCKED] = "locked",
	[CK_JCAUSE_CORRUPT] = "corrupt",     [CK_JCAUSE_IO] = "io",
	[CK_JCAUSE_OTHER] = "other",
};

const char *ck_plugin_journal_cause_name(enum ck_journal_cause cause)
{
	return cause >= 0 && cause < CK_JCAUSE_COUNT ? cause_names[cause] : "other";
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ck_plugin_journal_config_init(struct ck_plugin_journal_config *cfg)
{
	cfg->sync_full = false;
	cfg->max_bytes = CK_JOURNAL_MAX_BYTES_DEFAULT;
	cfg->retention_s = CK_JOURNAL_RETENTION_S_DEFAULT;
}

/* Parses a non-negative decimal with an optional K, M or G suffix. */
static int parse_size(const char *s, bool suffix, int64_t *out)
{
	char *end = NULL;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	int shift = 0;
	if (suffix && *end) {
		switch (*end) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		end++;
	}
	if (*end || v > ((unsigned long long)INT64_MAX >> shift))
		return -EINVAL;
	*out = (int64_t)(v << shift);
	return 0;
}

int ck_plugin_journal_config_set(struct ck_plugin_journal_config *cfg, const char *key,
                                 const char *value, char *why, size_t why_len)
{
	int64_t v;

	if (strcmp(key, "sync") == 0) {
		if (value && strcmp(value, "normal") == 0)
			cfg->sync_full = false;
		else if (value && strcmp(value, "full") == 0)
			cfg->sync_full = true;
		else
			goto bad;
		return 1;
	}
	if (strcmp(key, "max_bytes") == 0) {
		if (parse_size(value, true, &v) != 0 || v < CK_JOURNAL_MAX_BYTES_MIN)
			goto bad;
		cfg->max_bytes = v;
		return 1;
	}
	if (strcmp(key, "retention_s") == 0) {
		if (parse_size(value, false, &v) != 0)
			goto bad;
		cfg->retention_s = v;
		return 1;
	}
	return 0;
bad:
	snprintf(why, why_len, "plugin_opt_%s: invalid value \"%s\" (%s)", key, value ? value : "",
	         strcmp(key, "sync") == 0        ? "normal or full"
	         : strcmp(key, "max_bytes") == 0 ? "bytes, at least 65536, K/M/G suffix allowed"
	                                         : "seconds");
	return -EINVAL;
}

/* Maps an (extended) SQLite result and the OS errno behind it to a cause. */
static enum ck_journal_cause classify(int rc, int sys_errno)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return CK_JCAUSE_DISK_FULL; /* the caller tells journal_full apart */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CK_JCAUSE_LOCKED;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return CK_JCAUSE_CORRUPT;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return sys_errno == ENOSPC || sys_errno == EDQUOT ? CK_JCAUSE_DISK_FULL
		                                                  : CK_JCAUSE_IO;
	default:
		return CK_JCAUSE_OTHER;
	}
}

/* Records what failed, and why, from the connection's last error. */
static enum ck_journal_cause set_error(struct ck_plugin_journal *j, const char *what)
{
	if (!j->db) {
		snprintf(j->errmsg, sizeof(j->errmsg), "%s: out of memory", what);
		return CK_JCAUSE_OTHER;
	}
	int rc = sqlite3_extended_errcode(j->db);
	int sys = sqlite3_system_errno(j->db);
	if (sys)
		snprintf(j->errmsg, sizeof(j->errmsg), "%s: %s (%s)", what, sqlite3_errmsg(j->db),
		         strerror(sys));
	else
		snprintf(j->errmsg, sizeof(j->errmsg), "%s: %s", what, sqlite3_errmsg(j->db));
	return classify(rc, sys);
}

/* Runs a PRAGMA that returns one integer; -1 when it fails. */
static int64_t pragma_int(struct ck_plugin_journal *j, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
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

/*
 * Sets j->st.last_seq, the number the next append follows: the highest of
 * the table's newest row (pruning never deletes it), an older journal's
 * AUTOINCREMENT counter, and what clickd acknowledged. The last case means
 * the journal lost its tail in a power loss, or was replaced: a new row
 * numbered at or below clickd's cursor would never be read, so numbering
 * continues after the acknowledged sequence.
 */
static int continue_numbering(struct ck_plugin_journal *j)
{
	int64_t newest = pragma_int(j, "SELECT coalesce(max(seq), 0) FROM journal");
	int64_t counter = pragma_int(j, "SELECT seq FROM sqlite_sequence WHERE name = 'journal'");
	int64_t last = newest > 0 ? newest : 0;

	if (newest < 0) {
		set_error(j, "continue numbering");
		return -EIO;
	}
	if (counter > last)
		last = counter;
	ck_plugin_journal_read_ack(j);
	j->st.last_seq = last;
	if (j->st.acked_seq <= last)
		return 0;
	ck_plugin_log(
	    MOSQ_LOG_WARNING,
	    "journal %s ends at sequence %" PRId64 " but clickd acknowledged %" PRId64
	    " (%s): rows were lost before this start (a torn tail after a power "
	    "loss with sync normal, or a replaced file); new rows continue after %" PRId64,
	    j->path, last, j->st.acked_seq, j->ack_path, j->st.acked_seq);
	j->st.last_seq = j->st.acked_seq;
	return 0;
}

static void db_close(struct ck_plugin_journal *j)
{
	sqlite3_finalize(j->insert);
	j->insert = NULL;
	if (j->db)
		sqlite3_close(j->db);
	j->db = NULL;
}

static int exec(struct ck_plugin_journal *j, const char *sql, const char *what)
{
	if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		set_error(j, what);
		return -EIO;
	}
	return 0;
}

int ck_plugin_journal_reopen(struct ck_plugin_journal *j)
{
	char sql[96];

	db_close(j);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(j->path, &j->db, flags, NULL) != SQLITE_OK) {
		j->open_cause = set_error(j, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(j->db, 1);
	if (sqlite3_busy_timeout(j->db, CK_JOURNAL_BUSY_TIMEOUT_MS) != SQLITE_OK) {
		j->open_cause = set_error(j, "busy_timeout");
		goto fail;
	}
	if (pragma_expect(j, "PRAGMA journal_mode=WAL", "wal") != 0) {
		j->open_cause =
		    classify(sqlite3_extended_errcode(j->db), sqlite3_system_errno(j->db));
		goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", j->cfg.sync_full ? "FULL" : "NORMAL");
	if (exec(j, sql, "synchronous") != 0)
		goto fail_classified; /* Checkpoints (which fsync) belong off the broker thread:
		                       * clickd runs a passive one after its batches. The plugin
		                       * checkpoints itself only when the WAL has grown large, e.g.
		                       * while clickd is down. */
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%d", CK_JOURNAL_AUTOCHECKPOINT);
	if (exec(j, sql, "wal_autocheckpoint") != 0)
		goto fail_classified;
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%lld",
	         (long long)CK_JOURNAL_WAL_LIMIT);
	if (exec(j, sql, "journal_size_limit") != 0 || exec(j, create_sql, "create table") != 0 ||
	    continue_numbering(j) != 0)
		goto fail_classified;
	j->page_size = pragma_int(j, "PRAGMA page_size");
	if (j->page_size <= 0) {
		j->open_cause = set_error(j, "page_size");
		goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%lld",
	         (long long)(j->cfg.max_bytes / j->page_size));
	j->max_pages = pragma_int(j, sql);
	if (j->max_pages <= 0) {
		j->open_cause = set_error(j, "max_page_count");
		goto fail;
	}
	if (j->max_pages > j->cfg.max_bytes / j->page_size)
		ck_plugin_log(MOSQ_LOG_WARNING,
		              "journal %s is already larger than max_bytes %" PRId64
		              "; it will not grow, and appends resume as acknowledged rows are "
		              "pruned",
		              j->path, j->cfg.max_bytes);
	if (sqlite3_prepare_v3(j->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &j->insert,
	                       NULL) != SQLITE_OK) {
		j->open_cause = set_error(j, "prepare insert");
		goto fail;
	}
	j->stats_dirty = true;
	return 0;
fail_classified:
	j->open_cause = classify(sqlite3_extended_errcode(j->db), sqlite3_system_errno(j->db));
fail:
	db_close(j);
	return -EIO;
}

/* Builds dir/name into a new string; NULL when out of memory. */
static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	return out;
}

int ck_plugin_journal_init(struct ck_plugin_journal *j, const char *dir,
                           const struct ck_plugin_journal_config *cfg)
{
	memset(j, 0, sizeof(*j));
	j->cfg = *cfg;
	j->path = path_join(dir, "journal.db");
	j->wal_path = path_join(dir, "journal.db-wal");
	j->ack_path = path_join(dir, "journal.ack");
	j->stats_path = path_join(dir, "plugin.stats");
	if (!j->path || !j->wal_path || !j->ack_path || !j->stats_path) {
		snprintf(j->errmsg, sizeof(j->errmsg), "out of memory");
		return -ENOMEM;
	}
	j->stats_dirty = true;
	if (ck_plugin_journal_reopen(j) != 0) {
		ck_plugin_journal_note_failure(j, j->open_cause);
		return -EIO;
	}
	return 0;
}

static const char *cause_text(enum ck_journal_cause cause)
{
	switch (cause) {
	case CK_JCAUSE_JOURNAL_FULL:
		return "the journal holds max_bytes of rows clickd has not acknowledged";
	case CK_JCAUSE_DISK_FULL:
		return "the file system is full";
	case CK_JCAUSE_LOCKED:
		return "another connection holds its write lock";
	case CK_JCAUSE_CORRUPT:
		return "the database file is corrupt";
	case CK_JCAUSE_IO:
		return "I/O error";
	default:
		return "SQLite error";
	}
}

void ck_plugin_journal_note_failure(struct ck_plugin_journal *j, enum ck_journal_cause cause)
{
	if (cause <= CK_JCAUSE_NONE || cause >= CK_JCAUSE_COUNT)
		cause = CK_JCAUSE_OTHER;
	j->st.failures[cause]++;
	j->stats_dirty = true;
	if (j->failing == cause) {
		j->failing_refused++;
		return;
	}
	j->failing = cause;
	j->failing_since_ms = monotonic_ms();
	j->failing_refused = 1;
	if (j->db)
		sqlite3_busy_timeout(j->db, cause == CK_JCAUSE_LOCKED ? CK_JOURNAL_BUSY_RETRY_MS
		                                                      : CK_JOURNAL_BUSY_TIMEOUT_MS);
	ck_plugin_log(MOSQ_LOG_ERR,
	              "journal %s cannot store device messages (%s): %s [%s]; refusing them "
	              "(MQTT 5: PUBACK 0x87, MQTT 3.1.1: disconnect) until it can; this is "
	              "logged once until it recovers",
	              j->path, ck_plugin_journal_cause_name(cause), cause_text(cause), j->errmsg);
}

static void note_success(struct ck_plugin_journal *j)
{
	if (j->failing == CK_JCAUSE_NONE)
		return;
	ck_plugin_log(
	    MOSQ_LOG_NOTICE,
	    "journal %s stores device messages again after %" PRIu64 " refused in %.1f s (%s)",
	    j->path, j->failing_refused, (double)(monotonic_ms() - j->failing_since_ms) / 1000.0,
	    ck_plugin_journal_cause_name(j->failing));
	j->failing = CK_JCAUSE_NONE;
	j->failing_refused = 0;
	sqlite3_busy_timeout(j->db, CK_JOURNAL_BUSY_TIMEOUT_MS);
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

int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_plugin_journal_entry *e,
                             enum ck_journal_cause *cause)
{
	enum ck_journal_cause why = CK_JCAUSE_NONE;

	if (!j->db || !j->insert) {
		if (j->failing == CK_JCAUSE_NONE)
			snprintf(j->errmsg, sizeof(j->errmsg), "journal is not open");
		why = j->failing != CK_JCAUSE_NONE ? j->failing : CK_JCAUSE_IO;
	} else if (bind_entry(j->insert, e) != SQLITE_OK ||
	           sqlite3_bind_int64(j->insert, 9, j->st.last_seq + 1) != SQLITE_OK) {
		why = set_error(j, "bind");
	} else if (sqlite3_step(j->insert) != SQLITE_DONE) {
		/* Read the error before reset, which would replace it. */
		why = set_error(j, "insert");
		if (why == CK_JCAUSE_DISK_FULL &&
		    (sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_FULL) {
			int64_t pages = pragma_int(j, "PRAGMA page_count");
			if (pages >= 0 && pages + FULL_SLACK_PAGES >= j->max_pages)
				why = CK_JCAUSE_JOURNAL_FULL;
		}
	}
	if (j->insert) {
		/* Borrowed buffers must not outlive this call inside the statement. */
		sqlite3_reset(j->insert);
		sqlite3_clear_bindings(j->insert);
	}
	if (cause)
		*cause = why;
	if (why != CK_JCAUSE_NONE) {
		ck_plugin_journal_note_failure(j, why);
		return -EIO;
	}
	j->st.appends++;
	j->st.append_bytes += e->payload_size;
	j->st.last_seq++;
	j->stats_dirty = true;
	note_success(j);
	return 0;
}

void ck_plugin_journal_close(struct ck_plugin_journal *j)
{
	db_close(j);
	free(j->path);
	free(j->wal_path);
	free(j->ack_path);
	free(j->stats_path);
	j->path = j->wal_path = j->ack_path = j->stats_path = NULL;
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
	if (ck_plugin_journal_append(&p->journal, &e, NULL) != 0) {
		/* The episode was logged once by the append; per message only at
		 * debug level. MQTT 5 clients can be told (PUBACK 0x87); 3.1.1
		 * clients would read a plain PUBACK as success, so they are
		 * disconnected instead. */
		int v5 = mosquitto_client_protocol_version(ev->client) == 5;
		ck_plugin_log(MOSQ_LOG_DEBUG, "message from %s not journaled (%s); %s",
		              ck_plugin_printable(id, idbuf), p->journal.errmsg,
		              v5 ? "PUBACK 0x87" : "client disconnected");
		return v5 ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}
