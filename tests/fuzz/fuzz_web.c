/*
 * Fuzzes what clickd decides from a request line before any handler runs:
 * the static-file mapping of the web app (a mapped name never escapes the
 * web directory: no "..", no absolute path, no hidden file) and the role
 * table (never allows an unknown role; never refuses an admin what a driver
 * may do). Input: the URL path on the first line, the method on the second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "http/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *method = "GET";
	char *nl = strchr(buf, '\n');
	if (nl) {
		*nl = '\0';
		method = nl + 1;
	}

	char rel[512];
	if (ck_web_map(buf, rel, sizeof(rel)) == 0) {
		/* Every component is a plain name: not empty, not "." or "..",
		 * not hidden; so the file is inside the web directory. */
		if (rel[0] == '/')
			abort();
		for (const char *p = rel; *p;) {
			size_t n = strcspn(p, "/");
			if (n == 0 || p[0] == '.')
				abort();
			p += n;
			if (*p == '/')
				p++;
		}
	}
	if (ck_auth_allowed("nobody", method, buf))
		abort();
	if (ck_auth_allowed("driver", method, buf) && !ck_auth_allowed("admin", method, buf))
		abort();
	free(buf);
	return 0;
}
