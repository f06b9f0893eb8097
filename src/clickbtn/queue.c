/*
 * The on-disk offline queue (see queue.h). The directory listing is the
 * index: the head is the smallest name, found with one scan, which costs
 * little next to a network round trip and keeps nothing in memory that a
 * crash could make disagree with the disk.
 */
#include "clickbtn/queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_DIGITS 20
#define SUFFIX      ".json"

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return rc;
}

/* "00000000000000000042.json" -> 42; -1 when the name is not an entry. */
static int64_t name_seq(const char *name)
{
	int64_t v = 0;
	for (int i = 0; i < NAME_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return strcmp(name + NAME_DIGITS, SUFFIX) == 0 ? v : -1;
}

static void entry_name(int64_t seq, char *out, size_t cap)
{
	snprintf(out, cap, "%020lld" SUFFIX, (long long)seq);
}

int ck_click_queue_open(struct ck_click_queue *q, int dirfd, const char *dir, char *why,
                        size_t why_len)
{
	memset(q, 0, sizeof(*q));
	q->dirfd = -1;
	snprintf(q->path, sizeof(q->path), "%s/" CK_CLICK_QUEUE_DIR, dir);
	if (mkdirat(dirfd, CK_CLICK_QUEUE_DIR, 0700) != 0 && errno != EEXIST)
		return fail(-errno, why, why_len, "%s: %s", q->path, strerror(errno));
	q->dirfd = openat(dirfd, CK_CLICK_QUEUE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0)
		return fail(-errno, why, why_len, "%s: %s", q->path, strerror(errno));
	int fd = dup(q->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return fail(-errno, why, why_len, "%s: %s", q->path, strerror(errno));
	}
	rewinddir(d); /* a dup shares the offset of the last scan */
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (name_seq(e->d_name) >= 0)
			q->count++;
	}
	closedir(d);
	return 0;
}

void ck_click_queue_close(struct ck_click_queue *q)
{
	if (q->dirfd >= 0)
		close(q->dirfd);
	q->dirfd = -1;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int ck_click_queue_put(struct ck_click_queue *q, int64_t seq, const char *payload, size_t len,
                       char *why, size_t why_len)
{
	char name[64], tmp[80];
	if (q->count >= CK_CLICK_QUEUE_MAX)
		return fail(-ENOSPC, why, why_len, "%s: %d presses already waiting", q->path,
		            CK_CLICK_QUEUE_MAX);
	entry_name(seq, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (faccessat(q->dirfd, name, F_OK, 0) == 0)
		return fail(-EEXIST, why, why_len, "%s/%s: already queued", q->path, name);
	int fd = openat(q->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(-errno, why, why_len, "%s/%s: %s", q->path, tmp, strerror(errno));
	int rc = write_all(fd, payload, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(q->dirfd, tmp, q->dirfd, name) != 0)
		rc = -errno;
	if (rc != 0) {
		unlinkat(q->dirfd, tmp, 0);
		return fail(rc, why, why_len, "%s/%s: %s", q->path, name, strerror(-rc));
	}
	if (fsync(q->dirfd) != 0)
		return fail(-errno, why, why_len, "%s: fsync: %s", q->path, strerror(errno));
	q->count++;
	return 0;
}

int ck_click_queue_head(struct ck_click_queue *q, int64_t *seq, char *buf, size_t cap, size_t *len)
{
	for (;;) {
		int fd = dup(q->dirfd);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (!d) {
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		rewinddir(d); /* a dup shares the offset of the last scan */
		int64_t best = -1;
		int64_t n = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			int64_t s = name_seq(e->d_name);
			if (s < 0)
				continue;
			n++;
			if (best < 0 || s < best)
				best = s;
		}
		closedir(d);
		q->count = n;
		if (best < 0)
			return 0;
		char name[64];
		entry_name(best, name, sizeof(name));
		int ffd = openat(q->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (ffd < 0)
			return -errno;
		ssize_t r = read(ffd, buf, cap - 1);
		close(ffd);
		if (r <= 0 || (size_t)r >= cap - 1) {
			/* Empty, unreadable or oversized: keep it for a human, skip it. */
			char bad[80];
			snprintf(bad, sizeof(bad), "%s.bad", name);
			if (renameat(q->dirfd, name, q->dirfd, bad) != 0)
				return -errno;
			continue;
		}
		buf[r] = '\0';
		*len = (size_t)r;
		*seq = best;
		return 1;
	}
}

int ck_click_queue_drop(struct ck_click_queue *q, int64_t seq)
{
	char name[64];
	entry_name(seq, name, sizeof(name));
	if (unlinkat(q->dirfd, name, 0) != 0 && errno != ENOENT)
		return -errno;
	if (q->count > 0)
		q->count--;
	/* The removal need not be durable: a press that comes back after a
	 * crash is sent again with the same seq. */
	return 0;
}
