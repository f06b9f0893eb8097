/*
 * Authorization by IoT policy. The clickd account may do anything; every
 * other client is a device whose certificate's attached policies decide
 * each CONNECT (iot:Connect on client/<id>), PUBLISH (iot:Publish on
 * topic/<name>, and iot:RetainPublish as well when it is retained),
 * SUBSCRIBE (iot:Subscribe on topicfilter/<filter>, the literal filter) and
 * every delivery (iot:Receive on topic/<name>). Unsubscribing needs no
 * permission, as in AWS IoT. The decision (ck_plugin_acl_allows) is a pure
 * function of the registry record, the client id, the certificate's common
 * name and the request; the callback around it asks mosquitto who the
 * client is and chooses the return code that makes a refusal visible.
 */
#ifndef CK_PLUGIN_ACL_H
#define CK_PLUGIN_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"
#include "snapshot.h"

struct mosquitto;

/*
 * True when a client connected as client_id with certificate rec (subject
 * common name cn, NULL when none) may perform action on the resource
 * "<kind>/<name>" according to rec's attached policies. False when rec is
 * NULL or not active, when client_id or name is NULL, or when the resource
 * is longer than CK_POLICY_RESOURCE_MAX. Fills *d (may be NULL) with the
 * deciding statement. Pure; allocates nothing.
 */
bool ck_plugin_acl_allows(const struct ck_plugin_cert *rec, const char *client_id, const char *cn,
                          enum ck_policy_action action, const char *kind, const char *name,
                          struct ck_policy_decision *d);

/*
 * Writes why d decided as it did into buf for a log line: "explicit Deny
 * in policy P, statement N" / "allowed by policy P, statement N" / "no
 * attached policy allows it". Returns buf.
 */
const char *ck_plugin_acl_reason(const struct ck_plugin_cert *rec,
                                 const struct ck_policy_decision *d, char *buf, size_t len);

/*
 * True when client is clickd's own account. Authentication refuses that
 * username to certificate clients and to anyone without the password, so the
 * username alone identifies it (also after the TLS session is gone, when
 * mosquitto checks a will message).
 */
bool ck_plugin_is_account(const struct mosquitto *client);

/*
 * The code to return for a refused publish by client: MOSQ_ERR_ACL_DENIED
 * for MQTT 5 (mosquitto answers PUBACK/PUBREC with reason 0x87) and for
 * internal checks that have no protocol; MOSQ_ERR_AUTH for MQTT 3.1 and
 * 3.1.1, which makes mosquitto drop the message and close the connection
 * instead of acknowledging it, because those clients cannot be told.
 */
int ck_plugin_acl_write_denied(const struct mosquitto *client);

/* MOSQ_EVT_ACL_CHECK callback; userdata is the struct ck_plugin. Returns
 * MOSQ_ERR_SUCCESS, MOSQ_ERR_ACL_DENIED, or for publishes see
 * ck_plugin_acl_write_denied(). */
int ck_plugin_on_acl_check(int event, void *event_data, void *userdata);

#endif
