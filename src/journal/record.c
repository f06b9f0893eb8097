/*
 * Journal record and segment header codec (see record.h and
 * docs/internals/journal.md). Integers are little-endian whatever the host.
 */
#include "journal/record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#define FLAG_RETAIN    1u
#define FLAG_KEPT      2u
#define FLAG_QOS_SHIFT 8
#define FLAG_KNOWN     (FLAG_RETAIN | FLAG_KEPT | (3u << FLAG_QOS_SHIFT))

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Lengths here are at most CK_JOURNAL_RECORD_MAX, well within a uInt. */
static uint32_t checksum(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

static size_t padded(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t ck_journal_record_size(const struct ck_journal_row *row)
{
	size_t c = strlen(row->client_id), t = strlen(row->thing), p = strlen(row->topic);
	size_t pl = row->payload ? row->payload_len : 0;

	if (c > CK_JOURNAL_FIELD_MAX || t > CK_JOURNAL_FIELD_MAX || p > CK_JOURNAL_FIELD_MAX ||
	    pl > CK_JOURNAL_PAYLOAD_CAP || row->payload_size < 0 || row->payload_size > UINT32_MAX)
		return 0;
	return padded(CK_JOURNAL_REC_HEADER + c + t + p + pl);
}

int ck_journal_record_encode(const struct ck_journal_row *row, uint8_t *buf, size_t cap)
{
	size_t total = ck_journal_record_size(row);

	if (total == 0 || row->qos < 0 || row->qos > 2 || row->seq <= 0)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;
	size_t c = strlen(row->client_id), t = strlen(row->thing), p = strlen(row->topic);
	size_t pl = row->payload ? row->payload_len : 0;
	size_t length = CK_JOURNAL_REC_HEADER + c + t + p + pl;
	uint32_t flags = (row->retain ? FLAG_RETAIN : 0) | (row->payload ? FLAG_KEPT : 0) |
	                 (uint32_t)row->qos << FLAG_QOS_SHIFT;

	memcpy(buf, CK_JOURNAL_REC_MAGIC, 4);
	put32(buf + 4, (uint32_t)length);
	put32(buf + 12, flags);
	put64(buf + 16, (uint64_t)row->seq);
	put64(buf + 24, (uint64_t)row->received_ms);
	put32(buf + 32, (uint32_t)row->payload_size);
	put16(buf + 36, (uint16_t)c);
	put16(buf + 38, (uint16_t)t);
	put16(buf + 40, (uint16_t)p);
	put16(buf + 42, 0);
	put32(buf + 44, (uint32_t)pl);
	uint8_t *o = buf + CK_JOURNAL_REC_HEADER;
	memcpy(o, row->client_id, c);
	memcpy(o + c, row->thing, t);
	memcpy(o + c + t, row->topic, p);
	if (pl)
		memcpy(o + c + t + p, row->payload, pl);
	memset(buf + length, 0, total - length);
	put32(buf + 8, checksum(buf + 12, length - 12));
	return (int)total;
}

int ck_journal_record_decode(const uint8_t *buf, size_t len, int64_t prev_seq,
                             struct ck_journal_rec *out)
{
	size_t m = len < 4 ? len : 4;

	if (memcmp(buf, CK_JOURNAL_REC_MAGIC, m) != 0)
		return -EBADMSG;
	if (len < CK_JOURNAL_REC_HEADER)
		return -EAGAIN;
	size_t length = get32(buf + 4);
	uint32_t flags = get32(buf + 12);
	size_t c = get16(buf + 36), t = get16(buf + 38), p = get16(buf + 40);
	size_t pl = get32(buf + 44);
	if (length != CK_JOURNAL_REC_HEADER + c + t + p + pl || pl > CK_JOURNAL_PAYLOAD_CAP ||
	    (flags & ~FLAG_KNOWN) != 0 || (flags >> FLAG_QOS_SHIFT) > 2 || get16(buf + 42) != 0 ||
	    (!(flags & FLAG_KEPT) && pl != 0))
		return -EBADMSG;
	if (len < length)
		return -EAGAIN;
	if (checksum(buf + 12, length - 12) != get32(buf + 8))
		return -EBADMSG;
	int64_t seq = (int64_t)get64(buf + 16);
	if (seq <= prev_seq || seq <= 0)
		return -EBADMSG;
	*out = (struct ck_journal_rec){
		.seq = seq,
		.received_ms = (int64_t)get64(buf + 24),
		.qos = (int)(flags >> FLAG_QOS_SHIFT),
		.retain = (flags & FLAG_RETAIN) != 0,
		.kept = (flags & FLAG_KEPT) != 0,
		.payload_size = get32(buf + 32),
		.client_id = (const char *)buf + CK_JOURNAL_REC_HEADER,
		.client_id_len = c,
		.thing = (const char *)buf + CK_JOURNAL_REC_HEADER + c,
		.thing_len = t,
		.topic = (const char *)buf + CK_JOURNAL_REC_HEADER + c + t,
		.topic_len = p,
		.payload = buf + CK_JOURNAL_REC_HEADER + c + t + p,
		.payload_len = pl,
		.length = padded(length),
	};
	return 0;
}

void ck_journal_seg_header_encode(uint8_t out[CK_JOURNAL_SEG_HEADER], int64_t first_seq,
                                  int64_t created_ms)
{
	memcpy(out, CK_JOURNAL_SEG_MAGIC, 8);
	put64(out + 8, (uint64_t)first_seq);
	put64(out + 16, (uint64_t)created_ms);
	put32(out + 24, checksum(out, 24));
	put32(out + 28, 0);
}

int ck_journal_seg_header_decode(const uint8_t *buf, size_t len, int64_t *first_seq)
{
	if (len < CK_JOURNAL_SEG_HEADER)
		return -EAGAIN;
	if (memcmp(buf, CK_JOURNAL_SEG_MAGIC, 8) != 0 || get32(buf + 24) != checksum(buf, 24) ||
	    get32(buf + 28) != 0 || (int64_t)get64(buf + 8) <= 0)
		return -EBADMSG;
	*first_seq = (int64_t)get64(buf + 8);
	return 0;
}

void ck_journal_seg_name(char out[CK_JOURNAL_SEG_NAME_LEN + 1], int64_t first_seq)
{
	snprintf(out, CK_JOURNAL_SEG_NAME_LEN + 1, "%020" PRId64 ".seg", first_seq);
}

int ck_journal_seg_parse_name(const char *name, int64_t *first_seq)
{
	int64_t v = 0;

	if (strlen(name) != CK_JOURNAL_SEG_NAME_LEN || strcmp(name + 20, ".seg") != 0)
		return -EINVAL;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (name[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (name[i] - '0');
	}
	if (v <= 0)
		return -EINVAL;
	*first_seq = v;
	return 0;
}
