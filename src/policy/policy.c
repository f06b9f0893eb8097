/*
 * IoT policy documents (see policy.h). Parsing walks the cJSON tree once
 * and compiles every string that is matched later (Resource entries and
 * Condition values) into a token list: literal runs, '*', '?' and policy
 * variables. Evaluation expands a token list with the request's variable
 * values into a small buffer where wildcards are distinct from bytes, so a
 * '*' inside a client id is matched literally, then runs an iterative glob
 * with one backtracking point. Actions are resolved at parse time into a
 * bit mask over the known IoT actions. A compiled policy owns four arrays
 * and one text pool; it holds no pointers into the document.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define EXPAND_MAX 8192 /* units of an expanded pattern; longer ones match nothing */

#define STAR  (-1)
#define QMARK (-2)

enum tok_kind { T_LIT, T_STAR, T_QMARK, T_VAR };

/* Policy variables. V_NONE: a variable of aws-model.md §3.3 that clickd
 * knows but never has a value for (e.g. the certificate's Organization). */
enum var_id {
	V_CLIENT_ID,
	V_THING_NAME,
	V_THING_TYPE,
	V_THING_ATTR,
	V_IS_ATTACHED,
	V_CERT_CN,
	V_NONE,
};

enum cond_op {
	OP_STRING_EQUALS,
	OP_STRING_NOT_EQUALS,
	OP_STRING_EQUALS_IC,
	OP_STRING_NOT_EQUALS_IC,
	OP_STRING_LIKE,
	OP_STRING_NOT_LIKE,
	OP_BOOL,
	OP_NULL,
};

enum set_op { SET_NONE, SET_ANY, SET_ALL };

struct tok {
	uint8_t kind; /* enum tok_kind */
	uint8_t var;  /* enum var_id, for T_VAR */
	uint32_t off; /* T_LIT: the bytes; V_THING_ATTR: the attribute name (text pool) */
	uint32_t len;
};

struct pattern {
	uint32_t first; /* into toks */
	uint32_t n;
	bool any; /* Resource "*": matches every resource */
};

struct cond {
	uint8_t op;  /* enum cond_op */
	uint8_t set; /* enum set_op */
	bool if_exists;
	uint8_t key;       /* enum var_id */
	uint32_t attr_off; /* V_THING_ATTR: attribute name (text pool) */
	uint32_t attr_len;
	uint32_t first_value; /* into pats */
	uint32_t n_values;
};

struct stmt {
	bool allow;
	bool not_resource;
	uint32_t actions; /* bit per enum ck_policy_action */
	uint32_t first_res, n_res;
	uint32_t first_cond, n_cond;
	uint32_t json_off; /* NUL-terminated compact JSON of the statement */
};

struct ck_policy {
	struct stmt *stmts;
	size_t n_stmts;
	struct pattern *pats;
	size_t n_pats;
	struct cond *conds;
	size_t n_conds;
	struct tok *toks;
	size_t n_toks;
	char *text;
	size_t text_len;
};

/* Parser state: the policy being built, the error buffer, the path of the
 * element being compiled ("Statement[1].Resource[0]") and the cap. */
struct builder {
	struct ck_policy *p;
	size_t cap_stmts, cap_pats, cap_conds, cap_toks, cap_text;
	bool variables; /* Version 2012-10-17 */
	char *err;
	size_t err_len;
	char path[96];
};

static const char *const action_names[CK_POLICY_N_ACTIONS] = {
	"iot:Connect",
	"iot:Publish",
	"iot:Subscribe",
	"iot:Receive",
	"iot:RetainPublish",
	"iot:GetRetainedMessage",
	"iot:ListRetainedMessages",
	"iot:GetThingShadow",
	"iot:UpdateThingShadow",
	"iot:DeleteThingShadow",
	"iot:ListNamedShadowsForThing",
	"iot:DescribeJobExecution",
	"iot:GetPendingJobExecutions",
	"iot:UpdateJobExecution",
	"iot:StartNextPendingJobExecution",
	"iot:AssumeRoleWithCertificate",
};

#define ALL_ACTIONS ((uint32_t)((1u << CK_POLICY_N_ACTIONS) - 1))

static const struct {
	const char *name;
	enum cond_op op;
} operators[] = {
	{ "StringEquals", OP_STRING_EQUALS },
	{ "StringNotEquals", OP_STRING_NOT_EQUALS },
	{ "StringEqualsIgnoreCase", OP_STRING_EQUALS_IC },
	{ "StringNotEqualsIgnoreCase", OP_STRING_NOT_EQUALS_IC },
	{ "StringLike", OP_STRING_LIKE },
	{ "StringNotLike", OP_STRING_NOT_LIKE },
	{ "Bool", OP_BOOL },
	{ "Null", OP_NULL },
};

/* Certificate fields of aws-model.md §3.3 without a value in clickd. */
static const char *const cert_fields[] = {
	"CommonName",
	"Organization",
	"OrganizationalUnit",
	"Country",
	"State",
	"SerialNumber",
	"Title",
	"Surname",
	"GivenName",
	"Initials",
	"Pseudonym",
	"GenerationQualifier",
	"DistinguishedNameQualifier",
	"AlternativeName.RFC822Name",
	"AlternativeName.DNSName",
	"AlternativeName.DirectoryName",
	"AlternativeName.UniformResourceIdentifier",
	"AlternativeName.IPAddress",
};

/* ---- errors ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(struct builder *b, int rc, const char *fmt,
                                                      ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->err && b->err_len) {
		if (b->path[0])
			snprintf(b->err, b->err_len, "%s: %s", b->path, msg);
		else
			snprintf(b->err, b->err_len, "%s", msg);
	}
	return rc;
}

/* ---- small string helpers --------------------------------------------- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool eq_icase_len(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

static bool starts_icase(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && eq_icase_len(s, plen, prefix);
}

/* Bytes of the UTF-8 sequence starting at s (at least 1, at most left). */
static size_t cp_len(const unsigned char *s, size_t left)
{
	size_t n = 1;

	if (s[0] >= 0xf0)
		n = 4;
	else if (s[0] >= 0xe0)
		n = 3;
	else if (s[0] >= 0xc0)
		n = 2;
	return n < left ? n : left;
}

static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* ---- growable arrays -------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, ncap * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Appends len bytes and a NUL to the text pool; *off gets their offset. */
static int text_add(struct builder *b, const char *s, size_t len, uint32_t *off)
{
	struct ck_policy *p = b->p;

	if (grow((void **)&p->text, &b->cap_text, p->text_len + len + 1, 1) != 0)
		return -ENOMEM;
	memcpy(p->text + p->text_len, s, len);
	p->text[p->text_len + len] = '\0';
	*off = (uint32_t)p->text_len;
	p->text_len += len + 1;
	return 0;
}

static int tok_add(struct builder *b, uint8_t kind, uint8_t var, const char *s, size_t len)
{
	struct ck_policy *p = b->p;
	struct tok t = { .kind = kind, .var = var };

	/* Runs of '*' are one '*'; adjacent literals are one literal. */
	if (p->n_toks && kind == T_STAR && p->toks[p->n_toks - 1].kind == T_STAR)
		return 0;
	if (s && text_add(b, s, len, &t.off) != 0)
		return -ENOMEM;
	t.len = (uint32_t)len;
	if (grow((void **)&p->toks, &b->cap_toks, p->n_toks + 1, sizeof(*p->toks)) != 0)
		return -ENOMEM;
	p->toks[p->n_toks++] = t;
	return 0;
}

/* ---- variables -------------------------------------------------------- */

/*
 * Looks up a variable or condition key name (without "${" "}"), matched
 * without regard to case except for an attribute name. Sets *var and, for
 * attributes, *attr and *attr_len (pointing into name). Returns 0 or -EINVAL.
 */
static int var_lookup(const char *name, size_t len, uint8_t *var, const char **attr,
                      size_t *attr_len)
{
	static const char attrs_prefix[] = "iot:Connection.Thing.Attributes[";
	static const char subject[] = "iot:Certificate.Subject.";
	static const char issuer[] = "iot:Certificate.Issuer.";
	size_t alen = sizeof(attrs_prefix) - 1;

	*attr = NULL;
	*attr_len = 0;
	if (eq_icase_len(name, len, "iot:ClientId"))
		*var = V_CLIENT_ID;
	else if (eq_icase_len(name, len, "iot:Connection.Thing.ThingName"))
		*var = V_THING_NAME;
	else if (eq_icase_len(name, len, "iot:Connection.Thing.ThingTypeName"))
		*var = V_THING_TYPE;
	else if (eq_icase_len(name, len, "iot:Connection.Thing.IsAttached"))
		*var = V_IS_ATTACHED;
	else if (eq_icase_len(name, len, "iot:Certificate.Subject.CommonName"))
		*var = V_CERT_CN;
	else if (eq_icase_len(name, len, "iot:Certificate.SerialNumber") ||
	         eq_icase_len(name, len, "iot:Certificate.AvailableKeys"))
		*var = V_NONE;
	else if (len > alen + 1 && starts_icase(name, len, attrs_prefix) && name[len - 1] == ']') {
		const char *a = name + alen;
		size_t n = len - alen - 1;
		for (size_t i = 0; i < n; i++) {
			if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
			      (a[i] >= '0' && a[i] <= '9') || a[i] == ':' || a[i] == '_' ||
			      a[i] == '-'))
				return -EINVAL;
		}
		if (n > 128)
			return -EINVAL;
		*var = V_THING_ATTR;
		*attr = a;
		*attr_len = n;
	} else {
		const char *rest = NULL;
		size_t rlen = 0;
		if (starts_icase(name, len, subject)) {
			rest = name + sizeof(subject) - 1;
			rlen = len - (sizeof(subject) - 1);
		} else if (starts_icase(name, len, issuer)) {
			rest = name + sizeof(issuer) - 1;
			rlen = len - (sizeof(issuer) - 1);
		}
		if (!rest)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(cert_fields) / sizeof(cert_fields[0]); i++) {
			if (eq_icase_len(rest, rlen, cert_fields[i])) {
				*var = V_NONE;
				return 0;
			}
		}
		return -EINVAL;
	}
	return 0;
}

/* The value of var in ctx with its length, or NULL when it has none. */
static const char *var_value(const struct ck_policy_context *ctx, uint8_t var, const char *attr,
                             size_t attr_len, size_t *len)
{
	const char *v = NULL;

	if (!ctx)
		return NULL;
	switch (var) {
	case V_CLIENT_ID:
		v = ctx->client_id;
		break;
	case V_THING_NAME:
		v = ctx->thing_name;
		break;
	case V_THING_TYPE:
		v = ctx->thing_type;
		break;
	case V_IS_ATTACHED:
		v = ctx->thing_name ? "true" : "false";
		break;
	case V_THING_ATTR:
		for (size_t i = 0; i < ctx->n_attrs; i++) {
			const char *n = ctx->attrs[i].name;
			if (n && strncmp(n, attr, attr_len) == 0 && n[attr_len] == '\0') {
				v = ctx->attrs[i].value;
				break;
			}
		}
		break;
	case V_CERT_CN:
		v = ctx->cert_cn;
		/* AWS substitutes no certificate value holding a wildcard. */
		if (v && strpbrk(v, "*$+?#"))
			v = NULL;
		break;
	default:
		break;
	}
	if (!v)
		return NULL;
	*len = strlen(v);
	if (*len > CK_POLICY_VALUE_MAX)
		return NULL;
	return v;
}

/* ---- compiling strings into token lists ------------------------------- */

/*
 * Compiles the len bytes at s into tokens appended to the policy; with wild,
 * '*' and '?' are wildcards, otherwise literal. Returns 0 or an error
 * (written to b).
 */
static int compile_string(struct builder *b, const char *s, size_t len, bool wild)
{
	size_t lit = 0; /* start of the pending literal run */
	size_t i = 0;
	int rc;

	while (i < len) {
		char c = s[i];
		bool is_wild = wild && (c == '*' || c == '?');
		bool is_var = b->variables && c == '$' && i + 1 < len && s[i + 1] == '{';
		if (!is_wild && !is_var) {
			i++;
			continue;
		}
		if (i > lit && (rc = tok_add(b, T_LIT, 0, s + lit, i - lit)) != 0)
			return fail(b, rc, "out of memory");
		if (is_wild) {
			rc = tok_add(b, c == '*' ? T_STAR : T_QMARK, 0, NULL, 0);
			if (rc)
				return fail(b, rc, "out of memory");
			lit = ++i;
			continue;
		}
		const char *name = s + i + 2;
		const char *end = memchr(name, '}', len - (i + 2));
		if (!end)
			return fail(b, -EINVAL, "unterminated policy variable \"%.*s\"",
			            (int)(len - i > 40 ? 40 : len - i), s + i);
		size_t nlen = (size_t)(end - name);
		if (nlen == 1 && (name[0] == '*' || name[0] == '?' || name[0] == '$')) {
			rc = tok_add(b, T_LIT, 0, name, 1); /* ${*} ${?} ${$}: the character */
		} else {
			uint8_t var;
			const char *attr;
			size_t attr_len;
			if (var_lookup(name, nlen, &var, &attr, &attr_len) != 0)
				return fail(b, -EINVAL, "unknown policy variable ${%.*s}",
				            (int)(nlen > 80 ? 80 : nlen), name);
			rc = tok_add(b, T_VAR, var, attr, attr_len);
		}
		if (rc)
			return fail(b, rc, "out of memory");
		i = (size_t)(end - s) + 1;
		lit = i;
	}
	if (len > lit && (rc = tok_add(b, T_LIT, 0, s + lit, len - lit)) != 0)
		return fail(b, rc, "out of memory");
	return 0;
}

/* Compiles s into a new pattern (index in *idx). */
static int pattern_add(struct builder *b, const char *s, size_t len, bool wild, bool any)
{
	struct ck_policy *p = b->p;
	struct pattern pat = { .first = (uint32_t)p->n_toks, .any = any };

	if (!any) {
		int rc = compile_string(b, s, len, wild);
		if (rc)
			return rc;
	}
	pat.n = (uint32_t)(p->n_toks - pat.first);
	if (grow((void **)&p->pats, &b->cap_pats, p->n_pats + 1, sizeof(*p->pats)) != 0)
		return fail(b, -ENOMEM, "out of memory");
	p->pats[p->n_pats++] = pat;
	return 0;
}

/* ---- matching --------------------------------------------------------- */

/* Expands pattern pat with ctx into out. Returns the number of units, or -1
 * when a variable has no value or the result exceeds EXPAND_MAX. */
static long expand(const struct ck_policy *p, const struct pattern *pat,
                   const struct ck_policy_context *ctx, int16_t *out)
{
	size_t n = 0;

	for (uint32_t i = 0; i < pat->n; i++) {
		const struct tok *t = &p->toks[pat->first + i];
		const char *s = NULL;
		size_t len = 0;
		switch (t->kind) {
		case T_STAR:
		case T_QMARK:
			if (n >= EXPAND_MAX)
				return -1;
			out[n++] = t->kind == T_STAR ? STAR : QMARK;
			continue;
		case T_LIT:
			s = p->text + t->off;
			len = t->len;
			break;
		default:
			s = var_value(ctx, t->var, p->text + t->off, t->len, &len);
			if (!s)
				return -1;
			break;
		}
		if (len > EXPAND_MAX - n)
			return -1;
		for (size_t k = 0; k < len; k++)
			out[n++] = (int16_t)(unsigned char)s[k];
	}
	return (long)n;
}

/* Glob: STAR matches any run of bytes (also '/'), QMARK one character. */
static bool glob(const int16_t *pat, size_t pn, const char *str, size_t sn, bool icase)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t pi = 0, si = 0;
	size_t star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && pat[pi] == STAR) {
			star = pi++;
			mark = si;
			continue;
		}
		if (pi < pn && pat[pi] == QMARK) {
			pi++;
			si += cp_len(s + si, sn - si);
			continue;
		}
		if (pi < pn && pat[pi] >= 0 &&
		    (icase ? lower(pat[pi]) == lower(s[si]) : pat[pi] == s[si])) {
			pi++;
			si++;
			continue;
		}
		if (star == SIZE_MAX)
			return false;
		pi = star + 1;
		mark += cp_len(s + mark, sn - mark);
		si = mark;
	}
	while (pi < pn && pat[pi] == STAR)
		pi++;
	return pi == pn;
}

static bool pattern_matches(const struct ck_policy *p, const struct pattern *pat,
                            const struct ck_policy_context *ctx, const char *s, size_t len,
                            bool icase, int16_t *buf)
{
	if (pat->any)
		return true;
	long n = expand(p, pat, ctx, buf);
	return n >= 0 && glob(buf, (size_t)n, s, len, icase);
}

static bool resource_applies(const struct ck_policy *p, const struct stmt *st,
                             const struct ck_policy_request *req, size_t rlen, int16_t *buf)
{
	bool any = false;

	for (uint32_t i = 0; i < st->n_res && !any; i++)
		any = pattern_matches(p, &p->pats[st->first_res + i], req->ctx, req->resource, rlen,
		                      false, buf);
	return st->not_resource ? !any : any;
}

static bool is_negated(uint8_t op)
{
	return op == OP_STRING_NOT_EQUALS || op == OP_STRING_NOT_EQUALS_IC ||
	       op == OP_STRING_NOT_LIKE;
}

static bool cond_holds(const struct ck_policy *p, const struct cond *c,
                       const struct ck_policy_context *ctx, int16_t *buf)
{
	size_t vlen = 0;
	const char *v = var_value(ctx, c->key, p->text + c->attr_off, c->attr_len, &vlen);

	if (c->op == OP_NULL) {
		/* Values were checked at parse time to be "true" or "false". */
		for (uint32_t i = 0; i < c->n_values; i++) {
			const struct pattern *pat = &p->pats[c->first_value + i];
			bool want_absent = p->text[p->toks[pat->first].off] == 't';
			if (want_absent == (v == NULL))
				return true;
		}
		return false;
	}
	if (!v) {
		if (c->if_exists || c->set == SET_ALL)
			return true;
		if (c->set == SET_ANY)
			return false;
		return is_negated(c->op);
	}
	bool icase =
	    c->op == OP_STRING_EQUALS_IC || c->op == OP_STRING_NOT_EQUALS_IC || c->op == OP_BOOL;
	bool any = false;
	for (uint32_t i = 0; i < c->n_values && !any; i++)
		any = pattern_matches(p, &p->pats[c->first_value + i], ctx, v, vlen, icase, buf);
	return is_negated(c->op) ? !any : any;
}

static bool stmt_applies(const struct ck_policy *p, const struct stmt *st,
                         const struct ck_policy_request *req, size_t rlen, int16_t *buf)
{
	if (!(st->actions & (1u << req->action)))
		return false;
	if (!resource_applies(p, st, req, rlen, buf))
		return false;
	for (uint32_t i = 0; i < st->n_cond; i++) {
		if (!cond_holds(p, &p->conds[st->first_cond + i], req->ctx, buf))
			return false;
	}
	return true;
}

enum ck_policy_effect ck_policy_eval(const struct ck_policy *const *set, size_t n,
                                     const struct ck_policy_request *req,
                                     struct ck_policy_decision *out)
{
	int16_t buf[EXPAND_MAX];
	struct ck_policy_decision d = { .effect = CK_POLICY_DENY, .policy = 0, .statement = -1 };
	struct ck_policy_decision allow = d;
	size_t rlen = req->resource ? strlen(req->resource) : 0;

	if (out)
		*out = d;
	if (!req->resource || rlen > CK_POLICY_RESOURCE_MAX || (int)req->action < 0 ||
	    req->action >= CK_POLICY_N_ACTIONS)
		return CK_POLICY_DENY;
	for (size_t k = 0; k < n; k++) {
		const struct ck_policy *p = set[k];
		if (!p)
			continue;
		for (size_t i = 0; i < p->n_stmts; i++) {
			const struct stmt *st = &p->stmts[i];
			if (st->allow && allow.statement >= 0)
				continue; /* an Allow is known; only a Deny can change it */
			if (!stmt_applies(p, st, req, rlen, buf))
				continue;
			if (!st->allow) {
				d.policy = k;
				d.statement = (int)i;
				if (out)
					*out = d;
				return CK_POLICY_DENY;
			}
			allow.effect = CK_POLICY_ALLOW;
			allow.policy = k;
			allow.statement = (int)i;
		}
	}
	if (out)
		*out = allow;
	return allow.effect;
}

/* ---- parsing ---------------------------------------------------------- */

/* Case-insensitive glob over short ASCII strings (action names). */
static bool action_glob(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;;) {
			if (action_glob(pat + 1, s))
				return true;
			if (!*s)
				return false;
			s++;
		}
	}
	if (!*s)
		return false;
	if (*pat != '?' && lower((unsigned char)*pat) != lower((unsigned char)*s))
		return false;
	return action_glob(pat + 1, s + 1);
}

int ck_policy_action_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int i = 0; i < CK_POLICY_N_ACTIONS; i++) {
		if (eq_icase_len(name, strlen(name), action_names[i]))
			return i;
	}
	return -EINVAL;
}

const char *ck_policy_action_name(int a)
{
	return a >= 0 && a < CK_POLICY_N_ACTIONS ? action_names[a] : "?";
}

/* Fails when an object has a key twice (cJSON keeps both silently). */
static int check_duplicates(struct builder *b, const cJSON *obj)
{
	for (const cJSON *a = obj->child; a; a = a->next) {
		for (const cJSON *c = obj->child; c != a; c = c->next) {
			if (strcmp(a->string, c->string) == 0)
				return fail(b, -EINVAL, "duplicate key \"%.60s\"", a->string);
		}
	}
	return 0;
}

/* Calls fn for each string of v (a string or a non-empty array of strings),
 * with b->path extended by "[i]" for array members. */
static int each_string(struct builder *b, const cJSON *v, const char *what,
                       int (*fn)(struct builder *b, const char *s, void *ctx), void *ctx)
{
	size_t base = strlen(b->path);
	int rc;

	if (cJSON_IsString(v))
		return fn(b, v->valuestring, ctx);
	if (!cJSON_IsArray(v))
		return fail(b, -EINVAL, "%s must be a string or an array of strings", what);
	int n = cJSON_GetArraySize(v);
	if (n == 0)
		return fail(b, -EINVAL, "%s must not be empty", what);
	if (n > CK_POLICY_LIST_MAX)
		return fail(b, -E2BIG, "more than %d entries", CK_POLICY_LIST_MAX);
	int i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		snprintf(b->path + base, sizeof(b->path) - base, "[%d]", i);
		if (!cJSON_IsString(e))
			return fail(b, -EINVAL, "%s entries must be strings", what);
		if ((rc = fn(b, e->valuestring, ctx)) != 0)
			return rc;
	}
	b->path[base] = '\0';
	return 0;
}

static int add_action(struct builder *b, const char *s, void *ctx)
{
	uint32_t *mask = ctx;
	uint32_t m = 0;

	if (strcmp(s, "*") != 0 && !starts_icase(s, strlen(s), "iot:"))
		return fail(b, -EINVAL, "\"%.80s\" is not an IoT action (iot:...)", s);
	for (int i = 0; i < CK_POLICY_N_ACTIONS; i++) {
		if (action_glob(s, action_names[i]))
			m |= 1u << i;
	}
	if (!m)
		return fail(b, -EINVAL,
		            "\"%.80s\" names no IoT action (e.g. iot:Connect, iot:Publish, "
		            "iot:Subscribe, iot:Receive, iot:RetainPublish, iot:*)",
		            s);
	*mask |= m;
	return 0;
}

/* Resource kinds an IoT policy can name. */
static bool known_kind(const char *s, size_t len)
{
	static const char *const kinds[] = { "client", "topic", "topicfilter", "thing",
		                             "rolealias" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i]) == len && memcmp(kinds[i], s, len) == 0)
			return true;
	}
	return false;
}

const char *ck_policy_arn_resource(const char *arn)
{
	const char *p = arn;

	if (!arn || strncmp(arn, "arn:", 4) != 0)
		return NULL;
	p += 4;
	for (int part = 0; part < 4; part++) { /* partition, service, region, account */
		const char *colon = strchr(p, ':');
		if (!colon || colon == p)
			return NULL;
		if (part == 1 && (colon - p != 3 || memcmp(p, "iot", 3) != 0))
			return NULL;
		p = colon + 1;
	}
	return *p ? p : NULL;
}

static int add_resource(struct builder *b, const char *s, void *ctx)
{
	(void)ctx;
	if (strcmp(s, "*") == 0)
		return pattern_add(b, s, 1, true, true);
	const char *rest = ck_policy_arn_resource(s);
	if (!rest)
		return fail(b, -EINVAL, "\"%.80s\" is not * or arn:aws:iot:REGION:ACCOUNT:RESOURCE",
		            s);
	size_t kind_len = strcspn(rest, "/");
	bool wild = strcspn(rest, "*?$") < kind_len;
	if (!wild && (!rest[kind_len] || !known_kind(rest, kind_len)))
		return fail(b, -EINVAL,
		            "resource \"%.80s\" is not client/, topic/, topicfilter/, thing/ or "
		            "rolealias/",
		            rest);
	return pattern_add(b, rest, strlen(rest), true, false);
}

struct cond_ctx {
	uint8_t op;
};

static int add_cond_value(struct builder *b, const char *s, void *ctx)
{
	const struct cond_ctx *c = ctx;

	if (c->op == OP_NULL || c->op == OP_BOOL) {
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return fail(b, -EINVAL, "the value must be \"true\" or \"false\"");
		return pattern_add(b, s, strlen(s), false, false);
	}
	return pattern_add(b, s, strlen(s), c->op == OP_STRING_LIKE || c->op == OP_STRING_NOT_LIKE,
	                   false);
}

/* Parses "ForAnyValue:StringLikeIfExists" into c. */
static int parse_operator(struct builder *b, const char *name, struct cond *c)
{
	const char *s = name;
	size_t len;

	c->set = SET_NONE;
	if (strncmp(s, "ForAnyValue:", 12) == 0) {
		c->set = SET_ANY;
		s += 12;
	} else if (strncmp(s, "ForAllValues:", 13) == 0) {
		c->set = SET_ALL;
		s += 13;
	}
	len = strlen(s);
	c->if_exists = len > 8 && strcmp(s + len - 8, "IfExists") == 0;
	if (c->if_exists)
		len -= 8;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
		if (strlen(operators[i].name) == len && memcmp(operators[i].name, s, len) == 0) {
			c->op = (uint8_t)operators[i].op;
			if (c->op == OP_NULL && (c->if_exists || c->set != SET_NONE))
				break;
			return 0;
		}
	}
	return fail(b, -EINVAL,
	            "unknown operator %.80s (supported: StringEquals, StringNotEquals, "
	            "StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, "
	            "StringNotLike, Bool, Null; ForAnyValue:/ForAllValues: and IfExists)",
	            name);
}

/* Copies a cJSON condition value into a string array form: bools become
 * "true"/"false". Returns a new item (caller deletes) or NULL. */
static cJSON *normalise_values(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return cJSON_CreateString(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsArray(v)) {
		cJSON *out = cJSON_CreateArray();
		for (const cJSON *e = v->child; out && e; e = e->next) {
			cJSON *x = cJSON_IsBool(e)
			               ? cJSON_CreateString(cJSON_IsTrue(e) ? "true" : "false")
			               : cJSON_Duplicate(e, 0);
			if (!x || !cJSON_AddItemToArray(out, x)) {
				cJSON_Delete(x);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	}
	return cJSON_Duplicate(v, 0);
}

static int parse_condition(struct builder *b, const cJSON *cond, struct stmt *st)
{
	struct ck_policy *p = b->p;
	size_t base = strlen(b->path);
	int rc;

	if (!cJSON_IsObject(cond))
		return fail(b, -EINVAL, "Condition must be an object");
	if ((rc = check_duplicates(b, cond)) != 0)
		return rc;
	st->first_cond = (uint32_t)p->n_conds;
	for (const cJSON *opj = cond->child; opj; opj = opj->next) {
		struct cond c = { 0 };
		snprintf(b->path + base, sizeof(b->path) - base, ".%.40s", opj->string);
		if ((rc = parse_operator(b, opj->string, &c)) != 0)
			return rc;
		if (!cJSON_IsObject(opj) || !opj->child)
			return fail(b, -EINVAL, "must be an object of condition keys");
		if ((rc = check_duplicates(b, opj)) != 0)
			return rc;
		size_t base2 = strlen(b->path);
		for (const cJSON *kj = opj->child; kj; kj = kj->next) {
			const char *attr;
			size_t attr_len;
			snprintf(b->path + base2, sizeof(b->path) - base2, ".%.40s", kj->string);
			if (p->n_conds - st->first_cond >= CK_POLICY_CONDITIONS_MAX)
				return fail(b, -E2BIG, "more than %d conditions",
				            CK_POLICY_CONDITIONS_MAX);
			if (var_lookup(kj->string, strlen(kj->string), &c.key, &attr, &attr_len) !=
			    0)
				return fail(b, -EINVAL,
				            "unknown condition key (supported: the iot: policy "
				            "variables, e.g. iot:ClientId, "
				            "iot:Connection.Thing.ThingName)");
			c.attr_off = 0;
			c.attr_len = (uint32_t)attr_len;
			if (attr && text_add(b, attr, attr_len, &c.attr_off) != 0)
				return fail(b, -ENOMEM, "out of memory");
			c.first_value = (uint32_t)p->n_pats;
			cJSON *vals = normalise_values(kj);
			if (!vals)
				return fail(b, -ENOMEM, "out of memory");
			struct cond_ctx cc = { .op = c.op };
			rc = each_string(b, vals, "a condition value", add_cond_value, &cc);
			cJSON_Delete(vals);
			if (rc)
				return rc;
			c.n_values = (uint32_t)(p->n_pats - c.first_value);
			if (grow((void **)&p->conds, &b->cap_conds, p->n_conds + 1,
			         sizeof(*p->conds)) != 0)
				return fail(b, -ENOMEM, "out of memory");
			p->conds[p->n_conds++] = c;
			b->path[base2] = '\0';
		}
	}
	b->path[base] = '\0';
	st->n_cond = (uint32_t)(p->n_conds - st->first_cond);
	return 0;
}

static int parse_statement(struct builder *b, const cJSON *sj)
{
	struct ck_policy *p = b->p;
	struct stmt st = { 0 };
	const cJSON *effect = NULL, *action = NULL, *not_action = NULL, *resource = NULL,
	            *not_resource = NULL, *condition = NULL;
	size_t base = strlen(b->path);
	int rc;

	if (!cJSON_IsObject(sj))
		return fail(b, -EINVAL, "a statement must be an object");
	if ((rc = check_duplicates(b, sj)) != 0)
		return rc;
	for (const cJSON *f = sj->child; f; f = f->next) {
		if (strcmp(f->string, "Sid") == 0) {
			if (!cJSON_IsString(f))
				return fail(b, -EINVAL, "Sid must be a string");
		} else if (strcmp(f->string, "Effect") == 0) {
			effect = f;
		} else if (strcmp(f->string, "Action") == 0) {
			action = f;
		} else if (strcmp(f->string, "NotAction") == 0) {
			not_action = f;
		} else if (strcmp(f->string, "Resource") == 0) {
			resource = f;
		} else if (strcmp(f->string, "NotResource") == 0) {
			not_resource = f;
		} else if (strcmp(f->string, "Condition") == 0) {
			condition = f;
		} else {
			return fail(b, -EINVAL,
			            "unknown element \"%.40s\" (allowed: Sid, Effect, Action, "
			            "NotAction, Resource, NotResource, Condition)",
			            f->string);
		}
	}
	if (!cJSON_IsString(effect) ||
	    (strcmp(effect->valuestring, "Allow") != 0 && strcmp(effect->valuestring, "Deny") != 0))
		return fail(b, -EINVAL, "Effect must be \"Allow\" or \"Deny\"");
	st.allow = effect->valuestring[0] == 'A';
	if (!action == !not_action)
		return fail(b, -EINVAL, "exactly one of Action and NotAction is required");
	if (!resource == !not_resource)
		return fail(b, -EINVAL, "exactly one of Resource and NotResource is required");

	snprintf(b->path + base, sizeof(b->path) - base, ".%s", action ? "Action" : "NotAction");
	rc = each_string(b, action ? action : not_action, "Action", add_action, &st.actions);
	if (rc)
		return rc;
	if (not_action)
		st.actions = ~st.actions & ALL_ACTIONS;

	snprintf(b->path + base, sizeof(b->path) - base, ".%s",
	         resource ? "Resource" : "NotResource");
	st.not_resource = resource == NULL;
	st.first_res = (uint32_t)p->n_pats;
	rc = each_string(b, resource ? resource : not_resource, "Resource", add_resource, NULL);
	if (rc)
		return rc;
	st.n_res = (uint32_t)(p->n_pats - st.first_res);

	if (condition) {
		snprintf(b->path + base, sizeof(b->path) - base, ".Condition");
		if ((rc = parse_condition(b, condition, &st)) != 0)
			return rc;
	}
	b->path[base] = '\0';

	char *json = cJSON_PrintUnformatted(sj);
	if (!json)
		return fail(b, -ENOMEM, "out of memory");
	rc = text_add(b, json, strlen(json), &st.json_off);
	cJSON_free(json);
	if (rc)
		return fail(b, rc, "out of memory");
	if (grow((void **)&p->stmts, &b->cap_stmts, p->n_stmts + 1, sizeof(*p->stmts)) != 0)
		return fail(b, -ENOMEM, "out of memory");
	p->stmts[p->n_stmts++] = st;
	return 0;
}

static int parse_document(struct builder *b, const cJSON *root)
{
	const cJSON *version = NULL, *statement = NULL;
	int rc;

	if (!cJSON_IsObject(root))
		return fail(b, -EINVAL, "the document must be a JSON object");
	if ((rc = check_duplicates(b, root)) != 0)
		return rc;
	for (const cJSON *f = root->child; f; f = f->next) {
		if (strcmp(f->string, "Version") == 0)
			version = f;
		else if (strcmp(f->string, "Statement") == 0)
			statement = f;
		else if (strcmp(f->string, "Id") == 0 && cJSON_IsString(f))
			continue;
		else
			return fail(b, -EINVAL,
			            "unknown element \"%.40s\" (allowed: Version, Id, Statement)",
			            f->string);
	}
	/* IAM: without Version the 2008 grammar applies, where ${...} is literal. */
	b->variables = false;
	if (version) {
		if (!cJSON_IsString(version) || (strcmp(version->valuestring, "2012-10-17") != 0 &&
		                                 strcmp(version->valuestring, "2008-10-17") != 0))
			return fail(b, -EINVAL, "Version must be \"2012-10-17\" or \"2008-10-17\"");
		b->variables = strcmp(version->valuestring, "2012-10-17") == 0;
	}
	if (!statement)
		return fail(b, -EINVAL, "Statement is required");
	if (cJSON_IsObject(statement)) {
		snprintf(b->path, sizeof(b->path), "Statement");
		return parse_statement(b, statement);
	}
	if (!cJSON_IsArray(statement) || !statement->child)
		return fail(b, -EINVAL, "Statement must be an object or a non-empty array");
	if (cJSON_GetArraySize(statement) > CK_POLICY_STATEMENTS_MAX)
		return fail(b, -E2BIG, "more than %d statements", CK_POLICY_STATEMENTS_MAX);
	int i = 0;
	for (const cJSON *s = statement->child; s; s = s->next, i++) {
		snprintf(b->path, sizeof(b->path), "Statement[%d]", i);
		if ((rc = parse_statement(b, s)) != 0)
			return rc;
	}
	b->path[0] = '\0';
	return 0;
}

/* Line and column (1-based) of byte offset off in doc. */
static void position(const char *doc, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (doc[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)doc[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int ck_policy_parse(const char *doc, size_t len, struct ck_policy **out, char *err, size_t err_len)
{
	struct builder b = { .err = err, .err_len = err_len };
	cJSON *root = NULL;
	int rc;

	*out = NULL;
	if (err && err_len)
		err[0] = '\0';
	if (!doc || len == 0)
		return fail(&b, -EINVAL, "the document is empty");
	if (len > CK_POLICY_DOC_MAX)
		return fail(&b, -E2BIG, "the document is larger than %d bytes", CK_POLICY_DOC_MAX);
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		chars += !is_space(doc[i]);
	if (chars > CK_POLICY_CHARS_MAX)
		return fail(&b, -E2BIG,
		            "the document has %zu characters besides whitespace; at most %d", chars,
		            CK_POLICY_CHARS_MAX);
	if (memchr(doc, '\0', len))
		return fail(&b, -EINVAL, "the document contains a NUL byte");
	if (!utf8_valid((const unsigned char *)doc, len))
		return fail(&b, -EINVAL, "the document is not valid UTF-8");
	const char *end = NULL;
	root = cJSON_ParseWithLengthOpts(doc, len, &end, false);
	size_t off = end && end >= doc && end <= doc + len ? (size_t)(end - doc) : 0;
	if (root) {
		while (off < len && is_space(doc[off]))
			off++;
	}
	if (!root || off < len) {
		int line, col;
		position(doc, off, &line, &col);
		cJSON_Delete(root);
		return fail(&b, -EINVAL, "line %d, column %d: %s", line, col,
		            root ? "unexpected text after the document" : "JSON syntax error");
	}
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p) {
		cJSON_Delete(root);
		return fail(&b, -ENOMEM, "out of memory");
	}
	rc = parse_document(&b, root);
	cJSON_Delete(root);
	if (rc) {
		ck_policy_free(b.p);
		return rc;
	}
	*out = b.p;
	return 0;
}

void ck_policy_free(struct ck_policy *p)
{
	if (!p)
		return;
	free(p->stmts);
	free(p->pats);
	free(p->conds);
	free(p->toks);
	free(p->text);
	free(p);
}

size_t ck_policy_statement_count(const struct ck_policy *p)
{
	return p ? p->n_stmts : 0;
}

const char *ck_policy_statement_json(const struct ck_policy *p, size_t i)
{
	if (!p || i >= p->n_stmts)
		return NULL;
	return p->text + p->stmts[i].json_off;
}

bool ck_policy_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > CK_POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("+=,.@_-", c)))
			return false;
	}
	return true;
}
