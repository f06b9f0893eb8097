/*
 * The offline queue: presses waiting for a PUBACK, on disk in DIR/queue/,
 * one file per press named by its seq (20 digits, so name order is press
 * order) holding the exact payload to publish. A press is written durably
 * (temporary file, fsync, rename, fsync of the directory) before delivery
 * is attempted and removed only after the broker acknowledged it, so
 * presses survive a dead network, a dead broker and a crash of clickbtn,
 * and are sent in order with their original seq and pressedAt. A crash
 * between the PUBACK and the removal sends that press again with the same
 * seq: at least once on the wire, exactly once for a receiver that
 * deduplicates by (thing, seq).
 */
#ifndef CK_CLICKBTN_QUEUE_H
#define CK_CLICKBTN_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define CK_CLICK_QUEUE_DIR "queue"
#define CK_CLICK_QUEUE_MAX 100000 /* presses kept; more are refused */

struct ck_click_queue {
	int dirfd; /* DIR/queue, owned */
	char path[4096];
	int64_t count; /* files present */
};

/*
 * Opens (creating it when missing) the queue directory under the device
 * directory dirfd (named dir in messages) and counts what it holds.
 * Returns 0 or a negative errno with a one-line reason in why.
 */
int ck_click_queue_open(struct ck_click_queue *q, int dirfd, const char *dir, char *why,
                        size_t why_len);

/* Closes the directory descriptor. */
void ck_click_queue_close(struct ck_click_queue *q);

/*
 * Appends a press durably. Returns 0, -ENOSPC when CK_CLICK_QUEUE_MAX
 * presses are already waiting, -EEXIST when seq is already queued, or
 * another negative errno with a reason in why.
 */
int ck_click_queue_put(struct ck_click_queue *q, int64_t seq, const char *payload, size_t len,
                       char *why, size_t why_len);

/*
 * The oldest press: 1 with *seq and the payload in buf (NUL-terminated,
 * *len bytes), 0 when the queue is empty, or a negative errno. A file
 * that is not a valid entry is moved aside as "<name>.bad" and skipped.
 */
int ck_click_queue_head(struct ck_click_queue *q, int64_t *seq, char *buf, size_t cap, size_t *len);

/* Removes the press with this seq (after its PUBACK). Returns 0 or a
 * negative errno; a press already gone counts as removed. */
int ck_click_queue_drop(struct ck_click_queue *q, int64_t seq);

#endif
