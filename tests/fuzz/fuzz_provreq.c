/*
 * libFuzzer target for the relayed fleet-provisioning request parser: any
 * input is refused with a one-line reason or yields a request whose every
 * field is within its documented bounds. Any other outcome aborts.
 */
#include "engine/provreq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_provreq r;
	char why[256] = "";
	int rc = ck_provreq_parse(data, size, &r, why, sizeof(why));
	if (rc != 0) {
		if (!why[0] || strchr(why, '\n') ||
		    (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM))
			abort();
		ck_provreq_cleanup(&r);
		return 0;
	}
	if (!r.client_id[0] || !r.thing[0] || !r.topic[0] || strchr(r.client_id, '\n'))
		abort();
	if (r.kind == CK_PROVREQ_CSR && (!r.csr || !r.csr[0]))
		abort();
	if (r.kind == CK_PROVREQ_PROVISION) {
		if (!r.template_name[0] || !r.token[0] || !cJSON_IsObject(r.parameters) ||
		    cJSON_GetArraySize(r.parameters) > CK_PROVREQ_PARAMS_MAX)
			abort();
		const cJSON *p;
		cJSON_ArrayForEach(p, r.parameters)
		{
			if (!cJSON_IsString(p) || strlen(p->valuestring) > CK_PROVREQ_VALUE_MAX)
				abort();
		}
	}
	ck_provreq_cleanup(&r);
	return 0;
}
