/*
 * Private state of the clickd broker plugin, shared by its modules (auth,
 * acl, journal, snapshot, clients). One instance exists per plugin load; it
 * is created by mosquitto_plugin_init() and handed to every callback as
 * userdata. Every callback runs on mosquitto's single thread, so nothing here
 * is locked. This header declares no functions: each module has its own.
 */
#ifndef CK_PLUGIN_H
#define CK_PLUGIN_H

#include <stdbool.h>
#include <stdint.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "journal.h"
#include "snapshot.h"

/* Username of clickd's own broker account (connections without a client
 * certificate). Certificate clients may not present it. */
#define CK_PLUGIN_ACCOUNT "clickd"

/* Largest broker.secret accepted, in bytes. */
#define CK_PLUGIN_SECRET_MAX 4096

/* How often the tick re-checks the snapshot file, in milliseconds. The tick
 * itself runs after every pass of mosquitto's event loop. */
#define CK_PLUGIN_TICK_CHECK_MS 250

struct ck_plugin {
	mosquitto_plugin_id_t *identifier;
	char *secret_path;
	unsigned char secret_digest[32]; /* SHA-256 of the local password */
	struct ck_plugin_snapshot snapshot;
	struct ck_plugin_clients clients; /* connected certificate clients */
	uint64_t swept_generation;        /* snapshot generation last swept */
	int64_t next_check_ms;            /* monotonic time of the next tick check */
	struct ck_plugin_journal journal;
};

#endif
