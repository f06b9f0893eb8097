/*
 * Entry points of clickd_plugin.so, the mosquitto (v5 plugin API) side of
 * clickd: version negotiation, initialisation from plugin_opt_data_dir, and
 * cleanup. Only these three symbols are exported. The work is done by the
 * callbacks registered here: auth.c (connect, disconnect, tick, reload),
 * acl.c (topic access), journal.c (messages) and journal_upkeep.c
 * (pruning, clickd's acknowledgements and statistics, on the tick). Options:
 * plugin_opt_data_dir (required), plugin_opt_sync, plugin_opt_max_bytes and
 * plugin_opt_retention_s (journal.h). The plugin requires
 * per_listener_settings false, since mosquitto 2.0.11 sends the tick event
 * only to globally registered plugins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "acl.h"
#include "auth.h"
#include "journal.h"
#include "journal_upkeep.h"
#include "logging.h"
#include "plugin.h"
#include "provision.h"
#include "snapshot.h"

#define CK_EXPORT __attribute__((visibility("default")))

static const struct {
	int event;
	MOSQ_FUNC_generic_callback cb;
} callbacks[] = {
	{ MOSQ_EVT_BASIC_AUTH, ck_plugin_on_basic_auth },
	{ MOSQ_EVT_ACL_CHECK, ck_plugin_on_acl_check },
	{ MOSQ_EVT_MESSAGE, ck_plugin_provision_on_message },
	{ MOSQ_EVT_MESSAGE, ck_plugin_on_message },
	{ MOSQ_EVT_DISCONNECT, ck_plugin_on_disconnect },
	{ MOSQ_EVT_TICK, ck_plugin_on_tick },
	{ MOSQ_EVT_TICK, ck_plugin_journal_on_tick },
	{ MOSQ_EVT_RELOAD, ck_plugin_on_reload },
};

#define NCALLBACKS (sizeof(callbacks) / sizeof(callbacks[0]))

/*
 * Tells mosquitto which plugin API this library speaks. Returns 5 when the
 * broker supports version 5, else -1 (mosquitto then refuses to load it).
 */
CK_EXPORT int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++) {
		if (supported_versions[i] == MOSQ_PLUGIN_VERSION)
			return MOSQ_PLUGIN_VERSION;
	}
	return -1;
}

/* Builds dir/name into a new string; NULL when out of memory. */
static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	return out;
}

static void state_free(struct ck_plugin *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < NCALLBACKS; i++)
		mosquitto_callback_unregister(p->identifier, callbacks[i].event, callbacks[i].cb,
		                              NULL);
	ck_plugin_journal_close(&p->journal);
	ck_plugin_snapshot_cleanup(&p->snapshot);
	ck_plugin_clients_cleanup(&p->clients);
	memset(p->secret_digest, 0, sizeof(p->secret_digest));
	free(p->secret_path);
	free(p);
}

/*
 * Reads the options: plugin_opt_data_dir (required) and the journal's
 * (sync, max_bytes, retention_s). Returns the data directory, or NULL after
 * logging why (missing directory, invalid journal option).
 */
static const char *read_options(const struct mosquitto_opt *options, int option_count,
                                struct ck_plugin_journal_config *jcfg)
{
	const char *dir = NULL;
	char why[160];

	ck_plugin_journal_config_init(jcfg);
	for (int i = 0; i < option_count; i++) {
		const char *key = options[i].key ? options[i].key : "";
		if (strcmp(key, "data_dir") == 0) {
			dir = options[i].value;
			continue;
		}
		int rc =
		    ck_plugin_journal_config_set(jcfg, key, options[i].value, why, sizeof(why));
		if (rc < 0) {
			ck_plugin_log(MOSQ_LOG_ERR, "%s", why);
			return NULL;
		}
		if (rc == 0)
			ck_plugin_log(MOSQ_LOG_WARNING, "unknown option plugin_opt_%s ignored",
			              key);
	}
	if (!dir || !dir[0]) {
		ck_plugin_log(MOSQ_LOG_ERR, "plugin_opt_data_dir is required");
		return NULL;
	}
	return dir;
}

/* Opens everything under dir; logs and returns a MOSQ_ERR_* on failure. A
 * journal that cannot be opened is not a failure: the plugin starts,
 * refuses device messages and retries (journal.h). */
static int state_open(struct ck_plugin *p, const char *dir,
                      const struct ck_plugin_journal_config *jcfg)
{
	char *snapshot_path = path_join(dir, "registry.snapshot");
	int ret = MOSQ_ERR_NOMEM;

	p->secret_path = path_join(dir, "broker.secret");
	if (!snapshot_path || !p->secret_path)
		goto out;
	int rc = ck_plugin_auth_load_secret(p, p->secret_path);
	if (rc) {
		ck_plugin_log(MOSQ_LOG_ERR, "cannot use %s: %s", p->secret_path,
		              rc == -EINVAL ? "empty" : strerror(-rc));
		ret = MOSQ_ERR_INVAL;
		goto out;
	}
	if (ck_plugin_journal_init(&p->journal, dir, jcfg) == -ENOMEM)
		goto out;
	if (ck_plugin_snapshot_init(&p->snapshot, snapshot_path) != 0)
		goto out;
	/* A missing snapshot is not fatal: every device is refused until
	 * clickd writes one, and the failure is logged by the refresh. */
	ck_plugin_snapshot_refresh(&p->snapshot);
	ret = MOSQ_ERR_SUCCESS;
out:
	free(snapshot_path);
	return ret;
}

/*
 * Creates the plugin state from the options (plugin_opt_data_dir is
 * required; the journal's options are checked), opens the journal (a
 * journal that cannot be opened leaves the plugin running but refusing
 * device messages), reads broker.secret and the snapshot, and
 * registers the callbacks. Returns MOSQ_ERR_SUCCESS with *userdata set, or
 * an error after logging why (mosquitto then exits); nothing is left
 * allocated or registered on error.
 */
CK_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                                    struct mosquitto_opt *options, int option_count)
{
	struct ck_plugin_journal_config jcfg;
	const char *dir = read_options(options, option_count, &jcfg);

	if (!dir)
		return MOSQ_ERR_INVAL;
	struct ck_plugin *p = calloc(1, sizeof(*p));
	if (!p) {
		ck_plugin_log(MOSQ_LOG_ERR, "out of memory");
		return MOSQ_ERR_NOMEM;
	}
	p->identifier = identifier;
	int rc = state_open(p, dir, &jcfg);
	if (rc != MOSQ_ERR_SUCCESS) {
		state_free(p);
		return rc;
	}
	for (size_t i = 0; i < NCALLBACKS; i++) {
		rc = mosquitto_callback_register(identifier, callbacks[i].event, callbacks[i].cb,
		                                 NULL, p);
		if (rc != MOSQ_ERR_SUCCESS) {
			ck_plugin_log(MOSQ_LOG_ERR, "cannot register callback for event %d: %s",
			              callbacks[i].event, mosquitto_strerror(rc));
			state_free(p);
			return rc;
		}
	}
	*userdata = p;
	ck_plugin_log(MOSQ_LOG_INFO,
	              "ready: data directory %s, %zu certificates registered; journal sync %s, "
	              "max_bytes %lld, retention %lld s",
	              dir, p->snapshot.reg.count, jcfg.sync_full ? "full" : "normal",
	              (long long)jcfg.max_bytes, (long long)jcfg.retention_s);
	return MOSQ_ERR_SUCCESS;
}

/*
 * Unregisters the callbacks, closes the journal and frees the state made by
 * mosquitto_plugin_init(). Returns MOSQ_ERR_SUCCESS.
 */
CK_EXPORT int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options,
                                       int option_count)
{
	(void)options;
	(void)option_count;
	state_free(userdata);
	return MOSQ_ERR_SUCCESS;
}
