/*
 * Fuzzes call-kind definitions as the API receives them: any JSON body
 * either builds a complete kind or is refused with a reason; a built kind
 * is rebuilt to the same definition (the builder is idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/calls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *body = cJSON_ParseWithLength((const char *)data, size);
	if (!body)
		return 0;
	cJSON *kind = NULL, *again = NULL;
	char why[256] = "";
	int rc = ck_calls_kind_build("pickup", body, &kind, why, sizeof(why));
	if (rc == 0) {
		if (!kind)
			abort();
		if (ck_calls_kind_build("pickup", kind, &again, why, sizeof(why)) != 0 ||
		    !cJSON_Compare(kind, again, 1))
			abort();
	} else if (kind || !why[0]) {
		abort();
	}
	cJSON_Delete(again);
	cJSON_Delete(kind);
	cJSON_Delete(body);
	return 0;
}
