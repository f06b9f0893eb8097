/*
 * IoT SQL values: the bump arena they live in, JSON payload parsing (which
 * keeps integers exact and key order), the implicit conversions and the
 * equality of rules-sql.md §5-6, AWS number formatting (§4.2) and the
 * conversion of results to cJSON. Every value of one evaluation is freed at
 * once with its arena; nothing here keeps state between calls.
 */
#include "core/utf8.h"
#include "sql/sql_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena ---- */

struct ck_sql_block {
	struct ck_sql_block *next;
	size_t size, used;
	max_align_t data[];
};

#define BLOCK_MIN 4096u

void ck_sql_arena_init(struct ck_sql_arena *a, size_t budget)
{
	memset(a, 0, sizeof(*a));
	a->budget = budget;
}

void ck_sql_arena_cleanup(struct ck_sql_arena *a)
{
	struct ck_sql_block *b = a->head;
	while (b) {
		struct ck_sql_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}

void *ck_sql_arena_alloc(struct ck_sql_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2) {
		a->over = true;
		return NULL;
	}
	n = (n + align - 1) / align * align;
	if (a->budget && (a->used + n > a->budget)) {
		a->over = true;
		return NULL;
	}
	struct ck_sql_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
		if (b && b->size * 2 > size && b->size < (1u << 20))
			size = b->size * 2;
		b = malloc(sizeof(*b) + size);
		if (!b) {
			a->oom = true;
			return NULL;
		}
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	a->used += n;
	return p;
}

char *ck_sql_arena_strdup(struct ck_sql_arena *a, const char *s, size_t n)
{
	char *p = ck_sql_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- rounding without libm ---- */

#define TWO52 4503599627370496.0 /* doubles this large are whole */

double ck_sql_fabs(double x)
{
	return x < 0 ? -x : x;
}

double ck_sql_trunc(double x)
{
	if (!isfinite(x) || ck_sql_fabs(x) >= TWO52)
		return x;
	return (double)(int64_t)x;
}

double ck_sql_floor(double x)
{
	double t = ck_sql_trunc(x);
	return t > x ? t - 1 : t;
}

double ck_sql_ceil(double x)
{
	double t = ck_sql_trunc(x);
	return t < x ? t + 1 : t;
}

double ck_sql_round(double x)
{
	double t = ck_sql_trunc(x);
	double frac = x - t; /* exact */
	if (frac >= 0.5)
		return t + 1;
	if (frac <= -0.5)
		return t - 1;
	return t;
}

double ck_sql_fmod(double a, double b)
{
	double r = ck_sql_fabs(a), m = ck_sql_fabs(b);
	if (!isfinite(a) || !isfinite(b) || m == 0)
		return NAN;
	if (r < m)
		return a;
	/* subtract m * 2^k for falling k; each step is exact */
	double s = m;
	while (s <= r / 2)
		s *= 2;
	while (s >= m) {
		if (r >= s)
			r -= s;
		s /= 2;
	}
	return a < 0 ? -r : r;
}

/* ---- scalar constructors ---- */

struct ck_sql_val ck_sql_dec(double d, enum ck_sql_version ver)
{
	if (!isfinite(d))
		return ck_sql_undef();
	if (ver == CK_SQL_2016_03_23 && d == ck_sql_floor(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0)
		return ck_sql_int((int64_t)d);
	struct ck_sql_val v = { .t = CK_SQL_DEC, .u.d = d };
	return v;
}

struct ck_sql_val ck_sql_str_copy(struct ck_sql_arena *a, const char *p, size_t n)
{
	if (n > CK_SQL_STR_MAX)
		return ck_sql_undef();
	char *s = ck_sql_arena_strdup(a, p, n);
	if (!s)
		return ck_sql_undef();
	return ck_sql_str(s, n);
}

/* ---- growable buffer ---- */

void ck_sql_buf_init(struct ck_sql_buf *b, struct ck_sql_arena *a)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
	b->max = CK_SQL_STR_MAX;
}

void ck_sql_buf_grow(struct ck_sql_buf *b, const char *p, size_t n)
{
	if (b->fail)
		return;
	if (n > b->max || b->n + n > b->max) {
		b->fail = true;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1; /* so that the inline fast path never passes max */
		char *np = ck_sql_arena_alloc(b->a, cap);
		if (!np) {
			b->fail = true;
			return;
		}
		if (b->n)
			memcpy(np, b->p, b->n);
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void ck_sql_buf_reserve(struct ck_sql_buf *b, size_t n)
{
	if (b->fail || n <= b->cap || n > b->max)
		return;
	char *np = ck_sql_arena_alloc(b->a, n + 1);
	if (!np)
		return; /* not an error: adding grows the buffer later */
	if (b->n)
		memcpy(np, b->p, b->n);
	np[b->n] = '\0';
	b->p = np;
	b->cap = n + 1;
}

struct ck_sql_val ck_sql_buf_val(struct ck_sql_buf *b)
{
	if (b->fail)
		return ck_sql_undef();
	if (!b->p)
		return ck_sql_str("", 0);
	return ck_sql_str(b->p, b->n);
}

/* ---- objects ---- */

static bool key_eq(const struct ck_sql_val *a, const struct ck_sql_val *b)
{
	return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0);
}

static int key_cmp(const struct ck_sql_val *a, const struct ck_sql_val *b)
{
	size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
	int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
	if (c)
		return c;
	return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
}

/* Merge sort of idx by (key, index); tmp has room for n entries. */
static void sort_keys(const struct ck_sql_val *keys, uint32_t *idx, uint32_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	sort_keys(keys, idx, tmp, h);
	sort_keys(keys, idx + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		int c = key_cmp(&keys[idx[i]], &keys[idx[j]]);
		if (c < 0 || (c == 0 && idx[i] < idx[j]))
			tmp[k++] = idx[i++];
		else
			tmp[k++] = idx[j++];
	}
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof(*idx));
}

#define OBJ_INDEX_MIN 12 /* objects at least this large get a sorted index */

struct ck_sql_val ck_sql_obj_build(struct ck_sql_arena *a, struct ck_sql_val *keys,
                                   struct ck_sql_val *vals, size_t n)
{
	struct ck_sql_obj *o = ck_sql_arena_alloc(a, sizeof(*o));
	if (!o || n > UINT32_MAX)
		return ck_sql_undef();
	memset(o, 0, sizeof(*o));
	bool *dead = NULL;
	if (n >= OBJ_INDEX_MIN) {
		uint32_t *idx = ck_sql_arena_alloc(a, n * sizeof(*idx));
		uint32_t *tmp = ck_sql_arena_alloc(a, n * sizeof(*tmp));
		dead = ck_sql_arena_alloc(a, n * sizeof(*dead));
		if (!idx || !tmp || !dead)
			return ck_sql_undef();
		memset(dead, 0, n * sizeof(*dead));
		for (size_t i = 0; i < n; i++)
			idx[i] = (uint32_t)i;
		sort_keys(keys, idx, tmp, n);
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && key_cmp(&keys[idx[i]], &keys[idx[j]]) == 0)
				j++;
			/* first position, last value */
			if (j - i > 1) {
				vals[idx[i]] = vals[idx[j - 1]];
				for (size_t k = i + 1; k < j; k++)
					dead[idx[k]] = true;
			}
			i = j;
		}
	} else {
		for (size_t i = 1; i < n; i++) {
			for (size_t j = 0; j < i; j++) {
				if (keys[j].t == CK_SQL_STR && key_eq(&keys[i], &keys[j])) {
					vals[j] = vals[i];
					keys[i].t = CK_SQL_UNDEF; /* mark dead */
					break;
				}
			}
		}
	}
	size_t live = 0;
	for (size_t i = 0; i < n; i++) {
		bool is_dead = dead ? dead[i] : keys[i].t != CK_SQL_STR;
		if (!is_dead && vals[i].t != CK_SQL_UNDEF) {
			keys[live] = keys[i];
			vals[live] = vals[i];
			live++;
		}
	}
	o->n = live;
	o->k = keys;
	o->v = vals;
	if (live >= OBJ_INDEX_MIN) {
		uint32_t *idx = ck_sql_arena_alloc(a, live * sizeof(*idx));
		uint32_t *tmp = ck_sql_arena_alloc(a, live * sizeof(*tmp));
		if (!idx || !tmp)
			return ck_sql_undef();
		for (size_t i = 0; i < live; i++)
			idx[i] = (uint32_t)i;
		sort_keys(keys, idx, tmp, live);
		o->sorted = idx;
	}
	struct ck_sql_val v = { .t = CK_SQL_OBJ, .u.o = o };
	return v;
}

struct ck_sql_val ck_sql_obj_get(const struct ck_sql_obj *o, const char *key, size_t n)
{
	struct ck_sql_val k = ck_sql_str(key, n);
	if (o->sorted) {
		size_t lo = 0, hi = o->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = key_cmp(&o->k[o->sorted[mid]], &k);
			if (c == 0)
				return o->v[o->sorted[mid]];
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return ck_sql_undef();
	}
	for (size_t i = 0; i < o->n; i++)
		if (key_eq(&o->k[i], &k))
			return o->v[i];
	return ck_sql_undef();
}

/* ---- UTF-8 ---- */

size_t ck_sql_utf8_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0;
	while (i < n) {
		size_t k = ck_utf8_decode(u + i, n - i, &cp);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

size_t ck_sql_utf8_len(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

size_t ck_sql_utf8_offset(const char *s, size_t n, size_t idx)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (count == idx)
				return i;
			count++;
		}
	}
	return n;
}

/* ---- JSON parsing ---- */

struct jp {
	struct ck_sql_arena *a;
	const unsigned char *p, *end;
	enum ck_sql_version ver;
	int depth;
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_value(struct jp *j, struct ck_sql_val *out);

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int jp_string(struct jp *j, struct ck_sql_val *out)
{
	j->p++; /* opening quote */
	const unsigned char *start = j->p;
	bool plain = true; /* printable ASCII only: copied as it is */
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p;
		if (c == '\\') {
			plain = false;
			j->p++;
			if (j->p >= j->end)
				return -EINVAL;
		} else if (c < 0x20) {
			return -EINVAL;
		} else if (c >= 0x80) {
			plain = false;
		}
		j->p++;
	}
	if (j->p >= j->end)
		return -EINVAL;
	const unsigned char *stop = j->p;
	j->p++;
	/* validate UTF-8 and decode escapes; the result is never longer */
	char *dst = ck_sql_arena_alloc(j->a, (size_t)(stop - start) + 1);
	if (!dst)
		return -ENOMEM;
	size_t n = 0;
	if (plain) {
		n = (size_t)(stop - start);
		memcpy(dst, start, n);
		dst[n] = '\0';
		*out = ck_sql_str(dst, n);
		return 0;
	}
	for (const unsigned char *s = start; s < stop;) {
		uint32_t cp;
		if (*s < 0x80 && *s != '\\') {
			const unsigned char *run = s;
			while (s < stop && *s < 0x80 && *s != '\\')
				s++;
			memcpy(dst + n, run, (size_t)(s - run));
			n += (size_t)(s - run);
			continue;
		}
		if (*s != '\\') {
			size_t k = ck_utf8_decode(s, (size_t)(stop - s), &cp);
			if (k == 0)
				return -EINVAL;
			memcpy(dst + n, s, k);
			n += k;
			s += k;
			continue;
		}
		s++;
		char c = (char)*s++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			dst[n++] = c;
			continue;
		case 'b':
			dst[n++] = '\b';
			continue;
		case 'f':
			dst[n++] = '\f';
			continue;
		case 'n':
			dst[n++] = '\n';
			continue;
		case 'r':
			dst[n++] = '\r';
			continue;
		case 't':
			dst[n++] = '\t';
			continue;
		case 'u':
			break;
		default:
			return -EINVAL;
		}
		if (stop - s < 4 || hex4(s, &cp) != 0)
			return -EINVAL;
		s += 4;
		if (cp >= 0xd800 && cp <= 0xdbff && stop - s >= 6 && s[0] == '\\' && s[1] == 'u') {
			uint32_t lo;
			if (hex4(s + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd; /* lone surrogate */
		n += ck_utf8_encode(cp, dst + n);
	}
	dst[n] = '\0';
	*out = ck_sql_str(dst, n);
	return 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Int when s is an integer that fits int64. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static int jp_number(struct jp *j, struct ck_sql_val *out)
{
	const unsigned char *s = j->p;
	bool whole = true;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || !is_digit(*j->p))
		return -EINVAL;
	if (*j->p == '0') {
		j->p++;
	} else {
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	}
	if (j->p < j->end && *j->p == '.') {
		whole = false;
		j->p++;
		if (j->p >= j->end || !is_digit(*j->p))
			return -EINVAL;
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		whole = false;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !is_digit(*j->p))
			return -EINVAL;
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	}
	size_t n = (size_t)(j->p - s);
	int64_t i;
	if (whole && parse_int64((const char *)s, n, &i)) {
		*out = ck_sql_int(i);
		return 0;
	}
	char *tmp = ck_sql_arena_strdup(j->a, (const char *)s, n);
	if (!tmp)
		return -ENOMEM;
	double d = strtod(tmp, NULL);
	*out = ck_sql_dec(d, j->ver);
	if (out->t == CK_SQL_UNDEF) /* overflow to infinity: keep something finite */
		*out = ck_sql_dec(d > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308, j->ver);
	return 0;
}

static bool jp_lit(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return false;
	j->p += n;
	return true;
}

/* Growable pair list used while parsing one array or object. */
struct jp_list {
	struct ck_sql_val *k, *v;
	size_t n, cap;
};

static int jp_push(struct jp *j, struct jp_list *l, struct ck_sql_val k, struct ck_sql_val v,
                   bool with_keys)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct ck_sql_val *nv = ck_sql_arena_alloc(j->a, cap * sizeof(*nv));
		struct ck_sql_val *nk =
		    with_keys ? ck_sql_arena_alloc(j->a, cap * sizeof(*nk)) : NULL;
		if (!nv || (with_keys && !nk))
			return -ENOMEM;
		if (l->n) {
			memcpy(nv, l->v, l->n * sizeof(*nv));
			if (with_keys)
				memcpy(nk, l->k, l->n * sizeof(*nk));
		}
		l->v = nv;
		l->k = nk;
		l->cap = cap;
	}
	if (with_keys)
		l->k[l->n] = k;
	l->v[l->n++] = v;
	return 0;
}

/* After an array element or object member: consumes ',' (1: another
 * follows) or close (0: the end); anything else is -EINVAL. */
static int jp_after_member(struct jp *j, char close)
{
	jp_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	if (*j->p == ',') {
		j->p++;
		return 1;
	}
	if (*j->p != close)
		return -EINVAL;
	j->p++;
	return 0;
}

static int jp_array(struct jp *j, struct ck_sql_val *out)
{
	struct jp_list l = { 0 };
	int rc = 0;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
	} else {
		for (;;) {
			struct ck_sql_val v;
			rc = jp_value(j, &v);
			if (rc)
				return rc;
			rc = jp_push(j, &l, v, v, false);
			if (rc)
				return rc;
			rc = jp_after_member(j, ']');
			if (rc <= 0)
				break;
		}
		if (rc < 0)
			return rc;
	}
	struct ck_sql_arr *a = ck_sql_arena_alloc(j->a, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->n = l.n;
	a->v = l.v;
	out->t = CK_SQL_ARR;
	out->u.a = a;
	return 0;
}

static int jp_object(struct jp *j, struct ck_sql_val *out)
{
	struct jp_list l = { 0 };
	int rc = 0;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
	} else {
		for (;;) {
			struct ck_sql_val k, v;
			jp_ws(j);
			if (j->p >= j->end || *j->p != '"')
				return -EINVAL;
			rc = jp_string(j, &k);
			if (rc)
				return rc;
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -EINVAL;
			j->p++;
			rc = jp_value(j, &v);
			if (rc)
				return rc;
			rc = jp_push(j, &l, k, v, true);
			if (rc)
				return rc;
			rc = jp_after_member(j, '}');
			if (rc <= 0)
				break;
		}
		if (rc < 0)
			return rc;
	}
	*out = ck_sql_obj_build(j->a, l.k, l.v, l.n);
	if (out->t == CK_SQL_UNDEF)
		return -ENOMEM;
	return 0;
}

static int jp_value(struct jp *j, struct ck_sql_val *out)
{
	int rc;
	jp_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > CK_SQL_JSON_MAX_DEPTH)
			return -EINVAL;
		rc = *j->p == '{' ? jp_object(j, out) : jp_array(j, out);
		j->depth--;
		return rc;
	case '"':
		return jp_string(j, out);
	case 't':
		*out = ck_sql_bool(true);
		return jp_lit(j, "true") ? 0 : -EINVAL;
	case 'f':
		*out = ck_sql_bool(false);
		return jp_lit(j, "false") ? 0 : -EINVAL;
	case 'n':
		*out = ck_sql_null();
		return jp_lit(j, "null") ? 0 : -EINVAL;
	default:
		return jp_number(j, out);
	}
}

int ck_sql_json_parse(struct ck_sql_arena *a, const uint8_t *p, size_t n, enum ck_sql_version ver,
                      struct ck_sql_val *out)
{
	*out = ck_sql_undef();
	if (!p)
		return -EINVAL;
	struct jp j = { .a = a, .p = p, .end = p + n, .ver = ver };
	int rc = jp_value(&j, out);
	if (rc == 0) {
		jp_ws(&j);
		if (j.p != j.end)
			rc = -EINVAL;
	}
	if (rc == -EINVAL && (a->oom || a->over))
		rc = -ENOMEM;
	if (rc)
		*out = ck_sql_undef();
	return rc;
}

/* ---- numbers ---- */

void ck_sql_fmt_double(double d, bool keep_point, char *out, size_t cap)
{
	char tmp[40];
	int prec;

	if (d == 0) {
		snprintf(out, cap, "%s", keep_point ? "0.0" : "0");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
	/* tmp is [-]D[.DDD]e[+-]X: collect the digits and the exponent */
	char digits[24];
	size_t nd = 0;
	const char *s = tmp;
	bool neg = *s == '-';
	if (neg)
		s++;
	for (; *s && *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	long exp10 = *s == 'e' ? strtol(s + 1, NULL, 10) : 0;
	double ad = ck_sql_fabs(d);
	size_t o = 0;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (o + 1 < cap)                                                                   \
			out[o++] = (c);                                                            \
	} while (0)
	if (neg)
		PUT('-');
	if (ad >= 1e-6 && ad < 1e21) {
		if (exp10 < 0) {
			PUT('0');
			PUT('.');
			for (long z = -1; z > exp10; z--)
				PUT('0');
			for (size_t i = 0; i < nd; i++)
				PUT(digits[i]);
		} else {
			size_t i = 0;
			for (long k = 0; k <= exp10; k++)
				PUT(i < nd ? digits[i++] : '0');
			if (i < nd) {
				PUT('.');
				while (i < nd)
					PUT(digits[i++]);
			} else if (keep_point) {
				PUT('.');
				PUT('0');
			}
		}
	} else {
		PUT(digits[0]);
		if (nd > 1) {
			PUT('.');
			for (size_t i = 1; i < nd; i++)
				PUT(digits[i]);
		}
		char e[32];
		snprintf(e, sizeof(e), "E%s%ld", exp10 < 0 ? "-" : "", labs(exp10));
		for (const char *c = e; *c; c++)
			PUT(*c);
	}
#undef PUT
	out[o < cap ? o : cap - 1] = '\0';
}

bool ck_sql_numeric_string(const char *s, size_t n, double *out, bool *is_int, int64_t *ival)
{
	size_t i = 0;
	bool whole = true;
	if (i < n && s[i] == '-')
		i++;
	if (i == n || !is_digit((unsigned char)s[i]))
		return false;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '.') {
		whole = false;
		i++;
		if (i == n || !is_digit((unsigned char)s[i]))
			return false;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		whole = false;
		i++;
		if (i < n && s[i] == '-')
			i++;
		if (i == n || !is_digit((unsigned char)s[i]))
			return false;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i != n)
		return false;
	/* s is NUL-terminated by construction (all strings are) */
	double d = strtod(s, NULL);
	if (!isfinite(d))
		return false;
	*out = d;
	*is_int = whole && parse_int64(s, n, ival);
	return true;
}

/* ---- conversions ---- */

struct ck_sql_val ck_sql_to_number(struct ck_sql_val v, enum ck_sql_version ver)
{
	double d;
	bool whole;
	int64_t i;
	switch (v.t) {
	case CK_SQL_INT:
	case CK_SQL_DEC:
		return v;
	case CK_SQL_STR:
		if (!ck_sql_numeric_string(v.u.s.p, v.u.s.n, &d, &whole, &i))
			return ck_sql_undef();
		return ck_sql_dec(d, ver);
	default:
		return ck_sql_undef();
	}
}

static bool dec_in_int64(double d)
{
	return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/*
 * The first step of both integer conversions: returns 1 with *out set when v
 * is an integer or a whole numeric string, 0 with *d set when it is a
 * decimal (passed through dec) or a decimal string (through str), and -1
 * when it is not numeric.
 */
static int whole_or_decimal(struct ck_sql_val v, double (*dec)(double), double (*str)(double),
                            int64_t *out, double *d)
{
	bool whole;
	int64_t i;
	switch (v.t) {
	case CK_SQL_INT:
		*out = v.u.i;
		return 1;
	case CK_SQL_DEC:
		*d = dec(v.u.d);
		return 0;
	case CK_SQL_STR:
		if (!ck_sql_numeric_string(v.u.s.p, v.u.s.n, d, &whole, &i))
			return -1;
		if (whole) {
			*out = i;
			return 1;
		}
		*d = str(*d);
		return 0;
	default:
		return -1;
	}
}

bool ck_sql_to_int(struct ck_sql_val v, int64_t *out)
{
	double d;
	int r = whole_or_decimal(v, ck_sql_round, ck_sql_trunc, out, &d);
	if (r != 0)
		return r > 0;
	if (!isfinite(d) || !dec_in_int64(d))
		return false;
	*out = (int64_t)d;
	return true;
}

bool ck_sql_to_int_floor(struct ck_sql_val v, int64_t *out)
{
	double d;
	int r = whole_or_decimal(v, ck_sql_floor, ck_sql_floor, out, &d);
	if (r != 0)
		return r > 0;
	if (!isfinite(d))
		return false;
	/* clamp: callers use the result as an index or a count */
	if (d < -9223372036854775808.0)
		*out = INT64_MIN;
	else if (d >= 9223372036854775808.0)
		*out = INT64_MAX;
	else
		*out = (int64_t)d;
	return true;
}

struct ck_sql_val ck_sql_to_bool(struct ck_sql_val v)
{
	if (v.t == CK_SQL_BOOL)
		return v;
	if (v.t == CK_SQL_STR) {
		if (v.u.s.n == 4 && strncasecmp(v.u.s.p, "true", 4) == 0)
			return ck_sql_bool(true);
		if (v.u.s.n == 5 && strncasecmp(v.u.s.p, "false", 5) == 0)
			return ck_sql_bool(false);
	}
	return ck_sql_undef();
}

bool ck_sql_is_true(struct ck_sql_val v)
{
	struct ck_sql_val b = ck_sql_to_bool(v);
	return b.t == CK_SQL_BOOL && b.u.b;
}

/* Writes i in decimal into out (at least 21 bytes), NUL-terminated;
 * returns the length. The same text as "%" PRId64, without stdio. */
static size_t fmt_int(int64_t i, char *out)
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return o;
}

struct ck_sql_val ck_sql_to_string(struct ck_sql_arena *a, struct ck_sql_val v,
                                   enum ck_sql_version ver)
{
	char num[64];
	struct ck_sql_buf b;
	switch (v.t) {
	case CK_SQL_STR:
		return v;
	case CK_SQL_BOOL:
		return v.u.b ? ck_sql_str("true", 4) : ck_sql_str("false", 5);
	case CK_SQL_INT:
		return ck_sql_str_copy(a, num, fmt_int(v.u.i, num));
	case CK_SQL_DEC:
		ck_sql_fmt_double(v.u.d, ver == CK_SQL_2015_10_08, num, sizeof(num));
		return ck_sql_str_copy(a, num, strlen(num));
	case CK_SQL_ARR:
	case CK_SQL_OBJ:
		ck_sql_buf_init(&b, a);
		ck_sql_json_write(&b, v, ver);
		return ck_sql_buf_val(&b);
	default:
		return ck_sql_undef();
	}
}

/* ---- JSON output ---- */

static void write_string(struct ck_sql_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	ck_sql_buf_addc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
			continue;
		if (c >= 0x80) {
			/* regular expressions work on bytes and can split a character */
			uint32_t cp;
			size_t k = ck_utf8_decode(u + i, n - i, &cp);
			if (k > 0) {
				i += k - 1;
				continue;
			}
			ck_sql_buf_add(b, s + run, i - run);
			ck_sql_buf_add(b, "\xef\xbf\xbd", 3);
			run = i + 1;
			continue;
		}
		ck_sql_buf_add(b, s + run, i - run);
		run = i + 1;
		char esc[7] = { '\\', 0 };
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			ck_sql_buf_add(b, esc, 2);
			break;
		case '\n':
			ck_sql_buf_add(b, "\\n", 2);
			break;
		case '\r':
			ck_sql_buf_add(b, "\\r", 2);
			break;
		case '\t':
			ck_sql_buf_add(b, "\\t", 2);
			break;
		case '\b':
			ck_sql_buf_add(b, "\\b", 2);
			break;
		case '\f':
			ck_sql_buf_add(b, "\\f", 2);
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			ck_sql_buf_add(b, esc, 6);
			break;
		}
	}
	ck_sql_buf_add(b, s + run, n - run);
	ck_sql_buf_addc(b, '"');
}

void ck_sql_json_write(struct ck_sql_buf *b, struct ck_sql_val v, enum ck_sql_version ver)
{
	char num[64];
	bool first = true;
	switch (v.t) {
	case CK_SQL_UNDEF:
		return;
	case CK_SQL_NULL:
		ck_sql_buf_add(b, "null", 4);
		return;
	case CK_SQL_BOOL:
		if (v.u.b)
			ck_sql_buf_add(b, "true", 4);
		else
			ck_sql_buf_add(b, "false", 5);
		return;
	case CK_SQL_INT:
		ck_sql_buf_add(b, num, fmt_int(v.u.i, num));
		return;
	case CK_SQL_DEC:
		ck_sql_fmt_double(v.u.d, ver == CK_SQL_2015_10_08, num, sizeof(num));
		ck_sql_buf_add(b, num, strlen(num));
		return;
	case CK_SQL_STR:
		write_string(b, v.u.s.p, v.u.s.n);
		return;
	case CK_SQL_BIN: {
		struct ck_sql_val s = ck_sql_base64(b->a, (const uint8_t *)v.u.s.p, v.u.s.n);
		if (s.t != CK_SQL_STR) {
			b->fail = true;
			return;
		}
		write_string(b, s.u.s.p, s.u.s.n);
		return;
	}
	case CK_SQL_ARR:
		ck_sql_buf_addc(b, '[');
		for (size_t i = 0; i < v.u.a->n && !b->fail; i++) {
			if (v.u.a->v[i].t == CK_SQL_UNDEF)
				continue;
			if (!first)
				ck_sql_buf_addc(b, ',');
			first = false;
			ck_sql_json_write(b, v.u.a->v[i], ver);
		}
		ck_sql_buf_addc(b, ']');
		return;
	case CK_SQL_OBJ:
		ck_sql_buf_addc(b, '{');
		for (size_t i = 0; i < v.u.o->n && !b->fail; i++) {
			if (v.u.o->v[i].t == CK_SQL_UNDEF)
				continue;
			if (!first)
				ck_sql_buf_addc(b, ',');
			first = false;
			write_string(b, v.u.o->k[i].u.s.p, v.u.o->k[i].u.s.n);
			ck_sql_buf_addc(b, ':');
			ck_sql_json_write(b, v.u.o->v[i], ver);
		}
		ck_sql_buf_addc(b, '}');
		return;
	}
}

/*
 * A cJSON number item for v that prints exactly as ck_sql_json_write
 * writes v. cJSON prints numbers through a double with "%1.15g" (then
 * "%1.17g" if a loose check fails), so values whose text would differ
 * (integers of 16+ digits, decimals that need 16-17 digits or an exponent,
 * very small decimals, whole decimals of 2015-10-08 that keep ".0") become
 * raw items holding the exact JSON text; the rest are ordinary numbers.
 */
static cJSON *number_to_cjson(struct ck_sql_val v, enum ck_sql_version ver)
{
	char num[64], g[64];
	if (v.t == CK_SQL_INT) {
		if (v.u.i > -1000000000000000LL && v.u.i < 1000000000000000LL)
			return cJSON_CreateNumber((double)v.u.i);
		snprintf(num, sizeof(num), "%" PRId64, v.u.i);
		return cJSON_CreateRaw(num);
	}
	ck_sql_fmt_double(v.u.d, ver == CK_SQL_2015_10_08, num, sizeof(num));
	snprintf(g, sizeof(g), "%1.15g", v.u.d);
	if (strcmp(g, num) == 0)
		return cJSON_CreateNumber(v.u.d);
	return cJSON_CreateRaw(num);
}

/*
 * A cJSON string for p. cJSON strings end at the first NUL, so a string
 * holding one is cut there. Bytes that are not UTF-8 (regular expressions
 * work on bytes and can split a character) become U+FFFD, so the output
 * is always valid JSON.
 */
static cJSON *make_string(const char *p)
{
	size_t n = strlen(p);
	size_t bad = ck_sql_utf8_check(p, n);
	if (bad == n)
		return cJSON_CreateString(p);
	char *clean = malloc(3 * n + 1);
	if (!clean)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t ok = ck_sql_utf8_check(p + i, n - i);
		memcpy(clean + o, p + i, ok);
		o += ok;
		i += ok;
		if (i < n) {
			memcpy(clean + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	clean[o] = '\0';
	cJSON *item = cJSON_CreateString(clean);
	free(clean);
	return item;
}

cJSON *ck_sql_to_cjson(struct ck_sql_val v, enum ck_sql_version ver)
{
	cJSON *out = NULL;
	switch (v.t) {
	case CK_SQL_UNDEF:
		return cJSON_CreateRaw("");
	case CK_SQL_NULL:
		return cJSON_CreateNull();
	case CK_SQL_BOOL:
		return cJSON_CreateBool(v.u.b);
	case CK_SQL_INT:
	case CK_SQL_DEC:
		return number_to_cjson(v, ver);
	case CK_SQL_STR:
		return make_string(v.u.s.p);
	case CK_SQL_BIN: {
		/* encode without an arena: a short-lived one is enough */
		struct ck_sql_arena a;
		ck_sql_arena_init(&a, 0);
		struct ck_sql_val s = ck_sql_base64(&a, (const uint8_t *)v.u.s.p, v.u.s.n);
		out = s.t == CK_SQL_STR ? cJSON_CreateString(s.u.s.p) : NULL;
		ck_sql_arena_cleanup(&a);
		return out;
	}
	case CK_SQL_ARR:
		out = cJSON_CreateArray();
		if (!out)
			return NULL;
		for (size_t i = 0; i < v.u.a->n; i++) {
			if (v.u.a->v[i].t == CK_SQL_UNDEF)
				continue;
			cJSON *item = ck_sql_to_cjson(v.u.a->v[i], ver);
			if (!item || !cJSON_AddItemToArray(out, item)) {
				cJSON_Delete(item);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	case CK_SQL_OBJ:
		out = cJSON_CreateObject();
		if (!out)
			return NULL;
		for (size_t i = 0; i < v.u.o->n; i++) {
			if (v.u.o->v[i].t == CK_SQL_UNDEF)
				continue;
			cJSON *item = ck_sql_to_cjson(v.u.o->v[i], ver);
			if (!item || !cJSON_AddItemToObject(out, v.u.o->k[i].u.s.p, item)) {
				cJSON_Delete(item);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	}
	return NULL;
}

/* ---- equality ---- */

static bool num_equal(struct ck_sql_val l, struct ck_sql_val r)
{
	if (l.t == CK_SQL_INT && r.t == CK_SQL_INT)
		return l.u.i == r.u.i;
	double a = l.t == CK_SQL_INT ? (double)l.u.i : l.u.d;
	double b = r.t == CK_SQL_INT ? (double)r.u.i : r.u.d;
	return a == b;
}

static bool is_num(struct ck_sql_val v)
{
	return v.t == CK_SQL_INT || v.t == CK_SQL_DEC;
}

/* Deep equality of two defined values (the '=' table). */
static bool val_equal(struct ck_sql_val l, struct ck_sql_val r)
{
	if (is_num(l) && is_num(r))
		return num_equal(l, r);
	if (l.t != r.t)
		return false;
	switch (l.t) {
	case CK_SQL_NULL:
		return true;
	case CK_SQL_BOOL:
		return l.u.b == r.u.b;
	case CK_SQL_STR:
	case CK_SQL_BIN:
		return l.u.s.n == r.u.s.n &&
		       (l.u.s.n == 0 || memcmp(l.u.s.p, r.u.s.p, l.u.s.n) == 0);
	case CK_SQL_ARR:
		if (l.u.a->n != r.u.a->n)
			return false;
		for (size_t i = 0; i < l.u.a->n; i++)
			if (!val_equal(l.u.a->v[i], r.u.a->v[i]))
				return false;
		return true;
	case CK_SQL_OBJ:
		if (l.u.o->n != r.u.o->n)
			return false;
		for (size_t i = 0; i < l.u.o->n; i++) {
			struct ck_sql_val o =
			    ck_sql_obj_get(r.u.o, l.u.o->k[i].u.s.p, l.u.o->k[i].u.s.n);
			if (o.t == CK_SQL_UNDEF || !val_equal(l.u.o->v[i], o))
				return false;
		}
		return true;
	default:
		return false;
	}
}

struct ck_sql_val ck_sql_equal(struct ck_sql_val l, struct ck_sql_val r)
{
	if (l.t == CK_SQL_UNDEF || r.t == CK_SQL_UNDEF)
		return ck_sql_undef();
	return ck_sql_bool(val_equal(l, r));
}

/* ---- base64 ---- */

struct ck_sql_val ck_sql_base64(struct ck_sql_arena *a, const uint8_t *p, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (n > CK_SQL_STR_MAX)
		return ck_sql_undef();
	size_t len = (n + 2) / 3 * 4;
	char *out = ck_sql_arena_alloc(a, len + 1);
	if (!out)
		return ck_sql_undef();
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return ck_sql_str(out, o);
}
