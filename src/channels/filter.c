/*
 * Filter policies (see filter.h). A compiled policy is the checked JSON
 * tree; matching walks it against the normalized attributes.
 */
#include "channels/filter.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ck_filter {
	cJSON *policy;
};

/* One value of an attribute: a string or a number. */
struct value {
	const char *str; /* NULL for a number */
	double num;
};

static bool number_ok(double v)
{
	return isfinite(v) && v >= -CK_FILTER_NUMBER_LIMIT && v <= CK_FILTER_NUMBER_LIMIT;
}

static bool is_op(const cJSON *o, const char *const *ops)
{
	if (!cJSON_IsString(o))
		return false;
	for (int i = 0; ops[i]; i++)
		if (strcmp(o->valuestring, ops[i]) == 0)
			return true;
	return false;
}

static int check_numeric(const cJSON *arr, char *why, size_t why_len)
{
	static const char *const any[] = { "=", "<", "<=", ">", ">=", NULL };
	static const char *const lower[] = { ">", ">=", NULL };
	static const char *const upper[] = { "<", "<=", NULL };
	int n = cJSON_GetArraySize(arr);
	const cJSON *a = cJSON_GetArrayItem(arr, 0), *b = cJSON_GetArrayItem(arr, 1);
	const cJSON *c = cJSON_GetArrayItem(arr, 2), *d = cJSON_GetArrayItem(arr, 3);
	bool ok = cJSON_IsArray(arr) && (n == 2 || n == 4) && cJSON_IsNumber(b) &&
	          number_ok(b->valuedouble);
	if (ok && n == 2)
		ok = is_op(a, any);
	if (ok && n == 4)
		ok = is_op(a, lower) && is_op(c, upper) && cJSON_IsNumber(d) &&
		     number_ok(d->valuedouble) && b->valuedouble <= d->valuedouble;
	if (!ok) {
		snprintf(why, why_len,
		         "\"numeric\" must be [op, number] or [\">\"|\">=\", low, \"<\"|\"<=\", "
		         "high] with numbers from -1e9 to 1e9");
		return -EINVAL;
	}
	return 0;
}

static int check_anything_but(const cJSON *v, char *why, size_t why_len)
{
	if (cJSON_IsString(v) || (cJSON_IsNumber(v) && number_ok(v->valuedouble)))
		return 0;
	if (cJSON_IsObject(v) && cJSON_GetArraySize(v) == 1 &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "prefix")))
		return 0;
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
		const cJSON *e;
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e) && !(cJSON_IsNumber(e) && number_ok(e->valuedouble)))
				goto bad;
		}
		return 0;
	}
bad:
	snprintf(why, why_len,
	         "\"anything-but\" takes a string, a number, an array of them or {\"prefix\": s}");
	return -EINVAL;
}

static int check_condition(const char *key, const cJSON *c, char *why, size_t why_len)
{
	if (cJSON_IsString(c))
		return strlen(c->valuestring) <= CK_FILTER_VALUE_MAX ? 0 : -EINVAL;
	if (cJSON_IsNumber(c)) {
		if (number_ok(c->valuedouble))
			return 0;
		snprintf(why, why_len, "%.64s: numbers range from -1e9 to 1e9", key);
		return -EINVAL;
	}
	if (!cJSON_IsObject(c) || cJSON_GetArraySize(c) != 1) {
		snprintf(why, why_len,
		         "%.64s: a condition is a string, a number or an object with one operator",
		         key);
		return -EINVAL;
	}
	const cJSON *op = c->child;
	const char *name = op->string;
	if (strcmp(name, "prefix") == 0 || strcmp(name, "suffix") == 0 ||
	    strcmp(name, "equals-ignore-case") == 0) {
		if (cJSON_IsString(op) && strlen(op->valuestring) <= CK_FILTER_VALUE_MAX)
			return 0;
		snprintf(why, why_len, "%.64s: \"%s\" takes a string", key, name);
		return -EINVAL;
	}
	if (strcmp(name, "exists") == 0) {
		if (cJSON_IsBool(op))
			return 0;
		snprintf(why, why_len, "%.64s: \"exists\" takes true or false", key);
		return -EINVAL;
	}
	if (strcmp(name, "numeric") == 0)
		return check_numeric(op, why, why_len);
	if (strcmp(name, "anything-but") == 0)
		return check_anything_but(op, why, why_len);
	snprintf(why, why_len,
	         "%.64s: unknown operator \"%.32s\" (known: prefix, suffix, equals-ignore-case, "
	         "anything-but, numeric, exists)",
	         key, name);
	return -EINVAL;
}

int ck_filter_compile(const char *text, size_t len, struct ck_filter **out, char *why,
                      size_t why_len)
{
	*out = NULL;
	if (len > CK_FILTER_TEXT_MAX) {
		snprintf(why, why_len, "a filter policy is at most %d bytes", CK_FILTER_TEXT_MAX);
		return -EINVAL;
	}
	cJSON *p = cJSON_ParseWithLength(text, len);
	if (!p || !cJSON_IsObject(p)) {
		snprintf(why, why_len, "a filter policy must be a JSON object");
		cJSON_Delete(p);
		return -EINVAL;
	}
	int keys = cJSON_GetArraySize(p);
	long combos = 1;
	const cJSON *k;
	if (keys == 0 || keys > CK_FILTER_KEYS_MAX) {
		snprintf(why, why_len, "a filter policy has 1 to %d attribute names",
		         CK_FILTER_KEYS_MAX);
		goto bad;
	}
	cJSON_ArrayForEach(k, p)
	{
		int n = cJSON_GetArraySize(k);
		if (!cJSON_IsArray(k) || n == 0) {
			snprintf(why, why_len, "%.64s: conditions must be a non-empty array",
			         k->string);
			goto bad;
		}
		combos *= n;
		if (combos > CK_FILTER_COMBOS_MAX) {
			snprintf(why, why_len,
			         "a filter policy allows at most %d combinations of values",
			         CK_FILTER_COMBOS_MAX);
			goto bad;
		}
		const cJSON *c;
		cJSON_ArrayForEach(c, k)
		{
			why[0] = '\0';
			if (check_condition(k->string, c, why, why_len) != 0) {
				if (!why[0])
					snprintf(why, why_len, "%.64s: a value is too long",
					         k->string);
				goto bad;
			}
		}
	}
	struct ck_filter *f = malloc(sizeof(*f));
	if (!f) {
		cJSON_Delete(p);
		return -ENOMEM;
	}
	f->policy = p;
	*out = f;
	return 0;
bad:
	cJSON_Delete(p);
	return -EINVAL;
}

void ck_filter_free(struct ck_filter *f)
{
	if (!f)
		return;
	cJSON_Delete(f->policy);
	free(f);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return m <= n && memcmp(s + n - m, suffix, m) == 0;
}

static bool equal_to(const struct value *v, const cJSON *c)
{
	if (cJSON_IsString(c))
		return v->str && strcmp(v->str, c->valuestring) == 0;
	if (cJSON_IsNumber(c))
		return !v->str && v->num == c->valuedouble;
	return false;
}

static bool numeric_holds(double x, const char *op, double n)
{
	if (strcmp(op, "=") == 0)
		return x == n;
	if (strcmp(op, "<") == 0)
		return x < n;
	if (strcmp(op, "<=") == 0)
		return x <= n;
	if (strcmp(op, ">") == 0)
		return x > n;
	return x >= n;
}

static bool anything_but(const struct value *v, const cJSON *ab)
{
	if (cJSON_IsObject(ab)) {
		const char *pre = cJSON_GetObjectItemCaseSensitive(ab, "prefix")->valuestring;
		return v->str && strncmp(v->str, pre, strlen(pre)) != 0;
	}
	if (!cJSON_IsArray(ab))
		return (cJSON_IsString(ab) ? v->str != NULL : v->str == NULL) && !equal_to(v, ab);
	/* A list: the value's type must be the list's, and be none of its values. */
	const cJSON *e;
	bool typed = false;
	cJSON_ArrayForEach(e, ab)
	{
		if (equal_to(v, e))
			return false;
		if (cJSON_IsString(e) == (v->str != NULL))
			typed = true;
	}
	return typed;
}

static bool value_matches(const struct value *v, const cJSON *c)
{
	if (!cJSON_IsObject(c))
		return equal_to(v, c);
	const cJSON *op = c->child;
	const char *name = op->string;
	if (strcmp(name, "prefix") == 0)
		return v->str && strncmp(v->str, op->valuestring, strlen(op->valuestring)) == 0;
	if (strcmp(name, "suffix") == 0)
		return v->str && ends_with(v->str, op->valuestring);
	if (strcmp(name, "equals-ignore-case") == 0)
		return v->str && strcasecmp(v->str, op->valuestring) == 0;
	if (strcmp(name, "anything-but") == 0)
		return anything_but(v, op);
	if (strcmp(name, "numeric") == 0) {
		if (v->str)
			return false;
		const cJSON *a = cJSON_GetArrayItem(op, 0), *b = cJSON_GetArrayItem(op, 1);
		if (!numeric_holds(v->num, a->valuestring, b->valuedouble))
			return false;
		const cJSON *c2 = cJSON_GetArrayItem(op, 2), *d = cJSON_GetArrayItem(op, 3);
		return !c2 || numeric_holds(v->num, c2->valuestring, d->valuedouble);
	}
	return false; /* "exists" is decided by the caller */
}

/* Does attribute attr (NULL when absent) satisfy condition c? */
static bool condition_matches(const cJSON *attr, const cJSON *c)
{
	const cJSON *exists =
	    cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, "exists") : NULL;
	if (exists)
		return cJSON_IsTrue(exists) == (attr != NULL);
	if (!attr)
		return false;
	const char *type = cJSON_GetObjectItemCaseSensitive(attr, "Type")->valuestring;
	const char *text = cJSON_GetObjectItemCaseSensitive(attr, "Value")->valuestring;
	struct value v = { 0 };
	if (strcmp(type, "String") == 0) {
		v.str = text;
		return value_matches(&v, c);
	}
	if (strcmp(type, "Number") == 0) {
		v.num = strtod(text, NULL);
		return value_matches(&v, c);
	}
	cJSON *arr = cJSON_Parse(text);
	bool hit = false;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		struct value ev = { .str = cJSON_IsString(e) ? e->valuestring : NULL,
			            .num = cJSON_IsNumber(e) ? e->valuedouble : 0 };
		if ((cJSON_IsString(e) || cJSON_IsNumber(e)) && value_matches(&ev, c)) {
			hit = true;
			break;
		}
	}
	cJSON_Delete(arr);
	return hit;
}

bool ck_filter_match(const struct ck_filter *f, const cJSON *attrs)
{
	if (!f)
		return true;
	const cJSON *k;
	cJSON_ArrayForEach(k, f->policy)
	{
		const cJSON *attr =
		    attrs ? cJSON_GetObjectItemCaseSensitive(attrs, k->string) : NULL;
		bool any = false;
		const cJSON *c;
		cJSON_ArrayForEach(c, k)
		{
			if (condition_matches(attr, c)) {
				any = true;
				break;
			}
		}
		if (!any)
			return false;
	}
	return true;
}

static bool name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > CK_FILTER_NAME_MAX || n[0] == '.' || n[len - 1] == '.' ||
	    strncasecmp(n, "aws.", 4) == 0 || strstr(n, ".."))
		return false;
	return strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") ==
	       len;
}

static int add_attr(cJSON *out, const char *name, const char *type, const char *value)
{
	cJSON *a = cJSON_CreateObject();
	if (!a || !cJSON_AddStringToObject(a, "Type", type) ||
	    !cJSON_AddStringToObject(a, "Value", value)) {
		cJSON_Delete(a);
		return -ENOMEM;
	}
	cJSON_AddItemToObject(out, name, a);
	return 0;
}

/* Normalizes one attribute value into out; -EINVAL with why. */
static int normalize_one(cJSON *out, const cJSON *v, char *why, size_t why_len)
{
	const char *name = v->string;
	char num[64];
	const char *type = NULL;
	const char *text = NULL;
	char *owned = NULL;
	int rc = -EINVAL;
	if (cJSON_IsObject(v)) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "DataType");
		if (!t)
			t = cJSON_GetObjectItemCaseSensitive(v, "Type");
		const cJSON *sv = cJSON_GetObjectItemCaseSensitive(v, "StringValue");
		if (!sv)
			sv = cJSON_GetObjectItemCaseSensitive(v, "Value");
		if (!cJSON_IsString(t) || !cJSON_IsString(sv))
			goto bad;
		type = t->valuestring;
		text = sv->valuestring;
	} else if (cJSON_IsString(v)) {
		type = "String";
		text = v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		type = "Number";
		snprintf(num, sizeof(num), "%.15g", v->valuedouble);
		text = num;
	} else if (cJSON_IsArray(v)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e) && !cJSON_IsNumber(e))
				goto bad;
		}
		owned = cJSON_PrintUnformatted(v);
		if (!owned)
			return -ENOMEM;
		type = "String.Array";
		text = owned;
	} else {
		goto bad;
	}
	if (strlen(text) > CK_FILTER_VALUE_MAX) {
		snprintf(why, why_len, "attribute %.64s: values are at most %d bytes", name,
		         CK_FILTER_VALUE_MAX);
		goto out;
	}
	if (strcmp(type, "Number") == 0) {
		char *end = NULL;
		double d = strtod(text, &end);
		if (!*text || *end || !number_ok(d)) {
			snprintf(why, why_len,
			         "attribute %.64s: a Number is a decimal from -1e9 to 1e9", name);
			goto out;
		}
	} else if (strcmp(type, "String.Array") == 0) {
		cJSON *arr = cJSON_Parse(text);
		bool ok = cJSON_IsArray(arr);
		cJSON_Delete(arr);
		if (!ok) {
			snprintf(why, why_len, "attribute %.64s: a String.Array is a JSON array",
			         name);
			goto out;
		}
	} else if (strcmp(type, "String") != 0) {
		goto bad;
	}
	rc = add_attr(out, name, type, text);
	goto out;
bad:
	snprintf(why, why_len,
	         "attribute %.64s: a value is a string, a number, an array of them or "
	         "{\"DataType\": \"String\"|\"Number\"|\"String.Array\", \"StringValue\": text}",
	         name);
out:
	cJSON_free(owned);
	return rc;
}

int ck_filter_attributes(const cJSON *in, cJSON **out, char *why, size_t why_len)
{
	*out = NULL;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	if (!in || cJSON_IsNull(in)) {
		*out = o;
		return 0;
	}
	int rc = -EINVAL;
	if (!cJSON_IsObject(in) || cJSON_GetArraySize(in) > CK_FILTER_ATTRS_MAX) {
		snprintf(why, why_len, "attributes must be an object of at most %d entries",
		         CK_FILTER_ATTRS_MAX);
		goto fail;
	}
	const cJSON *v;
	cJSON_ArrayForEach(v, in)
	{
		if (!name_ok(v->string)) {
			snprintf(why, why_len,
			         "attribute name \"%.64s\" must be 1 to 256 letters, digits, '_', "
			         "'-' or '.' (not starting with AWS.)",
			         v->string);
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, v->string)) {
			snprintf(why, why_len, "attribute %.64s is given twice", v->string);
			goto fail;
		}
		rc = normalize_one(o, v, why, why_len);
		if (rc != 0)
			goto fail;
	}
	*out = o;
	return 0;
fail:
	cJSON_Delete(o);
	return rc;
}
