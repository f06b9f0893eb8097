/*
 * Segment files: listing a journal directory, and reading the records of
 * one segment in order through a buffer (the writer's recovery scan and the
 * reader share it). The iterator never trusts a length before it has the
 * bytes: a record is returned only once it is whole and its checksum holds.
 */
#ifndef CK_JOURNAL_SEGMENT_H
#define CK_JOURNAL_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "journal/record.h"

/* The iterator's buffer: large enough for the largest record. */
#define CK_JOURNAL_ITER_BUF (512 * 1024)

struct ck_journal_seg {
	int64_t first; /* first sequence, from the name */
	int64_t size;  /* bytes, when listed */
};

/*
 * Lists the segments in the directory dirfd, sorted by first sequence.
 * Other names are ignored. *out is malloc'ed (free it), NULL when there are
 * none. Returns 0 or a negative errno.
 */
int ck_journal_seg_list(int dirfd, struct ck_journal_seg **out, size_t *n);

/*
 * Sets *next to the first sequence of the oldest segment named above
 * after, 0 when there is none; names only, no file is opened or stat'ed
 * (the reader asks this each time it reaches the end of the data). Returns
 * 0 or a negative errno.
 */
int ck_journal_seg_next(int dirfd, int64_t after, int64_t *next);

struct ck_journal_iter {
	int fd;           /* borrowed */
	int64_t off;      /* file offset of the next record */
	int64_t prev_seq; /* the next record's sequence must be above this */
	uint8_t *buf;
	int64_t buf_off; /* file offset of buf[0] */
	size_t buf_len;
};

/* Allocates the buffer; 0 or -ENOMEM. */
int ck_journal_iter_init(struct ck_journal_iter *it);

/* Points it at fd, offset off, records above prev_seq; drops buffered bytes. */
void ck_journal_iter_reset(struct ck_journal_iter *it, int fd, int64_t off, int64_t prev_seq);

/*
 * Decodes the record at it->off into *rec (its pointers are valid until the
 * next call) and moves past it. Returns 0; -EAGAIN when the file ends at or
 * inside the record (nothing more yet, or a torn tail); -EBADMSG when the
 * bytes at it->off are not a valid record; another negative errno when
 * reading fails. Only 0 moves it->off.
 */
int ck_journal_iter_next(struct ck_journal_iter *it, struct ck_journal_rec *rec);

/*
 * After -EBADMSG: looks for the next valid record (records are 8-byte
 * aligned) after it->off up to the end of the file. Returns 0 with it->off
 * at that record and *rec holding it (not consumed: the next
 * ck_journal_iter_next() returns it again), -ENOENT when there is none, or
 * a read error.
 */
int ck_journal_iter_resync(struct ck_journal_iter *it, struct ck_journal_rec *rec);

void ck_journal_iter_cleanup(struct ck_journal_iter *it);

#endif
