/*
 * IoT SQL evaluator: walks a compiled tree against one message. Every
 * operator follows the tables of rules-sql.md §6 and is total: a type
 * problem gives Undefined, never an error. WHERE runs first and fires only
 * on true; SELECT builds the output as a value (dotted aliases create
 * nested objects, Undefined items are left out), which is converted to cJSON
 * once at the end. All memory of one evaluation lives in one arena with a
 * byte budget, so a hostile rule or payload cannot grow without bound.
 */
#include "sql/sql_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_num(struct ck_sql_val v)
{
	return v.t == CK_SQL_INT || v.t == CK_SQL_DEC;
}

static double as_double(struct ck_sql_val v)
{
	return v.t == CK_SQL_INT ? (double)v.u.i : v.u.d;
}

/* get(container, key) and container[key] (rules-sql.md §13.1). */
static struct ck_sql_val index_get(struct ck_sql_ctx *c, struct ck_sql_val base,
                                   struct ck_sql_val key)
{
	int64_t i;
	if (base.t == CK_SQL_OBJ) {
		if (key.t != CK_SQL_STR)
			return ck_sql_undef();
		return ck_sql_obj_get(base.u.o, key.u.s.p, key.u.s.n);
	}
	if (base.t != CK_SQL_ARR && base.t != CK_SQL_STR)
		return ck_sql_undef();
	if (!ck_sql_to_int(key, &i) || i < 0)
		return ck_sql_undef();
	if (base.t == CK_SQL_ARR)
		return (uint64_t)i < base.u.a->n ? base.u.a->v[i] : ck_sql_undef();
	size_t len = ck_sql_utf8_len(base.u.s.p, base.u.s.n);
	if ((uint64_t)i >= len)
		return ck_sql_undef();
	size_t from = ck_sql_utf8_offset(base.u.s.p, base.u.s.n, (size_t)i);
	size_t to = ck_sql_utf8_offset(base.u.s.p, base.u.s.n, (size_t)i + 1);
	return ck_sql_str_copy(&c->arena, base.u.s.p + from, to - from);
}

/* Shared with the function table: get() is the same accessor as [ ]. */
struct ck_sql_val ck_sql_eval_get(struct ck_sql_ctx *c, struct ck_sql_val base,
                                  struct ck_sql_val key)
{
	return index_get(c, base, key);
}

static struct ck_sql_val concat2(struct ck_sql_ctx *c, struct ck_sql_val l, struct ck_sql_val r)
{
	l = ck_sql_to_string(&c->arena, l, c->ver);
	r = ck_sql_to_string(&c->arena, r, c->ver);
	if (l.t != CK_SQL_STR || r.t != CK_SQL_STR)
		return ck_sql_undef();
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c->arena);
	ck_sql_buf_add(&b, l.u.s.p, l.u.s.n);
	ck_sql_buf_add(&b, r.u.s.p, r.u.s.n);
	return ck_sql_buf_val(&b);
}

static struct ck_sql_val int_op(struct ck_sql_ctx *c, enum ck_sql_node_kind k, int64_t a, int64_t b)
{
	int64_t r;
	switch (k) {
	case CK_N_ADD:
		if (__builtin_add_overflow(a, b, &r))
			return ck_sql_dec((double)a + (double)b, c->ver);
		return ck_sql_int(r);
	case CK_N_SUB:
		if (__builtin_sub_overflow(a, b, &r))
			return ck_sql_dec((double)a - (double)b, c->ver);
		return ck_sql_int(r);
	case CK_N_MUL:
		if (__builtin_mul_overflow(a, b, &r))
			return ck_sql_dec((double)a * (double)b, c->ver);
		return ck_sql_int(r);
	case CK_N_DIV:
		if (b == 0)
			return ck_sql_undef();
		if (a == INT64_MIN && b == -1)
			return ck_sql_dec(-(double)a, c->ver);
		return ck_sql_int(a / b);
	case CK_N_MOD:
		if (b == 0)
			return ck_sql_undef();
		if (b == -1)
			return ck_sql_int(0);
		return ck_sql_int(a % b);
	default:
		return ck_sql_undef();
	}
}

static struct ck_sql_val dec_op(struct ck_sql_ctx *c, enum ck_sql_node_kind k, double a, double b)
{
	switch (k) {
	case CK_N_ADD:
		return ck_sql_dec(a + b, c->ver);
	case CK_N_SUB:
		return ck_sql_dec(a - b, c->ver);
	case CK_N_MUL:
		return ck_sql_dec(a * b, c->ver);
	case CK_N_DIV:
		return b == 0 ? ck_sql_undef() : ck_sql_dec(a / b, c->ver);
	case CK_N_MOD:
		return b == 0 ? ck_sql_undef() : ck_sql_dec(ck_sql_fmod(a, b), c->ver);
	default:
		return ck_sql_undef();
	}
}

/* + - * / % per rules-sql.md §6.4-6.5. */
struct ck_sql_val ck_sql_arith(struct ck_sql_ctx *c, enum ck_sql_node_kind k, struct ck_sql_val l,
                               struct ck_sql_val r)
{
	if (l.t == CK_SQL_UNDEF || r.t == CK_SQL_UNDEF)
		return ck_sql_undef();
	if (k == CK_N_ADD && (l.t == CK_SQL_STR || r.t == CK_SQL_STR))
		return concat2(c, l, r);
	if (l.t == CK_SQL_STR || r.t == CK_SQL_STR) {
		if (!(is_num(l) || l.t == CK_SQL_STR) || !(is_num(r) || r.t == CK_SQL_STR))
			return ck_sql_undef();
		struct ck_sql_val a = ck_sql_to_number(l, c->ver);
		struct ck_sql_val b = ck_sql_to_number(r, c->ver);
		if (a.t == CK_SQL_UNDEF || b.t == CK_SQL_UNDEF)
			return ck_sql_undef();
		return dec_op(c, k, as_double(a), as_double(b));
	}
	if (!is_num(l) || !is_num(r))
		return ck_sql_undef();
	if (l.t == CK_SQL_INT && r.t == CK_SQL_INT)
		return int_op(c, k, l.u.i, r.u.i);
	return dec_op(c, k, as_double(l), as_double(r));
}

/* < <= > >= per rules-sql.md §6.3: numbers and numeric strings only. */
static struct ck_sql_val order(struct ck_sql_ctx *c, enum ck_sql_node_kind k, struct ck_sql_val l,
                               struct ck_sql_val r)
{
	struct ck_sql_val a = ck_sql_to_number(l, c->ver);
	struct ck_sql_val b = ck_sql_to_number(r, c->ver);
	if (a.t == CK_SQL_UNDEF || b.t == CK_SQL_UNDEF)
		return ck_sql_undef();
	int cmp;
	if (a.t == CK_SQL_INT && b.t == CK_SQL_INT)
		cmp = (a.u.i > b.u.i) - (a.u.i < b.u.i);
	else
		cmp = (as_double(a) > as_double(b)) - (as_double(a) < as_double(b));
	switch (k) {
	case CK_N_LT:
		return ck_sql_bool(cmp < 0);
	case CK_N_LE:
		return ck_sql_bool(cmp <= 0);
	case CK_N_GT:
		return ck_sql_bool(cmp > 0);
	default:
		return ck_sql_bool(cmp >= 0);
	}
}

static struct ck_sql_val cast(struct ck_sql_ctx *c, enum ck_sql_cast type, struct ck_sql_val v)
{
	int64_t i;
	switch (type) {
	case CK_CAST_STRING:
		return ck_sql_to_string(&c->arena, v, c->ver);
	case CK_CAST_INT:
		if (v.t == CK_SQL_BOOL)
			return ck_sql_int(v.u.b ? 1 : 0);
		if (v.t == CK_SQL_DEC) {
			double d = ck_sql_floor(v.u.d);
			if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
				return ck_sql_undef();
			return ck_sql_int((int64_t)d);
		}
		if (!ck_sql_to_int(v, &i))
			return ck_sql_undef();
		return ck_sql_int(i);
	case CK_CAST_DEC:
		if (v.t == CK_SQL_BOOL)
			return ck_sql_dec(v.u.b ? 1 : 0, c->ver);
		v = ck_sql_to_number(v, c->ver);
		if (v.t == CK_SQL_INT)
			return ck_sql_dec((double)v.u.i, c->ver);
		return v;
	case CK_CAST_BOOL:
		if (is_num(v))
			return ck_sql_bool(as_double(v) != 0);
		return ck_sql_to_bool(v);
	}
	return ck_sql_undef();
}

static struct ck_sql_val eval_case(struct ck_sql_ctx *c, const struct ck_sql_node *n)
{
	size_t i = 0;
	struct ck_sql_val subject = ck_sql_undef();
	if (n->has_subject) {
		subject = ck_sql_eval_node(c, n->kids[i++]);
		if (subject.t == CK_SQL_UNDEF)
			return subject;
	}
	size_t pairs_end = n->nkids - (n->has_else ? 1 : 0);
	for (; i < pairs_end; i += 2) {
		struct ck_sql_val w = ck_sql_eval_node(c, n->kids[i]);
		bool hit;
		if (n->has_subject) {
			struct ck_sql_val e = ck_sql_equal(subject, w);
			hit = e.t == CK_SQL_BOOL && e.u.b;
		} else {
			hit = ck_sql_is_true(w);
		}
		if (hit)
			return ck_sql_eval_node(c, n->kids[i + 1]);
	}
	if (n->has_else)
		return ck_sql_eval_node(c, n->kids[n->nkids - 1]);
	return ck_sql_undef();
}

static struct ck_sql_val make_array(struct ck_sql_ctx *c, struct ck_sql_val *v, size_t n)
{
	struct ck_sql_arr *a = ck_sql_arena_alloc(&c->arena, sizeof(*a));
	if (!a)
		return ck_sql_undef();
	a->n = n;
	a->v = v;
	struct ck_sql_val out = { .t = CK_SQL_ARR, .u.a = a };
	return out;
}

static struct ck_sql_val eval_array(struct ck_sql_ctx *c, const struct ck_sql_node *n)
{
	struct ck_sql_val *v = ck_sql_arena_alloc(&c->arena, (n->nkids + 1) * sizeof(*v));
	if (!v)
		return ck_sql_undef();
	size_t k = 0;
	for (size_t i = 0; i < n->nkids; i++) {
		v[k] = ck_sql_eval_node(c, n->kids[i]);
		if (v[k].t != CK_SQL_UNDEF)
			k++;
	}
	return make_array(c, v, k);
}

static struct ck_sql_val eval_object(struct ck_sql_ctx *c, const struct ck_sql_node *n)
{
	size_t cnt = n->nkids + 1;
	struct ck_sql_val *k = ck_sql_arena_alloc(&c->arena, cnt * sizeof(*k));
	struct ck_sql_val *v = ck_sql_arena_alloc(&c->arena, cnt * sizeof(*v));
	if (!k || !v)
		return ck_sql_undef();
	for (size_t i = 0; i < n->nkids; i++) {
		k[i] = n->keys[i];
		v[i] = ck_sql_eval_node(c, n->kids[i]);
	}
	return ck_sql_obj_build(&c->arena, k, v, n->nkids);
}

static struct ck_sql_val eval_call(struct ck_sql_ctx *c, const struct ck_sql_node *n)
{
	struct ck_sql_val *args = ck_sql_arena_alloc(&c->arena, (n->nkids + 1) * sizeof(*args));
	if (!args)
		return ck_sql_undef();
	for (size_t i = 0; i < n->nkids; i++)
		args[i] = ck_sql_eval_node(c, n->kids[i]);
	return n->fn->fn(c, args, n->nkids);
}

/* ---- SELECT output ---- */

static struct ck_sql_obj *obj_new(struct ck_sql_ctx *c)
{
	struct ck_sql_obj *o = ck_sql_arena_alloc(&c->arena, sizeof(*o));
	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->cap = 1; /* marks it as under construction */
	return o;
}

/* A writable copy of v's object (v itself when it is already ours). */
static struct ck_sql_obj *obj_own(struct ck_sql_ctx *c, struct ck_sql_val v)
{
	if (v.t == CK_SQL_OBJ && v.u.o->cap > 0)
		return (struct ck_sql_obj *)v.u.o;
	struct ck_sql_obj *o = obj_new(c);
	if (!o || v.t != CK_SQL_OBJ || v.u.o->n == 0)
		return o;
	size_t n = v.u.o->n;
	o->k = ck_sql_arena_alloc(&c->arena, n * sizeof(*o->k));
	o->v = ck_sql_arena_alloc(&c->arena, n * sizeof(*o->v));
	if (!o->k || !o->v)
		return NULL;
	memcpy(o->k, v.u.o->k, n * sizeof(*o->k));
	memcpy(o->v, v.u.o->v, n * sizeof(*o->v));
	o->n = n;
	o->cap = n;
	return o;
}

/* Index of key in o, or o->n. */
static size_t obj_find(const struct ck_sql_obj *o, const char *key, size_t len)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->k[i].u.s.n == len && memcmp(o->k[i].u.s.p, key, len) == 0)
			return i;
	return o->n;
}

/* Sets key to v in o (in place when present). Returns false on no memory. */
static bool obj_set(struct ck_sql_ctx *c, struct ck_sql_obj *o, struct ck_sql_val key,
                    struct ck_sql_val v, bool check)
{
	size_t i = check ? obj_find(o, key.u.s.p, key.u.s.n) : o->n;
	if (i < o->n) {
		o->v[i] = v;
		return true;
	}
	if (o->n == o->cap || !o->k) {
		size_t cap = o->n ? o->n * 2 : 4;
		struct ck_sql_val *nk = ck_sql_arena_alloc(&c->arena, cap * sizeof(*nk));
		struct ck_sql_val *nv = ck_sql_arena_alloc(&c->arena, cap * sizeof(*nv));
		if (!nk || !nv)
			return false;
		if (o->n) {
			memcpy(nk, o->k, o->n * sizeof(*nk));
			memcpy(nv, o->v, o->n * sizeof(*nv));
		}
		o->k = nk;
		o->v = nv;
		o->cap = cap;
	}
	o->k[o->n] = key;
	o->v[o->n] = v;
	o->n++;
	return true;
}

/* Stores v under the dotted path, creating (or replacing non-object)
 * intermediate levels. */
static bool obj_set_path(struct ck_sql_ctx *c, struct ck_sql_obj *o, const char *const *path,
                         size_t npath, struct ck_sql_val v)
{
	for (size_t d = 0; d + 1 < npath; d++) {
		size_t len = strlen(path[d]);
		size_t i = obj_find(o, path[d], len);
		struct ck_sql_obj *child = obj_own(c, i < o->n ? o->v[i] : ck_sql_undef());
		if (!child)
			return false;
		struct ck_sql_val cv = { .t = CK_SQL_OBJ, .u.o = child };
		if (!obj_set(c, o, ck_sql_str(path[d], len), cv, true))
			return false;
		o = child;
	}
	return obj_set(c, o, ck_sql_str(path[npath - 1], strlen(path[npath - 1])), v, true);
}

/* Evaluates the SELECT list against c->doc. Undefined on failure. */
static struct ck_sql_val eval_items(struct ck_sql_ctx *c, const struct ck_sql_select *s)
{
	if (s->value)
		return ck_sql_eval_node(c, s->items[0].expr);
	if (s->nitems == 1 && !s->items[0].expr)
		return c->doc;
	struct ck_sql_obj *o = obj_new(c);
	if (!o)
		return ck_sql_undef();
	for (size_t i = 0; i < s->nitems; i++) {
		const struct ck_sql_item *item = &s->items[i];
		if (!item->expr) {
			/* '*' merges the document's keys; other documents add nothing */
			if (c->doc.t != CK_SQL_OBJ)
				continue;
			bool check = o->n > 0;
			for (size_t k = 0; k < c->doc.u.o->n; k++)
				if (!obj_set(c, o, c->doc.u.o->k[k], c->doc.u.o->v[k], check))
					return ck_sql_undef();
			continue;
		}
		struct ck_sql_val v = ck_sql_eval_node(c, item->expr);
		if (v.t == CK_SQL_UNDEF)
			continue;
		if (!obj_set_path(c, o, item->path, item->npath, v))
			return ck_sql_undef();
	}
	struct ck_sql_val out = { .t = CK_SQL_OBJ, .u.o = o };
	return out;
}

/* (SELECT ... FROM array [WHERE ...]): one output per element. */
static struct ck_sql_val eval_nested(struct ck_sql_ctx *c, const struct ck_sql_select *s)
{
	struct ck_sql_val src;
	const struct ck_sql_val *elems;
	size_t n;
	if (s->from->kind == CK_N_STAR) {
		src = c->doc;
		elems = &src;
		n = 1;
	} else {
		src = ck_sql_eval_node(c, s->from);
		if (src.t != CK_SQL_ARR)
			return ck_sql_undef();
		elems = src.u.a->v;
		n = src.u.a->n;
	}
	struct ck_sql_val *out = ck_sql_arena_alloc(&c->arena, (n + 1) * sizeof(*out));
	if (!out)
		return ck_sql_undef();
	size_t k = 0;
	struct ck_sql_val saved = c->doc;
	for (size_t i = 0; i < n; i++) {
		c->doc = elems[i];
		if (s->where && !ck_sql_is_true(ck_sql_eval_node(c, s->where)))
			continue;
		struct ck_sql_val v = eval_items(c, s);
		if (v.t != CK_SQL_UNDEF)
			out[k++] = v;
	}
	c->doc = saved;
	return make_array(c, out, k);
}

struct ck_sql_val ck_sql_eval_node(struct ck_sql_ctx *c, const struct ck_sql_node *n)
{
	struct ck_sql_val l, r;
	switch (n->kind) {
	case CK_N_LIT:
		return n->val;
	case CK_N_FIELD:
		if (c->doc.t != CK_SQL_OBJ)
			return ck_sql_undef();
		return ck_sql_obj_get(c->doc.u.o, n->name, n->name_len);
	case CK_N_STAR:
		return c->doc;
	case CK_N_MEMBER:
		l = ck_sql_eval_node(c, n->kids[0]);
		if (l.t != CK_SQL_OBJ)
			return ck_sql_undef();
		return ck_sql_obj_get(l.u.o, n->name, n->name_len);
	case CK_N_INDEX:
		l = ck_sql_eval_node(c, n->kids[0]);
		r = ck_sql_eval_node(c, n->kids[1]);
		return index_get(c, l, r);
	case CK_N_NEG:
	case CK_N_POS:
		l = ck_sql_to_number(ck_sql_eval_node(c, n->kids[0]), c->ver);
		if (n->kind == CK_N_POS || l.t == CK_SQL_UNDEF)
			return l;
		if (l.t == CK_SQL_INT && l.u.i != INT64_MIN)
			return ck_sql_int(-l.u.i);
		return ck_sql_dec(-as_double(l), c->ver);
	case CK_N_NOT:
		l = ck_sql_to_bool(ck_sql_eval_node(c, n->kids[0]));
		return l.t == CK_SQL_BOOL ? ck_sql_bool(!l.u.b) : l;
	case CK_N_AND:
	case CK_N_OR:
		/* literal reading of AWS's table: any non-Boolean side gives Undefined */
		l = ck_sql_to_bool(ck_sql_eval_node(c, n->kids[0]));
		r = ck_sql_to_bool(ck_sql_eval_node(c, n->kids[1]));
		if (l.t != CK_SQL_BOOL || r.t != CK_SQL_BOOL)
			return ck_sql_undef();
		return ck_sql_bool(n->kind == CK_N_AND ? l.u.b && r.u.b : l.u.b || r.u.b);
	case CK_N_EQ:
	case CK_N_NE:
		l = ck_sql_equal(ck_sql_eval_node(c, n->kids[0]), ck_sql_eval_node(c, n->kids[1]));
		if (n->kind == CK_N_NE && l.t == CK_SQL_BOOL)
			l.u.b = !l.u.b;
		return l;
	case CK_N_LT:
	case CK_N_LE:
	case CK_N_GT:
	case CK_N_GE:
		l = ck_sql_eval_node(c, n->kids[0]);
		r = ck_sql_eval_node(c, n->kids[1]);
		return order(c, n->kind, l, r);
	case CK_N_ADD:
	case CK_N_SUB:
	case CK_N_MUL:
	case CK_N_DIV:
	case CK_N_MOD:
		l = ck_sql_eval_node(c, n->kids[0]);
		r = ck_sql_eval_node(c, n->kids[1]);
		return ck_sql_arith(c, n->kind, l, r);
	case CK_N_CALL:
		return eval_call(c, n);
	case CK_N_CAST:
		return cast(c, n->cast_type, ck_sql_eval_node(c, n->kids[0]));
	case CK_N_CASE:
		return eval_case(c, n);
	case CK_N_ARRAY:
		return eval_array(c, n);
	case CK_N_OBJECT:
		return eval_object(c, n);
	case CK_N_SELECT:
		return eval_nested(c, n->sel);
	}
	return ck_sql_undef();
}

int ck_sql_ctx_init(struct ck_sql_ctx *c, const struct ck_sql_message *msg, enum ck_sql_version ver)
{
	memset(c, 0, sizeof(*c));
	ck_sql_arena_init(&c->arena, CK_SQL_EVAL_BUDGET);
	c->msg = msg;
	c->ver = ver;
	int rc = -EINVAL;
	if (msg->payload_len <= CK_SQL_STR_MAX)
		rc = ck_sql_json_parse(&c->arena, msg->payload, msg->payload_len, ver, &c->payload);
	if (rc == -ENOMEM && c->arena.oom) {
		ck_sql_arena_cleanup(&c->arena);
		return -ENOMEM;
	}
	if (rc != 0) {
		/* not JSON: '*' is the raw bytes, fields are Undefined */
		ck_sql_arena_cleanup(&c->arena);
		ck_sql_arena_init(&c->arena, CK_SQL_EVAL_BUDGET);
		c->payload.t = CK_SQL_BIN;
		c->payload.u.s.p = msg->payload ? (const char *)msg->payload : "";
		c->payload.u.s.n = msg->payload ? msg->payload_len : 0;
	}
	c->doc = c->payload;
	return 0;
}

void ck_sql_ctx_cleanup(struct ck_sql_ctx *c)
{
	ck_sql_arena_cleanup(&c->arena);
}

int ck_sql_eval(const struct ck_sql_rule *rule, const struct ck_sql_message *msg, cJSON **out)
{
	struct ck_sql_ctx c;
	int rc = 0;

	if (out)
		*out = NULL;
	if (!rule || !msg)
		return -EINVAL;
	rc = ck_sql_ctx_init(&c, msg, rule->ver);
	if (rc)
		return rc;
	if (rule->sel.where && !ck_sql_is_true(ck_sql_eval_node(&c, rule->sel.where)))
		goto out;
	if (!out) {
		rc = c.arena.oom ? -ENOMEM : 1;
		goto out;
	}
	struct ck_sql_val v = eval_items(&c, &rule->sel);
	if (c.arena.oom) {
		rc = -ENOMEM;
		goto out;
	}
	*out = ck_sql_to_cjson(v, c.ver);
	rc = *out ? 1 : -ENOMEM;
out:
	ck_sql_ctx_cleanup(&c);
	return rc;
}

/* Writes the output value v as payload bytes into b (rules-sql.md §8.5-8.6). */
static void write_payload(struct ck_sql_buf *b, struct ck_sql_val v, enum ck_sql_version ver)
{
	if (v.t == CK_SQL_BIN) {
		/* the bytes of a binary payload are forwarded unchanged */
		ck_sql_buf_add(b, v.u.s.p, v.u.s.n);
		return;
	}
	ck_sql_json_write(b, v, ver);
}

int ck_sql_eval_payload(const struct ck_sql_rule *rule, const struct ck_sql_message *msg,
                        uint8_t **out, size_t *out_len)
{
	struct ck_sql_ctx c;
	int rc;

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!rule || !msg || (out && !out_len))
		return -EINVAL;
	rc = ck_sql_ctx_init(&c, msg, rule->ver);
	if (rc)
		return rc;
	if (rule->sel.where && !ck_sql_is_true(ck_sql_eval_node(&c, rule->sel.where)))
		goto out;
	if (!out) {
		rc = c.arena.oom ? -ENOMEM : 1;
		goto out;
	}
	struct ck_sql_val v = eval_items(&c, &rule->sel);
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c.arena);
	b.max = CK_SQL_OUT_MAX;
	/* the output is usually about as long as the payload */
	ck_sql_buf_reserve(&b, msg->payload_len < 4096 ? msg->payload_len + 64 : 4096);
	ck_sql_buf_add(&b, "", 0);
	if (!c.arena.oom)
		write_payload(&b, v, c.ver);
	if (c.arena.oom) {
		rc = -ENOMEM;
		goto out;
	}
	if (b.fail) {
		rc = -E2BIG;
		goto out;
	}
	*out = malloc(b.n + 1);
	if (!*out) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*out, b.p, b.n + 1);
	*out_len = b.n;
	rc = 1;
out:
	ck_sql_ctx_cleanup(&c);
	return rc;
}
