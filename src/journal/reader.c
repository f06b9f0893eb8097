/*
 * The journal reader (see reader.h).
 */
#include "journal/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STRINGS_CAP (3 * (CK_JOURNAL_FIELD_MAX + 1))

int ck_journal_reader_open(struct ck_journal_reader *r, const char *dir)
{
	memset(r, 0, sizeof(*r));
	r->dirfd = -1;
	r->fd = -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	r->dir = strdup(dir);
	r->strings = malloc(STRINGS_CAP);
	if (!r->dir || !r->strings || ck_journal_iter_init(&r->it) != 0) {
		ck_journal_reader_close(r);
		return -ENOMEM;
	}
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		int e = errno;
		ck_journal_reader_close(r);
		return -e;
	}
	return 0;
}

void ck_journal_reader_close(struct ck_journal_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	ck_journal_iter_cleanup(&r->it);
	free(r->dir);
	free(r->strings);
	memset(r, 0, sizeof(*r));
	r->fd = r->dirfd = -1;
}

/* Opens segment first and checks its header; the fd, or a negative errno
 * (-EBADMSG for a bad header). */
static int open_checked(struct ck_journal_reader *r, int64_t first)
{
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	uint8_t h[CK_JOURNAL_SEG_HEADER];
	int64_t got = 0;

	ck_journal_seg_name(name, first);
	int fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (ck_journal_seg_header_decode(h, (size_t)n, &got) != 0 || got != first) {
		close(fd);
		return n < (ssize_t)sizeof(h) ? -EAGAIN : -EBADMSG;
	}
	return fd;
}

int ck_journal_reader_check(struct ck_journal_reader *r, char *why, size_t why_len)
{
	struct ck_journal_seg *segs = NULL;
	size_t n = 0;
	int rc = ck_journal_seg_list(r->dirfd, &segs, &n);

	if (rc != 0) {
		snprintf(why, why_len, "cannot list %s: %s", r->dir, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char name[CK_JOURNAL_SEG_NAME_LEN + 1];
		int fd = open_checked(r, segs[i].first);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (fd == -ENOENT || (fd == -EAGAIN && i + 1 == n))
			continue; /* pruned meanwhile; a segment being created */
		ck_journal_seg_name(name, segs[i].first);
		rc = fd == -EAGAIN ? -EBADMSG : fd;
		snprintf(why, why_len, "segment %s/%s %s", r->dir, name,
		         rc == -EBADMSG ? "has no valid header" : strerror(-rc));
	}
	free(segs);
	return rc;
}

static void use_segment(struct ck_journal_reader *r, int fd, int64_t first, int64_t prev_seq)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	r->seg_first = first;
	ck_journal_iter_reset(&r->it, fd, CK_JOURNAL_SEG_HEADER,
	                      prev_seq > first - 1 ? prev_seq : first - 1);
}

/* Positions the reader at the segment holding after + 1. Returns 1 when
 * positioned, 0 when the journal has no segment, or a negative errno. */
static int locate(struct ck_journal_reader *r, int64_t after)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct ck_journal_seg *segs = NULL;
		size_t n = 0;
		int rc = ck_journal_seg_list(r->dirfd, &segs, &n);
		if (rc != 0)
			return rc;
		if (n == 0) {
			free(segs);
			r->positioned = false;
			return 0;
		}
		size_t i = 0;
		while (i + 1 < n && segs[i + 1].first <= after + 1)
			i++;
		int64_t first = segs[i].first;
		free(segs);
		if (first > after + 1) {
			snprintf(r->warn, sizeof(r->warn),
			         "the journal %s begins at sequence %" PRId64
			         " but the cursor is at %" PRId64 "; sequences %" PRId64
			         " to %" PRId64 " are not in it",
			         r->dir, first, after, after + 1, first - 1);
			r->warned = true;
			r->lost += first - after - 1;
		}
		int fd = open_checked(r, first);
		if (fd == -ENOENT)
			continue; /* pruned between the listing and the open */
		if (fd < 0)
			return fd == -EAGAIN ? 0 : fd;
		use_segment(r, fd, first, 0);
		r->positioned = true;
		r->pos_seq = after;
		return 1;
	}
	return -ESTALE;
}

static void report_damage(struct ck_journal_reader *r, int64_t at, int64_t upto)
{
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	int64_t lost = upto - r->pos_seq - 1;

	ck_journal_seg_name(name, r->seg_first);
	if (lost > 0)
		snprintf(r->warn, sizeof(r->warn),
		         "journal segment %s/%s is damaged at byte %" PRId64 ": sequences %" PRId64
		         " to %" PRId64 " cannot be read and are skipped",
		         r->dir, name, at, r->pos_seq + 1, upto - 1);
	else
		snprintf(r->warn, sizeof(r->warn),
		         "journal segment %s/%s is damaged at byte %" PRId64
		         "; the bytes up to the next record are skipped",
		         r->dir, name, at);
	r->warned = true;
	r->lost += lost > 0 ? lost : 0;
}

static int deliver(struct ck_journal_reader *r, const struct ck_journal_rec *rec,
                   int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx)
{
	char *s = r->strings;
	char *client_id = s, *thing = s + rec->client_id_len + 1;
	char *topic = thing + rec->thing_len + 1;

	memcpy(client_id, rec->client_id, rec->client_id_len);
	client_id[rec->client_id_len] = '\0';
	memcpy(thing, rec->thing, rec->thing_len);
	thing[rec->thing_len] = '\0';
	memcpy(topic, rec->topic, rec->topic_len);
	topic[rec->topic_len] = '\0';
	struct ck_journal_row row = {
		.seq = rec->seq,
		.received_ms = rec->received_ms,
		.client_id = client_id,
		.thing = thing,
		.topic = topic,
		.qos = rec->qos,
		.retain = rec->retain,
		.payload =
		    rec->kept ? (rec->payload_len ? rec->payload : (const uint8_t *)"") : NULL,
		.payload_len = rec->kept ? rec->payload_len : 0,
		.payload_size = rec->payload_size,
	};
	r->pos_seq = rec->seq;
	return fn(&row, ctx);
}

/*
 * At a record that cannot be read (rc -EAGAIN or -EBADMSG): moves past
 * damage, or on to the next segment once this one is finished. Returns 1 to
 * read on, 0 to stop (the tail: more may come), or a negative errno.
 */
static int step_over(struct ck_journal_reader *r, int rc)
{
	struct ck_journal_rec rec;
	int64_t next = 0;
	int err = ck_journal_seg_next(r->dirfd, r->seg_first, &next);

	if (err != 0)
		return err;
	if (next) {
		/* A newer segment exists, so this one was finished before it was
		 * created: what the last attempt missed is here now. */
		int64_t off = r->it.off, prev = r->it.prev_seq;
		rc = ck_journal_iter_next(&r->it, &rec);
		if (rc == 0) {
			r->it.off = off; /* read it again in the loop */
			r->it.prev_seq = prev;
			return 1;
		}
	}
	if (rc == -EBADMSG) {
		int64_t at = r->it.off;
		int s = ck_journal_iter_resync(&r->it, &rec);
		if (s == 0) {
			report_damage(r, at, rec.seq);
			return 1;
		}
		if (s != -ENOENT)
			return s;
		if (!next) {
			/* A torn tail the writer will cut when it reopens, writing new
			 * records in its place: forget the bytes read so far. */
			r->it.buf_len = 0;
			return 0;
		}
		report_damage(r, at, next);
	} else if (rc == -EAGAIN) {
		if (!next)
			return 0;
		struct stat sb;
		if (fstat(r->fd, &sb) == 0 && sb.st_size > r->it.off)
			report_damage(r, r->it.off, next);
	} else {
		return rc;
	}
	int fd = open_checked(r, next);
	if (fd < 0)
		return fd == -EAGAIN ? 0 : fd;
	use_segment(r, fd, next, r->pos_seq);
	return 1;
}

int ck_journal_reader_read(struct ck_journal_reader *r, int64_t after, int max,
                           int (*fn)(const struct ck_journal_row *row, void *ctx), void *ctx)
{
	struct ck_journal_rec rec;
	int n = 0;

	r->warned = false;
	if (!r->positioned || r->pos_seq != after) {
		int rc = locate(r, after);
		if (rc <= 0)
			return rc;
	}
	while (n < max) {
		int rc = ck_journal_iter_next(&r->it, &rec);
		if (rc == 0) {
			if (rec.seq <= after)
				continue;
			n++;
			int stop = deliver(r, &rec, fn, ctx);
			if (stop != 0) {
				r->positioned = false; /* the caller's cursor did not move */
				return stop;
			}
			continue;
		}
		rc = step_over(r, rc);
		if (rc < 0) {
			r->positioned = false;
			return rc;
		}
		if (rc == 0)
			break;
	}
	return n;
}
