/*
 * Logins, sessions and users over the API (docs/api.md, "Authentication
 * and roles" and "Users"). Credentials are checked by auth.c before
 * routing; this file issues and ends sessions and manages users.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/api_int.h"
#include "http/auth.h"
#include "http/password.h"
#include "store/store_users.h"

static bool user_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > CK_USER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr(":_.@-", c)))
			return false;
	}
	return true;
}

static const char *str(const cJSON *body, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *session_doc(const char *user, const char *role, const char *csrf, int64_t expires)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *u = cJSON_AddObjectToObject(doc, "user");
	cJSON_AddStringToObject(u, "name", user);
	cJSON_AddStringToObject(u, "role", role);
	if (csrf && csrf[0])
		cJSON_AddStringToObject(doc, "csrfToken", csrf);
	else
		cJSON_AddNullToObject(doc, "csrfToken");
	if (expires)
		cJSON_AddNumberToObject(doc, "expiresAt", (double)expires);
	else
		cJSON_AddNullToObject(doc, "expiresAt");
	return doc;
}

static void set_cookie(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *value, long max_age)
{
	if (!req->reply)
		return;
	snprintf(req->reply->set_cookie, sizeof(req->reply->set_cookie),
	         CK_AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", value,
	         max_age, env->cookie_secure ? "; Secure" : "");
}

static int login(const struct ck_api_env *env, const struct ck_api_request *req,
                 const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const char *user = str(body, "username"), *pw = str(body, "password");
	int64_t now = ck_api_now_ms();
	struct ck_user_row row;
	char token[CK_TOKEN_CHARS + 1], csrf[CK_TOKEN_CHARS + 1], hash[65];
	if (!user || !pw || !user_name_valid(user)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "login needs \"username\" and \"password\" strings");
		goto out;
	}
	int wait = ck_auth_throttled(user, req->peer, now);
	if (wait > 0) {
		if (req->reply)
			req->reply->retry_after_s = wait;
		status = ck_api_fail(out, 429, "too_many_requests",
		                     "too many failed logins; try again later");
		goto out;
	}
	int rc = ck_store_user_read(env->store, user, &row);
	bool ok = rc == 0 && ck_password_verify(row.hash, pw);
	if (rc != 0 && rc != -ENOENT) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	if (!ok) {
		if (rc == -ENOENT) /* as slow as a wrong password, so names cannot be probed */
			ck_password_verify("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
			                   "eQ0VMDkGPTDVh8YVWBZs5p3XL3xXQb3IfHn2m6UmT8Q",
			                   pw);
		ck_auth_failed(user, req->peer, now);
		ck_info("auth", "failed login for \"%s\" from %s", user,
		        req->peer ? req->peer : "?");
		status = ck_api_fail(out, 401, "unauthorized", "wrong user name or password");
		goto out;
	}
	if (ck_password_token(token, sizeof(token)) != 0 ||
	    ck_password_token(csrf, sizeof(csrf)) != 0) {
		status = ck_api_fail(out, 500, "internal", "no random numbers");
		goto out;
	}
	ck_password_sha256_hex(token, hash);
	int64_t expires = now + CK_AUTH_SESSION_MS;
	ck_store_session_end_user(env->store, "", NULL, now); /* drops expired sessions */
	rc = ck_store_session_put(env->store, hash, row.name, csrf, now, expires);
	if (rc != 0) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_auth_succeeded(user);
	set_cookie(env, req, token, (long)(CK_AUTH_SESSION_MS / 1000));
	ck_info("auth", "%s logged in (%s)", row.name, row.role);
	*out = session_doc(row.name, row.role, csrf, expires);
	status = 200;
out:
	explicit_bzero(token, sizeof(token));
	cJSON_Delete(body);
	return status;
}

static int logout(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	(void)param;
	if (req->session_hash && ck_store_session_delete(env->store, req->session_hash) != 0)
		return ck_api_fail(out, 500, "internal", "the store failed; see clickd's log");
	set_cookie(env, req, "", 0);
	*out = cJSON_CreateObject();
	cJSON_AddBoolToObject(*out, "loggedOut", 1);
	return 200;
}

static int session(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	(void)env;
	(void)param;
	*out = session_doc(req->user ? req->user : "", req->role ? req->role : "", req->csrf,
	                   req->session_expires_ms);
	return 200;
}

static int password(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const char *old = str(body, "password"), *fresh = str(body, "newPassword");
	struct ck_user_row row;
	char hash[CK_PASSWORD_HASH_MAX + 1];
	if (!req->session_hash) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "the bearer token has no password; use PUT /users/{name}");
		goto out;
	}
	if (!old || !ck_password_acceptable(fresh)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "needs \"password\" and a \"newPassword\" of 8 to 256 bytes");
		goto out;
	}
	int rc = ck_store_user_read(env->store, req->user, &row);
	if (rc != 0 || !ck_password_verify(row.hash, old)) {
		status = rc != 0 && rc != -ENOENT ? ck_api_store_fail(out, rc)
		                                  : ck_api_fail(out, 401, "unauthorized",
		                                                "the current password is wrong");
		goto out;
	}
	if (ck_password_hash(fresh, hash, sizeof(hash)) != 0 ||
	    ck_store_user_update(env->store, req->user, NULL, hash, ck_api_now_ms()) != 0 ||
	    ck_store_session_end_user(env->store, req->user, req->session_hash, ck_api_now_ms()) !=
	        0) {
		status = ck_api_fail(out, 500, "internal", "cannot change the password");
		goto out;
	}
	status = ck_store_user_get_json(env->store, req->user, out) == 0 ? 200 : 500;
out:
	cJSON_Delete(body);
	return status;
}

/* --- users (admin) ------------------------------------------------------- */

static bool role_valid(const char *r)
{
	return r && ck_auth_rank(r) > 0;
}

static int user_create(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const char *name = str(body, "name"), *role = str(body, "role"),
	           *pw = str(body, "password");
	char hash[CK_PASSWORD_HASH_MAX + 1];
	if (!user_name_valid(name)) {
		status =
		    ck_api_fail(out, 400, "invalid_name",
		                "user names are 1 to 64 letters, digits, ':', '_', '.', '@' or "
		                "'-'");
	} else if (!role_valid(role)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "\"role\" must be \"admin\", \"supervisor\" or \"driver\"");
	} else if (!ck_password_acceptable(pw)) {
		status =
		    ck_api_fail(out, 400, "bad_request", "\"password\" must have 8 to 256 bytes");
	} else if (ck_password_hash(pw, hash, sizeof(hash)) != 0) {
		status = ck_api_fail(out, 500, "internal", "cannot hash the password");
	} else {
		int rc = ck_store_user_put(env->store, name, role, hash, ck_api_now_ms());
		if (rc == 0)
			rc = ck_store_user_get_json(env->store, name, out);
		status = rc == 0 ? 201 : ck_api_store_fail(out, rc);
		if (rc == 0)
			ck_info("auth", "user %s created (%s) by %s", name, role, req->user);
	}
	cJSON_Delete(body);
	return status;
}

static int user_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_user_list, out);
}

static int user_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_user_get_json(env->store, param[0], out);
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int user_put(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const char *role = str(body, "role"), *pw = str(body, "password");
	char hash[CK_PASSWORD_HASH_MAX + 1];
	int64_t now = ck_api_now_ms();
	if ((!role && !pw) || (role && !role_valid(role)) || (pw && !ck_password_acceptable(pw))) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "give \"role\" (admin, supervisor, driver) and/or a "
		                     "\"password\" of 8 to 256 bytes");
		goto out;
	}
	if (pw && ck_password_hash(pw, hash, sizeof(hash)) != 0) {
		status = ck_api_fail(out, 500, "internal", "cannot hash the password");
		goto out;
	}
	int rc = ck_store_user_update(env->store, param[0], role, pw ? hash : NULL, now);
	if (rc == 0 && pw)
		rc = ck_store_session_end_user(env->store, param[0], NULL, now);
	if (rc == 0)
		rc = ck_store_user_get_json(env->store, param[0], out);
	status = rc == 0 ? 200 : ck_api_store_fail(out, rc);
out:
	cJSON_Delete(body);
	return status;
}

static int user_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	if (req->user && strcmp(req->user, param[0]) == 0)
		return ck_api_fail(out, 409, "conflict", "you cannot delete yourself");
	int rc = ck_store_user_delete(env->store, param[0]);
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("auth", "user %s deleted by %s", param[0], req->user);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

const struct ck_api_route ck_api_routes_auth[] = {
	{ "POST", "/auth/login", login },       { "POST", "/auth/logout", logout },
	{ "GET", "/auth/session", session },    { "POST", "/auth/password", password },
	{ "POST", "/users", user_create },      { "GET", "/users", user_list },
	{ "GET", "/users/{}", user_get },       { "PUT", "/users/{}", user_put },
	{ "DELETE", "/users/{}", user_delete }, { NULL, NULL, NULL },
};
