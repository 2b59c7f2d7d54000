#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine: install packages,
# build convergd and the test guest, run unit, integration and fuzz-replay
# tests, and print one "N passed, N failed" line at the end.
# Usage (as root): tools/run-tests.sh [meson test args...]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/tools/install-deps.sh"
"$top/tools/guest/build-guest.sh" "$top/build/guest"
"$top/tools/guest/build-disk.sh" "$top/build/guest"

if [ ! -f build/build.ninja ]; then
    meson setup build
fi
ninja -C build

rc=0
meson test -C build --print-errorlogs --num-processes 1 "$@" || rc=$?

# The unit suite and fuzz-corpus replays again under ASan/UBSan and
# valgrind (a separate build in build-asan/).
san=0
if [ $# -eq 0 ]; then
    "$top/tools/sanitize.sh" || san=1
    [ $san -eq 0 ] || rc=1
fi

# One summary line for people and CI, from meson's own log.
/usr/bin/python3 - "$top/build/meson-logs/testlog.json" "$san" "$#" <<'PY'
import json, sys
passed = failed = skipped = 0
if sys.argv[3] == "0":
    if sys.argv[2] == "0":
        passed += 1
    else:
        failed += 1
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
