/*
 * Name validation (see name.h).
 */
#include "core/name.h"

#include <string.h>

bool ck_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '_' || c == '-';
}

bool ck_name_valid_len(const char *s, size_t len)
{
	if (!s || len == 0 || len > CK_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!ck_name_char(s[i]))
			return false;
	return true;
}

bool ck_name_valid(const char *name)
{
	return name && ck_name_valid_len(name, strnlen(name, CK_NAME_MAX + 1));
}
