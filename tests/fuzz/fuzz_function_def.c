/*
 * Fuzz target for function definitions as the API receives them: JSON
 * text parsed and validated by ck_function_parse (runtimes, limits, exec
 * command and environment, URL and headers, onFailure, and the policy
 * allow-list), then every known call decided against the parsed policy.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "functions/fpolicy.h"
#include "functions/function.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	cJSON *def = cJSON_ParseWithLength((const char *)data, size);
	if (!def)
		return 0;
	char err[400];
	struct ck_function *f = NULL;
	if (ck_function_parse("fuzz", def, &f, err, sizeof(err)) == 0) {
		for (int i = 0; ck_fpolicy_calls[i]; i++)
			(void)ck_fpolicy_allows(f->policy, ck_fpolicy_calls[i], "alerts/dock-1");
		ck_function_free(f);
	}
	cJSON_Delete(def);
	return 0;
}
