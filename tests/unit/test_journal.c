/*
 * The journal (src/journal/) on real files in a temporary directory: the
 * record codec, segments rolling and pruning, the lock, torn tails cut at
 * open, damage refused by the writer and skipped (and reported) by the
 * reader, numbering after the acknowledged sequence, and a reader that
 * waits at a record still being written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_test.h"
#include "journal/reader.h"
#include "journal/record.h"
#include "journal/writer.h"

static char root[] = "/tmp/ck-journal-XXXXXX";

struct seen {
	int n;
	int64_t seqs[4096];
	char last_payload[256];
	bool last_kept;
	int64_t last_size;
};

static int collect(const struct ck_journal_row *row, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 4096)
		s->seqs[s->n] = row->seq;
	s->n++;
	s->last_kept = row->payload != NULL;
	s->last_size = row->payload_size;
	snprintf(s->last_payload, sizeof(s->last_payload), "%.*s", (int)row->payload_len,
	         row->payload ? (const char *)row->payload : "");
	return 0;
}

static struct ck_journal_row press(const char *payload)
{
	return (struct ck_journal_row){
		.received_ms = 1700000000000,
		.client_id = "dock-1",
		.thing = "dock-1",
		.topic = "iotbutton/dock-1",
		.qos = 1,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.payload_size = (int64_t)strlen(payload),
	};
}

static void fresh_dir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", root, name);
}

static int64_t file_size(const char *dir, int64_t first)
{
	char path[512], name[CK_JOURNAL_SEG_NAME_LEN + 1];
	struct stat sb;
	ck_journal_seg_name(name, first);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static void test_codec(void)
{
	uint8_t buf[1024];
	struct ck_journal_row row = press("{\"clickType\":\"SINGLE\"}");
	struct ck_journal_rec rec;

	row.seq = 7;
	row.retain = true;
	int len = ck_journal_record_encode(&row, buf, sizeof(buf));
	CK_CHECK_INT(len % 8, ==, 0);
	CK_CHECK_INT(ck_journal_record_decode(buf, (size_t)len, 6, &rec), ==, 0);
	CK_CHECK_INT(rec.seq, ==, 7);
	CK_CHECK(rec.retain && rec.kept && rec.qos == 1);
	CK_CHECK_INT((int64_t)rec.length, ==, len);
	CK_CHECK(rec.topic_len == 16 && memcmp(rec.topic, "iotbutton/dock-1", 16) == 0);
	/* Its sequence must be above the previous one. */
	CK_CHECK_INT(ck_journal_record_decode(buf, (size_t)len, 7, &rec), ==, -EBADMSG);
	/* Any prefix is incomplete, never valid. */
	for (int cut = 0; cut < len - 7; cut++)
		CK_CHECK_INT(ck_journal_record_decode(buf, (size_t)cut, 0, &rec), ==, -EAGAIN);
	/* Any single flipped bit of the record (not of its padding) is caught. */
	int unpadded = CK_JOURNAL_REC_HEADER + 6 + 6 + 16 + 22, missed = 0;
	CK_CHECK_INT(len, ==, (unpadded + 7) / 8 * 8);
	for (int i = 0; i < unpadded; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1 << bit);
			missed += ck_journal_record_decode(buf, (size_t)len, 0, &rec) == 0;
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	CK_CHECK_INT(missed, ==, 0);
	/* A payload that is not kept, and an empty one that is. */
	row.payload = NULL;
	row.payload_len = 0;
	row.payload_size = 100000;
	len = ck_journal_record_encode(&row, buf, sizeof(buf));
	CK_CHECK_INT(ck_journal_record_decode(buf, (size_t)len, 0, &rec), ==, 0);
	CK_CHECK(!rec.kept && rec.payload_size == 100000 && rec.payload_len == 0);
	row.payload = (const uint8_t *)"";
	row.payload_size = 0;
	len = ck_journal_record_encode(&row, buf, sizeof(buf));
	CK_CHECK_INT(ck_journal_record_decode(buf, (size_t)len, 0, &rec), ==, 0);
	CK_CHECK(rec.kept && rec.payload_len == 0);
	/* Too small a buffer, a bad QoS. */
	CK_CHECK_INT(ck_journal_record_encode(&row, buf, 40), ==, -ENOSPC);
	row.qos = 3;
	CK_CHECK_INT(ck_journal_record_encode(&row, buf, sizeof(buf)), ==, -EINVAL);

	uint8_t h[CK_JOURNAL_SEG_HEADER];
	int64_t first = 0;
	ck_journal_seg_header_encode(h, 4097, 1);
	CK_CHECK_INT(ck_journal_seg_header_decode(h, sizeof(h), &first), ==, 0);
	CK_CHECK_INT(first, ==, 4097);
	h[3] ^= 1;
	CK_CHECK_INT(ck_journal_seg_header_decode(h, sizeof(h), &first), ==, -EBADMSG);
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	ck_journal_seg_name(name, 4097);
	CK_CHECK_STR(name, "00000000000000004097.seg");
	CK_CHECK_INT(ck_journal_seg_parse_name(name, &first), ==, 0);
	CK_CHECK_INT(first, ==, 4097);
	CK_CHECK_INT(ck_journal_seg_parse_name("00000000000000004097.se", &first), ==, -EINVAL);
	CK_CHECK_INT(ck_journal_seg_parse_name("0000000000000000409x.seg", &first), ==, -EINVAL);
	CK_CHECK_INT(ck_journal_seg_parse_name("00000000000000000000.seg", &first), ==, -EINVAL);
}

/* Segments roll at max_bytes / 8; the reader follows them; full, prune. */
static void test_segments_and_prune(void)
{
	char dir[256];
	struct ck_journal_writer w, other;
	struct ck_journal_writer_config wc = { .max_bytes = 64 * 1024 }; /* 8 KiB segments */
	struct ck_journal_reader r;
	struct seen got = { 0 };
	char payload[200];
	int64_t seq = 0, pruned = 0;

	fresh_dir(dir, sizeof(dir), "segments");
	ck_journal_writer_init(&w);
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 0, NULL), ==, 0);
	/* A second writer finds the lock held. */
	ck_journal_writer_init(&other);
	CK_CHECK_INT(ck_journal_writer_open(&other, dir, &wc, 0, NULL), ==, -EWOULDBLOCK);
	CK_CHECK(strstr(other.err, "locked") != NULL);
	memset(payload, 'x', sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = '\0';
	struct ck_journal_row row = press(payload);
	int rc = 0, n = 0;
	while ((rc = ck_journal_writer_append(&w, &row, 1, &seq)) == 0)
		n++;
	CK_CHECK_INT(rc, ==, -EFBIG); /* journal full, never past max_bytes */
	CK_CHECK_INT(seq, ==, n);
	CK_CHECK(w.total_bytes <= wc.max_bytes);
	CK_CHECK_INT((int64_t)w.n_segs, >=, 7);
	CK_CHECK_INT(ck_journal_reader_open(&r, dir), ==, 0);
	/* Batches continue where the last one ended, across segments. */
	int64_t cursor = 0;
	for (;;) {
		int k = ck_journal_reader_read(&r, cursor, 17, collect, &got);
		CK_CHECK(k >= 0);
		if (k <= 0)
			break;
		cursor = got.seqs[got.n - 1];
	}
	CK_CHECK_INT(got.n, ==, n);
	for (int i = 0; i < got.n && i < 4096; i++)
		CK_CHECK_INT(got.seqs[i], ==, i + 1);
	/* Any cursor is found again (a restart, a rolled-back batch). */
	got.n = 0;
	CK_CHECK_INT(ck_journal_reader_read(&r, 100, 5, collect, &got), ==, 5);
	CK_CHECK_INT(got.seqs[0], ==, 101);
	got.n = 0;
	CK_CHECK_INT(ck_journal_reader_read(&r, 3, 2, collect, &got), ==, 2);
	CK_CHECK_INT(got.seqs[0], ==, 4);
	/* Nothing unacknowledged is pruned; within retention nothing is. */
	size_t segs = w.n_segs;
	int64_t second = w.segs[1].first;
	CK_CHECK_INT(ck_journal_writer_prune(&w, 0, INT64_MAX, &pruned), ==, 0);
	CK_CHECK_INT((int64_t)w.n_segs, ==, (int64_t)segs);
	CK_CHECK_INT(ck_journal_writer_prune(&w, second - 2, INT64_MAX, &pruned), ==, 0);
	CK_CHECK_INT((int64_t)w.n_segs, ==, (int64_t)segs);
	/* Acknowledged up to the end of the first segment: it goes (the journal
	 * is over 90% full, so retention does not hold it). */
	CK_CHECK_INT(ck_journal_writer_prune(&w, second - 1, 0, &pruned), ==, 0);
	CK_CHECK_INT((int64_t)w.n_segs, ==, (int64_t)segs - 1);
	CK_CHECK_INT(pruned, ==, second - 1);
	CK_CHECK_INT(file_size(dir, 1), ==, -1);
	CK_CHECK_INT(ck_journal_writer_append(&w, &row, 1, &seq), ==, 0);
	CK_CHECK_INT(seq, ==, n + 1);
	/* Everything acknowledged, below the pressure mark, all older than the
	 * cutoff: all but the newest segment go, CK_JOURNAL_PRUNE_MAX per call. */
	int64_t before_newest = w.segs[w.n_segs - 1].first;
	size_t left = w.n_segs;
	CK_CHECK_INT(ck_journal_writer_prune(&w, seq, INT64_MAX, &pruned), ==, 0);
	CK_CHECK_INT((int64_t)w.n_segs, ==, (int64_t)left - CK_JOURNAL_PRUNE_MAX);
	for (int i = 0; i < 10; i++)
		CK_CHECK_INT(ck_journal_writer_prune(&w, seq, INT64_MAX, &pruned), ==, 0);
	CK_CHECK_INT((int64_t)w.n_segs, ==, 1);
	CK_CHECK_INT(w.segs[0].first, ==, before_newest);
	CK_CHECK_INT(w.total_bytes, ==, file_size(dir, before_newest));
	/* The reader whose segment was removed finds its way. */
	got.n = 0;
	CK_CHECK_INT(ck_journal_reader_read(&r, seq - 1, 10, collect, &got), ==, 1);
	CK_CHECK_INT(got.seqs[0], ==, seq);
	ck_journal_reader_close(&r);
	ck_journal_writer_close(&w);
	/* The lock went with the writer. */
	CK_CHECK_INT(ck_journal_writer_open(&other, dir, &wc, 0, NULL), ==, 0);
	CK_CHECK_INT(other.last_seq, ==, seq);
	ck_journal_writer_close(&other);
}

static void append_n(struct ck_journal_writer *w, int n, const char *payload)
{
	struct ck_journal_row row = press(payload);
	for (int i = 0; i < n; i++)
		CK_CHECK_INT(ck_journal_writer_append(w, &row, 1, NULL), ==, 0);
}

/* A new journal in root/name holding n presses in its first segment;
 * returns that segment's size. */
static int64_t filled(char *dir, size_t len, const char *name, int n)
{
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .max_bytes = 1 << 20 };

	fresh_dir(dir, len, name);
	ck_journal_writer_init(&w);
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 0, NULL), ==, 0);
	append_n(&w, n, "{\"clickType\":\"SINGLE\"}");
	int64_t size = w.n_segs ? w.segs[0].size : 0;
	ck_journal_writer_close(&w);
	return size;
}

/* A torn tail is cut at open; numbering continues after the acknowledged
 * sequence when the tail held acknowledged records. */
static void test_torn_tail(void)
{
	char dir[256], path[512];
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .max_bytes = 1 << 20 };
	struct ck_journal_open_info info;
	struct ck_journal_reader r;
	struct seen got = { 0 };

	int64_t size = filled(dir, sizeof(dir), "torn", 5);
	int64_t rec_len = (size - CK_JOURNAL_SEG_HEADER) / 5;
	ck_journal_writer_init(&w);
	snprintf(path, sizeof(path), "%s/00000000000000000001.seg", dir);
	/* Half of the last record and some garbage. */
	CK_CHECK_INT(truncate(path, size - rec_len / 2), ==, 0);
	int fd = open(path, O_WRONLY | O_APPEND);
	CK_CHECK_INT((int)write(fd, "\x13garbage\x77", 9), ==, 9);
	close(fd);
	/* The reader waits at the torn record: it may be a write in progress. */
	CK_CHECK_INT(ck_journal_reader_open(&r, dir), ==, 0);
	CK_CHECK_INT(ck_journal_reader_read(&r, 0, 100, collect, &got), ==, 4);
	CK_CHECK_INT(ck_journal_reader_read(&r, 4, 100, collect, &got), ==, 0);
	CK_CHECK(!r.warned);
	/* clickd had acknowledged 5: the new record is 6, in segment 6. */
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 5, &info), ==, 0);
	CK_CHECK_INT(info.torn_bytes, ==, rec_len - rec_len / 2 + 9);
	CK_CHECK_INT(info.torn_at, ==, size - rec_len);
	CK_CHECK_INT(info.newest_seq, ==, 4);
	CK_CHECK(info.renumbered);
	CK_CHECK_INT(file_size(dir, 1), ==, size - rec_len);
	append_n(&w, 1, "{\"clickType\":\"DOUBLE\"}");
	CK_CHECK_INT(w.last_seq, ==, 6);
	CK_CHECK_INT(file_size(dir, 6), >, CK_JOURNAL_SEG_HEADER);
	ck_journal_writer_close(&w);
	got.n = 0;
	CK_CHECK_INT(ck_journal_reader_read(&r, 4, 100, collect, &got), ==, 1);
	CK_CHECK_INT(got.seqs[0], ==, 6);
	CK_CHECK_STR(got.last_payload, "{\"clickType\":\"DOUBLE\"}");
	/* Reopening without a torn tail changes nothing. */
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 6, &info), ==, 0);
	CK_CHECK_INT(info.torn_bytes, ==, 0);
	CK_CHECK(!info.renumbered);
	CK_CHECK_INT(w.last_seq, ==, 6);
	ck_journal_writer_close(&w);
	/* A newest segment cut short while being created is removed. */
	snprintf(path, sizeof(path), "%s/00000000000000000007.seg", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CK_CHECK_INT((int)write(fd, "CKJSEG1\n", 8), ==, 8);
	close(fd);
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 6, &info), ==, 0);
	CK_CHECK(info.removed_empty);
	CK_CHECK_INT(file_size(dir, 7), ==, -1);
	append_n(&w, 1, "{}");
	CK_CHECK_INT(file_size(dir, 6), >, 0); /* appended to segment 6 */
	CK_CHECK_INT(w.last_seq, ==, 7);
	ck_journal_writer_close(&w);
	ck_journal_reader_close(&r);
}

/* Damage that is not a torn tail: the writer refuses and changes nothing;
 * the reader skips it and says which sequences were lost. */
static void test_damage(void)
{
	char dir[256], path[512], why[400];
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .max_bytes = 64 * 1024 };
	struct ck_journal_reader r;
	struct seen got = { 0 };

	int64_t size = filled(dir, sizeof(dir), "damage", 10);
	int64_t rec_len = (size - CK_JOURNAL_SEG_HEADER) / 10;
	ck_journal_writer_init(&w);
	/* Record 4's payload flipped: records 5..10 follow intact. */
	snprintf(path, sizeof(path), "%s/00000000000000000001.seg", dir);
	int fd = open(path, O_RDWR);
	CK_CHECK_INT((int)pwrite(fd, "X", 1, CK_JOURNAL_SEG_HEADER + 3 * rec_len + 60), ==, 1);
	close(fd);
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 0, NULL), ==, -EBADMSG);
	CK_CHECK(strstr(w.err, "valid records follow") != NULL);
	CK_CHECK_INT(file_size(dir, 1), ==, size); /* nothing cut */
	CK_CHECK_INT(ck_journal_reader_open(&r, dir), ==, 0);
	CK_CHECK_INT(ck_journal_reader_read(&r, 0, 100, collect, &got), ==, 9);
	CK_CHECK(r.warned && strstr(r.warn, "sequences 4 to 4") != NULL);
	CK_CHECK_INT(r.lost, ==, 1);
	CK_CHECK_INT(got.seqs[3], ==, 5);
	/* A bad segment header: both refuse. */
	fd = open(path, O_RDWR);
	CK_CHECK_INT((int)pwrite(fd, "this is not a journal", 20, 0), ==, 20);
	close(fd);
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 0, NULL), ==, -EBADMSG);
	CK_CHECK(strstr(w.err, "no valid header") != NULL);
	CK_CHECK_INT(ck_journal_reader_check(&r, why, sizeof(why)), ==, -EBADMSG);
	CK_CHECK(strstr(why, "00000000000000000001.seg has no valid header") != NULL);
	ck_journal_reader_close(&r);
}

/* A record being written: the reader returns it only once it is whole. */
static void test_reader_waits_for_whole_records(void)
{
	char dir[256], path[512];
	uint8_t buf[512], h[CK_JOURNAL_SEG_HEADER];
	struct ck_journal_reader r;
	struct seen got = { 0 };
	struct ck_journal_row row = press("{\"clickType\":\"LONG\"}");

	fresh_dir(dir, sizeof(dir), "partial");
	CK_CHECK_INT(ck_journal_reader_open(&r, dir), ==, 0);
	CK_CHECK_INT(ck_journal_reader_read(&r, 0, 10, collect, &got), ==, 0); /* empty */
	snprintf(path, sizeof(path), "%s/00000000000000000001.seg", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_journal_seg_header_encode(h, 1, 1);
	CK_CHECK_INT((int)pwrite(fd, h, sizeof(h), 0), ==, (int)sizeof(h));
	row.seq = 1;
	int len = ck_journal_record_encode(&row, buf, sizeof(buf));
	int64_t off = CK_JOURNAL_SEG_HEADER;
	for (int part = 1; part < len; part += 13) {
		CK_CHECK_INT((int)pwrite(fd, buf, (size_t)part, off), ==, part);
		CK_CHECK_INT(ck_journal_reader_read(&r, 0, 10, collect, &got), ==, 0);
	}
	CK_CHECK_INT((int)pwrite(fd, buf, (size_t)len, off), ==, len);
	CK_CHECK_INT(ck_journal_reader_read(&r, 0, 10, collect, &got), ==, 1);
	CK_CHECK_STR(got.last_payload, "{\"clickType\":\"LONG\"}");
	CK_CHECK(got.last_kept && got.last_size == 20);
	close(fd);
	ck_journal_reader_close(&r);
}

/* A reader waiting at a torn tail reads what the writer appends in its
 * place after cutting it (the bytes it had buffered are gone). */
static void test_reader_after_tail_cut(void)
{
	char dir[256], path[512];
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .max_bytes = 1 << 20 };
	struct ck_journal_open_info info;
	struct ck_journal_reader r;
	struct seen got = { 0 };

	int64_t size = filled(dir, sizeof(dir), "recut", 3);
	ck_journal_writer_init(&w);
	snprintf(path, sizeof(path), "%s/00000000000000000001.seg", dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	static const char junk[200] = "CKR1 not a record, the end of a write cut short";
	CK_CHECK_INT((int)write(fd, junk, sizeof(junk)), ==, (int)sizeof(junk));
	close(fd);
	CK_CHECK_INT(ck_journal_reader_open(&r, dir), ==, 0);
	CK_CHECK_INT(ck_journal_reader_read(&r, 0, 100, collect, &got), ==, 3);
	CK_CHECK_INT(ck_journal_reader_read(&r, 3, 100, collect, &got), ==, 0);
	/* clickd acknowledged 3: no renumbering, record 4 takes the torn
	 * bytes' place in the same segment. */
	CK_CHECK_INT(ck_journal_writer_open(&w, dir, &wc, 3, &info), ==, 0);
	CK_CHECK_INT(info.torn_bytes, ==, (int64_t)sizeof(junk));
	CK_CHECK(!info.renumbered);
	append_n(&w, 1, "{\"clickType\":\"LONG\"}");
	CK_CHECK_INT(file_size(dir, 1), >, size);
	CK_CHECK_INT(ck_journal_reader_read(&r, 3, 100, collect, &got), ==, 1);
	CK_CHECK_INT(got.seqs[3], ==, 4);
	CK_CHECK_STR(got.last_payload, "{\"clickType\":\"LONG\"}");
	CK_CHECK(!r.warned);
	ck_journal_writer_close(&w);
	ck_journal_reader_close(&r);
}

int main(void)
{
	if (!mkdtemp(root))
		return 1;
	test_codec();
	test_segments_and_prune();
	test_torn_tail();
	test_damage();
	test_reader_waits_for_whole_records();
	test_reader_after_tail_cut();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		return 1;
	return ck_test_main("journal");
}
