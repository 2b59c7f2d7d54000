#!/bin/sh
# House-style checks that need no reformatting tool: no tabs, no trailing
# white space, lines of at most 100 columns in C sources and headers.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'tools/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find src tests tools -name '*.[ch]')
bad=0
for f in $files; do
    if grep -n "$(printf '\t')" "$f" >/dev/null; then
        echo "$f: tab character"; bad=1
    fi
    if grep -nE ' +$' "$f" | head -3 | sed "s|^|$f:|" | grep .; then
        bad=1
    fi
    awk -v f="$f" 'length($0) > 100 { print f ":" NR ": line longer than 100 columns"; b=1 } END { exit b }' "$f" || bad=1
done
if [ $bad = 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $bad
