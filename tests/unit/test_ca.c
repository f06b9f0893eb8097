/*
 * Unit tests for the certificate authority (src/registry/ca.c): creation and
 * reopening in a fresh temporary directory, file modes, device and server
 * certificates verified against the CA with OpenSSL's own chain building,
 * and the errors for damaged or mismatched files.
 */
#include "registry/ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ck_test.h"

static char root[64];

static void path_in(char *out, size_t len, const char *sub, const char *name)
{
	snprintf(out, len, "%s/%s/%s", root, sub, name);
}

static X509 *pem_to_x509(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

static X509 *file_to_x509(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static int file_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	n = buf ? fread(buf, 1, 65535, f) : 0;
	(void)n;
	fclose(f);
	return buf;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Verifies leaf against the CA certificate for the given purpose; returns
 * the X509_V_* result (X509_V_OK on success). */
static int verify(X509 *ca, X509 *leaf, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (!store || !ctx || X509_STORE_add_cert(store, ca) != 1 ||
	    X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1)
		goto out;
	X509_STORE_CTX_set_purpose(ctx, purpose);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

static void test_create_and_reopen(void)
{
	char dir[128], p[256], err[256];
	struct ck_ca *ca = NULL, *again = NULL;
	char *first = NULL;

	snprintf(dir, sizeof(dir), "%s/ca", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, 0);
	CK_CHECK(ca != NULL);
	if (!ca)
		return;
	CK_CHECK_INT(file_mode(dir), ==, 0700);
	path_in(p, sizeof(p), "ca", CK_CA_KEY_FILE);
	CK_CHECK_INT(file_mode(p), ==, 0600);
	path_in(p, sizeof(p), "ca", CK_CA_CERT_FILE);
	CK_CHECK_INT(file_mode(p), ==, 0644);

	first = strdup(ck_ca_cert_pem(ca));
	char *on_disk = read_text(p);
	CK_CHECK_STR(on_disk, first);
	free(on_disk);

	X509 *x = pem_to_x509(first);
	CK_CHECK(x != NULL);
	if (x) {
		char cn[128] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		CK_CHECK(strncmp(cn, "clickd CA ", 10) == 0);
		CK_CHECK_INT(strlen(cn), ==, 10 + 16);
		CK_CHECK_INT(X509_check_ca(x), ==, 1);
		CK_CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
		CK_CHECK(X509_get0_subject_key_id(x) != NULL);
		CK_CHECK_INT(X509_get_signature_nid(x), ==, NID_ecdsa_with_SHA256);
		int crit = -1;
		BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
		CK_CHECK(bc && bc->ca);
		CK_CHECK_INT(crit, ==, 1);
		BASIC_CONSTRAINTS_free(bc);
		/* 128-bit random serial: 16 or 17 DER bytes, positive. */
		const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
		BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
		CK_CHECK(bn && !BN_is_negative(bn) && BN_num_bits(bn) > 64 &&
		         BN_num_bits(bn) <= 128);
		BN_free(bn);
		EVP_PKEY *pub = X509_get0_pubkey(x);
		char group[64] = "";
		size_t glen = 0;
		CK_CHECK(pub && EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof(group),
		                                               &glen) == 1);
		CK_CHECK_STR(group, "prime256v1");
		X509_free(x);
	}

	CK_CHECK_INT(ck_ca_open(dir, &again, err, sizeof(err)), ==, 0);
	CK_CHECK(again != NULL);
	if (again)
		CK_CHECK_STR(ck_ca_cert_pem(again), first);
	ck_ca_free(again);
	ck_ca_free(ca);
	free(first);
}

static void test_device(void)
{
	char dir[128], err[256], fp[CK_FINGERPRINT_LEN + 1], fp2[CK_FINGERPRINT_LEN + 1];
	struct ck_ca *ca = NULL;
	char *cert = NULL, *key = NULL;

	snprintf(dir, sizeof(dir), "%s/ca", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, 0);
	if (!ca)
		return;
	CK_CHECK_INT(ck_ca_issue_device(ca, "dock-1", &cert, &key, fp, err, sizeof(err)), ==, 0);
	CK_CHECK(cert && strncmp(cert, "-----BEGIN CERTIFICATE-----", 27) == 0);
	CK_CHECK(key && strncmp(key, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	CK_CHECK_INT(strlen(fp), ==, CK_FINGERPRINT_LEN);
	CK_CHECK_INT(ck_fingerprint_pem(cert, strlen(cert), fp2), ==, 0);
	CK_CHECK_STR(fp, fp2);

	X509 *cax = pem_to_x509(ck_ca_cert_pem(ca));
	X509 *x = cert ? pem_to_x509(cert) : NULL;
	CK_CHECK(cax && x);
	if (cax && x) {
		char cn[160] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		CK_CHECK_STR(cn, "dock-1");
		CK_CHECK_INT(verify(cax, x, X509_PURPOSE_SSL_CLIENT), ==, X509_V_OK);
		/* clientAuth only: not usable as a server certificate. */
		CK_CHECK(verify(cax, x, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
		CK_CHECK(X509_get_extended_key_usage(x) == XKU_SSL_CLIENT);
		CK_CHECK_INT(X509_check_ca(x), ==, 0);
		const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
		const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cax);
		CK_CHECK(akid && skid && ASN1_OCTET_STRING_cmp(akid, skid) == 0);
		/* The key returned is the certificate's key. */
		BIO *kb = BIO_new_mem_buf(key, -1);
		EVP_PKEY *pk = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
		CK_CHECK(pk && X509_check_private_key(x, pk) == 1);
		EVP_PKEY_free(pk);
		BIO_free(kb);
		/* Never valid past the CA. */
		CK_CHECK(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(cax)) <= 0);
	}
	X509_free(x);
	free(cert);
	free(key);

	/* Two issues give two different certificates. */
	char *cert2 = NULL, *key2 = NULL;
	CK_CHECK_INT(ck_ca_issue_device(ca, "dock-1", &cert2, &key2, fp2, err, sizeof(err)), ==, 0);
	CK_CHECK(strcmp(fp, fp2) != 0);
	free(cert2);
	free(key2);

	/* The longest valid thing name (beyond X.509's 64-character CN bound). */
	char long_name[129];
	memset(long_name, 'a', 128);
	long_name[128] = '\0';
	CK_CHECK_INT(ck_ca_issue_device(ca, long_name, &cert, &key, fp, err, sizeof(err)), ==, 0);
	x = cert ? pem_to_x509(cert) : NULL;
	if (x && cax) {
		char cn[160] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		CK_CHECK_STR(cn, long_name);
		CK_CHECK_INT(verify(cax, x, X509_PURPOSE_SSL_CLIENT), ==, X509_V_OK);
	}
	X509_free(x);
	free(cert);
	free(key);

	/* Invalid thing names. */
	static const char *const bad[] = {
		"",
		"a b",
		"dock/1",
		"x\n",
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CK_CHECK_INT(ck_ca_issue_device(ca, bad[i], &cert, &key, fp, err, sizeof(err)), ==,
		             -EINVAL);
		CK_CHECK(cert == NULL && key == NULL && fp[0] == '\0');
		CK_CHECK(err[0] != '\0');
	}
	X509_free(cax);
	ck_ca_free(ca);
}

static void test_server(void)
{
	char dir[128], p[256], err[256];
	struct ck_ca *ca = NULL;
	static const char *const hosts[] = { "localhost", "127.0.0.1", "::1", "broker.example",
		                             "localhost" };

	snprintf(dir, sizeof(dir), "%s/ca", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, 0);
	if (!ca)
		return;
	CK_CHECK_INT(ck_ca_issue_server(ca, hosts, 5, err, sizeof(err)), ==, 0);
	path_in(p, sizeof(p), "ca", CK_CA_SERVER_KEY);
	CK_CHECK_INT(file_mode(p), ==, 0600);
	path_in(p, sizeof(p), "ca", CK_CA_SERVER_CERT);
	CK_CHECK_INT(file_mode(p), ==, 0644);

	X509 *cax = pem_to_x509(ck_ca_cert_pem(ca));
	X509 *x = file_to_x509(p);
	CK_CHECK(cax && x);
	if (cax && x) {
		CK_CHECK_INT(X509_check_host(x, "localhost", 0, 0, NULL), ==, 1);
		CK_CHECK_INT(X509_check_host(x, "broker.example", 0, 0, NULL), ==, 1);
		CK_CHECK_INT(X509_check_host(x, "other.example", 0, 0, NULL), ==, 0);
		CK_CHECK_INT(X509_check_ip_asc(x, "127.0.0.1", 0), ==, 1);
		CK_CHECK_INT(X509_check_ip_asc(x, "::1", 0), ==, 1);
		CK_CHECK_INT(X509_check_ip_asc(x, "10.0.0.1", 0), ==, 0);
		/* An address is an IP SAN, not a DNS name. */
		CK_CHECK_INT(X509_check_host(x, "127.0.0.1", 0, 0, NULL), ==, 0);
		CK_CHECK_INT(verify(cax, x, X509_PURPOSE_SSL_SERVER), ==, X509_V_OK);
		CK_CHECK(X509_get_extended_key_usage(x) == XKU_SSL_SERVER);
		/* The repeated "localhost" is listed once. */
		GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
		CK_CHECK_INT(names ? sk_GENERAL_NAME_num(names) : -1, ==, 4);
		GENERAL_NAMES_free(names);
	}

	/* The key file holds the certificate's key. */
	path_in(p, sizeof(p), "ca", CK_CA_SERVER_KEY);
	FILE *f = fopen(p, "r");
	EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	CK_CHECK(pk && x && X509_check_private_key(x, pk) == 1);
	EVP_PKEY_free(pk);

	/* Reissuing replaces both files; no temporary files are left behind. */
	char fp1[CK_FINGERPRINT_LEN + 1], fp2[CK_FINGERPRINT_LEN + 1];
	CK_CHECK_INT(ck_fingerprint_x509(x, fp1), ==, 0);
	CK_CHECK_INT(ck_ca_issue_server(ca, hosts, 1, err, sizeof(err)), ==, 0);
	path_in(p, sizeof(p), "ca", CK_CA_SERVER_CERT);
	X509 *y = file_to_x509(p);
	CK_CHECK_INT(ck_fingerprint_x509(y, fp2), ==, 0);
	CK_CHECK(strcmp(fp1, fp2) != 0);
	X509_free(y);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep tmp)\"", dir);
	CK_CHECK_INT(system(cmd), ==, 0);

	/* Bad input. */
	static const char *const bad[] = { "" };
	CK_CHECK_INT(ck_ca_issue_server(ca, bad, 1, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK(err[0] != '\0');
	CK_CHECK_INT(ck_ca_issue_server(ca, hosts, 0, err, sizeof(err)), ==, -EINVAL);

	X509_free(x);
	X509_free(cax);
	ck_ca_free(ca);
}

static void test_errors(void)
{
	char dir[128], p[256], err[256];
	struct ck_ca *ca = NULL, *other = NULL;

	/* A corrupted key file. */
	snprintf(dir, sizeof(dir), "%s/corrupt", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, 0);
	ck_ca_free(ca);
	ca = NULL;
	path_in(p, sizeof(p), "corrupt", CK_CA_KEY_FILE);
	CK_CHECK_INT(write_text(p, "-----BEGIN PRIVATE KEY-----\nnot base64\n"
	                           "-----END PRIVATE KEY-----\n"),
	             ==, 0);
	err[0] = '\0';
	CK_CHECK(ck_ca_open(dir, &ca, err, sizeof(err)) < 0);
	CK_CHECK(ca == NULL);
	CK_CHECK(strstr(err, CK_CA_KEY_FILE) != NULL);
	CK_CHECK(strchr(err, '\n') == NULL);

	/* A key that belongs to another CA. */
	snprintf(dir, sizeof(dir), "%s/other", root);
	CK_CHECK_INT(ck_ca_open(dir, &other, err, sizeof(err)), ==, 0);
	ck_ca_free(other);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cp %s/other/ca.key %s/corrupt/ca.key", root, root);
	CK_CHECK_INT(system(cmd), ==, 0);
	err[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/corrupt", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK(strstr(err, "do not match") != NULL);

	/* A key without its certificate. */
	path_in(p, sizeof(p), "corrupt", CK_CA_CERT_FILE);
	CK_CHECK_INT(unlink(p), ==, 0);
	err[0] = '\0';
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, -ENOENT);
	CK_CHECK(strstr(err, CK_CA_CERT_FILE) != NULL);

	/* The directory is a file. */
	snprintf(dir, sizeof(dir), "%s/file", root);
	CK_CHECK_INT(write_text(dir, "x"), ==, 0);
	err[0] = '\0';
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, -ENOTDIR);
	CK_CHECK(err[0] != '\0');

	/* A missing parent directory. */
	snprintf(dir, sizeof(dir), "%s/missing/ca", root);
	CK_CHECK_INT(ck_ca_open(dir, &ca, err, sizeof(err)), ==, -ENOENT);
	CK_CHECK(ca == NULL);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/ck_test_ca.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_create_and_reopen();
	test_device();
	test_server();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return ck_test_main("ca");
}
