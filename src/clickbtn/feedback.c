/*
 * Button feedback (see feedback.h): terminal lines and a GPIO LED driven
 * through libgpiod as an output line.
 */
#include "clickbtn/feedback.h"

#include <errno.h>
#include <gpiod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLINK_MS 250

int ck_feedback_open(struct ck_feedback *f, bool color, bool quiet, const char *led_spec, char *why,
                     size_t why_len)
{
	memset(f, 0, sizeof(*f));
	f->color = color;
	f->quiet = quiet;
	f->blink_at = INT64_MAX;
	if (!led_spec)
		return 0;
	char chip[256];
	if (strncmp(led_spec, "gpio:", 5) != 0) {
		snprintf(why, why_len, "--led wants gpio:CHIP:LINE, not \"%s\"", led_spec);
		return -EINVAL;
	}
	snprintf(chip, sizeof(chip), "%s", led_spec + 5);
	char *colon = strrchr(chip, ':');
	char *end = NULL;
	long off = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || end == colon + 1 || *end != '\0' || off < 0 || off > 4095) {
		snprintf(why, why_len, "--led wants gpio:CHIP:LINE, e.g. gpio:gpiochip0:27");
		return -EINVAL;
	}
	*colon = '\0';
	f->chip = gpiod_chip_open_lookup(chip);
	if (!f->chip) {
		snprintf(why, why_len, "LED: GPIO chip %s: %s", chip, strerror(errno));
		return -errno;
	}
	f->led = gpiod_chip_get_line(f->chip, (unsigned)off);
	if (!f->led || gpiod_line_request_output(f->led, "clickbtn-led", 0) != 0) {
		snprintf(why, why_len, "LED: GPIO %s line %ld: %s", chip, off, strerror(errno));
		ck_feedback_close(f);
		return -EINVAL;
	}
	return 0;
}

void ck_feedback_close(struct ck_feedback *f)
{
	if (f->led) {
		gpiod_line_set_value(f->led, 0);
		gpiod_line_release(f->led);
	}
	f->led = NULL;
	if (f->chip)
		gpiod_chip_close(f->chip);
	f->chip = NULL;
}

void ck_feedback_say(struct ck_feedback *f, char kind, const char *fmt, ...)
{
	if (f->quiet)
		return;
	const char *on = "";
	if (f->color)
		on = kind == 'g'   ? "\033[32m"
		     : kind == 'y' ? "\033[33m"
		     : kind == 'r' ? "\033[31m"
		     : kind == 'c' ? "\033[36m"
		                   : "";
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%sclickbtn: ", on);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", f->color ? "\033[0m" : "");
	va_end(ap);
}

static void led_set(struct ck_feedback *f, bool on)
{
	f->led_on = on;
	if (f->led)
		gpiod_line_set_value(f->led, on ? 1 : 0);
}

static void led_mode(struct ck_feedback *f, int mode, int64_t now)
{
	f->led_mode = mode;
	led_set(f, mode != 0);
	f->blink_at = mode == 2 ? now + BLINK_MS : INT64_MAX;
}

void ck_feedback_status(struct ck_feedback *f, enum ck_fb_status st, int64_t now)
{
	if (st == f->status)
		return;
	f->status = st;
	led_mode(f, st == CK_FB_IDLE ? 0 : st == CK_FB_SENDING ? 1 : 2, now);
}

void ck_feedback_message(struct ck_feedback *f, const void *payload, size_t len, int64_t now)
{
	char text[256];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = ((const unsigned char *)payload)[i];
		text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	text[n] = '\0';
	ck_feedback_say(f, 'c', "feedback: %s", text);
	if (strcmp(text, "off") == 0 || strstr(text, "\"led\":\"off\""))
		led_mode(f, 0, now);
	else if (strcmp(text, "on") == 0 || strstr(text, "\"led\":\"on\""))
		led_mode(f, 1, now);
	else if (strcmp(text, "blink") == 0 || strstr(text, "\"led\":\"blink\""))
		led_mode(f, 2, now);
}

int64_t ck_feedback_deadline(const struct ck_feedback *f)
{
	return f->blink_at;
}

void ck_feedback_tick(struct ck_feedback *f, int64_t now)
{
	if (f->led_mode != 2 || now < f->blink_at)
		return;
	led_set(f, !f->led_on);
	f->blink_at = now + BLINK_MS;
}
