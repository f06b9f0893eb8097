/*
 * clickbtn.conf, the device agent's configuration, as `clickctl thing
 * create` writes it: one "key = value" per line, '#' starts a comment line,
 * blank lines are ignored, CRLF line ends are accepted.
 *
 *   endpoint = 127.0.0.1     (required: host name or IP address)
 *   port = 8883              (optional, default 8883)
 *   thing = dock-1           (required: [a-zA-Z0-9:_-]{1,128})
 *   cert = cert.pem          (optional, default cert.pem)
 *   key = key.pem            (optional, default key.pem)
 *   ca = ca.pem              (optional, default ca.pem)
 *
 * Parsing is a pure function over a buffer; reading the file and resolving
 * relative paths against the configuration directory is the caller's job
 * (ck_btnconf_path helps with the second).
 */
#ifndef CK_BTNCONF_H
#define CK_BTNCONF_H

#include <stdbool.h>
#include <stddef.h>

#define CK_BTNCONF_MAX          16384 /* largest clickbtn.conf accepted, bytes */
#define CK_BTNCONF_HOST_MAX     253   /* longest endpoint (a DNS name) */
#define CK_BTNCONF_THING_MAX    128   /* longest thing name (AWS limit) */
#define CK_BTNCONF_PATH_MAX     1024  /* longest cert/key/ca value */
#define CK_BTNCONF_PORT_DEFAULT 8883

struct ck_btnconf {
	char endpoint[CK_BTNCONF_HOST_MAX + 1];
	int port;
	char thing[CK_BTNCONF_THING_MAX + 1];
	char cert[CK_BTNCONF_PATH_MAX + 1]; /* as written: may be relative */
	char key[CK_BTNCONF_PATH_MAX + 1];
	char ca[CK_BTNCONF_PATH_MAX + 1];
};

/*
 * Parses a clickbtn.conf held in buf[0..len) (need not be NUL-terminated).
 * Returns 0 and fills *out (defaults applied), or -E2BIG when len exceeds
 * CK_BTNCONF_MAX and -EINVAL for anything else, with a one-line reason in
 * why that starts with "line L, column C: " when it concerns one place
 * (unknown or repeated key, missing '=', empty or invalid value, NUL byte)
 * and names the key when a required one is missing. why may be NULL.
 * Keys are lower case and case-sensitive. Never reads past buf[len-1].
 */
int ck_btnconf_parse(const char *buf, size_t len, struct ck_btnconf *out, char *why,
                     size_t why_len);

/*
 * Resolves a configured file against the configuration directory: an
 * absolute file is copied as is, a relative one becomes "dir/file". Writes
 * a NUL-terminated path into out and returns 0, or -ENAMETOOLONG when it
 * does not fit in cap bytes (out is then ""), -EINVAL for an empty file.
 */
int ck_btnconf_path(const char *dir, const char *file, char *out, size_t cap);

#endif
