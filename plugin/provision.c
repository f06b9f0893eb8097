/*
 * Relaying fleet-provisioning requests and replies (see provision.h). The
 * relayed request is "clickd-provision 1\n<client id>\n<thing>\n<topic>\n\n"
 * followed by the device's payload; a reply is "<client id>\n<topic>\n"
 * followed by the payload to deliver. Nothing here blocks: a relay is one
 * copy and mosquitto_broker_publish.
 */
#include "provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "acl.h"
#include "clients.h"
#include "logging.h"
#include "plugin.h"
#include "snapshot.h"

#define CSR_TOPIC      "$aws/certificates/create-from-csr/json"
#define TEMPLATE_TOPIC "$aws/provisioning-templates/"
#define PROVISION_TAIL "/provision/json"

bool ck_plugin_provision_private(const char *topic)
{
	return topic && strncmp(topic, "$clickd/", 8) == 0;
}

static bool request_topic(const char *t)
{
	if (strcmp(t, CSR_TOPIC) == 0)
		return true;
	if (strncmp(t, TEMPLATE_TOPIC, strlen(TEMPLATE_TOPIC)) != 0)
		return false;
	const char *name = t + strlen(TEMPLATE_TOPIC);
	const char *slash = strchr(name, '/');
	return slash && slash > name && strcmp(slash, PROVISION_TAIL) == 0;
}

static bool has_newline(const char *s)
{
	return strchr(s, '\n') != NULL;
}

/* A device's request: relay it with the identity the broker knows. */
static void relay_request(struct ck_plugin *p, const struct mosquitto_evt_message *ev)
{
	const struct ck_plugin_client *c = ck_plugin_clients_get(&p->clients, ev->client);
	const struct ck_plugin_cert *rec =
	    c ? ck_plugin_registry_find(&p->snapshot.reg, c->fp) : NULL;
	if (!c || c->kicked || !rec || has_newline(c->client_id) || has_newline(rec->thing))
		return;
	char head[CK_PLUGIN_CLIENT_ID_MAX + 512];
	int n = snprintf(head, sizeof(head), "clickd-provision 1\n%s\n%s\n%s\n\n", c->client_id,
	                 rec->thing, ev->topic);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	size_t len = (size_t)n + ev->payloadlen;
	char *buf = malloc(len);
	if (!buf)
		return;
	memcpy(buf, head, (size_t)n);
	if (ev->payloadlen)
		memcpy(buf + n, ev->payload, ev->payloadlen);
	if (mosquitto_broker_publish(NULL, CK_PLUGIN_PROVISION_RELAY, (int)len, buf, 1, false,
	                             NULL) != MOSQ_ERR_SUCCESS) {
		free(buf);
		ck_plugin_log(MOSQ_LOG_WARNING, "cannot relay a provisioning request");
	}
}

/* clickd's reply: deliver it to the one client it names. */
static void relay_reply(const struct mosquitto_evt_message *ev)
{
	const char *p = ev->payload, *end = p + ev->payloadlen;
	const char *nl1 = p ? memchr(p, '\n', ev->payloadlen) : NULL;
	const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
	if (!nl2 || nl1 == p || nl2 == nl1 + 1 || nl1 - p > CK_PLUGIN_CLIENT_ID_MAX ||
	    nl2 - nl1 > 512)
		return;
	char client[CK_PLUGIN_CLIENT_ID_MAX + 1], topic[512];
	memcpy(client, p, (size_t)(nl1 - p));
	client[nl1 - p] = '\0';
	memcpy(topic, nl1 + 1, (size_t)(nl2 - nl1 - 1));
	topic[nl2 - nl1 - 1] = '\0';
	/* Only the AWS reply topics: the account relays nothing else. */
	if (strncmp(topic, "$aws/certificates/", 18) != 0 &&
	    strncmp(topic, TEMPLATE_TOPIC, strlen(TEMPLATE_TOPIC)) != 0)
		return;
	size_t len = (size_t)(end - nl2 - 1);
	char *body = malloc(len ? len : 1);
	if (!body)
		return;
	memcpy(body, nl2 + 1, len);
	if (mosquitto_broker_publish(client, topic, (int)len, body, 1, false, NULL) !=
	    MOSQ_ERR_SUCCESS)
		free(body);
}

int ck_plugin_provision_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ev = event_data;
	(void)event;
	if (!ev->topic)
		return MOSQ_ERR_SUCCESS;
	if (ck_plugin_is_account(ev->client)) {
		if (strcmp(ev->topic, CK_PLUGIN_PROVISION_REPLY) == 0)
			relay_reply(ev);
		return MOSQ_ERR_SUCCESS;
	}
	if (request_topic(ev->topic))
		relay_request(userdata, ev);
	return MOSQ_ERR_SUCCESS;
}
