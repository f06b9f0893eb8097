/*
 * Names of things, rules, attributes and kinds, validated as AWS validates
 * thing names: 1 to 128 characters from [a-zA-Z0-9:_-]. Such a name never
 * needs quoting in a topic, a file line or a table cell.
 */
#ifndef CK_NAME_H
#define CK_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define CK_NAME_MAX 128

/* True for one character allowed in a name. */
bool ck_name_char(char c);

/* True when name (NUL-terminated; NULL is invalid) is a valid name. */
bool ck_name_valid(const char *name);

/* Same for the len bytes at s, which need not be NUL-terminated. */
bool ck_name_valid_len(const char *s, size_t len);

#endif
