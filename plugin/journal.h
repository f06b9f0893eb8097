/*
 * The journal: DATA/journal.db, an append-only SQLite table of the messages
 * devices published (schema in docs/ARCHITECTURE.md). The plugin is its only
 * writer; clickd reads it. Each append is its own committed transaction in
 * WAL mode: synchronous=NORMAL (sync "normal", the default) survives a
 * crash of any process, synchronous=FULL (sync "full") an fsync per commit
 * and survives power loss. PRAGMA max_page_count bounds the database at
 * max_bytes; a full journal refuses appends rather than growing.
 *
 * This module owns the connection, the prepared statement, the counters
 * and the failure episode (one log line when appends start failing, one
 * when they work again), and handles mosquitto's message event, which is
 * where a device's publish becomes a journal row before mosquitto
 * acknowledges it. Pruning, the acknowledgement file and the statistics
 * file are journal_upkeep.c's, on the tick.
 */
#ifndef CK_PLUGIN_JOURNAL_H
#define CK_PLUGIN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_JOURNAL_PAYLOAD_CAP     (64 * 1024) /* larger payloads are stored as NULL */
#define CK_JOURNAL_BUSY_TIMEOUT_MS 2000
/* Busy timeout while the journal is already known to be locked, so that a
 * lock held for minutes does not stall the broker 2 s per message. */
#define CK_JOURNAL_BUSY_RETRY_MS 100

#define CK_JOURNAL_MAX_BYTES_DEFAULT   (1024LL * 1024 * 1024) /* 1 GiB */
#define CK_JOURNAL_MAX_BYTES_MIN       (64LL * 1024)
#define CK_JOURNAL_RETENTION_S_DEFAULT (24LL * 3600)
/* The WAL is truncated back to this size after a checkpoint. */
#define CK_JOURNAL_WAL_LIMIT (8LL * 1024 * 1024)
/* WAL pages before the plugin checkpoints on its own (clickd normally does it
 * first, off the broker thread): about 64 MiB with 4 KiB pages. */
#define CK_JOURNAL_AUTOCHECKPOINT 16384

struct sqlite3;
struct sqlite3_stmt;

/* Why an append failed; also the label of the failure counters. */
enum ck_journal_cause {
	CK_JCAUSE_NONE = 0,
	CK_JCAUSE_JOURNAL_FULL, /* max_bytes reached by rows clickd has not acknowledged */
	CK_JCAUSE_DISK_FULL,    /* the file system is full */
	CK_JCAUSE_LOCKED,       /* another connection held the write lock too long */
	CK_JCAUSE_CORRUPT,      /* the database file is damaged */
	CK_JCAUSE_IO,           /* any other I/O error, or the journal could not be opened */
	CK_JCAUSE_OTHER,
	CK_JCAUSE_COUNT,
};

struct ck_plugin_journal_config {
	bool sync_full;      /* plugin_opt_sync full */
	int64_t max_bytes;   /* plugin_opt_max_bytes */
	int64_t retention_s; /* plugin_opt_retention_s: acknowledged rows kept this long */
};

struct ck_plugin_journal_stats {
	uint64_t appends;      /* rows committed */
	uint64_t append_bytes; /* payload bytes the devices sent in those rows */
	uint64_t failures[CK_JCAUSE_COUNT];
	uint64_t pruned_rows;
	int64_t used_bytes; /* pages in use, times the page size (not the WAL) */
	int64_t file_bytes; /* journal.db size, free pages included */
	int64_t wal_bytes;  /* journal.db-wal size */
	int64_t last_seq;   /* highest sequence ever assigned */
	int64_t acked_seq;  /* from journal.ack; 0 when there is none */
};

struct ck_plugin_journal {
	struct sqlite3 *db;
	struct sqlite3_stmt *insert;
	struct ck_plugin_journal_config cfg;
	char *path;       /* DATA/journal.db */
	char *wal_path;   /* DATA/journal.db-wal */
	char *ack_path;   /* DATA/journal.ack, written by clickd */
	char *stats_path; /* DATA/plugin.stats, written here */
	int64_t page_size;
	int64_t max_pages;
	enum ck_journal_cause open_cause; /* why the last open failed */
	/* The current failure episode; cause NONE when appends work. */
	enum ck_journal_cause failing;
	int64_t failing_since_ms; /* monotonic */
	uint64_t failing_refused;
	struct ck_plugin_journal_stats st;
	bool stats_dirty;
	/* Upkeep state (journal_upkeep.c). */
	int64_t next_upkeep_ms, next_reopen_ms, stats_written_ms; /* monotonic */
	struct {
		uint64_t dev, ino;
		int64_t size, mtime_ns;
	} ack_id;
	bool ack_warned, stats_warned, prune_warned;
	char errmsg[256]; /* last failure, for the caller to log */
};

/* One accepted device message, all fields borrowed. */
struct ck_plugin_journal_entry {
	int64_t received_ms;
	const char *client_id;
	const char *thing;
	const char *topic;
	int qos;
	bool retain;
	const void *payload;
	size_t payload_size;
};

/* The defaults: sync normal, 1 GiB, one day of retention. */
void ck_plugin_journal_config_init(struct ck_plugin_journal_config *cfg);

/*
 * Applies plugin_opt_<key> <value> to cfg when key is one of the journal's
 * options (sync, max_bytes, retention_s). Returns 1 when applied, 0 when key
 * is not a journal option, -EINVAL when the value is invalid (why then holds
 * a one-line reason). max_bytes accepts a K, M or G suffix (powers of 1024)
 * and must be at least CK_JOURNAL_MAX_BYTES_MIN. Pure.
 */
int ck_plugin_journal_config_set(struct ck_plugin_journal_config *cfg, const char *key,
                                 const char *value, char *why, size_t why_len);

/*
 * Prepares j for the data directory dir with cfg (copied) and opens the
 * journal as ck_plugin_journal_reopen() does. Returns 0 when the journal is
 * open; -ENOMEM when the paths cannot be allocated (j is then unusable);
 * -EIO when the database cannot be opened: j is then usable but closed, in
 * a failure episode whose line was logged, every append fails, and the
 * upkeep tick retries the open. ck_plugin_journal_close() is safe after
 * any outcome.
 */
int ck_plugin_journal_init(struct ck_plugin_journal *j, const char *dir,
                           const struct ck_plugin_journal_config *cfg);

/*
 * Opens (creating if needed) the database at j->path: WAL mode, the
 * configured synchronous level, busy timeout CK_JOURNAL_BUSY_TIMEOUT_MS,
 * max_page_count from max_bytes, table created if absent, insert prepared.
 * Returns 0, or -EIO with j->errmsg set and the database closed.
 */
int ck_plugin_journal_reopen(struct ck_plugin_journal *j);

/*
 * Appends e and commits before returning. The payload is stored when
 * payload_size <= CK_JOURNAL_PAYLOAD_CAP (an empty payload as an empty
 * blob), otherwise as NULL; payload_size is always stored. Returns 0, or a
 * negative code with j->errmsg set and *cause (may be NULL) telling why;
 * nothing was committed then. May wait up to the busy timeout when another
 * connection holds the write lock. Updates the counters and the failure
 * episode, logging once when an episode starts or its cause changes and
 * once when appends succeed again.
 */
int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_plugin_journal_entry *e,
                             enum ck_journal_cause *cause);

/*
 * Records a failure of cause (when the journal is closed, or a failure not
 * seen by an append) in the counters and the episode. Logs as append does.
 */
void ck_plugin_journal_note_failure(struct ck_plugin_journal *j, enum ck_journal_cause cause);

/* The label of a cause in metrics and logs ("journal_full", ...). */
const char *ck_plugin_journal_cause_name(enum ck_journal_cause cause);

/*
 * MOSQ_EVT_MESSAGE callback; userdata is the struct ck_plugin. Messages of
 * the clickd account pass untouched. A device message is appended and
 * committed, then MOSQ_ERR_SUCCESS lets mosquitto acknowledge it. When the
 * append fails it returns MOSQ_ERR_ACL_DENIED to an MQTT 5 client (mosquitto
 * answers PUBACK/PUBREC with reason 0x87) and MOSQ_ERR_UNKNOWN to MQTT 3.1
 * and 3.1.1 clients (mosquitto drops the message and closes the connection
 * without a PUBACK, since those clients cannot be told). A device message
 * its policies do not allow is not journaled and refused as
 * ck_plugin_acl_write_denied() says.
 */
int ck_plugin_on_message(int event, void *event_data, void *userdata);

/* Finalizes the statement, closes the database and frees the paths. Safe on
 * a zeroed or already closed journal. */
void ck_plugin_journal_close(struct ck_plugin_journal *j);

#endif
