/*
 * IoT SQL parser: recursive descent over the lexer's tokens, following the
 * grammar of rules-sql.md §3, building the syntax tree the evaluator walks.
 * It owns every compile-time decision: keywords (case-insensitive, VALUE
 * only right after SELECT), function names and argument counts, CAST types,
 * the FROM topic filter, version-only syntax and the nesting limit
 * (CK_SQL_MAX_DEPTH, both for parser recursion and for tree height). The
 * first error wins and is reported with the line and column of the token
 * where it was found.
 */
#include "sql/sql_int.h"

#include "core/topic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct parser {
	struct ck_sql_rule *r;
	struct ck_sql_arena *a;
	const struct ck_sql_token *t;
	struct ck_sql_error *err;
	int depth;
	int rc;
};

static const char *const reserved[] = {
	"SELECT", "FROM", "WHERE", "AS",   "AND",   "OR",   "NOT", "CASE", "WHEN",
	"THEN",   "ELSE", "END",   "TRUE", "FALSE", "NULL", "SET", "IN",
};

static bool tok_is(const struct ck_sql_token *t, const char *kw)
{
	return t->t == CK_TOK_IDENT && t->n == strlen(kw) && strncasecmp(t->p, kw, t->n) == 0;
}

static bool tok_reserved(const struct ck_sql_token *t)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (tok_is(t, reserved[i]))
			return true;
	return false;
}

/* Records the first error at token t; always returns NULL. */
__attribute__((format(printf, 3, 4))) static void *
fail(struct parser *p, const struct ck_sql_token *t, const char *fmt, ...)
{
	if (p->rc)
		return NULL;
	if (p->a->oom) {
		p->rc = -ENOMEM;
		return NULL;
	}
	p->rc = -EINVAL;
	p->err->line = t->line;
	p->err->column = t->col;
	if (t->t == CK_TOK_ERR) { /* a lexical error explains itself */
		snprintf(p->err->message, sizeof(p->err->message), "%s", t->s);
		return NULL;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

static void *nomem(struct parser *p)
{
	if (!p->rc)
		p->rc = -ENOMEM;
	return NULL;
}

/* A short printable form of the token for messages. */
static const char *describe(const struct ck_sql_token *t, char *buf, size_t cap)
{
	switch (t->t) {
	case CK_TOK_EOF:
		return "end of input";
	case CK_TOK_STR:
		return "a string";
	case CK_TOK_ERR:
		return t->s;
	default:
		snprintf(buf, cap, "'%.*s'", t->n > 32 ? 32 : (int)t->n, t->p);
		return buf;
	}
}

static struct ck_sql_node *node_new(struct parser *p, enum ck_sql_node_kind kind, size_t nkids)
{
	struct ck_sql_node *n = ck_sql_arena_alloc(p->a, sizeof(*n));
	if (!n)
		return nomem(p);
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->height = 1;
	if (nkids) {
		n->kids = ck_sql_arena_alloc(p->a, nkids * sizeof(*n->kids));
		if (!n->kids)
			return nomem(p);
		n->nkids = nkids;
	}
	return n;
}

/* Sets n's height from its children; fails when the tree gets too deep. */
static struct ck_sql_node *seal(struct parser *p, struct ck_sql_node *n,
                                const struct ck_sql_token *at)
{
	int h = 0;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i] && n->kids[i]->height > h)
			h = n->kids[i]->height;
	n->height = h + 1;
	if (n->height > CK_SQL_MAX_DEPTH)
		return fail(p, at, "expression nested too deeply (more than %d levels)",
		            CK_SQL_MAX_DEPTH);
	return n;
}

static struct ck_sql_node *binary(struct parser *p, enum ck_sql_node_kind kind,
                                  struct ck_sql_node *l, struct ck_sql_node *r,
                                  const struct ck_sql_token *at)
{
	struct ck_sql_node *n = node_new(p, kind, 2);
	if (!n)
		return NULL;
	n->kids[0] = l;
	n->kids[1] = r;
	return seal(p, n, at);
}

static struct ck_sql_node *parse_expr(struct parser *p);
static struct ck_sql_select *parse_select(struct parser *p, bool top);

/* Growable list of nodes while parsing. */
struct nlist {
	struct ck_sql_node **v;
	struct ck_sql_val *k;
	size_t n, cap;
};

static bool nlist_push(struct parser *p, struct nlist *l, struct ck_sql_node *n,
                       struct ck_sql_val key)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct ck_sql_node **nv = ck_sql_arena_alloc(p->a, cap * sizeof(*nv));
		struct ck_sql_val *nk = ck_sql_arena_alloc(p->a, cap * sizeof(*nk));
		if (!nv || !nk) {
			nomem(p);
			return false;
		}
		if (l->n) {
			memcpy(nv, l->v, l->n * sizeof(*nv));
			memcpy(nk, l->k, l->n * sizeof(*nk));
		}
		l->v = nv;
		l->k = nk;
		l->cap = cap;
	}
	l->v[l->n] = n;
	l->k[l->n] = key;
	l->n++;
	return true;
}

static struct ck_sql_node *from_list(struct parser *p, enum ck_sql_node_kind kind, struct nlist *l,
                                     const struct ck_sql_token *at)
{
	struct ck_sql_node *n = node_new(p, kind, 0);
	if (!n)
		return NULL;
	n->kids = l->v;
	n->nkids = l->n;
	n->keys = l->k;
	return seal(p, n, at);
}

static bool need_2016(struct parser *p, const struct ck_sql_token *at, const char *what)
{
	if (p->r->ver == CK_SQL_2016_03_23)
		return true;
	fail(p, at, "%s requires SQL version 2016-03-23", what);
	return false;
}

static bool expect(struct parser *p, enum ck_sql_tok k, const char *what)
{
	if (p->t->t == k) {
		p->t++;
		return true;
	}
	char buf[48];
	fail(p, p->t, "expected %s, found %s", what, describe(p->t, buf, sizeof(buf)));
	return false;
}

static struct ck_sql_node *parse_case(struct parser *p)
{
	const struct ck_sql_token *at = p->t++;
	struct nlist l = { 0 };
	struct ck_sql_val none = ck_sql_undef();
	bool has_subject = !tok_is(p->t, "WHEN");
	if (has_subject) {
		struct ck_sql_node *s = parse_expr(p);
		if (!s || !nlist_push(p, &l, s, none))
			return NULL;
	}
	if (!tok_is(p->t, "WHEN"))
		return fail(p, p->t, "CASE without WHEN");
	while (tok_is(p->t, "WHEN")) {
		p->t++;
		struct ck_sql_node *w = parse_expr(p);
		if (!w || !nlist_push(p, &l, w, none))
			return NULL;
		if (!tok_is(p->t, "THEN"))
			return fail(p, p->t, "expected THEN");
		p->t++;
		struct ck_sql_node *th = parse_expr(p);
		if (!th || !nlist_push(p, &l, th, none))
			return NULL;
	}
	bool has_else = false;
	if (tok_is(p->t, "ELSE")) {
		p->t++;
		struct ck_sql_node *e = parse_expr(p);
		if (!e || !nlist_push(p, &l, e, none))
			return NULL;
		has_else = true;
	}
	if (!tok_is(p->t, "END"))
		return fail(p, p->t, "expected END to close CASE");
	p->t++;
	struct ck_sql_node *n = from_list(p, CK_N_CASE, &l, at);
	if (n) {
		n->has_subject = has_subject;
		n->has_else = has_else;
	}
	return n;
}

static const struct {
	const char *name;
	enum ck_sql_cast type;
	bool since_2016;
} cast_types[] = {
	{ "String", CK_CAST_STRING, false },  { "Nvarchar", CK_CAST_STRING, false },
	{ "Text", CK_CAST_STRING, false },    { "Ntext", CK_CAST_STRING, false },
	{ "varchar", CK_CAST_STRING, false }, { "Int", CK_CAST_INT, false },
	{ "Integer", CK_CAST_INT, false },    { "Double", CK_CAST_DEC, false },
	{ "Decimal", CK_CAST_DEC, true },     { "Bool", CK_CAST_BOOL, true },
	{ "Boolean", CK_CAST_BOOL, true },
};

static struct ck_sql_node *parse_cast(struct parser *p, const struct ck_sql_token *at)
{
	/* p->t is at '(' */
	p->t++;
	struct ck_sql_node *n = node_new(p, CK_N_CAST, 1);
	if (!n)
		return NULL;
	n->kids[0] = parse_expr(p);
	if (!n->kids[0])
		return NULL;
	if (!tok_is(p->t, "AS"))
		return fail(p, p->t, "expected AS in CAST");
	p->t++;
	const struct ck_sql_token *ty = p->t;
	bool found = false;
	for (size_t i = 0; i < sizeof(cast_types) / sizeof(cast_types[0]); i++) {
		if (!tok_is(ty, cast_types[i].name))
			continue;
		if (cast_types[i].since_2016 && !need_2016(p, ty, "this CAST type"))
			return NULL;
		n->cast_type = cast_types[i].type;
		found = true;
	}
	if (!found) {
		char buf[48];
		return fail(p, ty, "unknown CAST type %s", describe(ty, buf, sizeof(buf)));
	}
	p->t++;
	if (!expect(p, CK_TOK_RPAREN, "')'"))
		return NULL;
	return seal(p, n, at);
}

static struct ck_sql_node *parse_nested(struct parser *p, const struct ck_sql_token *at)
{
	if (!need_2016(p, at, "a nested SELECT"))
		return NULL;
	struct ck_sql_node *n = node_new(p, CK_N_SELECT, 0);
	if (!n)
		return NULL;
	n->sel = parse_select(p, false);
	if (!n->sel)
		return NULL;
	int h = 0;
	for (size_t i = 0; i < n->sel->nitems; i++)
		if (n->sel->items[i].expr && n->sel->items[i].expr->height > h)
			h = n->sel->items[i].expr->height;
	if (n->sel->from->height > h)
		h = n->sel->from->height;
	if (n->sel->where && n->sel->where->height > h)
		h = n->sel->where->height;
	n->height = h + 1;
	if (n->height > CK_SQL_MAX_DEPTH)
		return fail(p, at, "expression nested too deeply (more than %d levels)",
		            CK_SQL_MAX_DEPTH);
	return n;
}

static struct ck_sql_node *parse_call(struct parser *p)
{
	const struct ck_sql_token *at = p->t;
	const struct ck_sql_func *fn = ck_sql_func_find(at->p, at->n);
	p->t++; /* name; now at '(' */
	if (tok_is(at, "cast"))
		return parse_cast(p, at);
	if (!fn)
		return fail(p, at, "unknown function '%.*s'", at->n > 64 ? 64 : (int)at->n, at->p);
	if (fn->since_2016 && !need_2016(p, at, "this function"))
		return NULL;
	p->t++;
	struct nlist l = { 0 };
	struct ck_sql_val none = ck_sql_undef();
	if (p->t->t != CK_TOK_RPAREN) {
		for (;;) {
			struct ck_sql_node *arg;
			if (tok_is(p->t, "SELECT"))
				arg = parse_nested(p, p->t);
			else
				arg = parse_expr(p);
			if (!arg || !nlist_push(p, &l, arg, none))
				return NULL;
			if (p->t->t != CK_TOK_COMMA)
				break;
			p->t++;
		}
	}
	if (!expect(p, CK_TOK_RPAREN, "')' after function arguments"))
		return NULL;
	int n = (int)l.n;
	if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
		if (fn->max_args < 0)
			return fail(p, at, "%s() takes at least %d argument%s", fn->name,
			            fn->min_args, fn->min_args == 1 ? "" : "s");
		if (fn->min_args == fn->max_args)
			return fail(p, at, "%s() takes %d argument%s", fn->name, fn->min_args,
			            fn->min_args == 1 ? "" : "s");
		return fail(p, at, "%s() takes %d to %d arguments", fn->name, fn->min_args,
		            fn->max_args);
	}
	struct ck_sql_node *node = from_list(p, CK_N_CALL, &l, at);
	if (node)
		node->fn = fn;
	return node;
}

static struct ck_sql_node *parse_array(struct parser *p)
{
	const struct ck_sql_token *at = p->t++;
	if (!need_2016(p, at, "an array literal"))
		return NULL;
	struct nlist l = { 0 };
	struct ck_sql_val none = ck_sql_undef();
	if (p->t->t != CK_TOK_RBRACK) {
		for (;;) {
			struct ck_sql_node *e = parse_expr(p);
			if (!e || !nlist_push(p, &l, e, none))
				return NULL;
			if (p->t->t != CK_TOK_COMMA)
				break;
			p->t++;
		}
	}
	if (!expect(p, CK_TOK_RBRACK, "']'"))
		return NULL;
	return from_list(p, CK_N_ARRAY, &l, at);
}

static struct ck_sql_node *parse_object(struct parser *p)
{
	const struct ck_sql_token *at = p->t++;
	if (!need_2016(p, at, "an object literal"))
		return NULL;
	struct nlist l = { 0 };
	if (p->t->t != CK_TOK_RBRACE) {
		for (;;) {
			if (p->t->t != CK_TOK_STR) {
				char buf[48];
				return fail(p, p->t, "expected a string key, found %s",
				            describe(p->t, buf, sizeof(buf)));
			}
			struct ck_sql_val key = ck_sql_str(p->t->s, p->t->slen);
			p->t++;
			if (!expect(p, CK_TOK_COLON, "':'"))
				return NULL;
			struct ck_sql_node *e = parse_expr(p);
			if (!e || !nlist_push(p, &l, e, key))
				return NULL;
			if (p->t->t != CK_TOK_COMMA)
				break;
			p->t++;
		}
	}
	if (!expect(p, CK_TOK_RBRACE, "'}'"))
		return NULL;
	return from_list(p, CK_N_OBJECT, &l, at);
}

static struct ck_sql_node *parse_primary(struct parser *p)
{
	const struct ck_sql_token *t = p->t;
	struct ck_sql_node *n;
	char buf[48];

	switch (t->t) {
	case CK_TOK_NUM:
		n = node_new(p, CK_N_LIT, 0);
		if (n)
			n->val = t->num;
		p->t++;
		return n;
	case CK_TOK_STR:
		n = node_new(p, CK_N_LIT, 0);
		if (n)
			n->val = ck_sql_str(t->s, t->slen);
		p->t++;
		return n;
	case CK_TOK_STAR:
		p->t++;
		return node_new(p, CK_N_STAR, 0);
	case CK_TOK_LPAREN:
		p->t++;
		if (tok_is(p->t, "SELECT"))
			n = parse_nested(p, t);
		else
			n = parse_expr(p);
		if (!n || !expect(p, CK_TOK_RPAREN, "')'"))
			return NULL;
		return n;
	case CK_TOK_LBRACK:
		return parse_array(p);
	case CK_TOK_LBRACE:
		return parse_object(p);
	case CK_TOK_AT:
		return fail(p, t, "SET variables are not supported");
	case CK_TOK_IDENT:
		break;
	default:
		return fail(p, t, "expected an expression, found %s",
		            describe(t, buf, sizeof(buf)));
	}
	if (tok_is(t, "TRUE") || tok_is(t, "FALSE") || tok_is(t, "NULL")) {
		n = node_new(p, CK_N_LIT, 0);
		if (n)
			n->val = tok_is(t, "NULL") ? ck_sql_null() : ck_sql_bool(tok_is(t, "TRUE"));
		p->t++;
		return n;
	}
	if (tok_is(t, "CASE"))
		return parse_case(p);
	if (tok_is(t, "IN"))
		return fail(p, t, "IN is not supported");
	if (tok_reserved(t))
		return fail(p, t, "expected an expression, found %s",
		            describe(t, buf, sizeof(buf)));
	if (t[1].t == CK_TOK_LPAREN)
		return parse_call(p);
	n = node_new(p, CK_N_FIELD, 0);
	if (n) {
		n->name = ck_sql_arena_strdup(p->a, t->p, t->n);
		n->name_len = t->n;
		if (!n->name)
			return nomem(p);
	}
	p->t++;
	return n;
}

static struct ck_sql_node *parse_postfix(struct parser *p)
{
	struct ck_sql_node *n = parse_primary(p);
	while (n) {
		const struct ck_sql_token *at = p->t;
		if (at->t == CK_TOK_DOT) {
			p->t++;
			if (p->t->t != CK_TOK_IDENT) {
				char buf[48];
				return fail(p, p->t, "expected a field name after '.', found %s",
				            describe(p->t, buf, sizeof(buf)));
			}
			struct ck_sql_node *m = node_new(p, CK_N_MEMBER, 1);
			if (!m)
				return NULL;
			m->kids[0] = n;
			m->name = ck_sql_arena_strdup(p->a, p->t->p, p->t->n);
			m->name_len = p->t->n;
			if (!m->name)
				return nomem(p);
			p->t++;
			n = seal(p, m, at);
		} else if (at->t == CK_TOK_LBRACK) {
			p->t++;
			struct ck_sql_node *idx = parse_expr(p);
			if (!idx || !expect(p, CK_TOK_RBRACK, "']'"))
				return NULL;
			n = binary(p, CK_N_INDEX, n, idx, at);
		} else {
			break;
		}
	}
	return n;
}

static struct ck_sql_node *parse_unary(struct parser *p)
{
	const struct ck_sql_token *at = p->t;
	if (at->t != CK_TOK_MINUS && at->t != CK_TOK_PLUS)
		return parse_postfix(p);
	if (++p->depth > CK_SQL_MAX_DEPTH)
		return fail(p, at, "expression nested too deeply (more than %d levels)",
		            CK_SQL_MAX_DEPTH);
	p->t++;
	struct ck_sql_node *e = parse_unary(p);
	p->depth--;
	if (!e)
		return NULL;
	/* fold a negative number literal so it is a literal */
	if (at->t == CK_TOK_MINUS && e->kind == CK_N_LIT && e->nkids == 0) {
		if (e->val.t == CK_SQL_INT && e->val.u.i != INT64_MIN) {
			e->val.u.i = -e->val.u.i;
			return e;
		}
		if (e->val.t == CK_SQL_DEC) {
			e->val = ck_sql_dec(-e->val.u.d, p->r->ver);
			return e;
		}
	}
	struct ck_sql_node *n = node_new(p, at->t == CK_TOK_MINUS ? CK_N_NEG : CK_N_POS, 1);
	if (!n)
		return NULL;
	n->kids[0] = e;
	return seal(p, n, at);
}

static struct ck_sql_node *parse_mul(struct parser *p)
{
	struct ck_sql_node *l = parse_unary(p);
	while (l) {
		const struct ck_sql_token *at = p->t;
		enum ck_sql_node_kind k;
		if (at->t == CK_TOK_STAR)
			k = CK_N_MUL;
		else if (at->t == CK_TOK_SLASH)
			k = CK_N_DIV;
		else if (at->t == CK_TOK_PERCENT)
			k = CK_N_MOD;
		else
			break;
		p->t++;
		struct ck_sql_node *r = parse_unary(p);
		if (!r)
			return NULL;
		l = binary(p, k, l, r, at);
	}
	return l;
}

static struct ck_sql_node *parse_add(struct parser *p)
{
	struct ck_sql_node *l = parse_mul(p);
	while (l) {
		const struct ck_sql_token *at = p->t;
		enum ck_sql_node_kind k;
		if (at->t == CK_TOK_PLUS)
			k = CK_N_ADD;
		else if (at->t == CK_TOK_MINUS)
			k = CK_N_SUB;
		else
			break;
		p->t++;
		struct ck_sql_node *r = parse_mul(p);
		if (!r)
			return NULL;
		l = binary(p, k, l, r, at);
	}
	return l;
}

static bool cmp_kind(const struct ck_sql_token *t, enum ck_sql_node_kind *k)
{
	switch (t->t) {
	case CK_TOK_EQ:
		*k = CK_N_EQ;
		return true;
	case CK_TOK_NE:
		*k = CK_N_NE;
		return true;
	case CK_TOK_LT:
		*k = CK_N_LT;
		return true;
	case CK_TOK_LE:
		*k = CK_N_LE;
		return true;
	case CK_TOK_GT:
		*k = CK_N_GT;
		return true;
	case CK_TOK_GE:
		*k = CK_N_GE;
		return true;
	default:
		return false;
	}
}

static struct ck_sql_node *parse_cmp(struct parser *p)
{
	struct ck_sql_node *l = parse_add(p);
	if (!l)
		return NULL;
	enum ck_sql_node_kind k;
	const struct ck_sql_token *at = p->t;
	if (tok_is(at, "IN"))
		return fail(p, at, "IN is not supported");
	if (!cmp_kind(at, &k))
		return l;
	p->t++;
	struct ck_sql_node *r = parse_add(p);
	if (!r)
		return NULL;
	if (cmp_kind(p->t, &k))
		return fail(p, p->t, "comparisons cannot be chained; use AND");
	cmp_kind(at, &k);
	return binary(p, k, l, r, at);
}

static struct ck_sql_node *parse_not(struct parser *p)
{
	const struct ck_sql_token *at = p->t;
	if (!tok_is(at, "NOT"))
		return parse_cmp(p);
	if (++p->depth > CK_SQL_MAX_DEPTH)
		return fail(p, at, "expression nested too deeply (more than %d levels)",
		            CK_SQL_MAX_DEPTH);
	p->t++;
	struct ck_sql_node *e = parse_not(p);
	p->depth--;
	if (!e)
		return NULL;
	struct ck_sql_node *n = node_new(p, CK_N_NOT, 1);
	if (!n)
		return NULL;
	n->kids[0] = e;
	return seal(p, n, at);
}

static struct ck_sql_node *parse_and(struct parser *p)
{
	struct ck_sql_node *l = parse_not(p);
	while (l && tok_is(p->t, "AND")) {
		const struct ck_sql_token *at = p->t++;
		struct ck_sql_node *r = parse_not(p);
		if (!r)
			return NULL;
		l = binary(p, CK_N_AND, l, r, at);
	}
	return l;
}

static struct ck_sql_node *parse_or(struct parser *p)
{
	struct ck_sql_node *l = parse_and(p);
	while (l && tok_is(p->t, "OR")) {
		const struct ck_sql_token *at = p->t++;
		struct ck_sql_node *r = parse_and(p);
		if (!r)
			return NULL;
		l = binary(p, CK_N_OR, l, r, at);
	}
	return l;
}

static struct ck_sql_node *parse_expr(struct parser *p)
{
	if (++p->depth > CK_SQL_MAX_DEPTH)
		return fail(p, p->t, "expression nested too deeply (more than %d levels)",
		            CK_SQL_MAX_DEPTH);
	struct ck_sql_node *n = parse_or(p);
	p->depth--;
	return n;
}

/* The output key of an item without AS (rules-sql.md §8.3). */
static const char *derived_name(struct parser *p, const struct ck_sql_node *e, size_t pos)
{
	switch (e->kind) {
	case CK_N_FIELD:
	case CK_N_MEMBER:
		return e->name;
	case CK_N_CALL:
		return e->fn->name;
	case CK_N_CAST:
		return "cast";
	default: {
		char buf[32];
		snprintf(buf, sizeof(buf), "_%zu", pos);
		char *s = ck_sql_arena_strdup(p->a, buf, strlen(buf));
		if (!s)
			nomem(p);
		return s;
	}
	}
}

/* Reads "AS a.b.c" into item->path. */
static bool parse_alias(struct parser *p, struct ck_sql_item *item)
{
	size_t cap = 4;
	item->path = ck_sql_arena_alloc(p->a, cap * sizeof(*item->path));
	item->npath = 0;
	if (!item->path) {
		nomem(p);
		return false;
	}
	for (;;) {
		if (p->t->t != CK_TOK_IDENT || tok_reserved(p->t)) {
			char buf[48];
			fail(p, p->t, "expected a name after AS, found %s",
			     describe(p->t, buf, sizeof(buf)));
			return false;
		}
		if (item->npath == cap) {
			const char **np = ck_sql_arena_alloc(p->a, 2 * cap * sizeof(*np));
			if (!np) {
				nomem(p);
				return false;
			}
			memcpy(np, item->path, cap * sizeof(*np));
			item->path = np;
			cap *= 2;
		}
		const char *seg = ck_sql_arena_strdup(p->a, p->t->p, p->t->n);
		if (!seg) {
			nomem(p);
			return false;
		}
		item->path[item->npath++] = seg;
		p->t++;
		if (p->t->t != CK_TOK_DOT)
			return true;
		p->t++;
	}
}

/* True when SELECT's next token VALUE is the keyword, not a field. */
static bool value_is_keyword(const struct ck_sql_token *t)
{
	if (!tok_is(t, "VALUE"))
		return false;
	const struct ck_sql_token *n = t + 1;
	enum ck_sql_node_kind k;
	if (n->t == CK_TOK_STAR) {
		/* "VALUE * FROM", "VALUE *.a": the payload; "value * 2": a product */
		const struct ck_sql_token *m = n + 1;
		return tok_is(m, "FROM") || m->t == CK_TOK_DOT || m->t == CK_TOK_LBRACK ||
		       m->t == CK_TOK_EOF || m->t == CK_TOK_RPAREN;
	}
	if (n->t == CK_TOK_LBRACK) {
		/* "VALUE [a, b]" is an array literal; "value[0]" would need brackets
		 * AWS does not document, so the literal wins */
		return true;
	}
	if (n->t == CK_TOK_COMMA || n->t == CK_TOK_DOT || n->t == CK_TOK_SLASH ||
	    n->t == CK_TOK_PERCENT || n->t == CK_TOK_PLUS || n->t == CK_TOK_EOF || cmp_kind(n, &k))
		return false;
	if (tok_is(n, "AS") || tok_is(n, "FROM") || tok_is(n, "AND") || tok_is(n, "OR"))
		return false;
	return true;
}

static bool parse_items(struct parser *p, struct ck_sql_select *s)
{
	size_t cap = 4;
	s->items = ck_sql_arena_alloc(p->a, cap * sizeof(*s->items));
	if (!s->items) {
		nomem(p);
		return false;
	}
	if (tok_is(p->t, "FROM")) {
		fail(p, p->t, "empty SELECT list");
		return false;
	}
	for (;;) {
		if (s->nitems == cap) {
			struct ck_sql_item *ni = ck_sql_arena_alloc(p->a, 2 * cap * sizeof(*ni));
			if (!ni) {
				nomem(p);
				return false;
			}
			memcpy(ni, s->items, cap * sizeof(*ni));
			s->items = ni;
			cap *= 2;
		}
		struct ck_sql_item *item = &s->items[s->nitems++];
		memset(item, 0, sizeof(*item));
		const struct ck_sql_token *n = p->t + 1;
		if (p->t->t == CK_TOK_STAR && (n->t == CK_TOK_COMMA || tok_is(n, "FROM"))) {
			p->t++;
		} else {
			item->expr = parse_expr(p);
			if (!item->expr)
				return false;
			if (tok_is(p->t, "AS")) {
				p->t++;
				if (!parse_alias(p, item))
					return false;
			} else {
				item->path = ck_sql_arena_alloc(p->a, sizeof(*item->path));
				if (!item->path) {
					nomem(p);
					return false;
				}
				item->path[0] = derived_name(p, item->expr, s->nitems);
				item->npath = 1;
				if (!item->path[0])
					return false;
			}
		}
		if (p->t->t != CK_TOK_COMMA)
			return true;
		p->t++;
		/* a trailing comma before FROM appears in AWS's own tutorial */
		if (tok_is(p->t, "FROM"))
			return true;
	}
}

/* SELECT ... FROM ... [WHERE ...]; the top level reads the topic filter. */
static struct ck_sql_select *parse_select(struct parser *p, bool top)
{
	struct ck_sql_select *s = ck_sql_arena_alloc(p->a, sizeof(*s));
	if (!s)
		return nomem(p);
	memset(s, 0, sizeof(*s));
	if (tok_is(p->t, "SET"))
		return fail(p, p->t, "SET is not supported");
	if (!tok_is(p->t, "SELECT"))
		return fail(p, p->t, "expected SELECT");
	p->t++;
	if (value_is_keyword(p->t)) {
		const struct ck_sql_token *at = p->t++;
		s->value = true;
		s->items = ck_sql_arena_alloc(p->a, sizeof(*s->items));
		if (!s->items)
			return nomem(p);
		memset(s->items, 0, sizeof(*s->items));
		s->nitems = 1;
		if (tok_is(p->t, "FROM"))
			return fail(p, p->t, "expected an expression after VALUE");
		s->items[0].expr = parse_expr(p);
		if (!s->items[0].expr)
			return NULL;
		(void)at;
	} else if (!parse_items(p, s)) {
		return NULL;
	}
	if (!tok_is(p->t, "FROM"))
		return fail(p, p->t, "expected FROM");
	p->t++;
	if (top) {
		const struct ck_sql_token *t = p->t;
		if (t->t != CK_TOK_STR || t->dquote)
			return fail(p, t, "expected a single-quoted topic filter after FROM");
		if (memchr(t->s, '\0', t->slen) || !ck_topic_filter_valid(t->s))
			return fail(p, t, "invalid topic filter '%.*s'",
			            t->slen > 64 ? 64 : (int)t->slen, t->s);
		p->r->topic = t->s;
		p->t++;
	} else {
		const struct ck_sql_token *t = p->t;
		if (t->t == CK_TOK_STAR && !(t[1].t == CK_TOK_DOT || t[1].t == CK_TOK_LBRACK)) {
			p->t++;
			s->from = node_new(p, CK_N_STAR, 0);
		} else {
			s->from = parse_postfix(p);
		}
		if (!s->from)
			return NULL;
	}
	if (tok_is(p->t, "WHERE")) {
		p->t++;
		s->where = parse_expr(p);
		if (!s->where)
			return NULL;
	}
	return s;
}

int ck_sql_parse(struct ck_sql_rule *rule, const struct ck_sql_token *toks,
                 struct ck_sql_error *err)
{
	struct parser p = { .r = rule, .a = &rule->arena, .t = toks, .err = err };
	struct ck_sql_select *s = parse_select(&p, true);
	if (s && p.t->t != CK_TOK_EOF) {
		char buf[48];
		if (p.t->t == CK_TOK_RPAREN)
			fail(&p, p.t, "unbalanced ')'");
		else
			fail(&p, p.t, "unexpected %s after the end of the statement",
			     describe(p.t, buf, sizeof(buf)));
	}
	if (p.rc)
		return p.rc;
	if (!s)
		return -ENOMEM;
	rule->sel = *s;
	return 0;
}

int ck_sql_parse_expr(struct ck_sql_rule *rule, const struct ck_sql_token *toks,
                      struct ck_sql_error *err, struct ck_sql_node **out)
{
	struct parser p = { .r = rule, .a = &rule->arena, .t = toks, .err = err };
	struct ck_sql_node *n = parse_expr(&p);
	if (n && p.t->t != CK_TOK_EOF) {
		char buf[48];
		fail(&p, p.t, "unexpected %s after the expression",
		     describe(p.t, buf, sizeof(buf)));
	}
	if (p.rc)
		return p.rc;
	if (!n)
		return -ENOMEM;
	*out = n;
	return 0;
}
