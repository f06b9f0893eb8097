/*
 * The registry snapshot the broker plugin authenticates against: every
 * certificate with its thing and effective status, written atomically
 * (temporary file, fsync, rename) so the plugin never reads half a file,
 * with the things' types and attributes and the policies the plugin
 * enforces.
 * Format in docs/ARCHITECTURE.md ("Registry snapshot").
 */
#ifndef CK_SNAPSHOT_H
#define CK_SNAPSHOT_H

#include "store/store.h"

#define CK_SNAPSHOT_HEADER "clickd-registry 2"
/* Longest value written base64 on one line (a policy document is at most
 * CK_POLICY_DOC_MAX bytes, an attribute value 800). */
#define CK_SNAPSHOT_VALUE_MAX 8192

/*
 * Writes the snapshot of s's certificates, things, default policy versions
 * and policy attachments to path. Returns 0, or a negative errno (logged)
 * leaving any previous snapshot in place. Call it after every change to any
 * of them: the broker plugin decides from this file alone.
 */
int ck_snapshot_write(struct ck_store *s, const char *path);

#endif
