/*
 * clickctl's HTTP client: one libcurl easy handle per invocation, JSON in
 * and out with cJSON, clickd's error objects turned into
 * struct ck_ctl_api_error, and list pagination. It owns the bearer token
 * for the process lifetime and keeps it out of every message; it does not
 * follow redirects (the token would go with them) and speaks only http and
 * https. Replies are capped at CTL_MAX_REPLY bytes.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define CTL_MAX_REPLY    (32L * 1024 * 1024)
#define CTL_PAGE_LIMIT   500   /* items per page requested (the API's maximum) */
#define CTL_MAX_PAGES    10000 /* a server that never ends a list is a bug */
#define CTL_MAX_PATH     2048
#define CTL_CONNECT_SECS 5L
#define CTL_TOTAL_SECS   60L

struct ck_ctl_http {
	CURL *curl;
	struct curl_slist *headers;
	char *server; /* as given, for messages */
	char *base;   /* server + "/api/v1", no trailing slash */
	char *auth;   /* "Authorization: Bearer <token>" */
};

struct reply {
	char *data;
	size_t len;
	bool too_large;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply *r = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (r->len + n > (size_t)CTL_MAX_REPLY) {
		r->too_large = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	grown = realloc(r->data, r->len + n + 1);
	if (!grown)
		return 0;
	r->data = grown;
	memcpy(r->data + r->len, ptr, n);
	r->len += n;
	r->data[r->len] = '\0';
	return n;
}

static void set_error(struct ck_ctl_api_error *e, long status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct ck_ctl_api_error *e, long status, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Creates the client; see clickctl.h. */
int ck_ctl_http_new(const char *server, const char *token, struct ck_ctl_http **out, char *err,
                    size_t err_len)
{
	static const char suffix[] = "/api/v1";
	struct ck_ctl_http *h = NULL;
	size_t n, tlen = strlen(token);
	int rc = -ENOMEM;

	*out = NULL;
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c <= ' ' || c == 0x7f) {
			snprintf(err, err_len, "the API token has spaces or control characters");
			return -EINVAL;
		}
	}
	if (tlen == 0) {
		snprintf(err, err_len, "the API token is empty");
		return -EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, err_len, "cannot initialize libcurl");
		return -ENOMEM;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		goto out;
	h->server = strdup(server);
	n = strlen(server);
	while (n > 0 && server[n - 1] == '/')
		n--;
	h->base = malloc(n + sizeof(suffix));
	h->auth = malloc(tlen + 32);
	h->curl = curl_easy_init();
	if (!h->server || !h->base || !h->auth || !h->curl)
		goto out;
	memcpy(h->base, server, n);
	h->base[n] = '\0';
	if (n < sizeof(suffix) - 1 || strcmp(h->base + n - (sizeof(suffix) - 1), suffix) != 0)
		memcpy(h->base + n, suffix, sizeof(suffix));
	snprintf(h->auth, tlen + 32, "Authorization: Bearer %s", token);

	struct curl_slist *l = curl_slist_append(NULL, h->auth);
	if (!l)
		goto out;
	h->headers = l;
	l = curl_slist_append(h->headers, "Accept: application/json");
	if (!l)
		goto out;
	l = curl_slist_append(h->headers, "Content-Type: application/json");
	if (!l)
		goto out;
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "clickctl/" CK_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, CTL_CONNECT_SECS);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, CTL_TOTAL_SECS);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	*out = h;
	h = NULL;
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, err_len, "out of memory");
	ck_ctl_http_free(h);
	return rc;
}

/* Frees the client; see clickctl.h. */
void ck_ctl_http_free(struct ck_ctl_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	/* The list holds its own copy of the Authorization header. */
	for (struct curl_slist *l = h->headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(h->headers);
	if (h->auth) {
		explicit_bzero(h->auth, strlen(h->auth));
		free(h->auth);
	}
	free(h->base);
	free(h->server);
	free(h);
	curl_global_cleanup();
}

/* Fills e from an API error body, or describes the reply when it is not one. */
static void parse_api_error(const cJSON *j, long status, struct ck_ctl_api_error *e)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *code = ck_ctl_json_str(err, "code");
	const char *msg = ck_ctl_json_str(err, "message");
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(err, "line");
	const cJSON *col = cJSON_GetObjectItemCaseSensitive(err, "column");

	if (!msg) {
		set_error(e, status, "clickd answered HTTP %ld without an error message", status);
		return;
	}
	set_error(e, status, "%s", msg);
	if (code)
		snprintf(e->code, sizeof(e->code), "%s", code);
	if (cJSON_IsNumber(line) && cJSON_IsNumber(col) && line->valuedouble >= 1 &&
	    line->valuedouble < 1e6 && col->valuedouble >= 1 && col->valuedouble < 1e6) {
		e->line = (int)line->valuedouble;
		e->column = (int)col->valuedouble;
	}
}

/* Sends one request; see clickctl.h. */
int ck_ctl_api(struct ck_ctl_http *h, const char *method, const char *path, const cJSON *body,
               cJSON **resp, struct ck_ctl_api_error *e)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct reply r = { 0 };
	char *url = NULL, *payload = NULL;
	cJSON *j = NULL;
	long status = 0;
	size_t url_len;
	CURLcode cc;
	int rc = CK_CTL_EXIT_FAIL;

	*resp = NULL;
	memset(e, 0, sizeof(*e));
	url_len = strlen(h->base) + strlen(path) + 1;
	url = malloc(url_len);
	if (body)
		payload = cJSON_PrintUnformatted(body);
	if (!url || (body && !payload)) {
		set_error(e, 0, "out of memory");
		goto out;
	}
	snprintf(url, url_len, "%s%s", h->base, path);

	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	/* HTTPGET first: it clears any body left from the previous request. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	if (payload) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	}
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curl_err);
	cc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK && r.too_large) {
		set_error(e, 0, "the reply from clickd is larger than %ld bytes", CTL_MAX_REPLY);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = ck_ctl_fail(CK_CTL_EXIT_UNREACHABLE, "cannot reach clickd at %s: %s",
		                 h->server, curl_err[0] ? curl_err : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (r.len > 0)
		j = cJSON_ParseWithLength(r.data, r.len);
	if (status >= 200 && status < 300) {
		if (r.len > 0 && !j) {
			set_error(e, status,
			          "clickd answered HTTP %ld with a body that is not JSON", status);
			goto out;
		}
		*resp = j;
		j = NULL;
		rc = CK_CTL_EXIT_OK;
		goto out;
	}
	if (status >= 400)
		parse_api_error(j, status, e);
	else
		set_error(e, status, "unexpected HTTP status %ld from %s", status, h->server);
out:
	cJSON_Delete(j);
	free(r.data);
	if (payload) {
		explicit_bzero(payload, strlen(payload));
		cJSON_free(payload);
	}
	free(url);
	return rc;
}

/* Writes next (a string or integer cursor) escaped into out; 0 or -EINVAL. */
static int cursor_param(const cJSON *next, char *out, size_t len)
{
	char raw[512];

	if (cJSON_IsString(next) && next->valuestring[0])
		snprintf(raw, sizeof(raw), "%s", next->valuestring);
	else if (cJSON_IsNumber(next))
		snprintf(raw, sizeof(raw), "%lld", (long long)next->valuedouble);
	else
		return -EINVAL;
	return ck_cli_url_escape(raw, out, len);
}

/* Collects every page of a list; see clickctl.h. */
int ck_ctl_api_list(struct ck_ctl_http *h, const char *path, cJSON **items,
                    struct ck_ctl_api_error *e)
{
	char page_path[CTL_MAX_PATH], cursor[1600] = "", prev[1600] = "";
	char sep = strchr(path, '?') ? '&' : '?';
	cJSON *all = cJSON_CreateArray();
	cJSON *page = NULL;
	int rc = CK_CTL_EXIT_FAIL;

	*items = NULL;
	memset(e, 0, sizeof(*e));
	if (!all) {
		set_error(e, 0, "out of memory");
		goto out;
	}
	for (int n = 0;; n++) {
		const cJSON *list, *next, *it;
		int len;

		if (n == CTL_MAX_PAGES) {
			set_error(e, 0, "clickd's list did not end after %d pages", n);
			goto out;
		}
		if (cursor[0])
			len = snprintf(page_path, sizeof(page_path), "%s%climit=%d&after=%s", path,
			               sep, CTL_PAGE_LIMIT, cursor);
		else
			len = snprintf(page_path, sizeof(page_path), "%s%climit=%d", path, sep,
			               CTL_PAGE_LIMIT);
		if (len < 0 || (size_t)len >= sizeof(page_path)) {
			set_error(e, 0, "request path too long");
			goto out;
		}
		rc = ck_ctl_api(h, "GET", page_path, NULL, &page, e);
		if (rc != CK_CTL_EXIT_OK)
			goto out;
		rc = CK_CTL_EXIT_FAIL;
		list = cJSON_GetObjectItemCaseSensitive(page, "items");
		if (!cJSON_IsArray(list)) {
			set_error(e, 200, "clickd's list has no \"items\" array");
			goto out;
		}
		for (it = cJSON_DetachItemFromArray((cJSON *)list, 0); it;
		     it = cJSON_DetachItemFromArray((cJSON *)list, 0))
			cJSON_AddItemToArray(all, (cJSON *)it);
		next = cJSON_GetObjectItemCaseSensitive(page, "next");
		if (!next || cJSON_IsNull(next))
			break;
		memcpy(prev, cursor, sizeof(prev));
		if (cursor_param(next, cursor, sizeof(cursor)) < 0) {
			set_error(e, 200, "clickd's list has an unusable \"next\" cursor");
			goto out;
		}
		if (strcmp(prev, cursor) == 0) {
			set_error(e, 200, "clickd's list repeated the cursor %s", cursor);
			goto out;
		}
		cJSON_Delete(page);
		page = NULL;
	}
	*items = all;
	all = NULL;
	rc = CK_CTL_EXIT_OK;
out:
	cJSON_Delete(page);
	cJSON_Delete(all);
	return rc;
}

/* Prints an API error; see clickctl.h. */
int ck_ctl_print_api_error(const struct ck_ctl_api_error *e)
{
	if (e->status == 401)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL,
		                   "%s; check --token-file, --token or CLICKD_TOKEN", e->message);
	return ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s", e->message);
}
