/*
 * Pure helpers for the command-line tools (see cli.h): option parsing,
 * tables, times, quoting, clickbtn.conf and SQL carets. Nothing here reads
 * files, the network or the clock; the tools do that and hand the results
 * in, so all of it is unit-tested in isolation. Text shown on a terminal
 * comes from the server and is sanitized here before it is printed.
 */
#include "core/name.h"
#include "core/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_err(char *err, size_t err_len, const char *what, const char *name)
{
	if (err && err_len)
		snprintf(err, err_len, "%s%s", what, name);
}

static const struct ck_cli_opt *find_opt(const struct ck_cli_opt *spec, size_t n_spec,
                                         const char *name, size_t name_len)
{
	for (size_t i = 0; i < n_spec; i++) {
		if (strlen(spec[i].name) == name_len && strncmp(spec[i].name, name, name_len) == 0)
			return &spec[i];
	}
	return NULL;
}

static int add_opt(struct ck_cli_args *out, int id, const char *value)
{
	if (out->n_opts >= CK_CLI_MAX_ARGS)
		return -E2BIG;
	out->opts[out->n_opts].id = id;
	out->opts[out->n_opts].value = value;
	out->n_opts++;
	return 0;
}

static int add_pos(struct ck_cli_args *out, const char *arg)
{
	if (out->n_pos >= CK_CLI_MAX_ARGS)
		return -E2BIG;
	out->pos[out->n_pos++] = arg;
	return 0;
}

/*
 * Parses argv into out (see cli.h). Returns 0, -EINVAL or -E2BIG with a
 * reason in err.
 */
int ck_cli_parse(int argc, char *const *argv, const struct ck_cli_opt *spec, size_t n_spec,
                 struct ck_cli_args *out, char *err, size_t err_len)
{
	bool options_done = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (err && err_len)
		err[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct ck_cli_opt *opt;
		const char *name, *eq;
		size_t name_len;

		if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
			rc = add_pos(out, arg);
			if (rc < 0) {
				set_err(err, err_len, "too many arguments", "");
				goto out;
			}
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0) {
			name = "help";
			name_len = 4;
			eq = NULL;
		} else if (arg[1] != '-') {
			rc = -EINVAL;
			set_err(err, err_len, "unknown option ", arg);
			goto out;
		} else {
			name = arg + 2;
			eq = strchr(name, '=');
			name_len = eq ? (size_t)(eq - name) : strlen(name);
		}
		opt = find_opt(spec, n_spec, name, name_len);
		if (!opt || name_len == 0) {
			rc = -EINVAL;
			set_err(err, err_len, "unknown option ", arg);
			goto out;
		}
		if (!opt->has_value && eq) {
			rc = -EINVAL;
			set_err(err, err_len, "option takes no value: ", arg);
			goto out;
		}
		if (opt->has_value && !eq && i + 1 >= argc) {
			rc = -EINVAL;
			set_err(err, err_len, "option needs a value: ", arg);
			goto out;
		}
		if (!opt->has_value)
			rc = add_opt(out, opt->id, "");
		else if (eq)
			rc = add_opt(out, opt->id, eq + 1);
		else
			rc = add_opt(out, opt->id, argv[++i]);
		if (rc < 0) {
			set_err(err, err_len, "too many options", "");
			goto out;
		}
	}
out:
	return rc;
}

/* Last value of option id, "" for a flag, NULL when absent. */
const char *ck_cli_opt_value(const struct ck_cli_args *args, int id)
{
	const char *v = NULL;

	for (size_t i = 0; i < args->n_opts; i++) {
		if (args->opts[i].id == id)
			v = args->opts[i].value;
	}
	return v;
}

/* Validates "key=value"; see cli.h. */
int ck_cli_attr_split(const char *arg, size_t *key_len)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return -EINVAL;
	*key_len = (size_t)(eq - arg);
	return 0;
}

/* ---- tables ---- */

struct ck_cli_table {
	size_t n_cols;
	size_t n_rows; /* including the header row */
	size_t cap_rows;
	char **cells;  /* n_rows * n_cols sanitized strings */
	size_t *width; /* per column, in code points */
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/* A copy of cell safe to print, with its width in code points. */
static char *sanitize(const char *cell, size_t *width)
{
	const unsigned char *s = (const unsigned char *)(cell && cell[0] ? cell : "-");
	size_t len = strnlen((const char *)s, CK_CLI_MAX_CELL);
	char *out = malloc(len + 1);
	size_t o = 0, w = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(s + i, len - i);
		if (n == 0) {
			out[o++] = '?';
			i++;
		} else if (n == 1 && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
			out[o++] = ' ';
			i++;
		} else if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			out[o++] = '?';
			i++;
		} else if (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			/* C1 controls (U+0080..U+009F), e.g. a one-byte CSI. */
			out[o++] = '?';
			i += 2;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
		w++;
	}
	out[o] = '\0';
	*width = w;
	return out;
}

static int table_push(struct ck_cli_table *t, const char *const *cells)
{
	char **row;

	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **grown = realloc(t->cells, cap * t->n_cols * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		t->cells = grown;
		t->cap_rows = cap;
	}
	row = t->cells + t->n_rows * t->n_cols;
	for (size_t c = 0; c < t->n_cols; c++) {
		size_t w = 0;
		row[c] = sanitize(cells[c], &w);
		if (!row[c]) {
			for (size_t k = 0; k < c; k++)
				free(row[k]);
			return -ENOMEM;
		}
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->n_rows++;
	return 0;
}

/* A new table; see cli.h. */
struct ck_cli_table *ck_cli_table_new(size_t n_cols, const char *const *headers)
{
	struct ck_cli_table *t;

	if (n_cols == 0 || n_cols > CK_CLI_MAX_TABLE_COL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->n_cols = n_cols;
	t->width = calloc(n_cols, sizeof(*t->width));
	if (!t->width || table_push(t, headers) < 0) {
		ck_cli_table_free(t);
		return NULL;
	}
	return t;
}

/* Appends a row; see cli.h. */
int ck_cli_table_add(struct ck_cli_table *t, const char *const *cells)
{
	return table_push(t, cells);
}

/* Renders the table; see cli.h. */
char *ck_cli_table_render(const struct ck_cli_table *t)
{
	size_t line = 0, total, o = 0;
	char *out;

	for (size_t c = 0; c < t->n_cols; c++)
		line += t->width[c] * 4 + 2; /* a code point has at most 4 bytes */
	total = line * t->n_rows + 1;
	out = malloc(total);
	if (!out)
		return NULL;
	for (size_t r = 0; r < t->n_rows; r++) {
		char *const *row = t->cells + r * t->n_cols;
		size_t pad = 0;
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t n = strlen(row[c]), w = 0;
			if (c > 0) {
				memset(out + o, ' ', pad + 2);
				o += pad + 2;
			}
			memcpy(out + o, row[c], n);
			o += n;
			for (size_t i = 0; i < n; i++)
				w += ((unsigned char)row[c][i] & 0xc0) != 0x80;
			pad = t->width[c] - w;
		}
		out[o++] = '\n';
	}
	out[o] = '\0';
	return out;
}

/* Frees the table and its cells; NULL is a no-op. */
void ck_cli_table_free(struct ck_cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

/* ---- times, quoting ---- */

/* Local ISO 8601 with offset; see cli.h. */
int ck_cli_format_time(int64_t ms, char *buf, size_t len)
{
	int64_t secs = ms / 1000;
	struct tm tm;
	time_t t;
	long off;
	char date[32];

	if (len)
		buf[0] = '\0';
	if (ms % 1000 < 0)
		secs--;
	t = (time_t)secs;
	if (!localtime_r(&t, &tm))
		return -ERANGE;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -ERANGE;
	if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -ERANGE;
	off = tm.tm_gmtoff;
	if (snprintf(buf, len, "%s%c%02ld:%02ld", date, off < 0 ? '-' : '+', labs(off) / 3600,
	             labs(off) % 3600 / 60) >= (int)len)
		return -ENOSPC;
	return 0;
}

/* Percent-encoding of everything but unreserved characters; see cli.h. */
int ck_cli_url_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (o + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (o >= len)
		return -ENOSPC;
	out[o] = '\0';
	return 0;
}

static bool shell_plain(const char *s)
{
	if (!s[0])
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_./:=@%+,-", c)))
			return false;
	}
	return true;
}

/* POSIX shell quoting; see cli.h. */
int ck_cli_shell_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	if (shell_plain(s)) {
		if (strlen(s) >= len)
			return -ENOSPC;
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	if (len < 3)
		return -ENOSPC;
	out[o++] = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			if (o + 4 >= len)
				return -ENOSPC;
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			if (o + 1 >= len)
				return -ENOSPC;
			out[o++] = *p;
		}
	}
	if (o + 2 > len)
		return -ENOSPC;
	out[o++] = '\'';
	out[o] = '\0';
	return 0;
}

/* ---- clickbtn.conf, thing names, SQL carets ---- */

/* Renders clickbtn.conf; see cli.h. */
int ck_cli_btn_conf(const char *host, long port, const char *thing, char **out)
{
	static const char fmt[] = "# written by clickctl thing create\n"
	                          "endpoint = %s\n"
	                          "port = %ld\n"
	                          "thing = %s\n"
	                          "cert = cert.pem\n"
	                          "key = key.pem\n"
	                          "ca = ca.pem\n";
	size_t host_len = host ? strnlen(host, 254) : 0;
	size_t n;
	char *s;

	*out = NULL;
	if (host_len == 0 || host_len > 253 || port < 1 || port > 65535 || !thing ||
	    !ck_name_valid(thing))
		return -EINVAL;
	for (size_t i = 0; i < host_len; i++) {
		unsigned char c = (unsigned char)host[i];
		if (c <= ' ' || c == 0x7f || c == '#')
			return -EINVAL;
	}
	n = sizeof(fmt) + host_len + 8 + strlen(thing);
	s = malloc(n);
	if (!s)
		return -ENOMEM;
	snprintf(s, n, fmt, host, port, thing);
	*out = s;
	return 0;
}

/* The line and caret under an SQL error position; see cli.h. */
int ck_cli_sql_caret(const char *sql, int line, int column, char *out, size_t len)
{
	const char *start = sql, *end;
	size_t o = 0, line_len;
	int col = 1;

	if (line < 1 || column < 1)
		return -EINVAL;
	for (int l = 1; l < line; l++) {
		start = strchr(start, '\n');
		if (!start)
			return -EINVAL;
		start++;
	}
	end = strchr(start, '\n');
	line_len = end ? (size_t)(end - start) : strlen(start);
	if (line_len > 0 && start[line_len - 1] == '\r')
		line_len--;
	if (2 + line_len + 1 >= len)
		return -ENOSPC;
	memcpy(out, "  ", 2);
	o = 2;
	for (size_t i = 0; i < line_len; i++) {
		unsigned char c = (unsigned char)start[i];
		out[o++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	out[o++] = '\n';
	if (o + 2 >= len)
		return -ENOSPC;
	out[o++] = ' ';
	out[o++] = ' ';
	for (size_t i = 0; i < line_len && col < column; i++) {
		unsigned char c = (unsigned char)start[i];
		if ((c & 0xc0) == 0x80)
			continue; /* continuation byte: same code point */
		if (o + 1 >= len)
			return -ENOSPC;
		out[o++] = c == '\t' ? '\t' : ' ';
		col++;
	}
	if (o + 3 > len)
		return -ENOSPC;
	out[o++] = '^';
	out[o++] = '\n';
	out[o] = '\0';
	return 0;
}
