/*
 * Registry snapshot writer (see snapshot.h). Writes format 2: certificates,
 * things with their types and attributes, the default version of every
 * policy and the policy attachments, each record on one bounded line;
 * values that may hold spaces (attribute values, policy documents) are
 * base64. The store validated every field, so nothing here re-checks them.
 */
#include "registry/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "store/store_policies.h"

static int write_cert(const char *fp, const char *thing, const char *status, void *ctx)
{
	FILE *f = ctx;
	return fprintf(f, "cert %s %s %s\n", fp, thing, status) < 0 ? -EIO : 0;
}

/* Writes " <base64 of s>" ("-" for an empty string). */
static int write_b64(FILE *f, const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return fputs(" -", f) < 0 ? -EIO : 0;
	if (len > (size_t)CK_SNAPSHOT_VALUE_MAX)
		return -E2BIG;
	unsigned char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return -ENOMEM;
	EVP_EncodeBlock(out, (const unsigned char *)s, (int)len);
	int rc = fprintf(f, " %s", out) < 0 ? -EIO : 0;
	free(out);
	return rc;
}

static int write_thing(const char *name, const char *type, const char *attributes, void *ctx)
{
	FILE *f = ctx;

	if (fprintf(f, "thing %s%s%s\n", name, type && type[0] ? " " : "", type ? type : "") < 0)
		return -EIO;
	cJSON *attrs = cJSON_Parse(attributes ? attributes : "{}");
	const cJSON *a;
	int rc = 0;
	cJSON_ArrayForEach(a, attrs)
	{
		/* The API caps values at 800 bytes; never let one sink the file. */
		if (!cJSON_IsString(a) || strlen(a->valuestring) > CK_SNAPSHOT_VALUE_MAX)
			continue;
		if (fprintf(f, "attr %s %s", name, a->string) < 0)
			rc = -EIO;
		if (!rc)
			rc = write_b64(f, a->valuestring);
		if (!rc && fputc('\n', f) == EOF)
			rc = -EIO;
		if (rc)
			break;
	}
	cJSON_Delete(attrs);
	return rc;
}

static int write_policy(const char *name, const char *document, void *ctx)
{
	FILE *f = ctx;

	if (fprintf(f, "policy %s", name) < 0)
		return -EIO;
	int rc = write_b64(f, document);
	if (!rc && fputc('\n', f) == EOF)
		rc = -EIO;
	return rc;
}

static int write_attach(const char *fp, const char *policy, void *ctx)
{
	FILE *f = ctx;
	return fprintf(f, "attach %s %s\n", fp, policy) < 0 ? -EIO : 0;
}

static int write_snapshot(struct ck_store *s, const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		ck_error("registry", "cannot write %s: %s", tmp, strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	int rc = fprintf(f, "%s\n", CK_SNAPSHOT_HEADER) < 0 ? -EIO : 0;
	if (rc == 0)
		rc = ck_store_cert_each(s, write_cert, f);
	if (rc == 0)
		rc = ck_store_thing_registry_each(s, write_thing, f);
	if (rc == 0)
		rc = ck_store_policy_default_each(s, write_policy, f);
	if (rc == 0)
		rc = ck_store_policy_attachment_each(s, write_attach, f);
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = rc ? rc : -EIO;
	fclose(f);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		ck_error("registry", "cannot write registry snapshot %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* The HTTP thread and the provisioner both rewrite the snapshot: one
 * writer at a time, each reading the store afresh under the lock, so the
 * last rename always holds every change committed before it began. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

int ck_snapshot_write(struct ck_store *s, const char *path)
{
	pthread_mutex_lock(&write_lock);
	int rc = write_snapshot(s, path);
	pthread_mutex_unlock(&write_lock);
	return rc;
}
