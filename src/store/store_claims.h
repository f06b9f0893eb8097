/*
 * Fleet provisioning by claim in the store (docs/internals/provision.md):
 * provisioning templates (a JSON document each), certificate ownership
 * tokens (one per certificate issued to a claim device, valid one hour,
 * used once) and the claim log, one row for every use of a claim
 * certificate, accepted or rejected. Returns 0 or a negative errno:
 * -ENOENT, -EEXIST, -ENOMEM, -EIO (logged).
 */
#ifndef CK_STORE_CLAIMS_H
#define CK_STORE_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* Creates (or, with replace, replaces; -ENOENT when absent) template name. */
int ck_store_provtpl_put(struct ck_store *s, const char *name, const char *document, int64_t now_ms,
                         bool replace);

/* The template's document as a new string in *document (caller frees). */
int ck_store_provtpl_get(struct ck_store *s, const char *name, char **document);

int ck_store_provtpl_delete(struct ck_store *s, const char *name);

/* Appends {"templateName","document","createdAt"} per template, by name. */
int ck_store_provtpl_list(struct ck_store *s, cJSON *items);

/* Records an ownership token for the certificate fingerprint. */
int ck_store_token_put(struct ck_store *s, const char *token, const char *fingerprint,
                       int64_t expires_ms);

/* Takes a token: deletes it and copies its certificate's fingerprint into
 * fp (65 bytes). -ENOENT when unknown or expired at now_ms (an expired
 * one is deleted as well). */
int ck_store_token_take(struct ck_store *s, const char *token, int64_t now_ms, char fp[65]);

/* One use of a claim certificate; strings borrowed, NULL when unknown. */
struct ck_claim_use {
	int64_t at_ms;
	const char *claim_thing, *client_id, *operation, *template_name, *serial, *thing,
	    *fingerprint, *outcome, *reason;
};

int ck_store_claim_log_put(struct ck_store *s, const struct ck_claim_use *u);

/* Lists the claim log, newest first, paged (q->thing filters on the claim). */
int ck_store_claim_log_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                            int64_t *next);

#endif
