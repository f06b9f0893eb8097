/*
 * What metered usage would have cost on AWS: the month's counters (from
 * clickd's usage metering) priced with the same price table as the
 * estimator (cost.h). Pure. Money in 1e-10 USD, as everywhere in cost.h.
 */
#ifndef CK_COST_USAGE_H
#define CK_COST_USAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cost/cost.h"

/* Counters of one month, as clickd meters them. */
struct ck_cost_usage {
	int64_t messages;      /* device messages received (IoT Core messaging) */
	int64_t rule_triggers; /* rules whose topic matched (IoT rules triggered) */
	int64_t actions;       /* rule actions run (IoT rule actions) */
	int64_t function_runs; /* Lambda requests */
	int64_t function_ms;   /* Lambda duration, summed */
	int64_t sms_segments;  /* SNS SMS, one per segment */
	int64_t emails;        /* SNS email */
	int64_t webhooks;      /* SNS HTTP/S deliveries */
	int64_t table_writes;  /* DynamoDB write units */
};

#define CK_COST_USAGE_LINES 9

struct ck_cost_usage_line {
	const char *name;
	int64_t quantity; /* units as counted */
	int64_t billed;   /* after the free tier */
	int64_t cost;     /* 1e-10 USD */
};

/*
 * Prices u with p. Writes CK_COST_USAGE_LINES lines and the total.
 * free_tier applies AWS's always-free monthly allowances. Returns 0, or
 * -EOVERFLOW when a figure does not fit.
 */
int ck_cost_usage_aws(const struct ck_cost_usage *u, const struct ck_cost_prices *p, bool free_tier,
                      struct ck_cost_usage_line lines[CK_COST_USAGE_LINES], int64_t *total);

#endif
