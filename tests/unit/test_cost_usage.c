/*
 * Metered usage priced as AWS would: the seed's month (30,000 presses, one
 * rule, one action, one SMS each) gives the seed's line items; free tiers
 * apply only when asked; absurd counts overflow cleanly.
 */
#include <errno.h>
#include <string.h>

#include "ck_test.h"
#include "cost/usage.h"

#include "prices_fixture.h"

/* USD as a 1e-10 fixed-point literal: D(193, 5000000000) is $193.50. */
#define D(units, tenth_nanos) ((int64_t)(units)*CK_COST_SCALE + (int64_t)(tenth_nanos))
/* A whole quantity. */
#define Q(units) ((int64_t)(units)*CK_COST_QTY_SCALE)

static int load(struct ck_cost_prices *p)
{
	char err[256];
	return ck_cost_prices_parse(prices_text, sizeof(prices_text) - 1, p, err, sizeof(err));
}

int main(void)
{
	static struct ck_cost_prices p;
	CK_CHECK_INT(load(&p), ==, 0);
	struct ck_cost_usage u = {
		.messages = 30000,
		.rule_triggers = 30000,
		.actions = 30000,
		.function_runs = 30000,
		.function_ms = 30000 * 100,
		.sms_segments = 30000,
		.table_writes = 30000,
	};
	struct ck_cost_usage_line l[CK_COST_USAGE_LINES];
	int64_t total = 0;
	CK_CHECK_INT(ck_cost_usage_aws(&u, &p, true, l, &total), ==, 0);
	CK_CHECK_STR(l[0].name, "IoT Core messages");
	CK_CHECK_INT(l[0].cost, ==, 300000000LL);     /* $0.03 */
	CK_CHECK_INT(l[3].billed, ==, 0);             /* Lambda requests: free tier */
	CK_CHECK_INT(l[4].billed, ==, 0);             /* Lambda compute: free tier */
	CK_CHECK_INT(l[5].cost, ==, 1935000000000LL); /* SMS: 30,000 x $0.00645 = $193.50 */
	CK_CHECK_INT(l[8].cost, ==, 187500000LL);     /* DynamoDB: $0.01875 */
	CK_CHECK_INT(total, ==,
	             300000000LL + 45000000LL + 45000000LL + 1935000000000LL + 187500000LL);
	/* Without the free tier Lambda is billed. */
	CK_CHECK_INT(ck_cost_usage_aws(&u, &p, false, l, &total), ==, 0);
	CK_CHECK_INT(l[3].billed, ==, 30000);
	CK_CHECK(l[3].cost > 0);
	/* Nothing used, nothing owed. */
	struct ck_cost_usage zero = { 0 };
	CK_CHECK_INT(ck_cost_usage_aws(&zero, &p, true, l, &total), ==, 0);
	CK_CHECK_INT(total, ==, 0);
	/* Counts too large to price are refused, not wrapped. */
	struct ck_cost_usage huge = { .sms_segments = INT64_MAX / 2 };
	CK_CHECK_INT(ck_cost_usage_aws(&huge, &p, true, l, &total), ==, -EOVERFLOW);
	return ck_test_main("cost_usage");
}
