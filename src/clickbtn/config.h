/*
 * clickbtn's configuration directory: reads DIR/clickbtn.conf with the
 * pure parser in device/btnconf.h, resolves the credential files against
 * DIR and checks them with OpenSSL before any connection is attempted, so
 * a bad file is reported by name instead of as a TLS failure.
 */
#ifndef CK_CLICKBTN_CONFIG_H
#define CK_CLICKBTN_CONFIG_H

#include <limits.h>

#include "device/btnconf.h"

struct ck_click_config {
	struct ck_btnconf conf;
	char conf_path[PATH_MAX];
	char cert[PATH_MAX]; /* resolved against DIR */
	char key[PATH_MAX];
	char ca[PATH_MAX];
};

/*
 * Loads DIR/clickbtn.conf into *out and checks that ca holds at least one
 * PEM certificate, cert is a PEM certificate and key an unencrypted PEM
 * private key that matches it. Returns 0, or a negative errno with a
 * one-line reason in why that starts with the offending file's path.
 */
int ck_click_config_load(const char *dir, struct ck_click_config *out, char *why, size_t why_len);

#endif
