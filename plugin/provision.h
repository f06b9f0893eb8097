/*
 * The broker's half of provisioning by claim (docs/internals/provision.md):
 * a device's request on a fleet-provisioning topic
 * ($aws/certificates/create-from-csr/json,
 * $aws/provisioning-templates/<template>/provision/json), which its
 * policies allowed, is relayed to clickd's account on $clickd/provision
 * with the identity the broker authenticated (client id, certificate's
 * thing), so clickd never trusts what a device says about itself; clickd's
 * answer, published by its account to $clickd/reply, is delivered to the
 * one client it names, on the AWS reply topic, still subject to that
 * client's iot:Receive. Devices may not touch $clickd/ topics at all
 * (acl.c).
 */
#ifndef CK_PLUGIN_PROVISION_H
#define CK_PLUGIN_PROVISION_H

#include <stdbool.h>

#define CK_PLUGIN_PROVISION_RELAY "$clickd/provision"
#define CK_PLUGIN_PROVISION_REPLY "$clickd/reply"

/* True for a topic under $clickd/, clickd's own. */
bool ck_plugin_provision_private(const char *topic);

/* MOSQ_EVT_MESSAGE callback, registered before the journal's: relays
 * requests and replies as above. Returns MOSQ_ERR_SUCCESS always (the
 * journal's callback decides whether a device message is accepted). */
int ck_plugin_provision_on_message(int event, void *event_data, void *userdata);

#endif
