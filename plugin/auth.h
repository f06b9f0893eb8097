/*
 * Authentication and its upkeep. A client with a certificate is accepted
 * when the certificate's SHA-256 is active in the registry snapshot and its
 * attached policies allow iot:Connect on client/<client id> (acl.h); a
 * client without one only as the clickd account with the password from
 * DATA/broker.secret. Accepted certificate clients are remembered
 * (clients.h) so that the tick can kick them when the snapshot no longer
 * lists their certificate as active or their policies no longer allow
 * them to connect.
 */
#ifndef CK_PLUGIN_AUTH_H
#define CK_PLUGIN_AUTH_H

struct ck_plugin;

/*
 * Reads the local account's password from path (its whole content, with
 * trailing CR/LF removed, at most CK_PLUGIN_SECRET_MAX bytes) and keeps only
 * its SHA-256 in p. Returns 0; -errno when the file cannot be read;
 * -EINVAL when it is empty; -E2BIG when too long. p is unchanged on error.
 */
int ck_plugin_auth_load_secret(struct ck_plugin *p, const char *path);

/* MOSQ_EVT_BASIC_AUTH callback; userdata is the struct ck_plugin. Returns
 * MOSQ_ERR_SUCCESS, MOSQ_ERR_AUTH (mosquitto answers CONNACK "not
 * authorized"), or MOSQ_ERR_NOMEM when the client cannot be tracked
 * (mosquitto closes the connection without a CONNACK). */
int ck_plugin_on_basic_auth(int event, void *event_data, void *userdata);

/* MOSQ_EVT_DISCONNECT callback: forgets the client. Returns MOSQ_ERR_SUCCESS. */
int ck_plugin_on_disconnect(int event, void *event_data, void *userdata);

/* MOSQ_EVT_TICK callback: at most every CK_PLUGIN_TICK_CHECK_MS, reloads a
 * changed snapshot, then kicks every connected certificate client whose
 * certificate is no longer active for its thing. Returns MOSQ_ERR_SUCCESS. */
int ck_plugin_on_tick(int event, void *event_data, void *userdata);

/* MOSQ_EVT_RELOAD callback (SIGHUP): re-reads broker.secret (keeping the old
 * one if that fails) and the snapshot. Returns MOSQ_ERR_PLUGIN_DEFER so that
 * other plugins are reloaded too. */
int ck_plugin_on_reload(int event, void *event_data, void *userdata);

#endif
