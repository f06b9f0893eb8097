/*
 * The broker's trust files (see trust.h). CRL numbers are Unix seconds,
 * raised by one when two syncs fall in the same second, so they only grow.
 * lastUpdate is an hour back, like certificates' notBefore: a CRL that is
 * "not yet valid" fails every certificate of its CA. mosquitto builds a
 * new TLS context on reload when a crlfile is set, so the CRL it loads
 * last is the only one it holds.
 */
#include "registry/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "registry/pki.h"
#include "store/store_registry.h"

struct buf {
	char *p;
	size_t len;
	int rc;
};

static void buf_add(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *p;

	if (b->rc || n == 0)
		return;
	p = realloc(b->p, b->len + n + 2);
	if (!p) {
		b->rc = -ENOMEM;
		return;
	}
	memcpy(p + b->len, s, n);
	b->len += n;
	if (p[b->len - 1] != '\n')
		p[b->len++] = '\n';
	p[b->len] = '\0';
	b->p = p;
}

int ck_trust_register_self(struct ck_store *s, struct ck_ca *ca, int64_t now_ms)
{
	struct ck_pki_cert info;
	const char *pem = ck_ca_cert_pem(ca);
	char err[256];
	int rc = ck_pki_cert_parse(pem, strlen(pem), &info, err, sizeof(err));

	if (rc) {
		ck_error("registry", "clickd's CA certificate: %s", err);
		return rc;
	}
	struct ck_ca_row row = {
		.fingerprint = ck_ca_fingerprint(ca),
		.pem = pem,
		.subject = info.subject,
		.origin = "clickd",
		.status = "active",
		.created_ms = now_ms,
	};
	rc = ck_store_ca_put(s, &row);
	return rc == -EEXIST ? 0 : rc;
}

struct revoked_list {
	struct ck_ca_revoked *v;
	char (*serials)[CK_PKI_SERIAL_MAX + 1];
	size_t n, cap;
};

static int collect_revoked(const char *serial, int64_t revoked_ms, void *ctx)
{
	struct revoked_list *l = ctx;

	if (strlen(serial) > CK_PKI_SERIAL_MAX)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		v = realloc(l->serials, cap * sizeof(*l->serials));
		if (!v)
			return -ENOMEM;
		l->serials = v;
		l->cap = cap;
	}
	snprintf(l->serials[l->n], sizeof(l->serials[0]), "%s", serial);
	l->v[l->n].revoked_ms = revoked_ms;
	l->n++;
	return 0;
}

/* A clickd CA that needs a new CRL: its fingerprint and previous number. */
struct own_ca {
	char fp[CK_FINGERPRINT_LEN + 1];
	int64_t number;
};

struct own_list {
	struct own_ca v[32];
	size_t n;
};

static int collect_own(const struct ck_ca_row *r, void *ctx)
{
	struct own_list *l = ctx;

	if (strcmp(r->origin, "clickd") != 0 || strcmp(r->status, "active") != 0 ||
	    l->n == sizeof(l->v) / sizeof(l->v[0]))
		return 0;
	snprintf(l->v[l->n].fp, sizeof(l->v[0].fp), "%s", r->fingerprint);
	l->v[l->n].number = r->crl_number;
	l->n++;
	return 0;
}

/* Signs and stores a fresh CRL for the clickd CA o. */
static int resign(struct ck_store *s, struct ck_ca *current, const char *ca_dir,
                  const struct own_ca *o, int64_t now_ms)
{
	struct ck_ca *signer = current, *archived = NULL;
	struct revoked_list l = { 0 };
	char err[256], *crl = NULL;
	int rc;

	if (strcmp(o->fp, ck_ca_fingerprint(current)) != 0) {
		rc = ck_ca_open_archived(ca_dir, o->fp, &archived, err, sizeof(err));
		if (rc) {
			ck_error("registry", "cannot open earlier CA %.16s... to sign its CRL: %s",
			         o->fp, err);
			return rc;
		}
		signer = archived;
	}
	rc = ck_store_cert_revoked_each(s, o->fp, collect_revoked, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		l.v[i].serial = l.serials[i];
	int64_t number = now_ms / 1000;
	if (number <= o->number)
		number = o->number + 1;
	if (rc == 0)
		rc = ck_ca_crl(signer, l.v, l.n, number, now_ms / 1000 - 3600, &crl, err,
		               sizeof(err));
	if (rc == 0)
		rc = ck_store_ca_set_crl(s, o->fp, crl, number, now_ms);
	else
		ck_error("registry", "cannot sign the CRL of CA %.16s...: %s", o->fp, err);
	free(crl);
	free(l.v);
	free(l.serials);
	ck_ca_free(archived);
	return rc;
}

struct files {
	struct buf trust, crl;
};

static int collect_files(const struct ck_ca_row *r, void *ctx)
{
	struct files *f = ctx;

	if (strcmp(r->status, "active") != 0)
		return 0;
	buf_add(&f->trust, r->pem);
	buf_add(&f->crl, r->crl_pem);
	return f->trust.rc ? f->trust.rc : f->crl.rc;
}

/* Writes data to dir/name (0644) through a temporary file and a rename,
 * unless it already holds exactly data; sets *changed when it wrote. */
static int write_if_changed(const char *dir, const char *name, const char *data, bool *changed)
{
	char path[4096], tmp[4200];
	size_t len = data ? strlen(data) : 0;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	FILE *old = fopen(path, "rb");
	if (old) {
		char *cur = malloc(len + 2);
		size_t n = cur ? fread(cur, 1, len + 1, old) : 0;
		bool same = cur && n == len && memcmp(cur, data ? data : "", len) == 0;
		free(cur);
		fclose(old);
		if (same)
			return 0;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) != 0 || (len && write(fd, data, len) != (ssize_t)len) ||
	    fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	else
		*changed = true;
	return rc;
}

int ck_trust_sync(struct ck_store *s, struct ck_ca *ca, const char *ca_dir, int64_t now_ms,
                  bool *changed)
{
	struct own_list own = { .n = 0 };
	struct files f = { { 0 }, { 0 } };
	int rc = ck_store_ca_each(s, collect_own, &own);

	*changed = false;
	for (size_t i = 0; rc == 0 && i < own.n; i++)
		rc = resign(s, ca, ca_dir, &own.v[i], now_ms);
	if (rc == 0)
		rc = ck_store_ca_each(s, collect_files, &f);
	if (rc == 0)
		rc = write_if_changed(ca_dir, CK_TRUST_FILE, f.trust.p, changed);
	if (rc == 0)
		rc = write_if_changed(ca_dir, CK_CRL_FILE, f.crl.p, changed);
	if (rc)
		ck_error("registry", "cannot write the broker's CA bundle or CRL in %s: %s", ca_dir,
		         strerror(-rc));
	free(f.trust.p);
	free(f.crl.p);
	return rc;
}

struct device_bundle {
	struct buf b;
	const char *pems[32];
	size_t n;
};

static int collect_device(const struct ck_ca_row *r, void *ctx)
{
	struct device_bundle *d = ctx;

	if (strcmp(r->origin, "clickd") == 0 && strcmp(r->status, "active") == 0 &&
	    d->n < sizeof(d->pems) / sizeof(d->pems[0]))
		buf_add(&d->b, r->pem);
	return d->b.rc;
}

char *ck_trust_device_bundle(struct ck_store *s)
{
	struct device_bundle d = { .n = 0 };

	if (ck_store_ca_each(s, collect_device, &d) != 0 || d.b.rc) {
		free(d.b.p);
		return NULL;
	}
	return d.b.p;
}

static int first_own(const struct ck_ca_row *r, void *ctx)
{
	char *out = ctx;

	if (strcmp(r->origin, "clickd") != 0 || strcmp(r->status, "active") != 0)
		return 0;
	snprintf(out, CK_FINGERPRINT_LEN + 1, "%s", r->fingerprint);
	return 1;
}

int ck_trust_server_signer(struct ck_store *s, char out[CK_FINGERPRINT_LEN + 1])
{
	out[0] = '\0';
	int rc = ck_store_ca_each(s, first_own, out);
	if (rc < 0)
		return rc;
	return out[0] ? 0 : -ENOENT;
}
