/*
 * Price files on disk (see prices_file.h).
 */
#include "cost/prices_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRICES_NAME CK_COST_PRICES_NAME

int ck_cost_prices_read(const char *path, char **out, size_t *len, char *err, size_t err_len)
{
	char *buf = malloc(CK_COST_FILE_MAX + 1);
	size_t n = 0;
	int fd, rc = 0;

	*out = NULL;
	if (!buf) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot read the price file %s: %s", path, strerror(errno));
		free(buf);
		return rc;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, CK_COST_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, err_len, "cannot read the price file %s: %s", path,
			         strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CK_COST_FILE_MAX) {
			rc = -EFBIG;
			snprintf(err, err_len, "%s: larger than %d bytes", path, CK_COST_FILE_MAX);
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The default price file: next to clickctl, in an installed share/ beside
 * its bin/, in the source tree when clickctl runs from build/ or
 * build/<dir>/, then the system-wide share directories. Returns 0 with the
 * path, or -ENOENT.
 */
int ck_cost_prices_find(char *path, size_t len)
{
	static const char *const rel[] = { "", "/../share/clickd/prices", "/../data/prices",
		                           "/../../data/prices" };
	static const char *const abs_dirs[] = { "/usr/local/share/clickd/prices",
		                                "/usr/share/clickd/prices" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				int w = snprintf(path, len, "%s%s/%s", exe, rel[i], PRICES_NAME);
				if (w > 0 && (size_t)w < len && is_file(path))
					return 0;
			}
		}
	}
	for (size_t i = 0; i < sizeof(abs_dirs) / sizeof(abs_dirs[0]); i++) {
		int w = snprintf(path, len, "%s/%s", abs_dirs[i], PRICES_NAME);
		if (w > 0 && (size_t)w < len && is_file(path))
			return 0;
	}
	return -ENOENT;
}

int ck_cost_prices_load(const char *path, struct ck_cost_prices *out, char *used, size_t used_len,
                        char *err, size_t err_len)
{
	char found[PATH_MAX];
	char *text = NULL;
	size_t n = 0;
	if (!path) {
		if (ck_cost_prices_find(found, sizeof(found)) != 0) {
			snprintf(err, err_len, "no price file %s found", PRICES_NAME);
			return -ENOENT;
		}
		path = found;
	}
	if (!realpath(path, used))
		snprintf(used, used_len, "%s", path);
	int rc = ck_cost_prices_read(used, &text, &n, err, err_len);
	if (rc != 0)
		return rc;
	rc = ck_cost_prices_parse(text, n, out, err, err_len);
	free(text);
	return rc;
}
