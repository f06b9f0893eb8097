/*
 * Registry snapshot writer (see snapshot.h).
 */
#include "registry/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static int write_line(const char *fp, const char *thing, const char *status, void *ctx)
{
	FILE *f = ctx;
	return fprintf(f, "cert %s %s %s\n", fp, thing, status) < 0 ? -EIO : 0;
}

int ck_snapshot_write(struct ck_store *s, const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		ck_error("registry", "cannot write %s: %s", tmp, strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	int rc = fprintf(f, "clickd-registry 1\n") < 0 ? -EIO : 0;
	if (rc == 0)
		rc = ck_store_cert_each(s, write_line, f);
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = rc ? rc : -EIO;
	fclose(f);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		ck_error("registry", "cannot write registry snapshot %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}
