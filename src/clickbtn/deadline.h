/*
 * deadline.h - the last-resort alarm behind clickbtn's --timeout.
 *
 * libmosquitto's DNS lookup and TCP connect block without a timeout of
 * their own. Before connecting, the caller arms an interval timer for the
 * time left plus a grace period; if it fires, a handler writes a message
 * prepared in advance and exits with CK_CLICK_EXIT_TIMEOUT. Only
 * async-signal-safe calls run in the handler.
 */
#ifndef CK_CLICKBTN_DEADLINE_H
#define CK_CLICKBTN_DEADLINE_H

#include <stdint.h>

/* Arms the alarm to fire after ms (at least 1); the message names the
 * timeout and the peer being connected to. */
void ck_deadline_arm(int64_t ms, double timeout_s, const char *host, int port);

/* Cancels a pending alarm. */
void ck_deadline_disarm(void);

#endif
