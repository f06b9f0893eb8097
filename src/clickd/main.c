/*
 * clickd: command line and wiring. Everything clickd does lives in the
 * modules; this file turns flags into options and hands over to the server.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickd/clickd.h"
#include "core/log.h"
#include "engine/ingest.h"
#include "http/http.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: clickd [options]\n"
	    "\n"
	    "Runs the clickd server: the broker (mosquitto with the clickd plugin, started\n"
	    "and supervised here), the rules engine and the HTTP API.\n"
	    "\n"
	    "options:\n"
	    "  --data-dir DIR      state directory (default: $CLICKD_DATA_DIR or ./clickd-data);\n"
	    "                      created with mode 0700 on first start, with the CA, the\n"
	    "                      store, the journal and the generated broker configuration\n"
	    "  --http ADDR:PORT    HTTP API address (default 127.0.0.1:8080)\n"
	    "  --mqtt ADDR:PORT    device listener, mutual TLS (default 0.0.0.0:8883)\n"
	    "  --public-host NAME  host name devices connect to, written into device bundles\n"
	    "                      and the server certificate (default: the --mqtt address,\n"
	    "                      or 127.0.0.1 when that is 0.0.0.0)\n"
	    "  --mosquitto PATH    broker binary (default /usr/sbin/mosquitto)\n"
	    "  --plugin PATH       clickd_plugin.so (default: next to this program)\n"
	    "  --journal-sync normal|full\n"
	    "                      normal (default): an acknowledged press survives a crash\n"
	    "                      of any process; full: an fsync per press, it also\n"
	    "                      survives power loss\n"
	    "  --journal-max-bytes N[K|M|G]\n"
	    "                      journal size limit (default 1G, at least 64K); when\n"
	    "                      unprocessed presses fill it, devices are refused\n"
	    "  --journal-retention SECONDS\n"
	    "                      keep processed presses in the journal this long\n"
	    "                      (default 86400; pruned sooner when the journal is 90%% full)\n"
	    "  --log-level LEVEL   debug, info, warn or error (default info)\n"
	    "  --account-id ID     what accountid() returns in rules (default 000000000000)\n"
	    "  --prices FILE       price file for the usage API's AWS equivalent (default:\n"
	    "                      aws-us-east-1.prices next to clickd, in the source tree's\n"
	    "                      data/prices or in /usr/share/clickd/prices)\n"
	    "  --dedup-window-ms N a message without seq or eventId that repeats the same\n"
	    "                      topic and payload from the same thing within N ms is\n"
	    "                      a device retry, recorded as a duplicate (default 3000;\n"
	    "                      0 turns this off)\n"
	    "  --function-retry-ms N\n"
	    "                      a function that failed is retried after N ms, then 2N\n"
	    "                      (default 60000, as AWS Lambda's asynchronous invocation)\n"
	    "  --web-dir DIR       the web app served at / and /app/ (default: the web/\n"
	    "                      directory of the source tree this clickd was built from)\n"
	    "  --cookie-secure     mark session cookies Secure (when a TLS proxy serves\n"
	    "                      clickd's HTTP to browsers)\n"
	    "  --help              show this help\n"
	    "  --version           show the version\n"
	    "\n"
	    "The API token is in DIR/admin.token. Stop with SIGTERM or Ctrl-C.\n");
}

/* Parses a non-negative count with an optional K, M or G suffix (1024^n). */
static int parse_count(const char *s, bool suffix, long long *out)
{
	char *end = NULL;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int shift = 0;
	if (suffix && *end) {
		const char *units = "KMG";
		const char *u = strchr(units, *end);
		if (!u)
			return -1;
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (errno || *end || v > (LLONG_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "clickd: %s \"%s\" (see clickd --help)\n", what, arg);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "http", required_argument, NULL, 'H' },
		{ "mqtt", required_argument, NULL, 'm' },
		{ "public-host", required_argument, NULL, 'p' },
		{ "mosquitto", required_argument, NULL, 'M' },
		{ "plugin", required_argument, NULL, 'P' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "journal-sync", required_argument, NULL, 's' },
		{ "journal-max-bytes", required_argument, NULL, 'B' },
		{ "journal-retention", required_argument, NULL, 'R' },
		{ "dedup-window-ms", required_argument, NULL, 'w' },
		{ "account-id", required_argument, NULL, 'a' },
		{ "prices", required_argument, NULL, 'Q' },
		{ "function-retry-ms", required_argument, NULL, 'F' },
		{ "web-dir", required_argument, NULL, 'W' },
		{ "cookie-secure", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_options opt = {
		.data_dir = getenv("CLICKD_DATA_DIR") ? getenv("CLICKD_DATA_DIR") : "clickd-data",
		.http_addr = "127.0.0.1",
		.http_port = 8080,
		.mqtt_addr = "0.0.0.0",
		.mqtt_port = 8883,
		.mosquitto = "/usr/sbin/mosquitto",
		.dedup_window_ms = CK_INGEST_DEDUP_WINDOW_DEFAULT_MS,
		.account_id = "000000000000",
		.journal_sync = "normal",
		.journal_max_bytes = 1LL << 30,
		.journal_retention_s = 86400,
		.web_dir = CK_WEB_DIR,
	};
	enum ck_log_level level;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.data_dir = optarg;
			break;
		case 'H':
			if (ck_parse_hostport(optarg, opt.http_addr, sizeof(opt.http_addr),
			                      &opt.http_port) != 0)
				return bad("--http wants ADDR:PORT with an IPv4 address, not",
				           optarg);
			break;
		case 'm':
			if (ck_parse_hostport(optarg, opt.mqtt_addr, sizeof(opt.mqtt_addr),
			                      &opt.mqtt_port) != 0)
				return bad("--mqtt wants ADDR:PORT with an IPv4 address, not",
				           optarg);
			break;
		case 'p':
			opt.public_host = optarg;
			break;
		case 'M':
			opt.mosquitto = optarg;
			break;
		case 'P':
			opt.plugin = optarg;
			break;
		case 'Q':
			opt.prices = optarg;
			break;
		case 'a':
			if (!*optarg || strlen(optarg) > 64 ||
			    strspn(optarg, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
			                   "TUVWXYZ-_") != strlen(optarg))
				return bad(
				    "--account-id wants 1 to 64 letters, digits, '-' or '_', not",
				    optarg);
			opt.account_id = optarg;
			break;
		case 'w': {
			char *end = NULL;
			long long v = strtoll(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 86400000)
				return bad("--dedup-window-ms wants 0 to 86400000, not", optarg);
			opt.dedup_window_ms = v;
			break;
		}
		case 'F': {
			char *end = NULL;
			long long v = strtoll(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 3600000)
				return bad("--function-retry-ms wants 1 to 3600000, not", optarg);
			opt.function_retry_ms = v;
			break;
		}
		case 'l':
			if (ck_log_parse_level(optarg, &level) != 0)
				return bad("unknown log level", optarg);
			ck_log_set_level(level);
			break;
		case 's':
			if (strcmp(optarg, "normal") != 0 && strcmp(optarg, "full") != 0)
				return bad("--journal-sync wants normal or full, not", optarg);
			opt.journal_sync = optarg;
			break;
		case 'B':
			if (parse_count(optarg, true, &opt.journal_max_bytes) != 0 ||
			    opt.journal_max_bytes < 64 * 1024)
				return bad("--journal-max-bytes wants a size of at least 64K, not",
				           optarg);
			break;
		case 'R':
			if (parse_count(optarg, false, &opt.journal_retention_s) != 0)
				return bad("--journal-retention wants seconds, not", optarg);
			break;
		case 'W':
			opt.web_dir = optarg;
			break;
		case 'S':
			opt.cookie_secure = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("clickd %s\n", CK_VERSION);
			return 0;
		default:
			return bad("unknown option or missing value", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument", argv[optind]);
	return ck_server_run(&opt);
}
