/*
 * The registry snapshot the broker plugin authenticates against: every
 * certificate with its thing and effective status, written atomically
 * (temporary file, fsync, rename) so the plugin never reads half a file.
 * Format in docs/ARCHITECTURE.md ("Registry snapshot").
 */
#ifndef CK_SNAPSHOT_H
#define CK_SNAPSHOT_H

#include "store/store.h"

/*
 * Writes the snapshot of s's certificates to path. Returns 0, or a negative
 * errno (logged) leaving any previous snapshot in place.
 */
int ck_snapshot_write(struct ck_store *s, const char *path);

#endif
