/*
 * Authorization by IoT policy (see acl.h). The resource string is built in
 * a stack buffer of the engine's maximum length, so a check allocates
 * nothing; the registry record and the client entry are found by hash. A
 * client the plugin does not track (it disconnected, or a kick is under
 * way) is refused everything.
 */
#include "acl.h"

#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "logging.h"
#include "plugin.h"
#include "provision.h"
#include "snapshot.h"

bool ck_plugin_acl_allows(const struct ck_plugin_cert *rec, const char *client_id, const char *cn,
                          enum ck_policy_action action, const char *kind, const char *name,
                          struct ck_policy_decision *d)
{
	char resource[CK_POLICY_RESOURCE_MAX + 1];
	struct ck_policy_context ctx;

	if (d)
		*d = (struct ck_policy_decision){ .effect = CK_POLICY_DENY, .statement = -1 };
	if (!rec || rec->status != CK_PLUGIN_CERT_ACTIVE || !client_id || !name)
		return false;
	int n = snprintf(resource, sizeof(resource), "%s/%s", kind, name);
	if (n < 0 || (size_t)n >= sizeof(resource))
		return false;
	ck_plugin_policy_context(rec, client_id, cn, &ctx);
	struct ck_policy_request req = { .action = action, .resource = resource, .ctx = &ctx };
	return ck_policy_eval(rec->policies, rec->n_policies, &req, d) == CK_POLICY_ALLOW;
}

const char *ck_plugin_acl_reason(const struct ck_plugin_cert *rec,
                                 const struct ck_policy_decision *d, char *buf, size_t len)
{
	if (!rec)
		snprintf(buf, len, "certificate not registered");
	else if (rec->status != CK_PLUGIN_CERT_ACTIVE)
		snprintf(buf, len, "certificate %s", ck_plugin_cert_status_name(rec->status));
	else if (!d || d->statement < 0 || d->policy >= rec->n_policies)
		snprintf(buf, len, "no attached policy allows it (%zu attached)", rec->n_policies);
	else
		snprintf(buf, len, "%s policy %s, statement %d",
		         d->effect == CK_POLICY_ALLOW ? "allowed by" : "explicit Deny in",
		         rec->policy_names[d->policy], d->statement);
	return buf;
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
		return "delivery";
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

/* Decides an ACL event for a tracked device; fills *d and *rec_out. */
static bool device_allows(struct ck_plugin *p, const struct ck_plugin_client *c,
                          const struct mosquitto_evt_acl_check *ev, struct ck_policy_decision *d,
                          const struct ck_plugin_cert **rec_out)
{
	const struct ck_plugin_cert *rec = ck_plugin_registry_find(&p->snapshot.reg, c->fp);

	*rec_out = rec;
	switch (ev->access) {
	case MOSQ_ACL_WRITE:
		if (!ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_PUBLISH, "topic",
		                          ev->topic, d))
			return false;
		return !ev->retain ||
		       ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_RETAIN_PUBLISH,
		                            "topic", ev->topic, d);
	case MOSQ_ACL_READ:
		return ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_RECEIVE, "topic",
		                            ev->topic, d);
	case MOSQ_ACL_SUBSCRIBE:
		return ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_SUBSCRIBE,
		                            "topicfilter", ev->topic, d);
	case MOSQ_ACL_UNSUBSCRIBE:
		return rec && rec->status == CK_PLUGIN_CERT_ACTIVE;
	default:
		return false;
	}
}

int ck_plugin_on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ev = event_data;
	struct ck_plugin *p = userdata;
	char idbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];
	char topicbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];
	char why[CK_POLICY_NAME_MAX + 64];
	struct ck_policy_decision d = { .effect = CK_POLICY_DENY, .statement = -1 };
	const struct ck_plugin_cert *rec = NULL;
	(void)event;
	/* Basic Ingest topics ($aws/rules/<rule>/...) feed a rule and reach no
	 * subscriber, not even clickd's own account, as in AWS IoT. */
	if ((ev->access == MOSQ_ACL_READ || ev->access == MOSQ_ACL_SUBSCRIBE) && ev->topic &&
	    strncmp(ev->topic, "$aws/rules/", 11) == 0)
		return MOSQ_ERR_ACL_DENIED;
	if (ck_plugin_is_account(ev->client))
		return MOSQ_ERR_SUCCESS;
	/* $clickd/ carries what the broker vouches for (provision.h): no
	 * device may publish, subscribe or receive there, whatever its policies. */
	if (ck_plugin_provision_private(ev->topic))
		return ev->access == MOSQ_ACL_WRITE ? ck_plugin_acl_write_denied(ev->client)
		                                    : MOSQ_ERR_ACL_DENIED;
	const char *id = mosquitto_client_id(ev->client);
	const struct ck_plugin_client *c = ck_plugin_clients_get(&p->clients, ev->client);
	bool ok = c && !c->kicked && device_allows(p, c, ev, &d, &rec);
	if (ok)
		return MOSQ_ERR_SUCCESS;

	int rc = MOSQ_ERR_ACL_DENIED;
	if (ev->access == MOSQ_ACL_WRITE)
		rc = ck_plugin_acl_write_denied(ev->client);
	if (!c)
		snprintf(why, sizeof(why), "client not tracked (disconnected or unknown)");
	else if (c->kicked)
		snprintf(why, sizeof(why), "client is being disconnected");
	else
		ck_plugin_acl_reason(rec, &d, why, sizeof(why));
	/* Deliveries can be many; they are logged at debug level only. */
	int level = ev->access == MOSQ_ACL_WRITE  ? MOSQ_LOG_NOTICE
	            : ev->access == MOSQ_ACL_READ ? MOSQ_LOG_DEBUG
	                                          : MOSQ_LOG_INFO;
	ck_plugin_log(level, "denied %s%s of '%s' for client %s: %s%s", access_name(ev->access),
	              ev->access == MOSQ_ACL_WRITE && ev->retain ? " (retained)" : "",
	              ck_plugin_printable(ev->topic, topicbuf), ck_plugin_printable(id, idbuf), why,
	              rc == MOSQ_ERR_AUTH ? " (MQTT < 5: disconnecting instead of acknowledging)"
	                                  : "");
	return rc;
}
