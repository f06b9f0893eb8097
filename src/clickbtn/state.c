/*
 * The durable press counter (see state.h). The file is tiny and rewritten
 * whole: write a temporary file, fsync it, rename it over the old one and
 * fsync the directory, so after a crash the file holds either the old or
 * the new number, never a torn one, and a number that may have been sent
 * is always on disk. An exclusive flock on the directory serialises
 * concurrent runs that share it.
 */
#include "clickbtn/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "device/payload.h"

#define STATE_TMP       CK_CLICK_STATE_FILE ".tmp"
#define STATE_MAX_BYTES 64

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Parses "seq = N\n" (the newline optional), N in 0..CK_PAYLOAD_INT_MAX. */
static int parse_state(const char *s, size_t n, int64_t *last)
{
	static const char head[] = "seq = ";
	size_t i = sizeof(head) - 1;
	int64_t v = 0;

	if (n < i + 1 || memcmp(s, head, i) != 0)
		return -EINVAL;
	size_t first = i;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (i - first >= 16)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (i == first || v > CK_PAYLOAD_INT_MAX)
		return -EINVAL;
	if (i < n && s[i] == '\n')
		i++;
	if (i != n)
		return -EINVAL;
	*last = v;
	return 0;
}

int ck_click_state_read(int dirfd, const char *dir, int64_t *last, char *why, size_t why_len)
{
	char buf[STATE_MAX_BYTES + 1];
	size_t n = 0;

	*last = 0;
	int fd = openat(dirfd, CK_CLICK_STATE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return fail(-errno, why, why_len, "%s/%s: %s", dir, CK_CLICK_STATE_FILE,
		            strerror(errno));
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return fail(-e, why, why_len, "%s/%s: %s", dir, CK_CLICK_STATE_FILE,
			            strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > STATE_MAX_BYTES || parse_state(buf, n, last) != 0)
		return fail(-EINVAL, why, why_len,
		            "%s/%s: corrupt (expected \"seq = N\"); refusing to guess the next seq",
		            dir, CK_CLICK_STATE_FILE);
	return 0;
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

/* Writes "seq = v" durably over the state file. */
static int persist(int dirfd, const char *dir, int64_t v, char *why, size_t why_len)
{
	char line[STATE_MAX_BYTES];
	int n = snprintf(line, sizeof(line), "seq = %lld\n", (long long)v);
	int fd = openat(dirfd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(-errno, why, why_len, "%s/%s: %s", dir, STATE_TMP, strerror(errno));
	int rc = write_all(fd, line, (size_t)n);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0) {
		unlinkat(dirfd, STATE_TMP, 0);
		return fail(rc, why, why_len, "%s/%s: %s", dir, STATE_TMP, strerror(-rc));
	}
	if (renameat(dirfd, STATE_TMP, dirfd, CK_CLICK_STATE_FILE) != 0) {
		rc = -errno;
		unlinkat(dirfd, STATE_TMP, 0);
		return fail(rc, why, why_len, "%s/%s: %s", dir, CK_CLICK_STATE_FILE, strerror(-rc));
	}
	if (fsync(dirfd) != 0)
		return fail(-errno, why, why_len, "%s: fsync: %s", dir, strerror(errno));
	return 0;
}

int ck_click_state_next(int dirfd, const char *dir, int64_t *seq, char *why, size_t why_len)
{
	int64_t last = 0;
	int rc;

	do {
		rc = flock(dirfd, LOCK_EX);
	} while (rc != 0 && errno == EINTR);
	if (rc != 0)
		return fail(-errno, why, why_len, "%s: cannot lock: %s", dir, strerror(errno));
	rc = ck_click_state_read(dirfd, dir, &last, why, why_len);
	if (rc == 0 && last >= CK_PAYLOAD_INT_MAX)
		rc = fail(-ERANGE, why, why_len, "%s/%s: seq exhausted", dir, CK_CLICK_STATE_FILE);
	if (rc == 0)
		rc = persist(dirfd, dir, last + 1, why, why_len);
	flock(dirfd, LOCK_UN);
	if (rc == 0)
		*seq = last + 1;
	return rc;
}
