/*
 * Who may do what over HTTP: resolves a request's credential (the bearer
 * token, or a session cookie with its CSRF token for writes) to a user and
 * role, decides by role which routes it may call, and limits failed
 * logins. The role table is a pure function; the rest reads the store on
 * the HTTP thread. Owns the failed-login counters (in memory, HTTP thread).
 */
#ifndef CK_AUTH_H
#define CK_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/http.h"

#define CK_AUTH_COOKIE       "clickd_session"
#define CK_AUTH_SESSION_MS   (12LL * 3600 * 1000)
#define CK_AUTH_TOKEN_USER   "admin-token"
#define CK_AUTH_WINDOW_MS    (15LL * 60 * 1000)
#define CK_AUTH_MAX_PER_USER 5
#define CK_AUTH_MAX_PER_PEER 20

struct ck_auth_principal {
	char user[65];
	char role[16];
	char session_hash[65]; /* "" for the bearer token */
	char csrf[65];         /* "" for the bearer token */
	int64_t expires_ms;
};

/* Role rank: driver 1, supervisor 2, admin 3, anything else 0. */
int ck_auth_rank(const char *role);

/* True when a route is public (no credential): GET /health, POST /auth/login. */
bool ck_auth_public(const char *method, const char *path);

/* True when role may call method on path (below /api/v1). Fails closed:
 * an unknown role or a route not listed for the role is refused. */
bool ck_auth_allowed(const char *role, const char *method, const char *path);

/*
 * Resolves the credential of a request: authorization is the
 * Authorization header, cookie the Cookie header, csrf the X-CSRF-Token
 * header (each may be NULL). Returns 0 with *p filled, or an HTTP status
 * (401 no or bad credential, 403 missing or wrong CSRF token on a
 * cookie-authenticated write) with *err set to the error document.
 */
int ck_auth_resolve(const struct ck_api_env *env, const char *method, const char *authorization,
                    const char *cookie, const char *csrf, int64_t now_ms,
                    struct ck_auth_principal *p, cJSON **err);

/*
 * Failed-login limiting. ck_auth_throttled returns 0 when user (may be
 * NULL) from peer may try now, else the seconds until it may.
 * ck_auth_failed records a failure; ck_auth_succeeded forgets user's.
 */
int ck_auth_throttled(const char *user, const char *peer, int64_t now_ms);
void ck_auth_failed(const char *user, const char *peer, int64_t now_ms);
void ck_auth_succeeded(const char *user);

#endif
