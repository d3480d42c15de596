#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# checksrc.sh - house-style checks that a compiler does not make (curl checksrc style):
# banned functions, a file-header comment on every C file, no exit() in the library.
set -u
cd "$(dirname "$0")/.."
fail=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
for f in $files; do
  # banned: strcpy strcat sprintf vsprintf strtok atoi atol gets sscanf
  if grep -nE '(^|[^_a-z0-9.>])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets|sscanf)[[:space:]]*\(' "$f" |
     grep -vE '(snprintf|vsnprintf)[[:space:]]*\(' ; then
    echo "checksrc: $f uses a banned function"; fail=1
  fi
  head -3 "$f" | grep -q 'SPDX-License-Identifier' || { echo "checksrc: $f lacks the SPDX header"; fail=1; }
done
for f in $(git ls-files 'src/*.c'); do
  if grep -nE '(^|[^_a-z])(exit|abort|printf|puts)[[:space:]]*\(' "$f" | grep -vE 'snprintf|vsnprintf|buf_printf'; then
    echo "checksrc: $f: the library must not exit or print"; fail=1
  fi
done
if [ $fail -eq 0 ]; then echo "checksrc: ok"; fi
exit $fail
