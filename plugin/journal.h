/*
 * The journal: DATA/journal/, append-only segment files of the messages
 * devices published (src/journal/, docs/internals/journal.md). The plugin
 * is its only writer and holds its lock; clickd reads it. Each append is
 * one write before mosquitto acknowledges the message: sync "normal" (the
 * default) survives a crash of any process, sync "full" adds an fdatasync
 * per append and survives power loss. Appends that would take the journal
 * past max_bytes are refused rather than growing it.
 *
 * This module owns the writer, the counters and the failure episode (one
 * log line when appends start failing, one when they work again), and
 * handles mosquitto's message event, which is where a device's publish
 * becomes a journal record before mosquitto acknowledges it. Pruning, the
 * acknowledgement file and the statistics file are journal_upkeep.c's, on
 * the tick.
 */
#ifndef CK_PLUGIN_JOURNAL_H
#define CK_PLUGIN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_JOURNAL_MAX_BYTES_DEFAULT   (1024LL * 1024 * 1024) /* 1 GiB */
#define CK_JOURNAL_MAX_BYTES_MIN       (64LL * 1024)
#define CK_JOURNAL_RETENTION_S_DEFAULT (24LL * 3600)
#include "journal/writer.h"

/* Why an append failed; also the label of the failure counters. */
enum ck_journal_cause {
	CK_JCAUSE_NONE = 0,
	CK_JCAUSE_JOURNAL_FULL, /* max_bytes reached by rows clickd has not acknowledged */
	CK_JCAUSE_DISK_FULL,    /* the file system is full */
	CK_JCAUSE_LOCKED,       /* another writer holds the journal's lock */
	CK_JCAUSE_CORRUPT,      /* a segment is damaged beyond a torn tail */
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
	uint64_t appends;      /* records written */
	uint64_t append_bytes; /* payload bytes the devices sent in those records */
	uint64_t failures[CK_JCAUSE_COUNT];
	uint64_t pruned_rows; /* sequences removed with their segments */
	int64_t used_bytes;   /* all segment files */
	int64_t segments;
	int64_t last_seq;  /* the writer's, as of the last statistics */
	int64_t acked_seq; /* from journal.ack; 0 when there is none */
};

struct ck_plugin_journal {
	struct ck_journal_writer w; /* closed (dirfd -1) when the journal cannot be opened */
	struct ck_plugin_journal_config cfg;
	char *path;                       /* DATA/journal */
	char *ack_path;                   /* DATA/journal.ack, written by clickd */
	char *stats_path;                 /* DATA/plugin.stats, written here */
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
	char errmsg[400]; /* last failure, for the caller to log */
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
 * -EIO when the journal cannot be opened: j is then usable but closed, in
 * a failure episode whose line was logged, every append fails, and the
 * upkeep tick retries the open. ck_plugin_journal_close() is safe after
 * any outcome.
 */
int ck_plugin_journal_init(struct ck_plugin_journal *j, const char *dir,
                           const struct ck_plugin_journal_config *cfg);

/*
 * Opens (creating if needed) the journal directory j->path for writing,
 * recovering a torn tail (logged) and continuing the numbering after what
 * clickd acknowledged. Returns 0, or -EIO with j->errmsg and j->open_cause
 * set and the journal closed.
 */
int ck_plugin_journal_reopen(struct ck_plugin_journal *j);

/*
 * Appends row (its seq is assigned here), written (and with sync full
 * synced) before returning. Returns 0, or a negative
 * code with j->errmsg set and *cause (may be NULL) telling why; nothing was
 * appended then. Never waits. Updates the counters and the failure
 * episode, logging once when an episode starts or its cause changes and
 * once when appends succeed again.
 */
int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_journal_row *row,
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

/* Closes the writer (dropping its lock) and frees the paths. Safe on a
 * zeroed or already closed journal. */
void ck_plugin_journal_close(struct ck_plugin_journal *j);

#endif
