/*
 * Topic authorization. The clickd account may do anything; a device may
 * publish only to iotbutton/<client id> and subscribe to, receive from and
 * unsubscribe from only iotbutton/<client id>/feedback. The decision itself
 * (ck_plugin_acl_device_allows) is a pure function of strings; the callback
 * around it asks mosquitto who the client is and chooses the return code
 * that makes a refusal visible to the device.
 */
#ifndef CK_PLUGIN_ACL_H
#define CK_PLUGIN_ACL_H

#include <stdbool.h>

struct mosquitto;

#define CK_PLUGIN_TOPIC_PREFIX   "iotbutton/"
#define CK_PLUGIN_FEEDBACK_LEVEL "/feedback"

/*
 * True when a device whose client id is client_id may perform access (a
 * MOSQ_ACL_* value) on topic. A NULL or empty client id, one with characters
 * outside thing names ([A-Za-z0-9:_-]) or longer than a thing name, and any
 * wildcard filter are refused. Pure.
 */
bool ck_plugin_acl_device_allows(const char *client_id, const char *topic, int access);

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
