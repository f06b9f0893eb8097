/*
 * Exec functions (see fexec.h): fork and execve with limits set in the
 * child, then one poll loop over standard input, output, error and a pidfd
 * until the program exits or its time is up.
 */
#include "functions/fexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE_MAX (64L * 1024 * 1024)
#define OPEN_FILES    256

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ck_fexec_result_cleanup(struct ck_fexec_result *r)
{
	free(r->output);
	free(r->log);
	r->output = r->log = NULL;
	r->output_len = r->log_len = 0;
}

static void limit(int resource, rlim_t v)
{
	struct rlimit rl = { v, v };
	setrlimit(resource, &rl);
}

/* In the child, between fork and execve: async-signal-safe calls only. */
static void child(const struct ck_fexec_spec *s, int in, int out, int errfd, int report)
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGPIPE, &dfl, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		goto fail;
	/* Every other descriptor closes at execve; report is already CLOEXEC. */
	syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
	if (s->memory_bytes)
		limit(RLIMIT_AS, (rlim_t)s->memory_bytes);
	limit(RLIMIT_CPU, (rlim_t)(s->timeout_ms / 1000 + 1));
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_NOFILE, OPEN_FILES);
	limit(RLIMIT_FSIZE, FILE_SIZE_MAX);
	if (chdir(s->cwd ? s->cwd : "/") != 0)
		goto fail;
	execve(s->argv[0], (char *const *)s->argv, (char *const *)s->envp);
fail:;
	int e = errno;
	ssize_t w = write(report, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* Appends what fd has to *buf up to max bytes. Returns 0 at EOF, 1 after
 * reading, 2 when nothing is there now, -1 on overflow (or no memory). */
static int drain(int fd, char **buf, size_t *len, size_t max, bool overflow_fails)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 2 : 0;
	size_t take = (size_t)n;
	if (*len + take > max) {
		if (overflow_fails)
			return -1;
		take = max - *len;
	}
	if (take) {
		char *p = realloc(*buf, *len + take + 1);
		if (!p)
			return -1;
		memcpy(p + *len, chunk, take);
		*len += take;
		p[*len] = '\0';
		*buf = p;
	}
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int ck_fexec_run(const struct ck_fexec_spec *spec, struct ck_fexec_result *r, char *err,
                 size_t err_len)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int pidfd = -1, rc = 0;
	pid_t pid = -1;
	int64_t start = mono_us();

	if (!spec->argv || !spec->argv[0] || spec->argv[0][0] != '/') {
		snprintf(err, err_len, "the command must start with an absolute path");
		return -EINVAL;
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC) ||
	    pipe2(rep, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, err_len, "cannot create pipes: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(spec, in[0], out[1], er[1], rep[1]);
	setpgid(pid, pid); /* also here, so killpg works whoever runs first */
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&er[1]);
	close_fd(&rep[1]);

	int child_errno = 0;
	ssize_t got = read(rep[0], &child_errno, sizeof(child_errno));
	close_fd(&rep[0]);
	if (got == (ssize_t)sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		pid = -1;
		rc = -child_errno;
		snprintf(err, err_len, "cannot run %s: %s", spec->argv[0], strerror(child_errno));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(er[0], F_SETFL, O_NONBLOCK);

	size_t written = 0;
	if (spec->input_len > 0)
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (spec->input_len == 0)
		close_fd(&in[1]);
	int64_t deadline = start + spec->timeout_ms * 1000;
	bool exited = false, reaped = false;
	int status = 0;
	while (!exited) {
		int64_t left_us = deadline - mono_us();
		if (left_us <= 0) {
			r->timed_out = true;
			break;
		}
		struct pollfd p[4] = {
			{ .fd = in[1], .events = POLLOUT },
			{ .fd = out[0], .events = POLLIN },
			{ .fd = er[0], .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		/* Without a pidfd, wake up every 10 ms to look for the exit. */
		int wait_ms = (int)((left_us + 999) / 1000);
		if (pidfd < 0 && wait_ms > 10)
			wait_ms = 10;
		int n = poll(p, 4, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (in[1] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in[1], spec->input + written, spec->input_len - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN) || written == spec->input_len)
				close_fd(&in[1]);
		}
		if (out[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			int d = drain(out[0], &r->output, &r->output_len, spec->output_max, true);
			if (d < 0) {
				r->output_over = true;
				break;
			}
			if (d == 0)
				close_fd(&out[0]);
		}
		if (er[0] >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (drain(er[0], &r->log, &r->log_len, spec->log_max, false) == 0)
				close_fd(&er[0]);
		}
		if (pidfd >= 0 && (p[3].revents & POLLIN))
			exited = true;
		if (pidfd < 0 && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			reaped = true;
		}
	}
	/* What the program wrote just before it exited is still in the pipes. */
	while (!r->output_over && out[0] >= 0) {
		int d = drain(out[0], &r->output, &r->output_len, spec->output_max, true);
		r->output_over = d < 0;
		if (d != 1)
			break;
	}
	while (er[0] >= 0 && drain(er[0], &r->log, &r->log_len, spec->log_max, false) == 1)
		;
	killpg(pid, SIGKILL); /* the program if still running, and anything it started */
	if (reaped || waitpid(pid, &status, 0) == pid) {
		if (WIFEXITED(status))
			r->exit_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			r->signal = WTERMSIG(status);
	}
	pid = -1;
	if (!r->output)
		r->output = calloc(1, 1);
	if (!r->log)
		r->log = calloc(1, 1);
out:
	r->duration_us = mono_us() - start;
	int *fds[] = { &in[0], &in[1], &out[0], &out[1], &er[0], &er[1], &rep[0], &rep[1], &pidfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close_fd(fds[i]);
	if (rc == 0 && (!r->output || !r->log)) {
		snprintf(err, err_len, "out of memory");
		rc = -ENOMEM;
	}
	return rc;
}
