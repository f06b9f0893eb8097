/*
 * The press sequence number, DIR/clickbtn.state: one line "seq = N" with
 * the last number handed out. A number is written durably (temporary file,
 * fsync, rename, fsync of DIR) before it is used, under an flock on DIR,
 * so no two presses from one directory ever carry the same seq, even
 * across crashes or concurrent runs. Gaps are possible; reuse is not.
 */
#ifndef CK_CLICKBTN_STATE_H
#define CK_CLICKBTN_STATE_H

#include <stddef.h>
#include <stdint.h>

#define CK_CLICK_STATE_FILE "clickbtn.state"

/*
 * Reads the last seq from the state file in the directory dirfd (named
 * dir in messages): 0 and
 * *last (0 when the file does not exist yet), or a negative errno with a
 * one-line reason in why (-EINVAL for a corrupt file). Does not lock.
 */
int ck_click_state_read(int dirfd, const char *dir, int64_t *last, char *why, size_t why_len);

/*
 * Takes the next seq: locks the directory, reads the last value, writes
 * last + 1 durably and unlocks. Returns 0 and *seq, or a negative errno
 * with a one-line reason in why; on failure no seq was handed out.
 */
int ck_click_state_next(int dirfd, const char *dir, int64_t *seq, char *why, size_t why_len);

#endif
