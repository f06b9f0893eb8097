/*
 * The journal acknowledgement: DATA/journal.ack tells the broker plugin up
 * to which journal sequence clickd has committed its work, so that the
 * plugin may prune those rows (and only those). clickd writes it after an
 * ingest batch commits; the plugin reads it on its tick. The file is
 * replaced atomically (temporary file and rename); a lost or stale file
 * only makes the plugin prune less. Format, two lines:
 *
 *     clickd-journal-ack 1
 *     acked <seq>
 */
#ifndef CK_JOURNAL_ACK_H
#define CK_JOURNAL_ACK_H

#include <stdint.h>

#define CK_JOURNAL_ACK_FILE "journal.ack"

/*
 * Writes DATA/journal.ack with seq. When store_wal is not NULL (sync level
 * full) the acknowledgement is made durable first: store_wal (the store's
 * WAL file, e.g. DATA/clickd.db-wal) is fdatasync'ed, so the cursor it
 * names has reached the disk before the plugin may prune below it, and the
 * new file and the directory are fsync'ed. A missing store_wal is not an
 * error (nothing uncheckpointed). Returns 0 or a negative errno.
 */
int ck_journal_ack_write(const char *data_dir, int64_t seq, const char *store_wal);

#endif
