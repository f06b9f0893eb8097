/*
 * Function policies (see fpolicy.h): parsing into a flat list of entries,
 * and deciding a call against it.
 */
#include "functions/fpolicy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ck_fpolicy_calls[] = {
	"workorder.create", "notify",      "queue.send", "table.put",    "table.get",
	"table.delete",     "table.query", "publish",    "http.request", NULL,
};

struct entry {
	char *call;     /* pattern over the call name */
	char *resource; /* pattern over the resource; NULL: any */
	bool deny;
};

struct ck_fpolicy {
	struct entry e[CK_FPOLICY_ENTRIES_MAX];
	int n;
};

bool ck_fpolicy_glob(const char *p, const char *t)
{
	const char *star = NULL, *mark = NULL;
	while (*t) {
		if (*p == '*') {
			star = p++;
			mark = t;
		} else if (*p == '?' || *p == *t) {
			p++;
			t++;
		} else if (star) {
			p = star + 1;
			t = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* True when the call pattern names at least one known call. */
static bool call_known(const char *pattern)
{
	for (int i = 0; ck_fpolicy_calls[i]; i++)
		if (ck_fpolicy_glob(pattern, ck_fpolicy_calls[i]))
			return true;
	return false;
}

void ck_fpolicy_free(struct ck_fpolicy *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++) {
		free(p->e[i].call);
		free(p->e[i].resource);
	}
	free(p);
}

static int add_list(struct ck_fpolicy *p, const cJSON *list, const char *what, bool deny, char *err,
                    size_t err_len)
{
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list)) {
		snprintf(err, err_len, "%s must be an array of strings", what);
		return -EINVAL;
	}
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsString(it) || !it->valuestring[0]) {
			snprintf(err, err_len, "%s[%d] must be a non-empty string", what, i);
			return -EINVAL;
		}
		size_t len = strlen(it->valuestring);
		if (len > CK_FPOLICY_ENTRY_MAX) {
			snprintf(err, err_len, "%s[%d] is longer than %d bytes", what, i,
			         CK_FPOLICY_ENTRY_MAX);
			return -E2BIG;
		}
		if (p->n == CK_FPOLICY_ENTRIES_MAX) {
			snprintf(err, err_len, "a policy has at most %d entries",
			         CK_FPOLICY_ENTRIES_MAX);
			return -E2BIG;
		}
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)it->valuestring[k];
			if (c < 0x20 || c == 0x7f) {
				snprintf(err, err_len, "%s[%d] holds a control character", what, i);
				return -EINVAL;
			}
		}
		const char *colon = strchr(it->valuestring, ':');
		size_t call_len = colon ? (size_t)(colon - it->valuestring) : len;
		struct entry *e = &p->e[p->n];
		e->call = strndup(it->valuestring, call_len);
		e->resource = colon ? strdup(colon + 1) : NULL;
		e->deny = deny;
		if (!e->call || (colon && !e->resource)) {
			free(e->call);
			free(e->resource);
			return -ENOMEM;
		}
		p->n++;
		if (!call_known(e->call)) {
			snprintf(err, err_len,
			         "%s[%d]: unknown call \"%.64s\" (known: workorder.create, "
			         "notify, queue.send, table.put, table.get, table.delete, "
			         "table.query, publish, http.request)",
			         what, i, e->call);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

int ck_fpolicy_parse(const cJSON *doc, struct ck_fpolicy **out, char *err, size_t err_len)
{
	*out = NULL;
	struct ck_fpolicy *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = 0;
	if (doc && !cJSON_IsNull(doc)) {
		if (!cJSON_IsObject(doc)) {
			snprintf(err, err_len,
			         "policy must be an object {\"allow\": [...], \"deny\": [...]}");
			rc = -EINVAL;
			goto out;
		}
		const cJSON *k;
		cJSON_ArrayForEach(k, doc)
		{
			if (strcmp(k->string, "allow") != 0 && strcmp(k->string, "deny") != 0) {
				snprintf(err, err_len,
				         "policy: unknown member \"%.64s\" (allowed: allow, deny)",
				         k->string);
				rc = -EINVAL;
				goto out;
			}
		}
		rc = add_list(p, cJSON_GetObjectItemCaseSensitive(doc, "allow"), "allow", false,
		              err, err_len);
		if (rc == 0)
			rc = add_list(p, cJSON_GetObjectItemCaseSensitive(doc, "deny"), "deny",
			              true, err, err_len);
	}
out:
	if (rc != 0) {
		ck_fpolicy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

bool ck_fpolicy_allows(const struct ck_fpolicy *p, const char *call, const char *resource)
{
	if (!p || !call)
		return false;
	if (!resource)
		resource = "";
	bool allowed = false;
	for (int i = 0; i < p->n; i++) {
		const struct entry *e = &p->e[i];
		if (!ck_fpolicy_glob(e->call, call))
			continue;
		if (e->resource && !ck_fpolicy_glob(e->resource, resource))
			continue;
		if (e->deny)
			return false;
		allowed = true;
	}
	return allowed;
}
