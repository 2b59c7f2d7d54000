#!/bin/sh
# Run the unit tests and the fuzz corpus replays under ASan+UBSan and under
# valgrind.  Usage: tools/sanitize.sh
#
# 1. build-asan/ (gcc, -Db_sanitize=address,undefined): meson test of the
#    'unit' and 'fuzz' suites, any sanitizer report fatal.
# 2. build/ (the normal build): every test binary of those suites under
#    valgrind memcheck, one per CPU at a time; invalid accesses,
#    uninitialised values and definite leaks fail (a failed test runs again
#    with --track-origins for its log).
# Exits non-zero on any finding.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rc=0

# valgrind_one LINE: one test of the list made below (name, environment
# and command, separated by \037) under memcheck; prints one line, and the
# findings when there are some.
valgrind_one() {
    sep=$(printf '\037')
    IFS=$sep read -r name testenv cmd <<EOF
$1
EOF
    [ -n "$name" ] || return 0
    log=build/meson-logs/valgrind/$name.log
    # --track-origins makes memcheck much slower and changes nothing in
    # what it reports: only a failed test runs again with it, so that a
    # log says where an uninitialised value came from.
    if memcheck no "$log"; then
        echo "valgrind $name: ok"
        return 0
    fi
    memcheck yes "$log.origins" || true
    # One write, so that the lines of two tests do not mix.
    echo "valgrind $name: FAILED (see $log and $log.origins)
$(sed -n '/ERROR SUMMARY\|definitely lost\|Invalid\|uninitialised/p' \
        "$log" | head -n 10)"
    return 1
}

# memcheck yes|no LOG: valgrind_one's test under memcheck, with or without
# --track-origins, its report in LOG.
memcheck() {
    # shellcheck disable=SC2086
    eval env CVG_TEST_SRCDIR="$top/tests" \
        CVG_TEST_BUILDDIR="$top/build/tests" \
        $testenv G_SLICE=always-malloc G_DEBUG=gc-friendly \
        valgrind --leak-check=full --error-exitcode=1 \
        --suppressions="$top/tests/fuzz/cyrus-sasl.valgrind.supp" \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --track-origins="$1" --log-file="$2" $cmd >"$2.out" 2>&1
}

if [ "${1:-}" = --valgrind-one ]; then
    valgrind_one "$2"
    exit
fi

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

mkdir -p build/meson-logs/valgrind
# One test per CPU at a time: each is a single process.
printf '%s\n' "$tests" | tr '\n' '\0' |
    xargs -0 -n 1 -P "$(nproc)" "$top/tools/sanitize.sh" --valgrind-one || rc=1

if [ $rc -eq 0 ]; then
    echo "sanitize: no findings"
else
    echo "sanitize: FINDINGS (see above)"
fi
exit $rc
