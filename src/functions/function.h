/*
 * Functions (docs/functions.md): a definition names a runtime (lua, exec
 * or http), its code, command or URL, limits, the asynchronous-invocation
 * settings (maximumRetryAttempts, maximumEventAgeSeconds, onFailure) and a
 * policy (functions/fpolicy.h). This module validates definitions, runs
 * one invocation (functions/sandbox.h, functions/fexec.h, or an HTTP POST
 * with libcurl), performs the calls the function makes into clickd after
 * checking them against its policy, and records the run with its log in
 * the store. It does not queue or retry: the courier does
 * (engine/courier.c), from "function" outbox entries. Each call a function
 * makes takes effect in its own short transaction, so a slow function
 * never holds the store's write lock.
 */
#ifndef CK_FUNCTION_H
#define CK_FUNCTION_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_FUNCTION_TIMEOUT_DEFAULT_S    3
#define CK_FUNCTION_TIMEOUT_MAX_S        900 /* AWS Lambda's */
#define CK_FUNCTION_MEMORY_DEFAULT_MB    64
#define CK_FUNCTION_MEMORY_MAX_MB        1024
#define CK_FUNCTION_INSTRUCTIONS_DEFAULT 100000000ULL /* Lua VM instructions */
#define CK_FUNCTION_RETRIES_DEFAULT      2            /* AWS MaximumRetryAttempts */
#define CK_FUNCTION_AGE_MIN_S            60           /* AWS MaximumEventAgeInSeconds */
#define CK_FUNCTION_AGE_MAX_S            21600
#define CK_FUNCTION_LOG_MAX              16384         /* bytes of log kept per run */
#define CK_FUNCTION_RESULT_MAX           16384         /* bytes of result kept per run */
#define CK_FUNCTION_OUTPUT_MAX           (1024 * 1024) /* bytes read from a program or URL */
#define CK_FUNCTION_EVENT_MAX            (256 * 1024)

enum ck_function_runtime { CK_FUNCTION_LUA, CK_FUNCTION_EXEC, CK_FUNCTION_HTTP };

struct ck_fpolicy;

/* A parsed definition, immutable once made. */
struct ck_function {
	char name[CK_NAME_MAX + 1];
	enum ck_function_runtime runtime;
	cJSON *def;           /* the definition with defaults filled in (owned) */
	const char *code;     /* lua: the source (inside def) */
	char **argv;          /* exec: the command (owned) */
	char **envp;          /* exec: the environment (owned) */
	const char *cwd;      /* exec: working directory, or NULL (inside def) */
	const char *url;      /* http (inside def) */
	const cJSON *headers; /* http: extra headers, or NULL (inside def) */
	int64_t timeout_ms;
	size_t memory_bytes;
	uint64_t instructions;
	int max_retries;
	int64_t max_event_age_ms;
	const cJSON *on_failure; /* an action object, or NULL (inside def) */
	struct ck_fpolicy *policy;
};

/*
 * Checks and parses the definition def of function name. Returns 0 and a
 * new function in *out (free with ck_function_free), or -EINVAL / -E2BIG
 * with one line in err naming the bad member, or -ENOMEM. onFailure is
 * only checked to be an object with a string "type"; the caller validates
 * it as a rule action. Pure: no I/O.
 */
int ck_function_parse(const char *name, const cJSON *def, struct ck_function **out, char *err,
                      size_t err_len);

/* Frees f; NULL is a no-op. */
void ck_function_free(struct ck_function *f);

/* Loads function name from the store and parses it: 0, -ENOENT, -EINVAL (a
 * stored definition this version refuses, with err), -ENOMEM, -EIO. */
int ck_function_load(struct ck_store *s, const char *name, struct ck_function **out, char *err,
                     size_t err_len);

/* One invocation. Strings are borrowed. */
struct ck_function_invocation {
	const char *request_id; /* unique per event; calls' outbox keys derive from it */
	const char *trigger;    /* "rule NAME", "api", ... (shown in the run list) */
	int attempt;            /* 1-based */
	const char *rule;       /* the rule that invoked it, or NULL */
	int64_t event_seq;      /* the triggering event, or 0 */
	const char *thing;      /* the button the event is about, or NULL */
	const char *event;      /* JSON text */
	size_t event_len;
	int64_t now_ms;
};

struct ck_function_outcome {
	char status[16]; /* "ok", "error", "timeout", "memory", "instructions" */
	char error[512]; /* when not ok */
	cJSON *result;   /* when ok: the result (caller deletes via cleanup) */
	int64_t duration_us;
	int64_t run_id; /* the recorded run */
	int calls;      /* calls into clickd made (allowed or not) */
	int denied;     /* of which the policy denied */
};

/*
 * Runs f once for inv on connection s (which must not be inside a
 * transaction), performing its calls into clickd, and records the run.
 * Returns 0 when the run is recorded (out->status says how it went), or a
 * negative errno when the store failed. Thread: any, one per connection.
 * Exec functions need SIGPIPE ignored (see fexec.h).
 */
int ck_function_invoke(struct ck_store *s, const struct ck_function *f,
                       const struct ck_function_invocation *inv, struct ck_function_outcome *out);

/* Frees what an outcome holds. */
void ck_function_outcome_cleanup(struct ck_function_outcome *out);

#endif
