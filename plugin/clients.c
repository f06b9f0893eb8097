/*
 * Connected certificate clients (see clients.h). Linear probing over a
 * power-of-two table kept at most half full; removal shifts the following
 * entries back, so there are no tombstones and lookups stay short however
 * many clients come and go.
 */
#include "clients.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const void *key, size_t nslots)
{
	/* Fibonacci hashing: allocator addresses share their low bits. */
	uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (nslots - 1);
}

static size_t find_slot(const struct ck_plugin_clients *m, const void *key)
{
	size_t i = slot_of(key, m->nslots);

	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

static int grow(struct ck_plugin_clients *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 64;
	struct ck_plugin_clients bigger = { .nslots = nslots, .count = m->count };

	if (nslots > (size_t)CK_PLUGIN_CLIENTS_MAX * 2)
		return -ENOSPC;
	bigger.slots = calloc(nslots, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->nslots; i++) {
		if (m->slots[i].key)
			bigger.slots[find_slot(&bigger, m->slots[i].key)] = m->slots[i];
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

int ck_plugin_clients_put(struct ck_plugin_clients *m, const void *key, const char *client_id,
                          const unsigned char fp[32], const char *cn)
{
	size_t idlen = strlen(client_id);

	if (idlen > CK_PLUGIN_CLIENT_ID_MAX)
		return -ENAMETOOLONG;
	if (!ck_plugin_clients_get(m, key)) {
		if (m->count >= (size_t)CK_PLUGIN_CLIENTS_MAX)
			return -ENOSPC;
		if ((m->count + 1) * 2 > m->nslots) {
			int rc = grow(m);
			if (rc)
				return rc;
		}
		m->count++;
	}
	struct ck_plugin_client *c = &m->slots[find_slot(m, key)];
	c->key = key;
	memcpy(c->client_id, client_id, idlen + 1);
	memcpy(c->fp, fp, 32);
	c->cn[0] = '\0';
	if (cn && strlen(cn) <= CK_PLUGIN_CN_MAX)
		memcpy(c->cn, cn, strlen(cn) + 1);
	c->kicked = false;
	return 0;
}

struct ck_plugin_client *ck_plugin_clients_get(struct ck_plugin_clients *m, const void *key)
{
	if (!m->nslots || !key)
		return NULL;
	struct ck_plugin_client *c = &m->slots[find_slot(m, key)];
	return c->key ? c : NULL;
}

void ck_plugin_clients_remove(struct ck_plugin_clients *m, const void *key)
{
	if (!m->nslots || !key)
		return;
	size_t mask = m->nslots - 1;
	size_t hole = find_slot(m, key);
	if (!m->slots[hole].key)
		return;
	m->slots[hole].key = NULL;
	m->count--;
	/* Backward shift: move up every later entry of the cluster whose home
	 * slot does not lie cyclically in (hole, j]. */
	for (size_t j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = slot_of(m->slots[j].key, m->nslots);
		bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
		if (stays)
			continue;
		m->slots[hole] = m->slots[j];
		m->slots[j].key = NULL;
		hole = j;
	}
}

void ck_plugin_clients_cleanup(struct ck_plugin_clients *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
