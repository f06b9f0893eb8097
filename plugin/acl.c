/*
 * Topic authorization (see acl.h). Device topics are compared as exact
 * strings built from the client id, never as patterns, so a device cannot
 * reach another thing's topics through wildcards or unusual client ids.
 */
#include "acl.h"

#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "logging.h"
#include "core/name.h"
#include "plugin.h"
#include "snapshot.h"

/* True when topic is exactly CK_PLUGIN_TOPIC_PREFIX id suffix. */
static bool topic_is(const char *topic, const char *id, const char *suffix)
{
	size_t plen = strlen(CK_PLUGIN_TOPIC_PREFIX);
	size_t idlen = strlen(id);

	if (strncmp(topic, CK_PLUGIN_TOPIC_PREFIX, plen) != 0)
		return false;
	topic += plen;
	if (strncmp(topic, id, idlen) != 0)
		return false;
	return strcmp(topic + idlen, suffix) == 0;
}

bool ck_plugin_acl_device_allows(const char *client_id, const char *topic, int access)
{
	if (!ck_name_valid(client_id) || !topic)
		return false;
	switch (access) {
	case MOSQ_ACL_WRITE:
		return topic_is(topic, client_id, "");
	case MOSQ_ACL_READ:
	case MOSQ_ACL_SUBSCRIBE:
	case MOSQ_ACL_UNSUBSCRIBE:
		return topic_is(topic, client_id, CK_PLUGIN_FEEDBACK_LEVEL);
	default:
		return false;
	}
}

bool ck_plugin_is_account(const struct mosquitto *client)
{
	const char *user = mosquitto_client_username(client);

	return user && strcmp(user, CK_PLUGIN_ACCOUNT) == 0;
}

int ck_plugin_acl_write_denied(const struct mosquitto *client)
{
	int version = mosquitto_client_protocol_version(client);

	/* 0 is a context mosquitto made up for an internal check: no
	 * connection to close. */
	if (version == 3 || version == 4)
		return MOSQ_ERR_AUTH;
	return MOSQ_ERR_ACL_DENIED;
}

static const char *access_name(int access)
{
	switch (access) {
	case MOSQ_ACL_READ:
		return "read";
	case MOSQ_ACL_WRITE:
		return "publish";
	case MOSQ_ACL_SUBSCRIBE:
		return "subscribe";
	case MOSQ_ACL_UNSUBSCRIBE:
		return "unsubscribe";
	default:
		return "access";
	}
}

int ck_plugin_on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ev = event_data;
	char idbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];
	char topicbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];

	(void)event;
	(void)userdata;
	if (ck_plugin_is_account(ev->client))
		return MOSQ_ERR_SUCCESS;
	const char *id = mosquitto_client_id(ev->client);
	if (ck_plugin_acl_device_allows(id, ev->topic, ev->access))
		return MOSQ_ERR_SUCCESS;

	int rc = MOSQ_ERR_ACL_DENIED;
	if (ev->access == MOSQ_ACL_WRITE)
		rc = ck_plugin_acl_write_denied(ev->client);
	ck_plugin_log(ev->access == MOSQ_ACL_WRITE ? MOSQ_LOG_NOTICE : MOSQ_LOG_INFO,
	              "denied %s of '%s' for client %s%s", access_name(ev->access),
	              ck_plugin_printable(ev->topic, topicbuf), ck_plugin_printable(id, idbuf),
	              rc == MOSQ_ERR_AUTH ? " (MQTT < 5: disconnecting instead of acknowledging)"
	                                  : "");
	return rc;
}
