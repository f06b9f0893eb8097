/*
 * SMS segment counting as gateways bill it. A message whose characters all
 * belong to the GSM 03.38 alphabet is sent in GSM-7: up to 160 septets in
 * one segment, otherwise segments of 153 septets (the rest of each is the
 * concatenation header), with the extension characters (^ { } \ [ ] ~ | €
 * and form feed) costing two septets and never split across segments. Any
 * other character makes the whole message UCS-2: 70 UTF-16 code units in one
 * segment, otherwise 67 per segment, a surrogate pair never split. Pure:
 * no I/O, no allocation.
 */
#ifndef CK_SEGMENTS_H
#define CK_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>

struct ck_segments {
	int segments; /* what the gateway bills */
	bool ucs2;    /* true when the message needs UCS-2 */
	int units;    /* septets (GSM-7) or UTF-16 code units (UCS-2) */
};

/*
 * Counts the segments of the UTF-8 text (len bytes, NUL not needed).
 * Returns 0 and fills out, or -EINVAL when text is not valid UTF-8. An
 * empty text is one segment.
 */
int ck_segments_count(const char *text, size_t len, struct ck_segments *out);

#endif
