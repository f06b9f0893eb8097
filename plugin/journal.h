/*
 * The journal: DATA/journal.db, an append-only SQLite table of the messages
 * devices published (schema in docs/ARCHITECTURE.md). The plugin is its only
 * writer; clickd reads it. Each append is its own committed transaction in
 * WAL mode with synchronous=NORMAL, so a row that was appended survives a
 * crash of any process. This module owns the connection and the prepared
 * statement, and handles mosquitto's message event, which is where a
 * device's publish becomes a journal row before mosquitto acknowledges it.
 */
#ifndef CK_PLUGIN_JOURNAL_H
#define CK_PLUGIN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_JOURNAL_PAYLOAD_CAP     (64 * 1024) /* larger payloads are stored as NULL */
#define CK_JOURNAL_BUSY_TIMEOUT_MS 2000

struct sqlite3;
struct sqlite3_stmt;

struct ck_plugin_journal {
	struct sqlite3 *db;
	struct sqlite3_stmt *insert;
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

/*
 * Opens (creating if needed) the journal at path: WAL mode, synchronous
 * NORMAL, busy timeout CK_JOURNAL_BUSY_TIMEOUT_MS, table created if absent,
 * insert statement prepared. Returns 0, or a negative code with j->errmsg
 * set; j is then closed (ck_plugin_journal_close() is still safe).
 */
int ck_plugin_journal_open(struct ck_plugin_journal *j, const char *path);

/*
 * Appends e and commits before returning. The payload is stored when
 * payload_size <= CK_JOURNAL_PAYLOAD_CAP (an empty payload as an empty
 * blob), otherwise as NULL; payload_size is always stored. Returns 0, or
 * -EIO with j->errmsg set (nothing was committed). May wait up to the busy
 * timeout when another connection holds the write lock.
 */
int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_plugin_journal_entry *e);

/*
 * MOSQ_EVT_MESSAGE callback; userdata is the struct ck_plugin. Messages of
 * the clickd account pass untouched. A device message is appended and
 * committed, then MOSQ_ERR_SUCCESS lets mosquitto acknowledge it. When the
 * append fails it returns MOSQ_ERR_UNKNOWN, on which mosquitto drops the
 * message and disconnects the client without a PUBACK/PUBREC. A device
 * message on a topic other than its own (which the ACL already prevents)
 * is not journaled and refused as ck_plugin_acl_write_denied() says.
 */
int ck_plugin_on_message(int event, void *event_data, void *userdata);

/* Finalizes the statement and closes the database. Safe on a zeroed or
 * already closed journal. */
void ck_plugin_journal_close(struct ck_plugin_journal *j);

#endif
