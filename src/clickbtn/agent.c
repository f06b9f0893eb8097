/*
 * `clickbtn run`: the button agent. One poll loop over the press source,
 * the broker connection and the timers of the click detector, the LED and
 * the reconnect backoff. A recognised gesture gets its seq (durably), is
 * encoded with its original press time and written to the offline queue
 * before anything is sent; the queue is then delivered in order, one
 * press in flight at a time, each removed only after its PUBACK. The
 * agent ends on SIGINT or SIGTERM (waiting presses stay queued on disk),
 * on 'q' at the terminal, or when the press source ends and the queue is
 * empty.
 */
#include "clickbtn/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clickbtn/battery.h"
#include "clickbtn/config.h"
#include "clickbtn/feedback.h"
#include "clickbtn/input.h"
#include "clickbtn/link.h"
#include "clickbtn/publish.h"
#include "clickbtn/queue.h"
#include "clickbtn/state.h"
#include "device/click.h"
#include "device/payload.h"

#define POWER_SUPPLY_DIR "/sys/class/power_supply"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct agent {
	struct ck_click_config cfg;
	int dirfd;
	const char *dir;
	char topic[sizeof("iotbutton/") + CK_BTNCONF_THING_MAX];
	int battery_mv; /* -1: read sysfs at each press */
	struct ck_click_detector det;
	struct ck_input in;
	struct ck_feedback fb;
	struct ck_click_queue q;
	struct ck_click_link link;
	int inflight_mid; /* 0: none */
	int64_t inflight_seq;
	int64_t sent_at;
	int64_t delivered;
};

static void usage(FILE *f)
{
	fputs("usage: clickbtn run --config DIR [options]\n"
	      "\n"
	      "Runs the button agent: reads presses, recognises gestures, queues each on\n"
	      "disk and delivers the queue in order over one long-lived MQTT connection.\n"
	      "\n"
	      "options:\n"
	      "  --input SPEC        terminal (default), evdev:PATH[:KEY] or gpio:CHIP:LINE\n"
	      "  --grab              take an evdev device for clickbtn alone\n"
	      "  --led gpio:CHIP:LINE  an LED for feedback\n"
	      "  --gestures LIST     comma-separated, from single,double,long,triple,hold,\n"
	      "                      release (default single,double,long); without double\n"
	      "                      a single click is sent on release, without waiting\n"
	      "  --debounce-ms N     (default 30)      --double-ms N  (default 400)\n"
	      "  --long-ms N         (default 1500)    --hold-ms N    (default 500)\n"
	      "  --battery-mv N      report N millivolts instead of reading sysfs\n"
	      "  --no-resume         always do a full TLS handshake\n"
	      "  --no-color          plain status lines   --quiet  no status lines\n"
	      "  --verbose           connection details\n",
	      f);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_gestures(const char *list, uint32_t *out)
{
	char buf[128];
	uint32_t g = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		enum ck_click_gesture x = ck_click_gesture_parse(w);
		static const uint32_t bits[] = {
			[CK_GESTURE_SINGLE] = 0,
			[CK_GESTURE_DOUBLE] = CK_CLICK_G_DOUBLE,
			[CK_GESTURE_LONG] = CK_CLICK_G_LONG,
			[CK_GESTURE_TRIPLE] = CK_CLICK_G_TRIPLE,
			[CK_GESTURE_HOLD] = CK_CLICK_G_HOLD,
			[CK_GESTURE_RELEASE] = CK_CLICK_G_RELEASE,
		};
		if (x == CK_GESTURE_NONE)
			return -EINVAL;
		g |= bits[x];
	}
	*out = g;
	return 0;
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The AWS payload for SINGLE, DOUBLE and LONG; the same shape with the
 * gesture's name and its duration for the optional gestures. */
static int encode(const struct agent *a, const struct ck_click_event *ev, int64_t seq,
                  int64_t pressed_unix, char *buf, size_t cap)
{
	struct ck_press p = { .battery_mv = a->battery_mv, .seq = seq, .pressed_ms = pressed_unix };
	snprintf(p.serial, sizeof(p.serial), "%s", a->cfg.conf.thing);
	if (p.battery_mv < 0 && ck_click_battery_mv(POWER_SUPPLY_DIR, &p.battery_mv) != 0)
		p.battery_mv = -1;
	switch (ev->gesture) {
	case CK_GESTURE_SINGLE:
		p.click = CK_CLICK_SINGLE;
		return ck_payload_encode(&p, buf, cap);
	case CK_GESTURE_DOUBLE:
		p.click = CK_CLICK_DOUBLE;
		return ck_payload_encode(&p, buf, cap);
	case CK_GESTURE_LONG:
		p.click = CK_CLICK_LONG;
		return ck_payload_encode(&p, buf, cap);
	default:
		break;
	}
	char mv[32] = "";
	if (p.battery_mv >= 0)
		snprintf(mv, sizeof(mv), "\"batteryVoltage\":\"%dmV\",", p.battery_mv);
	int n = snprintf(buf, cap,
	                 "{\"serialNumber\":\"%s\",%s\"clickType\":\"%s\",\"seq\":%lld,"
	                 "\"pressedAt\":%lld,\"durationMs\":%lld}",
	                 p.serial, mv, ck_click_gesture_name(ev->gesture), (long long)seq,
	                 (long long)pressed_unix, (long long)ev->duration_ms);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

static void on_gesture(struct agent *a, const struct ck_click_event *ev, int64_t now)
{
	char why[512], payload[CK_PAYLOAD_ENCODED_MAX];
	int64_t seq = 0;
	int64_t pressed_unix = unix_ms() - (now - ev->pressed_ms);
	if (ck_click_state_next(a->dirfd, a->dir, &seq, why, sizeof(why)) != 0) {
		ck_feedback_say(&a->fb, 'r', "%s: press lost", why);
		return;
	}
	int n = encode(a, ev, seq, pressed_unix, payload, sizeof(payload));
	if (n < 0) {
		ck_feedback_say(&a->fb, 'r', "cannot encode the press: %s", strerror(-n));
		return;
	}
	if (ck_click_queue_put(&a->q, seq, payload, (size_t)n, why, sizeof(why)) != 0) {
		ck_feedback_say(&a->fb, 'r', "%s: press lost", why);
		return;
	}
	ck_feedback_say(&a->fb, 'y', "%s #%lld queued (%lld waiting)",
	                ck_click_gesture_name(ev->gesture), (long long)seq, (long long)a->q.count);
	ck_feedback_status(&a->fb, a->link.st == CK_LINK_UP ? CK_FB_SENDING : CK_FB_OFFLINE, now);
	ck_click_link_kick(&a->link, now, false);
}

static void on_acked(void *arg, struct ck_click_link *l, int mid, int reason)
{
	struct agent *a = arg;
	(void)l;
	if (mid != a->inflight_mid)
		return;
	int64_t now = ck_click_now_ms();
	a->inflight_mid = 0;
	ck_click_queue_drop(&a->q, a->inflight_seq);
	if (reason >= 0x80) {
		/* Retrying a refusal would block the queue forever. */
		ck_feedback_say(&a->fb, 'r', "#%lld refused: PUBACK reason 0x%02x (%s); dropped",
		                (long long)a->inflight_seq, reason,
		                mosquitto_reason_string(reason));
		return;
	}
	a->delivered++;
	ck_feedback_say(&a->fb, 'g', "#%lld delivered (PUBACK after %lld ms, %lld waiting)",
	                (long long)a->inflight_seq, (long long)(now - a->sent_at),
	                (long long)a->q.count);
}

static void on_feedback(void *arg, struct ck_click_link *l, const void *payload, size_t len)
{
	struct agent *a = arg;
	(void)l;
	ck_feedback_message(&a->fb, payload, len, ck_click_now_ms());
}

static void on_state(void *arg, struct ck_click_link *l, enum ck_click_link_state st,
                     const char *why)
{
	struct agent *a = arg;
	int64_t now = ck_click_now_ms();
	if (st == CK_LINK_DOWN) {
		a->inflight_mid = 0; /* the press stays queued and goes again */
		if (a->q.count > 0)
			ck_feedback_status(&a->fb, CK_FB_OFFLINE, now);
		ck_feedback_say(&a->fb, 'r', "offline: %s; retrying in %lld ms", why,
		                (long long)(l->retry_at - now));
	} else if (st == CK_LINK_UP) {
		ck_feedback_say(&a->fb, 'g', "connected to %s:%d (%s handshake, %lld ms)", l->host,
		                l->port, l->tls.resumed ? "resumed" : "full",
		                (long long)l->connected_ms);
	}
}

static void pump(struct agent *a, int64_t now)
{
	char payload[CK_PAYLOAD_MAX + 1];
	size_t len = 0;
	int64_t seq = 0;
	if (a->link.st != CK_LINK_UP || a->inflight_mid != 0)
		return;
	int rc = ck_click_queue_head(&a->q, &seq, payload, sizeof(payload), &len);
	if (rc <= 0) {
		if (rc == 0)
			ck_feedback_status(&a->fb, CK_FB_IDLE, now);
		return;
	}
	ck_feedback_status(&a->fb, CK_FB_SENDING, now);
	int mid = ck_click_link_publish(&a->link, a->topic, payload, len);
	if (mid > 0) {
		a->inflight_mid = mid;
		a->inflight_seq = seq;
		a->sent_at = now;
	}
}

static void feed(struct agent *a, const struct ck_input_sample *s, int n)
{
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];
	for (int i = 0; i < n; i++) {
		int k = ck_click_feed(&a->det, s[i].pressed, s[i].t_ms, ev);
		for (int j = 0; j < k; j++)
			on_gesture(a, &ev[j], ck_click_now_ms());
	}
}

static int64_t min64(int64_t x, int64_t y)
{
	return x < y ? x : y;
}

static int loop(struct agent *a)
{
	struct ck_input_sample s[CK_INPUT_SAMPLES_MAX];
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];

	while (!stop_signal && !a->in.quit) {
		int64_t now = ck_click_now_ms();
		if (a->in.eof && a->q.count == 0 && a->inflight_mid == 0 &&
		    ck_click_deadline(&a->det) == INT64_MAX)
			break;
		int64_t due = min64(ck_click_deadline(&a->det), ck_click_link_deadline(&a->link));
		due = min64(due, ck_input_deadline(&a->in));
		due = min64(due, ck_feedback_deadline(&a->fb));
		int timeout = due == INT64_MAX ? 1000
		              : due <= now     ? 0
		                               : (int)min64(due - now, 1000);
		struct pollfd p[2];
		int np = 0;
		int in_i = -1, link_i = -1;
		if (!a->in.eof && a->in.fd >= 0) {
			p[np] = (struct pollfd){ .fd = a->in.fd, .events = POLLIN };
			in_i = np++;
		}
		short ev_link = 0;
		int lfd = ck_click_link_fd(&a->link, &ev_link);
		if (lfd >= 0) {
			p[np] = (struct pollfd){ .fd = lfd, .events = ev_link };
			link_i = np++;
		}
		int r = poll(p, (nfds_t)np, timeout);
		if (r < 0 && errno != EINTR)
			return CK_CLICK_EXIT_NETWORK;
		now = ck_click_now_ms();
		if (in_i >= 0 && r > 0 && p[in_i].revents) {
			int n = ck_input_read(&a->in, now, s);
			if (n > 0)
				feed(a, s, n);
			if (a->in.eof && a->in.down)
				a->in.last_key = INT64_MIN / 2; /* release now */
		}
		int n = ck_input_poll(&a->in, now, s);
		if (n > 0)
			feed(a, s, n);
		int k = ck_click_poll(&a->det, now, ev);
		for (int j = 0; j < k; j++)
			on_gesture(a, &ev[j], now);
		ck_click_link_step(&a->link, now, link_i >= 0 && r > 0 ? p[link_i].revents : 0);
		pump(a, now);
		ck_feedback_tick(&a->fb, now);
	}
	if (stop_signal || a->in.quit)
		ck_feedback_say(&a->fb, 0, "stopping; %lld press(es) stay queued in %s",
		                (long long)a->q.count, a->q.path);
	return CK_CLICK_EXIT_OK;
}

int ck_click_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "input", required_argument, NULL, 'i' },
		{ "grab", no_argument, NULL, 'g' },
		{ "led", required_argument, NULL, 'l' },
		{ "gestures", required_argument, NULL, 'G' },
		{ "debounce-ms", required_argument, NULL, 'D' },
		{ "double-ms", required_argument, NULL, 'W' },
		{ "long-ms", required_argument, NULL, 'L' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "battery-mv", required_argument, NULL, 'b' },
		{ "no-resume", no_argument, NULL, 'R' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent a; /* large; one per process */
	struct ck_click_timing t;
	const char *input = "terminal", *led = NULL;
	bool grab = false, resume = true, color = isatty(STDERR_FILENO) == 1, quiet = false;
	bool verbose = false;
	char why[1024];
	long v;
	int c;

	memset(&a, 0, sizeof(a));
	a.battery_mv = -1;
	a.dirfd = -1;
	ck_click_timing_default(&t);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.dir = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'g':
			grab = true;
			break;
		case 'l':
			led = optarg;
			break;
		case 'G':
			if (parse_gestures(optarg, &t.gestures) != 0) {
				fprintf(stderr, "clickbtn: --gestures: unknown gesture in \"%s\"\n",
				        optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			break;
		case 'D':
		case 'W':
		case 'L':
		case 'H':
			if (parse_int(optarg, 0, 600000, &v) != 0) {
				fprintf(stderr, "clickbtn: %s wants milliseconds, not \"%s\"\n",
				        argv[optind - 1], optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			if (c == 'D')
				t.debounce_ms = (int32_t)v;
			else if (c == 'W')
				t.double_ms = (int32_t)v;
			else if (c == 'L')
				t.long_ms = (int32_t)v;
			else
				t.hold_ms = (int32_t)v;
			break;
		case 'b':
			if (parse_int(optarg, 0, CK_PAYLOAD_MV_MAX, &v) != 0) {
				fprintf(stderr,
				        "clickbtn: --battery-mv wants 0..99999, not \"%s\"\n",
				        optarg);
				return CK_CLICK_EXIT_USAGE;
			}
			a.battery_mv = (int)v;
			break;
		case 'R':
			resume = false;
			break;
		case 'C':
			color = false;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return CK_CLICK_EXIT_OK;
		default:
			fprintf(stderr,
			        "clickbtn: run: bad option \"%s\" (see clickbtn run --help)\n",
			        argv[optind - 1]);
			return CK_CLICK_EXIT_USAGE;
		}
	}
	if (!a.dir || optind != argc) {
		fprintf(stderr, "clickbtn: run needs --config DIR and nothing else (see clickbtn "
		                "run --help)\n");
		return CK_CLICK_EXIT_USAGE;
	}
	if (ck_click_timing_check(&t, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: timing: %s\n", why);
		return CK_CLICK_EXIT_USAGE;
	}
	if (ck_click_config_load(a.dir, &a.cfg, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		return CK_CLICK_EXIT_CONFIG;
	}
	int rc = CK_CLICK_EXIT_CONFIG;
	a.dirfd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.dirfd < 0) {
		fprintf(stderr, "clickbtn: %s: %s\n", a.dir, strerror(errno));
		return CK_CLICK_EXIT_CONFIG;
	}
	if (ck_click_queue_open(&a.q, a.dirfd, a.dir, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		goto out_dir;
	}
	if (ck_feedback_open(&a.fb, color, quiet, led, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		goto out_queue;
	}
	if (ck_input_open(&a.in, input, grab, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		goto out_fb;
	}
	snprintf(a.topic, sizeof(a.topic), "iotbutton/%s", a.cfg.conf.thing);
	static const struct ck_click_link_ops ops = { on_acked, on_feedback, on_state };
	a.link = (struct ck_click_link){
		.host = a.cfg.conf.endpoint,
		.port = a.cfg.conf.port,
		.client_id = a.cfg.conf.thing,
		.cert = a.cfg.cert,
		.key = a.cfg.key,
		.ca = a.cfg.ca,
		.subscribe = true,
		.resume = resume,
		.reconnect = true,
		.verbose = verbose,
		.ops = &ops,
		.arg = &a,
	};
	mosquitto_lib_init();
	if (ck_click_link_init(&a.link, why, sizeof(why)) != 0) {
		fprintf(stderr, "clickbtn: %s\n", why);
		goto out_lib;
	}
	ck_click_init(&a.det, &t, ck_click_now_ms());
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a.q.count > 0)
		ck_feedback_say(&a.fb, 'y', "%lld press(es) waiting from before",
		                (long long)a.q.count);
	ck_feedback_say(&a.fb, 0, "%s ready: %s%s", a.cfg.conf.thing, input,
	                a.in.tty ? " (press space; q quits)" : "");
	rc = loop(&a);
	ck_click_link_close(&a.link, ck_click_now_ms());
	ck_click_link_cleanup(&a.link);
out_lib:
	mosquitto_lib_cleanup();
	ck_input_close(&a.in);
out_fb:
	ck_feedback_close(&a.fb);
out_queue:
	ck_click_queue_close(&a.q);
out_dir:
	close(a.dirfd);
	return rc;
}
