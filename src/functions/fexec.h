/*
 * Runs one exec function: a program started with fork and execve (no
 * shell) in its own process group, the event on its standard input, a
 * clean environment (only what the caller passes), resource limits
 * (address space, CPU seconds, open files, file size, no core dumps), and
 * a wall-time limit after which the whole process group is killed. Its
 * standard output (capped) is the result, its standard error (capped) the
 * log. The process group is killed when the program exits too, so nothing
 * it started outlives the run. Owns nothing after it returns. The caller
 * must have SIGPIPE ignored (clickd does) and must not reap other
 * processes' children with waitpid(-1).
 */
#ifndef CK_FEXEC_H
#define CK_FEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ck_fexec_spec {
	const char *const *argv; /* argv[0]: an absolute path; NULL-terminated */
	const char *const *envp; /* "NAME=value", NULL-terminated */
	const char *cwd;         /* NULL: "/" */
	const uint8_t *input;    /* written to standard input, then it is closed */
	size_t input_len;
	int64_t timeout_ms;
	size_t memory_bytes; /* RLIMIT_AS; 0: unlimited */
	size_t output_max;   /* standard output beyond this kills the run */
	size_t log_max;      /* standard error beyond this is dropped */
};

struct ck_fexec_result {
	int exit_code;    /* when it exited: its status; else -1 */
	int signal;       /* when a signal ended it: the number; else 0 */
	bool timed_out;   /* killed at the wall-time limit */
	bool output_over; /* killed for writing more than output_max */
	char *output;     /* standard output, NUL-terminated (caller frees) */
	size_t output_len;
	char *log; /* standard error, NUL-terminated, at most log_max bytes (caller frees) */
	size_t log_len;
	int64_t duration_us;
};

/*
 * Runs the program. Returns 0 when it ran (whatever its outcome; *r says
 * how it ended), or a negative errno with one line in err when it could not
 * be started (-ENOENT: no such program, -EACCES, -EINVAL: argv[0] not an
 * absolute path, -ENOMEM, ...). Clean *r with ck_fexec_result_cleanup() in
 * every case.
 */
int ck_fexec_run(const struct ck_fexec_spec *spec, struct ck_fexec_result *r, char *err,
                 size_t err_len);

/* Frees the buffers of r. */
void ck_fexec_result_cleanup(struct ck_fexec_result *r);

#endif
