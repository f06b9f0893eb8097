/*
 * The journal writer: the only process appending to a journal directory
 * (the broker plugin). It holds an exclusive flock on the directory while
 * open, recovers a torn tail at open, appends one record per device
 * message with one pwrite (plus fdatasync with sync_full), starts a new
 * segment at the segment size, refuses appends past max_bytes, and removes
 * whole segments that the reader acknowledged. See
 * docs/internals/journal.md. Not thread-safe: one thread owns a writer.
 */
#ifndef CK_JOURNAL_WRITER_H
#define CK_JOURNAL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal/record.h"
#include "journal/segment.h"

#define CK_JOURNAL_SEG_MAX      (16LL * 1024 * 1024)
#define CK_JOURNAL_SEG_MIN      (8LL * 1024)
#define CK_JOURNAL_PRESSURE_PCT 90 /* prune regardless of retention above this share */
/* Segments removed per prune call: an unlink of 16 MiB takes milliseconds. */
#define CK_JOURNAL_PRUNE_MAX 2

struct ck_journal_writer_config {
	bool sync_full;    /* fdatasync every append */
	int64_t max_bytes; /* all segment files together */
};

/* What ck_journal_writer_open() found and did, for the caller to log. */
struct ck_journal_open_info {
	int64_t torn_bytes; /* cut from the newest segment's end (0: none) */
	int64_t torn_at;    /* ... at this offset */
	int64_t torn_seg;   /* ... of the segment starting here */
	bool removed_empty; /* a newest segment shorter than its header was removed */
	int64_t newest_seq; /* the newest record found (0: none) */
	bool renumbered;    /* acked_seq was above it: numbering continues after acked_seq */
};

struct ck_journal_writer {
	struct ck_journal_writer_config cfg;
	char *dir;
	int dirfd;                   /* holds the flock; -1 when closed */
	int fd;                      /* the newest segment, -1 until one exists or after a jump */
	struct ck_journal_seg *segs; /* every segment, oldest first; sizes kept current */
	size_t n_segs, cap_segs;
	int64_t seg_max;
	int64_t total_bytes;
	int64_t last_seq;
	bool broken; /* a failed write could not be cut off: reopen */
	uint8_t *buf;
	size_t buf_cap;
	char err[320];
};

/* Zeroes w so that close is safe before any open. */
void ck_journal_writer_init(struct ck_journal_writer *w);

/*
 * Opens (creating if needed, mode 0700) the journal directory dir for
 * appending, as described above; acked_seq is what the reader acknowledged
 * (0 if unknown). Returns 0; -EWOULDBLOCK
 * when another process holds the lock; -EBADMSG when the journal is
 * corrupt (nothing was changed); another negative errno when it cannot be
 * read or written. On failure w->err says why and w is closed. Safe to call
 * on an open writer (it is closed first).
 */
int ck_journal_writer_open(struct ck_journal_writer *w, const char *dir,
                           const struct ck_journal_writer_config *cfg, int64_t acked_seq,
                           struct ck_journal_open_info *info);

/*
 * Appends row with the next sequence (row->seq is ignored), written and,
 * with sync_full, synced before it returns; *seq gets the number. Returns
 * 0; -EFBIG when the journal would pass max_bytes; -ENOSPC or -EDQUOT when
 * the file system is full; -EINVAL when the row cannot be a record;
 * -EBADF when the writer is closed or broken; another negative errno on an
 * I/O error. Nothing is appended on failure (w->err says why).
 */
int ck_journal_writer_append(struct ck_journal_writer *w, const struct ck_journal_row *row,
                             int64_t now_ms, int64_t *seq);

/*
 * Removes at most CK_JOURNAL_PRUNE_MAX of the oldest segments while each
 * is not the newest, ends at or below acked_seq, and was last written
 * before cutoff_ms, or the journal holds CK_JOURNAL_PRESSURE_PCT of
 * max_bytes. *sequences gets the count of sequences removed. Returns 0 or
 * a negative errno (w->err set).
 */
int ck_journal_writer_prune(struct ck_journal_writer *w, int64_t acked_seq, int64_t cutoff_ms,
                            int64_t *sequences);

/* Syncs the newest segment and the directory (for a writer with sync_full
 * off that needs its appends durable now). Returns 0 or a negative errno. */
int ck_journal_writer_sync(struct ck_journal_writer *w);

/* Closes the files and drops the lock; keeps nothing allocated. Safe on a
 * closed or zeroed writer. */
void ck_journal_writer_close(struct ck_journal_writer *w);

#endif
