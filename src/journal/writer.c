/*
 * The journal writer (see writer.h). Open checks every segment header and
 * scans only the newest segment, the one a crash can leave torn; older
 * segments were finished before a newer one was created.
 */
#include "journal/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void ck_journal_writer_init(struct ck_journal_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->dirfd = -1;
	w->fd = -1;
}

/* Sets w->err to the formatted text, with strerror(e) appended when e is
 * not 0, and returns rc. */
__attribute__((format(printf, 4, 5))) static int fail(struct ck_journal_writer *w, int rc, int e,
                                                      const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e)
		snprintf(w->err, sizeof(w->err), "%s: %s", what, strerror(e));
	else
		snprintf(w->err, sizeof(w->err), "%s", what);
	return rc;
}

void ck_journal_writer_close(struct ck_journal_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd); /* drops the flock */
	free(w->dir);
	free(w->segs);
	free(w->buf);
	char err[sizeof(w->err)];
	memcpy(err, w->err, sizeof(err));
	ck_journal_writer_init(w);
	memcpy(w->err, err, sizeof(err));
}

static int64_t seg_max_for(int64_t max_bytes)
{
	int64_t v = max_bytes / 8;
	return v > CK_JOURNAL_SEG_MAX   ? CK_JOURNAL_SEG_MAX
	       : v < CK_JOURNAL_SEG_MIN ? CK_JOURNAL_SEG_MIN
	                                : v;
}

static int open_seg(struct ck_journal_writer *w, int64_t first, int flags)
{
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];

	ck_journal_seg_name(name, first);
	return openat(w->dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* Checks the header of segment s; fd stays open in *fdp when wanted. */
static int check_header(struct ck_journal_writer *w, const struct ck_journal_seg *s, int *fdp)
{
	uint8_t h[CK_JOURNAL_SEG_HEADER];
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	int64_t first = 0;

	ck_journal_seg_name(name, s->first);
	int fd = open_seg(w, s->first, fdp ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fail(w, -errno, errno, "open segment %s", name);
	ssize_t n = pread(fd, h, sizeof(h), 0);
	int rc = 0;
	if (n < 0)
		rc = fail(w, -errno, errno, "read segment %s", name);
	else if (ck_journal_seg_header_decode(h, (size_t)n, &first) != 0 || first != s->first)
		rc = fail(w, -EBADMSG, 0, "segment %s has no valid header", name);
	if (rc == 0 && fdp)
		*fdp = fd;
	else
		close(fd);
	return rc;
}

/*
 * Scans the newest segment (open on w->fd), cutting a torn tail. Sets
 * w->last_seq to its newest record, or to its name - 1 when it has none.
 */
static int recover_tail(struct ck_journal_writer *w, struct ck_journal_seg *s,
                        struct ck_journal_open_info *info)
{
	struct ck_journal_iter it;
	struct ck_journal_rec rec;
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	int rc;

	ck_journal_seg_name(name, s->first);
	if (ck_journal_iter_init(&it) != 0)
		return fail(w, -ENOMEM, 0, "scan %s: out of memory", name);
	ck_journal_iter_reset(&it, w->fd, CK_JOURNAL_SEG_HEADER, s->first - 1);
	w->last_seq = s->first - 1;
	while ((rc = ck_journal_iter_next(&it, &rec)) == 0)
		w->last_seq = rec.seq;
	if (rc == -EBADMSG) {
		int64_t bad = it.off;
		rc = ck_journal_iter_resync(&it, &rec);
		if (rc == 0) {
			ck_journal_iter_cleanup(&it);
			return fail(w, -EBADMSG, 0,
			            "segment %s is damaged at byte %" PRId64
			            " and valid records follow (sequence %" PRId64
			            "): not a torn tail",
			            name, bad, rec.seq);
		}
		it.off = bad;
	}
	if (rc != -EAGAIN && rc != -ENOENT) {
		ck_journal_iter_cleanup(&it);
		return fail(w, rc, -rc, "scan segment %s", name);
	}
	int64_t end = it.off;
	ck_journal_iter_cleanup(&it);
	if (end < s->size) {
		if (ftruncate(w->fd, (off_t)end) != 0 ||
		    (w->cfg.sync_full && fdatasync(w->fd) != 0))
			return fail(w, -errno, errno, "cut the torn tail of segment %s", name);
		info->torn_bytes = s->size - end;
		info->torn_at = end;
		info->torn_seg = s->first;
		s->size = end;
	}
	return 0;
}

static int lock_dir(struct ck_journal_writer *w, const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(w, -errno, errno, "create %s", dir);
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return fail(w, -errno, errno, "open %s", dir);
	if (flock(w->dirfd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			return fail(w, -EWOULDBLOCK, 0, "%s is locked by another writer", dir);
		return fail(w, -e, e, "lock %s", dir);
	}
	return 0;
}

int ck_journal_writer_open(struct ck_journal_writer *w, const char *dir,
                           const struct ck_journal_writer_config *cfg, int64_t acked_seq,
                           struct ck_journal_open_info *info)
{
	struct ck_journal_open_info local;
	int rc;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	ck_journal_writer_close(w);
	w->err[0] = '\0';
	w->cfg = *cfg;
	w->seg_max = seg_max_for(cfg->max_bytes);
	w->dir = strdup(dir);
	w->buf_cap = CK_JOURNAL_RECORD_MAX;
	w->buf = malloc(w->buf_cap);
	if (!w->dir || !w->buf) {
		rc = fail(w, -ENOMEM, 0, "open %s: out of memory", dir);
		goto out;
	}
	if ((rc = lock_dir(w, dir)) != 0)
		goto out;
	if ((rc = ck_journal_seg_list(w->dirfd, &w->segs, &w->n_segs)) != 0) {
		rc = fail(w, rc, -rc, "list %s", dir);
		goto out;
	}
	w->cap_segs = w->n_segs;
	/* A newest segment without a whole header: its creation was cut short. */
	if (w->n_segs > 0 && w->segs[w->n_segs - 1].size < CK_JOURNAL_SEG_HEADER) {
		char name[CK_JOURNAL_SEG_NAME_LEN + 1];
		ck_journal_seg_name(name, w->segs[w->n_segs - 1].first);
		if (unlinkat(w->dirfd, name, 0) != 0) {
			rc = fail(w, -errno, errno, "remove the incomplete segment %s", name);
			goto out;
		}
		w->n_segs--;
		info->removed_empty = true;
	}
	for (size_t i = 0; i < w->n_segs; i++) {
		bool newest = i + 1 == w->n_segs;
		if ((rc = check_header(w, &w->segs[i], newest ? &w->fd : NULL)) != 0)
			goto out;
	}
	if (w->n_segs > 0) {
		struct ck_journal_seg *s = &w->segs[w->n_segs - 1];
		if ((rc = recover_tail(w, s, info)) != 0)
			goto out;
		info->newest_seq = w->last_seq >= s->first ? w->last_seq : 0;
	}
	for (size_t i = 0; i < w->n_segs; i++)
		w->total_bytes += w->segs[i].size;
	if (acked_seq > w->last_seq) {
		/* The journal lost its tail or was replaced: numbers at or below
		 * the reader's cursor would never be read. A new segment keeps
		 * every segment's name equal to its first sequence. */
		info->renumbered = true;
		w->last_seq = acked_seq;
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
	}
	return 0;
out:
	ck_journal_writer_close(w);
	return rc;
}

/* Starts the segment for sequence first; the previous one is finished. */
static int new_segment(struct ck_journal_writer *w, int64_t first, int64_t now_ms)
{
	char name[CK_JOURNAL_SEG_NAME_LEN + 1];
	uint8_t h[CK_JOURNAL_SEG_HEADER];

	ck_journal_seg_name(name, first);
	if (w->n_segs == w->cap_segs) {
		size_t ncap = w->cap_segs ? w->cap_segs * 2 : 16;
		struct ck_journal_seg *v = realloc(w->segs, ncap * sizeof(*v));
		if (!v)
			return fail(w, -ENOMEM, 0, "new segment %s: out of memory", name);
		w->segs = v;
		w->cap_segs = ncap;
	}
	int fd = open_seg(w, first, O_RDWR | O_CREAT | O_EXCL);
	if (fd < 0)
		return fail(w, -errno, errno, "create segment %s", name);
	ck_journal_seg_header_encode(h, first, now_ms);
	ssize_t n = pwrite(fd, h, sizeof(h), 0);
	int e = n == (ssize_t)sizeof(h) ? 0 : n < 0 ? errno : ENOSPC;
	if (e == 0 && w->cfg.sync_full && (fdatasync(fd) != 0 || fsync(w->dirfd) != 0))
		e = errno;
	if (e != 0) {
		close(fd);
		unlinkat(w->dirfd, name, 0);
		return fail(w, -e, e, "create segment %s", name);
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->segs[w->n_segs++] =
	    (struct ck_journal_seg){ .first = first, .size = CK_JOURNAL_SEG_HEADER };
	w->total_bytes += CK_JOURNAL_SEG_HEADER;
	return 0;
}

/* Writes all of buf at off, or fails with the errno that stopped it. */
static int write_all(int fd, const uint8_t *buf, size_t len, int64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + (int64_t)done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		done += (size_t)n;
	}
	return 0;
}

int ck_journal_writer_append(struct ck_journal_writer *w, const struct ck_journal_row *row,
                             int64_t now_ms, int64_t *seq)
{
	if (w->dirfd < 0 || w->broken)
		return fail(w, -EBADF, 0, "%s",
		            w->broken ? "the journal needs reopening after a failed write"
		                      : "the journal is not open");
	struct ck_journal_row r = *row;
	r.seq = w->last_seq + 1;
	int len = ck_journal_record_encode(&r, w->buf, w->buf_cap);
	if (len < 0)
		return fail(w, len, 0, "%s", "the message cannot be a journal record");
	bool roll = w->fd < 0 || (w->segs[w->n_segs - 1].size > CK_JOURNAL_SEG_HEADER &&
	                          w->segs[w->n_segs - 1].size + len > w->seg_max);
	int64_t need = len + (roll ? CK_JOURNAL_SEG_HEADER : 0);
	if (w->total_bytes + need > w->cfg.max_bytes) {
		snprintf(w->err, sizeof(w->err),
		         "%" PRId64 " bytes in the journal, max_bytes %" PRId64, w->total_bytes,
		         w->cfg.max_bytes);
		return -EFBIG;
	}
	int rc;
	if (roll && (rc = new_segment(w, r.seq, now_ms)) != 0)
		return rc;
	struct ck_journal_seg *s = &w->segs[w->n_segs - 1];
	rc = write_all(w->fd, w->buf, (size_t)len, s->size);
	if (rc == 0 && w->cfg.sync_full && fdatasync(w->fd) != 0)
		rc = -errno;
	if (rc != 0) {
		int e = -rc;
		if (ftruncate(w->fd, (off_t)s->size) != 0)
			w->broken = true;
		return fail(w, rc, e, "append to %s", w->dir);
	}
	s->size += len;
	w->total_bytes += len;
	w->last_seq = r.seq;
	if (seq)
		*seq = r.seq;
	return 0;
}

int ck_journal_writer_prune(struct ck_journal_writer *w, int64_t acked_seq, int64_t cutoff_ms,
                            int64_t *sequences)
{
	int removed = 0;

	*sequences = 0;
	while (w->n_segs >= 2 && removed < CK_JOURNAL_PRUNE_MAX) {
		struct ck_journal_seg *s = &w->segs[0];
		int64_t last = w->segs[1].first - 1;
		char name[CK_JOURNAL_SEG_NAME_LEN + 1];
		struct stat sb;
		if (last > acked_seq)
			break;
		ck_journal_seg_name(name, s->first);
		bool pressure = w->total_bytes * 100 >= w->cfg.max_bytes * CK_JOURNAL_PRESSURE_PCT;
		if (!pressure) {
			if (fstatat(w->dirfd, name, &sb, 0) != 0)
				return fail(w, -errno, errno, "stat segment %s", name);
			int64_t mtime_ms =
			    (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
			if (mtime_ms >= cutoff_ms)
				break;
		}
		if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT)
			return fail(w, -errno, errno, "remove segment %s", name);
		*sequences += last - s->first + 1;
		w->total_bytes -= s->size;
		memmove(&w->segs[0], &w->segs[1], (w->n_segs - 1) * sizeof(w->segs[0]));
		w->n_segs--;
		removed++;
	}
	return 0;
}

int ck_journal_writer_sync(struct ck_journal_writer *w)
{
	if (w->dirfd < 0)
		return fail(w, -EBADF, 0, "%s", "the journal is not open");
	if ((w->fd >= 0 && fdatasync(w->fd) != 0) || fsync(w->dirfd) != 0)
		return fail(w, -errno, errno, "sync %s", w->dir);
	return 0;
}
