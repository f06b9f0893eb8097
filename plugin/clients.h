/*
 * The connected certificate clients: a map from mosquitto's client handle
 * to the client id and certificate fingerprint that were accepted at
 * connect time. It exists so that a certificate deactivated in the registry
 * can be found and its client kicked. Pure data structure: open addressing
 * keyed by the handle's address, no I/O, no broker calls. Bounded by
 * CK_PLUGIN_CLIENTS_MAX entries.
 */
#ifndef CK_PLUGIN_CLIENTS_H
#define CK_PLUGIN_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>

#define CK_PLUGIN_CLIENTS_MAX   (1L << 18)
#define CK_PLUGIN_CLIENT_ID_MAX 128 /* AWS IoT's limit on client ids */
#define CK_PLUGIN_CN_MAX        64  /* RFC 5280 ub-common-name; longer: no value */

struct ck_plugin_client {
	const void *key; /* the struct mosquitto *; NULL marks a free slot */
	char client_id[CK_PLUGIN_CLIENT_ID_MAX + 1];
	unsigned char fp[32];
	char cn[CK_PLUGIN_CN_MAX + 1]; /* certificate subject CN; "" when none */
	bool kicked;                   /* a kick was requested; the entry goes on disconnect */
};

struct ck_plugin_clients {
	struct ck_plugin_client *slots;
	size_t nslots; /* 0 or a power of two */
	size_t count;
};

/*
 * Records that key connected as client_id with certificate fp whose subject
 * common name is cn (NULL, or longer than CK_PLUGIN_CN_MAX: recorded as
 * none), replacing any entry key already had. Returns 0; -ENAMETOOLONG when
 * client_id exceeds CK_PLUGIN_CLIENT_ID_MAX; -ENOSPC at
 * CK_PLUGIN_CLIENTS_MAX entries; -ENOMEM. On error the map is unchanged.
 */
int ck_plugin_clients_put(struct ck_plugin_clients *m, const void *key, const char *client_id,
                          const unsigned char fp[32], const char *cn);

/* Returns the entry of key, or NULL. Valid until the map next changes. */
struct ck_plugin_client *ck_plugin_clients_get(struct ck_plugin_clients *m, const void *key);

/* Forgets key; does nothing when it is absent. Never fails. */
void ck_plugin_clients_remove(struct ck_plugin_clients *m, const void *key);

/* Releases the table; m is left empty and reusable. */
void ck_plugin_clients_cleanup(struct ck_plugin_clients *m);

#endif
