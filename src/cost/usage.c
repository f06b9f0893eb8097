/*
 * Metered usage priced as AWS would price it (see usage.h).
 */
#include "cost/usage.h"

#include <errno.h>
#include <stdint.h>

__extension__ typedef __int128 wide;

/* quantity * price / per, where price is in 1e-10 USD per `per` units. */
static int price(int64_t quantity, int64_t value, int64_t per, int64_t *out)
{
	wide c = (wide)quantity * value / per;
	if (c > INT64_MAX || c < 0)
		return -EOVERFLOW;
	*out = (int64_t)c;
	return 0;
}

static int64_t after_free(int64_t quantity, int64_t free_amount, bool free_tier)
{
	if (!free_tier)
		return quantity;
	return quantity > free_amount ? quantity - free_amount : 0;
}

int ck_cost_usage_aws(const struct ck_cost_usage *u, const struct ck_cost_prices *p, bool free_tier,
                      struct ck_cost_usage_line lines[CK_COST_USAGE_LINES], int64_t *total)
{
	/* Free allowances are stored scaled like every value (1e-10 units). */
	const int64_t unit = CK_COST_SCALE;
	int64_t gb_ms = 0; /* GB-milliseconds, from the memory in the price file (MB) */
	wide w = (wide)u->function_ms * (p->p[CK_COST_KEY_AWS_LAMBDA_MEMORY].value / unit) / 1024;
	if (w > INT64_MAX)
		return -EOVERFLOW;
	gb_ms = (int64_t)w;
	struct {
		const char *name;
		int64_t quantity, free_amount;
		enum ck_cost_key key;
		int64_t per;
	} def[CK_COST_USAGE_LINES] = {
		{ "IoT Core messages", u->messages, 0, CK_COST_KEY_AWS_IOT_MESSAGE, 1000000 },
		{ "IoT Core rules triggered", u->rule_triggers, 0, CK_COST_KEY_AWS_IOT_RULE,
		  1000000 },
		{ "IoT Core rule actions", u->actions, 0, CK_COST_KEY_AWS_IOT_ACTION, 1000000 },
		{ "Lambda requests", u->function_runs,
		  p->p[CK_COST_KEY_AWS_LAMBDA_FREE_REQUESTS].value / unit,
		  CK_COST_KEY_AWS_LAMBDA_REQUEST, 1000000 },
		{ "Lambda compute (GB-ms)", gb_ms,
		  p->p[CK_COST_KEY_AWS_LAMBDA_FREE_GB_SECONDS].value / unit * 1000,
		  CK_COST_KEY_AWS_LAMBDA_GB_SECOND, 1000 },
		{ "SNS SMS", u->sms_segments, p->p[CK_COST_KEY_AWS_SNS_FREE_SMS].value / unit,
		  CK_COST_KEY_AWS_SNS_SMS, 1 },
		{ "SNS email", u->emails, p->p[CK_COST_KEY_AWS_SNS_FREE_EMAILS].value / unit,
		  CK_COST_KEY_AWS_SNS_EMAIL, 100000 },
		{ "SNS HTTP/S deliveries", u->webhooks,
		  p->p[CK_COST_KEY_AWS_SNS_FREE_HTTP].value / unit, CK_COST_KEY_AWS_SNS_HTTP,
		  1000000 },
		{ "DynamoDB writes", u->table_writes, 0, CK_COST_KEY_AWS_DYNAMODB_WRITE, 1000000 },
	};
	int64_t sum = 0;
	for (int i = 0; i < CK_COST_USAGE_LINES; i++) {
		lines[i].name = def[i].name;
		lines[i].quantity = def[i].quantity;
		lines[i].billed = after_free(def[i].quantity, def[i].free_amount, free_tier);
		int rc = price(lines[i].billed, p->p[def[i].key].value, def[i].per, &lines[i].cost);
		if (rc != 0)
			return rc;
		if (sum > INT64_MAX - lines[i].cost)
			return -EOVERFLOW;
		sum += lines[i].cost;
	}
	*total = sum;
	return 0;
}
