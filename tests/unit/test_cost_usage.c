/*
 * Metered usage priced as AWS would: the seed's month (30,000 presses, one
 * rule, one action, one SMS each) gives the seed's line items; free tiers
 * apply only when asked; absurd counts overflow cleanly.
 */
#include <errno.h>
#include <string.h>

#include "ck_test.h"
#include "cost/usage.h"

/* A copy of the shipped price table, so that updating the shipped prices
 * does not silently change what is tested (as in test_cost.c). */
static const char prices_text[] =
    "# test prices\n"
    "aws.iot.message 1.00 USD/1M-messages https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.iot.rule 0.15 USD/1M-rules https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.iot.action 0.15 USD/1M-actions https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.lambda.request 0.20 USD/1M-requests https://aws.amazon.com/lambda/pricing/ 2026-11-26\n"
    "aws.lambda.free_requests 1000000 requests/month https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.gb_second 0.0000166667 USD/GB-s https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.free_gb_seconds 400000 GB-s/month https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.memory 128 MB assumption 2026-11-26\n"
    "aws.lambda.duration 100 ms assumption 2026-11-26\n"
    "aws.sns.publish 0.50 USD/1M-requests https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_publishes 1000000 requests/month https://aws.amazon.com/sns/pricing/ "
    "2026-11-26\n"
    "aws.sns.sms 0.00645 USD/SMS https://aws.amazon.com/sns/sms-pricing/ 2026-11-26\n"
    "aws.sns.free_sms 0 SMS/month https://aws.amazon.com/sns/sms-pricing/ 2026-11-26\n"
    "aws.sns.email 2.00 USD/100K-emails https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_emails 1000 emails/month https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.http 0.60 USD/1M-deliveries https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_http 100000 deliveries/month https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.dynamodb.write 0.625 USD/1M-WRU https://aws.amazon.com/dynamodb/pricing/on-demand/ "
    "2026-11-26\n"
    "\t self.server.price\t80.00 USD/server https://www.raspberrypi.com/ 2026-11-26\r\n"
    "self.server.life 1095 days assumption 2026-11-26\n"
    "self.server.watts 8 W assumption 2026-11-26\n"
    "self.power.price 0.1545 USD/kWh https://www.eia.gov/ 2026-11-26\n"
    "self.sms.price 0.0083 USD/SMS https://www.twilio.com/ 2026-11-26\n"
    "self.sms.number 1.15 USD/month https://www.twilio.com/ 2026-11-26";

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
