/*
 * Journal upkeep on mosquitto's tick: reopening a journal that could not be
 * opened or went bad (locked, corrupt, a failed write), learning how far
 * clickd has acknowledged the journal (DATA/journal.ack, written by clickd
 * after it commits its cursor), pruning acknowledged segments, and writing
 * the counters to DATA/plugin.stats for clickd's /metrics. Every step is
 * bounded so that the broker thread is never held for long: a prune
 * removes at most CK_JOURNAL_PRUNE_MAX segments and never waits.
 */
#ifndef CK_PLUGIN_JOURNAL_UPKEEP_H
#define CK_PLUGIN_JOURNAL_UPKEEP_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define CK_JOURNAL_UPKEEP_MS  250   /* prune and re-read the ack this often at most */
#define CK_JOURNAL_STATS_MS   1000  /* write plugin.stats at most this often */
#define CK_JOURNAL_STATS_IDLE 10000 /* and at least this often */
#define CK_JOURNAL_REOPEN_MS  1000  /* retry a journal that is closed, locked or corrupt */

/*
 * Parses the acknowledgement file's text ("clickd-journal-ack 1\nacked
 * <seq>\n"). Returns 0 with *seq set, or -EINVAL. Pure.
 */
int ck_plugin_journal_parse_ack(const char *text, size_t len, int64_t *seq);

/*
 * Re-reads DATA/journal.ack when its identity (device, inode, size,
 * modification time) changed, and sets j->st.acked_seq. A missing file
 * leaves the last value; a malformed one is ignored with one warning.
 */
void ck_plugin_journal_read_ack(struct ck_plugin_journal *j);

/*
 * MOSQ_EVT_TICK callback; userdata is the struct ck_plugin. Does the upkeep
 * described above when it is due. Returns MOSQ_ERR_SUCCESS.
 */
int ck_plugin_journal_on_tick(int event, void *event_data, void *userdata);

#endif
