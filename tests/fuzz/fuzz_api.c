/*
 * Fuzzes the HTTP API's request handling (routing, query parameters, JSON
 * bodies, validation) against an in-memory store. Input: the method on the
 * first line, the path with an optional query string on the second, the
 * body after that. Every request must produce a status and a JSON
 * document; error documents must have the documented shape.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ck_store *store;
static struct ck_ca *ca;

struct fuzz_req {
	struct ck_api_request req;
	char query[512];
	char value[512];
};

/* Looks key up in "a=1&b=2"; no URL decoding, as the fuzzer needs none. */
static const char *query(const struct ck_api_request *req, const char *key)
{
	struct fuzz_req *fr = (struct fuzz_req *)req;
	size_t klen = strlen(key);
	for (const char *p = fr->query; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1;
			if (vlen >= sizeof(fr->value))
				vlen = sizeof(fr->value) - 1;
			memcpy(fr->value, p + klen + 1, vlen);
			fr->value[vlen] = '\0';
			return fr->value;
		}
		p += len + (amp ? 1 : 0);
	}
	return NULL;
}

static char dir[] = "/tmp/ck-fuzz-api-XXXXXX";

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	char err[256];
	if (ck_store_open_sqlite(":memory:", &store, err, sizeof(err)) != 0 || !mkdtemp(dir) ||
	    ck_ca_open(dir, &ca, err, sizeof(err)) != 0)
		abort();
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!store)
		setup();
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';

	struct fuzz_req fr = { 0 };
	char *method = buf;
	char *path = strchr(method, '\n');
	char *body = path ? strchr(path + 1, '\n') : NULL;
	if (!path || !body) {
		free(buf);
		return 0;
	}
	*path++ = '\0';
	*body++ = '\0';
	char *q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		snprintf(fr.query, sizeof(fr.query), "%s", q);
	}
	fr.req = (struct ck_api_request){
		.method = method,
		.path = path,
		.body = body,
		.body_len = strlen(body),
		.query = query,
	};
	struct ck_api_env env = {
		.store = store,
		.ca = ca,
		.token = "t",
		.snapshot_path = "/dev/null",
		.endpoint_host = "127.0.0.1",
		.endpoint_port = 8883,
	};
	cJSON *out = NULL;
	int status = ck_api_handle(&env, &fr.req, &out);
	if (status < 200 || status > 599 || !out)
		abort();
	if (status >= 400) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "error");
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "code")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
			abort();
	}
	cJSON_Delete(out);
	free(buf);
	return 0;
}
