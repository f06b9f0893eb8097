/*
 * IoT SQL lexer: turns the SQL text into an array of tokens with 1-based
 * line and column (columns count characters, not bytes). Keywords are left
 * as identifiers for the parser to recognise, because VALUE is contextual
 * and function names are not reserved. Strings may be single- or
 * double-quoted; a backslash escapes the next character (\n \t \r \b \f \/
 * \uXXXX decode, other escapes such as \d keep their backslash so regular
 * expressions read naturally), and a doubled quote stands for one quote.
 * Comments do not exist in IoT SQL, so "--" is two minus signs.
 */
#include "core/utf8.h"
#include "sql/sql_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	struct ck_sql_arena *a;
	enum ck_sql_version ver;
	const char *p;
	int line, col;
};

static void advance(struct lexer *l)
{
	if (*l->p == '\n') {
		l->line++;
		l->col = 1;
	} else if (((unsigned char)*l->p & 0xc0) != 0x80) {
		l->col++;
	}
	l->p++;
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads \uXXXX at p (after the backslash and 'u'); -1 when malformed. */
static long read_hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int lex_string(struct lexer *l, struct ck_sql_token *t)
{
	char q = *l->p;
	advance(l);
	/* the decoded text is never longer than the source */
	const char *start = l->p;
	size_t cap = strlen(start) + 1;
	char *out = ck_sql_arena_alloc(l->a, cap);
	if (!out)
		return -ENOMEM;
	size_t n = 0;
	for (;;) {
		char c = *l->p;
		if (c == '\0') {
			t->t = CK_TOK_ERR;
			t->s = "unterminated string";
			return 0;
		}
		if (c == q) {
			if (l->p[1] == q) { /* doubled quote */
				out[n++] = q;
				advance(l);
				advance(l);
				continue;
			}
			advance(l);
			break;
		}
		if (c != '\\') {
			out[n++] = c;
			advance(l);
			continue;
		}
		char e = l->p[1];
		long cp;
		switch (e) {
		case '\0':
			t->t = CK_TOK_ERR;
			t->s = "unterminated string";
			return 0;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case '\\':
		case '\'':
		case '"':
		case '/':
			out[n++] = e;
			break;
		case 'u':
			cp = read_hex4(l->p + 2);
			if (cp < 0) {
				t->t = CK_TOK_ERR;
				t->s = "invalid \\u escape in string";
				return 0;
			}
			advance(l);
			advance(l);
			advance(l);
			advance(l);
			if (cp >= 0xd800 && cp <= 0xdbff && l->p[2] == '\\' && l->p[3] == 'u') {
				long lo = read_hex4(l->p + 4);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					for (int i = 0; i < 6; i++)
						advance(l);
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			/* six source bytes always cover up to four output bytes */
			n += ck_utf8_encode((uint32_t)cp, out + n);
			break;
		default:
			/* unknown escape: keep it (regular expressions use \d, \w ...) */
			out[n++] = '\\';
			out[n++] = e;
			break;
		}
		advance(l);
		advance(l);
	}
	out[n] = '\0';
	t->t = CK_TOK_STR;
	t->s = out;
	t->slen = n;
	t->dquote = q == '"';
	return 0;
}

static int lex_number(struct lexer *l, struct ck_sql_token *t)
{
	const char *s = l->p;
	bool whole = true;
	while (is_digit(*l->p))
		advance(l);
	if (*l->p == '.' && is_digit(l->p[1])) {
		whole = false;
		advance(l);
		while (is_digit(*l->p))
			advance(l);
	}
	if ((*l->p == 'e' || *l->p == 'E') &&
	    (is_digit(l->p[1]) || ((l->p[1] == '-' || l->p[1] == '+') && is_digit(l->p[2])))) {
		whole = false;
		advance(l);
		if (*l->p == '-' || *l->p == '+')
			advance(l);
		while (is_digit(*l->p))
			advance(l);
	}
	size_t n = (size_t)(l->p - s);
	char *text = ck_sql_arena_strdup(l->a, s, n);
	if (!text)
		return -ENOMEM;
	t->t = CK_TOK_NUM;
	if (whole) {
		char *end;
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0') {
			t->num = ck_sql_int((int64_t)v);
			return 0;
		}
	}
	double d = strtod(text, NULL);
	if (!isfinite(d)) {
		t->t = CK_TOK_ERR;
		t->s = "number out of range";
		return 0;
	}
	t->num = ck_sql_dec(d, l->ver);
	return 0;
}

/* One token at l->p (whitespace already skipped). */
static int lex_one(struct lexer *l, struct ck_sql_token *t)
{
	char c = *l->p;
	char d = c ? l->p[1] : '\0';
	enum ck_sql_tok k = CK_TOK_ERR;
	int len = 1;

	if (c == '\0') {
		t->t = CK_TOK_EOF;
		return 0;
	}
	if (is_ident_start(c)) {
		while (is_ident_char(*l->p))
			advance(l);
		t->t = CK_TOK_IDENT;
		return 0;
	}
	if (is_digit(c))
		return lex_number(l, t);
	if (c == '\'' || c == '"')
		return lex_string(l, t);
	switch (c) {
	case '(':
		k = CK_TOK_LPAREN;
		break;
	case ')':
		k = CK_TOK_RPAREN;
		break;
	case '[':
		k = CK_TOK_LBRACK;
		break;
	case ']':
		k = CK_TOK_RBRACK;
		break;
	case '{':
		k = CK_TOK_LBRACE;
		break;
	case '}':
		k = CK_TOK_RBRACE;
		break;
	case ',':
		k = CK_TOK_COMMA;
		break;
	case '.':
		k = CK_TOK_DOT;
		break;
	case ':':
		k = CK_TOK_COLON;
		break;
	case '*':
		k = CK_TOK_STAR;
		break;
	case '/':
		k = CK_TOK_SLASH;
		break;
	case '%':
		k = CK_TOK_PERCENT;
		break;
	case '+':
		k = CK_TOK_PLUS;
		break;
	case '-':
		k = CK_TOK_MINUS;
		break;
	case '@':
		k = CK_TOK_AT;
		break;
	case '=':
		k = CK_TOK_EQ;
		break;
	case '!':
		if (d == '=') {
			k = CK_TOK_NE;
			len = 2;
		}
		break;
	case '<':
		k = CK_TOK_LT;
		if (d == '>') {
			k = CK_TOK_NE;
			len = 2;
		} else if (d == '=') {
			k = CK_TOK_LE;
			len = 2;
		}
		break;
	case '>':
		k = CK_TOK_GT;
		if (d == '=') {
			k = CK_TOK_GE;
			len = 2;
		}
		break;
	default:
		break;
	}
	if (k == CK_TOK_ERR) {
		t->t = CK_TOK_ERR;
		t->s = "unexpected character";
		return 0;
	}
	for (int i = 0; i < len; i++)
		advance(l);
	t->t = k;
	return 0;
}

int ck_sql_lex(struct ck_sql_arena *a, const char *sql, enum ck_sql_version ver,
               struct ck_sql_token **out)
{
	struct lexer l = { .a = a, .ver = ver, .p = sql, .line = 1, .col = 1 };
	size_t cap = 64, n = 0;
	struct ck_sql_token *toks = ck_sql_arena_alloc(a, cap * sizeof(*toks));
	if (!toks)
		return -ENOMEM;
	for (;;) {
		while (*l.p == ' ' || *l.p == '\t' || *l.p == '\r' || *l.p == '\n')
			advance(&l);
		if (n == cap) {
			struct ck_sql_token *nt = ck_sql_arena_alloc(a, 2 * cap * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			memcpy(nt, toks, n * sizeof(*nt));
			toks = nt;
			cap *= 2;
		}
		struct ck_sql_token *t = &toks[n++];
		memset(t, 0, sizeof(*t));
		t->line = l.line;
		t->col = l.col;
		t->p = l.p;
		int rc = lex_one(&l, t);
		if (rc)
			return rc;
		t->n = (size_t)(l.p - t->p);
		if (t->t == CK_TOK_EOF || t->t == CK_TOK_ERR)
			break;
	}
	*out = toks;
	return (int)n;
}
