/*
 * The cost model behind "clickctl cost estimate": a parser for the price
 * file (data/prices/: one price per line with its unit, source and
 * date) and a pure estimator that turns a workload (buttons, presses a day,
 * days, notifications per press) and a parsed price table into line items
 * for AWS (IoT Core, Lambda, SNS, DynamoDB, with the always-free tiers) and
 * for a self-hosted clickd (server amortisation, power, SMS gateway). Money
 * and every price are exact decimals held as integers in units of 1e-10
 * (CK_COST_SCALE); see docs/cost.md. No I/O, no globals, no floating point:
 * the caller reads the file and prints the result.
 */
#ifndef CK_COST_H
#define CK_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Money and prices are integer counts of 1e-10; quantities of 1e-3. */
#define CK_COST_SCALE      10000000000LL
#define CK_COST_QTY_SCALE  1000LL
#define CK_COST_FRAC_MAX   10    /* fractional digits of a value in the file */
#define CK_COST_INT_MAX    8     /* integer digits of a value in the file */
#define CK_COST_FILE_MAX   65536 /* bytes of a price file */
#define CK_COST_LINE_MAX   1024  /* bytes of one line of it */
#define CK_COST_SOURCE_MAX 256   /* bytes of a source, with its NUL */
#define CK_COST_DATE_LEN   10    /* YYYY-MM-DD */

/* Input ceilings; the estimator refuses anything beyond them. */
#define CK_COST_BUTTONS_MAX   1000000
#define CK_COST_PRESSES_MAX   100000 /* per button and day */
#define CK_COST_DAYS_MAX      3660
#define CK_COST_PER_PRESS_MAX 100
#define CK_COST_MONTH_DAYS    30 /* free tiers and monthly fees are per 30 days */

/* The keys of a price file, all required, each exactly once. */
enum ck_cost_key {
	CK_COST_KEY_AWS_IOT_MESSAGE,
	CK_COST_KEY_AWS_IOT_RULE,
	CK_COST_KEY_AWS_IOT_ACTION,
	CK_COST_KEY_AWS_LAMBDA_REQUEST,
	CK_COST_KEY_AWS_LAMBDA_FREE_REQUESTS,
	CK_COST_KEY_AWS_LAMBDA_GB_SECOND,
	CK_COST_KEY_AWS_LAMBDA_FREE_GB_SECONDS,
	CK_COST_KEY_AWS_LAMBDA_MEMORY,
	CK_COST_KEY_AWS_LAMBDA_DURATION,
	CK_COST_KEY_AWS_SNS_PUBLISH,
	CK_COST_KEY_AWS_SNS_FREE_PUBLISHES,
	CK_COST_KEY_AWS_SNS_SMS,
	CK_COST_KEY_AWS_SNS_FREE_SMS,
	CK_COST_KEY_AWS_SNS_EMAIL,
	CK_COST_KEY_AWS_SNS_FREE_EMAILS,
	CK_COST_KEY_AWS_SNS_HTTP,
	CK_COST_KEY_AWS_SNS_FREE_HTTP,
	CK_COST_KEY_AWS_DYNAMODB_WRITE,
	CK_COST_KEY_SELF_SERVER_PRICE,
	CK_COST_KEY_SELF_SERVER_LIFE,
	CK_COST_KEY_SELF_SERVER_WATTS,
	CK_COST_KEY_SELF_POWER_PRICE,
	CK_COST_KEY_SELF_SMS_PRICE,
	CK_COST_KEY_SELF_SMS_NUMBER,
	CK_COST_N_KEYS
};

/* One entry of a price file. */
struct ck_cost_price {
	int64_t value;                   /* in 1e-10 of unit */
	char source[CK_COST_SOURCE_MAX]; /* an http(s) URL or "assumption" */
	char date[CK_COST_DATE_LEN + 1]; /* YYYY-MM-DD the figure was recorded */
	unsigned line;                   /* 1-based line in the file */
};

/* A complete price table: every key present. */
struct ck_cost_prices {
	struct ck_cost_price p[CK_COST_N_KEYS];
};

/* The workload to estimate. */
struct ck_cost_input {
	int64_t buttons;            /* 1..CK_COST_BUTTONS_MAX */
	int64_t presses_per_day;    /* per button, 0..CK_COST_PRESSES_MAX */
	int64_t days;               /* 1..CK_COST_DAYS_MAX */
	int64_t sms_per_press;      /* 0..CK_COST_PER_PRESS_MAX, each one segment */
	int64_t emails_per_press;   /* 0..CK_COST_PER_PRESS_MAX */
	int64_t webhooks_per_press; /* 0..CK_COST_PER_PRESS_MAX */
	bool free_tier;             /* apply the always-free monthly allowances */
};

enum ck_cost_side { CK_COST_AWS, CK_COST_SELF };

/* The line items, in the order they are printed. */
enum ck_cost_item {
	CK_COST_ITEM_IOT_MESSAGES,
	CK_COST_ITEM_IOT_RULES,
	CK_COST_ITEM_IOT_ACTIONS,
	CK_COST_ITEM_LAMBDA_REQUESTS,
	CK_COST_ITEM_LAMBDA_COMPUTE,
	CK_COST_ITEM_SNS_PUBLISHES,
	CK_COST_ITEM_SNS_SMS,
	CK_COST_ITEM_SNS_EMAIL,
	CK_COST_ITEM_SNS_HTTP,
	CK_COST_ITEM_DYNAMODB_WRITES,
	CK_COST_ITEM_SELF_SERVER,
	CK_COST_ITEM_SELF_POWER,
	CK_COST_ITEM_SELF_SMS,
	CK_COST_ITEM_SELF_SMS_NUMBER,
	CK_COST_N_ITEMS
};

/* One line item. Quantities are in 1e-3 of unit (exact for counts; GB-s
 * and kWh are shown rounded half up to that), money in 1e-10 USD. */
struct ck_cost_line {
	enum ck_cost_item item;
	enum ck_cost_side side;
	const char *id;         /* stable identifier, e.g. "aws.sns.sms" */
	const char *name;       /* e.g. "SNS SMS" */
	const char *unit;       /* of the quantity, e.g. "SMS", "GB-s", "days" */
	enum ck_cost_key price; /* the price it is billed at */
	int64_t quantity;       /* used in the period */
	int64_t free;           /* free allowance for the period (0 without) */
	int64_t billed;         /* quantity beyond the allowance */
	int64_t cost;           /* exact unless rounded */
	bool rounded;           /* cost rounded half up to 1e-10 USD */
	bool sms;               /* left out of the "without SMS" totals */
};

struct ck_cost_estimate {
	int64_t presses; /* buttons x presses_per_day x days */
	struct ck_cost_line lines[CK_COST_N_ITEMS];
	int64_t total[2]; /* indexed by enum ck_cost_side */
	int64_t total_without_sms[2];
};

/*
 * Parses a price file of len bytes (no NUL needed) into out. Each line is
 * blank, a comment starting with '#', or "KEY VALUE UNIT SOURCE DATE"
 * separated by spaces or tabs: KEY one of ck_cost_key_name(), VALUE digits
 * with an optional '.' and 1..CK_COST_FRAC_MAX fractional digits (no sign,
 * no exponent; whole numbers only for counts), UNIT exactly
 * ck_cost_key_unit(KEY), SOURCE an http:// or https:// URL or the word
 * "assumption", DATE a valid YYYY-MM-DD. Every key must appear exactly
 * once. Returns 0; -EINVAL with "line N: ..." (or "missing price key ...")
 * in err for any malformed, unknown, duplicate, out-of-range or missing
 * entry; -E2BIG when the text exceeds CK_COST_FILE_MAX. err may be NULL.
 */
int ck_cost_prices_parse(const char *text, size_t len, struct ck_cost_prices *out, char *err,
                         size_t err_len);

/* The file name of a key ("aws.sns.sms"), its required unit ("USD/SMS"),
 * and how its price reads after the amount ("per SMS"); NULL when k is out
 * of range. Static strings. */
const char *ck_cost_key_name(enum ck_cost_key k);
const char *ck_cost_key_unit(enum ck_cost_key k);
const char *ck_cost_key_per(enum ck_cost_key k);

/*
 * Estimates in for the prices p into out. Pure; out is fully written on
 * success. Returns 0; -EINVAL with a one-line reason naming the input
 * ("buttons must be from 1 to 1000000") when an input is out of range;
 * -EOVERFLOW when a figure would not fit (a total over about $900 million).
 * err may be NULL.
 */
int ck_cost_estimate(const struct ck_cost_input *in, const struct ck_cost_prices *p,
                     struct ck_cost_estimate *out, char *err, size_t err_len);

/*
 * Writes v (in 1e-10 units) as an exact decimal: no trailing zeros beyond
 * min_frac fractional digits, no exponent, "-" for a negative value. E.g.
 * 1935000000000 with min_frac 2 is "193.50"; 62500125 is "0.0062500125".
 * Returns 0, or -ENOSPC when buf is too small (32 bytes always suffice).
 */
int ck_cost_format(int64_t v, unsigned min_frac, char *buf, size_t len);

/* The same for a quantity (in 1e-3 units, at most 3 fractional digits):
 * 5760 is "5.76" with min_frac 0. Same returns. */
int ck_cost_format_qty(int64_t v, unsigned min_frac, char *buf, size_t len);

/*
 * Rounds v (in 1e-10 units) half up to a multiple of 10^-digits
 * (0 <= digits <= 10). Returns the rounded value in 1e-10 units; values that
 * would overflow are returned unrounded.
 */
int64_t ck_cost_round(int64_t v, unsigned digits);

#endif
