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
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "logging.h"
#include "policy/policy.h"

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

#define MAX_FIELDS 4

/* Cuts line at spaces into at most MAX_FIELDS fields; returns the count,
 * or MAX_FIELDS + 1 when there are more. */
static size_t split_fields(char *line, char **field)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		if (n == MAX_FIELDS)
			return MAX_FIELDS + 1;
		field[n++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes the NUL-terminated base64 text s in place ("-" is empty) and
 * sets *len. Returns 0 or -EINVAL. */
static int b64_decode_inplace(char *s, size_t *len)
{
	size_t in = strlen(s), out = 0;

	if (strcmp(s, "-") == 0) {
		s[0] = '\0';
		*len = 0;
		return 0;
	}
	if (in == 0 || in % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < in; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(s[i + k]);
			if (s[i + k] == '=' && i + 4 == in && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (v[k] < 0 || pad) {
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		s[out++] = (char)(w >> 16);
		if (pad < 2)
			s[out++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			s[out++] = (char)(w & 0xff);
	}
	s[out] = '\0';
	*len = out;
	return 0;
}

static bool attr_value_ok(const char *v, size_t len)
{
	return strlen(v) == len; /* no NUL inside */
}

/* Appends one element of size bytes to a growing array whose capacity is
 * the smallest power of two >= max(16, n): it is reallocated when n is 0
 * and whenever n reaches a power of two from 16 on. */
static int push(void **arr, size_t *n, size_t size, const void *elem)
{
	size_t cap = 16;

	while (cap < *n + 1)
		cap *= 2;
	if (*n == 0 || (*n >= 16 && (*n & (*n - 1)) == 0)) {
		void *na = realloc(*arr, cap * size);
		if (!na)
			return -ENOMEM;
		*arr = na;
	}
	memcpy((char *)*arr + *n * size, elem, size);
	(*n)++;
	return 0;
}

static const char *parse_cert(struct ck_plugin_registry *reg, char **field, size_t nfields,
                              int *err)
{
	struct ck_plugin_cert rec = { 0 };

	if (nfields != 4)
		return "expected: cert <fingerprint> <thing> <status>";
	if (ck_plugin_fp_decode(field[1], strlen(field[1]), rec.fp) != 0)
		return "fingerprint is not 64 hex digits";
	if (!ck_name_valid(field[2]))
		return "invalid thing name";
	int status = status_parse(field[3]);
	if (!status)
		return "unknown status";
	rec.thing = field[2];
	rec.status = (uint8_t)status;
	if ((reg->count + 1) * 2 > reg->nslots) {
		int rc = table_grow(reg);
		if (rc) {
			*err = rc;
			return NULL;
		}
	}
	if (!table_insert(reg->slots, reg->nslots, &rec))
		return "duplicate fingerprint";
	reg->count++;
	return NULL;
}

static const char *parse_thing(struct ck_plugin_registry *reg, char **field, size_t nfields,
                               int *err)
{
	struct ck_plugin_thing t = { 0 };

	if (nfields != 2 && nfields != 3)
		return "expected: thing <name> [<type>]";
	if (!ck_name_valid(field[1]))
		return "invalid thing name";
	if (nfields == 3 && !ck_name_valid(field[2]))
		return "invalid thing type";
	t.name = field[1];
	t.type = nfields == 3 ? field[2] : NULL;
	*err = push((void **)&reg->things, &reg->n_things, sizeof(t), &t);
	return NULL;
}

static const char *parse_attr(struct ck_plugin_registry *reg, char **field, size_t nfields,
                              int *err)
{
	struct ck_plugin_attr_rec a;
	size_t len;

	if (nfields != 4)
		return "expected: attr <thing> <name> <base64 value>";
	if (!ck_name_valid(field[1]))
		return "invalid thing name";
	if (!ck_name_valid(field[2]))
		return "invalid attribute name";
	if (b64_decode_inplace(field[3], &len) != 0 || !attr_value_ok(field[3], len))
		return "attribute value is not base64 text";
	a.thing = field[1];
	a.attr.name = field[2];
	a.attr.value = field[3];
	*err = push((void **)&reg->attr_recs, &reg->n_attrs, sizeof(a), &a);
	return NULL;
}

static const char *parse_policy(struct ck_plugin_registry *reg, char **field, size_t nfields,
                                int *err, char *why, size_t why_len)
{
	struct ck_plugin_policy pol;
	size_t len;
	char perr[200];

	if (nfields != 3)
		return "expected: policy <name> <base64 document>";
	if (!ck_policy_name_valid(field[1]))
		return "invalid policy name";
	if (b64_decode_inplace(field[2], &len) != 0)
		return "policy document is not base64";
	int rc = ck_policy_parse(field[2], len, &pol.compiled, perr, sizeof(perr));
	if (rc == -ENOMEM) {
		*err = rc;
		return NULL;
	}
	if (rc) {
		snprintf(why, why_len, "policy %s refused: %s", field[1], perr);
		return why;
	}
	pol.name = field[1];
	*err = push((void **)&reg->policies, &reg->n_policies, sizeof(pol), &pol);
	if (*err)
		ck_policy_free(pol.compiled);
	return NULL;
}

static const char *parse_attach(struct ck_plugin_registry *reg, char **field, size_t nfields,
                                int *err)
{
	struct ck_plugin_attach a;

	if (nfields != 3)
		return "expected: attach <fingerprint> <policy>";
	if (ck_plugin_fp_decode(field[1], strlen(field[1]), a.fp) != 0)
		return "fingerprint is not 64 hex digits";
	if (!ck_policy_name_valid(field[2]))
		return "invalid policy name";
	a.policy = field[2];
	*err = push((void **)&reg->attaches, &reg->n_attaches, sizeof(a), &a);
	return NULL;
}

/*
 * Parses one NUL-terminated line in place into reg. Returns NULL when the
 * line was taken (or *err is set: -ENOMEM), else the reason to skip it.
 */
static const char *parse_record(struct ck_plugin_registry *reg, char *line, int *err, char *why,
                                size_t why_len)
{
	char *field[MAX_FIELDS];
	size_t nfields = split_fields(line, field);

	*err = 0;
	if (nfields > MAX_FIELDS)
		return "too many fields";
	if (strcmp(field[0], "cert") == 0)
		return parse_cert(reg, field, nfields, err);
	if (strcmp(field[0], "thing") == 0)
		return parse_thing(reg, field, nfields, err);
	if (strcmp(field[0], "attr") == 0)
		return parse_attr(reg, field, nfields, err);
	if (strcmp(field[0], "policy") == 0)
		return parse_policy(reg, field, nfields, err, why, why_len);
	if (strcmp(field[0], "attach") == 0)
		return parse_attach(reg, field, nfields, err);
	return "unknown record type";
}

static int cmp_thing(const void *a, const void *b)
{
	return strcmp(((const struct ck_plugin_thing *)a)->name,
	              ((const struct ck_plugin_thing *)b)->name);
}

static int cmp_attr(const void *a, const void *b)
{
	const struct ck_plugin_attr_rec *x = a, *y = b;
	int c = strcmp(x->thing, y->thing);

	return c ? c : strcmp(x->attr.name, y->attr.name);
}

static int cmp_policy(const void *a, const void *b)
{
	return strcmp(((const struct ck_plugin_policy *)a)->name,
	              ((const struct ck_plugin_policy *)b)->name);
}

static int cmp_attach(const void *a, const void *b)
{
	const struct ck_plugin_attach *x = a, *y = b;
	int c = memcmp(x->fp, y->fp, 32);

	return c ? c : strcmp(x->policy, y->policy);
}

static const struct ck_plugin_thing *find_thing(const struct ck_plugin_registry *reg,
                                                const char *name)
{
	struct ck_plugin_thing key = { .name = name };

	if (!reg->n_things)
		return NULL;
	return bsearch(&key, reg->things, reg->n_things, sizeof(key), cmp_thing);
}

static const struct ck_plugin_policy *find_policy(const struct ck_plugin_registry *reg,
                                                  const char *name)
{
	struct ck_plugin_policy key = { .name = name };

	if (!reg->n_policies)
		return NULL;
	return bsearch(&key, reg->policies, reg->n_policies, sizeof(key), cmp_policy);
}

/* Removes neighbours equal under cmp from a sorted array, keeping the first
 * of each run; free_fn (may be NULL) releases what is dropped. */
static size_t dedupe(void *arr, size_t n, size_t size, int (*cmp)(const void *, const void *),
                     void (*free_fn)(void *))
{
	char *base = arr;
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (out && cmp(base + (out - 1) * size, base + i * size) == 0) {
			if (free_fn)
				free_fn(base + i * size);
			continue;
		}
		if (out != i)
			memcpy(base + out * size, base + i * size, size);
		out++;
	}
	return out;
}

static void free_policy_elem(void *e)
{
	ck_policy_free(((struct ck_plugin_policy *)e)->compiled);
}

/* Sorts the side tables and points every certificate at its thing and its
 * policies. Returns 0 or -ENOMEM. */
static int resolve(struct ck_plugin_registry *reg)
{
	/* Duplicate names (clickd never writes them) keep one of their lines. */
	if (reg->n_things) {
		qsort(reg->things, reg->n_things, sizeof(*reg->things), cmp_thing);
		reg->n_things =
		    dedupe(reg->things, reg->n_things, sizeof(*reg->things), cmp_thing, NULL);
	}
	if (reg->n_policies) {
		qsort(reg->policies, reg->n_policies, sizeof(*reg->policies), cmp_policy);
		reg->n_policies = dedupe(reg->policies, reg->n_policies, sizeof(*reg->policies),
		                         cmp_policy, free_policy_elem);
	}
	if (reg->n_attrs) {
		qsort(reg->attr_recs, reg->n_attrs, sizeof(*reg->attr_recs), cmp_attr);
		reg->n_attrs =
		    dedupe(reg->attr_recs, reg->n_attrs, sizeof(*reg->attr_recs), cmp_attr, NULL);
		reg->attrs = calloc(reg->n_attrs, sizeof(*reg->attrs));
		if (!reg->attrs)
			return -ENOMEM;
		for (size_t i = 0; i < reg->n_attrs; i++)
			reg->attrs[i] = reg->attr_recs[i].attr;
		for (size_t i = 0; i < reg->n_attrs;) {
			size_t j = i;
			while (j < reg->n_attrs &&
			       strcmp(reg->attr_recs[j].thing, reg->attr_recs[i].thing) == 0)
				j++;
			struct ck_plugin_thing *t =
			    (struct ck_plugin_thing *)find_thing(reg, reg->attr_recs[i].thing);
			if (t) {
				t->attrs = &reg->attrs[i];
				t->n_attrs = j - i;
			}
			i = j;
		}
	}
	if (reg->n_attaches) {
		qsort(reg->attaches, reg->n_attaches, sizeof(*reg->attaches), cmp_attach);
		reg->plist = calloc(reg->n_attaches, sizeof(*reg->plist));
		reg->pnames = calloc(reg->n_attaches, sizeof(*reg->pnames));
		if (!reg->plist || !reg->pnames)
			return -ENOMEM;
	}
	for (size_t i = 0; i < reg->nslots; i++) {
		struct ck_plugin_cert *c = &reg->slots[i];
		if (!c->status)
			continue;
		c->thing_rec = find_thing(reg, c->thing);
		c->policies = reg->plist + reg->n_plist;
		c->policy_names = reg->pnames + reg->n_plist;
		c->n_policies = 0;
		if (!reg->n_attaches)
			continue;
		/* The first attachment of this fingerprint. */
		size_t lo = 0, hi = reg->n_attaches;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(reg->attaches[mid].fp, c->fp, 32) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo;
		     k < reg->n_attaches && memcmp(reg->attaches[k].fp, c->fp, 32) == 0; k++) {
			const struct ck_plugin_policy *pol =
			    find_policy(reg, reg->attaches[k].policy);
			if (!pol || (c->n_policies &&
			             strcmp(c->policy_names[c->n_policies - 1], pol->name) == 0))
				continue;
			reg->plist[reg->n_plist] = pol->compiled;
			reg->pnames[reg->n_plist] = pol->name;
			reg->n_plist++;
			c->n_policies++;
		}
	}
	return 0;
}

void ck_plugin_registry_cleanup(struct ck_plugin_registry *reg)
{
	for (size_t i = 0; i < reg->n_policies; i++)
		ck_policy_free(reg->policies[i].compiled);
	free(reg->policies);
	free(reg->things);
	free(reg->attr_recs);
	free(reg->attrs);
	free(reg->attaches);
	free(reg->plist);
	free(reg->pnames);
	free(reg->slots);
	free(reg->text);
	memset(reg, 0, sizeof(*reg));
}

static int parse_lines(struct ck_plugin_registry *reg, char *text, size_t len,
                       ck_plugin_registry_warn_fn warn, void *ctx)
{
	size_t lineno = 0;
	size_t pos = 0;
	char why[320];

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
		if (reg->records >= (size_t)CK_PLUGIN_SNAPSHOT_RECORDS_MAX)
			return -E2BIG;
		int err = 0;
		const char *reason = parse_record(reg, line, &err, why, sizeof(why));
		if (err)
			return err;
		if (reason) {
			if (warn)
				warn(ctx, lineno, reason);
			continue;
		}
		reg->records++;
	}
	if (!lineno)
		return -EPROTO;
	return resolve(reg);
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

void ck_plugin_policy_context(const struct ck_plugin_cert *rec, const char *client_id,
                              const char *cn, struct ck_policy_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->client_id = client_id;
	ctx->cert_cn = cn && cn[0] ? cn : NULL;
	if (!rec || !client_id || strcmp(client_id, rec->thing) != 0)
		return;
	ctx->thing_name = rec->thing;
	if (rec->thing_rec) {
		ctx->thing_type = rec->thing_rec->type;
		ctx->attrs = rec->thing_rec->attrs;
		ctx->n_attrs = rec->thing_rec->n_attrs;
	}
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
	/* The file's identity lets a test know which write is in force. */
	ck_plugin_log(MOSQ_LOG_INFO,
	              "registry loaded from %s (inode %ju, %jd bytes, mtime %jd.%09ld): %zu "
	              "certificates, %zu policies",
	              s->path, (uintmax_t)st->st_ino, (intmax_t)st->st_size,
	              (intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, s->reg.count,
	              s->reg.n_policies);
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
