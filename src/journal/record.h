/*
 * Journal records and segment headers: the byte layout of
 * docs/internals/journal.md, encoded and decoded over caller buffers. Pure:
 * no I/O, no allocation, no clock. Decoding checks every length against
 * the bytes available before it reads them, so any byte string is safe to
 * decode (tests/fuzz/fuzz_journal_record.c).
 */
#ifndef CK_JOURNAL_RECORD_H
#define CK_JOURNAL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_JOURNAL_SEG_MAGIC   "CKJSEG1\n"
#define CK_JOURNAL_SEG_HEADER  32
#define CK_JOURNAL_REC_MAGIC   "CKR1"
#define CK_JOURNAL_REC_HEADER  48
#define CK_JOURNAL_PAYLOAD_CAP (64 * 1024) /* larger payloads are not kept */
#define CK_JOURNAL_FIELD_MAX   65535       /* client id, thing, topic */
/* The largest record, padding included. */
#define CK_JOURNAL_RECORD_MAX                                                                      \
	(CK_JOURNAL_REC_HEADER + 3 * CK_JOURNAL_FIELD_MAX + CK_JOURNAL_PAYLOAD_CAP + 8)
#define CK_JOURNAL_SEG_NAME_LEN 24 /* 20 digits, ".seg" */

/* One journaled device message. Strings are NUL-terminated when they come
 * from ck_journal_reader_read(); the encoder reads them with strlen. */
struct ck_journal_row {
	int64_t seq;
	int64_t received_ms;
	const char *client_id;
	const char *thing;
	const char *topic;
	int qos;
	bool retain;
	const uint8_t *payload; /* NULL when the journal did not keep it */
	size_t payload_len;
	int64_t payload_size; /* as the device sent it */
};

/* A decoded record: the strings point into the decoded buffer and are not
 * terminated. */
struct ck_journal_rec {
	int64_t seq;
	int64_t received_ms;
	int qos;
	bool retain;
	bool kept; /* payload kept (possibly empty) */
	int64_t payload_size;
	const char *client_id, *thing, *topic;
	size_t client_id_len, thing_len, topic_len;
	const uint8_t *payload;
	size_t payload_len;
	size_t length; /* bytes the record takes, padding included */
};

/*
 * Bytes row takes as a record, padding included, or 0 when a string is
 * longer than CK_JOURNAL_FIELD_MAX or a kept payload over
 * CK_JOURNAL_PAYLOAD_CAP. Pure.
 */
size_t ck_journal_record_size(const struct ck_journal_row *row);

/*
 * Encodes row (its seq included) into buf. Returns the bytes written (a
 * multiple of 8), -EINVAL when the row cannot be a record (see
 * ck_journal_record_size), -ENOSPC when cap is too small. Pure.
 */
int ck_journal_record_encode(const struct ck_journal_row *row, uint8_t *buf, size_t cap);

/*
 * Decodes the record at buf (len bytes available) whose sequence must be
 * above prev_seq. Returns 0 with *out set; -EAGAIN when the bytes so far
 * are a valid beginning but the record does not fit in len (more may come,
 * or the tail was torn); -EBADMSG when the bytes cannot be a valid record.
 * Pure.
 */
int ck_journal_record_decode(const uint8_t *buf, size_t len, int64_t prev_seq,
                             struct ck_journal_rec *out);

/* Writes a segment header for first_seq created at created_ms. Pure. */
void ck_journal_seg_header_encode(uint8_t out[CK_JOURNAL_SEG_HEADER], int64_t first_seq,
                                  int64_t created_ms);

/*
 * Checks a segment header: 0 with *first_seq set, or -EBADMSG (bad magic,
 * checksum or fields), -EAGAIN when len is below the header size. Pure.
 */
int ck_journal_seg_header_decode(const uint8_t *buf, size_t len, int64_t *first_seq);

/* The file name of the segment starting at first_seq ("%020lld.seg"). */
void ck_journal_seg_name(char out[CK_JOURNAL_SEG_NAME_LEN + 1], int64_t first_seq);

/* Parses a segment file name; 0 with *first_seq, or -EINVAL. Pure. */
int ck_journal_seg_parse_name(const char *name, int64_t *first_seq);

#endif
