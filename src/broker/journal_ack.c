/*
 * Writing the journal acknowledgement file (see journal_ack.h).
 */
#include "broker/journal_ack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int sync_path(const char *path, int flags, int (*fn)(int))
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = fn(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int ck_journal_ack_write(const char *data_dir, int64_t seq, const char *store_wal)
{
	char path[4096], tmp[4200], text[64];
	bool durable = store_wal != NULL;
	int rc;

	if (durable && (rc = sync_path(store_wal, O_RDONLY, fdatasync)) != 0)
		return rc;
	int n = snprintf(text, sizeof(text), "clickd-journal-ack 1\nacked %" PRId64 "\n", seq);
	snprintf(path, sizeof(path), "%s/%s", data_dir, CK_JOURNAL_ACK_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, text, (size_t)n);
	rc = w == n ? 0 : (w < 0 ? -errno : -ENOSPC);
	if (rc == 0 && durable && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	if (durable)
		return sync_path(data_dir, O_RDONLY | O_DIRECTORY, fsync);
	return 0;
}
