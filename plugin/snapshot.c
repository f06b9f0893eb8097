/*
 * Registry snapshot parsing and reloading (see snapshot.h). The parser
 * copies the text once, cuts it into NUL-terminated fields in place and
 * indexes the records by fingerprint; thing names point into that copy, so
 * a registry is two allocations. The loader is the only code that touches
 * the file; it logs through logging.h and keeps the last good registry when
 * anything about a new file is wrong.
 */
#include "core/name.h"
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "logging.h"

#define WARN_LINES_MAX 20 /* skipped lines logged individually per load */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ck_plugin_fp_decode(const char *hex, size_t len, unsigned char out[32])
{
	if (!hex || len != 64)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_value(hex[2 * i]);
		int lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

const char *ck_plugin_cert_status_name(int status)
{
	switch (status) {
	case CK_PLUGIN_CERT_ACTIVE:
		return "active";
	case CK_PLUGIN_CERT_INACTIVE:
		return "inactive";
	case CK_PLUGIN_CERT_REVOKED:
		return "revoked";
	default:
		return "unknown";
	}
}

/* The fingerprint is already a uniform hash: its first bytes are the index. */
static size_t slot_of(const unsigned char fp[32], size_t nslots)
{
	uint64_t h = 0;

	memcpy(&h, fp, sizeof(h));
	return (size_t)h & (nslots - 1);
}

/* Inserts rec into a table known to have a free slot. Returns false when the
 * fingerprint is already present. */
static bool table_insert(struct ck_plugin_cert *slots, size_t nslots,
                         const struct ck_plugin_cert *rec)
{
	size_t i = slot_of(rec->fp, nslots);

	while (slots[i].status) {
		if (memcmp(slots[i].fp, rec->fp, 32) == 0)
			return false;
		i = (i + 1) & (nslots - 1);
	}
	slots[i] = *rec;
	return true;
}

/* Keeps the load factor at or below one half. */
static int table_grow(struct ck_plugin_registry *reg)
{
	size_t nslots = reg->nslots ? reg->nslots * 2 : 64;
	struct ck_plugin_cert *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < reg->nslots; i++) {
		if (reg->slots[i].status)
			table_insert(slots, nslots, &reg->slots[i]);
	}
	free(reg->slots);
	reg->slots = slots;
	reg->nslots = nslots;
	return 0;
}

static int status_parse(const char *s)
{
	if (strcmp(s, "active") == 0)
		return CK_PLUGIN_CERT_ACTIVE;
	if (strcmp(s, "inactive") == 0)
		return CK_PLUGIN_CERT_INACTIVE;
	if (strcmp(s, "revoked") == 0)
		return CK_PLUGIN_CERT_REVOKED;
	return 0;
}

/*
 * Parses one NUL-terminated line "cert <fp> <thing> <status>" in place.
 * Returns NULL and fills rec, or a static reason for skipping the line.
 */
static const char *parse_record(char *line, struct ck_plugin_cert *rec)
{
	char *field[4];
	size_t nfields = 0;
	char *p = line;

	for (;;) {
		if (nfields == 4)
			return "too many fields";
		field[nfields++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	if (strcmp(field[0], "cert") != 0)
		return "unknown record type";
	if (nfields != 4)
		return "expected: cert <fingerprint> <thing> <status>";
	if (ck_plugin_fp_decode(field[1], strlen(field[1]), rec->fp) != 0)
		return "fingerprint is not 64 hex digits";
	if (!ck_name_valid(field[2]))
		return "invalid thing name";
	int status = status_parse(field[3]);
	if (!status)
		return "unknown status";
	rec->thing = field[2];
	rec->status = (uint8_t)status;
	return NULL;
}

void ck_plugin_registry_cleanup(struct ck_plugin_registry *reg)
{
	free(reg->slots);
	free(reg->text);
	memset(reg, 0, sizeof(*reg));
}

static int parse_lines(struct ck_plugin_registry *reg, char *text, size_t len,
                       ck_plugin_registry_warn_fn warn, void *ctx)
{
	size_t lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		char *line = text + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - line) : len - pos;

		pos += linelen + 1;
		lineno++;
		line[linelen] = '\0'; /* the copy has one spare byte at the end */
		if (lineno == 1) {
			if (strcmp(line, CK_PLUGIN_SNAPSHOT_HEADER) != 0)
				return -EPROTO;
			continue;
		}
		if (linelen == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', linelen)) {
			if (warn)
				warn(ctx, lineno, "NUL byte in line");
			continue;
		}
		if (linelen > CK_PLUGIN_SNAPSHOT_LINE_MAX) {
			if (warn)
				warn(ctx, lineno, "line too long");
			continue;
		}
		struct ck_plugin_cert rec;
		const char *why = parse_record(line, &rec);
		if (why) {
			if (warn)
				warn(ctx, lineno, why);
			continue;
		}
		if (reg->count >= (size_t)CK_PLUGIN_SNAPSHOT_RECORDS_MAX)
			return -E2BIG;
		if ((reg->count + 1) * 2 > reg->nslots) {
			int rc = table_grow(reg);
			if (rc)
				return rc;
		}
		if (!table_insert(reg->slots, reg->nslots, &rec)) {
			if (warn)
				warn(ctx, lineno, "duplicate fingerprint");
			continue;
		}
		reg->count++;
	}
	return lineno ? 0 : -EPROTO;
}

int ck_plugin_registry_parse(const char *buf, size_t len, struct ck_plugin_registry *out,
                             ck_plugin_registry_warn_fn warn, void *ctx)
{
	memset(out, 0, sizeof(*out));
	if (len > (size_t)CK_PLUGIN_SNAPSHOT_FILE_MAX)
		return -E2BIG;
	out->text = malloc(len + 1);
	if (!out->text)
		return -ENOMEM;
	if (len)
		memcpy(out->text, buf, len);
	out->text[len] = '\0';
	int rc = parse_lines(out, out->text, len, warn, ctx);
	if (rc)
		ck_plugin_registry_cleanup(out);
	return rc;
}

const struct ck_plugin_cert *ck_plugin_registry_find(const struct ck_plugin_registry *reg,
                                                     const unsigned char fp[32])
{
	if (!reg->nslots)
		return NULL;
	size_t i = slot_of(fp, reg->nslots);
	while (reg->slots[i].status) {
		if (memcmp(reg->slots[i].fp, fp, 32) == 0)
			return &reg->slots[i];
		i = (i + 1) & (reg->nslots - 1);
	}
	return NULL;
}

int ck_plugin_snapshot_init(struct ck_plugin_snapshot *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = strdup(path);
	return s->path ? 0 : -ENOMEM;
}

void ck_plugin_snapshot_cleanup(struct ck_plugin_snapshot *s)
{
	ck_plugin_registry_cleanup(&s->reg);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

static bool same_file(const struct ck_plugin_snapshot *s, const struct stat *st)
{
	return s->seen && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
	       s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void remember_file(struct ck_plugin_snapshot *s, const struct stat *st)
{
	s->seen = true;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
}

struct warn_ctx {
	const char *path;
	size_t skipped;
};

static void log_skipped_line(void *ctx, size_t line, const char *reason)
{
	struct warn_ctx *w = ctx;

	if (w->skipped++ < WARN_LINES_MAX)
		ck_plugin_log(MOSQ_LOG_WARNING, "%s line %zu skipped: %s", w->path, line, reason);
}

/* Reads the whole open file (at most CK_PLUGIN_SNAPSHOT_FILE_MAX bytes) into
 * a new buffer. Returns 0 and sets *buf (caller frees) and *len. */
static int read_all(int fd, off_t size, char **buf, size_t *len)
{
	if (size < 0 || size > CK_PLUGIN_SNAPSHOT_FILE_MAX)
		return -E2BIG;
	char *b = malloc((size_t)size + 1);
	if (!b)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)size) {
		ssize_t n = read(fd, b + got, (size_t)size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(b);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*buf = b;
	*len = got;
	return 0;
}

static void log_file_error(struct ck_plugin_snapshot *s, int err, const char *what)
{
	if (s->last_errno == err)
		return;
	s->last_errno = err;
	ck_plugin_log(MOSQ_LOG_WARNING,
	              "cannot %s %s: %s; keeping the previous registry (%zu certificates)", what,
	              s->path, strerror(err), s->reg.count);
}

/* Loads the file behind fd (whose identity is st) into s. */
static int load_fd(struct ck_plugin_snapshot *s, int fd, const struct stat *st)
{
	char *buf = NULL;
	size_t len = 0;
	struct ck_plugin_registry reg;
	struct warn_ctx w = { .path = s->path, .skipped = 0 };

	remember_file(s, st);
	if (!S_ISREG(st->st_mode)) {
		log_file_error(s, EINVAL, "load (not a regular file)");
		return -EINVAL;
	}
	int rc = read_all(fd, st->st_size, &buf, &len);
	if (rc) {
		log_file_error(s, -rc, "read");
		return rc;
	}
	rc = ck_plugin_registry_parse(buf, len, &reg, log_skipped_line, &w);
	free(buf);
	if (rc) {
		s->last_errno = 0;
		ck_plugin_log(MOSQ_LOG_ERR,
		              "%s refused (%s); keeping the previous registry (%zu certificates)",
		              s->path,
		              rc == -EPROTO  ? "missing or unknown header line"
		              : rc == -E2BIG ? "too large"
		                             : strerror(-rc),
		              s->reg.count);
		return rc;
	}
	ck_plugin_registry_cleanup(&s->reg);
	s->reg = reg;
	s->generation++;
	s->last_errno = 0;
	if (w.skipped)
		ck_plugin_log(MOSQ_LOG_WARNING, "%s: %zu malformed lines skipped", s->path,
		              w.skipped);
	ck_plugin_log(MOSQ_LOG_INFO, "registry loaded from %s: %zu certificates", s->path,
	              s->reg.count);
	return 1;
}

int ck_plugin_snapshot_refresh(struct ck_plugin_snapshot *s)
{
	struct stat st;

	if (stat(s->path, &st) != 0) {
		int err = errno;
		log_file_error(s, err, "stat");
		return -err;
	}
	if (same_file(s, &st)) {
		s->last_errno = 0;
		return 0;
	}
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		log_file_error(s, err, "open");
		return -err;
	}
	/* The descriptor's own identity: the name may have been replaced
	 * between stat() and open(). */
	int rc;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		log_file_error(s, -rc, "stat");
	} else {
		rc = load_fd(s, fd, &st);
	}
	close(fd);
	return rc;
}

const struct ck_plugin_cert *ck_plugin_snapshot_find_hex(const struct ck_plugin_snapshot *s,
                                                         const char *hex)
{
	unsigned char fp[32];

	if (!hex || ck_plugin_fp_decode(hex, strlen(hex), fp) != 0)
		return NULL;
	return ck_plugin_registry_find(&s->reg, fp);
}
