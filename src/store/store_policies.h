/*
 * IoT policies in the store: named policies with up to five versions (one
 * of them the default, the one in force), attached to certificates; and
 * what the registry snapshot needs besides certificates (things' types and
 * attributes, default documents, attachments). Documents are stored as the
 * caller gave them; validating them (ck_policy_parse) is the caller's job,
 * so the store never holds a document the engine refuses. Same error
 * conventions as store.h; -EBUSY for a policy still attached, -ENOSPC for a
 * sixth version, -EPERM for deleting the default version.
 */
#ifndef CK_STORE_POLICIES_H
#define CK_STORE_POLICIES_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* The policy every certificate gets when it is created (migration 3). */
#define CK_STORE_BUTTON_POLICY_NAME "clickd-button"

/* Its document: connect as its own thing, publish to iotbutton/<thing>,
 * subscribe to and receive from iotbutton/<thing>/feedback. */
#define CK_STORE_BUTTON_POLICY                                                                     \
	"{\"Version\":\"2012-10-17\",\"Statement\":["                                              \
	"{\"Sid\":\"ConnectAsItsThing\",\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","          \
	"\"Resource\":\"arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}\"},"              \
	"{\"Sid\":\"PublishItsPresses\",\"Effect\":\"Allow\",\"Action\":\"iot:Publish\","          \
	"\"Resource\":\"arn:aws:iot:*:*:topic/iotbutton/${iot:Connection.Thing.ThingName}\"},"     \
	"{\"Sid\":\"SubscribeToItsFeedback\",\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\","   \
	"\"Resource\":\"arn:aws:iot:*:*:topicfilter/iotbutton/${iot:Connection.Thing.ThingName}/"  \
	"feedback\"},"                                                                             \
	"{\"Sid\":\"ReceiveItsFeedback\",\"Effect\":\"Allow\",\"Action\":\"iot:Receive\","         \
	"\"Resource\":\"arn:aws:iot:*:*:topic/iotbutton/${iot:Connection.Thing.ThingName}/"        \
	"feedback\"}]}"

/* Creates policy name with document as version 1, the default. -EEXIST. */
int ck_store_policy_create(struct ck_store *s, const char *name, const char *document,
                           int64_t now_ms);

/*
 * Adds a version to policy name; it becomes the default when set_default.
 * Version numbers grow and are never reused. Sets *version. -ENOENT,
 * -ENOSPC when the policy has CK_POLICY_VERSIONS_MAX versions already.
 */
int ck_store_policy_version_create(struct ck_store *s, const char *name, const char *document,
                                   bool set_default, int64_t now_ms, int *version);

/* Makes an existing version the default. -ENOENT (policy or version). */
int ck_store_policy_version_set_default(struct ck_store *s, const char *name, int version);

/* Deletes a version that is not the default. -ENOENT, -EPERM. */
int ck_store_policy_version_delete(struct ck_store *s, const char *name, int version);

/* Deletes a policy and its versions. -ENOENT; -EBUSY while attached. */
int ck_store_policy_delete(struct ck_store *s, const char *name);

/* Attaches policy name to the certificate (lowercase hex fingerprint).
 * -ENOENT when either is missing; attaching twice is not an error. */
int ck_store_policy_attach(struct ck_store *s, const char *name, const char *fingerprint,
                           int64_t now_ms);

/* Detaches; -ENOENT when it was not attached. */
int ck_store_policy_detach(struct ck_store *s, const char *name, const char *fingerprint);

/*
 * The policy as API JSON in *out (new object, caller deletes): name,
 * defaultVersion, document (the default version's, parsed), versions
 * [{version, isDefault, createdAt}], certificates [fingerprint...],
 * createdAt. -ENOENT.
 */
int ck_store_policy_get_json(struct ck_store *s, const char *name, cJSON **out);

/* Version version of policy name as API JSON {policy, version, isDefault,
 * document, createdAt}. -ENOENT. */
int ck_store_policy_version_get_json(struct ck_store *s, const char *name, int version,
                                     cJSON **out);

/* Paged list of policies: {name, defaultVersion, versions, attachments,
 * createdAt}. ?thing filters nothing here; q->after is the rowid cursor. */
int ck_store_policy_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                         int64_t *next);

/* Names of the policies attached to a certificate, as a new array in *out.
 * -ENOENT when there is no such certificate. */
int ck_store_cert_policies_json(struct ck_store *s, const char *fingerprint, cJSON **out);

/* For the registry snapshot. fn returning non-zero stops and is returned. */
int ck_store_policy_default_each(struct ck_store *s,
                                 int (*fn)(const char *name, const char *document, void *ctx),
                                 void *ctx);
int ck_store_policy_attachment_each(struct ck_store *s,
                                    int (*fn)(const char *fingerprint, const char *policy,
                                              void *ctx),
                                    void *ctx);
/* Every thing with its type ("" when none) and attributes (JSON object
 * text), in name order. */
int ck_store_thing_registry_each(struct ck_store *s,
                                 int (*fn)(const char *name, const char *type,
                                           const char *attributes, void *ctx),
                                 void *ctx);

#endif
