/*
 * Usage metering in the store: monotonic counters per calendar month (UTC),
 * metric ("messages", "rule_triggers", "rule_matches", "actions",
 * "workorders", "webhooks", ...), scope ("total", "rule", "thing", ...) and
 * key (the rule or thing name; "" for totals). Counters are added in the
 * same transaction as the work they count, so they are exact.
 */
#ifndef CK_STORE_USAGE_H
#define CK_STORE_USAGE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* Writes "YYYY-MM" (UTC) of when_ms into month[8]. */
void ck_usage_month(int64_t when_ms, char month[8]);

/* Adds delta to (month, metric, scope, key). Returns 0 or -EIO. */
int ck_store_usage_add(struct ck_store *s, const char *month, const char *metric, const char *scope,
                       const char *key, int64_t delta);

/*
 * Counts one operation of metric ("queue_ops", "table_ops") on key under
 * scope, in the current month; writes also count "table_writes" (the
 * DynamoDB write units AWS would bill). Failures are logged, never
 * returned: metering must not fail the operation it counts.
 */
void ck_store_usage_op(struct ck_store *s, const char *metric, const char *scope, const char *key,
                       int writes);

/*
 * Appends the month's counters to out as {"metric","scope","key","value"}
 * objects, totals first. Returns 0 or -EIO.
 */
int ck_store_usage_month(struct ck_store *s, const char *month, cJSON *out);

#endif
