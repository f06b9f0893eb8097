/*
 * libFuzzer target for the price-file parser and the estimator behind it:
 * any input is either refused with a one-line reason, or yields a complete
 * table whose values are within the parser's limits; an accepted table
 * then estimates a fixed workload without error or overflow, with totals
 * that equal the sum of their lines. Any other outcome aborts.
 */
#include "cost/cost.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_cost_prices p;
	struct ck_cost_estimate e;
	struct ck_cost_input in = { .buttons = 10,
		                    .presses_per_day = 100,
		                    .days = 30,
		                    .sms_per_press = 1,
		                    .emails_per_press = 1,
		                    .webhooks_per_press = 1,
		                    .free_tier = (size & 1) != 0 };
	char why[256];
	int64_t sum[2] = { 0, 0 };

	int rc = ck_cost_prices_parse((const char *)data, size, &p, why, sizeof(why));
	if (rc != 0) {
		if (why[0] == '\0' || strchr(why, '\n') || (rc != -EINVAL && rc != -E2BIG))
			abort();
		return 0;
	}
	for (int k = 0; k < CK_COST_N_KEYS; k++) {
		if (p.p[k].value < 0 || p.p[k].value >= 100000000LL * CK_COST_SCALE ||
		    p.p[k].line == 0 || strlen(p.p[k].date) != CK_COST_DATE_LEN ||
		    p.p[k].source[0] == '\0')
			abort();
	}
	/* Prices of at most 8 digits on a modest workload cannot overflow. */
	if (ck_cost_estimate(&in, &p, &e, why, sizeof(why)) != 0)
		abort();
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		const struct ck_cost_line *l = &e.lines[i];
		if (l->cost < 0 || l->billed < 0 || l->billed > l->quantity)
			abort();
		sum[l->side] += l->cost;
	}
	if (sum[CK_COST_AWS] != e.total[CK_COST_AWS] || sum[CK_COST_SELF] != e.total[CK_COST_SELF])
		abort();
	return 0;
}
