/*
 * Loading clickbtn's configuration directory (see config.h). The file is
 * read with a size ceiling and handed to the pure parser; the credential
 * files are opened and parsed with OpenSSL here, once, so that a missing,
 * unreadable, encrypted or mismatched file is reported by its path with
 * exit code 3 rather than surfacing later as an anonymous TLS error.
 */
#include "clickbtn/config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Reads at most cap bytes of a regular file; *len is what was read. */
static int read_small(const char *path, char *buf, size_t cap, size_t *len, char *why,
                      size_t why_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, why, why_len, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(-EINVAL, why, why_len, "%s: not a regular file", path);
	}
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return fail(-e, why, why_len, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return 0;
}

/* OpenSSL must never prompt on the terminal: an encrypted key is an error. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static BIO *open_pem(const char *path, char *why, size_t why_len)
{
	/* BIO_new_file's own error would not name the errno as clearly. */
	if (access(path, R_OK) != 0) {
		fail(-errno, why, why_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	BIO *bio = BIO_new_file(path, "r");
	if (!bio)
		fail(-EIO, why, why_len, "%s: cannot open", path);
	return bio;
}

static int check_ca(const char *path, char *why, size_t why_len)
{
	BIO *bio = open_pem(path, why, why_len);
	if (!bio)
		return -EINVAL;
	int n = 0;
	for (;;) {
		X509 *x = PEM_read_bio_X509(bio, NULL, no_password, NULL);
		if (!x)
			break;
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		return fail(-EINVAL, why, why_len, "%s: no PEM certificate in the CA file", path);
	return 0;
}

static int check_pair(const char *cert_path, const char *key_path, char *why, size_t why_len)
{
	int rc = -EINVAL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = open_pem(cert_path, why, why_len);
	if (!bio)
		goto out;
	cert = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (!cert) {
		fail(-EINVAL, why, why_len, "%s: not a PEM certificate", cert_path);
		goto out;
	}
	bio = open_pem(key_path, why, why_len);
	if (!bio)
		goto out;
	key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (!key) {
		fail(-EINVAL, why, why_len, "%s: not an unencrypted PEM private key", key_path);
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		fail(-EINVAL, why, why_len, "%s: does not match the certificate in %s", key_path,
		     cert_path);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

int ck_click_config_load(const char *dir, struct ck_click_config *out, char *why, size_t why_len)
{
	char text[CK_BTNCONF_MAX + 1];
	char reason[256];
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ck_btnconf_path(dir, "clickbtn.conf", out->conf_path, sizeof(out->conf_path)) != 0)
		return fail(-ENAMETOOLONG, why, why_len, "%s: path too long", dir);
	rc = read_small(out->conf_path, text, sizeof(text), &len, why, why_len);
	if (rc != 0)
		return rc;
	rc = ck_btnconf_parse(text, len, &out->conf, reason, sizeof(reason));
	if (rc != 0)
		return fail(rc, why, why_len, "%s: %s", out->conf_path, reason);

	const char *files[3] = { out->conf.cert, out->conf.key, out->conf.ca };
	char *paths[3] = { out->cert, out->key, out->ca };
	for (int i = 0; i < 3; i++) {
		if (ck_btnconf_path(dir, files[i], paths[i], sizeof(out->cert)) != 0)
			return fail(-ENAMETOOLONG, why, why_len, "%s: path of %s too long",
			            out->conf_path, files[i]);
	}
	rc = check_ca(out->ca, why, why_len);
	if (rc == 0)
		rc = check_pair(out->cert, out->key, why, why_len);
	return rc;
}
