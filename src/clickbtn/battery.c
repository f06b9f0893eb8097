/*
 * Battery voltage from sysfs (see battery.h). Each attribute is a short
 * text file; anything unexpected (missing file, non-numeric text, a value
 * out of range) makes that supply count as "no battery" rather than an
 * error, because the voltage is optional in the payload.
 */
#include "clickbtn/battery.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device/payload.h"

/* Reads a sysfs attribute into buf without its trailing newline. */
static int read_attr(const char *root, const char *supply, const char *attr, char *buf, size_t cap)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s/%s", root, supply, attr);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t r = read(fd, buf, cap - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
		buf[--r] = '\0';
	return 0;
}

static int supply_mv(const char *root, const char *name, int *mv)
{
	char buf[64];
	char *end = NULL;

	if (read_attr(root, name, "type", buf, sizeof(buf)) != 0 || strcmp(buf, "Battery") != 0)
		return -ENOENT;
	/* "present" is optional; when it exists it must say 1. */
	if (read_attr(root, name, "present", buf, sizeof(buf)) == 0 && strcmp(buf, "1") != 0)
		return -ENOENT;
	if (read_attr(root, name, "voltage_now", buf, sizeof(buf)) != 0)
		return -ENOENT;
	errno = 0;
	long long uv = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0' || uv <= 0)
		return -ENOENT;
	long long v = (uv + 500) / 1000;
	if (v < 1 || v > CK_PAYLOAD_MV_MAX)
		return -ENOENT;
	*mv = (int)v;
	return 0;
}

int ck_click_battery_mv(const char *root, int *mv)
{
	struct dirent **names = NULL;
	int rc = -ENOENT;
	int n = scandir(root, &names, NULL, alphasort);
	if (n < 0)
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		if (rc != 0 && names[i]->d_name[0] != '.')
			rc = supply_mv(root, names[i]->d_name, mv);
		free(names[i]);
	}
	free(names);
	return rc;
}
