/*
 * Tables of JSON documents, the DynamoDB counterpart
 * (docs/internals/tables.md): each table names a partition key attribute
 * and optionally a sort key attribute, each of type S (string) or N
 * (number); an item is a JSON object holding its key attributes, stored
 * whole. Put (plain or conditional on absence, presence or version), get,
 * delete, and query of one partition by sort-key prefix or range, in
 * sort-key order. Part of the store: one connection per thread, and a
 * write inside a caller's transaction (a rule action, a function) commits
 * or rolls back with it. Items are not indexed by their other attributes.
 */
#ifndef CK_STORE_TABLES_H
#define CK_STORE_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/name.h"
#include "store/store.h"

#define CK_TABLE_NAME_MAX  128
#define CK_TABLE_ITEM_MAX  (400 * 1024) /* bytes of an item's compact JSON */
#define CK_TABLE_PK_MAX    2048         /* bytes of a string partition key */
#define CK_TABLE_SK_MAX    1024         /* bytes of a string sort key */
#define CK_TABLE_QUERY_MAX 1000         /* items per query page */

struct ck_table_def {
	char name[CK_TABLE_NAME_MAX + 1];
	char partition_key[CK_NAME_MAX + 1]; /* attribute name */
	char partition_type;                 /* 'S' or 'N' */
	char sort_key[CK_NAME_MAX + 1];      /* "" when the table has none */
	char sort_type;                      /* 'S' or 'N'; 0 without a sort key */
	int64_t created_ms;
};

enum ck_table_cond_kind {
	CK_TABLE_COND_NONE = 0,
	CK_TABLE_COND_NOT_EXISTS, /* no item with this key */
	CK_TABLE_COND_EXISTS,     /* an item with this key */
	CK_TABLE_COND_VERSION,    /* the item's version is exactly version */
};

struct ck_table_cond {
	enum ck_table_cond_kind kind;
	int64_t version;
};

/* A query of one partition. Key values are cJSON strings or numbers of the
 * table's key types; NULL members mean no bound. */
struct ck_table_query {
	const cJSON *pk;
	const char *prefix; /* sort keys starting with it (S sort keys only) */
	const cJSON *from;  /* sort key >= from */
	const cJSON *to;    /* sort key <= to */
	const cJSON *after; /* the "next" of the previous page: strictly past it */
	bool desc;          /* highest sort key first */
	int limit;          /* 1..CK_TABLE_QUERY_MAX */
};

/* True when name matches [A-Za-z0-9_.-]{3,128} (DynamoDB table names). */
bool ck_table_name_valid(const char *name);

/*
 * Creates a table. Returns 0; -EEXIST; -EINVAL with a reason in why (bad
 * name, key attribute names that are not names, a type other than S or N,
 * the same attribute for both keys); -EIO.
 */
int ck_store_table_create(struct ck_store *s, const struct ck_table_def *d, char *why,
                          size_t why_len);

/* Reads a table's definition: 0, -ENOENT or -EIO. */
int ck_store_table_get(struct ck_store *s, const char *name, struct ck_table_def *out);

/* Deletes a table and all its items: 0, -ENOENT or -EIO. */
int ck_store_table_delete(struct ck_store *s, const char *name);

/* The definition in the API's shape, with the item count. 0, -ENOENT,
 * -ENOMEM or -EIO. */
int ck_store_table_json(struct ck_store *s, const char *name, cJSON **out);

/* Lists tables in the API's shape, by creation; paged as store.h says. */
int ck_store_table_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next);

/*
 * Checks that v can be the partition (sort == false) or sort key of
 * table d: a string of 1 to CK_TABLE_PK_MAX / CK_TABLE_SK_MAX bytes for
 * type S, a finite number for type N. Returns 0 or -EINVAL with why.
 */
int ck_table_key_check(const struct ck_table_def *d, bool sort, const cJSON *v, char *why,
                       size_t why_len);

/*
 * Parses text (from a URL or a rendered template) as a key value of table
 * d into a new cJSON string or number in *out (caller deletes). Returns 0,
 * or -EINVAL with why (not a number for an N key, too long, empty).
 */
int ck_table_key_parse(const struct ck_table_def *d, bool sort, const char *text, cJSON **out,
                       char *why, size_t why_len);

/*
 * Writes item (a JSON object holding the table's key attributes; borrowed)
 * under its key, replacing any item there, when cond (NULL: none) holds.
 * *version (may be NULL) is the item's new version: 1 when created, one
 * more than before when replaced. In the caller's transaction when there
 * is one. Returns 0; -ENOENT (no such table); -EINVAL with why (not an
 * object, a key attribute missing or of the wrong type, over
 * CK_TABLE_ITEM_MAX); -ECANCELED with why when cond does not hold (nothing
 * changes); -ENOMEM; -EIO.
 */
int ck_store_table_put(struct ck_store *s, const char *table, const cJSON *item,
                       const struct ck_table_cond *cond, int64_t now_ms, int64_t *version,
                       char *why, size_t why_len);

/*
 * Reads the item under (pk, sk) (sk NULL for a table without sort key)
 * into a new JSON object in *item (caller deletes) and its version into
 * *version (may be NULL). Returns 0; -ENOENT (no such table); -ENODATA (no
 * such item); -EINVAL with why (a key of the wrong type); -ENOMEM; -EIO.
 */
int ck_store_table_get_item(struct ck_store *s, const char *table, const cJSON *pk, const cJSON *sk,
                            cJSON **item, int64_t *version, char *why, size_t why_len);

/*
 * Deletes the item under (pk, sk) when cond (NULL: none) holds. Returns 0
 * (*deleted, which may be NULL, says whether there was one); -ENOENT (no
 * such table); -EINVAL with why; -ECANCELED with why when cond does not
 * hold; -EIO.
 */
int ck_store_table_delete_item(struct ck_store *s, const char *table, const cJSON *pk,
                               const cJSON *sk, const struct ck_table_cond *cond, bool *deleted,
                               char *why, size_t why_len);

/*
 * Appends to items the documents of partition q->pk within the sort-key
 * bounds, in sort-key order (reversed with q->desc), at most q->limit.
 * When more follow, *next is a new cJSON copy of the last sort key
 * returned (pass it as q->after for the next page; caller deletes), else
 * NULL. Returns 0; -ENOENT; -EINVAL with why (a bound of the wrong type, a
 * prefix on an N sort key or a table without one, limit out of range);
 * -ENOMEM; -EIO.
 */
int ck_store_table_query(struct ck_store *s, const char *table, const struct ck_table_query *q,
                         cJSON *items, cJSON **next, char *why, size_t why_len);

#endif
