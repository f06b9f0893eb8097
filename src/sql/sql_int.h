/*
 * Private declarations shared by the IoT SQL files: the value model (a
 * tagged union with a first-class Undefined), the bump arena every value
 * and tree node lives in, the lexer's tokens, the syntax tree and the
 * function table. Nothing here is part of the public interface (sql.h).
 */
#ifndef CK_SQL_INT_H
#define CK_SQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/sql.h"

#define CK_SQL_JSON_MAX_DEPTH 128         /* deeper payloads count as binary */
#define CK_SQL_STR_MAX        (1u << 20)  /* longest string/array built at run time */
#define CK_SQL_EVAL_BUDGET    (64u << 20) /* arena bytes one evaluation may use */

/* ---- arena ---- */

struct ck_sql_block;

struct ck_sql_arena {
	struct ck_sql_block *head;
	size_t used;   /* bytes handed out so far */
	size_t budget; /* 0: unlimited */
	bool oom;      /* malloc failed: the caller reports -ENOMEM */
	bool over;     /* the budget ran out: values degrade to Undefined */
};

void ck_sql_arena_init(struct ck_sql_arena *a, size_t budget);
void ck_sql_arena_cleanup(struct ck_sql_arena *a);
/* n bytes aligned for any value, or NULL (oom or over set). */
void *ck_sql_arena_alloc(struct ck_sql_arena *a, size_t n);
/* A NUL-terminated copy of n bytes of s, or NULL. */
char *ck_sql_arena_strdup(struct ck_sql_arena *a, const char *s, size_t n);

/* ---- values ---- */

enum ck_sql_type {
	CK_SQL_UNDEF = 0,
	CK_SQL_NULL,
	CK_SQL_BOOL,
	CK_SQL_INT,
	CK_SQL_DEC,
	CK_SQL_STR,
	CK_SQL_ARR,
	CK_SQL_OBJ,
	CK_SQL_BIN, /* raw bytes of a non-JSON payload ('*') */
};

struct ck_sql_arr;
struct ck_sql_obj;

struct ck_sql_val {
	enum ck_sql_type t;
	union {
		bool b;
		int64_t i;
		double d;
		struct {
			const char *p; /* NUL-terminated; may also hold NULs */
			size_t n;
		} s;
		const struct ck_sql_arr *a;
		const struct ck_sql_obj *o;
	} u;
};

struct ck_sql_arr {
	size_t n;
	struct ck_sql_val *v;
};

struct ck_sql_obj {
	size_t n;
	struct ck_sql_val *k; /* CK_SQL_STR keys, unique, in insertion order */
	struct ck_sql_val *v;
	uint32_t *sorted; /* indexes ordered by key when n is large, else NULL */
	size_t cap;       /* > 0: being built by SELECT, may still change */
};

static inline struct ck_sql_val ck_sql_undef(void)
{
	struct ck_sql_val v = { .t = CK_SQL_UNDEF };
	return v;
}

static inline struct ck_sql_val ck_sql_null(void)
{
	struct ck_sql_val v = { .t = CK_SQL_NULL };
	return v;
}

static inline struct ck_sql_val ck_sql_bool(bool b)
{
	struct ck_sql_val v = { .t = CK_SQL_BOOL, .u.b = b };
	return v;
}

static inline struct ck_sql_val ck_sql_int(int64_t i)
{
	struct ck_sql_val v = { .t = CK_SQL_INT, .u.i = i };
	return v;
}

/* A Decimal, normalised: non-finite -> Undefined; in 2016-03-23 a whole
 * value within int64 becomes an Int. */
struct ck_sql_val ck_sql_dec(double d, enum ck_sql_version ver);
/* A String over p (borrowed: must outlive the value, NUL-terminated). */
static inline struct ck_sql_val ck_sql_str(const char *p, size_t n)
{
	struct ck_sql_val v = { .t = CK_SQL_STR, .u.s = { p, n } };
	return v;
}
/* A String copied into the arena, or Undefined when too long or no memory. */
struct ck_sql_val ck_sql_str_copy(struct ck_sql_arena *a, const char *p, size_t n);

/* Builds an object from n key/value pairs (keys String): Undefined values are
 * dropped, a repeated key keeps its first position and its last value. */
struct ck_sql_val ck_sql_obj_build(struct ck_sql_arena *a, struct ck_sql_val *keys,
                                   struct ck_sql_val *vals, size_t n);
/* Value of key in o, or Undefined. */
struct ck_sql_val ck_sql_obj_get(const struct ck_sql_obj *o, const char *key, size_t n);

/* Parses a complete JSON text (RFC 8259, UTF-8) into *out. Returns 0, or
 * -EINVAL when the bytes are not JSON (the payload is then binary), or
 * -ENOMEM. */
int ck_sql_json_parse(struct ck_sql_arena *a, const uint8_t *p, size_t n, enum ck_sql_version ver,
                      struct ck_sql_val *out);

/* Growable byte buffer in an arena (contents are NUL-terminated). */
struct ck_sql_buf {
	struct ck_sql_arena *a;
	char *p;
	size_t n, cap;
	size_t max; /* longest content accepted; CK_SQL_STR_MAX after init */
	bool fail;  /* too long or no memory */
};

void ck_sql_buf_init(struct ck_sql_buf *b, struct ck_sql_arena *a);
/* Appends n bytes, growing the buffer (the slow path of ck_sql_buf_add). */
void ck_sql_buf_grow(struct ck_sql_buf *b, const char *p, size_t n);
/* Makes room for n bytes of content at least (a hint; never fails). */
void ck_sql_buf_reserve(struct ck_sql_buf *b, size_t n);

/* Appends n bytes; on failure sets b->fail and later adds do nothing. */
static inline void ck_sql_buf_add(struct ck_sql_buf *b, const char *p, size_t n)
{
	if (b->n + n < b->cap && !b->fail) {
		if (n)
			__builtin_memcpy(b->p + b->n, p, n);
		b->n += n;
		b->p[b->n] = '\0';
		return;
	}
	ck_sql_buf_grow(b, p, n);
}

static inline void ck_sql_buf_addc(struct ck_sql_buf *b, char c)
{
	if (b->n + 1 < b->cap && !b->fail) {
		b->p[b->n++] = c;
		b->p[b->n] = '\0';
		return;
	}
	ck_sql_buf_grow(b, &c, 1);
}
/* The buffer as a String value, or Undefined when it failed. */
struct ck_sql_val ck_sql_buf_val(struct ck_sql_buf *b);

/* Formats a double the AWS way (shortest round trip, plain notation for
 * 1e-6 <= |d| < 1e21); whole values get ".0" when keep_point. */
void ck_sql_fmt_double(double d, bool keep_point, char *out, size_t cap);
/* Appends v as compact JSON (Undefined appends nothing): numbers as
 * ck_sql_fmt_double writes them, strings escaped per RFC 8259 with bytes
 * that are not UTF-8 replaced by U+FFFD, a binary value as its base64. */
void ck_sql_json_write(struct ck_sql_buf *b, struct ck_sql_val v, enum ck_sql_version ver);

/* Conversions of rules-sql.md §5; failures give Undefined. */
struct ck_sql_val ck_sql_to_string(struct ck_sql_arena *a, struct ck_sql_val v,
                                   enum ck_sql_version ver);
struct ck_sql_val ck_sql_to_bool(struct ck_sql_val v);
/* Number (Int or Decimal) for a number or numeric-pattern String. */
struct ck_sql_val ck_sql_to_number(struct ck_sql_val v, enum ck_sql_version ver);
/* Int by the implicit rule: Decimal rounds to nearest, String truncates. */
bool ck_sql_to_int(struct ck_sql_val v, int64_t *out);
/* Int rounding down (substring, cast, lpad). */
bool ck_sql_to_int_floor(struct ck_sql_val v, int64_t *out);
/* True when s matches ^-?\d+(\.\d+)?([eE]-?\d+)?$; stores the value. */
bool ck_sql_numeric_string(const char *s, size_t n, double *out, bool *is_int, int64_t *ival);

/* Rounding helpers for finite doubles, so the module needs no libm:
 * toward zero, down, up, to nearest with ties away from zero, remainder
 * with the dividend's sign (b != 0), absolute value. */
double ck_sql_trunc(double x);
double ck_sql_floor(double x);
double ck_sql_ceil(double x);
double ck_sql_round(double x);
double ck_sql_fmod(double a, double b);
double ck_sql_fabs(double x);

/* '=': Boolean or Undefined. */
struct ck_sql_val ck_sql_equal(struct ck_sql_val l, struct ck_sql_val r);
/* True when v is Boolean true or the String "true" (any case). */
bool ck_sql_is_true(struct ck_sql_val v);
/* Base64 (standard alphabet, padded) of n bytes as a String. */
struct ck_sql_val ck_sql_base64(struct ck_sql_arena *a, const uint8_t *p, size_t n);
/* Converts v to a new cJSON tree; Undefined gives an empty raw item. */
cJSON *ck_sql_to_cjson(struct ck_sql_val v, enum ck_sql_version ver);
/* Offset of the first byte of s that is not well-formed UTF-8, or n. */
size_t ck_sql_utf8_check(const char *s, size_t n);
/* Number of UTF-8 code points in s. */
size_t ck_sql_utf8_len(const char *s, size_t n);
/* Byte offset of code point index idx (clamped to n). */
size_t ck_sql_utf8_offset(const char *s, size_t n, size_t idx);

/* ---- lexer ---- */

enum ck_sql_tok {
	CK_TOK_EOF = 0,
	CK_TOK_ERR,
	CK_TOK_IDENT,
	CK_TOK_STR,
	CK_TOK_NUM,
	CK_TOK_LPAREN,
	CK_TOK_RPAREN,
	CK_TOK_LBRACK,
	CK_TOK_RBRACK,
	CK_TOK_LBRACE,
	CK_TOK_RBRACE,
	CK_TOK_COMMA,
	CK_TOK_DOT,
	CK_TOK_COLON,
	CK_TOK_STAR,
	CK_TOK_SLASH,
	CK_TOK_PERCENT,
	CK_TOK_PLUS,
	CK_TOK_MINUS,
	CK_TOK_EQ,
	CK_TOK_NE,
	CK_TOK_LT,
	CK_TOK_LE,
	CK_TOK_GT,
	CK_TOK_GE,
	CK_TOK_AT,
};

struct ck_sql_token {
	enum ck_sql_tok t;
	int line, col;
	const char *p; /* source text */
	size_t n;
	const char *s; /* CK_TOK_STR: decoded value (arena); CK_TOK_ERR: message */
	size_t slen;
	bool dquote;           /* string was double-quoted */
	struct ck_sql_val num; /* CK_TOK_NUM */
};

/* Tokenises sql into an arena array ending with CK_TOK_EOF or CK_TOK_ERR.
 * Returns the count, or -ENOMEM. */
int ck_sql_lex(struct ck_sql_arena *a, const char *sql, enum ck_sql_version ver,
               struct ck_sql_token **out);

/* ---- syntax tree ---- */

enum ck_sql_node_kind {
	CK_N_LIT,    /* val */
	CK_N_FIELD,  /* name: key of the current document */
	CK_N_STAR,   /* the whole current document */
	CK_N_MEMBER, /* kids[0].name */
	CK_N_INDEX,  /* kids[0][kids[1]] */
	CK_N_NEG,
	CK_N_POS,
	CK_N_NOT,
	CK_N_AND,
	CK_N_OR,
	CK_N_EQ,
	CK_N_NE,
	CK_N_LT,
	CK_N_LE,
	CK_N_GT,
	CK_N_GE,
	CK_N_ADD,
	CK_N_SUB,
	CK_N_MUL,
	CK_N_DIV,
	CK_N_MOD,
	CK_N_CALL,   /* fn(kids...) */
	CK_N_CAST,   /* kids[0], cast_type */
	CK_N_CASE,   /* [subject] (when then)* [else] */
	CK_N_ARRAY,  /* kids */
	CK_N_OBJECT, /* keys[i]: kids[i] */
	CK_N_SELECT, /* nested select */
};

enum ck_sql_cast { CK_CAST_STRING, CK_CAST_INT, CK_CAST_DEC, CK_CAST_BOOL };

struct ck_sql_func;
struct ck_sql_select;

struct ck_sql_node {
	enum ck_sql_node_kind kind;
	int height;
	struct ck_sql_val val; /* CK_N_LIT */
	const char *name;      /* CK_N_FIELD, CK_N_MEMBER */
	size_t name_len;
	struct ck_sql_node **kids;
	size_t nkids;
	struct ck_sql_val *keys; /* CK_N_OBJECT */
	const struct ck_sql_func *fn;
	enum ck_sql_cast cast_type;
	bool has_subject, has_else; /* CK_N_CASE */
	struct ck_sql_select *sel;  /* CK_N_SELECT */
};

struct ck_sql_item {
	struct ck_sql_node *expr; /* NULL for '*' */
	const char **path;        /* output key path: alias segments or derived name */
	size_t npath;
};

struct ck_sql_select {
	bool value; /* SELECT VALUE */
	struct ck_sql_item *items;
	size_t nitems;
	struct ck_sql_node *from; /* nested select: the array; NULL at top level */
	struct ck_sql_node *where;
};

struct ck_sql_rule {
	struct ck_sql_arena arena;
	enum ck_sql_version ver;
	const char *topic;
	struct ck_sql_select sel;
};

/* Parses tokens into rule (allocating from rule->arena). Returns 0, -EINVAL
 * with err filled, or -ENOMEM. */
int ck_sql_parse(struct ck_sql_rule *rule, const struct ck_sql_token *toks,
                 struct ck_sql_error *err);
/* Same for a lone expression (a template's ${...}); *out gets the tree. */
int ck_sql_parse_expr(struct ck_sql_rule *rule, const struct ck_sql_token *toks,
                      struct ck_sql_error *err, struct ck_sql_node **out);

/* ---- evaluation and functions ---- */

struct ck_sql_ctx {
	struct ck_sql_arena arena;
	const struct ck_sql_message *msg;
	enum ck_sql_version ver;
	struct ck_sql_val payload; /* parsed JSON, or CK_SQL_BIN */
	struct ck_sql_val doc;     /* what field references read (nested selects) */
};

typedef struct ck_sql_val (*ck_sql_fn)(struct ck_sql_ctx *c, const struct ck_sql_val *args,
                                       size_t n);

struct ck_sql_func {
	const char *name; /* lower case */
	int min_args, max_args;
	bool since_2016;
	ck_sql_fn fn;
};

/* Prepares an evaluation of msg: arena, payload parsed (or binary). Returns
 * 0 or -ENOMEM. Release with ck_sql_ctx_cleanup. */
int ck_sql_ctx_init(struct ck_sql_ctx *c, const struct ck_sql_message *msg,
                    enum ck_sql_version ver);
void ck_sql_ctx_cleanup(struct ck_sql_ctx *c);

/* The function called name (case-insensitive), or NULL. */
const struct ck_sql_func *ck_sql_func_find(const char *name, size_t n);

struct ck_sql_val ck_sql_eval_node(struct ck_sql_ctx *c, const struct ck_sql_node *node);
/* get(base, key): array/string element (0-based) or object member. */
struct ck_sql_val ck_sql_eval_get(struct ck_sql_ctx *c, struct ck_sql_val base,
                                  struct ck_sql_val key);
/* The arithmetic operators (kind CK_N_ADD ... CK_N_MOD) on two values. */
struct ck_sql_val ck_sql_arith(struct ck_sql_ctx *c, enum ck_sql_node_kind kind,
                               struct ck_sql_val l, struct ck_sql_val r);

#endif
