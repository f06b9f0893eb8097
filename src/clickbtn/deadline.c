/*
 * deadline.c - the last-resort alarm behind clickbtn's --timeout
 * (see deadline.h).
 */
#include "clickbtn/deadline.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "clickbtn/publish.h"

static char alarm_msg[512];
static size_t alarm_len;

static void on_alarm(int sig)
{
	(void)sig;
	ssize_t w = write(STDERR_FILENO, alarm_msg, alarm_len);
	(void)w;
	_exit(CK_CLICK_EXIT_TIMEOUT);
}

void ck_deadline_arm(int64_t ms, double timeout_s, const char *host, int port)
{
	int n =
	    snprintf(alarm_msg, sizeof(alarm_msg),
	             "clickbtn: timed out after %g s connecting to %s:%d\n", timeout_s, host, port);
	alarm_len = n > 0 && (size_t)n < sizeof(alarm_msg) ? (size_t)n : 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	if (ms < 1)
		ms = 1;
	struct itimerval it = { .it_interval = { 0, 0 },
		                .it_value = { .tv_sec = ms / 1000,
		                              .tv_usec = (suseconds_t)(ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

void ck_deadline_disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
}
