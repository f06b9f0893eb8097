/*
 * UTF-8 decoding shared by the parsers of untrusted text (topics, IoT SQL,
 * JSON payloads): strict RFC 3629, so overlong forms, surrogates and code
 * points past U+10FFFF are refused. Pure.
 */
#ifndef CK_UTF8_H
#define CK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at s (at most n bytes). Returns its length (1..4)
 * and stores the code point in *cp, or returns 0 for a malformed or
 * truncated sequence (cp may be NULL).
 */
size_t ck_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encodes cp (at most U+10FFFF) into out; returns the length (1..4). */
size_t ck_utf8_encode(uint32_t cp, char out[4]);

#endif
