#!/bin/sh
# Run the unit tests and the fuzz corpus replays under ASan+UBSan and under
# valgrind.  Usage: tools/sanitize.sh
#
# 1. build-asan/ (gcc, -Db_sanitize=address,undefined): meson test of the
#    'unit' and 'fuzz' suites, any sanitizer report fatal.
# 2. build/ (the normal build): every test binary of those suites under
#    valgrind memcheck; invalid accesses, uninitialised values and definite
#    leaks fail.
# Exits non-zero on any finding.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rc=0

# ---- ASan + UBSan ----
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined
fi
ninja -C build-asan

# halt_on_error: a UBSan report fails the test instead of scrolling past.
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
LSAN_OPTIONS=suppressions=$top/tests/fuzz/cyrus-sasl.lsan.supp \
    meson test -C build-asan --suite unit --suite fuzz --print-errorlogs ||
    rc=1

# ---- valgrind ----
if [ ! -f build/build.ninja ]; then
    meson setup build
fi
ninja -C build

# One line per test: name, then the test's own environment (as meson test
# sets it) and command.  Only our executables: valgrind on a shell script
# (the man page check) would check /bin/sh.
tests=$(meson introspect build --tests | /usr/bin/python3 -c '
import json, shlex, sys
for t in json.load(sys.stdin):
    if not set(t["suite"]) & {"convergd:unit", "convergd:fuzz", "unit", "fuzz"}:
        continue
    with open(t["cmd"][0], "rb") as f:
        if f.read(4) != b"\x7fELF":
            continue
    env = " ".join(shlex.quote(f"{k}={v}") for k, v in t["env"].items())
    print(t["name"], env, shlex.join(t["cmd"]), sep="\x1f")
')

logdir=build/meson-logs/valgrind
mkdir -p "$logdir"
rm -f "$logdir/.failed"
sep=$(printf '\037')
echo "$tests" | while IFS=$sep read -r name testenv cmd; do
    [ -n "$name" ] || continue
    log=$logdir/$name.log
    # shellcheck disable=SC2086
    if eval env CVG_TEST_SRCDIR="$top/tests" \
            CVG_TEST_BUILDDIR="$top/build/tests" \
            $testenv G_SLICE=always-malloc G_DEBUG=gc-friendly \
            valgrind --leak-check=full --error-exitcode=1 \
            --suppressions="$top/tests/fuzz/cyrus-sasl.valgrind.supp" \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite \
            --track-origins=yes --log-file="$log" $cmd \
            >"$log.out" 2>&1; then
        echo "valgrind $name: ok"
    else
        echo "valgrind $name: FAILED (see $log)"
        sed -n '/ERROR SUMMARY\|definitely lost\|Invalid\|uninitialised/p' \
            "$log" | head -n 10
        echo fail >>"$logdir/.failed"
    fi
done
if [ -f "$logdir/.failed" ]; then
    rm -f "$logdir/.failed"
    rc=1
fi

if [ $rc -eq 0 ]; then
    echo "sanitize: no findings"
else
    echo "sanitize: FINDINGS (see above)"
fi
exit $rc
