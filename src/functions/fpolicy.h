/*
 * A function's policy: the allow-list of calls a function may make into
 * clickd (docs/functions.md "Policy"). A document is {"allow": [...],
 * "deny": [...]} where each entry is "CALL" or "CALL:RESOURCE"; CALL is
 * one of the calls below or a prefix pattern with '*' ("table.*", "*"),
 * RESOURCE a pattern over the call's resource (work-order kind, channel,
 * queue, table, topic or URL) where '*' matches any run of characters and
 * '?' one character; MQTT '+' and '#' are literal. An entry without a
 * resource covers every resource. A call is allowed when some allow entry
 * covers it and no deny entry does; anything else is denied (least
 * privilege: an empty or missing policy allows nothing). Pure: no I/O, no
 * globals; a parsed policy is immutable.
 */
#ifndef CK_FPOLICY_H
#define CK_FPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CK_FPOLICY_ENTRIES_MAX 64  /* entries in allow plus deny */
#define CK_FPOLICY_ENTRY_MAX   512 /* bytes of one entry */

/* The calls a function can make into clickd, as policies name them. */
extern const char *const ck_fpolicy_calls[];

struct ck_fpolicy;

/*
 * Parses a policy object (NULL or JSON null: the empty policy). Returns 0
 * and a new policy in *out, or -EINVAL with one line in err naming the bad
 * entry ("allow[2]: unknown call \"queue.sned\""), -E2BIG over the bounds,
 * -ENOMEM.
 */
int ck_fpolicy_parse(const cJSON *doc, struct ck_fpolicy **out, char *err, size_t err_len);

/* Frees a policy; NULL is a no-op. */
void ck_fpolicy_free(struct ck_fpolicy *p);

/*
 * Decides call (one of ck_fpolicy_calls) on resource (NULL counts as "").
 * Returns true when allowed. Never fails, allocates nothing; p NULL denies.
 */
bool ck_fpolicy_allows(const struct ck_fpolicy *p, const char *call, const char *resource);

/* Glob match: '*' any run (also empty), '?' one character, else literal. */
bool ck_fpolicy_glob(const char *pattern, const char *text);

#endif
