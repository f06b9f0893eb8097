/*
 * libFuzzer target for the clickbtn.conf parser: any input is either
 * refused with a one-line reason or yields a configuration whose every
 * field is within its documented bounds. Any other outcome aborts.
 */
#include "core/name.h"
#include "device/btnconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_btnconf c;
	char why[256];

	int rc = ck_btnconf_parse((const char *)data, size, &c, why, sizeof(why));
	if (rc != 0) {
		if (why[0] == '\0' || strchr(why, '\n') || (rc != -EINVAL && rc != -E2BIG))
			abort();
		return 0;
	}
	if (!c.endpoint[0] || c.port < 1 || c.port > 65535 || !ck_name_valid(c.thing))
		abort();
	if (!c.cert[0] || !c.key[0] || !c.ca[0])
		abort();
	char path[2 * CK_BTNCONF_PATH_MAX + 2];
	if (ck_btnconf_path("/etc/clickbtn", c.cert, path, sizeof(path)) != 0)
		abort();
	return 0;
}
