/*
 * libFuzzer target for channel filter policies and message attributes,
 * both untrusted input from the API: the input is split at the first NUL
 * into a policy and an attributes document; a policy that compiles is
 * matched against the normalized attributes, and the SMS segment counter
 * runs over the whole input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/filter.h"
#include "channels/segments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	struct ck_segments seg;
	ck_segments_count((const char *)data, size, &seg);
	const uint8_t *nul = memchr(data, 0, size);
	size_t policy_len = nul ? (size_t)(nul - data) : size;
	struct ck_filter *f = NULL;
	if (ck_filter_compile((const char *)data, policy_len, &f, why, sizeof(why)) != 0)
		return 0;
	cJSON *in = NULL, *attrs = NULL;
	if (nul)
		in = cJSON_ParseWithLength((const char *)nul + 1, size - policy_len - 1);
	if (ck_filter_attributes(in, &attrs, why, sizeof(why)) == 0)
		(void)ck_filter_match(f, attrs);
	(void)ck_filter_match(f, NULL);
	cJSON_Delete(in);
	cJSON_Delete(attrs);
	ck_filter_free(f);
	return 0;
}
