/*
 * `clickbtn setup`: the local setup page of the classic AWS IoT Button,
 * so existing setup habits and scripts keep working. GET / (or
 * /index.html) serves a form; POST /configure takes the classic
 * multipart/form-data fields wifi_ssid, wifi_password, aws_iot_certificate
 * (file), aws_iot_private_key (file), endpoint_region and
 * endpoint_subdomain, plus optional ca_certificate (file), thing and port
 * that clickd needs and the classic button had built in. The endpoint is
 * <subdomain>.iot.<region>.amazonaws.com as on the classic button when a
 * region is given and the subdomain is a bare label; otherwise the
 * subdomain field is the broker's host name or address. Served by
 * libmicrohttpd, bound to 127.0.0.1 unless told otherwise: the form
 * carries a private key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clickbtn/agent.h"
#include "clickbtn/provision.h"
#include "clickbtn/publish.h"

#define FIELD_MAX 16384 /* per field */
#define BODY_MAX  65536 /* all fields together */

enum field { F_SSID, F_PASS, F_CERT, F_KEY, F_REGION, F_SUB, F_CA, F_THING, F_PORT, F_N };

static const char *const field_names[F_N] = {
	"wifi_ssid",           "wifi_password",   "aws_iot_certificate",
	"aws_iot_private_key", "endpoint_region", "endpoint_subdomain",
	"ca_certificate",      "thing",           "port",
};

struct request {
	struct MHD_PostProcessor *pp;
	char *val[F_N];
	size_t len[F_N];
	size_t total;
	bool too_big;
	bool ok; /* configured */
};

struct setup {
	const char *dir;
	bool once;
	int wake[2]; /* written when --once has configured */
	int configured;
};

static const char page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>clickbtn setup</title></head>"
    "<body><h1>Button setup</h1>"
    "<form method=\"post\" action=\"/configure\" enctype=\"multipart/form-data\">"
    "<h2>Wi-Fi Configuration</h2>"
    "<p><label>SSID <input name=\"wifi_ssid\"></label></p>"
    "<p><label>Password <input name=\"wifi_password\" type=\"password\"></label></p>"
    "<h2>AWS IoT Configuration</h2>"
    "<p><label>Certificate <input name=\"aws_iot_certificate\" type=\"file\"></label></p>"
    "<p><label>Private key <input name=\"aws_iot_private_key\" type=\"file\"></label></p>"
    "<p><label>CA certificate (clickd) <input name=\"ca_certificate\" type=\"file\">"
    "</label></p>"
    "<p><label>Endpoint subdomain or clickd host <input name=\"endpoint_subdomain\">"
    "</label></p>"
    "<p><label>Region (empty for a clickd host) <input name=\"endpoint_region\"></label></p>"
    "<p><label>Port <input name=\"port\" value=\"8883\"></label></p>"
    "<p><label>Thing (default: the certificate's name) <input name=\"thing\"></label></p>"
    "<p><button type=\"submit\">Configure</button></p></form></body></html>\n";

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
	struct request *r = cls;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	(void)off;
	for (int i = 0; i < F_N; i++) {
		if (strcmp(key, field_names[i]) != 0)
			continue;
		if (r->len[i] + size > FIELD_MAX || r->total + size > BODY_MAX) {
			r->too_big = true;
			return MHD_NO;
		}
		char *p = realloc(r->val[i], r->len[i] + size + 1);
		if (!p)
			return MHD_NO;
		memcpy(p + r->len[i], data, size);
		r->len[i] += size;
		p[r->len[i]] = '\0';
		r->val[i] = p;
		r->total += size;
	}
	return MHD_YES; /* unknown fields are ignored, as a form may add any */
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static bool bare_label(const char *s)
{
	return s[0] && !strchr(s, '.') && !strchr(s, ':');
}

static enum MHD_Result configure(struct setup *s, struct MHD_Connection *c, struct request *r)
{
	char why[1024], host[300], msg[1400];
	const char *sub = r->val[F_SUB] ? r->val[F_SUB] : "";
	const char *region = r->val[F_REGION] ? r->val[F_REGION] : "";
	if (region[0] && bare_label(sub))
		snprintf(host, sizeof(host), "%s.iot.%s.amazonaws.com", sub, region);
	else
		snprintf(host, sizeof(host), "%s", sub);
	long port = 8883;
	if (r->val[F_PORT] && r->val[F_PORT][0]) {
		char *end = NULL;
		port = strtol(r->val[F_PORT], &end, 10);
		if (*end != '\0')
			port = -1;
	}
	struct ck_click_install in = {
		.endpoint = host,
		.port = (int)port,
		.thing = r->val[F_THING],
		.cert_pem = r->val[F_CERT],
		.key_pem = r->val[F_KEY],
		.ca_pem = r->val[F_CA] && r->val[F_CA][0] ? r->val[F_CA] : NULL,
		.wifi_ssid = r->val[F_SSID],
		.wifi_password = r->val[F_PASS],
	};
	if (!in.cert_pem || !in.key_pem) {
		return reply(c, MHD_HTTP_BAD_REQUEST, "text/plain",
		             "aws_iot_certificate and aws_iot_private_key are required\n");
	}
	if (ck_click_install(s->dir, &in, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "not configured: %s\n", why);
		fprintf(stderr, "clickbtn: setup: %s", msg);
		return reply(c, MHD_HTTP_BAD_REQUEST, "text/plain", msg);
	}
	fprintf(stderr, "clickbtn: setup: configured %s for %s:%ld\n", s->dir, host, port);
	snprintf(msg, sizeof(msg), "configured: endpoint %s:%ld\n", host, port);
	s->configured++;
	r->ok = true;
	return reply(c, MHD_HTTP_OK, "text/plain", msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct setup *s = cls;
	(void)version;
	if (strcmp(method, "GET") == 0) {
		if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
			return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page);
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
	}
	if (strcmp(method, "POST") != 0 || strcmp(url, "/configure") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "POST /configure\n");
	struct request *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->pp = MHD_create_post_processor(c, 8192, on_field, r);
		*con_cls = r;
		if (!r->pp)
			return reply(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "text/plain",
			             "expected multipart/form-data\n");
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->pp && !r->too_big)
			MHD_post_process(r->pp, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!r->pp)
		return MHD_YES; /* already answered */
	if (r->too_big)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", "form too large\n");
	return configure(s, c, r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct setup *s = cls;
	struct request *r = *con_cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	/* --once ends only after the answer went out. */
	if (r->ok && s->once) {
		ssize_t w = write(s->wake[1], "x", 1);
		(void)w;
	}
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (int i = 0; i < F_N; i++)
		free(r->val[i]);
	free(r);
	*con_cls = NULL;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

int ck_click_cmd_setup(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup s = { .wake = { -1, -1 } };
	const char *listen = "127.0.0.1:8000";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'c')
			s.dir = optarg;
		else if (c == 'l')
			listen = optarg;
		else if (c == 'o')
			s.once = true;
		else if (c == 'h') {
			puts("usage: clickbtn setup --config DIR [--listen ADDR:PORT] [--once]\n\n"
			     "Serves the classic button's setup page (default 127.0.0.1:8000); "
			     "POST\n"
			     "/configure with wifi_ssid, wifi_password, aws_iot_certificate,\n"
			     "aws_iot_private_key, endpoint_region, endpoint_subdomain (and "
			     "optional\n"
			     "ca_certificate, thing, port) writes DIR. --once exits after the "
			     "first\n"
			     "successful configuration.");
			return CK_CLICK_EXIT_OK;
		} else {
			fprintf(stderr, "clickbtn: setup: bad option \"%s\"\n", argv[optind - 1]);
			return CK_CLICK_EXIT_USAGE;
		}
	}
	if (!s.dir || optind != argc) {
		fprintf(stderr, "clickbtn: setup needs --config DIR\n");
		return CK_CLICK_EXIT_USAGE;
	}
	char addr[64];
	snprintf(addr, sizeof(addr), "%s", listen);
	char *colon = strrchr(addr, ':');
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	if (colon)
		*colon = '\0';
	if (!colon || *end != '\0' || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "clickbtn: --listen wants IPv4:PORT, e.g. 127.0.0.1:8000\n");
		return CK_CLICK_EXIT_USAGE;
	}
	sin.sin_port = htons((uint16_t)port);
	if (pipe(s.wake) != 0)
		return CK_CLICK_EXIT_CONFIG;
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, on_done, &s,
	    MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "clickbtn: setup: cannot listen on %s (in use?)\n", listen);
		close(s.wake[0]);
		close(s.wake[1]);
		return CK_CLICK_EXIT_NETWORK;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("setup page on http://%s:%u/ (POST /configure)\n", addr,
	       info ? (unsigned)info->port : (unsigned)port);
	fflush(stdout);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_signal) {
		struct pollfd p = { .fd = s.wake[0], .events = POLLIN };
		if (poll(&p, 1, 1000) > 0)
			break;
	}
	MHD_stop_daemon(d);
	close(s.wake[0]);
	close(s.wake[1]);
	return CK_CLICK_EXIT_OK;
}
