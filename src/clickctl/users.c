/*
 * clickctl's "users" commands: console users and their roles (admin,
 * supervisor, driver) over the users API. Passwords never appear on the
 * command line: they are read from --password-file FILE, or from standard
 * input (without echo when it is a terminal).
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 256

/* Reads one line (the password) from f into buf, without the newline. */
static int read_line(FILE *f, char *buf, size_t len)
{
	if (!fgets(buf, (int)len, f))
		return -EIO;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Gets the password; prints the problem and returns an exit status on failure. */
static int read_password(struct ck_ctl *c, char *buf, size_t len)
{
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_PASSWORD_FILE);
	int rc;
	if (file) {
		FILE *f = fopen(file, "re");
		if (!f)
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", file,
			                   strerror(errno));
		rc = read_line(f, buf, len);
		fclose(f);
	} else if (isatty(STDIN_FILENO)) {
		struct termios old, quiet;
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
		rc = read_line(stdin, buf, len);
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	} else {
		rc = read_line(stdin, buf, len);
	}
	if (rc != 0 || !buf[0])
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "no password given (standard input or --password-file FILE)");
	return CK_CTL_EXIT_OK;
}

/* Sends body to method path and prints the result or message. */
static int api_send(struct ck_ctl *c, const char *method, const char *path, cJSON *body,
                    const char *done)
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json)
			rc = ck_ctl_print_json(resp);
		else
			printf("%s\n", done);
	}
	cJSON_Delete(resp);
	return rc;
}

static int user_path(struct ck_ctl *c, const char *verb, char *path, size_t len)
{
	char esc[3 * 64 + 1];
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "users %s needs exactly one NAME", verb);
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "user name too long");
	snprintf(path, len, "/users/%s", esc);
	return CK_CTL_EXIT_OK;
}

/* clickctl users create NAME --role R [--password-file FILE]. */
int ck_ctl_users_create(struct ck_ctl *c)
{
	const char *role = ck_cli_opt_value(c->args, CK_CTL_OPT_ROLE);
	char pw[PASSWORD_MAX + 2], done[160];
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "users create needs exactly one NAME");
	if (!role)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "users create needs --role admin|supervisor|driver");
	int rc = read_password(c, pw, sizeof(pw));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", c->operands[0]);
	cJSON_AddStringToObject(body, "role", role);
	cJSON_AddStringToObject(body, "password", pw);
	explicit_bzero(pw, sizeof(pw));
	snprintf(done, sizeof(done), "created user %s (%s)", c->operands[0], role);
	rc = api_send(c, "POST", "/users", body, done);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "password");
	if (p && p->valuestring)
		explicit_bzero(p->valuestring, strlen(p->valuestring));
	cJSON_Delete(body);
	return rc;
}

/* clickctl users passwd NAME [--password-file FILE]. */
int ck_ctl_users_passwd(struct ck_ctl *c)
{
	char path[256], pw[PASSWORD_MAX + 2], done[160];
	int rc = user_path(c, "passwd", path, sizeof(path));
	if (rc == CK_CTL_EXIT_OK)
		rc = read_password(c, pw, sizeof(pw));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "password", pw);
	explicit_bzero(pw, sizeof(pw));
	snprintf(done, sizeof(done), "password of %s changed; its sessions ended", c->operands[0]);
	rc = api_send(c, "PUT", path, body, done);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "password");
	if (p && p->valuestring)
		explicit_bzero(p->valuestring, strlen(p->valuestring));
	cJSON_Delete(body);
	return rc;
}

/* clickctl users role NAME --role R. */
int ck_ctl_users_role(struct ck_ctl *c)
{
	const char *role = ck_cli_opt_value(c->args, CK_CTL_OPT_ROLE);
	char path[256], done[160];
	int rc = user_path(c, "role", path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (!role)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "users role needs --role admin|supervisor|driver");
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "role", role);
	snprintf(done, sizeof(done), "%s is now %s", c->operands[0], role);
	rc = api_send(c, "PUT", path, body, done);
	cJSON_Delete(body);
	return rc;
}

/* clickctl users delete NAME. */
int ck_ctl_users_delete(struct ck_ctl *c)
{
	char path[256], done[160];
	int rc = user_path(c, "delete", path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	snprintf(done, sizeof(done), "deleted user %s", c->operands[0]);
	return api_send(c, "DELETE", path, NULL, done);
}

/* One user's row: NAME ROLE CREATED. */
static int user_row(struct ck_cli_table *t, const cJSON *it)
{
	char created[40];
	const char *row[] = { ck_ctl_json_str(it, "name"), ck_ctl_json_str(it, "role"),
		              ck_ctl_json_time(it, "createdAt", created, sizeof(created)) };
	return ck_cli_table_add(t, row);
}

/* clickctl users list: NAME ROLE CREATED. */
int ck_ctl_users_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "ROLE", "CREATED" };
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "users list takes no arguments");
	return ck_ctl_list_print(c, "/users", 3, head, user_row);
}
