#!/usr/bin/env bash
# Source checks the compiler does not do (curl's checksrc idea):
# banned functions, raw malloc/free outside lib/mem.c, and files that
# grew past 1200 lines. Exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files 'checks/*.[ch]' 'agent/*.[ch]' 'collector/*.[ch]' 'lib/*.[ch]' 'ctl/*.[ch]' 'uvcurl/*.[ch]')
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets)\s*\('
if grep -nE "$banned" $files; then
  echo "checksrc: banned function (use snprintf, strtol, buf_*)"; status=1
fi
raw=$(grep -nE '(^|[^_a-z])(malloc|calloc|realloc|free|strdup)\s*\(' $files \
      | grep -v '^lib/mem.c:' | grep -vE '(curl_|json_|MHD_|ares_|sqlite3_|yaml_)' \
      | grep -vE '^\S+:\s*[0-9]+:\s*(/?\*|//)' )
if [ -n "$raw" ]; then
  echo "$raw"
  echo "checksrc: raw allocation outside lib/mem.c (use ph_malloc/ph_free)"
  status=1
fi
for f in $files; do
  n=$(wc -l < "$f")
  if [ "$n" -gt 1200 ]; then echo "checksrc: $f has $n lines (split it)"; status=1; fi
done
exit $status
