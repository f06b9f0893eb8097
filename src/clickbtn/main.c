/*
 * clickbtn, the device agent: `clickbtn --config DIR press single` sends
 * one AWS IoT Button message and exits 0 only once the broker has
 * acknowledged it. This file is the command line and the wiring: options,
 * exit codes, the press being built, and arming the last-resort alarm
 * (deadline.c) where libmosquitto blocks (DNS lookup, TCP connect). The
 * configuration, the seq counter, the battery and the MQTT session each
 * live in their own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clickbtn/agent.h"
#include "clickbtn/battery.h"
#include "clickbtn/config.h"
#include "clickbtn/deadline.h"
#include "clickbtn/publish.h"
#include "clickbtn/state.h"
#include "device/payload.h"

#define DEFAULT_TIMEOUT_S 10.0
#define MAX_TIMEOUT_S     3600.0
#define ALARM_GRACE_MS    100
#define POWER_SUPPLY_DIR  "/sys/class/power_supply"

static void usage(FILE *f)
{
	fputs(
	    "usage: clickbtn --config DIR [options] press single|double|long\n"
	    "       clickbtn run --config DIR [options]      the button agent (see run --help)\n"
	    "       clickbtn swarm --devices DIR --things N --rate R --duration D\n"
	    "                      [--connect-per-press]     many virtual buttons\n"
	    "       clickbtn setup --config DIR [--listen ADDR:PORT]   local setup page\n"
	    "       clickbtn provision --config DIR --bundle PATH      install a bundle\n"
	    "       clickbtn provision --claim DIR --template NAME --serial SERIAL\n"
	    "                          [--config DIR2]  provision by claim (see provision --help)\n"
	    "\n"
	    "Sends one button press as an AWS IoT Button message over MQTT 5 with mutual\n"
	    "TLS, and exits 0 only after the broker has acknowledged it (QoS 1 PUBACK).\n"
	    "\n"
	    "options:\n"
	    "  --config DIR       device directory (required): clickbtn.conf, the files it\n"
	    "                     names (default cert.pem, key.pem, ca.pem), and\n"
	    "                     clickbtn.state, the press counter clickbtn keeps\n"
	    "  --timeout SECONDS  limit for connect, publish and PUBACK together\n"
	    "                     (default 10, at most 3600, fractions allowed)\n"
	    "  --battery-mv N     report N millivolts (0..99999) instead of reading\n"
	    "                     " POWER_SUPPLY_DIR "; without a battery the field\n"
	    "                     is left out\n"
	    "  --verbose          show progress and the MQTT library's log on stderr\n"
	    "  --help             show this help\n"
	    "  --version          show the version\n"
	    "\n"
	    "message, to topic iotbutton/<thing> at QoS 1, client id <thing>:\n"
	    "  "
	    "{\"serialNumber\":\"<thing>\",\"batteryVoltage\":\"<n>mV\",\"clickType\":\"SINGLE\",\n"
	    "   \"seq\":<n>,\"pressedAt\":<Unix ms>}\n"
	    "seq grows by one per press and is saved in clickbtn.state before sending, so\n"
	    "it is never reused (a failed press leaves a gap).\n"
	    "\n"
	    "exit status:\n"
	    "  0  delivered (PUBACK with a success reason code)\n"
	    "  2  usage error\n"
	    "  3  configuration, credential or state file problem (the file is named)\n"
	    "  4  connection refused by the broker (CONNACK: not authorized, bad credentials)\n"
	    "  5  timed out\n"
	    "  6  TLS failure (certificate rejected, CA mismatch, handshake failed)\n"
	    "  7  publish refused (PUBACK reason >= 0x80, or the broker closed the\n"
	    "     connection before the PUBACK)\n"
	    "  8  network error (cannot resolve or connect, connection lost)\n"
	    "  9  provision --claim: refused by clickd or by the claim's policy\n",
	    f);
}

static int usage_error(const char *what, const char *arg)
{
	if (arg)
		fprintf(stderr, "clickbtn: %s \"%s\" (see clickbtn --help)\n", what, arg);
	else
		fprintf(stderr, "clickbtn: %s (see clickbtn --help)\n", what);
	return CK_CLICK_EXIT_USAGE;
}

struct options {
	const char *dir;
	double timeout_s;
	int battery_mv; /* -1: read sysfs */
	bool verbose;
	enum ck_click click;
};

static int parse_timeout(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > MAX_TIMEOUT_S)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_mv(const char *s, int *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > CK_PAYLOAD_MV_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static enum ck_click parse_click(const char *s)
{
	if (strcasecmp(s, "single") == 0)
		return CK_CLICK_SINGLE;
	if (strcasecmp(s, "double") == 0)
		return CK_CLICK_DOUBLE;
	if (strcasecmp(s, "long") == 0)
		return CK_CLICK_LONG;
	return CK_CLICK_NONE;
}

/* Returns -1 to go on, or the exit code (0 after --help or --version). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "battery-mv", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, ":h", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'c':
			o->dir = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &o->timeout_s) != 0)
				return usage_error("--timeout wants seconds in (0, 3600], not",
				                   optarg);
			break;
		case 'b':
			if (parse_mv(optarg, &o->battery_mv) != 0)
				return usage_error("--battery-mv wants millivolts 0..99999, not",
				                   optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V': {
			int maj = 0, min = 0, rev = 0;
			mosquitto_lib_version(&maj, &min, &rev);
			printf("clickbtn %s (libmosquitto %d.%d.%d)\n", CK_VERSION, maj, min, rev);
			return 0;
		}
		case ':':
			return usage_error("missing value for", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (!o->dir)
		return usage_error("--config DIR is required", NULL);
	if (!o->dir[0])
		return usage_error("--config wants a directory, not", o->dir);
	int n = argc - optind;
	if (n == 0)
		return usage_error("missing command: press single|double|long", NULL);
	if (strcmp(argv[optind], "press") != 0)
		return usage_error("unknown command", argv[optind]);
	if (n < 2)
		return usage_error("press wants single, double or long", NULL);
	o->click = parse_click(argv[optind + 1]);
	if (o->click == CK_CLICK_NONE)
		return usage_error("press wants single, double or long, not", argv[optind + 1]);
	if (n > 2)
		return usage_error("unexpected argument", argv[optind + 2]);
	return -1;
}

/* What the publish step needs to build the press once connected. */
struct press_ctx {
	int dirfd;
	const char *dir;
	struct ck_press press;
};

/* Takes the next seq durably, then encodes the press (see ck_click_job). */
static int make_payload(void *arg, char *buf, size_t cap, char *why, size_t why_len)
{
	struct press_ctx *p = arg;
	int64_t seq = 0;
	int rc = ck_click_state_next(p->dirfd, p->dir, &seq, why, why_len);
	if (rc != 0)
		return rc;
	p->press.seq = seq;
	rc = ck_payload_encode(&p->press, buf, cap);
	if (rc < 0)
		snprintf(why, why_len, "cannot encode the press: %s", strerror(-rc));
	return rc;
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail_config(const char *why)
{
	fprintf(stderr, "clickbtn: %s\n", why);
	return CK_CLICK_EXIT_CONFIG;
}

/* Options of any command that take a value, so that a value is never
 * mistaken for a command word. */
static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {
		"--config",   "--timeout",     "--battery-mv", "--input",    "--led",
		"--gestures", "--debounce-ms", "--double-ms",  "--long-ms",  "--hold-ms",
		"--devices",  "--things",      "--rate",       "--duration", "--listen",
		"--bundle",   "--inflight",    "--claim",      "--template", "--serial",
		"--attr",     "--out",
	};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++) {
		if (strcmp(opt, with_value[i]) == 0)
			return true;
	}
	return false;
}

/* Runs "run", "swarm", "setup" or "provision" when one is the command
 * word; returns -1 for "press" and the rest, handled below. */
static int dispatch(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "run", ck_click_cmd_run },
		{ "swarm", ck_click_cmd_swarm },
		{ "setup", ck_click_cmd_setup },
		{ "provision", ck_click_cmd_provision },
	};
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (takes_value(argv[i]))
				i++;
			continue;
		}
		for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
			if (strcmp(argv[i], cmds[k].name) != 0)
				continue;
			/* Drop the command word; the command parses the rest. */
			for (int j = i; j + 1 < argc; j++)
				argv[j] = argv[j + 1];
			argv[argc - 1] = NULL;
			return cmds[k].fn(argc - 1, argv);
		}
		return -1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int drc = dispatch(argc, argv);
	if (drc >= 0)
		return drc;
	struct options o = { .timeout_s = DEFAULT_TIMEOUT_S, .battery_mv = -1 };
	struct ck_click_config cfg;
	struct press_ctx ctx = { .dirfd = -1 };
	char why[1024];
	char topic[sizeof("iotbutton/") + CK_BTNCONF_THING_MAX];
	int64_t last = 0;

	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* The press happened now, whatever the network does next. */
	ctx.press.pressed_ms = unix_ms();
	int64_t start = ck_click_now_ms();
	int64_t deadline = start + (int64_t)(o.timeout_s * 1000.0 + 0.5);
	signal(SIGPIPE, SIG_IGN);

	if (ck_click_config_load(o.dir, &cfg, why, sizeof(why)) != 0)
		return fail_config(why);
	ctx.dir = o.dir;
	ctx.dirfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx.dirfd < 0) {
		snprintf(why, sizeof(why), "%s: %s", o.dir, strerror(errno));
		return fail_config(why);
	}
	/* Catch a corrupt counter or a read-only directory before connecting. */
	if (ck_click_state_read(ctx.dirfd, o.dir, &last, why, sizeof(why)) != 0) {
		close(ctx.dirfd);
		return fail_config(why);
	}
	if (access(o.dir, W_OK) != 0) {
		snprintf(why, sizeof(why), "%s: not writable (clickbtn.state is kept there): %s",
		         o.dir, strerror(errno));
		close(ctx.dirfd);
		return fail_config(why);
	}

	ctx.press.click = o.click;
	snprintf(ctx.press.serial, sizeof(ctx.press.serial), "%s", cfg.conf.thing);
	ctx.press.battery_mv = o.battery_mv;
	if (ctx.press.battery_mv < 0 &&
	    ck_click_battery_mv(POWER_SUPPLY_DIR, &ctx.press.battery_mv) != 0)
		ctx.press.battery_mv = -1;
	snprintf(topic, sizeof(topic), "iotbutton/%s", cfg.conf.thing);

	struct ck_click_job job = {
		.host = cfg.conf.endpoint,
		.port = cfg.conf.port,
		.client_id = cfg.conf.thing,
		.topic = topic,
		.cert = cfg.cert,
		.key = cfg.key,
		.ca = cfg.ca,
		.deadline_ms = deadline,
		.timeout_s = o.timeout_s,
		.verbose = o.verbose,
		.payload = make_payload,
		.arg = &ctx,
	};
	ck_deadline_arm(deadline - ck_click_now_ms() + ALARM_GRACE_MS, o.timeout_s, job.host,
	                job.port);

	mosquitto_lib_init();
	rc = ck_click_publish(&job, why, sizeof(why));
	mosquitto_lib_cleanup();
	close(ctx.dirfd);
	if (rc != CK_CLICK_EXIT_OK)
		fprintf(stderr, "clickbtn: %s\n", why);
	return rc;
}
