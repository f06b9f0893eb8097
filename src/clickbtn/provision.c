/*
 * Provisioning (see provision.h). The bundle file is split into its
 * configuration lines (everything before the first PEM header, parsed by
 * the strict clickbtn.conf parser) and its PEM blocks (parsed by OpenSSL),
 * then installed like any other credentials. The command line also takes
 * provisioning by claim (--claim), which claim.c carries out.
 */
#include "clickbtn/provision.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clickbtn/agent.h"
#include "clickbtn/claim.h"
#include "clickbtn/config.h"
#include "clickbtn/publish.h"
#include "core/name.h"
#include "device/btnconf.h"

#define BUNDLE_MAX (256 * 1024)

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return rc;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static int write_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = 0;
	while (len > 0 && rc == 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = -errno;
		else {
			data += w;
			len -= (size_t)w;
		}
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = -errno;
	if (rc != 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

/* The certificate's common name, when it is a valid thing name. */
static int cert_thing(X509 *x, char *out, size_t cap)
{
	X509_NAME *subj = X509_get_subject_name(x);
	if (!subj || X509_NAME_get_text_by_NID(subj, NID_commonName, out, (int)cap) <= 0)
		return -ENOENT;
	return ck_name_valid(out) ? 0 : -EINVAL;
}

int ck_click_install(const char *dir, const struct ck_click_install *in, char *why, size_t why_len)
{
	char thing[CK_BTNCONF_THING_MAX + 1] = "";
	char conf[2048];
	int rc = -EINVAL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int dirfd = -1;

	if (!in->endpoint || !in->endpoint[0])
		return fail(-EINVAL, why, why_len, "no endpoint given");
	if (in->port < 1 || in->port > 65535)
		return fail(-EINVAL, why, why_len, "port %d out of range", in->port);
	bio = BIO_new_mem_buf(in->cert_pem ? in->cert_pem : "", -1);
	cert = bio ? PEM_read_bio_X509(bio, NULL, no_password, NULL) : NULL;
	BIO_free(bio);
	if (!cert) {
		fail(-EINVAL, why, why_len, "the device certificate is not a PEM certificate");
		goto out;
	}
	bio = BIO_new_mem_buf(in->key_pem ? in->key_pem : "", -1);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
	BIO_free(bio);
	if (!key) {
		fail(-EINVAL, why, why_len, "the private key is not an unencrypted PEM key");
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		fail(-EINVAL, why, why_len, "the private key does not match the certificate");
		goto out;
	}
	if (in->thing && in->thing[0]) {
		snprintf(thing, sizeof(thing), "%s", in->thing);
		if (!ck_name_valid(thing)) {
			fail(-EINVAL, why, why_len, "bad thing name \"%s\"", in->thing);
			goto out;
		}
	} else if (cert_thing(cert, thing, sizeof(thing)) != 0) {
		fail(-EINVAL, why, why_len,
		     "the certificate's common name is not a thing name; give the thing");
		goto out;
	}
	int n = snprintf(conf, sizeof(conf),
	                 "# written by clickbtn provisioning\nendpoint = %s\nport = %d\n"
	                 "thing = %s\ncert = cert.pem\nkey = key.pem\nca = ca.pem\n",
	                 in->endpoint, in->port, thing);
	struct ck_btnconf check;
	char reason[256];
	if (ck_btnconf_parse(conf, (size_t)n, &check, reason, sizeof(reason)) != 0) {
		fail(-EINVAL, why, why_len, "%s", reason);
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fail(-errno, why, why_len, "%s: %s", dir, strerror(errno));
		goto out;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fail(-errno, why, why_len, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (!in->ca_pem && faccessat(dirfd, "ca.pem", R_OK, 0) != 0) {
		fail(-ENOENT, why, why_len,
		     "%s/ca.pem: missing; give the CA certificate (clickd's DATA/ca/ca.pem)", dir);
		goto out;
	}
	rc = write_atomic(dirfd, "key.pem", in->key_pem, strlen(in->key_pem), 0600);
	if (rc == 0)
		rc = write_atomic(dirfd, "cert.pem", in->cert_pem, strlen(in->cert_pem), 0644);
	if (rc == 0 && in->ca_pem)
		rc = write_atomic(dirfd, "ca.pem", in->ca_pem, strlen(in->ca_pem), 0644);
	if (rc == 0 && in->wifi_ssid && in->wifi_ssid[0]) {
		char wifi[512];
		int w = snprintf(wifi, sizeof(wifi), "ssid = %s\npassword = %s\n", in->wifi_ssid,
		                 in->wifi_password ? in->wifi_password : "");
		rc = w > 0 && (size_t)w < sizeof(wifi)
		         ? write_atomic(dirfd, "wifi.conf", wifi, (size_t)w, 0600)
		         : -ENAMETOOLONG;
	}
	if (rc == 0)
		rc = write_atomic(dirfd, "clickbtn.conf", conf, (size_t)n, 0644);
	if (rc == 0 && fsync(dirfd) != 0)
		rc = -errno;
	if (rc != 0) {
		fail(rc, why, why_len, "%s: cannot write: %s", dir, strerror(-rc));
		goto out;
	}
	struct ck_click_config cfg;
	rc = ck_click_config_load(dir, &cfg, why, why_len);
out:
	if (dirfd >= 0)
		close(dirfd);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

static char *read_file(const char *path, size_t *len, char *why, size_t why_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(-errno, why, why_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(BUNDLE_MAX + 1);
	size_t n = buf ? fread(buf, 1, BUNDLE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > BUNDLE_MAX) {
		free(buf);
		fail(-E2BIG, why, why_len, "%s: larger than %d bytes", path, BUNDLE_MAX);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Appends PEM block text (as read) to a growing string. */
static int append(char **dst, size_t *dlen, const char *src, size_t n)
{
	char *p = realloc(*dst, *dlen + n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + *dlen, src, n);
	*dlen += n;
	p[*dlen] = '\0';
	*dst = p;
	return 0;
}

static int provision_file(const char *dir, const char *path, char *why, size_t why_len)
{
	size_t len = 0;
	char *text = read_file(path, &len, why, why_len);
	if (!text)
		return -EINVAL;
	char *pem = strstr(text, "-----BEGIN ");
	size_t conf_len = pem ? (size_t)(pem - text) : len;
	struct ck_btnconf conf;
	char reason[256];
	int rc = ck_btnconf_parse(text, conf_len, &conf, reason, sizeof(reason));
	if (rc != 0) {
		free(text);
		return fail(rc, why, why_len, "%s: %s", path, reason);
	}
	/* Each PEM block, as text, sorted by kind. */
	char *certs[16] = { 0 }, *key = NULL, *ca = NULL;
	size_t ncerts = 0, ca_len = 0;
	rc = 0;
	while (pem && rc == 0) {
		const char *end = strstr(pem, "-----END ");
		const char *eol = end ? strchr(end, '\n') : NULL;
		size_t blen = eol ? (size_t)(eol + 1 - pem) : end ? strlen(pem) : 0;
		if (!end) {
			rc = fail(-EINVAL, why, why_len, "%s: a PEM block has no END line", path);
			break;
		}
		char *block = strndup(pem, blen);
		if (!block) {
			rc = -ENOMEM;
			break;
		}
		if (strncmp(pem, "-----BEGIN CERTIFICATE-----", 27) == 0 && ncerts < 16)
			certs[ncerts++] = block;
		else if (strstr(block, "PRIVATE KEY-----") && !key)
			key = block;
		else {
			free(block);
			rc = fail(-EINVAL, why, why_len, "%s: unexpected PEM block \"%.40s\"", path,
			          pem);
		}
		pem = strstr(pem + blen, "-----BEGIN ");
	}
	if (rc == 0 && (!key || ncerts == 0))
		rc = fail(-EINVAL, why, why_len, "%s: needs a certificate and its private key",
		          path);
	/* The device certificate is the one that matches the key. */
	int dev = -1;
	EVP_PKEY *k = NULL;
	if (rc == 0) {
		BIO *b = BIO_new_mem_buf(key, -1);
		k = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
		BIO_free(b);
	}
	for (size_t i = 0; rc == 0 && k && i < ncerts && dev < 0; i++) {
		BIO *b = BIO_new_mem_buf(certs[i], -1);
		X509 *x = b ? PEM_read_bio_X509(b, NULL, no_password, NULL) : NULL;
		BIO_free(b);
		if (x && X509_check_private_key(x, k) == 1)
			dev = (int)i;
		X509_free(x);
	}
	EVP_PKEY_free(k);
	ERR_clear_error();
	if (rc == 0 && dev < 0)
		rc =
		    fail(-EINVAL, why, why_len, "%s: no certificate matches the private key", path);
	for (size_t i = 0; rc == 0 && i < ncerts; i++) {
		if ((int)i != dev)
			rc = append(&ca, &ca_len, certs[i], strlen(certs[i]));
	}
	if (rc == 0) {
		struct ck_click_install in = {
			.endpoint = conf.endpoint,
			.port = conf.port,
			.thing = conf.thing,
			.cert_pem = certs[dev],
			.key_pem = key,
			.ca_pem = ca,
		};
		rc = ck_click_install(dir, &in, why, why_len);
	}
	for (size_t i = 0; i < ncerts; i++)
		free(certs[i]);
	free(key);
	free(ca);
	free(text);
	return rc;
}

static int provision_dir(const char *dir, const char *src, char *why, size_t why_len)
{
	struct ck_click_config cfg;
	int rc = ck_click_config_load(src, &cfg, why, why_len);
	if (rc != 0)
		return rc;
	size_t n;
	char *cert = read_file(cfg.cert, &n, why, why_len);
	char *key = cert ? read_file(cfg.key, &n, why, why_len) : NULL;
	char *ca = key ? read_file(cfg.ca, &n, why, why_len) : NULL;
	if (ca) {
		struct ck_click_install in = {
			.endpoint = cfg.conf.endpoint,
			.port = cfg.conf.port,
			.thing = cfg.conf.thing,
			.cert_pem = cert,
			.key_pem = key,
			.ca_pem = ca,
		};
		rc = ck_click_install(dir, &in, why, why_len);
	} else {
		rc = -EINVAL;
	}
	free(cert);
	free(key);
	free(ca);
	return rc;
}

int ck_click_provision(const char *dir, const char *bundle, char *why, size_t why_len)
{
	struct stat st;
	if (stat(bundle, &st) != 0)
		return fail(-errno, why, why_len, "%s: %s", bundle, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return provision_dir(dir, bundle, why, why_len);
	return provision_file(dir, bundle, why, why_len);
}

#define MAX_ATTRS 32

static void provision_usage(FILE *f)
{
	fputs("usage: clickbtn provision --config DIR --bundle PATH\n"
	      "       clickbtn provision --claim CLAIMDIR --template NAME --serial SERIAL\n"
	      "                          [--config DIR] [--attr KEY=VALUE]... [--timeout S]\n"
	      "                          [--verbose]\n"
	      "\n"
	      "With --bundle, installs a device bundle into DIR: a directory written by\n"
	      "clickctl thing create, or one file with clickbtn.conf's lines followed by\n"
	      "the PEM blocks (cat clickbtn.conf cert.pem key.pem ca.pem > NAME.bundle).\n"
	      "\n"
	      "With --claim, provisions by claim (AWS fleet provisioning over MQTT): makes\n"
	      "a new P-256 key and a certificate request here (the key never leaves the\n"
	      "device), connects with the claim bundle in CLAIMDIR (clickctl claims create\n"
	      "writes one) as client id SERIAL, has clickd issue a certificate and create\n"
	      "the thing from template NAME with SerialNumber=SERIAL, and writes the new\n"
	      "device directory (cert.pem, key.pem 0600, ca.pem, clickbtn.conf) into DIR,\n"
	      "complete or not at all. DIR (--out is a synonym) defaults to CLAIMDIR's\n"
	      "sibling named SERIAL and must not exist or be empty.\n"
	      "\n"
	      "  --attr KEY=VALUE   another template parameter, repeatable\n"
	      "  --timeout SECONDS  limit for the whole exchange (default 30)\n"
	      "  --verbose          show progress and the MQTT library's log on stderr\n"
	      "\n"
	      "exit status: 0 provisioned, 2 usage error, 3 a file problem (claim\n"
	      "files, output directory), 4 connection refused by the broker, 5 timed\n"
	      "out, 6 TLS failure, 8 network error, 9 refused: clickd rejected the\n"
	      "request (its message is shown) or the claim's policy does not cover it\n",
	      f);
}

static int provision_claim(const struct ck_click_claim *c)
{
	char thing[129], dir[PATH_MAX], why[1024];
	int rc = ck_click_claim_run(c, thing, sizeof(thing), dir, sizeof(dir), why, sizeof(why));
	if (rc != CK_CLICK_EXIT_OK) {
		fprintf(stderr, "clickbtn: %s\n", why);
		return rc;
	}
	printf("provisioned %s as thing %s\nnext: clickbtn run --config %s\n", dir, thing, dir);
	return CK_CLICK_EXIT_OK;
}

int ck_click_cmd_provision(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'c' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "claim", required_argument, NULL, 'C' },
		{ "template", required_argument, NULL, 'T' },
		{ "serial", required_argument, NULL, 'S' },
		{ "attr", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *bundle = NULL;
	const char *keys[MAX_ATTRS], *values[MAX_ATTRS];
	char attrs[MAX_ATTRS][512];
	struct ck_click_claim claim = { .timeout_s = 30.0,
		                        .param_keys = keys,
		                        .param_values = values };
	char why[1024];
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		char *end = NULL, *eq;
		switch (c) {
		case 'c':
			dir = optarg;
			break;
		case 'b':
			bundle = optarg;
			break;
		case 'C':
			claim.claim_dir = optarg;
			break;
		case 'T':
			claim.template_name = optarg;
			break;
		case 'S':
			claim.serial = optarg;
			break;
		case 'a':
			if (claim.n_params >= MAX_ATTRS ||
			    snprintf(attrs[claim.n_params], sizeof(attrs[0]), "%s", optarg) >=
			        (int)sizeof(attrs[0]) ||
			    !(eq = strchr(attrs[claim.n_params], '=')) ||
			    eq == attrs[claim.n_params]) {
				fprintf(
				    stderr,
				    "clickbtn: --attr wants KEY=VALUE (at most %d), not \"%s\"\n",
				    MAX_ATTRS, optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			*eq = '\0';
			keys[claim.n_params] = attrs[claim.n_params];
			values[claim.n_params++] = eq + 1;
			break;
		case 't':
			errno = 0;
			claim.timeout_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(claim.timeout_s > 0) ||
			    claim.timeout_s > 3600) {
				fprintf(
				    stderr,
				    "clickbtn: --timeout wants seconds in (0, 3600], not \"%s\"\n",
				    optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			break;
		case 'v':
			claim.verbose = true;
			break;
		case 'h':
			provision_usage(stdout);
			return CK_CLICK_EXIT_OK;
		default:
			fprintf(stderr, "clickbtn: provision: bad option \"%s\"\n",
			        argv[optind - 1]);
			return CK_CLICK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "clickbtn: provision: unexpected argument \"%s\"\n", argv[optind]);
		return CK_CLICK_EXIT_USAGE;
	}
	if (claim.claim_dir) {
		if (bundle || !claim.template_name || !claim.serial) {
			fprintf(stderr, "clickbtn: provision --claim DIR needs --template NAME and "
			                "--serial SERIAL, and no --bundle\n");
			return CK_CLICK_EXIT_USAGE;
		}
		claim.out_dir = dir;
		return provision_claim(&claim);
	}
	if (!dir || !bundle) {
		fprintf(stderr, "clickbtn: provision needs --config DIR --bundle PATH, or --claim "
		                "DIR --template NAME --serial SERIAL\n");
		return CK_CLICK_EXIT_USAGE;
	}
	if (ck_click_provision(dir, bundle, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		return CK_CLICK_EXIT_CONFIG;
	}
	printf("provisioned %s from %s\nnext: clickbtn run --config %s\n", dir, bundle, dir);
	return CK_CLICK_EXIT_OK;
}
