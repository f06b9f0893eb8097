/*
 * clickd's certificate authority (see ca.h). It owns the CA key and
 * certificate in memory for the handle's lifetime and the files under the CA
 * directory: ca.pem and ca.key, written once when the CA is created and never
 * replaced, and server.pem and server.key, replaced on every issue. Keys are
 * written through a temporary file opened with O_EXCL, fsync'd and renamed, so
 * a reader sees either the old file or the complete new one, and a private key
 * never exists on disk with a wider mode than 0600. Device keys are returned
 * to the caller and never written here. The module does not keep a list of
 * issued certificates (the store does), revoke anything, or log.
 */
#include "registry/ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "registry/pki.h"

#define CA_DAYS        3650 /* CA and device certificates: 10 years */
#define SERVER_DAYS    730  /* broker certificate: 2 years */
#define BACKDATE_SECS  3600 /* notBefore in the past, for skewed device clocks */
#define PEM_FILE_MAX   (64 * 1024)
#define THING_NAME_MAX 128
#define HOST_NAME_MAX_ 253

struct ck_ca {
	char *dir;
	EVP_PKEY *key;
	X509 *cert;
	char *cert_pem;
	char fingerprint[CK_FINGERPRINT_LEN + 1];
};

/* Formats a one-line reason into err, appending the newest OpenSSL error
 * when there is one, and clears OpenSSL's error queue. */
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_len,
                                                          const char *fmt, ...)
{
	char ssl[256] = "";
	unsigned long e = ERR_peek_last_error();
	va_list ap;

	if (e)
		ERR_error_string_n(e, ssl, sizeof(ssl));
	ERR_clear_error();
	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	if (ssl[0]) {
		size_t n = strlen(err);
		snprintf(err + n, err_len - n, " (%s)", ssl);
	}
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes data to dir/name with exactly the given mode: a temporary file in
 * the same directory (O_EXCL, so an existing file is never followed or
 * reused), fsync, then rename over the target (replace) or link to it, which
 * fails with -EEXIST if the target exists (!replace). Returns 0 or -errno.
 */
static int write_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
                      int replace)
{
	unsigned char rnd[8];
	char tmp[PATH_MAX], final[PATH_MAX];
	int fd = -1, rc = 0, tmp_exists = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	if (snprintf(final, sizeof(final), "%s/%s", dir, name) >= (int)sizeof(final))
		return -ENAMETOOLONG;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x", dir, name,
	             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
	             rnd[7]) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	tmp_exists = 1;
	/* umask may have narrowed the mode; certificates must stay readable. */
	if (fchmod(fd, mode) != 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, data, len);
	if (rc < 0)
		goto out;
	if (fsync(fd) != 0) {
		rc = -errno;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto out;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, final) != 0) {
			rc = -errno;
			goto out;
		}
		tmp_exists = 0;
	} else {
		if (link(tmp, final) != 0) {
			rc = -errno;
			goto out;
		}
	}
	rc = fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp_exists)
		unlink(tmp);
	return rc;
}

/* Reads a whole file of at most PEM_FILE_MAX bytes into a BIO. */
static int read_file_bio(const char *path, BIO **out)
{
	char buf[4096];
	BIO *bio = NULL;
	size_t total = 0;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	bio = BIO_new(BIO_s_secmem());
	if (!bio) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > PEM_FILE_MAX) {
			rc = -EFBIG;
			goto out;
		}
		if (BIO_write(bio, buf, (int)n) != (int)n) {
			rc = -ENOMEM;
			goto out;
		}
	}
	*out = bio;
	bio = NULL;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	BIO_free(bio);
	close(fd);
	return rc;
}

/* Copies a memory BIO's contents into a NUL-terminated malloc'd string. */
static char *bio_to_string(BIO *bio)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	char *s;

	if (len < 0 || !data)
		return NULL;
	s = malloc((size_t)len + 1);
	if (!s)
		return NULL;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

static char *cert_to_pem(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (bio && PEM_write_bio_X509(bio, cert) == 1)
		s = bio_to_string(bio);
	BIO_free(bio);
	return s;
}

/* PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted; the intermediate buffer is
 * secure memory, cleared when freed. */
static char *key_to_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *s = NULL;

	if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
		s = bio_to_string(bio);
	BIO_free(bio);
	return s;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static EVP_PKEY *new_p256_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int set_random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *serial = NULL;
	int ok = 0;

	if (!bn)
		return 0;
	/* 128 random bits; zero is not a valid serial, so draw again. */
	do {
		if (BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
			goto out;
	} while (BN_is_zero(bn));
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (serial && X509_set_serialNumber(cert, serial) == 1)
		ok = 1;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return ok;
}

/* Adds one extension written in OpenSSL's configuration syntax. value is
 * always a constant in this file, never derived from input. */
static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static int add_cn(X509_NAME *name, const char *cn)
{
	/*
	 * A UTF8String set directly, not through the string table, which caps
	 * commonName at 64 characters: thing names may have 128.
	 */
	return X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	                                  (const unsigned char *)cn, (int)strlen(cn), -1, 0) == 1;
}

/*
 * Creates an unsigned v3 certificate for pubkey with subject CN = cn, issued
 * by issuer (NULL: self-issued), valid from an hour ago for days, but never
 * past the issuer's notAfter. Returns NULL on failure.
 */
static X509 *new_cert(EVP_PKEY *pubkey, const char *cn, X509 *issuer, int days)
{
	X509 *cert = X509_new();
	X509_NAME *subject = X509_NAME_new();
	time_t now = time(NULL);
	int ok = 0;

	if (!cert || !subject)
		goto out;
	if (X509_set_version(cert, X509_VERSION_3) != 1 || !set_random_serial(cert))
		goto out;
	if (!add_cn(subject, cn) || X509_set_subject_name(cert, subject) != 1)
		goto out;
	if (X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject) != 1)
		goto out;
	if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, -BACKDATE_SECS, &now))
		goto out;
	if (!X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &now))
		goto out;
	if (issuer && ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuer)) > 0 &&
	    X509_set1_notAfter(cert, X509_get0_notAfter(issuer)) != 1)
		goto out;
	if (X509_set_pubkey(cert, pubkey) != 1)
		goto out;
	ok = 1;
out:
	X509_NAME_free(subject);
	if (!ok) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

/* Adds the extensions every end-entity certificate gets, with the given
 * extended key usage ("serverAuth" or "clientAuth"), and signs it. */
static int finish_leaf(X509 *cert, struct ck_ca *ca, const char *eku)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, ca->cert, cert, NULL, NULL, 0);
	if (!add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, &ctx, NID_ext_key_usage, eku) ||
	    !add_ext(cert, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
		return 0;
	return X509_sign(cert, ca->key, EVP_sha256()) > 0;
}

static int load_existing(struct ck_ca *ca, const char *key_path, const char *cert_path, char *err,
                         size_t err_len)
{
	BIO *bio = NULL;
	int rc;

	rc = read_file_bio(key_path, &bio);
	if (rc < 0) {
		set_err(err, err_len, "cannot read %s: %s", key_path, strerror(-rc));
		goto out;
	}
	ca->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!ca->key) {
		rc = -EINVAL;
		set_err(err, err_len, "%s is not a PEM private key", key_path);
		goto out;
	}
	BIO_free(bio);
	bio = NULL;

	rc = read_file_bio(cert_path, &bio);
	if (rc < 0) {
		set_err(err, err_len, "cannot read %s: %s", cert_path, strerror(-rc));
		goto out;
	}
	ca->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!ca->cert) {
		rc = -EINVAL;
		set_err(err, err_len, "%s is not a PEM certificate", cert_path);
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		rc = -EINVAL;
		set_err(err, err_len, "%s and %s do not match", key_path, cert_path);
		goto out;
	}
	if (X509_check_ca(ca->cert) == 0) {
		rc = -EINVAL;
		set_err(err, err_len, "%s is not a CA certificate", cert_path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/* Makes a new CA key and self-signed certificate in ca (memory only). */
static int make_ca(struct ck_ca *ca, char *err, size_t err_len)
{
	unsigned char rnd[8];
	char cn[64];
	X509V3_CTX ctx;
	int rc = -EIO;

	ca->key = new_p256_key();
	if (!ca->key) {
		set_err(err, err_len, "cannot generate the CA key");
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		set_err(err, err_len, "no randomness for the CA name");
		goto out;
	}
	snprintf(cn, sizeof(cn), "clickd CA %02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
	         rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	ca->cert = new_cert(ca->key, cn, NULL, CA_DAYS);
	if (!ca->cert) {
		set_err(err, err_len, "cannot build the CA certificate");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca->cert, ca->cert, NULL, NULL, 0);
	if (!add_ext(ca->cert, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(ca->cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(ca->cert, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(ca->cert, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0) {
		set_err(err, err_len, "cannot sign the CA certificate");
		goto out;
	}
	ca->cert_pem = cert_to_pem(ca->cert);
	if (!ca->cert_pem || ck_fingerprint_x509(ca->cert, ca->fingerprint) != 0) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the CA");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static int create_new(struct ck_ca *ca, char *err, size_t err_len)
{
	char *key_pem = NULL;
	int rc = make_ca(ca, err, err_len);

	if (rc < 0)
		goto out;
	key_pem = key_to_pem(ca->key);
	if (!key_pem) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the CA");
		goto out;
	}
	/* Key first: a certificate on disk always has its key next to it. */
	rc = write_file(ca->dir, CK_CA_KEY_FILE, key_pem, strlen(key_pem), 0600, 0);
	if (rc < 0) {
		set_err(err, err_len, "cannot write %s/%s: %s", ca->dir, CK_CA_KEY_FILE,
		        strerror(-rc));
		goto out;
	}
	rc = write_file(ca->dir, CK_CA_CERT_FILE, ca->cert_pem, strlen(ca->cert_pem), 0644, 0);
	if (rc < 0) {
		set_err(err, err_len, "cannot write %s/%s: %s", ca->dir, CK_CA_CERT_FILE,
		        strerror(-rc));
		goto out;
	}
	rc = 0;
out:
	free_secret(key_pem);
	return rc;
}

/*
 * Opens or creates the CA in dir (see ca.h). An existing CA needs both ca.key
 * and ca.pem, matching, the certificate a CA; a key without a certificate (or
 * the reverse) is an error rather than a reason to start over, because
 * devices may hold certificates the old key signed.
 */
int ck_ca_open(const char *dir, struct ck_ca **out, char *err, size_t err_len)
{
	struct ck_ca *ca = NULL;
	char *key_path = NULL, *cert_path = NULL;
	struct stat st;
	int have_key, have_cert, rc;

	*out = NULL;
	if (err && err_len)
		err[0] = '\0';
	if (!dir || !dir[0]) {
		rc = -EINVAL;
		set_err(err, err_len, "no CA directory given");
		goto out;
	}
	ca = calloc(1, sizeof(*ca));
	if (ca)
		ca->dir = strdup(dir);
	key_path = path_join(dir, CK_CA_KEY_FILE);
	cert_path = path_join(dir, CK_CA_CERT_FILE);
	if (!ca || !ca->dir || !key_path || !cert_path) {
		rc = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		set_err(err, err_len, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = -ENOTDIR;
		set_err(err, err_len, "%s is not a directory", dir);
		goto out;
	}

	have_key = access(key_path, F_OK) == 0;
	have_cert = access(cert_path, F_OK) == 0;
	if (have_key && have_cert) {
		rc = load_existing(ca, key_path, cert_path, err, err_len);
		if (rc < 0)
			goto out;
		ca->cert_pem = cert_to_pem(ca->cert);
		if (!ca->cert_pem || ck_fingerprint_x509(ca->cert, ca->fingerprint) != 0) {
			rc = -ENOMEM;
			set_err(err, err_len, "cannot encode the CA certificate");
			goto out;
		}
	} else if (have_key || have_cert) {
		rc = -ENOENT;
		set_err(err, err_len, "%s exists but %s does not; restore it or move both away",
		        have_key ? key_path : cert_path, have_key ? cert_path : key_path);
		goto out;
	} else {
		rc = create_new(ca, err, err_len);
		if (rc < 0)
			goto out;
	}
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	ck_ca_free(ca);
	free(key_path);
	free(cert_path);
	ERR_clear_error();
	return rc;
}

/* Frees the handle and the CA key in memory; NULL is a no-op. */
void ck_ca_free(struct ck_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->cert_pem);
	free(ca->dir);
	free(ca);
}

/* The CA certificate in PEM, borrowed from the handle. */
const char *ck_ca_cert_pem(const struct ck_ca *ca)
{
	return ca->cert_pem;
}

static int host_is_valid(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > HOST_NAME_MAX_)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* True when hosts[i] already appeared in hosts[0..i): callers may list a
 * name twice (an endpoint that is also "localhost"). */
static int seen_before(const char *const *hosts, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (strcmp(hosts[k], hosts[i]) == 0)
			return 1;
	}
	return 0;
}

/* Appends one host as an IP or DNS GeneralName. */
static int add_san(GENERAL_NAMES *names, const char *host)
{
	unsigned char addr[16];
	GENERAL_NAME *gn = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	ASN1_IA5STRING *dns = NULL;
	int len = 0, ok = 0;

	if (inet_pton(AF_INET, host, addr) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		len = 16;

	gn = GENERAL_NAME_new();
	if (!gn)
		goto out;
	if (len > 0) {
		ip = ASN1_OCTET_STRING_new();
		if (!ip || ASN1_OCTET_STRING_set(ip, addr, len) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		ip = NULL;
	} else {
		dns = ASN1_IA5STRING_new();
		if (!dns || ASN1_STRING_set(dns, host, (int)strlen(host)) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
		dns = NULL;
	}
	if (sk_GENERAL_NAME_push(names, gn) <= 0)
		goto out;
	gn = NULL;
	ok = 1;
out:
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gn);
	return ok;
}

/*
 * Issues the broker certificate (see ca.h). Writes server.key, then
 * server.pem, each replacing the previous file atomically. Not to be called
 * concurrently with itself on one handle.
 */
int ck_ca_issue_server(struct ck_ca *ca, const char *const *hosts, size_t n_hosts, char *err,
                       size_t err_len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	GENERAL_NAMES *names = NULL;
	char *key_pem = NULL, *cert_pem = NULL;
	int rc = -EINVAL;

	if (err && err_len)
		err[0] = '\0';
	if (n_hosts == 0) {
		set_err(err, err_len, "the server certificate needs at least one host name");
		goto out;
	}
	names = sk_GENERAL_NAME_new_null();
	if (!names) {
		rc = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_hosts; i++) {
		if (!hosts[i] || !host_is_valid(hosts[i])) {
			set_err(err, err_len,
			        "invalid host name for the server certificate: \"%s\"",
			        hosts[i] ? hosts[i] : "(null)");
			goto out;
		}
		if (seen_before(hosts, i))
			continue;
		if (!add_san(names, hosts[i])) {
			rc = -ENOMEM;
			set_err(err, err_len, "cannot encode host name \"%s\"", hosts[i]);
			goto out;
		}
	}

	rc = -EIO;
	key = new_p256_key();
	if (!key) {
		set_err(err, err_len, "cannot generate the server key");
		goto out;
	}
	cert = new_cert(key, "clickd broker", ca->cert, SERVER_DAYS);
	if (!cert ||
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1 ||
	    !finish_leaf(cert, ca, "serverAuth")) {
		set_err(err, err_len, "cannot build the server certificate");
		goto out;
	}
	key_pem = key_to_pem(key);
	cert_pem = cert_to_pem(cert);
	if (!key_pem || !cert_pem) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the server certificate");
		goto out;
	}
	rc = write_file(ca->dir, CK_CA_SERVER_KEY, key_pem, strlen(key_pem), 0600, 1);
	if (rc < 0) {
		set_err(err, err_len, "cannot write %s/%s: %s", ca->dir, CK_CA_SERVER_KEY,
		        strerror(-rc));
		goto out;
	}
	rc = write_file(ca->dir, CK_CA_SERVER_CERT, cert_pem, strlen(cert_pem), 0644, 1);
	if (rc < 0) {
		set_err(err, err_len, "cannot write %s/%s: %s", ca->dir, CK_CA_SERVER_CERT,
		        strerror(-rc));
		goto out;
	}
	rc = 0;
out:
	free_secret(key_pem);
	free(cert_pem);
	GENERAL_NAMES_free(names);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

static int thing_is_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > THING_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * Issues a device certificate (see ca.h). Returns -EINVAL when thing is not a
 * valid thing name ([a-zA-Z0-9:_-]{1,128}), -ENOMEM or -EIO otherwise on
 * failure; on failure *cert_pem and *key_pem are NULL. Touches no files, so
 * it may run on several threads at once with one handle (the CA key is only
 * read).
 */
int ck_ca_issue_device(struct ck_ca *ca, const char *thing, char **cert_pem, char **key_pem,
                       char fingerprint[CK_FINGERPRINT_LEN + 1], char *err, size_t err_len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *c = NULL, *k = NULL;
	int rc = -EINVAL;

	*cert_pem = NULL;
	*key_pem = NULL;
	fingerprint[0] = '\0';
	if (err && err_len)
		err[0] = '\0';
	if (!thing || !thing_is_valid(thing)) {
		set_err(err, err_len, "invalid thing name");
		goto out;
	}
	rc = -EIO;
	key = new_p256_key();
	if (!key) {
		set_err(err, err_len, "cannot generate the device key");
		goto out;
	}
	cert = new_cert(key, thing, ca->cert, CA_DAYS);
	if (!cert || !finish_leaf(cert, ca, "clientAuth")) {
		set_err(err, err_len, "cannot build the device certificate");
		goto out;
	}
	if (ck_fingerprint_x509(cert, fingerprint) != 0) {
		set_err(err, err_len, "cannot fingerprint the device certificate");
		goto out;
	}
	c = cert_to_pem(cert);
	k = key_to_pem(key);
	if (!c || !k) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the device certificate");
		goto out;
	}
	*cert_pem = c;
	*key_pem = k;
	c = NULL;
	k = NULL;
	rc = 0;
out:
	if (rc < 0)
		fingerprint[0] = '\0';
	free(c);
	free_secret(k);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

const char *ck_ca_fingerprint(const struct ck_ca *ca)
{
	return ca->fingerprint;
}

/* Lowercase hex of a certificate's serial into out (at most 40 bytes of
 * serial). Returns 0 or -EINVAL. */
static int serial_hex(X509 *cert, char out[CK_CA_SERIAL_HEX_MAX + 1])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = -EINVAL;

	if (hex && strlen(hex) <= CK_CA_SERIAL_HEX_MAX) {
		size_t i;
		for (i = 0; hex[i]; i++)
			out[i] =
			    (char)((hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] - 'A' + 'a' : hex[i]);
		out[i] = '\0';
		rc = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

int ck_ca_cert_serial(const char *pem, char out[CK_CA_SERIAL_HEX_MAX + 1])
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int rc = x ? serial_hex(x, out) : -EINVAL;

	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/*
 * Issues a certificate for the public key of a device's CSR (see ca.h).
 * The CSR's subject and extensions are ignored: the certificate says only
 * what clickd decides (CN = thing, clientAuth), like a key clickd made.
 */
int ck_ca_issue_csr(struct ck_ca *ca, const char *thing, const char *csr_pem, char **cert_pem,
                    char fingerprint[CK_FINGERPRINT_LEN + 1], char serial[CK_CA_SERIAL_HEX_MAX + 1],
                    char *err, size_t err_len)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	char *c = NULL;
	int rc = -EINVAL;

	*cert_pem = NULL;
	fingerprint[0] = '\0';
	serial[0] = '\0';
	if (err && err_len)
		err[0] = '\0';
	if (!thing || !thing_is_valid(thing)) {
		set_err(err, err_len, "invalid thing name");
		goto out;
	}
	rc = ck_pki_csr_parse(csr_pem, csr_pem ? strlen(csr_pem) : 0, &req, err, err_len);
	if (rc < 0)
		goto out;
	rc = -EIO;
	pub = X509_REQ_get_pubkey(req);
	cert = pub ? new_cert(pub, thing, ca->cert, CA_DAYS) : NULL;
	if (!cert || !finish_leaf(cert, ca, "clientAuth")) {
		set_err(err, err_len, "cannot build the device certificate");
		goto out;
	}
	if (ck_fingerprint_x509(cert, fingerprint) != 0 || serial_hex(cert, serial) != 0) {
		set_err(err, err_len, "cannot fingerprint the device certificate");
		goto out;
	}
	c = cert_to_pem(cert);
	if (!c) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the device certificate");
		goto out;
	}
	*cert_pem = c;
	rc = 0;
out:
	if (rc < 0) {
		fingerprint[0] = '\0';
		serial[0] = '\0';
	}
	X509_free(cert);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

int ck_ca_issue_device_serial(struct ck_ca *ca, const char *thing, char **cert_pem, char **key_pem,
                              char fingerprint[CK_FINGERPRINT_LEN + 1],
                              char serial[CK_CA_SERIAL_HEX_MAX + 1], char *err, size_t err_len)
{
	int rc = ck_ca_issue_device(ca, thing, cert_pem, key_pem, fingerprint, err, err_len);

	serial[0] = '\0';
	if (rc == 0 && ck_ca_cert_serial(*cert_pem, serial) != 0)
		serial[0] = '\0';
	return rc;
}

/* Adds one revoked entry to crl. */
static int crl_add(X509_CRL *crl, const char *serial, int64_t revoked_ms)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_TIME *when = NULL;
	int ok = 0;

	if (!rev || BN_hex2bn(&bn, serial) == 0)
		goto out;
	num = BN_to_ASN1_INTEGER(bn, NULL);
	when = ASN1_TIME_set(NULL, (time_t)(revoked_ms / 1000));
	if (!num || !when || X509_REVOKED_set_serialNumber(rev, num) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1)
		goto out;
	if (X509_CRL_add0_revoked(crl, rev) != 1)
		goto out;
	rev = NULL;
	ok = 1;
out:
	X509_REVOKED_free(rev);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(num);
	BN_free(bn);
	return ok;
}

/*
 * Signs a CRL listing serials (see ca.h).
 */
int ck_ca_crl(struct ck_ca *ca, const struct ck_ca_revoked *revoked, size_t n, int64_t crl_number,
              int64_t this_update_s, char **crl_pem, char *err, size_t err_len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)this_update_s);
	ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)this_update_s + (time_t)CA_DAYS * 86400);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	BIO *bio = NULL;
	X509V3_CTX ctx;
	int rc = -EIO;

	*crl_pem = NULL;
	if (!crl || !last || !next || !num || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 || X509_CRL_set1_nextUpdate(crl, next) != 1 ||
	    ASN1_INTEGER_set_int64(num, crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1) {
		set_err(err, err_len, "cannot build the CRL");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!crl_add(crl, revoked[i].serial, revoked[i].revoked_ms)) {
			rc = -EINVAL;
			set_err(err, err_len, "bad serial %s", revoked[i].serial);
			goto out;
		}
	}
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	X509_EXTENSION *akid =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!akid || X509_CRL_add_ext(crl, akid, -1) != 1) {
		X509_EXTENSION_free(akid);
		set_err(err, err_len, "cannot build the CRL");
		goto out;
	}
	X509_EXTENSION_free(akid);
	if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0) {
		set_err(err, err_len, "cannot sign the CRL");
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_X509_CRL(bio, crl) != 1) {
		set_err(err, err_len, "cannot encode the CRL");
		goto out;
	}
	*crl_pem = bio_to_string(bio);
	rc = *crl_pem ? 0 : -ENOMEM;
out:
	BIO_free(bio);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	ERR_clear_error();
	return rc;
}

/* The name an earlier CA is kept under: ca-<first 16 hex of its fingerprint>. */
static void archived_name(const char *fp, const char *ext, char *out, size_t cap)
{
	snprintf(out, cap, "ca-%.16s.%s", fp, ext);
}

int ck_ca_open_archived(const char *dir, const char *fingerprint, struct ck_ca **out, char *err,
                        size_t err_len)
{
	char kname[64], cname[64];
	char *key_path = NULL, *cert_path = NULL;
	struct ck_ca *ca = calloc(1, sizeof(*ca));
	int rc = -ENOMEM;

	*out = NULL;
	archived_name(fingerprint, "key", kname, sizeof(kname));
	archived_name(fingerprint, "pem", cname, sizeof(cname));
	key_path = path_join(dir, kname);
	cert_path = path_join(dir, cname);
	if (!ca || !key_path || !cert_path || !(ca->dir = strdup(dir))) {
		set_err(err, err_len, "out of memory");
		goto out;
	}
	rc = load_existing(ca, key_path, cert_path, err, err_len);
	if (rc < 0)
		goto out;
	ca->cert_pem = cert_to_pem(ca->cert);
	if (!ca->cert_pem || ck_fingerprint_x509(ca->cert, ca->fingerprint) != 0) {
		rc = -ENOMEM;
		set_err(err, err_len, "cannot encode the CA certificate");
		goto out;
	}
	if (strcmp(ca->fingerprint, fingerprint) != 0) {
		rc = -EINVAL;
		set_err(err, err_len, "%s is not the CA %.16s...", cert_path, fingerprint);
		goto out;
	}
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	ck_ca_free(ca);
	free(key_path);
	free(cert_path);
	ERR_clear_error();
	return rc;
}

/*
 * Replaces the signing CA (see ca.h): the current pair is first linked to
 * its archive names (never replacing a file), then a new pair is written
 * over ca.key and ca.pem. The handle then signs with the new CA.
 */
int ck_ca_rotate(struct ck_ca *ca, char *err, size_t err_len)
{
	struct ck_ca fresh = { .dir = ca->dir };
	char *key_pem = NULL;
	char kname[64], cname[64];
	int rc;

	key_pem = key_to_pem(ca->key);
	if (!key_pem) {
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	archived_name(ca->fingerprint, "key", kname, sizeof(kname));
	archived_name(ca->fingerprint, "pem", cname, sizeof(cname));
	rc = write_file(ca->dir, kname, key_pem, strlen(key_pem), 0600, 0);
	if (rc == 0 || rc == -EEXIST)
		rc = write_file(ca->dir, cname, ca->cert_pem, strlen(ca->cert_pem), 0644, 0);
	free_secret(key_pem);
	key_pem = NULL;
	if (rc < 0 && rc != -EEXIST) {
		set_err(err, err_len, "cannot keep the current CA as %s/%s: %s", ca->dir, cname,
		        strerror(-rc));
		return rc;
	}
	rc = make_ca(&fresh, err, err_len);
	if (rc < 0)
		goto fail;
	key_pem = key_to_pem(fresh.key);
	if (!key_pem) {
		rc = -ENOMEM;
		set_err(err, err_len, "out of memory");
		goto fail;
	}
	rc = write_file(ca->dir, CK_CA_KEY_FILE, key_pem, strlen(key_pem), 0600, 1);
	if (rc == 0)
		rc = write_file(ca->dir, CK_CA_CERT_FILE, fresh.cert_pem, strlen(fresh.cert_pem),
		                0644, 1);
	if (rc < 0) {
		set_err(err, err_len, "cannot write the new CA in %s: %s", ca->dir, strerror(-rc));
		goto fail;
	}
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->cert_pem);
	ca->key = fresh.key;
	ca->cert = fresh.cert;
	ca->cert_pem = fresh.cert_pem;
	memcpy(ca->fingerprint, fresh.fingerprint, sizeof(ca->fingerprint));
	free_secret(key_pem);
	ERR_clear_error();
	return 0;
fail:
	free_secret(key_pem);
	EVP_PKEY_free(fresh.key);
	X509_free(fresh.cert);
	free(fresh.cert_pem);
	ERR_clear_error();
	return rc;
}

int ck_ca_issue_server_by(struct ck_ca *signer, struct ck_ca *ca, const char *const *hosts,
                          size_t n_hosts, char *err, size_t err_len)
{
	/* The server certificate is written into ca's directory but signed by
	 * signer, which lends its key and certificate for the call. */
	struct ck_ca view = *signer;

	view.dir = ca->dir;
	return ck_ca_issue_server(&view, hosts, n_hosts, err, err_len);
}
