/*
 * libFuzzer target for the button payload decoder: any input must either
 * be refused with a one-line reason or decode to a press that encodes and
 * decodes back to the same press. Any other outcome aborts.
 */
#include "device/payload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct ck_press *a, const struct ck_press *b)
{
	return a->click == b->click && strcmp(a->serial, b->serial) == 0 &&
	       a->battery_mv == b->battery_mv && a->seq == b->seq && a->pressed_ms == b->pressed_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_press p, q;
	char why[128];
	char enc[CK_PAYLOAD_ENCODED_MAX];

	int rc = ck_payload_decode(data, size, &p, why, sizeof(why));
	if (rc != 0) {
		/* A refusal always says why, on one line. */
		if (why[0] == '\0' || strchr(why, '\n') || (rc != -EINVAL && rc != -E2BIG))
			abort();
		return 0;
	}
	int n = ck_payload_encode(&p, enc, sizeof(enc));
	if (n <= 0 || (size_t)n >= sizeof(enc) || strlen(enc) != (size_t)n)
		abort();
	if (ck_payload_decode((const uint8_t *)enc, (size_t)n, &q, why, sizeof(why)) != 0)
		abort();
	if (!same(&p, &q))
		abort();
	return 0;
}
