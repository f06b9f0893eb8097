/*
 * Pure helpers for clickd's command-line tools: long-option parsing,
 * key=value attributes, plain-text tables, local ISO 8601 times, URL and
 * shell quoting, the clickbtn.conf file clickctl writes, and the caret line
 * under an SQL error. No I/O and no globals; the only outside input is the
 * local time zone (ck_cli_format_time). Every function bounds its input
 * before allocating.
 */
#ifndef CK_CLI_H
#define CK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_CLI_MAX_ARGS      64   /* positionals, and options, per command line */
#define CK_CLI_MAX_CELL      4096 /* bytes of one table cell kept (longer ones are cut) */
#define CK_CLI_MAX_TABLE_COL 16   /* columns of one table */

/* One long option: "--name" or "--name=value" or "--name value". */
struct ck_cli_opt {
	const char *name; /* without the leading "--" */
	int id;           /* caller's identifier, reported back in ck_cli_args */
	bool has_value;
};

struct ck_cli_args {
	size_t n_pos;
	const char *pos[CK_CLI_MAX_ARGS]; /* borrowed from argv */
	size_t n_opts;
	struct {
		int id;
		const char *value; /* borrowed from argv; "" for a flag */
	} opts[CK_CLI_MAX_ARGS];
};

/*
 * Splits argv[0..argc) (without the program name) into positionals and
 * options of spec, in order. "-h" means "--help" when spec has "help"; "--"
 * ends the options; "-" alone is a positional. Returns 0, or -EINVAL with a
 * one-line reason in err ("unknown option --x", "option --x needs a value",
 * "option --x takes no value"), or -E2BIG beyond CK_CLI_MAX_ARGS of either
 * kind. out borrows from argv.
 */
int ck_cli_parse(int argc, char *const *argv, const struct ck_cli_opt *spec, size_t n_spec,
                 struct ck_cli_args *out, char *err, size_t err_len);

/* The value of the last occurrence of option id ("" for a flag), or NULL
 * when it was not given. */
const char *ck_cli_opt_value(const struct ck_cli_args *args, int id);

/*
 * Checks a "key=value" argument (--attr). Returns 0 and the key's length in
 * *key_len (the value starts at arg + *key_len + 1 and may be empty), or
 * -EINVAL when there is no '=' or the key is empty.
 */
int ck_cli_attr_split(const char *arg, size_t *key_len);

/* A plain-text table: a header row, then rows, columns separated by two
 * spaces and padded to the widest cell (in code points). */
struct ck_cli_table;

/* A new table with n_cols (1..CK_CLI_MAX_TABLE_COL) columns; the headers are
 * copied. Returns NULL on a bad count or out of memory. */
struct ck_cli_table *ck_cli_table_new(size_t n_cols, const char *const *headers);

/*
 * Appends a row of n_cols cells, copied. A NULL or empty cell is shown as
 * "-". Line breaks and tabs become spaces, other control characters and
 * invalid UTF-8 become '?', so a cell can neither break the table nor send
 * escape sequences to the terminal. Returns 0 or -ENOMEM.
 */
int ck_cli_table_add(struct ck_cli_table *t, const char *const *cells);

/* The rendered table, one line per row, each ending in '\n', with no
 * trailing spaces. Returns a malloc'd string (caller frees) or NULL. */
char *ck_cli_table_render(const struct ck_cli_table *t);

void ck_cli_table_free(struct ck_cli_table *t);

/*
 * Writes ms (Unix milliseconds) as local ISO 8601 with the offset,
 * "2026-11-26T03:49:30+01:00", into buf. Returns 0, -ERANGE when the time
 * cannot be represented, -ENOSPC when buf is too small (26 bytes suffice).
 */
int ck_cli_format_time(int64_t ms, char *buf, size_t len);

/*
 * Percent-encodes s for a URL path segment or query value (everything but
 * RFC 3986 unreserved characters). Returns 0 or -ENOSPC.
 */
int ck_cli_url_escape(const char *s, char *out, size_t len);

/*
 * Quotes s for a POSIX shell: unchanged when it only has characters that
 * need no quoting, otherwise in single quotes ('\'' for a quote). Returns 0
 * or -ENOSPC.
 */
int ck_cli_shell_quote(const char *s, char *out, size_t len);

/*
 * Renders clickbtn.conf for a device written by "clickctl thing create":
 * endpoint, port and thing, with cert.pem, key.pem and ca.pem beside the
 * file. Returns 0 and a malloc'd string in *out, -EINVAL when host is empty
 * or has spaces, control characters or '#', port is outside 1..65535 or
 * thing is not a valid thing name, or -ENOMEM.
 */
int ck_cli_btn_conf(const char *host, long port, const char *thing, char **out);

/*
 * Writes line `line` (1-based) of sql and a caret under column `column`
 * (1-based, in code points; past the end means at the end), each indented
 * by two spaces and ending in '\n', into out. Tabs before the column are
 * kept in the caret line so it lines up. Returns 0, -EINVAL when sql has no
 * such line or line/column is below 1, -ENOSPC when out is too small.
 */
int ck_cli_sql_caret(const char *sql, int line, int column, char *out, size_t len);

#endif
