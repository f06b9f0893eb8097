/*
 * clickd: command line and wiring. Everything clickd does lives in the
 * modules; this file turns flags into options and hands over to the server.
 */
#include <getopt.h>
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
	    "  --log-level LEVEL   debug, info, warn or error (default info)\n"
	    "  --dedup-window-ms N a message without seq or eventId that repeats the same\n"
	    "                      topic and payload from the same thing within N ms is\n"
	    "                      a device retry, recorded as a duplicate (default 3000;\n"
	    "                      0 turns this off)\n"
	    "  --help              show this help\n"
	    "  --version           show the version\n"
	    "\n"
	    "The API token is in DIR/admin.token. Stop with SIGTERM or Ctrl-C.\n");
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
		{ "dedup-window-ms", required_argument, NULL, 'w' },
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
		case 'w': {
			char *end = NULL;
			long long v = strtoll(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 86400000)
				return bad("--dedup-window-ms wants 0 to 86400000, not", optarg);
			opt.dedup_window_ms = v;
			break;
		}
		case 'l':
			if (ck_log_parse_level(optarg, &level) != 0)
				return bad("unknown log level", optarg);
			ck_log_set_level(level);
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
