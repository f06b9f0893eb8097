/*
 * Provisioning by claim, the device side (docs/internals/provision.md):
 * `clickbtn provision --claim DIR --template T --serial S` makes a new EC
 * P-256 key and a certificate request locally, connects with the claim
 * certificate (MQTT 5, mutual TLS, client id S), asks for a certificate
 * (CreateCertificateFromCsr) and then for its thing (RegisterThing with
 * the template), and installs the result as a new device directory. The
 * private key exists only in this process and in the new directory's
 * key.pem (0600). Message building and reply parsing are device/provmsg.c;
 * this file owns the key, the MQTT session and the files.
 */
#ifndef CK_CLICKBTN_CLAIM_H
#define CK_CLICKBTN_CLAIM_H

#include <stdbool.h>
#include <stddef.h>

/* clickbtn provision's exit status when clickd (or the claim's policy)
 * refused the request; the other codes are publish.h's. */
#define CK_CLICK_EXIT_REJECTED 9

struct ck_click_claim {
	const char *claim_dir;         /* cert.pem, key.pem, ca.pem, clickbtn.conf */
	const char *template_name;     /* provisioning template */
	const char *serial;            /* SerialNumber parameter and MQTT client id */
	const char *out_dir;           /* NULL: the claim directory's sibling named serial */
	const char *const *param_keys; /* more template parameters (may be NULL when n 0) */
	const char *const *param_values;
	size_t n_params;
	double timeout_s; /* for the whole exchange */
	bool verbose;     /* progress and libmosquitto's log on stderr */
};

/*
 * Runs the exchange and installs the device. Returns CK_CLICK_EXIT_OK with
 * the new thing in thing and the directory written in dir; otherwise
 * CK_CLICK_EXIT_CONFIG (bad claim files, an output directory that exists
 * and is not empty, a write failure), CK_CLICK_EXIT_REFUSED (CONNACK
 * refused), CK_CLICK_EXIT_TIMEOUT, CK_CLICK_EXIT_TLS, CK_CLICK_EXIT_NETWORK
 * or CK_CLICK_EXIT_REJECTED, each with one line in why. Nothing is written
 * unless the exchange succeeded; the directory then appears at once
 * (built beside it and renamed). Calls mosquitto_lib_init itself; uses
 * SIGALRM for the deadline of the blocking TCP connect.
 */
int ck_click_claim_run(const struct ck_click_claim *c, char *thing, size_t thing_cap, char *dir,
                       size_t dir_cap, char *why, size_t why_len);

#endif
