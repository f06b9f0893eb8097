/*
 * Segment listing and the buffered record iterator (see segment.h).
 */
#include "journal/segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_first(const void *a, const void *b)
{
	const struct ck_journal_seg *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Calls fn for each segment name in dirfd (any order) until fn returns
 * non-zero, which is returned; 0 when all were seen, or a negative errno. */
static int each_segment(int dirfd, int (*fn)(int dirfd, const char *name, int64_t first, void *ctx),
                        void *ctx)
{
	int fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	rewinddir(d);
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		int64_t first;
		if (ck_journal_seg_parse_name(de->d_name, &first) == 0)
			rc = fn(dirfd, de->d_name, first, ctx);
	}
	closedir(d);
	return rc;
}

struct listing {
	struct ck_journal_seg *v;
	size_t len, cap;
};

static int add_listed(int dirfd, const char *name, int64_t first, void *ctx)
{
	struct listing *l = ctx;
	struct stat sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
		return 0; /* pruned meanwhile, or not a file */
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct ck_journal_seg *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->len++] = (struct ck_journal_seg){ .first = first, .size = (int64_t)sb.st_size };
	return 0;
}

int ck_journal_seg_list(int dirfd, struct ck_journal_seg **out, size_t *n)
{
	struct listing l = { 0 };
	int rc = each_segment(dirfd, add_listed, &l);

	*out = NULL;
	*n = 0;
	if (rc != 0) {
		free(l.v);
		return rc;
	}
	if (l.len > 1)
		qsort(l.v, l.len, sizeof(*l.v), by_first);
	*out = l.v;
	*n = l.len;
	return 0;
}

struct following {
	int64_t after, next;
};

static int note_following(int dirfd, const char *name, int64_t first, void *ctx)
{
	struct following *f = ctx;

	(void)dirfd;
	(void)name;
	if (first > f->after && (!f->next || first < f->next))
		f->next = first;
	return 0;
}

int ck_journal_seg_next(int dirfd, int64_t after, int64_t *next)
{
	struct following f = { .after = after };
	int rc = each_segment(dirfd, note_following, &f);

	*next = rc == 0 ? f.next : 0;
	return rc;
}

int ck_journal_iter_init(struct ck_journal_iter *it)
{
	memset(it, 0, sizeof(*it));
	it->fd = -1;
	it->buf = malloc(CK_JOURNAL_ITER_BUF);
	return it->buf ? 0 : -ENOMEM;
}

void ck_journal_iter_reset(struct ck_journal_iter *it, int fd, int64_t off, int64_t prev_seq)
{
	it->fd = fd;
	it->off = off;
	it->prev_seq = prev_seq;
	it->buf_off = 0;
	it->buf_len = 0;
}

/* Makes the bytes from it->off on available in the buffer, as many as the
 * file has up to the buffer's size, when fewer than want are there now.
 * Returns the count available from it->off, or a negative errno. */
static ssize_t fill(struct ck_journal_iter *it, size_t want)
{
	int64_t have_end = it->buf_off + (int64_t)it->buf_len;
	if (it->off >= it->buf_off && it->off + (int64_t)want <= have_end)
		return (ssize_t)(have_end - it->off);
	size_t got = 0;
	while (got < CK_JOURNAL_ITER_BUF) {
		ssize_t n = pread(it->fd, it->buf + got, CK_JOURNAL_ITER_BUF - got,
		                  (off_t)(it->off + (int64_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			it->buf_len = 0;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	it->buf_off = it->off;
	it->buf_len = got;
	return (ssize_t)got;
}

int ck_journal_iter_next(struct ck_journal_iter *it, struct ck_journal_rec *rec)
{
	ssize_t avail = fill(it, CK_JOURNAL_REC_HEADER);
	if (avail < 0)
		return (int)avail;
	const uint8_t *p = it->buf + (it->off - it->buf_off);
	int rc = ck_journal_record_decode(p, (size_t)avail, it->prev_seq, rec);
	if (rc == -EAGAIN && (size_t)avail >= CK_JOURNAL_REC_HEADER) {
		/* The header is here: fetch the whole record if the file has it. */
		size_t need =
		    ((size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 | (size_t)p[7] << 24) +
		    8;
		avail = fill(it, need < CK_JOURNAL_ITER_BUF ? need : CK_JOURNAL_ITER_BUF);
		if (avail < 0)
			return (int)avail;
		p = it->buf + (it->off - it->buf_off);
		rc = ck_journal_record_decode(p, (size_t)avail, it->prev_seq, rec);
	}
	if (rc != 0)
		return rc;
	it->off += (int64_t)rec->length;
	it->prev_seq = rec->seq;
	return 0;
}

int ck_journal_iter_resync(struct ck_journal_iter *it, struct ck_journal_rec *rec)
{
	int64_t start = it->off, prev = it->prev_seq;

	for (int64_t off = (start + 8) & ~(int64_t)7;; off += 8) {
		it->off = off;
		ssize_t avail = fill(it, 4);
		if (avail < 0) {
			it->off = start;
			return (int)avail;
		}
		if (avail < 4)
			break;
		if (memcmp(it->buf + (off - it->buf_off), CK_JOURNAL_REC_MAGIC, 4) != 0)
			continue;
		int rc = ck_journal_iter_next(it, rec);
		if (rc == 0) {
			it->off = off; /* not consumed */
			it->prev_seq = prev;
			return 0;
		}
		it->prev_seq = prev;
		if (rc != -EBADMSG && rc != -EAGAIN) {
			it->off = start;
			return rc;
		}
	}
	it->off = start;
	return -ENOENT;
}

void ck_journal_iter_cleanup(struct ck_journal_iter *it)
{
	free(it->buf);
	it->buf = NULL;
}
