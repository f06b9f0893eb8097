/*
 * Installing credentials into a device directory, shared by `clickbtn
 * provision` and the setup page: PEM text is checked with OpenSSL (the
 * key matches the certificate), files are written atomically (temporary
 * file, fsync, rename; the key 0600) and the result is loaded back with
 * the same checks `clickbtn press` makes, so a directory that provisioning
 * accepted is one the agent can use.
 */
#ifndef CK_CLICKBTN_PROVISION_H
#define CK_CLICKBTN_PROVISION_H

#include <stddef.h>

struct ck_click_install {
	const char *endpoint; /* host name or address */
	int port;
	const char *thing; /* NULL or "": the certificate's common name */
	const char *cert_pem, *key_pem;
	const char *ca_pem;                    /* NULL: keep the directory's ca.pem */
	const char *wifi_ssid, *wifi_password; /* NULL: none */
};

/*
 * Writes cert.pem, key.pem, ca.pem (when given), wifi.conf (when an SSID
 * is given; 0600, for the system's network tools: clickbtn joins no
 * network itself) and clickbtn.conf into dir, creating it. Returns 0, or a
 * negative errno with a one-line reason in why.
 */
int ck_click_install(const char *dir, const struct ck_click_install *in, char *why, size_t why_len);

/*
 * Installs a bundle: a device directory as `clickctl thing create`
 * writes it, or one file holding clickbtn.conf's lines followed by the
 * PEM blocks (device certificate, private key, CA certificates, in any
 * order: the certificate that matches the key is the device's), e.g.
 *   cat clickbtn.conf cert.pem key.pem ca.pem > dock-1.bundle
 * Returns 0 or a negative errno with a reason in why.
 */
int ck_click_provision(const char *dir, const char *bundle, char *why, size_t why_len);

#endif
