/*
 * The Lua 5.4 sandbox that runs Lua functions in-process. Each run gets a
 * fresh lua_State with a custom allocator (memory cap), a count hook
 * (instruction cap and wall-time cap) and only these libraries: base
 * (without dofile, loadfile, collectgarbage; load accepts text chunks
 * only), string (without string.dump), table, math, utf8, coroutine and
 * os.time/clock/date/difftime. No io, os.execute, package/require or
 * debug. The function's API (docs/functions.md) is the globals event,
 * context, log, print, json, workorder, notify, queue, table(name),
 * publish and http; every call into clickd goes through the host's call
 * callback, which checks the function's policy and performs it. This
 * module does no I/O itself and keeps no globals; runs on different
 * threads are independent.
 */
#ifndef CK_SANDBOX_H
#define CK_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CK_SANDBOX_CODE_MAX   (64 * 1024) /* bytes of source */
#define CK_SANDBOX_CALLS_MAX  256         /* calls into clickd per run */
#define CK_SANDBOX_JSON_DEPTH 32          /* nesting of converted values */

struct ck_sandbox_limits {
	size_t memory_bytes;   /* the allocator refuses beyond this */
	uint64_t instructions; /* VM instructions, counted in steps of 1000 */
	int64_t wall_ms;       /* from the start of the run */
};

/* What the sandbox needs from clickd. */
struct ck_sandbox_host {
	/*
	 * Performs call (a name of ck_fpolicy_calls) with args, a JSON object
	 * built from the Lua arguments (borrowed). Returns 0 and optionally a
	 * new value in *result (taken over; NULL gives Lua nil), or a negative
	 * errno with one line in err, which the sandbox raises as a Lua error.
	 */
	int (*call)(void *arg, const char *call, const cJSON *args, cJSON **result, char *err,
	            size_t err_len);
	/* One line the function logged (log(), print()); not NUL-terminated. */
	void (*log)(void *arg, const char *line, size_t len);
	void *arg;
};

enum ck_sandbox_status {
	CK_SANDBOX_OK = 0,
	CK_SANDBOX_ERROR,        /* syntax or runtime error */
	CK_SANDBOX_MEMORY,       /* the memory cap was hit and not recovered */
	CK_SANDBOX_INSTRUCTIONS, /* the instruction cap */
	CK_SANDBOX_TIMEOUT,      /* the wall-time cap */
};

struct ck_sandbox_outcome {
	enum ck_sandbox_status status;
	cJSON *result;   /* CK_SANDBOX_OK: the returned value (caller deletes) */
	char error[512]; /* otherwise: the message, with the line where Lua knows it */
	uint64_t instructions;
	size_t peak_bytes;
};

/*
 * Runs code (a text chunk named "=name"): the chunk first, then, when it
 * defined a global function handler, handler(event, context); the result is
 * handler's return value, else the chunk's. event and context are borrowed
 * (NULL gives nil). Fills *out and returns 0 when the run happened
 * (whatever its status), -ENOMEM when no state could be created.
 */
int ck_sandbox_run(const char *name, const char *code, size_t code_len, const cJSON *event,
                   const cJSON *context, const struct ck_sandbox_limits *lim,
                   const struct ck_sandbox_host *host, struct ck_sandbox_outcome *out);

/* The status's name: "ok", "error", "memory", "instructions", "timeout". */
const char *ck_sandbox_status_name(enum ck_sandbox_status s);

#endif
