/*
 * clickctl's "thing" commands. "thing create" registers a thing, has
 * clickd's CA issue its certificate and writes everything a button needs
 * into one directory (cert.pem, key.pem, ca.pem, clickbtn.conf); "thing
 * list" shows the registry. With --bundle FILE it also (or instead) writes
 * one file that `clickbtn provision --bundle FILE` installs: clickbtn.conf's
 * lines followed by the certificate, the key and the CA certificates
 * (docs/internals/btnconf.md). The private key exists only in the API
 * reply, in memory here (cleared after use), in key.pem and in the bundle,
 * both created 0600 through a temporary file and a rename, and replaced
 * only with --force.
 */
#include "core/name.h"
#include "clickctl/clickctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_LEN 4096

static const char *const usage_hint = "try clickctl thing create --help";

/* Creates dir and missing parents, new ones 0700. Returns 0 or -errno. */
static int make_dirs(const char *dir)
{
	char path[PATH_LEN];
	struct stat st;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -errno;
		path[i] = i == n ? '\0' : '/';
	}
	if (stat(dir, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
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
 * Writes data to dir/name with exactly mode: a temporary file opened with
 * O_EXCL, fsync, then rename over the target (replace) or link, which fails
 * with -EEXIST when the target exists (!replace). Returns 0 or -errno.
 */
static int write_file(const char *dir, const char *name, const char *data, mode_t mode,
                      bool replace)
{
	char tmp[PATH_LEN], final[PATH_LEN];
	bool tmp_exists = false;
	int fd, rc = 0;

	if (snprintf(final, sizeof(final), "%s/%s", dir, name) >= (int)sizeof(final) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, name, (long)getpid()) >=
	        (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A leftover from an interrupted run of this same pid number. */
	unlink(tmp);
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	tmp_exists = true;
	if (fchmod(fd, mode) != 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, data, strlen(data));
	if (rc < 0)
		goto out;
	if (fsync(fd) != 0) {
		rc = -errno;
		goto out;
	}
	rc = close(fd) == 0 ? 0 : -errno;
	fd = -1;
	if (rc < 0)
		goto out;
	if (replace) {
		if (rename(tmp, final) != 0) {
			rc = -errno;
			goto out;
		}
		tmp_exists = false;
	} else if (link(tmp, final) != 0) {
		rc = -errno;
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp_exists)
		unlink(tmp);
	return rc;
}

/* The request body of POST /things; NULL after printing the reason, with
 * the exit status in *rc. */
static cJSON *thing_body(struct ck_ctl *c, const char *name, int *rc)
{
	const char *type = ck_cli_opt_value(c->args, CK_CTL_OPT_TYPE);
	cJSON *body = cJSON_CreateObject();
	cJSON *attrs = NULL;

	*rc = CK_CTL_EXIT_FAIL;
	if (!body || !cJSON_AddStringToObject(body, "name", name) ||
	    (type && !cJSON_AddStringToObject(body, "type", type))) {
		*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		char key[256];
		size_t key_len;

		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		if (ck_cli_attr_split(arg, &key_len) < 0 || key_len >= sizeof(key)) {
			*rc = ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                  "--attr needs KEY=VALUE with a key of 1-255 bytes, not "
			                  "\"%s\" (%s)",
			                  arg, usage_hint);
			goto out;
		}
		memcpy(key, arg, key_len);
		key[key_len] = '\0';
		if (!attrs)
			attrs = cJSON_AddObjectToObject(body, "attributes");
		if (attrs && cJSON_GetObjectItemCaseSensitive(attrs, key)) {
			*rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr %s given twice", key);
			goto out;
		}
		if (!attrs || !cJSON_AddStringToObject(attrs, key, arg + key_len + 1)) {
			*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
			goto out;
		}
	}
	*rc = CK_CTL_EXIT_OK;
out:
	if (*rc != CK_CTL_EXIT_OK) {
		cJSON_Delete(body);
		body = NULL;
	}
	return body;
}

static void clear_json_string(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		explicit_bzero(v->valuestring, strlen(v->valuestring));
}

/* Writes the four files, key first. Returns an exit status. */
static int write_device_files(const char *dir, const char *cert, const char *key, const char *ca,
                              const char *conf, bool force)
{
	static const char *const names[] = { "key.pem", "cert.pem", "ca.pem", "clickbtn.conf" };
	const char *data[] = { key, cert, ca, conf };

	for (size_t i = 0; i < 4; i++) {
		bool is_key = i == 0;
		int rc = write_file(dir, names[i], data[i], is_key ? 0600 : 0644, !is_key || force);
		if (rc == -EEXIST && is_key)
			return ck_ctl_fail(CK_CTL_EXIT_FAIL,
			                   "%s/key.pem appeared meanwhile; pass --force to replace "
			                   "it",
			                   dir);
		if (rc < 0)
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot write %s/%s: %s", dir,
			                   names[i], strerror(-rc));
	}
	return CK_CTL_EXIT_OK;
}

static int print_created(struct ck_ctl *c, const char *name, const char *dir, cJSON *cert_reply,
                         cJSON *thing)
{
	static const char *const written[] = { "cert.pem", "key.pem", "ca.pem", "clickbtn.conf" };
	char quoted[PATH_LEN * 4 + 3];
	const char *fp = ck_ctl_json_str(cert_reply, "fingerprint");
	int rc;

	if (c->json) {
		cJSON *out = cJSON_CreateObject();
		cJSON *files = out ? cJSON_AddArrayToObject(out, "files") : NULL;
		cJSON_DeleteItemFromObjectCaseSensitive(cert_reply, "privateKeyPem");
		for (size_t i = 0; files && i < 4; i++) {
			char p[PATH_LEN + 32];
			snprintf(p, sizeof(p), "%s/%s", dir, written[i]);
			cJSON_AddItemToArray(files, cJSON_CreateString(p));
		}
		bool ok = files && (thing ? cJSON_AddItemReferenceToObject(out, "thing", thing)
		                          : cJSON_AddNullToObject(out, "thing") != NULL);
		if (!ok || !cJSON_AddItemReferenceToObject(out, "certificate", cert_reply)) {
			cJSON_Delete(out);
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		}
		rc = ck_ctl_print_json(out);
		cJSON_Delete(out);
		return rc;
	}
	if (ck_cli_shell_quote(dir, quoted, sizeof(quoted)) < 0)
		snprintf(quoted, sizeof(quoted), "%s", dir);
	printf("%s thing %s, certificate %s\n", thing ? "created" : "reused", name, fp ? fp : "?");
	printf("wrote %s/cert.pem\n", dir);
	printf("wrote %s/key.pem (private key, mode 0600; clickd keeps no copy)\n", dir);
	printf("wrote %s/ca.pem\n", dir);
	printf("wrote %s/clickbtn.conf\n", dir);
	printf("next: clickbtn --config %s press single\n", quoted);
	return CK_CTL_EXIT_OK;
}

/* Splits path into its directory (or ".") and file name. Returns 0 or
 * -ENAMETOOLONG / -EINVAL (a path ending in '/'). */
static int split_path(const char *path, char *dir, size_t dir_len, const char **name)
{
	const char *slash = strrchr(path, '/');
	*name = slash ? slash + 1 : path;
	if (!**name)
		return -EINVAL;
	size_t n = slash ? (size_t)(slash - path) : 1;
	if (n + 1 > dir_len)
		return -ENAMETOOLONG;
	if (!slash)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return 0;
}

/* Writes the single-file bundle (0600): conf, certificate, key, CA. */
static int write_bundle(const char *path, const char *conf, const char *cert, const char *key,
                        const char *ca, bool force)
{
	char dir[PATH_LEN];
	const char *name;
	if (split_path(path, dir, sizeof(dir), &name) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--bundle: \"%s\" is not a file path", path);
	size_t n = strlen(conf) + strlen(cert) + strlen(key) + strlen(ca) + 4;
	char *text = malloc(n);
	if (!text)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	snprintf(text, n, "%s%s%s%s", conf, cert, key, ca);
	int rc = write_file(dir, name, text, 0600, force);
	explicit_bzero(text, n);
	free(text);
	if (rc == -EEXIST)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s exists; pass --force to replace it", path);
	if (rc < 0)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot write %s: %s", path, strerror(-rc));
	return CK_CTL_EXIT_OK;
}

/*
 * clickctl thing create NAME --out DIR [--bundle FILE] [--type T]
 * [--attr K=V]... [--force]; --out or --bundle or both.
 * Checks the output directory before anything is created on the server, so
 * a refused key.pem leaves no thing behind. Returns an exit status.
 */
int ck_ctl_thing_create(struct ck_ctl *c)
{
	const char *out_opt = ck_cli_opt_value(c->args, CK_CTL_OPT_OUT);
	const char *bundle = ck_cli_opt_value(c->args, CK_CTL_OPT_BUNDLE);
	bool force = ck_cli_opt_value(c->args, CK_CTL_OPT_FORCE) != NULL;
	struct ck_ctl_api_error e;
	cJSON *body = NULL, *thing = NULL, *reply = NULL, *empty = NULL;
	const cJSON *endpoint, *port;
	const char *name, *cert, *key, *ca, *host;
	char dir[PATH_LEN], path[PATH_LEN + 64], esc[3 * 128 + 1];
	size_t dir_len;
	char *conf = NULL;
	struct stat st;
	int rc;

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "thing create needs exactly one NAME (%s)",
		                   usage_hint);
	name = c->operands[0];
	if (!ck_name_valid(name))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "invalid thing name \"%s\": use 1-128 of a-z A-Z 0-9 : _ -",
		                   name);
	if ((!out_opt || !out_opt[0]) && (!bundle || !bundle[0]))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "thing create needs --out DIR or --bundle FILE (%s)",
		                   usage_hint);
	if (bundle && !bundle[0])
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--bundle needs a file name");
	if (bundle && !force && lstat(bundle, &st) == 0)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s exists; pass --force to replace it",
		                   bundle);
	if (!out_opt || !out_opt[0])
		out_opt = NULL;
	dir_len = out_opt ? strlen(out_opt) : 0;
	if (dir_len >= sizeof(dir))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--out: path too long");
	if (out_opt)
		memcpy(dir, out_opt, dir_len + 1);
	else
		dir[0] = '\0';
	while (dir_len > 1 && dir[dir_len - 1] == '/')
		dir[--dir_len] = '\0';
	body = thing_body(c, name, &rc);
	if (!body)
		return rc;

	rc = out_opt ? make_dirs(dir) : 0;
	if (rc < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot create %s: %s", dir, strerror(-rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if (out_opt && !force && lstat(path, &st) == 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s exists; pass --force to replace it", path);
		goto out;
	}
	if (out_opt && access(dir, W_OK) != 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot write to %s: %s", dir, strerror(errno));
		goto out;
	}

	rc = ck_ctl_api(c->http, "POST", "/things", body, &thing, &e);
	if (rc == CK_CTL_EXIT_FAIL && e.status == 409 && force) {
		fprintf(stderr, "clickctl: thing %s exists; issuing a new certificate for it\n",
		        name);
	} else if (rc == CK_CTL_EXIT_FAIL) {
		rc = ck_ctl_print_api_error(&e);
		goto out;
	} else if (rc != CK_CTL_EXIT_OK) {
		goto out;
	}

	ck_cli_url_escape(name, esc, sizeof(esc));
	snprintf(path, sizeof(path), "/things/%s/certificates", esc);
	empty = cJSON_CreateObject();
	if (!empty) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		goto out;
	}
	rc = ck_ctl_api(c->http, "POST", path, empty, &reply, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK) {
		if (thing)
			fprintf(stderr,
			        "clickctl: thing %s was created without a certificate; run the "
			        "same command with --force to issue one\n",
			        name);
		goto out;
	}

	cert = ck_ctl_json_str(reply, "certificatePem");
	key = ck_ctl_json_str(reply, "privateKeyPem");
	ca = ck_ctl_json_str(reply, "caPem");
	endpoint = cJSON_GetObjectItemCaseSensitive(reply, "endpoint");
	host = ck_ctl_json_str(endpoint, "host");
	port = cJSON_GetObjectItemCaseSensitive(endpoint, "port");
	if (!cert || !key || !ca || !host || !cJSON_IsNumber(port) || port->valuedouble < 1 ||
	    port->valuedouble > 65535) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL,
		                 "clickd's certificate reply lacks certificatePem, privateKeyPem, "
		                 "caPem or endpoint");
		goto out;
	}
	if (ck_cli_btn_conf(host, (long)port->valuedouble, name, &conf) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "clickd sent an unusable endpoint %s:%g", host,
		                 port->valuedouble);
		goto out;
	}
	rc = out_opt ? write_device_files(dir, cert, key, ca, conf, force) : CK_CTL_EXIT_OK;
	if (rc == CK_CTL_EXIT_OK && bundle)
		rc = write_bundle(bundle, conf, cert, key, ca, force);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (bundle && !c->json)
		printf("wrote %s (clickbtn.conf, certificate, private key and CA in one file, mode "
		       "0600)\n",
		       bundle);
	rc = out_opt ? print_created(c, name, dir, reply, thing) : CK_CTL_EXIT_OK;
	if (!out_opt && !c->json)
		printf("next: clickbtn provision --config DIR --bundle %s\n", bundle);
	if (!out_opt && c->json) {
		cJSON_DeleteItemFromObjectCaseSensitive(reply, "privateKeyPem");
		cJSON *o = cJSON_CreateObject();
		if (o && cJSON_AddStringToObject(o, "bundle", bundle) &&
		    cJSON_AddItemReferenceToObject(o, "certificate", reply))
			rc = ck_ctl_print_json(o);
		else
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		cJSON_Delete(o);
	}
out:
	clear_json_string(reply, "privateKeyPem");
	free(conf);
	cJSON_Delete(empty);
	cJSON_Delete(reply);
	cJSON_Delete(thing);
	cJSON_Delete(body);
	return rc;
}

/* One thing's row: NAME TYPE LOCATION ENABLED LAST-SEEN BATTERY. */
static int thing_row(struct ck_cli_table *t, const cJSON *it)
{
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(it, "attributes");
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(it, "enabled");
	const cJSON *mv = cJSON_GetObjectItemCaseSensitive(it, "batteryMv");
	char seen[40], battery[32] = "";
	if (cJSON_IsNumber(mv))
		snprintf(battery, sizeof(battery), "%.0f mV", mv->valuedouble);
	const char *row[] = { ck_ctl_json_str(it, "name"),
		              ck_ctl_json_str(it, "type"),
		              ck_ctl_json_str(attrs, "location"),
		              cJSON_IsBool(enabled) ? (cJSON_IsTrue(enabled) ? "yes" : "no") : NULL,
		              ck_ctl_json_time(it, "lastSeenAt", seen, sizeof(seen)),
		              battery };
	return ck_cli_table_add(t, row);
}

/* clickctl thing list: NAME TYPE LOCATION ENABLED LAST-SEEN BATTERY. Returns
 * an exit status. */
int ck_ctl_thing_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME",    "TYPE",      "LOCATION",
		                            "ENABLED", "LAST-SEEN", "BATTERY" };
	char path[4200];
	int rc;

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "thing list takes no arguments");
	memcpy(path, "/things", 8);
	rc = ck_ctl_thing_list_query(c, path + 7, sizeof(path) - 7);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	return ck_ctl_list_print(c, path, 6, head, thing_row);
}
