/*
 * The registry snapshot: clickd's list of certificate fingerprints, the
 * thing each belongs to and its status, the things' types and attributes,
 * the policies in force and which certificates they are attached to, read
 * from DATA/registry.snapshot (format in docs/ARCHITECTURE.md). The
 * registry half is pure: it parses a buffer, compiles the policies once
 * (src/policy) and indexes the certificates by their 32-byte SHA-256, each
 * resolved to its thing record and its attached policies. The snapshot
 * half owns the file: it notices a new file by its device, inode, size and
 * modification time, reloads it, and keeps the previous registry whenever
 * the new file cannot be read or parsed. It never writes.
 */
#ifndef CK_PLUGIN_SNAPSHOT_H
#define CK_PLUGIN_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "policy/policy.h"

#define CK_PLUGIN_THING_MAX            128         /* bytes, as AWS IoT thing names */
#define CK_PLUGIN_SNAPSHOT_LINE_MAX    12288       /* longer lines are skipped */
#define CK_PLUGIN_SNAPSHOT_FILE_MAX    (64L << 20) /* larger files are refused */
#define CK_PLUGIN_SNAPSHOT_RECORDS_MAX (1L << 20)  /* more records: file refused */
#define CK_PLUGIN_SNAPSHOT_HEADER      "clickd-registry 2"

enum ck_plugin_cert_status {
	CK_PLUGIN_CERT_ACTIVE = 1,
	CK_PLUGIN_CERT_INACTIVE,
	CK_PLUGIN_CERT_REVOKED,
};

/* A thing with its type and attributes (the policy variables). */
struct ck_plugin_thing {
	const char *name;                   /* inside the registry's text */
	const char *type;                   /* NULL when untyped */
	const struct ck_policy_attr *attrs; /* sorted by name; inside the registry */
	size_t n_attrs;
};

struct ck_plugin_cert {
	unsigned char fp[32]; /* SHA-256 of the certificate's DER */
	const char *thing;    /* NUL-terminated, inside the registry's text */
	uint8_t status;       /* enum ck_plugin_cert_status; 0 marks a free slot */
	const struct ck_plugin_thing *thing_rec; /* NULL when no thing line names it */
	/* The policies attached to the certificate (compiled, owned by the
	 * registry) and their names, in name order. */
	const struct ck_policy *const *policies;
	const char *const *policy_names;
	size_t n_policies;
};

struct ck_plugin_policy {
	const char *name; /* inside the registry's text */
	struct ck_policy *compiled;
};

struct ck_plugin_attach {
	unsigned char fp[32];
	const char *policy;
};

struct ck_plugin_attr_rec {
	const char *thing;
	struct ck_policy_attr attr;
};

struct ck_plugin_registry {
	char *text;                     /* owned copy of the parsed bytes */
	struct ck_plugin_cert *slots;   /* open addressing, linear probing */
	size_t nslots;                  /* 0 or a power of two */
	size_t count;                   /* certificates */
	struct ck_plugin_thing *things; /* sorted by name */
	size_t n_things;
	struct ck_plugin_attr_rec *attr_recs; /* sorted by thing, then name */
	struct ck_policy_attr *attrs;         /* the same, without the thing */
	size_t n_attrs;
	struct ck_plugin_policy *policies; /* sorted by name */
	size_t n_policies;
	struct ck_plugin_attach *attaches; /* sorted by fingerprint, then policy */
	size_t n_attaches;
	const struct ck_policy **plist; /* every certificate's policies, end to end */
	const char **pnames;
	size_t n_plist;
	size_t records; /* lines of every type, against CK_PLUGIN_SNAPSHOT_RECORDS_MAX */
};

/* Called for each skipped line: 1-based line number and a reason (valid
 * during the call only). */
typedef void (*ck_plugin_registry_warn_fn)(void *ctx, size_t line, const char *reason);

/*
 * Parses len bytes of snapshot text (borrowed; need not be NUL-terminated)
 * into out, which the caller then owns and releases with
 * ck_plugin_registry_cleanup(). Malformed, overlong and duplicate lines,
 * and policy documents the engine refuses, are skipped and reported through
 * warn (may be NULL); an attachment naming a missing policy is skipped. Returns 0; -EPROTO when
 * the first line is not CK_PLUGIN_SNAPSHOT_HEADER; -E2BIG when len exceeds
 * CK_PLUGIN_SNAPSHOT_FILE_MAX or there are more than
 * CK_PLUGIN_SNAPSHOT_RECORDS_MAX records; -ENOMEM. On error out is empty.
 * Pure: no I/O, no globals.
 */
int ck_plugin_registry_parse(const char *buf, size_t len, struct ck_plugin_registry *out,
                             ck_plugin_registry_warn_fn warn, void *ctx);

/* Releases what ck_plugin_registry_parse() allocated; out is left empty.
 * Safe on an empty (zeroed) registry. */
void ck_plugin_registry_cleanup(struct ck_plugin_registry *reg);

/* Returns the record for the 32-byte fingerprint, or NULL. The pointer is
 * valid until the registry is cleaned up. */
const struct ck_plugin_cert *ck_plugin_registry_find(const struct ck_plugin_registry *reg,
                                                     const unsigned char fp[32]);

/* Decodes 64 hex digits (either case) into 32 bytes. Returns 0 or -EINVAL. */
int ck_plugin_fp_decode(const char *hex, size_t len, unsigned char out[32]);

/*
 * Fills ctx with the policy variables of a connection of client_id with
 * certificate rec whose subject common name is cn (NULL or "" when none).
 * The thing variables are set only when client_id equals the
 * certificate's thing (AWS: the client id must be the thing name). The
 * strings are borrowed from rec and the arguments.
 */
void ck_plugin_policy_context(const struct ck_plugin_cert *rec, const char *client_id,
                              const char *cn, struct ck_policy_context *ctx);

/* "active", "inactive", "revoked" or "unknown". */
const char *ck_plugin_cert_status_name(int status);

struct ck_plugin_snapshot {
	char *path; /* owned */
	struct ck_plugin_registry reg;
	uint64_t generation; /* incremented by each successful load */
	bool seen;           /* the file identity below is valid */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int last_errno; /* last stat/open failure already logged, 0 if none */
};

/* Prepares s for path (copied) with an empty registry; loads nothing.
 * Returns 0 or -ENOMEM. */
int ck_plugin_snapshot_init(struct ck_plugin_snapshot *s, const char *path);

/* Releases the path and the registry. Safe on a zeroed snapshot. */
void ck_plugin_snapshot_cleanup(struct ck_plugin_snapshot *s);

/*
 * Reloads the file if its identity (device, inode, size, mtime) changed
 * since the last attempt. Returns 1 when a new registry was loaded, 0 when
 * the file is unchanged, or a negative errno when it cannot be read or
 * parsed; in that case the previous registry stays in force, the failure is
 * logged once, and the same file is not retried until it changes. Reads one
 * small file; does not block otherwise.
 */
int ck_plugin_snapshot_refresh(struct ck_plugin_snapshot *s);

/* Looks up a fingerprint given as 64 hex digits; NULL when absent or when
 * hex is malformed. */
const struct ck_plugin_cert *ck_plugin_snapshot_find_hex(const struct ck_plugin_snapshot *s,
                                                         const char *hex);

#endif
