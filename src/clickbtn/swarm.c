/*
 * `clickbtn swarm`: many virtual buttons from one process, each with its
 * own certificate (the device directories under --devices, as `clickctl
 * thing create` writes them), pressing at an aggregate rate for a while,
 * over persistent connections or with a new connection for each press as
 * real battery buttons do. One poll loop drives every connection (see
 * link.h). It reports the achieved rate, press-to-PUBACK latency
 * percentiles, connection errors and handshakes per second. The presses
 * are ordinary AWS IoT Button payloads with seq and pressedAt, so they go
 * through the whole of clickd.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickbtn/agent.h"
#include "clickbtn/config.h"
#include "clickbtn/link.h"
#include "clickbtn/publish.h"
#include "device/payload.h"

#define SWARM_MAX      10000
#define CONNECT_WINDOW 64 /* persistent mode: connections opened at once */

struct button {
	struct ck_click_config cfg;
	struct ck_click_link link;
	char topic[sizeof("iotbutton/") + CK_BTNCONF_THING_MAX];
	int64_t seq;
	int mid;          /* in flight, 0: none */
	int64_t press_at; /* of the press in flight, ck_click_now_ms */
	int64_t press_us; /* the same, microseconds */
	bool want_press;  /* connect-per-press: publish once up */
	bool close_now;   /* connect-per-press: acknowledged, disconnect */
	struct swarm *sw;
};

struct swarm {
	struct button *b;
	int n;
	bool per_press;
	int64_t presses, delivered, refused, skipped, lost;
	int64_t *lat; /* press-to-PUBACK, microseconds */
	int64_t nlat, cap_lat;
};

static volatile sig_atomic_t stopped;

static void on_stop(int sig)
{
	(void)sig;
	stopped = 1;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void record(struct swarm *sw, int64_t ms)
{
	if (sw->nlat == sw->cap_lat) {
		int64_t cap = sw->cap_lat ? sw->cap_lat * 2 : 4096;
		int64_t *p = realloc(sw->lat, (size_t)cap * sizeof(*p));
		if (!p)
			return;
		sw->lat = p;
		sw->cap_lat = cap;
	}
	sw->lat[sw->nlat++] = ms;
}

static void publish(struct button *b, int64_t now)
{
	char payload[CK_PAYLOAD_ENCODED_MAX];
	struct ck_press p = { .click = CK_CLICK_SINGLE,
		              .battery_mv = 3000,
		              .seq = b->seq++,
		              .pressed_ms = unix_ms() - (now - b->press_at) };
	snprintf(p.serial, sizeof(p.serial), "%s", b->cfg.conf.thing);
	int n = ck_payload_encode(&p, payload, sizeof(payload));
	int mid = n > 0 ? ck_click_link_publish(&b->link, b->topic, payload, (size_t)n) : -EINVAL;
	b->want_press = false;
	if (mid > 0) {
		b->mid = mid;
	} else {
		b->sw->lost++;
		b->mid = 0;
	}
}

static void on_acked(void *arg, struct ck_click_link *l, int mid, int reason)
{
	struct button *b = arg;
	if (mid != b->mid)
		return;
	b->mid = 0;
	if (reason >= 0x80) {
		b->sw->refused++;
	} else {
		b->sw->delivered++;
		record(b->sw, now_us() - b->press_us);
	}
	/* Not from inside libmosquitto's callback: the loop closes it. */
	if (b->sw->per_press)
		b->close_now = true;
	(void)l;
}

static void on_state(void *arg, struct ck_click_link *l, enum ck_click_link_state st,
                     const char *why)
{
	struct button *b = arg;
	(void)l;
	(void)why;
	if (st == CK_LINK_UP && b->want_press)
		publish(b, ck_click_now_ms());
	if (st == CK_LINK_DOWN && (b->mid != 0 || b->want_press)) {
		b->sw->lost++;
		b->mid = 0;
		b->want_press = false;
	}
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static int64_t pct(const int64_t *v, int64_t n, double p)
{
	if (n == 0)
		return -1;
	int64_t i = (int64_t)ceil(p / 100.0 * (double)n) - 1;
	if (i < 0)
		i = 0;
	return v[i >= n ? n - 1 : i];
}

static int names_cmp(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int load(struct swarm *sw, const char *dir, int want, bool resume)
{
	struct dirent **names = NULL;
	char why[1024], path[4096];
	int n = scandir(dir, &names, NULL, names_cmp);
	if (n < 0) {
		fprintf(stderr, "clickbtn: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	static const struct ck_click_link_ops ops = { on_acked, NULL, on_state };
	for (int i = 0; i < n; i++) {
		if (sw->n < want && names[i]->d_name[0] != '.') {
			struct button *b = &sw->b[sw->n];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			if (ck_click_config_load(path, &b->cfg, why, sizeof(why)) == 0) {
				b->sw = sw;
				b->seq = unix_ms() << 10;
				snprintf(b->topic, sizeof(b->topic), "iotbutton/%s",
				         b->cfg.conf.thing);
				b->link = (struct ck_click_link){
					.host = b->cfg.conf.endpoint,
					.port = b->cfg.conf.port,
					.client_id = b->cfg.conf.thing,
					.cert = b->cfg.cert,
					.key = b->cfg.key,
					.ca = b->cfg.ca,
					.resume = resume,
					.reconnect = !sw->per_press,
					.ops = &ops,
					.arg = b,
				};
				if (ck_click_link_init(&b->link, why, sizeof(why)) == 0)
					sw->n++;
				else
					fprintf(stderr, "clickbtn: %s: %s\n", path, why);
			}
		}
		free(names[i]);
	}
	free(names);
	if (sw->n < want) {
		fprintf(stderr,
		        "clickbtn: %s holds %d usable device directories, %d wanted (create them "
		        "with clickctl thing create NAME --out %s/NAME)\n",
		        dir, sw->n, want, dir);
		return -1;
	}
	if (!sw->per_press) {
		/* Persistent mode connects gradually; the window below opens them. */
		for (int i = 0; i < sw->n; i++)
			sw->b[i].link.retry_at = INT64_MAX;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: clickbtn swarm --devices DIR --things N --rate R --duration D\n"
	      "                      [--connect-per-press] [--no-resume] [--verbose]\n"
	      "\n"
	      "N virtual buttons (the first N device directories in DIR, each with its own\n"
	      "certificate) press SINGLE at R presses per second in total for D seconds,\n"
	      "over persistent connections, or with a new connection (TLS handshake,\n"
	      "CONNECT, PUBLISH, PUBACK, DISCONNECT) for each press. Reports the achieved\n"
	      "rate, press-to-PUBACK latency percentiles, connection errors and handshakes\n"
	      "per second.\n",
	      f);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Picks an idle button for the next press, round robin. */
static struct button *idle_button(struct swarm *sw, int *cursor)
{
	for (int k = 0; k < sw->n; k++) {
		struct button *b = &sw->b[(*cursor + k) % sw->n];
		bool idle = sw->per_press ? b->link.st == CK_LINK_DOWN && !b->want_press
		                          : b->link.st == CK_LINK_UP && b->mid == 0;
		if (idle) {
			*cursor = (*cursor + k + 1) % sw->n;
			return b;
		}
	}
	return NULL;
}

static void report(const struct swarm *sw, double secs, double window, double connect_secs,
                   double rate, int64_t handshakes, int64_t resumed, int64_t errors)
{
	int64_t *v = sw->lat;
	if (sw->nlat > 1)
		qsort(v, (size_t)sw->nlat, sizeof(*v), cmp64);
	printf("swarm: %d things, %s, target %.1f presses/s for %.1f s (ran %.1f s with the "
	       "last PUBACKs)\n",
	       sw->n, sw->per_press ? "a new connection per press" : "persistent connections", rate,
	       window, secs);
	printf("presses: %lld sent, %lld acknowledged, %lld refused, %lld lost, %lld skipped "
	       "(no idle button)\n",
	       (long long)sw->presses, (long long)sw->delivered, (long long)sw->refused,
	       (long long)sw->lost, (long long)sw->skipped);
	printf("achieved: %.1f acknowledged presses/s\n", (double)sw->delivered / secs);
	printf("press to PUBACK (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
	       (double)pct(v, sw->nlat, 50) / 1000.0, (double)pct(v, sw->nlat, 90) / 1000.0,
	       (double)pct(v, sw->nlat, 99) / 1000.0, (double)pct(v, sw->nlat, 100) / 1000.0);
	double hs_secs = sw->per_press ? secs : connect_secs;
	printf("handshakes: %lld (%lld resumed), %.1f per second%s\n", (long long)handshakes,
	       (long long)resumed, hs_secs > 0 ? (double)handshakes / hs_secs : 0.0,
	       sw->per_press ? "" : " while connecting");
	printf("connection errors: %lld\n", (long long)errors);
}

int ck_click_cmd_swarm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "devices", required_argument, NULL, 'd' },
		{ "things", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 't' },
		{ "connect-per-press", no_argument, NULL, 'p' },
		{ "no-resume", no_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct swarm sw = { 0 };
	const char *dir = NULL;
	double things = 0, rate = 0, duration = 0;
	bool resume = true, verbose = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
		case 'r':
		case 't':
			if (parse_num(optarg, c == 'n' ? 1 : 0.001,
			              c == 'n'   ? SWARM_MAX
			              : c == 'r' ? 100000
			                         : 86400,
			              c == 'n'   ? &things
			              : c == 'r' ? &rate
			                         : &duration) != 0) {
				fprintf(stderr, "clickbtn: swarm: bad value for %s: \"%s\"\n",
				        argv[optind - 1], optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			break;
		case 'p':
			sw.per_press = true;
			break;
		case 'R':
			resume = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return CK_CLICK_EXIT_OK;
		default:
			fprintf(stderr,
			        "clickbtn: swarm: bad option \"%s\" (see clickbtn swarm --help)\n",
			        argv[optind - 1]);
			return CK_CLICK_EXIT_USAGE;
		}
	}
	if (!dir || things < 1 || rate <= 0 || duration <= 0 || optind != argc) {
		fprintf(stderr, "clickbtn: swarm needs --devices DIR --things N --rate R "
		                "--duration D (see clickbtn swarm --help)\n");
		return CK_CLICK_EXIT_USAGE;
	}
	sw.b = calloc((size_t)things, sizeof(*sw.b));
	struct pollfd *pfd = calloc((size_t)things, sizeof(*pfd));
	int *idx = calloc((size_t)things, sizeof(*idx));
	if (!sw.b || !pfd || !idx) {
		fprintf(stderr, "clickbtn: out of memory\n");
		return CK_CLICK_EXIT_CONFIG;
	}
	mosquitto_lib_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_stop);
	int rc = CK_CLICK_EXIT_CONFIG;
	if (load(&sw, dir, (int)things, resume) != 0)
		goto out;
	for (int i = 0; i < sw.n; i++)
		sw.b[i].link.verbose = verbose;

	/* Persistent mode: connect everyone first, CONNECT_WINDOW at a time. */
	int64_t t0 = ck_click_now_ms();
	double connect_secs = 0;
	int next_open = 0;
	int64_t start = t0, end = t0, next_press = t0;
	bool pressing = sw.per_press;
	if (pressing) {
		end = start + (int64_t)(duration * 1000);
	}
	double interval = 1000.0 / rate;
	int64_t npress = 0;
	int cursor = 0;
	for (;;) {
		int64_t now = ck_click_now_ms();
		if (stopped)
			break;
		if (!pressing) {
			int up = 0, busy = 0;
			for (int i = 0; i < sw.n; i++) {
				up += sw.b[i].link.st == CK_LINK_UP;
				busy += sw.b[i].link.st == CK_LINK_CONNECTING;
			}
			while (busy < CONNECT_WINDOW && next_open < sw.n) {
				ck_click_link_kick(&sw.b[next_open++].link, now, true);
				busy++;
			}
			if (up == sw.n || (next_open == sw.n && busy == 0 && now - t0 > 30000)) {
				connect_secs = (double)(now - t0) / 1000.0;
				printf("connected %d of %d things in %.2f s\n", up, sw.n,
				       connect_secs);
				pressing = true;
				start = now;
				next_press = now;
				end = start + (int64_t)(duration * 1000);
			}
		}
		/* Presses due now, at the aggregate rate. */
		while (pressing && now >= next_press && next_press < end) {
			sw.presses++;
			struct button *b = idle_button(&sw, &cursor);
			if (!b) {
				sw.skipped++;
			} else {
				b->press_at = now;
				b->press_us = now_us();
				if (sw.per_press) {
					b->want_press = true;
					ck_click_link_kick(&b->link, now, true);
				} else {
					publish(b, now);
				}
			}
			npress++;
			next_press = start + (int64_t)((double)npress * interval);
		}
		int inflight = 0;
		for (int i = 0; i < sw.n; i++)
			inflight += sw.b[i].mid != 0 || sw.b[i].want_press;
		if (pressing && now >= end && (inflight == 0 || now > end + 10000))
			break;
		int np = 0;
		int64_t due = pressing && next_press < end ? next_press : now + 50;
		for (int i = 0; i < sw.n; i++) {
			short ev = 0;
			int fd = ck_click_link_fd(&sw.b[i].link, &ev);
			int64_t d = ck_click_link_deadline(&sw.b[i].link);
			if (d < due)
				due = d;
			if (fd >= 0) {
				pfd[np] = (struct pollfd){ .fd = fd, .events = ev };
				idx[np++] = i;
			}
		}
		int timeout = due <= now ? 0 : (int)(due - now > 50 ? 50 : due - now);
		int r = poll(pfd, (nfds_t)np, timeout);
		now = ck_click_now_ms();
		/* Buttons without a socket may have an attempt due. */
		for (int i = 0; i < sw.n; i++) {
			if (!sw.b[i].link.mosq && ck_click_link_deadline(&sw.b[i].link) <= now)
				ck_click_link_step(&sw.b[i].link, now, 0);
		}
		for (int k = 0; k < np; k++) {
			struct ck_click_link *l = &sw.b[idx[k]].link;
			if ((r > 0 && pfd[k].revents) || ck_click_link_deadline(l) <= now)
				ck_click_link_step(l, now, r > 0 ? pfd[k].revents : 0);
			if (sw.b[idx[k]].close_now) {
				sw.b[idx[k]].close_now = false;
				ck_click_link_close(l, now);
			}
		}
	}
	double secs = (double)(ck_click_now_ms() - start) / 1000.0;
	int64_t handshakes = 0, resumed = 0, errors = 0;
	for (int i = 0; i < sw.n; i++) {
		handshakes += (int64_t)sw.b[i].link.handshakes;
		resumed += (int64_t)sw.b[i].link.resumed;
		errors += (int64_t)sw.b[i].link.conn_errors;
	}
	report(&sw, secs, duration, connect_secs, rate, handshakes, resumed, errors);
	rc = sw.delivered > 0 && sw.lost == 0 && sw.refused == 0 ? CK_CLICK_EXIT_OK
	                                                         : CK_CLICK_EXIT_PUBLISH;
out:
	for (int i = 0; i < sw.n; i++) {
		ck_click_link_close(&sw.b[i].link, ck_click_now_ms());
		ck_click_link_cleanup(&sw.b[i].link);
	}
	mosquitto_lib_cleanup();
	free(sw.lat);
	free(sw.b);
	free(pfd);
	free(idx);
	return rc;
}
