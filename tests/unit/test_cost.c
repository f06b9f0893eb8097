/*
 * Unit tests of the cost model: the seed document's example as a golden
 * test (every line item and total to the last digit), the same without the
 * free tier, proration of free allowances, input ceilings and overflow, the
 * exact decimal formatting, and the price-file parser's refusals, each with
 * the line and key it names.
 */
#include "ck_test.h"

#include "cost/cost.h"

#include <errno.h>
#include <stdlib.h>

#include "prices_fixture.h"

/* USD as a 1e-10 fixed-point literal: D(193, 5000000000) is $193.50. */
#define D(units, tenth_nanos) ((int64_t)(units)*CK_COST_SCALE + (int64_t)(tenth_nanos))
/* A whole quantity. */
#define Q(units) ((int64_t)(units)*CK_COST_QTY_SCALE)

static struct ck_cost_prices prices;

static const char *fmt(int64_t v, unsigned min_frac)
{
	static char buf[4][40];
	static int i;

	i = (i + 1) % 4;
	if (ck_cost_format(v, min_frac, buf[i], sizeof(buf[i])) != 0)
		return "(format failed)";
	return buf[i];
}

static const char *fmtq(int64_t v)
{
	static char buf[40];

	if (ck_cost_format_qty(v, 0, buf, sizeof(buf)) != 0)
		return "(format failed)";
	return buf;
}

static struct ck_cost_input seed_input(void)
{
	struct ck_cost_input in = { .buttons = 10,
		                    .presses_per_day = 100,
		                    .days = 30,
		                    .sms_per_press = 1,
		                    .free_tier = true };
	return in;
}

static void test_parse_shipped_shape(void)
{
	char err[256];

	CK_CHECK_INT(
	    ck_cost_prices_parse(prices_text, sizeof(prices_text) - 1, &prices, err, sizeof(err)),
	    ==, 0);
	CK_CHECK_STR(err, "");
	CK_CHECK_INT(prices.p[CK_COST_KEY_AWS_SNS_SMS].value, ==, 64500000);
	CK_CHECK_INT(prices.p[CK_COST_KEY_AWS_LAMBDA_GB_SECOND].value, ==, 166667);
	CK_CHECK_INT(prices.p[CK_COST_KEY_AWS_LAMBDA_MEMORY].value, ==, D(128, 0));
	CK_CHECK_STR(prices.p[CK_COST_KEY_AWS_SNS_SMS].source,
	             "https://aws.amazon.com/sns/sms-pricing/");
	CK_CHECK_STR(prices.p[CK_COST_KEY_AWS_SNS_SMS].date, "2026-11-26");
	CK_CHECK_INT(prices.p[CK_COST_KEY_AWS_IOT_MESSAGE].line, ==, 2);
	CK_CHECK_INT(prices.p[CK_COST_KEY_SELF_SERVER_PRICE].value, ==, D(80, 0));
	CK_CHECK_STR(prices.p[CK_COST_KEY_SELF_SERVER_PRICE].date, "2026-11-26");
	CK_CHECK_STR(ck_cost_key_name(CK_COST_KEY_AWS_DYNAMODB_WRITE), "aws.dynamodb.write");
	CK_CHECK_STR(ck_cost_key_unit(CK_COST_KEY_AWS_DYNAMODB_WRITE), "USD/1M-WRU");
	CK_CHECK_STR(ck_cost_key_per(CK_COST_KEY_AWS_SNS_EMAIL), "per 100K emails");
	CK_CHECK(ck_cost_key_name(CK_COST_N_KEYS) == NULL);
}

/*
 * The seed document: 10 buttons x 100 presses a day = 30,000 presses in a
 * month, one SMS each. Its table: IoT Core $0.03, Lambda $0.00 (free tier),
 * SNS SMS $193.50, DynamoDB "$0.05", total $0.08 without SMS and $193.58
 * with. The model agrees on every line but DynamoDB (exactly $0.01875 at
 * $0.625 per million write request units) and adds the rules engine lines
 * the seed leaves out; docs/cost.md walks through the difference.
 */
static void test_seed_golden(void)
{
	struct ck_cost_input in = seed_input();
	struct ck_cost_estimate e;
	const struct ck_cost_line *l = e.lines;
	char err[256];

	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(e.presses, ==, 30000);

	/* The seed's own lines. */
	CK_CHECK_INT(l[CK_COST_ITEM_IOT_MESSAGES].quantity, ==, Q(30000));
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_IOT_MESSAGES].cost, 2), "0.03");
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].quantity, ==, Q(30000));
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].free, ==, Q(1000000));
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].billed, ==, 0);
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_LAMBDA_REQUESTS].cost, 2), "0.00");
	CK_CHECK_STR(fmtq(l[CK_COST_ITEM_LAMBDA_COMPUTE].quantity), "375"); /* GB-s */
	CK_CHECK_STR(fmtq(l[CK_COST_ITEM_LAMBDA_COMPUTE].free), "400000");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_LAMBDA_COMPUTE].cost, 2), "0.00");
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_SMS].quantity, ==, Q(30000));
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_SMS].cost, ==, D(193, 5000000000));
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SNS_SMS].cost, 2), "193.50");
	CK_CHECK_INT(l[CK_COST_ITEM_DYNAMODB_WRITES].quantity, ==, Q(30000));
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_DYNAMODB_WRITES].cost, 2), "0.01875");
	CK_CHECK(l[CK_COST_ITEM_DYNAMODB_WRITES].cost != D(0, 500000000)); /* the seed's $0.05 */

	/* The lines the seed leaves out. */
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_IOT_RULES].cost, 2), "0.0045");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_IOT_ACTIONS].cost, 2), "0.0045");
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_PUBLISHES].quantity, ==, Q(30000));
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_PUBLISHES].cost, ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_EMAIL].quantity, ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_HTTP].cost, ==, 0);
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		CK_CHECK(!l[i].rounded || i == CK_COST_ITEM_SELF_SERVER);
		CK_CHECK_INT(l[i].item, ==, i);
	}

	/* The seed's four lines sum to $193.54875; the whole gap to its
	 * $193.58 is its DynamoDB figure. */
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_IOT_MESSAGES].cost + l[CK_COST_ITEM_LAMBDA_REQUESTS].cost +
	                     l[CK_COST_ITEM_LAMBDA_COMPUTE].cost + l[CK_COST_ITEM_SNS_SMS].cost +
	                     l[CK_COST_ITEM_DYNAMODB_WRITES].cost,
	                 2),
	             "193.54875");
	CK_CHECK_STR(fmt(D(193, 5800000000) - D(193, 5487500000), 2), "0.03125");
	CK_CHECK_STR(fmt(D(0, 500000000) - l[CK_COST_ITEM_DYNAMODB_WRITES].cost, 2), "0.03125");

	/* Totals, exact and to the cent. */
	CK_CHECK_STR(fmt(e.total[CK_COST_AWS], 2), "193.55775");
	CK_CHECK_STR(fmt(e.total_without_sms[CK_COST_AWS], 2), "0.05775");
	CK_CHECK_STR(fmt(ck_cost_round(e.total[CK_COST_AWS], 2), 2), "193.56");
	CK_CHECK_STR(fmt(ck_cost_round(e.total_without_sms[CK_COST_AWS], 2), 2), "0.06");

	/* Self-hosted: $80 over 1095 days for 30 days (rounded at 1e-10),
	 * 8 W x 720 h = 5.76 kWh at $0.1545, 30,000 SMS at $0.0083 and the
	 * number at $1.15 a month. */
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SELF_SERVER].cost, 2), "2.1917808219");
	CK_CHECK(l[CK_COST_ITEM_SELF_SERVER].rounded);
	CK_CHECK_STR(fmtq(l[CK_COST_ITEM_SELF_POWER].quantity), "5.76");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SELF_POWER].cost, 2), "0.88992");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SELF_SMS].cost, 2), "249.00");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SELF_SMS_NUMBER].cost, 2), "1.15");
	CK_CHECK_STR(fmt(e.total[CK_COST_SELF], 2), "253.2317008219");
	CK_CHECK_STR(fmt(e.total_without_sms[CK_COST_SELF], 2), "3.0817008219");
	CK_CHECK_INT(l[CK_COST_ITEM_SELF_SERVER].side, ==, CK_COST_SELF);
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_SMS].side, ==, CK_COST_AWS);
	CK_CHECK(l[CK_COST_ITEM_SNS_SMS].sms && l[CK_COST_ITEM_SELF_SMS].sms);
	CK_CHECK_STR(l[CK_COST_ITEM_SNS_SMS].id, "aws.sns.sms");
	CK_CHECK_STR(l[CK_COST_ITEM_LAMBDA_COMPUTE].unit, "GB-s");
	CK_CHECK_INT(l[CK_COST_ITEM_DYNAMODB_WRITES].price, ==, CK_COST_KEY_AWS_DYNAMODB_WRITE);
}

/* The seed's heading says "Excluding Free Tier": without it, Lambda and
 * SNS publishes cost a little, and Lambda compute is $0.0062500125. */
static void test_seed_without_free_tier(void)
{
	struct ck_cost_input in = seed_input();
	struct ck_cost_estimate e;
	const struct ck_cost_line *l = e.lines;

	in.free_tier = false;
	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, NULL, 0), ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].free, ==, 0);
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_LAMBDA_REQUESTS].cost, 2), "0.006");
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_LAMBDA_COMPUTE].cost, 2), "0.0062500125");
	CK_CHECK(!l[CK_COST_ITEM_LAMBDA_COMPUTE].rounded);
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SNS_PUBLISHES].cost, 2), "0.015");
	CK_CHECK_STR(fmt(e.total_without_sms[CK_COST_AWS], 2), "0.0850000125");
	CK_CHECK_STR(fmt(e.total[CK_COST_AWS], 2), "193.5850000125");
	CK_CHECK_STR(fmt(ck_cost_round(e.total[CK_COST_AWS], 2), 2), "193.59");
	/* The self-hosted side has no free tier to lose. */
	CK_CHECK_STR(fmt(e.total[CK_COST_SELF], 2), "253.2317008219");
}

static void test_free_tier_proration_and_channels(void)
{
	struct ck_cost_input in = { .buttons = 200,
		                    .presses_per_day = 300,
		                    .days = 365,
		                    .emails_per_press = 2,
		                    .webhooks_per_press = 1,
		                    .free_tier = true };
	struct ck_cost_estimate e;
	const struct ck_cost_line *l = e.lines;

	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, NULL, 0), ==, 0);
	CK_CHECK_INT(e.presses, ==, 21900000);
	/* 1M requests a month over 365 days: 12,166,666 (rounded down). */
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].free, ==, Q(12166666));
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_REQUESTS].billed, ==, Q(9733334));
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_LAMBDA_REQUESTS].cost, 2), "1.9466668");
	/* 21.9M x 100 ms x 128 MB = 273,750 GB-s, inside 4,866,666.66 free. */
	CK_CHECK_STR(fmtq(l[CK_COST_ITEM_LAMBDA_COMPUTE].quantity), "273750");
	CK_CHECK_INT(l[CK_COST_ITEM_LAMBDA_COMPUTE].cost, ==, 0);
	/* Emails: 43.8M, 12,166 free, $2 per 100K. */
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_EMAIL].quantity, ==, Q(43800000));
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_EMAIL].free, ==, Q(12166));
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SNS_EMAIL].cost, 2), "875.75668");
	/* Webhooks: 21.9M, 1,216,666 free, $0.60 per 1M. */
	CK_CHECK_STR(fmt(l[CK_COST_ITEM_SNS_HTTP].cost, 2), "12.4100004");
	/* No SMS: no SMS lines on either side, totals equal without SMS. */
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_SMS].cost, ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_SELF_SMS_NUMBER].quantity, ==, 0);
	CK_CHECK_INT(e.total[CK_COST_AWS], ==, e.total_without_sms[CK_COST_AWS]);
	CK_CHECK_INT(e.total[CK_COST_SELF], ==, e.total_without_sms[CK_COST_SELF]);
	/* A whole server life: exactly the server's price. */
	in.days = 1095;
	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, NULL, 0), ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_SELF_SERVER].cost, ==, D(80, 0));
	CK_CHECK(!l[CK_COST_ITEM_SELF_SERVER].rounded);
	/* No presses: nothing is published, only the server costs. */
	in.presses_per_day = 0;
	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, NULL, 0), ==, 0);
	CK_CHECK_INT(e.total[CK_COST_AWS], ==, 0);
	CK_CHECK_INT(l[CK_COST_ITEM_SNS_PUBLISHES].quantity, ==, 0);
}

static void expect_input_error(struct ck_cost_input in, const char *msg)
{
	struct ck_cost_estimate e;
	char err[256];

	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK_STR(err, msg);
}

static void test_bad_inputs(void)
{
	struct ck_cost_input in = seed_input();
	struct ck_cost_estimate e;
	char err[256];

	in.buttons = -1;
	expect_input_error(in, "buttons must be from 1 to 1000000, not -1");
	in.buttons = 0;
	expect_input_error(in, "buttons must be from 1 to 1000000, not 0");
	in = seed_input();
	in.presses_per_day = -5;
	expect_input_error(in, "presses per day must be from 0 to 100000, not -5");
	in = seed_input();
	in.days = 0;
	expect_input_error(in, "days must be from 1 to 3660, not 0");
	in = seed_input();
	in.sms_per_press = 101;
	expect_input_error(in, "SMS per press must be from 0 to 100, not 101");
	in = seed_input();
	in.emails_per_press = -1;
	expect_input_error(in, "emails per press must be from 0 to 100, not -1");
	in = seed_input();
	in.webhooks_per_press = INT64_MIN;
	expect_input_error(in,
	                   "webhooks per press must be from 0 to 100, not -9223372036854775808");

	/* A table that did not come from the parser is still checked. */
	{
		struct ck_cost_prices bad = prices;
		in = seed_input();
		bad.p[CK_COST_KEY_SELF_SERVER_LIFE].value = 0;
		CK_CHECK_INT(ck_cost_estimate(&in, &bad, &e, err, sizeof(err)), ==, -EINVAL);
		CK_CHECK_STR(err, "price self.server.life is out of range");
		bad = prices;
		bad.p[CK_COST_KEY_AWS_SNS_SMS].value = -1;
		CK_CHECK_INT(ck_cost_estimate(&in, &bad, &e, err, sizeof(err)), ==, -EINVAL);
	}

	/* Every ceiling at once: the SMS bill alone is over $200 billion. */
	in.buttons = CK_COST_BUTTONS_MAX;
	in.presses_per_day = CK_COST_PRESSES_MAX;
	in.days = CK_COST_DAYS_MAX;
	in.sms_per_press = CK_COST_PER_PRESS_MAX;
	in.emails_per_press = CK_COST_PER_PRESS_MAX;
	in.webhooks_per_press = CK_COST_PER_PRESS_MAX;
	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, err, sizeof(err)), ==, -EOVERFLOW);
	CK_CHECK(strstr(err, "too large") != NULL);
	/* Large but representable: a million buttons for a month. */
	in = seed_input();
	in.buttons = CK_COST_BUTTONS_MAX;
	CK_CHECK_INT(ck_cost_estimate(&in, &prices, &e, err, sizeof(err)), ==, 0);
	CK_CHECK_STR(fmt(e.lines[CK_COST_ITEM_SNS_SMS].cost, 2), "19350000.00");
}

static void test_format_and_round(void)
{
	char small[4];

	CK_CHECK_STR(fmt(0, 2), "0.00");
	CK_CHECK_STR(fmt(0, 0), "0");
	CK_CHECK_STR(fmt(1, 2), "0.0000000001");
	CK_CHECK_STR(fmt(D(193, 5000000000), 2), "193.50");
	CK_CHECK_STR(fmt(D(193, 5000000000), 0), "193.5");
	CK_CHECK_STR(fmt(D(12, 0), 0), "12");
	CK_CHECK_STR(fmt(-D(1, 2500000000), 2), "-1.25");
	CK_CHECK_STR(fmt(INT64_MAX, 0), "922337203.6854775807");
	CK_CHECK_STR(fmt(INT64_MIN, 0), "-922337203.6854775808");
	CK_CHECK_INT(ck_cost_format(D(193, 0), 2, small, sizeof(small)), ==, -ENOSPC);
	CK_CHECK_STR(fmtq(5760), "5.76");
	CK_CHECK_STR(fmtq(Q(30000)), "30000");
	CK_CHECK_STR(fmtq(1), "0.001");
	CK_CHECK_INT(ck_cost_round(D(0, 50000000), 2), ==, D(0, 100000000)); /* 0.005 -> 0.01 */
	CK_CHECK_INT(ck_cost_round(D(0, 49999999), 2), ==, 0);               /* just under */
	CK_CHECK_INT(ck_cost_round(D(193, 5577500000), 2), ==, D(193, 5600000000));
	CK_CHECK_INT(ck_cost_round(-D(0, 50000000), 2), ==, -D(0, 100000000));
	CK_CHECK_INT(ck_cost_round(D(1, 1), 10), ==, D(1, 1));
	CK_CHECK_INT(ck_cost_round(D(2, 5000000000), 0), ==, D(3, 0));
	CK_CHECK_INT(ck_cost_round(INT64_MAX, 2), ==, INT64_MAX); /* would overflow: unrounded */
}

/* Replaces the first line starting with `key ` in the test table by
 * `line` (NULL: drops it) and parses the result. */
static int parse_with(const char *key, const char *line, char *err, size_t err_len)
{
	char text[8192];
	const char *p = prices_text, *end = prices_text + sizeof(prices_text) - 1;
	size_t n = 0, klen = strlen(key);
	struct ck_cost_prices out;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			if (line)
				n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", line);
			key = "\x01"; /* only the first */
			klen = 1;
		} else {
			memcpy(text + n, p, len);
			n += len;
		}
		p += len;
	}
	return ck_cost_prices_parse(text, n, &out, err, err_len);
}

static void expect_parse_error(const char *key, const char *line, const char *msg)
{
	char err[256];

	CK_CHECK_INT(parse_with(key, line, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK_STR(err, msg);
}

static void test_parse_errors(void)
{
	const char *src = "https://aws.amazon.com/sns/sms-pricing/ 2026-11-26";
	char line[512], err[256];
	struct ck_cost_prices out;

#define SMS(value)                                                                                 \
	"aws.sns.sms " value " USD/SMS https://aws.amazon.com/sns/sms-pricing/ 2026-11-26"
	/* The same table, reformatted, still parses. */
	CK_CHECK_INT(parse_with("aws.sns.sms", SMS("0.006450"), err, sizeof(err)), ==, 0);
	/* Line 13 is aws.sns.sms in the test table. */
	expect_parse_error("aws.sns.sms", SMS("-0.00645"),
	                   "line 13: aws.sns.sms: value '-0.00645' is not a number (digits and "
	                   "at most one '.', no sign)");
	expect_parse_error("aws.sns.sms", SMS("6.45e-3"),
	                   "line 13: aws.sns.sms: value '6.45e-3' is not a number (digits and at "
	                   "most one '.', no sign)");
	expect_parse_error("aws.sns.sms", SMS("1.2.3"),
	                   "line 13: aws.sns.sms: value '1.2.3' is not a number (digits and at "
	                   "most one '.', no sign)");
	expect_parse_error("aws.sns.sms", SMS(".5"),
	                   "line 13: aws.sns.sms: value '.5' is not a number (digits and at most "
	                   "one '.', no sign)");
	expect_parse_error("aws.sns.sms", SMS("1."),
	                   "line 13: aws.sns.sms: value '1.' has no digits after the point");
	expect_parse_error("aws.sns.sms", SMS("0.00000000001"),
	                   "line 13: aws.sns.sms: value '0.00000000001' has more than 10 digits "
	                   "after the point");
	expect_parse_error("aws.sns.sms", SMS("123456789"),
	                   "line 13: aws.sns.sms: value '123456789' has more than 8 digits before "
	                   "the point");
	expect_parse_error("aws.sns.sms", SMS("$0.00645"),
	                   "line 13: aws.sns.sms: value '$0.00645' is not a number (digits and at "
	                   "most one '.', no sign)");
	expect_parse_error("aws.sns.sms",
	                   "aws.sns.sms 0.00645 USD/1K-SMS https://a.example/ 2026-11-26",
	                   "line 13: aws.sns.sms: unit 'USD/1K-SMS' should be 'USD/SMS'");
	expect_parse_error("aws.sns.sms", "aws.sns.sms 0.00645 USD/SMS ftp://a.example/ 2026-11-26",
	                   "line 13: aws.sns.sms: source 'ftp://a.example/' is not an http(s) URL "
	                   "or 'assumption'");
	expect_parse_error("aws.sns.sms", "aws.sns.sms 0.00645 USD/SMS https:// 2026-11-26",
	                   "line 13: aws.sns.sms: source 'https://' is not an http(s) URL or "
	                   "'assumption'");
	expect_parse_error("aws.sns.sms",
	                   "aws.sns.sms 0.00645 USD/SMS https://a.example/ 2026-02-30",
	                   "line 13: aws.sns.sms: date '2026-02-30' is not a valid YYYY-MM-DD");
	expect_parse_error("aws.sns.sms",
	                   "aws.sns.sms 0.00645 USD/SMS https://a.example/ 2025-02-29",
	                   "line 13: aws.sns.sms: date '2025-02-29' is not a valid YYYY-MM-DD");
	CK_CHECK_INT(parse_with("aws.sns.sms",
	                        "aws.sns.sms 0.00645 USD/SMS https://a.example/ 2024-02-29", err,
	                        sizeof(err)),
	             ==, 0);
	expect_parse_error("aws.sns.sms",
	                   "aws.sns.sms 0.00645 USD/SMS https://a.example/ 26-11-2026",
	                   "line 13: aws.sns.sms: date '26-11-2026' is not a valid YYYY-MM-DD");
	expect_parse_error("aws.sns.sms", "aws.sns.sms 0.00645 USD/SMS https://a.example/",
	                   "line 13: expected KEY VALUE UNIT SOURCE DATE, found 4 fields");
	expect_parse_error(
	    "aws.sns.sms", "aws.sns.sms = 0.00645 USD/SMS https://a.example/ 2026-11-26",
	    "line 13: expected KEY VALUE UNIT SOURCE DATE, found more than 5 fields");
	expect_parse_error("aws.sns.sms", "aws.sns.mms 0.02 USD/SMS https://a.example/ 2026-11-26",
	                   "line 13: unknown price key 'aws.sns.mms'");
	expect_parse_error("aws.sns.sms", NULL, "missing price key 'aws.sns.sms' (unit USD/SMS)");
	/* Counts are whole and within their range. */
	expect_parse_error("aws.lambda.memory", "aws.lambda.memory 128.5 MB assumption 2026-11-26",
	                   "line 9: aws.lambda.memory: value '128.5' must be a whole number");
	expect_parse_error("aws.lambda.memory", "aws.lambda.memory 64 MB assumption 2026-11-26",
	                   "line 9: aws.lambda.memory: value 64 is outside 128..10240");
	expect_parse_error("self.server.life", "self.server.life 0 days assumption 2026-11-26",
	                   "line 21: self.server.life: value 0 is outside 1..36600");
	/* Duplicates name both lines. */
	snprintf(line, sizeof(line), "%s\n%s", SMS("0.00645"), SMS("0.007"));
	expect_parse_error("aws.sns.sms", line,
	                   "line 14: price key 'aws.sns.sms' given twice (first on line 13)");
	/* Control characters, long lines, oversize files. */
	snprintf(line, sizeof(line), "aws.sns.sms 0.00645 USD/SMS\x1b[31m %s", src);
	expect_parse_error("aws.sns.sms", line, "line 13: control character 0x1b");
	CK_CHECK_INT(ck_cost_prices_parse("a\0b", 3, &out, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK_STR(err, "line 1: control character 0x00");
	{
		static char big[CK_COST_FILE_MAX + 2];
		memset(big, '#', sizeof(big));
		CK_CHECK_INT(
		    ck_cost_prices_parse(big, CK_COST_FILE_MAX + 1, &out, err, sizeof(err)), ==,
		    -E2BIG);
		CK_CHECK_STR(err, "larger than 65536 bytes");
		CK_CHECK_INT(
		    ck_cost_prices_parse(big, CK_COST_LINE_MAX + 1, &out, err, sizeof(err)), ==,
		    -EINVAL);
		CK_CHECK_STR(err, "line 1: longer than 1024 bytes");
	}
	/* Unprintable bytes in a quoted token are shown as '?', long ones cut. */
	expect_parse_error("aws.sns.sms",
	                   "aws.sns.\xc3\xa9 0.00645 USD/SMS https://a.example/ 2026-11-26",
	                   "line 13: unknown price key 'aws.sns.?"
	                   "?'");
	expect_parse_error(
	    "aws.sns.sms",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 USD/SMS "
	    "https://a.example/ 2026-11-26",
	    "line 13: unknown price key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
	/* Empty input: the first missing key is named. */
	CK_CHECK_INT(ck_cost_prices_parse("", 0, &out, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK_STR(err, "missing price key 'aws.iot.message' (unit USD/1M-messages)");
	CK_CHECK_INT(ck_cost_prices_parse("", 0, &out, NULL, 0), ==, -EINVAL);
#undef SMS
}

int main(void)
{
	test_parse_shipped_shape();
	test_seed_golden();
	test_seed_without_free_tier();
	test_free_tier_proration_and_channels();
	test_bad_inputs();
	test_format_and_round();
	test_parse_errors();
	return ck_test_main("test_cost");
}
