/*
 * The data directory: created on first start with mode 0700, checked for
 * writability, and holding the secrets clickd generates once (the API token
 * and the broker account's password), each in a 0600 file.
 */
#include "clickd/clickd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int ck_datadir_prepare(const char *dir, char *err, size_t err_len)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "cannot create data directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "data directory %s is not a directory", dir);
		return -ENOTDIR;
	}
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/.write-test", dir);
	int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, err_len, "data directory %s is not writable: %s", dir, strerror(e));
		return -e;
	}
	close(fd);
	unlink(probe);
	return 0;
}

int ck_datadir_secret(const char *dir, const char *name, char *out, size_t out_len, char *err,
                      size_t err_len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, out, out_len - 1);
		close(fd);
		if (n <= 0) {
			snprintf(err, err_len, "%s is empty or unreadable", path);
			return -EINVAL;
		}
		out[n] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		if (strlen(out) < 32) {
			snprintf(err, err_len, "%s holds a secret shorter than 32 characters",
			         path);
			return -EINVAL;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}

	unsigned char raw[32];
	if (out_len < 2 * sizeof(raw) + 2 || getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		snprintf(err, err_len, "cannot generate %s", path);
		return -EIO;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * sizeof(raw)] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	char line[80];
	int n = snprintf(line, sizeof(line), "%s\n", out);
	ssize_t w = write(fd, line, (size_t)n);
	int rc = (w == n && fsync(fd) == 0) ? 0 : -EIO;
	close(fd);
	if (rc != 0)
		snprintf(err, err_len, "cannot write %s", path);
	return rc;
}
