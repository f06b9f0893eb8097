/*
 * Functions and their runs (docs/functions.md). A function is stored as
 * its validated definition, JSON text; runs keep, per function, the last
 * CK_STORE_FUNCTION_RUNS_KEPT invocations with their status, duration,
 * result and log (each capped by the caller). Part of the store; see
 * store.h for the conventions (one connection per thread, 0 or -errno).
 */
#ifndef CK_STORE_FUNCTIONS_H
#define CK_STORE_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_STORE_FUNCTION_RUNS_KEPT 200

/* Creates function name (-EEXIST when it exists), or with replace set
 * replaces its definition (-ENOENT when it does not exist). */
int ck_store_function_put(struct ck_store *s, const char *name, const char *definition,
                          int64_t now_ms, bool replace);

/* The definition text of name in *definition (caller frees); -ENOENT. */
int ck_store_function_get(struct ck_store *s, const char *name, char **definition);

/* Deletes name and its runs; -ENOENT when there is none. */
int ck_store_function_delete(struct ck_store *s, const char *name);

/* Lists functions as {"name","runtime","createdAt","updatedAt","definition"}. */
int ck_store_function_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                           int64_t *next);

struct ck_function_run {
	const char *function;
	const char *request_id;
	const char *trigger; /* "rule RULE", "api", ... */
	int attempt;         /* 1-based */
	const char *status;  /* "ok", "error", "timeout", "memory", "instructions" */
	const char *error;   /* NULL when ok */
	int64_t started_ms;
	int64_t duration_us;
	const char *result; /* JSON text or NULL */
	const char *log;    /* NULL when empty */
};

/* Records a run and forgets the function's runs beyond the newest
 * CK_STORE_FUNCTION_RUNS_KEPT. Returns 0 and the run's id in *id (may be NULL). */
int ck_store_function_run_put(struct ck_store *s, const struct ck_function_run *r, int64_t *id);

/*
 * Lists the runs of function, newest first, as {"id","requestId","trigger",
 * "attempt","status","error","startedAt","durationUs","result","log"}; q->after
 * is the id to continue below (0: newest), q->limit the page size.
 */
int ck_store_function_runs(struct ck_store *s, const char *function, const struct ck_list_query *q,
                           cJSON *items, int64_t *next);

#endif
