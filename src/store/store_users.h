/*
 * Users and login sessions in the store. A user has a role (admin,
 * supervisor, driver) and an encoded password hash made by the caller
 * (http/password.h); a session is stored under the SHA-256 of its token,
 * never the token itself, with its CSRF token and expiry. Conventions as
 * in store.h.
 */
#ifndef CK_STORE_USERS_H
#define CK_STORE_USERS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_USER_NAME_MAX 64
#define CK_USER_HASH_MAX 256

struct ck_user_row {
	char name[CK_USER_NAME_MAX + 1];
	char role[16];
	char hash[CK_USER_HASH_MAX + 1];
};

/* Creates a user; -EEXIST when the name is taken. */
int ck_store_user_put(struct ck_store *s, const char *name, const char *role, const char *hash,
                      int64_t now_ms);
/* Reads a user; -ENOENT. */
int ck_store_user_read(struct ck_store *s, const char *name, struct ck_user_row *out);
/* Changes role and/or hash (NULL: unchanged); -ENOENT. */
int ck_store_user_update(struct ck_store *s, const char *name, const char *role, const char *hash,
                         int64_t now_ms);
/* Deletes a user and its sessions; -ENOENT. */
int ck_store_user_delete(struct ck_store *s, const char *name);
/* One user in the API's shape (no hash); -ENOENT. */
int ck_store_user_get_json(struct ck_store *s, const char *name, cJSON **out);
/* Lists users by rowid (q->after), at most q->limit. */
int ck_store_user_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next);

/* A session, found by the SHA-256 (hex) of its token. */
struct ck_session_row {
	char user[CK_USER_NAME_MAX + 1];
	char role[16];
	char csrf[65];
	int64_t expires_ms;
};

int ck_store_session_put(struct ck_store *s, const char *id_hash, const char *user,
                         const char *csrf, int64_t now_ms, int64_t expires_ms);
/* Reads an unexpired session (and its user's current role); -ENOENT. */
int ck_store_session_read(struct ck_store *s, const char *id_hash, int64_t now_ms,
                          struct ck_session_row *out);
int ck_store_session_delete(struct ck_store *s, const char *id_hash);
/* Ends every session of user except keep_hash (may be NULL); also drops
 * expired sessions of everyone. */
int ck_store_session_end_user(struct ck_store *s, const char *user, const char *keep_hash,
                              int64_t now_ms);

#endif
