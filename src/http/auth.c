/*
 * Credentials, roles and failed-login limits (see auth.h).
 */
#include "http/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/password.h"
#include "store/store_users.h"

#define SLOTS 512

int ck_auth_rank(const char *role)
{
	if (!role)
		return 0;
	if (strcmp(role, "driver") == 0)
		return 1;
	if (strcmp(role, "supervisor") == 0)
		return 2;
	if (strcmp(role, "admin") == 0)
		return 3;
	return 0;
}

bool ck_auth_public(const char *method, const char *path)
{
	return (strcmp(method, "GET") == 0 && strcmp(path, "/health") == 0) ||
	       (strcmp(method, "POST") == 0 && strcmp(path, "/auth/login") == 0);
}

/* True when path is prefix exactly or prefix followed by '/' and more. */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* "/calls/12/claim" -> true for op "claim". */
static bool call_op(const char *path, const char *op)
{
	if (strncmp(path, "/calls/", 7) != 0)
		return false;
	const char *p = path + 7;
	size_t digits = strspn(p, "0123456789");
	return digits > 0 && p[digits] == '/' && strcmp(p + digits + 1, op) == 0;
}

static bool driver_may(const char *method, const char *path)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	if (get)
		return under(path, "/calls") || under(path, "/kinds") ||
		       strcmp(path, "/stream") == 0 || strcmp(path, "/auth/session") == 0 ||
		       under(path, "/things") || strcmp(path, "/workorders") == 0 ||
		       strcmp(path, "/health") == 0;
	if (post)
		return call_op(path, "claim") || call_op(path, "arrive") ||
		       call_op(path, "resolve") || call_op(path, "release") ||
		       strcmp(path, "/auth/logout") == 0 || strcmp(path, "/auth/password") == 0;
	return false;
}

bool ck_auth_allowed(const char *role, const char *method, const char *path)
{
	int rank = ck_auth_rank(role);
	if (rank >= 3)
		return true;
	if (rank == 2) {
		bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
		if (get && !under(path, "/users"))
			return true;
		if (strcmp(method, "POST") == 0 && call_op(path, "cancel"))
			return true;
	}
	return rank >= 1 && driver_may(method, path);
}

static bool token_ok(const char *expected, const char *got)
{
	size_t n = strlen(expected), m = strlen(got);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(expected[i] ^ (i < m ? got[i] : 0));
	return diff == 0;
}

/* Copies the value of the session cookie into out; false when absent or malformed. */
static bool cookie_value(const char *cookie, char *out, size_t out_len)
{
	static const char name[] = CK_AUTH_COOKIE "=";
	for (const char *p = cookie; p && *p;) {
		p += strspn(p, " ;");
		if (strncmp(p, name, sizeof(name) - 1) == 0) {
			const char *v = p + sizeof(name) - 1;
			size_t n = strcspn(v, "; ");
			if (n == 0 || n >= out_len)
				return false;
			for (size_t i = 0; i < n; i++) {
				char c = v[i];
				if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				      (c >= '0' && c <= '9') || c == '-' || c == '_'))
					return false;
			}
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p += strcspn(p, ";");
	}
	return false;
}

int ck_auth_resolve(const struct ck_api_env *env, const char *method, const char *authorization,
                    const char *cookie, const char *csrf, int64_t now_ms,
                    struct ck_auth_principal *p, cJSON **err)
{
	static const char bearer[] = "Bearer ";
	memset(p, 0, sizeof(*p));
	*err = NULL;
	if (authorization) {
		if (strncmp(authorization, bearer, sizeof(bearer) - 1) == 0 &&
		    token_ok(env->token, authorization + sizeof(bearer) - 1)) {
			snprintf(p->user, sizeof(p->user), "%s", CK_AUTH_TOKEN_USER);
			snprintf(p->role, sizeof(p->role), "admin");
			return 0;
		}
		*err =
		    ck_api_error("unauthorized", "missing or wrong bearer token (see admin.token "
		                                 "in the data directory)");
		return 401;
	}
	char token[CK_TOKEN_CHARS + 8];
	struct ck_session_row row;
	if (!cookie_value(cookie, token, sizeof(token))) {
		*err = ck_api_error("unauthorized", "log in (POST /api/v1/auth/login) or send the "
		                                    "bearer token (see admin.token in the data "
		                                    "directory)");
		return 401;
	}
	ck_password_sha256_hex(token, p->session_hash);
	explicit_bzero(token, sizeof(token));
	if (ck_store_session_read(env->store, p->session_hash, now_ms, &row) != 0) {
		*err = ck_api_error("unauthorized", "the session has ended; log in again");
		return 401;
	}
	snprintf(p->user, sizeof(p->user), "%s", row.user);
	snprintf(p->role, sizeof(p->role), "%s", row.role);
	snprintf(p->csrf, sizeof(p->csrf), "%s", row.csrf);
	p->expires_ms = row.expires_ms;
	bool safe = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (!safe && (!csrf || !token_ok(p->csrf, csrf))) {
		*err = ck_api_error("csrf", "missing or wrong X-CSRF-Token header (see csrfToken "
		                            "from login or GET /api/v1/auth/session)");
		return 403;
	}
	return 0;
}

/* --- failed logins --------------------------------------------------------- */

struct slot {
	char key[80]; /* "u:<user>" or "p:<peer>" */
	int64_t first_ms;
	int count;
};

static struct slot slots[SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

static struct slot *find(const char *key, int64_t now_ms, bool create)
{
	struct slot *victim = NULL; /* a free slot, else the oldest */
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (s->key[0] && now_ms - s->first_ms >= CK_AUTH_WINDOW_MS)
			s->key[0] = '\0';
		if (s->key[0] && strcmp(s->key, key) == 0)
			return s;
		if (!victim || (victim->key[0] && (!s->key[0] || s->first_ms < victim->first_ms)))
			victim = s;
	}
	if (!create)
		return NULL;
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->first_ms = now_ms;
	victim->count = 0;
	return victim;
}

static int wait_s(const struct slot *s, int max, int64_t now_ms)
{
	if (!s || s->count < max)
		return 0;
	int64_t left = s->first_ms + CK_AUTH_WINDOW_MS - now_ms;
	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

int ck_auth_throttled(const char *user, const char *peer, int64_t now_ms)
{
	char key[80];
	int w = 0;
	pthread_mutex_lock(&slots_mu);
	if (user) {
		snprintf(key, sizeof(key), "u:%s", user);
		w = wait_s(find(key, now_ms, false), CK_AUTH_MAX_PER_USER, now_ms);
	}
	if (peer) {
		snprintf(key, sizeof(key), "p:%s", peer);
		int wp = wait_s(find(key, now_ms, false), CK_AUTH_MAX_PER_PEER, now_ms);
		w = wp > w ? wp : w;
	}
	pthread_mutex_unlock(&slots_mu);
	return w;
}

void ck_auth_failed(const char *user, const char *peer, int64_t now_ms)
{
	char key[80];
	pthread_mutex_lock(&slots_mu);
	if (user) {
		snprintf(key, sizeof(key), "u:%s", user);
		find(key, now_ms, true)->count++;
	}
	if (peer) {
		snprintf(key, sizeof(key), "p:%s", peer);
		find(key, now_ms, true)->count++;
	}
	pthread_mutex_unlock(&slots_mu);
}

void ck_auth_succeeded(const char *user)
{
	char key[80];
	snprintf(key, sizeof(key), "u:%s", user);
	pthread_mutex_lock(&slots_mu);
	for (int i = 0; i < SLOTS; i++)
		if (strcmp(slots[i].key, key) == 0)
			slots[i].key[0] = '\0';
	pthread_mutex_unlock(&slots_mu);
}
