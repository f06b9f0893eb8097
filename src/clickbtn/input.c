/*
 * Press sources (see input.h). Times come from the kernel where it stamps
 * events (libevdev set to CLOCK_MONOTONIC, GPIO line events), so debounce
 * and long-press thresholds measure the contact rather than the latency
 * of this process; otherwise from the moment the bytes were read.
 */
#include "clickbtn/input.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <libevdev/libevdev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clickbtn/publish.h"

static int open_terminal(struct ck_input *in, char *why, size_t why_len)
{
	in->fd = STDIN_FILENO;
	in->tty = isatty(STDIN_FILENO) == 1;
	int fl = fcntl(in->fd, F_GETFL);
	if (fl >= 0)
		fcntl(in->fd, F_SETFL, fl | O_NONBLOCK);
	if (!in->tty)
		return 0;
	struct termios *saved = malloc(sizeof(*saved));
	if (!saved) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	if (tcgetattr(in->fd, saved) != 0) {
		free(saved);
		snprintf(why, why_len, "terminal: %s", strerror(errno));
		return -errno;
	}
	struct termios raw = *saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	tcsetattr(in->fd, TCSANOW, &raw);
	in->saved_termios = saved;
	in->raw_mode = true;
	return 0;
}

static int open_evdev(struct ck_input *in, const char *spec, bool grab, char *why, size_t why_len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s", spec);
	in->key_code = -1;
	char *colon = strchr(path, ':');
	if (colon) {
		*colon = '\0';
		const char *key = colon + 1;
		char *end = NULL;
		long v = strtol(key, &end, 10);
		if (end != key && *end == '\0' && v >= 0 && v <= KEY_MAX)
			in->key_code = (int)v;
		else
			in->key_code = libevdev_event_code_from_name(EV_KEY, key);
		if (in->key_code < 0) {
			snprintf(why, why_len, "evdev: unknown key \"%s\" (try KEY_SPACE or BTN_0)",
			         key);
			return -EINVAL;
		}
	}
	in->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in->fd < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int rc = libevdev_new_from_fd(in->fd, &in->evdev);
	if (rc < 0) {
		snprintf(why, why_len, "%s: not an input device: %s", path, strerror(-rc));
		return rc;
	}
	if (!libevdev_has_event_type(in->evdev, EV_KEY)) {
		snprintf(why, why_len, "%s (%s) has no keys or buttons", path,
		         libevdev_get_name(in->evdev));
		return -EINVAL;
	}
	if (in->key_code >= 0 && !libevdev_has_event_code(in->evdev, EV_KEY, in->key_code)) {
		snprintf(why, why_len, "%s (%s) has no %s", path, libevdev_get_name(in->evdev),
		         libevdev_event_code_get_name(EV_KEY, (unsigned)in->key_code));
		return -EINVAL;
	}
	libevdev_set_clock_id(in->evdev, CLOCK_MONOTONIC);
	if (grab && libevdev_grab(in->evdev, LIBEVDEV_GRAB) != 0) {
		snprintf(why, why_len, "%s: cannot grab the device (another program holds it?)",
		         path);
		return -EBUSY;
	}
	return 0;
}

static int open_gpio(struct ck_input *in, const char *spec, char *why, size_t why_len)
{
	char chip[256];
	snprintf(chip, sizeof(chip), "%s", spec);
	char *colon = strrchr(chip, ':');
	char *end = NULL;
	long off = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || end == colon + 1 || *end != '\0' || off < 0 || off > 4095) {
		snprintf(why, why_len, "gpio wants gpio:CHIP:LINE, e.g. gpio:gpiochip0:17");
		return -EINVAL;
	}
	*colon = '\0';
	in->chip = gpiod_chip_open_lookup(chip);
	if (!in->chip) {
		snprintf(why, why_len, "GPIO chip %s: %s", chip, strerror(errno));
		return -errno;
	}
	in->line_gpio = gpiod_chip_get_line(in->chip, (unsigned)off);
	if (!in->line_gpio) {
		snprintf(why, why_len, "GPIO chip %s has no line %ld", chip, off);
		return -EINVAL;
	}
	struct gpiod_line_request_config rq = {
		.consumer = "clickbtn",
		.request_type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES,
		.flags = GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP,
	};
	if (gpiod_line_request(in->line_gpio, &rq, 0) != 0) {
		snprintf(why, why_len, "GPIO %s line %ld: %s", chip, off, strerror(errno));
		return -errno;
	}
	in->fd = gpiod_line_event_get_fd(in->line_gpio);
	return in->fd < 0 ? -EIO : 0;
}

int ck_input_open(struct ck_input *in, const char *spec, bool grab, char *why, size_t why_len)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	int rc;
	if (strcmp(spec, "terminal") == 0) {
		in->kind = CK_INPUT_TERMINAL;
		rc = open_terminal(in, why, why_len);
	} else if (strncmp(spec, "evdev:", 6) == 0) {
		in->kind = CK_INPUT_EVDEV;
		rc = open_evdev(in, spec + 6, grab, why, why_len);
	} else if (strncmp(spec, "gpio:", 5) == 0) {
		in->kind = CK_INPUT_GPIO;
		rc = open_gpio(in, spec + 5, why, why_len);
	} else {
		snprintf(why, why_len,
		         "unknown input \"%s\" (terminal, evdev:PATH[:KEY] or gpio:CHIP:LINE)",
		         spec);
		return -EINVAL;
	}
	if (rc != 0)
		ck_input_close(in);
	return rc;
}

void ck_input_close(struct ck_input *in)
{
	if (in->raw_mode && in->saved_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, (struct termios *)in->saved_termios);
	free(in->saved_termios);
	in->saved_termios = NULL;
	in->raw_mode = false;
	if (in->evdev) {
		libevdev_grab(in->evdev, LIBEVDEV_UNGRAB);
		libevdev_free(in->evdev);
		in->evdev = NULL;
	}
	if (in->line_gpio)
		gpiod_line_release(in->line_gpio);
	in->line_gpio = NULL;
	if (in->chip)
		gpiod_chip_close(in->chip);
	in->chip = NULL;
	if (in->kind == CK_INPUT_EVDEV && in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

/* "down [+MS]" / "up [+MS]": now, or MS after the previous line's time;
 * anything else is ignored. */
static int parse_line(struct ck_input *in, int64_t now, struct ck_input_sample *s)
{
	char word[16], when[24] = "";
	int n = sscanf(in->line, "%15s %23s", word, when);
	if (n < 1)
		return 0;
	bool down = strcmp(word, "down") == 0;
	if (!down && strcmp(word, "up") != 0)
		return 0;
	int64_t t = now;
	if (n == 2 && when[0] == '+') {
		char *end = NULL;
		long long ms = strtoll(when + 1, &end, 10);
		if (*end != '\0' || ms < 0 || ms > 3600000)
			return 0;
		t = in->line_last + ms;
	}
	in->line_last = t;
	*s = (struct ck_input_sample){ down, t };
	return 1;
}

static int read_terminal(struct ck_input *in, int64_t now, struct ck_input_sample *out)
{
	char buf[256];
	int n = 0;
	for (;;) {
		ssize_t r = read(in->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return n;
		if (r <= 0) {
			in->eof = true;
			return n;
		}
		for (ssize_t i = 0; i < r && n < CK_INPUT_SAMPLES_MAX; i++) {
			char c = buf[i];
			if (!in->tty) {
				if (c != '\n' && in->line_len < sizeof(in->line) - 1) {
					in->line[in->line_len++] = c;
					continue;
				}
				in->line[in->line_len] = '\0';
				in->line_len = 0;
				n += parse_line(in, now, &out[n]);
				continue;
			}
			if (c == 'q' || c == 'Q' || c == 4) {
				in->quit = c != 4;
				in->eof = c == 4;
				return n;
			}
			if (in->down) {
				in->repeating = true;
			} else {
				in->down = true;
				in->repeating = false;
				out[n++] = (struct ck_input_sample){ true, now };
			}
			in->last_key = now;
		}
	}
}

int64_t ck_input_deadline(const struct ck_input *in)
{
	if (in->kind != CK_INPUT_TERMINAL || !in->down)
		return INT64_MAX;
	return in->last_key + (in->repeating ? CK_INPUT_TTY_REPEAT_MS : CK_INPUT_TTY_FIRST_MS);
}

int ck_input_poll(struct ck_input *in, int64_t now, struct ck_input_sample *out)
{
	if (ck_input_deadline(in) > now)
		return 0;
	in->down = false;
	/* A tap is dated just after its key; a held key at its last repeat. */
	out[0] = (struct ck_input_sample){ false, in->last_key + (in->repeating ? 35 : 60) };
	return 1;
}

static int read_evdev(struct ck_input *in, struct ck_input_sample *out)
{
	int n = 0;
	unsigned flag = LIBEVDEV_READ_FLAG_NORMAL;
	while (n < CK_INPUT_SAMPLES_MAX) {
		struct input_event ev;
		int rc = libevdev_next_event(in->evdev, flag, &ev);
		if (rc == -EAGAIN)
			return n;
		if (rc == LIBEVDEV_READ_STATUS_SYNC) {
			/* Events were dropped: walk the resync, keep the final state. */
			flag = LIBEVDEV_READ_FLAG_SYNC;
		} else if (rc < 0) {
			in->eof = true;
			return rc;
		}
		if (ev.type != EV_KEY || ev.value == 2)
			continue; /* autorepeat is not a press */
		if (in->key_code >= 0 && ev.code != in->key_code)
			continue;
		int64_t t = (int64_t)ev.input_event_sec * 1000 + ev.input_event_usec / 1000;
		out[n++] = (struct ck_input_sample){ ev.value == 1, t };
	}
	return n;
}

static int read_gpio(struct ck_input *in, int64_t now, struct ck_input_sample *out)
{
	struct gpiod_line_event evs[16];
	int r = gpiod_line_event_read_multiple(in->line_gpio, evs, 16);
	if (r < 0) {
		if (errno == EAGAIN)
			return 0;
		in->eof = true;
		return -errno;
	}
	for (int i = 0; i < r; i++) {
		int64_t t = (int64_t)evs[i].ts.tv_sec * 1000 + evs[i].ts.tv_nsec / 1000000;
		/* Kernels before 5.7 stamp line events with CLOCK_REALTIME. */
		if (t > now + 10000 || t < now - 10000)
			t = now;
		/* Active low: a rising edge of the logical value is a press. */
		out[i] =
		    (struct ck_input_sample){ evs[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
			                      t };
	}
	return r;
}

int ck_input_read(struct ck_input *in, int64_t now, struct ck_input_sample *out)
{
	switch (in->kind) {
	case CK_INPUT_TERMINAL:
		return read_terminal(in, now, out);
	case CK_INPUT_EVDEV:
		return read_evdev(in, out);
	default:
		return read_gpio(in, now, out);
	}
}
