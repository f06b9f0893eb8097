/*
 * The cost model (see cost.h): the price-file parser and the estimator.
 * Everything is integer arithmetic on values in 1e-10 units, with a 128-bit
 * intermediate for products and overflow checked at every step, so a figure
 * is either exact, explicitly marked as rounded (half up, at 1e-10 USD), or
 * refused. The tables below describe the file's keys; the numbers
 * themselves only ever come from a price file.
 */
#include "cost/cost.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* GCC and clang both provide it; used only for exact products. */
__extension__ typedef unsigned __int128 u128;

#define MB_MS_PER_GB_S (1024LL * 1000LL) /* Lambda: 1 GB = 1024 MB */
#define WH_PER_KWH     1000LL

enum kind {
	MONEY,   /* a decimal amount of USD */
	COUNT,   /* a whole number within [min, max] */
	DECIMAL, /* any decimal within the digit limits */
};

struct key_spec {
	const char *name;
	const char *unit;
	const char *per;
	enum kind kind;
	int64_t min, max; /* COUNT only, in whole units */
};

#define COUNT_MAX 99999999LL

static const struct key_spec keys[CK_COST_N_KEYS] = {
	[CK_COST_KEY_AWS_IOT_MESSAGE] = { "aws.iot.message", "USD/1M-messages", "per 1M messages",
	                                  MONEY, 0, 0 },
	[CK_COST_KEY_AWS_IOT_RULE] = { "aws.iot.rule", "USD/1M-rules", "per 1M rules", MONEY, 0,
	                               0 },
	[CK_COST_KEY_AWS_IOT_ACTION] = { "aws.iot.action", "USD/1M-actions", "per 1M actions",
	                                 MONEY, 0, 0 },
	[CK_COST_KEY_AWS_LAMBDA_REQUEST] = { "aws.lambda.request", "USD/1M-requests",
	                                     "per 1M requests", MONEY, 0, 0 },
	[CK_COST_KEY_AWS_LAMBDA_FREE_REQUESTS] = { "aws.lambda.free_requests", "requests/month",
	                                           "requests a month", COUNT, 0, COUNT_MAX },
	[CK_COST_KEY_AWS_LAMBDA_GB_SECOND] = { "aws.lambda.gb_second", "USD/GB-s", "per GB-s",
	                                       MONEY, 0, 0 },
	[CK_COST_KEY_AWS_LAMBDA_FREE_GB_SECONDS] = { "aws.lambda.free_gb_seconds", "GB-s/month",
	                                             "GB-s a month", COUNT, 0, COUNT_MAX },
	[CK_COST_KEY_AWS_LAMBDA_MEMORY] = { "aws.lambda.memory", "MB", "MB", COUNT, 128, 10240 },
	[CK_COST_KEY_AWS_LAMBDA_DURATION] = { "aws.lambda.duration", "ms", "ms", COUNT, 1, 900000 },
	[CK_COST_KEY_AWS_SNS_PUBLISH] = { "aws.sns.publish", "USD/1M-requests", "per 1M requests",
	                                  MONEY, 0, 0 },
	[CK_COST_KEY_AWS_SNS_FREE_PUBLISHES] = { "aws.sns.free_publishes", "requests/month",
	                                         "requests a month", COUNT, 0, COUNT_MAX },
	[CK_COST_KEY_AWS_SNS_SMS] = { "aws.sns.sms", "USD/SMS", "per SMS", MONEY, 0, 0 },
	[CK_COST_KEY_AWS_SNS_FREE_SMS] = { "aws.sns.free_sms", "SMS/month", "SMS a month", COUNT, 0,
	                                   COUNT_MAX },
	[CK_COST_KEY_AWS_SNS_EMAIL] = { "aws.sns.email", "USD/100K-emails", "per 100K emails",
	                                MONEY, 0, 0 },
	[CK_COST_KEY_AWS_SNS_FREE_EMAILS] = { "aws.sns.free_emails", "emails/month",
	                                      "emails a month", COUNT, 0, COUNT_MAX },
	[CK_COST_KEY_AWS_SNS_HTTP] = { "aws.sns.http", "USD/1M-deliveries", "per 1M deliveries",
	                               MONEY, 0, 0 },
	[CK_COST_KEY_AWS_SNS_FREE_HTTP] = { "aws.sns.free_http", "deliveries/month",
	                                    "deliveries a month", COUNT, 0, COUNT_MAX },
	[CK_COST_KEY_AWS_DYNAMODB_WRITE] = { "aws.dynamodb.write", "USD/1M-WRU", "per 1M WRU",
	                                     MONEY, 0, 0 },
	[CK_COST_KEY_SELF_SERVER_PRICE] = { "self.server.price", "USD/server", "per server", MONEY,
	                                    0, 0 },
	[CK_COST_KEY_SELF_SERVER_LIFE] = { "self.server.life", "days", "days", COUNT, 1, 36600 },
	[CK_COST_KEY_SELF_SERVER_WATTS] = { "self.server.watts", "W", "W", DECIMAL, 0, 0 },
	[CK_COST_KEY_SELF_POWER_PRICE] = { "self.power.price", "USD/kWh", "per kWh", MONEY, 0, 0 },
	[CK_COST_KEY_SELF_SMS_PRICE] = { "self.sms.price", "USD/SMS", "per SMS", MONEY, 0, 0 },
	[CK_COST_KEY_SELF_SMS_NUMBER] = { "self.sms.number", "USD/month", "per month", MONEY, 0,
	                                  0 },
};

struct item_spec {
	const char *id;
	const char *name;
	const char *unit;
	enum ck_cost_side side;
	enum ck_cost_key price;
	bool sms;
};

static const struct item_spec items[CK_COST_N_ITEMS] = {
	[CK_COST_ITEM_IOT_MESSAGES] = { "aws.iot.messages", "IoT Core messages", "messages",
	                                CK_COST_AWS, CK_COST_KEY_AWS_IOT_MESSAGE, false },
	[CK_COST_ITEM_IOT_RULES] = { "aws.iot.rules", "IoT Core rules triggered", "rules",
	                             CK_COST_AWS, CK_COST_KEY_AWS_IOT_RULE, false },
	[CK_COST_ITEM_IOT_ACTIONS] = { "aws.iot.actions", "IoT Core rule actions", "actions",
	                               CK_COST_AWS, CK_COST_KEY_AWS_IOT_ACTION, false },
	[CK_COST_ITEM_LAMBDA_REQUESTS] = { "aws.lambda.requests", "Lambda requests", "requests",
	                                   CK_COST_AWS, CK_COST_KEY_AWS_LAMBDA_REQUEST, false },
	[CK_COST_ITEM_LAMBDA_COMPUTE] = { "aws.lambda.compute", "Lambda compute", "GB-s",
	                                  CK_COST_AWS, CK_COST_KEY_AWS_LAMBDA_GB_SECOND, false },
	[CK_COST_ITEM_SNS_PUBLISHES] = { "aws.sns.publishes", "SNS publish requests", "requests",
	                                 CK_COST_AWS, CK_COST_KEY_AWS_SNS_PUBLISH, false },
	[CK_COST_ITEM_SNS_SMS] = { "aws.sns.sms", "SNS SMS", "SMS", CK_COST_AWS,
	                           CK_COST_KEY_AWS_SNS_SMS, true },
	[CK_COST_ITEM_SNS_EMAIL] = { "aws.sns.email", "SNS email", "emails", CK_COST_AWS,
	                             CK_COST_KEY_AWS_SNS_EMAIL, false },
	[CK_COST_ITEM_SNS_HTTP] = { "aws.sns.http", "SNS HTTP/S deliveries", "deliveries",
	                            CK_COST_AWS, CK_COST_KEY_AWS_SNS_HTTP, false },
	[CK_COST_ITEM_DYNAMODB_WRITES] = { "aws.dynamodb.writes", "DynamoDB writes", "WRU",
	                                   CK_COST_AWS, CK_COST_KEY_AWS_DYNAMODB_WRITE, false },
	[CK_COST_ITEM_SELF_SERVER] = { "self.server", "Server amortisation", "days", CK_COST_SELF,
	                               CK_COST_KEY_SELF_SERVER_PRICE, false },
	[CK_COST_ITEM_SELF_POWER] = { "self.power", "Server power", "kWh", CK_COST_SELF,
	                              CK_COST_KEY_SELF_POWER_PRICE, false },
	[CK_COST_ITEM_SELF_SMS] = { "self.sms", "SMS gateway messages", "SMS", CK_COST_SELF,
	                            CK_COST_KEY_SELF_SMS_PRICE, true },
	[CK_COST_ITEM_SELF_SMS_NUMBER] = { "self.sms.number", "SMS gateway number", "days",
	                                   CK_COST_SELF, CK_COST_KEY_SELF_SMS_NUMBER, true },
};

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Copies at most 40 bytes of tok into buf for an error message, with
 * anything but printable ASCII shown as '?'. */
static const char *shown(const char *tok, size_t len, char *buf, size_t buf_len)
{
	size_t n = len < 40 ? len : 40;
	size_t i;

	if (n + 4 > buf_len)
		n = buf_len - 4;
	for (i = 0; i < n; i++)
		buf[i] = (tok[i] >= 0x20 && tok[i] < 0x7f) ? tok[i] : '?';
	if (n < len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Parses [0-9]{1,8}(\.[0-9]{1,10})? into 1e-10 units. Returns 0 or -EINVAL
 * with a reason in why. */
static int parse_value(const char *s, size_t len, bool whole, int64_t *out, const char **why)
{
	int64_t ip = 0, fp = 0, mul = CK_COST_SCALE;
	size_t i = 0, digits = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (++digits > CK_COST_INT_MAX) {
			*why = "has more than 8 digits before the point";
			return -EINVAL;
		}
		ip = ip * 10 + (s[i++] - '0');
	}
	if (digits == 0) {
		*why = "is not a number (digits and at most one '.', no sign)";
		return -EINVAL;
	}
	if (i < len && s[i] == '.') {
		if (whole) {
			*why = "must be a whole number";
			return -EINVAL;
		}
		i++;
		digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++digits > CK_COST_FRAC_MAX) {
				*why = "has more than 10 digits after the point";
				return -EINVAL;
			}
			mul /= 10;
			fp += (s[i++] - '0') * mul;
		}
		if (digits == 0) {
			*why = "has no digits after the point";
			return -EINVAL;
		}
	}
	if (i != len) {
		*why = "is not a number (digits and at most one '.', no sign)";
		return -EINVAL;
	}
	*out = ip * CK_COST_SCALE + fp;
	return 0;
}

static bool valid_date(const char *s, size_t len)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (len != CK_COST_DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

static bool valid_source(const char *s, size_t len)
{
	if (len >= CK_COST_SOURCE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	}
	if (len == 10 && memcmp(s, "assumption", 10) == 0)
		return true;
	if (len > 8 && memcmp(s, "https://", 8) == 0)
		return true;
	return len > 7 && memcmp(s, "http://", 7) == 0;
}

static int find_key(const char *s, size_t len)
{
	for (int k = 0; k < CK_COST_N_KEYS; k++) {
		if (strlen(keys[k].name) == len && memcmp(keys[k].name, s, len) == 0)
			return k;
	}
	return -1;
}

struct field {
	const char *s;
	size_t len;
};

/* Parses one non-blank, non-comment line into out. seen has one flag per
 * key. Returns 0 or -EINVAL with "line N: ..." in err. */
static int parse_line(const char *s, size_t len, unsigned lineno, struct ck_cost_prices *out,
                      bool *seen, char *err, size_t err_len)
{
	struct field f[6];
	char a[48], b[48];
	const char *why = NULL;
	size_t n = 0, i = 0;
	int64_t v;
	int k;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == 6)
			break;
		f[n].s = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		f[n].len = (size_t)(s + i - f[n].s);
		n++;
	}
	if (n != 5) {
		set_err(err, err_len,
		        "line %u: expected KEY VALUE UNIT SOURCE DATE, found %s%zu field%s", lineno,
		        n == 6 ? "more than " : "", n == 6 ? (size_t)5 : n, n == 1 ? "" : "s");
		return -EINVAL;
	}
	k = find_key(f[0].s, f[0].len);
	if (k < 0) {
		set_err(err, err_len, "line %u: unknown price key '%s'", lineno,
		        shown(f[0].s, f[0].len, a, sizeof(a)));
		return -EINVAL;
	}
	if (seen[k]) {
		set_err(err, err_len, "line %u: price key '%s' given twice (first on line %u)",
		        lineno, keys[k].name, out->p[k].line);
		return -EINVAL;
	}
	if (parse_value(f[1].s, f[1].len, keys[k].kind == COUNT, &v, &why) < 0) {
		set_err(err, err_len, "line %u: %s: value '%s' %s", lineno, keys[k].name,
		        shown(f[1].s, f[1].len, a, sizeof(a)), why);
		return -EINVAL;
	}
	if (keys[k].kind == COUNT &&
	    (v < keys[k].min * CK_COST_SCALE || v > keys[k].max * CK_COST_SCALE)) {
		set_err(err, err_len, "line %u: %s: value %s is outside %lld..%lld", lineno,
		        keys[k].name, shown(f[1].s, f[1].len, a, sizeof(a)), (long long)keys[k].min,
		        (long long)keys[k].max);
		return -EINVAL;
	}
	if (strlen(keys[k].unit) != f[2].len || memcmp(keys[k].unit, f[2].s, f[2].len) != 0) {
		set_err(err, err_len, "line %u: %s: unit '%s' should be '%s'", lineno, keys[k].name,
		        shown(f[2].s, f[2].len, a, sizeof(a)), keys[k].unit);
		return -EINVAL;
	}
	if (!valid_source(f[3].s, f[3].len)) {
		set_err(err, err_len,
		        "line %u: %s: source '%s' is not an http(s) URL or 'assumption'", lineno,
		        keys[k].name, shown(f[3].s, f[3].len, a, sizeof(a)));
		return -EINVAL;
	}
	if (!valid_date(f[4].s, f[4].len)) {
		set_err(err, err_len, "line %u: %s: date '%s' is not a valid YYYY-MM-DD", lineno,
		        keys[k].name, shown(f[4].s, f[4].len, b, sizeof(b)));
		return -EINVAL;
	}
	seen[k] = true;
	out->p[k].value = v;
	out->p[k].line = lineno;
	memcpy(out->p[k].source, f[3].s, f[3].len);
	out->p[k].source[f[3].len] = '\0';
	memcpy(out->p[k].date, f[4].s, f[4].len);
	out->p[k].date[f[4].len] = '\0';
	return 0;
}

/* Parses a price file; see cost.h. */
int ck_cost_prices_parse(const char *text, size_t len, struct ck_cost_prices *out, char *err,
                         size_t err_len)
{
	bool seen[CK_COST_N_KEYS] = { false };
	unsigned lineno = 0;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	set_err(err, err_len, "%s", "");
	if (len > CK_COST_FILE_MAX) {
		set_err(err, err_len, "larger than %d bytes", CK_COST_FILE_MAX);
		return -E2BIG;
	}
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t i = 0;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > CK_COST_LINE_MAX) {
			set_err(err, err_len, "line %u: longer than %d bytes", lineno,
			        CK_COST_LINE_MAX);
			return -EINVAL;
		}
		for (size_t j = 0; j < n; j++) {
			unsigned char c = (unsigned char)line[j];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				set_err(err, err_len, "line %u: control character 0x%02x", lineno,
				        c);
				return -EINVAL;
			}
		}
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n || line[i] == '#')
			continue;
		if (parse_line(line + i, n - i, lineno, out, seen, err, err_len) < 0)
			return -EINVAL;
	}
	for (int k = 0; k < CK_COST_N_KEYS; k++) {
		if (!seen[k]) {
			set_err(err, err_len, "missing price key '%s' (unit %s)", keys[k].name,
			        keys[k].unit);
			return -EINVAL;
		}
	}
	return 0;
}

/* Key names, units and reading; see cost.h. */
const char *ck_cost_key_name(enum ck_cost_key k)
{
	return (unsigned)k < CK_COST_N_KEYS ? keys[k].name : NULL;
}

const char *ck_cost_key_unit(enum ck_cost_key k)
{
	return (unsigned)k < CK_COST_N_KEYS ? keys[k].unit : NULL;
}

const char *ck_cost_key_per(enum ck_cost_key k)
{
	return (unsigned)k < CK_COST_N_KEYS ? keys[k].per : NULL;
}

enum round_mode { FLOOR, HALF_UP };

/* *out = a * b / d, rounded as asked; *rounded is set when the division
 * left a remainder. a, b >= 0, d > 0. Returns 0 or -EOVERFLOW. */
static int muldiv(int64_t a, int64_t b, int64_t d, enum round_mode mode, int64_t *out,
                  bool *rounded)
{
	u128 p = (u128)(uint64_t)a * (u128)(uint64_t)b;
	u128 q = p / (u128)(uint64_t)d;
	u128 r = p % (u128)(uint64_t)d;

	if (r != 0 && rounded)
		*rounded = true;
	if (mode == HALF_UP && r * 2 >= (u128)(uint64_t)d)
		q++;
	if (q > (u128)INT64_MAX)
		return -EOVERFLOW;
	*out = (int64_t)q;
	return 0;
}

static int mul3(int64_t a, int64_t b, int64_t c, int64_t *out)
{
	int64_t ab;

	if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, out))
		return -EOVERFLOW;
	return 0;
}

/* The whole units of a COUNT key. */
static int64_t count(const struct ck_cost_prices *p, enum ck_cost_key k)
{
	return p->p[k].value / CK_COST_SCALE;
}

/* A monthly allowance of `monthly` base units prorated to days, rounded
 * down; 0 without the free tier. */
static int free_for(const struct ck_cost_input *in, int64_t monthly, int64_t *out)
{
	if (!in->free_tier) {
		*out = 0;
		return 0;
	}
	return muldiv(monthly, in->days, CK_COST_MONTH_DAYS, FLOOR, out, NULL);
}

/*
 * Fills line l: `used` and `free` are counts of a base unit, `unit_base` of
 * which make one displayed unit (1 for messages, 1024000 MB-ms per GB-s);
 * the price is for `price_base` base units. The cost is billed x price /
 * price_base, rounded half up at 1e-10 USD when inexact.
 */
static int bill(struct ck_cost_line *l, int64_t used, int64_t free, int64_t unit_base,
                int64_t price, int64_t price_base)
{
	int64_t billed = used > free ? used - free : 0;
	int rc;

	rc = muldiv(used, CK_COST_QTY_SCALE, unit_base, HALF_UP, &l->quantity, NULL);
	if (rc == 0)
		rc = muldiv(free, CK_COST_QTY_SCALE, unit_base, HALF_UP, &l->free, NULL);
	if (rc == 0)
		rc = muldiv(billed, CK_COST_QTY_SCALE, unit_base, HALF_UP, &l->billed, NULL);
	if (rc == 0)
		rc = muldiv(billed, price, price_base, HALF_UP, &l->cost, &l->rounded);
	return rc;
}

static int check_input(const char *what, int64_t v, int64_t min, int64_t max, char *err,
                       size_t err_len)
{
	if (v >= min && v <= max)
		return 0;
	set_err(err, err_len, "%s must be from %lld to %lld, not %lld", what, (long long)min,
	        (long long)max, (long long)v);
	return -EINVAL;
}

/* The quantities and costs of every line; see ck_cost_estimate. */
static int compute(const struct ck_cost_input *in, const struct ck_cost_prices *p,
                   struct ck_cost_estimate *out)
{
	const int64_t presses = out->presses;
	int64_t sms, emails, webhooks, mbms, free, wh, v;
	struct ck_cost_line *L = out->lines;
	int rc = 0;

	sms = presses * in->sms_per_press;
	emails = presses * in->emails_per_press;
	webhooks = presses * in->webhooks_per_press;
#define PRICE(k) (p->p[k].value)
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		rc = (expr);                                                                       \
		if (rc < 0)                                                                        \
			return rc;                                                                 \
	} while (0)
	TRY(bill(&L[CK_COST_ITEM_IOT_MESSAGES], presses, 0, 1, PRICE(CK_COST_KEY_AWS_IOT_MESSAGE),
	         1000000));
	TRY(bill(&L[CK_COST_ITEM_IOT_RULES], presses, 0, 1, PRICE(CK_COST_KEY_AWS_IOT_RULE),
	         1000000));
	TRY(bill(&L[CK_COST_ITEM_IOT_ACTIONS], presses, 0, 1, PRICE(CK_COST_KEY_AWS_IOT_ACTION),
	         1000000));

	TRY(free_for(in, count(p, CK_COST_KEY_AWS_LAMBDA_FREE_REQUESTS), &free));
	TRY(bill(&L[CK_COST_ITEM_LAMBDA_REQUESTS], presses, free, 1,
	         PRICE(CK_COST_KEY_AWS_LAMBDA_REQUEST), 1000000));
	TRY(mul3(presses, count(p, CK_COST_KEY_AWS_LAMBDA_DURATION),
	         count(p, CK_COST_KEY_AWS_LAMBDA_MEMORY), &mbms));
	TRY(mul3(count(p, CK_COST_KEY_AWS_LAMBDA_FREE_GB_SECONDS), MB_MS_PER_GB_S, 1, &v));
	TRY(free_for(in, v, &free));
	TRY(bill(&L[CK_COST_ITEM_LAMBDA_COMPUTE], mbms, free, MB_MS_PER_GB_S,
	         PRICE(CK_COST_KEY_AWS_LAMBDA_GB_SECOND), MB_MS_PER_GB_S));

	TRY(free_for(in, count(p, CK_COST_KEY_AWS_SNS_FREE_PUBLISHES), &free));
	v = (sms > 0 || emails > 0 || webhooks > 0) ? presses : 0;
	TRY(bill(&L[CK_COST_ITEM_SNS_PUBLISHES], v, free, 1, PRICE(CK_COST_KEY_AWS_SNS_PUBLISH),
	         1000000));
	TRY(free_for(in, count(p, CK_COST_KEY_AWS_SNS_FREE_SMS), &free));
	TRY(bill(&L[CK_COST_ITEM_SNS_SMS], sms, free, 1, PRICE(CK_COST_KEY_AWS_SNS_SMS), 1));
	TRY(free_for(in, count(p, CK_COST_KEY_AWS_SNS_FREE_EMAILS), &free));
	TRY(bill(&L[CK_COST_ITEM_SNS_EMAIL], emails, free, 1, PRICE(CK_COST_KEY_AWS_SNS_EMAIL),
	         100000));
	TRY(free_for(in, count(p, CK_COST_KEY_AWS_SNS_FREE_HTTP), &free));
	TRY(bill(&L[CK_COST_ITEM_SNS_HTTP], webhooks, free, 1, PRICE(CK_COST_KEY_AWS_SNS_HTTP),
	         1000000));
	TRY(bill(&L[CK_COST_ITEM_DYNAMODB_WRITES], presses, 0, 1,
	         PRICE(CK_COST_KEY_AWS_DYNAMODB_WRITE), 1000000));

	TRY(bill(&L[CK_COST_ITEM_SELF_SERVER], in->days, 0, 1, PRICE(CK_COST_KEY_SELF_SERVER_PRICE),
	         count(p, CK_COST_KEY_SELF_SERVER_LIFE)));
	/* Energy in 1e-10 Wh: watts (1e-10 W) x 24 h x days. */
	TRY(mul3(PRICE(CK_COST_KEY_SELF_SERVER_WATTS), 24, in->days, &wh));
	TRY(bill(&L[CK_COST_ITEM_SELF_POWER], wh, 0, WH_PER_KWH * CK_COST_SCALE,
	         PRICE(CK_COST_KEY_SELF_POWER_PRICE), WH_PER_KWH * CK_COST_SCALE));
	TRY(bill(&L[CK_COST_ITEM_SELF_SMS], sms, 0, 1, PRICE(CK_COST_KEY_SELF_SMS_PRICE), 1));
	TRY(bill(&L[CK_COST_ITEM_SELF_SMS_NUMBER], sms > 0 ? in->days : 0, 0, 1,
	         PRICE(CK_COST_KEY_SELF_SMS_NUMBER), CK_COST_MONTH_DAYS));
#undef TRY
#undef PRICE
	return 0;
}

/* Estimates; see cost.h. */
int ck_cost_estimate(const struct ck_cost_input *in, const struct ck_cost_prices *p,
                     struct ck_cost_estimate *out, char *err, size_t err_len)
{
	int rc;

	memset(out, 0, sizeof(*out));
	set_err(err, err_len, "%s", "");
	if (check_input("buttons", in->buttons, 1, CK_COST_BUTTONS_MAX, err, err_len) < 0 ||
	    check_input("presses per day", in->presses_per_day, 0, CK_COST_PRESSES_MAX, err,
	                err_len) < 0 ||
	    check_input("days", in->days, 1, CK_COST_DAYS_MAX, err, err_len) < 0 ||
	    check_input("SMS per press", in->sms_per_press, 0, CK_COST_PER_PRESS_MAX, err,
	                err_len) < 0 ||
	    check_input("emails per press", in->emails_per_press, 0, CK_COST_PER_PRESS_MAX, err,
	                err_len) < 0 ||
	    check_input("webhooks per press", in->webhooks_per_press, 0, CK_COST_PER_PRESS_MAX, err,
	                err_len) < 0)
		return -EINVAL;
	for (int k = 0; k < CK_COST_N_KEYS; k++) {
		const struct key_spec *ks = &keys[k];
		int64_t v = p->p[k].value;
		if (v < 0 ||
		    (ks->kind == COUNT && (v % CK_COST_SCALE != 0 || v < ks->min * CK_COST_SCALE ||
		                           v > ks->max * CK_COST_SCALE))) {
			set_err(err, err_len, "price %s is out of range", ks->name);
			return -EINVAL;
		}
	}
	/* Within the ceilings these products fit easily (< 2^62). */
	out->presses = in->buttons * in->presses_per_day * in->days;
	for (int i = 0; i < CK_COST_N_ITEMS; i++) {
		out->lines[i].item = (enum ck_cost_item)i;
		out->lines[i].side = items[i].side;
		out->lines[i].id = items[i].id;
		out->lines[i].name = items[i].name;
		out->lines[i].unit = items[i].unit;
		out->lines[i].price = items[i].price;
		out->lines[i].sms = items[i].sms;
	}
	rc = compute(in, p, out);
	for (int i = 0; rc == 0 && i < CK_COST_N_ITEMS; i++) {
		const struct ck_cost_line *l = &out->lines[i];
		if (__builtin_add_overflow(out->total[l->side], l->cost, &out->total[l->side]))
			rc = -EOVERFLOW;
		else if (!l->sms && __builtin_add_overflow(out->total_without_sms[l->side], l->cost,
		                                           &out->total_without_sms[l->side]))
			rc = -EOVERFLOW;
	}
	if (rc < 0) {
		set_err(err, err_len, "the estimate is too large to compute exactly (over $%lld)",
		        (long long)(INT64_MAX / CK_COST_SCALE));
		return rc;
	}
	return 0;
}

/* Writes v / 10^digits as a decimal with at least min_frac and at most
 * `digits` fractional digits, trailing zeros dropped. */
static int format_scaled(int64_t v, unsigned digits, unsigned min_frac, char *buf, size_t len)
{
	uint64_t scale = 1, u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char frac[24]; /* any uint64_t, so the compiler sees it cannot truncate */
	unsigned n = digits;
	int w;

	for (unsigned i = 0; i < digits; i++)
		scale *= 10;
	if (min_frac > digits)
		min_frac = digits;
	snprintf(frac, sizeof(frac), "%0*llu", (int)digits, (unsigned long long)(u % scale));
	while (n > min_frac && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	w = snprintf(buf, len, "%s%llu%s%s", v < 0 ? "-" : "", (unsigned long long)(u / scale),
	             n ? "." : "", frac);
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	return 0;
}

/* Exact decimal formatting; see cost.h. */
int ck_cost_format(int64_t v, unsigned min_frac, char *buf, size_t len)
{
	return format_scaled(v, CK_COST_FRAC_MAX, min_frac, buf, len);
}

/* Quantity formatting; see cost.h. */
int ck_cost_format_qty(int64_t v, unsigned min_frac, char *buf, size_t len)
{
	return format_scaled(v, 3, min_frac, buf, len);
}

/* Half-up rounding to `digits` decimals; see cost.h. */
int64_t ck_cost_round(int64_t v, unsigned digits)
{
	int64_t unit = 1, r;

	if (digits >= CK_COST_FRAC_MAX)
		return v;
	for (unsigned i = digits; i < CK_COST_FRAC_MAX; i++)
		unit *= 10;
	if (v < 0) {
		if (v < -INT64_MAX + unit)
			return v;
		return -ck_cost_round(-v, digits);
	}
	r = v % unit;
	if (r * 2 >= unit) {
		if (v > INT64_MAX - (unit - r))
			return v;
		return v - r + unit;
	}
	return v - r;
}
