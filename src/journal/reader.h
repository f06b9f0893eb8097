/*
 * The journal reader: clickd's view of the journal directory. It takes no
 * lock and never writes; it returns the records above a cursor in order,
 * remembering where the last read ended so that reading on costs no
 * search. Damage that cannot be a tail in progress is skipped and
 * reported (see docs/internals/journal.md). Not thread-safe.
 */
#ifndef CK_JOURNAL_READER_H
#define CK_JOURNAL_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "journal/record.h"
#include "journal/segment.h"

struct ck_journal_reader {
	char *dir;
	int dirfd;
	int fd;            /* the segment being read, -1 when none */
	int64_t seg_first; /* its first sequence */
	struct ck_journal_iter it;
	bool positioned; /* it continues after pos_seq */
	int64_t pos_seq;
	char *strings;  /* the current row's terminated strings */
	int64_t lost;   /* sequences skipped over damage, in total */
	char warn[320]; /* the last damage report; warned is set when new */
	bool warned;
};

/* Opens the journal directory dir for reading (created, mode 0700, when
 * missing). Returns 0 or a negative errno. */
int ck_journal_reader_open(struct ck_journal_reader *r, const char *dir);

/*
 * Checks every segment's header. Returns 0, or -EBADMSG with a reason in
 * why (a damaged header, which the writer refuses too), or another negative
 * errno.
 */
int ck_journal_reader_check(struct ck_journal_reader *r, char *why, size_t why_len);

/*
 * Calls fn for each record with a sequence above after, in order, at most
 * max records; the row and its strings are valid during the call only. fn
 * returning non-zero stops the read and that value is returned. Otherwise
 * returns the number of records seen (0: nothing new yet), or a negative
 * errno when the journal cannot be read. When the read skipped damage,
 * r->warned is set and r->warn says which sequences were lost.
 */
int ck_journal_reader_read(struct ck_journal_reader *r, int64_t after, int max,
                           int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx);

void ck_journal_reader_close(struct ck_journal_reader *r);

#endif
