#!/bin/sh
# Static checks that need no build: clang-format conformance and the list of
# banned C functions. Exits non-zero with the offending files listed.
set -eu
cd "$(dirname "$0")/.."

files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src plugin tests bench -name '*.[ch]')
status=0

unformatted=""
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		unformatted="$unformatted $f"
	fi
done
if [ -n "$unformatted" ]; then
	echo "lint: not clang-formatted (run clang-format -i):$unformatted" >&2
	status=1
fi

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\('
if grep -nE "$banned" $files >&2; then
	echo "lint: banned functions above (use snprintf, strtol, strtok_r, ...)" >&2
	status=1
fi

[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
