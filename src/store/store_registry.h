/*
 * The registry in the store beyond create-and-get: updating, deleting and
 * filtering things; certificate status, thing attachment and provenance
 * (serial and issuing CA); the trusted CAs and their CRLs. Every function
 * returns 0 or a negative errno: -ENOENT (no such row), -EEXIST (key
 * taken), -EBUSY (still referenced), -EPERM (a forbidden transition, such
 * as leaving the revoked state), -EIO (backend failure, logged). None of
 * them writes the registry snapshot; callers do after a change.
 */
#ifndef CK_STORE_REGISTRY_H
#define CK_STORE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* Filters of a thing list; NULL means any. attr_name and attr_value go
 * together: things whose attribute attr_name equals attr_value. */
struct ck_thing_filter {
	const char *type;
	const char *attr_name;
	const char *attr_value;
};

/* Replaces a thing's type, attributes and enabled flag (name, creation,
 * last seen and battery stay). -ENOENT when there is no such thing. */
int ck_store_thing_update(struct ck_store *s, const struct ck_thing *t);

/* Deletes a thing. -EBUSY while a certificate is attached to it or it sits
 * in a placement slot; -ENOENT when there is none. */
int ck_store_thing_delete(struct ck_store *s, const char *name);

/* Lists things matching f (may be NULL) in the API's shape, paged like
 * ck_store_thing_list. */
int ck_store_thing_query(struct ck_store *s, const struct ck_thing_filter *f,
                         const struct ck_list_query *q, cJSON *items, int64_t *next);

/* Records where a certificate came from: its serial (lowercase hex) and the
 * fingerprint of the CA that signed it. -ENOENT for an unknown certificate. */
int ck_store_cert_set_origin(struct ck_store *s, const char *fingerprint, const char *serial,
                             const char *issuer);

/* One certificate in the API's shape (new object in *out, caller deletes),
 * with its attached policies. -ENOENT when unknown. */
int ck_store_cert_get_json(struct ck_store *s, const char *fingerprint, cJSON **out);

/* Lists certificates (q->thing and q->status filter), paged. */
int ck_store_cert_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                       int64_t *next);

/* Sets a certificate's status ("active", "inactive" or "revoked").
 * Revocation is final: leaving "revoked" is -EPERM. -EINVAL for another
 * status, -ENOENT for an unknown certificate. */
int ck_store_cert_set_status(struct ck_store *s, const char *fingerprint, const char *status,
                             int64_t now_ms);

/* Attaches a certificate to thing, or detaches it when thing is NULL.
 * -ENOENT when the certificate or the thing does not exist; -EBUSY when
 * attaching a certificate already attached to another thing. */
int ck_store_cert_set_thing(struct ck_store *s, const char *fingerprint, const char *thing,
                            int64_t now_ms);

/* Calls fn for every revoked certificate signed by the CA with fingerprint
 * issuer: its serial (hex) and when it was revoked (Unix ms). */
int ck_store_cert_revoked_each(struct ck_store *s, const char *issuer,
                               int (*fn)(const char *serial, int64_t revoked_ms, void *ctx),
                               void *ctx);

/* A trusted CA certificate as the store keeps it; strings borrowed. */
struct ck_ca_row {
	const char *fingerprint;
	const char *pem;
	const char *subject;
	const char *origin;  /* "clickd" or "operator" */
	const char *status;  /* "active" or "retired" */
	const char *crl_pem; /* NULL until one is known */
	int64_t crl_number;
	int64_t created_ms;
};

/* Adds a CA; -EEXIST when its fingerprint is known. */
int ck_store_ca_put(struct ck_store *s, const struct ck_ca_row *ca);

/* Calls fn for every CA, oldest first; rows are borrowed for the call. */
int ck_store_ca_each(struct ck_store *s, int (*fn)(const struct ck_ca_row *ca, void *ctx),
                     void *ctx);

/* The CAs in the API's shape (without the CRL text), oldest first. */
int ck_store_ca_list(struct ck_store *s, cJSON *items);

/* Sets a CA's status ("active" or "retired"); -ENOENT, -EINVAL. */
int ck_store_ca_set_status(struct ck_store *s, const char *fingerprint, const char *status,
                           int64_t now_ms);

/* Stores the CA's current CRL and its number. -ENOENT for an unknown CA. */
int ck_store_ca_set_crl(struct ck_store *s, const char *fingerprint, const char *crl_pem,
                        int64_t crl_number, int64_t now_ms);

#endif
