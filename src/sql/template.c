/*
 * Substitution templates (see sql.h, rules-sql.md §15): action parameters
 * such as "${topic()}/republish" are split once into literal text and IoT
 * SQL expressions, each compiled with the rule parser; rendering evaluates
 * the expressions against the original message and joins the pieces. The
 * scanner finds the "}" that closes "${" by skipping quoted strings and
 * nested object literals. "$$" is a literal "$"; a lone "$" stays as it is.
 */
#include "sql/sql_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct part {
	const char *text; /* literal, or NULL for an expression */
	size_t len;
	struct ck_sql_node *expr;
};

struct ck_sql_template {
	struct ck_sql_rule rule; /* owns the arena and the version */
	struct part *parts;
	size_t nparts, cap;
};

static int add_part(struct ck_sql_template *t, const char *text, size_t len,
                    struct ck_sql_node *expr)
{
	if (text && len == 0)
		return 0;
	if (t->nparts == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct part *np = ck_sql_arena_alloc(&t->rule.arena, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		if (t->nparts)
			memcpy(np, t->parts, t->nparts * sizeof(*np));
		t->parts = np;
		t->cap = cap;
	}
	t->parts[t->nparts].text = text;
	t->parts[t->nparts].len = len;
	t->parts[t->nparts].expr = expr;
	t->nparts++;
	return 0;
}

/* Line and column (1-based, in characters) of byte offset off in s. */
static void position(const char *s, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void set_error(struct ck_sql_error *err, const char *text, size_t off, const char *msg)
{
	position(text, off, &err->line, &err->column);
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* Byte offset of the "}" closing the expression starting at from, or 0. */
static size_t closing_brace(const char *s, size_t from)
{
	int depth = 0;
	char quote = 0;
	for (size_t j = from; s[j]; j++) {
		char c = s[j];
		if (quote) {
			if (c == '\\' && s[j + 1]) {
				j++;
			} else if (c == quote) {
				if (s[j + 1] == quote)
					j++;
				else
					quote = 0;
			}
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '{') {
			depth++;
		} else if (c == '}') {
			if (depth == 0)
				return j;
			depth--;
		}
	}
	return 0;
}

/* Compiles text[from, to) as an expression; errors are placed in text. */
static int compile_expr(struct ck_sql_template *t, const char *text, size_t from, size_t to,
                        struct ck_sql_error *err, struct ck_sql_node **out)
{
	char *src = ck_sql_arena_strdup(&t->rule.arena, text + from, to - from);
	if (!src)
		return -ENOMEM;
	struct ck_sql_token *toks;
	int rc = ck_sql_lex(&t->rule.arena, src, t->rule.ver, &toks);
	if (rc < 0)
		return rc;
	rc = ck_sql_parse_expr(&t->rule, toks, err, out);
	if (rc == -EINVAL && err->line > 0) {
		int line, col;
		position(text, from, &line, &col);
		if (err->line == 1)
			err->column += col - 1;
		err->line += line - 1;
	}
	return rc;
}

int ck_sql_template_compile(const char *text, enum ck_sql_version version,
                            struct ck_sql_template **out, struct ck_sql_error *err)
{
	struct ck_sql_error local;
	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (!text) {
		snprintf(err->message, sizeof(err->message), "no template text");
		return -EINVAL;
	}
	if (strnlen(text, CK_SQL_MAX_LEN + 1) > CK_SQL_MAX_LEN) {
		snprintf(err->message, sizeof(err->message), "template longer than %d bytes",
		         CK_SQL_MAX_LEN);
		return -E2BIG;
	}
	size_t len = strlen(text);
	size_t bad = ck_sql_utf8_check(text, len);
	if (bad < len) {
		set_error(err, text, bad, "invalid UTF-8");
		return -EINVAL;
	}
	struct ck_sql_template *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ck_sql_arena_init(&t->rule.arena, 0);
	t->rule.ver = version;
	/* literal runs are copied with "$$" folded, so they are never longer */
	char *lit = ck_sql_arena_alloc(&t->rule.arena, strlen(text) + 1);
	int rc = lit ? 0 : -ENOMEM;
	size_t i = 0, start = 0, n = 0;
	while (rc == 0 && text[i]) {
		if (text[i] == '$' && text[i + 1] == '$') {
			lit[n++] = '$';
			i += 2;
			continue;
		}
		if (!(text[i] == '$' && text[i + 1] == '{')) {
			lit[n++] = text[i++];
			continue;
		}
		size_t close = closing_brace(text, i + 2);
		if (close == 0) {
			set_error(err, text, i, "unterminated ${");
			rc = -EINVAL;
			break;
		}
		struct ck_sql_node *expr = NULL;
		rc = add_part(t, lit + start, n - start, NULL);
		if (rc == 0)
			rc = compile_expr(t, text, i + 2, close, err, &expr);
		if (rc == 0)
			rc = add_part(t, NULL, 0, expr);
		start = n;
		i = close + 1;
	}
	if (rc == 0)
		rc = add_part(t, lit + start, n - start, NULL);
	if (rc != 0) {
		if (rc == -ENOMEM)
			snprintf(err->message, sizeof(err->message), "out of memory");
		ck_sql_template_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void ck_sql_template_free(struct ck_sql_template *tpl)
{
	if (!tpl)
		return;
	ck_sql_arena_cleanup(&tpl->rule.arena);
	free(tpl);
}

/* Appends the rendering of v (§15: strings bare, Undefined empty). */
static void render_value(struct ck_sql_ctx *c, struct ck_sql_buf *b, struct ck_sql_val v)
{
	switch (v.t) {
	case CK_SQL_UNDEF:
		return;
	case CK_SQL_NULL:
		ck_sql_buf_add(b, "null", 4);
		return;
	case CK_SQL_BIN:
		v = ck_sql_base64(&c->arena, (const uint8_t *)v.u.s.p, v.u.s.n);
		break;
	default:
		v = ck_sql_to_string(&c->arena, v, c->ver);
		break;
	}
	if (v.t != CK_SQL_STR) {
		b->fail = true;
		return;
	}
	ck_sql_buf_add(b, v.u.s.p, v.u.s.n);
}

int ck_sql_template_render(const struct ck_sql_template *tpl, const struct ck_sql_message *msg,
                           char **out)
{
	struct ck_sql_ctx c;
	*out = NULL;
	if (!tpl || !msg)
		return -EINVAL;
	int rc = ck_sql_ctx_init(&c, msg, tpl->rule.ver);
	if (rc)
		return rc;
	struct ck_sql_buf b;
	ck_sql_buf_init(&b, &c.arena);
	ck_sql_buf_add(&b, "", 0);
	for (size_t i = 0; i < tpl->nparts && !b.fail; i++) {
		const struct part *p = &tpl->parts[i];
		if (p->text)
			ck_sql_buf_add(&b, p->text, p->len);
		else
			render_value(&c, &b, ck_sql_eval_node(&c, p->expr));
	}
	if (c.arena.oom) {
		rc = -ENOMEM;
	} else if (b.fail) {
		rc = -E2BIG;
	} else {
		*out = malloc(b.n + 1);
		if (*out) {
			memcpy(*out, b.p, b.n + 1);
		} else {
			rc = -ENOMEM;
		}
	}
	ck_sql_ctx_cleanup(&c);
	return rc;
}
