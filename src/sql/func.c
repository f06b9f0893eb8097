/*
 * IoT SQL functions (rules-sql.md §13): one static table of names, argument
 * counts and implementations, looked up at compile time so an unknown name
 * or a wrong argument count is a compile error. Implementations are total:
 * arguments that do not convert give Undefined. String positions count
 * characters (UTF-8 code points); case mapping is ASCII only. newuuid() and
 * rand() read the kernel's random source (getrandom); everything else
 * depends only on the arguments and the message.
 */
#include "sql/sql_int.h"

#include <math.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

typedef struct ck_sql_val val;
typedef struct ck_sql_ctx ctx;

/* String conversion of an argument (Null/Undefined give Undefined). */
static val sconv(ctx *c, val v)
{
	return ck_sql_to_string(&c->arena, v, c->ver);
}

static double dbl(val v)
{
	return v.t == CK_SQL_INT ? (double)v.u.i : v.u.d;
}

/* ---- message ---- */

static val fn_topic(ctx *c, const val *a, size_t n)
{
	const char *t = c->msg->topic;
	if (!t)
		return ck_sql_undef();
	size_t len = strlen(t);
	if (n == 0)
		return ck_sql_str(t, len);
	int64_t want;
	if (!ck_sql_to_int(a[0], &want) || want < 1)
		return ck_sql_undef();
	const char *p = t;
	for (int64_t level = 1; level < want; level++) {
		p = strchr(p, '/');
		if (!p)
			return ck_sql_undef();
		p++;
	}
	return ck_sql_str_copy(&c->arena, p, strcspn(p, "/"));
}

static val fn_clientid(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	const char *id = c->msg->client_id ? c->msg->client_id : "n/a";
	return ck_sql_str(id, strlen(id));
}

/* accountid(): the account (tenant) id clickd is configured with. */
static val fn_accountid(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	if (!c->msg->account_id)
		return ck_sql_undef();
	return ck_sql_str(c->msg->account_id, strlen(c->msg->account_id));
}

/* traceid(): the message's trace id (a UUID), Undefined when it has none. */
static val fn_traceid(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	if (!c->msg->trace_id)
		return ck_sql_undef();
	return ck_sql_str(c->msg->trace_id, strlen(c->msg->trace_id));
}

static val fn_principal(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	if (!c->msg->principal)
		return ck_sql_undef();
	return ck_sql_str(c->msg->principal, strlen(c->msg->principal));
}

static val fn_timestamp(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	return ck_sql_int(c->msg->timestamp_ms);
}

static val fn_sql_version(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	const char *name = ck_sql_version_name(c->ver);
	return ck_sql_str(name, strlen(name));
}

static val fn_newuuid(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return ck_sql_undef();
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	char s[37];
	snprintf(s, sizeof(s),
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
	return ck_sql_str_copy(&c->arena, s, 36);
}

static val fn_rand(ctx *c, const val *a, size_t n)
{
	(void)a;
	(void)n;
	uint64_t r;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return ck_sql_undef();
	double d = (double)(r >> 11) / 9007199254740992.0; /* 53 bits: [0, 1) */
	/* keep it a Decimal even in 2016-03-23 when it happens to be 0 */
	struct ck_sql_val v = { .t = CK_SQL_DEC, .u.d = d };
	(void)c;
	return v;
}

/* ---- strings ---- */

static val map_case(ctx *c, val v, bool up)
{
	v = sconv(c, v);
	if (v.t != CK_SQL_STR)
		return v;
	char *s = ck_sql_arena_strdup(&c->arena, v.u.s.p, v.u.s.n);
	if (!s)
		return ck_sql_undef();
	for (size_t i = 0; i < v.u.s.n; i++) {
		if (up && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if (!up && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
	return ck_sql_str(s, v.u.s.n);
}

static val fn_upper(ctx *c, const val *a, size_t n)
{
	(void)n;
	return map_case(c, a[0], true);
}

static val fn_lower(ctx *c, const val *a, size_t n)
{
	(void)n;
	return map_case(c, a[0], false);
}

static val fn_concat(ctx *c, const val *a, size_t n)
{
	bool any_arr = false, any_str = false;
	for (size_t i = 0; i < n; i++) {
		if (a[i].t == CK_SQL_UNDEF)
			return ck_sql_undef();
		any_arr |= a[i].t == CK_SQL_ARR;
		any_str |= a[i].t == CK_SQL_STR;
	}
	if (n == 1)
		return sconv(c, a[0]);
	if (any_arr) {
		size_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += a[i].t == CK_SQL_ARR ? a[i].u.a->n : 1;
		if (total > CK_SQL_STR_MAX)
			return ck_sql_undef();
		val *v = ck_sql_arena_alloc(&c->arena, (total + 1) * sizeof(*v));
		struct ck_sql_arr *arr = ck_sql_arena_alloc(&c->arena, sizeof(*arr));
		if (!v || !arr)
			return ck_sql_undef();
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (a[i].t != CK_SQL_ARR) {
				v[k++] = a[i];
				continue;
			}
			for (size_t j = 0; j < a[i].u.a->n; j++)
				v[k++] = a[i].u.a->v[j];
		}
		arr->n = k;
		arr->v = v;
		val out = { .t = CK_SQL_ARR, .u.a = arr };
		return out;
	}
	if (!any_str)
		return ck_sql_undef();
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c->arena);
	for (size_t i = 0; i < n; i++) {
		val s = sconv(c, a[i]);
		if (s.t != CK_SQL_STR)
			return ck_sql_undef();
		ck_sql_buf_add(&b, s.u.s.p, s.u.s.n);
	}
	return ck_sql_buf_val(&b);
}

static val fn_substring(ctx *c, const val *a, size_t n)
{
	val s = sconv(c, a[0]);
	int64_t start, end;
	if (s.t != CK_SQL_STR || !ck_sql_to_int_floor(a[1], &start))
		return ck_sql_undef();
	int64_t len = (int64_t)ck_sql_utf8_len(s.u.s.p, s.u.s.n);
	end = len;
	if (n == 3 && !ck_sql_to_int_floor(a[2], &end))
		return ck_sql_undef();
	start = start < 0 ? 0 : start > len ? len : start;
	end = end < 0 ? 0 : end > len ? len : end;
	if (start >= end)
		return ck_sql_str("", 0);
	size_t from = ck_sql_utf8_offset(s.u.s.p, s.u.s.n, (size_t)start);
	size_t to = ck_sql_utf8_offset(s.u.s.p, s.u.s.n, (size_t)end);
	return ck_sql_str_copy(&c->arena, s.u.s.p + from, to - from);
}

static val trim_impl(ctx *c, val v, bool left, bool right)
{
	v = sconv(c, v);
	if (v.t != CK_SQL_STR)
		return v;
	size_t from = 0, to = v.u.s.n;
	while (left && from < to && (v.u.s.p[from] == ' ' || v.u.s.p[from] == '\t'))
		from++;
	while (right && to > from && (v.u.s.p[to - 1] == ' ' || v.u.s.p[to - 1] == '\t'))
		to--;
	return ck_sql_str_copy(&c->arena, v.u.s.p + from, to - from);
}

static val fn_trim(ctx *c, const val *a, size_t n)
{
	(void)n;
	return trim_impl(c, a[0], true, true);
}

static val fn_ltrim(ctx *c, const val *a, size_t n)
{
	(void)n;
	return trim_impl(c, a[0], true, false);
}

static val fn_rtrim(ctx *c, const val *a, size_t n)
{
	(void)n;
	return trim_impl(c, a[0], false, true);
}

static val fn_startswith(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]), p = sconv(c, a[1]);
	if (s.t != CK_SQL_STR || p.t != CK_SQL_STR)
		return ck_sql_undef();
	return ck_sql_bool(p.u.s.n <= s.u.s.n && memcmp(s.u.s.p, p.u.s.p, p.u.s.n) == 0);
}

static val fn_endswith(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]), p = sconv(c, a[1]);
	if (s.t != CK_SQL_STR || p.t != CK_SQL_STR)
		return ck_sql_undef();
	return ck_sql_bool(p.u.s.n <= s.u.s.n &&
	                   memcmp(s.u.s.p + s.u.s.n - p.u.s.n, p.u.s.p, p.u.s.n) == 0);
}

/* First byte offset of needle in hay at or after from, or hay length. */
static size_t find(val hay, val needle, size_t from)
{
	if (needle.u.s.n == 0)
		return from;
	for (size_t i = from; i + needle.u.s.n <= hay.u.s.n; i++)
		if (memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n) == 0)
			return i;
	return hay.u.s.n;
}

static val fn_replace(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]), from = sconv(c, a[1]), to = sconv(c, a[2]);
	if (s.t != CK_SQL_STR || from.t != CK_SQL_STR || to.t != CK_SQL_STR)
		return ck_sql_undef();
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c->arena);
	if (from.u.s.n == 0) { /* like Java: the replacement around every character */
		ck_sql_buf_add(&b, to.u.s.p, to.u.s.n);
		for (size_t i = 0; i < s.u.s.n && !b.fail; i++) {
			ck_sql_buf_addc(&b, s.u.s.p[i]);
			if (i + 1 == s.u.s.n || ((unsigned char)s.u.s.p[i + 1] & 0xc0) != 0x80)
				ck_sql_buf_add(&b, to.u.s.p, to.u.s.n);
		}
		return ck_sql_buf_val(&b);
	}
	size_t pos = 0;
	while (pos <= s.u.s.n && !b.fail) {
		size_t hit = find(s, from, pos);
		ck_sql_buf_add(&b, s.u.s.p + pos, hit - pos);
		if (hit >= s.u.s.n)
			break;
		ck_sql_buf_add(&b, to.u.s.p, to.u.s.n);
		pos = hit + from.u.s.n;
	}
	return ck_sql_buf_val(&b);
}

static val fn_length(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]);
	if (s.t != CK_SQL_STR)
		return ck_sql_undef();
	return ck_sql_int((int64_t)ck_sql_utf8_len(s.u.s.p, s.u.s.n));
}

static val fn_numbytes(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]);
	if (s.t != CK_SQL_STR)
		return ck_sql_undef();
	return ck_sql_int((int64_t)s.u.s.n);
}

static val fn_indexof(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]), sub = sconv(c, a[1]);
	if (s.t != CK_SQL_STR || sub.t != CK_SQL_STR)
		return ck_sql_undef();
	size_t hit = find(s, sub, 0);
	if (hit >= s.u.s.n && !(sub.u.s.n == 0))
		return ck_sql_int(-1);
	return ck_sql_int((int64_t)ck_sql_utf8_len(s.u.s.p, hit));
}

static val pad(ctx *c, const val *a, bool left)
{
	val s = sconv(c, a[0]);
	int64_t k;
	if (s.t != CK_SQL_STR || !ck_sql_to_int_floor(a[1], &k))
		return ck_sql_undef();
	k = k < 0 ? 0 : k > 1000 ? 1000 : k;
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c->arena);
	if (!left)
		ck_sql_buf_add(&b, s.u.s.p, s.u.s.n);
	for (int64_t i = 0; i < k; i++)
		ck_sql_buf_addc(&b, ' ');
	if (left)
		ck_sql_buf_add(&b, s.u.s.p, s.u.s.n);
	return ck_sql_buf_val(&b);
}

static val fn_lpad(ctx *c, const val *a, size_t n)
{
	(void)n;
	return pad(c, a, true);
}

static val fn_rpad(ctx *c, const val *a, size_t n)
{
	(void)n;
	return pad(c, a, false);
}

static val fn_chr(ctx *c, const val *a, size_t n)
{
	(void)n;
	int64_t cp;
	if (!ck_sql_to_int_floor(a[0], &cp) || cp < 1 || cp > 127)
		return ck_sql_undef();
	char ch = (char)cp;
	return ck_sql_str_copy(&c->arena, &ch, 1);
}

/* ---- numbers ---- */

static val num_arg(ctx *c, val v)
{
	return ck_sql_to_number(v, c->ver);
}

static val fn_abs(ctx *c, const val *a, size_t n)
{
	(void)n;
	val v = num_arg(c, a[0]);
	if (v.t == CK_SQL_INT)
		return v.u.i == INT64_MIN ? ck_sql_dec(-(double)v.u.i, c->ver)
		                          : ck_sql_int(v.u.i < 0 ? -v.u.i : v.u.i);
	if (v.t == CK_SQL_DEC)
		return ck_sql_dec(ck_sql_fabs(v.u.d), c->ver);
	return v;
}

/* An integral double as an Int (kept Decimal outside int64). */
static val whole(ctx *c, double d)
{
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return ck_sql_int((int64_t)d);
	return ck_sql_dec(d, c->ver);
}

static val round_impl(ctx *c, val v, double (*f)(double))
{
	v = num_arg(c, v);
	if (v.t != CK_SQL_DEC)
		return v;
	return whole(c, f(v.u.d));
}

static val fn_round(ctx *c, const val *a, size_t n)
{
	(void)n;
	return round_impl(c, a[0], ck_sql_round);
}

static val fn_ceil(ctx *c, const val *a, size_t n)
{
	(void)n;
	return round_impl(c, a[0], ck_sql_ceil);
}

static val fn_floor(ctx *c, const val *a, size_t n)
{
	(void)n;
	return round_impl(c, a[0], ck_sql_floor);
}

static val fn_sign(ctx *c, const val *a, size_t n)
{
	(void)n;
	val v = num_arg(c, a[0]);
	if (v.t == CK_SQL_UNDEF)
		return v;
	double d = dbl(v);
	return ck_sql_int((d > 0) - (d < 0));
}

static val fn_mod(ctx *c, const val *a, size_t n)
{
	(void)n;
	return ck_sql_arith(c, CK_N_MOD, a[0], a[1]);
}

/* A libm function of one numeric argument; non-finite results are Undefined. */
static val math1(ctx *c, val v, double (*f)(double))
{
	v = num_arg(c, v);
	if (v.t == CK_SQL_UNDEF)
		return v;
	return ck_sql_dec(f(dbl(v)), c->ver);
}

#define MATH1(name, f)                                                                             \
	static val fn_##name(ctx *c, const val *a, size_t n)                                       \
	{                                                                                          \
		(void)n;                                                                           \
		return math1(c, a[0], f);                                                          \
	}

MATH1(sqrt, sqrt)
MATH1(exp, exp)
MATH1(ln, log)
MATH1(log, log10)
MATH1(sin, sin)
MATH1(cos, cos)
MATH1(tan, tan)
MATH1(asin, asin)
MATH1(acos, acos)
MATH1(atan, atan)
MATH1(sinh, sinh)
MATH1(cosh, cosh)
MATH1(tanh, tanh)

static val math2(ctx *c, const val *a, double (*f)(double, double))
{
	val x = num_arg(c, a[0]), y = num_arg(c, a[1]);
	if (x.t == CK_SQL_UNDEF || y.t == CK_SQL_UNDEF)
		return ck_sql_undef();
	return ck_sql_dec(f(dbl(x), dbl(y)), c->ver);
}

static val fn_power(ctx *c, const val *a, size_t n)
{
	(void)n;
	return math2(c, a, pow);
}

static val fn_atan2(ctx *c, const val *a, size_t n)
{
	(void)n;
	return math2(c, a, atan2);
}

static bool int_arg(val v, int64_t *out)
{
	if (v.t != CK_SQL_INT && v.t != CK_SQL_DEC && v.t != CK_SQL_STR)
		return false;
	return ck_sql_to_int_floor(v, out);
}

static val bitop(const val *a, size_t n, char op)
{
	int64_t x, y = 0;
	if (!int_arg(a[0], &x) || (n > 1 && !int_arg(a[1], &y)))
		return ck_sql_undef();
	uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
	switch (op) {
	case '&':
		return ck_sql_int((int64_t)(ux & uy));
	case '|':
		return ck_sql_int((int64_t)(ux | uy));
	case '^':
		return ck_sql_int((int64_t)(ux ^ uy));
	default:
		return ck_sql_int((int64_t)~ux);
	}
}

static val fn_bitand(ctx *c, const val *a, size_t n)
{
	(void)c;
	return bitop(a, n, '&');
}

static val fn_bitor(ctx *c, const val *a, size_t n)
{
	(void)c;
	return bitop(a, n, '|');
}

static val fn_bitxor(ctx *c, const val *a, size_t n)
{
	(void)c;
	return bitop(a, n, '^');
}

static val fn_bitnot(ctx *c, const val *a, size_t n)
{
	(void)c;
	return bitop(a, n, '~');
}

static val fn_trunc(ctx *c, const val *a, size_t n)
{
	(void)n;
	val x = num_arg(c, a[0]);
	int64_t places;
	if (x.t == CK_SQL_UNDEF || !ck_sql_to_int_floor(a[1], &places))
		return ck_sql_undef();
	if (x.t == CK_SQL_INT)
		return x;
	places = places < 0 ? 0 : places > 34 ? 34 : places;
	double d = x.u.d;
	double ad = ck_sql_fabs(d);
	if (ad >= 1e21)
		return x;
	if (ad < 1e-6) {
		double scale = 1;
		for (int64_t i = 0; i < places; i++)
			scale *= 10;
		return ck_sql_dec(ck_sql_trunc(d * scale) / scale, c->ver);
	}
	/* cut the shortest decimal text, so 0.29 stays 0.29 */
	char buf[64];
	ck_sql_fmt_double(d, false, buf, sizeof(buf));
	char *dot = strchr(buf, '.');
	if (dot) {
		size_t keep = (size_t)places;
		if (strlen(dot + 1) > keep)
			dot[1 + keep] = '\0';
	}
	return ck_sql_dec(strtod(buf, NULL), c->ver);
}

/* ---- values ---- */

static val fn_get(ctx *c, const val *a, size_t n)
{
	(void)n;
	return ck_sql_eval_get(c, a[0], a[1]);
}

static val fn_isundefined(ctx *c, const val *a, size_t n)
{
	(void)c;
	(void)n;
	return ck_sql_bool(a[0].t == CK_SQL_UNDEF);
}

static val fn_isnull(ctx *c, const val *a, size_t n)
{
	(void)c;
	(void)n;
	return ck_sql_bool(a[0].t == CK_SQL_NULL);
}

static val fn_nanvl(ctx *c, const val *a, size_t n)
{
	(void)c;
	(void)n;
	if (a[0].t == CK_SQL_UNDEF || a[0].t == CK_SQL_NULL ||
	    (a[0].t == CK_SQL_DEC && isnan(a[0].u.d)))
		return a[1];
	return a[0];
}

static bool is_base64(val scheme)
{
	return scheme.t == CK_SQL_STR && scheme.u.s.n == 6 &&
	       strncasecmp(scheme.u.s.p, "base64", 6) == 0;
}

static val fn_encode(ctx *c, const val *a, size_t n)
{
	(void)n;
	if (!is_base64(a[1]))
		return ck_sql_undef();
	val v = a[0];
	if (v.t != CK_SQL_BIN) {
		v = sconv(c, v);
		if (v.t != CK_SQL_STR)
			return ck_sql_undef();
	}
	return ck_sql_base64(&c->arena, (const uint8_t *)v.u.s.p, v.u.s.n);
}

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static val fn_decode(ctx *c, const val *a, size_t n)
{
	(void)n;
	if (!is_base64(a[1]))
		return ck_sql_undef();
	val s = sconv(c, a[0]);
	if (s.t != CK_SQL_STR)
		return ck_sql_undef();
	size_t len = s.u.s.n;
	while (len > 0 && s.u.s.p[len - 1] == '=')
		len--;
	if (len % 4 == 1 || s.u.s.n - len > 2)
		return ck_sql_null();
	uint8_t *out = ck_sql_arena_alloc(&c->arena, len * 3 / 4 + 1);
	if (!out)
		return ck_sql_undef();
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64val(s.u.s.p[i]);
		if (v < 0)
			return ck_sql_null();
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	out[o] = '\0';
	val parsed;
	if (ck_sql_json_parse(&c->arena, out, o, c->ver, &parsed) == 0)
		return parsed;
	/* not JSON: the text, when it is well-formed UTF-8 */
	for (size_t i = 0; i < o;) {
		unsigned char ch = out[i];
		size_t k = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 0;
		if (k == 0 || i + k > o)
			return ck_sql_null();
		for (size_t j = 1; j < k; j++)
			if ((out[i + j] & 0xc0) != 0x80)
				return ck_sql_null();
		i += k;
	}
	return ck_sql_str((const char *)out, o);
}

static val digest(ctx *c, val v, const EVP_MD *md)
{
	v = sconv(c, v);
	if (v.t != CK_SQL_STR)
		return ck_sql_undef();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(v.u.s.p, v.u.s.n, out, &len, md, NULL) != 1)
		return ck_sql_undef();
	static const char hex[] = "0123456789abcdef";
	char s[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < len; i++) {
		s[2 * i] = hex[out[i] >> 4];
		s[2 * i + 1] = hex[out[i] & 0xf];
	}
	return ck_sql_str_copy(&c->arena, s, 2 * (size_t)len);
}

static val fn_md5(ctx *c, const val *a, size_t n)
{
	(void)n;
	return digest(c, a[0], EVP_md5());
}

static val fn_sha1(ctx *c, const val *a, size_t n)
{
	(void)n;
	return digest(c, a[0], EVP_sha1());
}

static val fn_sha256(ctx *c, const val *a, size_t n)
{
	(void)n;
	return digest(c, a[0], EVP_sha256());
}

/* ---- regular expressions (POSIX extended syntax) ---- */

#define RE_MAX_LEN    256 /* longest pattern accepted */
#define RE_MAX_QUANT  16  /* quantifiers per pattern */
#define RE_MAX_BRACES 2   /* {m,n} repetitions per pattern */
#define RE_MAX_BOUND  100 /* largest m or n in {m,n} */

/*
 * glibc compiles a pattern into an automaton whose size can explode with
 * stacked or nested repetition, and back-references make matching
 * exponential. Patterns may come from payloads, so only modest ones are
 * compiled: short, few quantifiers, none stacked, small bounded
 * repetitions, no back-references. Anything else counts as invalid.
 */
static bool re_safe(const char *p, size_t n)
{
	int quant = 0, braces = 0;
	bool prev_quant = false;
	if (n > RE_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (ch == '\\') {
			if (i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9')
				return false;
			i++;
			prev_quant = false;
			continue;
		}
		bool q = ch == '*' || ch == '+' || ch == '?' || ch == '{';
		if (!q) {
			prev_quant = false;
			continue;
		}
		if (prev_quant || ++quant > RE_MAX_QUANT)
			return false;
		prev_quant = true;
		if (ch != '{')
			continue;
		if (++braces > RE_MAX_BRACES)
			return false;
		long bound = 0;
		for (i++; i < n && p[i] != '}'; i++) {
			if (p[i] >= '0' && p[i] <= '9') {
				bound = bound * 10 + (p[i] - '0');
				if (bound > RE_MAX_BOUND)
					return false;
			} else if (p[i] == ',') {
				bound = 0;
			} else {
				return false;
			}
		}
	}
	return true;
}

static bool re_compile(ctx *c, val pattern, regex_t *re)
{
	val p = sconv(c, pattern);
	if (p.t != CK_SQL_STR || memchr(p.u.s.p, '\0', p.u.s.n) || !re_safe(p.u.s.p, p.u.s.n))
		return false;
	return regcomp(re, p.u.s.p, REG_EXTENDED) == 0;
}

static val fn_regexp_matches(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]);
	regex_t re;
	if (s.t != CK_SQL_STR || !re_compile(c, a[1], &re))
		return ck_sql_undef();
	bool hit = regexec(&re, s.u.s.p, 0, NULL, 0) == 0;
	regfree(&re);
	return ck_sql_bool(hit);
}

static val fn_regexp_substr(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]);
	regex_t re;
	regmatch_t m;
	if (s.t != CK_SQL_STR || !re_compile(c, a[1], &re))
		return ck_sql_undef();
	int rc = regexec(&re, s.u.s.p, 1, &m, 0);
	regfree(&re);
	if (rc != 0)
		return ck_sql_str("", 0);
	return ck_sql_str_copy(&c->arena, s.u.s.p + m.rm_so, (size_t)(m.rm_eo - m.rm_so));
}

static val fn_regexp_replace(ctx *c, const val *a, size_t n)
{
	(void)n;
	val s = sconv(c, a[0]), rep = sconv(c, a[2]);
	regex_t re;
	regmatch_t m[10];
	if (s.t != CK_SQL_STR || rep.t != CK_SQL_STR || !re_compile(c, a[1], &re))
		return ck_sql_undef();
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c->arena);
	size_t pos = 0;
	while (pos <= s.u.s.n && !b.fail) {
		m[0].rm_so = (regoff_t)pos;
		m[0].rm_eo = (regoff_t)s.u.s.n;
		int flags = REG_STARTEND | (pos > 0 ? REG_NOTBOL : 0);
		if (regexec(&re, s.u.s.p, 10, m, flags) != 0)
			break;
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		ck_sql_buf_add(&b, s.u.s.p + pos, so - pos);
		for (size_t i = 0; i < rep.u.s.n; i++) {
			char ch = rep.u.s.p[i];
			if (ch == '$' && i + 1 < rep.u.s.n && rep.u.s.p[i + 1] >= '0' &&
			    rep.u.s.p[i + 1] <= '9') {
				int g = rep.u.s.p[++i] - '0';
				if (m[g].rm_so >= 0)
					ck_sql_buf_add(&b, s.u.s.p + m[g].rm_so,
					               (size_t)(m[g].rm_eo - m[g].rm_so));
			} else if (ch == '\\' && i + 1 < rep.u.s.n) {
				ck_sql_buf_addc(&b, rep.u.s.p[++i]);
			} else {
				ck_sql_buf_addc(&b, ch);
			}
		}
		if (eo == so) { /* empty match: copy one character and move on */
			if (so < s.u.s.n)
				ck_sql_buf_addc(&b, s.u.s.p[so]);
			pos = so + 1;
		} else {
			pos = eo;
		}
	}
	if (pos < s.u.s.n)
		ck_sql_buf_add(&b, s.u.s.p + pos, s.u.s.n - pos);
	regfree(&re);
	return ck_sql_buf_val(&b);
}

/* ---- table ---- */

static const struct ck_sql_func funcs[] = {
	{ "abs", 1, 1, false, fn_abs },
	{ "accountid", 0, 0, false, fn_accountid },
	{ "acos", 1, 1, false, fn_acos },
	{ "asin", 1, 1, false, fn_asin },
	{ "atan", 1, 1, false, fn_atan },
	{ "atan2", 2, 2, false, fn_atan2 },
	{ "bitand", 2, 2, false, fn_bitand },
	{ "bitnot", 1, 1, false, fn_bitnot },
	{ "bitor", 2, 2, false, fn_bitor },
	{ "bitxor", 2, 2, false, fn_bitxor },
	{ "ceil", 1, 1, false, fn_ceil },
	{ "chr", 1, 1, false, fn_chr },
	{ "clientid", 0, 0, false, fn_clientid },
	{ "concat", 1, -1, false, fn_concat },
	{ "cos", 1, 1, false, fn_cos },
	{ "cosh", 1, 1, false, fn_cosh },
	{ "decode", 2, 2, true, fn_decode },
	{ "encode", 2, 2, true, fn_encode },
	{ "endswith", 2, 2, false, fn_endswith },
	{ "exp", 1, 1, false, fn_exp },
	{ "floor", 1, 1, false, fn_floor },
	{ "get", 2, 2, false, fn_get },
	{ "indexof", 2, 2, true, fn_indexof },
	{ "isnull", 1, 1, false, fn_isnull },
	{ "isundefined", 1, 1, true, fn_isundefined },
	{ "length", 1, 1, true, fn_length },
	{ "ln", 1, 1, false, fn_ln },
	{ "log", 1, 1, false, fn_log },
	{ "lower", 1, 1, false, fn_lower },
	{ "lpad", 2, 2, false, fn_lpad },
	{ "ltrim", 1, 1, false, fn_ltrim },
	{ "md5", 1, 1, false, fn_md5 },
	{ "mod", 2, 2, false, fn_mod },
	{ "nanvl", 2, 2, false, fn_nanvl },
	{ "newuuid", 0, 0, false, fn_newuuid },
	{ "numbytes", 1, 1, true, fn_numbytes },
	{ "power", 2, 2, false, fn_power },
	{ "principal", 0, 0, false, fn_principal },
	{ "rand", 0, 0, false, fn_rand },
	{ "regexp_matches", 2, 2, false, fn_regexp_matches },
	{ "regexp_replace", 3, 3, false, fn_regexp_replace },
	{ "regexp_substr", 2, 2, false, fn_regexp_substr },
	{ "remainder", 2, 2, false, fn_mod },
	{ "replace", 3, 3, false, fn_replace },
	{ "round", 1, 1, false, fn_round },
	{ "rpad", 2, 2, false, fn_rpad },
	{ "rtrim", 1, 1, false, fn_rtrim },
	{ "sha1", 1, 1, false, fn_sha1 },
	{ "sha256", 1, 1, false, fn_sha256 },
	{ "sign", 1, 1, false, fn_sign },
	{ "sin", 1, 1, false, fn_sin },
	{ "sinh", 1, 1, false, fn_sinh },
	{ "sql_version", 0, 0, false, fn_sql_version },
	{ "sqrt", 1, 1, false, fn_sqrt },
	{ "startswith", 2, 2, false, fn_startswith },
	{ "substring", 2, 3, false, fn_substring },
	{ "tan", 1, 1, false, fn_tan },
	{ "tanh", 1, 1, false, fn_tanh },
	{ "timestamp", 0, 0, false, fn_timestamp },
	{ "topic", 0, 1, false, fn_topic },
	{ "traceid", 0, 0, false, fn_traceid },
	{ "trim", 1, 1, false, fn_trim },
	{ "trunc", 2, 2, false, fn_trunc },
	{ "upper", 1, 1, false, fn_upper },
};

const struct ck_sql_func *ck_sql_func_find(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == n && strncasecmp(funcs[i].name, name, n) == 0)
			return &funcs[i];
	return NULL;
}
