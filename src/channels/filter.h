/*
 * Subscription filter policies with SNS semantics over message attributes
 * (FilterPolicyScope MessageAttributes). A policy is a JSON object whose
 * keys are attribute names and whose values are arrays of conditions; a
 * message passes when every key matches (AND) and, within a key, any
 * condition matches (OR). Conditions: a string (exact match), a number
 * (numeric equality), {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s},
 * {"anything-but": value | [values] | {"prefix": s}}, {"numeric": [op, n]} or
 * {"numeric": [">"|">=", lo, "<"|"<=", hi]}, {"exists": true|false}.
 * Attributes are normalized first (ck_filter_attributes) to
 * {"Name": {"Type": "String"|"Number"|"String.Array", "Value": text}}, as SNS
 * shows them in a notification. Pure: no I/O, no clock.
 */
#ifndef CK_FILTER_H
#define CK_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CK_FILTER_TEXT_MAX     16384 /* bytes of policy JSON */
#define CK_FILTER_KEYS_MAX     5     /* attribute names in one policy, as SNS */
#define CK_FILTER_COMBOS_MAX   150   /* product of the value-array sizes, as SNS */
#define CK_FILTER_ATTRS_MAX    10    /* attributes on one message */
#define CK_FILTER_NAME_MAX     256
#define CK_FILTER_VALUE_MAX    1024
#define CK_FILTER_NUMBER_LIMIT 1e9 /* SNS numbers range over [-1e9, 1e9] */

struct ck_filter;

/*
 * Parses and checks a policy (len bytes of JSON). Returns 0 and a new
 * policy in *out (free with ck_filter_free), or -EINVAL with a one-line
 * reason in why, or -ENOMEM.
 */
int ck_filter_compile(const char *text, size_t len, struct ck_filter **out, char *why,
                      size_t why_len);

/* Frees a policy; NULL is a no-op. */
void ck_filter_free(struct ck_filter *f);

/*
 * True when attrs (normalized, may be NULL for a message without
 * attributes) pass the policy f. A NULL policy passes everything.
 */
bool ck_filter_match(const struct ck_filter *f, const cJSON *attrs);

/*
 * Normalizes message attributes given as {"name": "text" | number |
 * [strings or numbers] | {"DataType": T, "StringValue"|"Value": v}} into a new
 * object in *out (caller deletes). in may be NULL (an empty object results).
 * Returns 0, -EINVAL with a reason in why (over 10 attributes, a bad name or
 * type, a number out of range), or -ENOMEM.
 */
int ck_filter_attributes(const cJSON *in, cJSON **out, char *why, size_t why_len);

#endif
