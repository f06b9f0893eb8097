/*
 * Ingest: turns journal rows into events and effects, exactly once. A batch
 * reads the journal after the stored cursor, records each message as an
 * accepted, rejected or duplicate event (device retries are collapsed by
 * seq, eventId or, failing those, by payload within a window), runs the
 * matching rules' actions (external ones through the outbox), and commits
 * the new cursor in the same transaction as everything it wrote. A crash at
 * any point leaves either the whole batch or none of it, so a restart
 * resumes exactly where the last commit left off.
 */
#ifndef CK_INGEST_H
#define CK_INGEST_H

#include <stdint.h>

#include "engine/rules.h"
#include "journal/reader.h"
#include "store/store.h"

#define CK_INGEST_CURSOR "ingest" /* name of the cursor row */
#define CK_INGEST_BATCH  256      /* journal rows per transaction */
/* A thing's last seen or battery change is announced in the live stream
 * (store_calls.h, thing.updated) at most once per this many ms. */
#define CK_INGEST_THING_EVENT_MS 1000

/* Ingest settings (clickd flags). */
struct ck_ingest_config {
	/* Messages without seq or eventId that repeat the same payload from
	 * the same thing within this many ms are retries (default 3000). */
	int64_t dedup_window_ms;
	/* What accountid() returns in rules; NULL makes it Undefined. */
	const char *account_id;
};

#define CK_INGEST_DEDUP_WINDOW_DEFAULT_MS 3000

struct ck_ingest_stats {
	int64_t processed;
	int64_t accepted;
	int64_t rejected;
	int64_t duplicates;
	int64_t enqueued;
	int64_t rule_matches;
	int64_t workorders;
};

/*
 * Processes at most max journal records after the store's cursor, read
 * from jr, in one store transaction. now_ms is the clock for creation
 * times. Adds to *stats. Returns the number of records processed (0 when
 * the journal holds nothing new), or a negative errno after rolling back
 * (nothing of the batch is kept; the caller retries later).
 */
int ck_ingest_batch(struct ck_store *s, struct ck_journal_reader *jr, const struct ck_rules *rules,
                    const struct ck_ingest_config *cfg, int max, int64_t now_ms,
                    struct ck_ingest_stats *stats);

#endif
