/*
 * libFuzzer target for the journal's reading side: any bytes, taken as the
 * contents of a segment file, are read as the writer's recovery scan and
 * clickd's reader do (segment header, then records through the buffered
 * iterator, resynchronising after damage). Every record that decodes must
 * encode back to exactly the bytes it was read from, with its sequence
 * above the previous one and inside the file. Any other outcome aborts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "journal/record.h"
#include "journal/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[CK_JOURNAL_RECORD_MAX];
static char strings[3][CK_JOURNAL_FIELD_MAX + 1];

/* The record decoded at data[off] must encode back to the same bytes. */
static void check_round_trip(const uint8_t *data, size_t size, int64_t off,
                             const struct ck_journal_rec *rec)
{
	if (off < 0 || (size_t)off + rec->length > size + 7)
		abort();
	memcpy(strings[0], rec->client_id, rec->client_id_len);
	strings[0][rec->client_id_len] = '\0';
	memcpy(strings[1], rec->thing, rec->thing_len);
	strings[1][rec->thing_len] = '\0';
	memcpy(strings[2], rec->topic, rec->topic_len);
	strings[2][rec->topic_len] = '\0';
	if (strlen(strings[0]) != rec->client_id_len || strlen(strings[1]) != rec->thing_len ||
	    strlen(strings[2]) != rec->topic_len)
		return; /* a NUL inside a field: the reader's strings stop there */
	struct ck_journal_row row = {
		.seq = rec->seq,
		.received_ms = rec->received_ms,
		.client_id = strings[0],
		.thing = strings[1],
		.topic = strings[2],
		.qos = rec->qos,
		.retain = rec->retain,
		.payload =
		    rec->kept ? (rec->payload_len ? rec->payload : (const uint8_t *)"") : NULL,
		.payload_len = rec->payload_len,
		.payload_size = rec->payload_size,
	};
	int len = ck_journal_record_encode(&row, out, sizeof(out));
	size_t unpadded = CK_JOURNAL_REC_HEADER + rec->client_id_len + rec->thing_len +
	                  rec->topic_len + rec->payload_len;
	if (len != (int)rec->length || memcmp(out, data + off, unpadded) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t first = 0;
	(void)ck_journal_seg_header_decode(data, size, &first);

	int fd = memfd_create("segment", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	struct ck_journal_iter it;
	struct ck_journal_rec rec;
	if (ck_journal_iter_init(&it) != 0) {
		close(fd);
		return 0;
	}
	int64_t start = size >= CK_JOURNAL_SEG_HEADER ? CK_JOURNAL_SEG_HEADER : 0;
	ck_journal_iter_reset(&it, fd, start, 0);
	int64_t prev = 0;
	for (int steps = 0; steps < 100000; steps++) {
		int64_t off = it.off;
		int rc = ck_journal_iter_next(&it, &rec);
		if (rc == 0) {
			if (rec.seq <= prev || it.off <= off)
				abort();
			prev = rec.seq;
			check_round_trip(data, size, off, &rec);
			continue;
		}
		if (rc == -EAGAIN)
			break;
		if (rc != -EBADMSG)
			abort();
		rc = ck_journal_iter_resync(&it, &rec);
		if (rc == -ENOENT)
			break;
		if (rc != 0 || it.off <= off || rec.seq <= prev)
			abort();
	}
	ck_journal_iter_cleanup(&it);
	close(fd);
	return 0;
}
