#!/bin/sh
# Run every libFuzzer target (or the ones named) for SECONDS each.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]      (default 60 s, all targets)
#
# Builds build-fuzz/ with clang, ASan and UBSan.  Each target starts from its
# committed corpus in tests/fuzz/<corpus>/ (read only) and writes the inputs
# it finds into build-fuzz/fuzz-corpus/<target>/; crash, leak and timeout
# reproducers land in build-fuzz/fuzz-artifacts/<target>/.  Prints the
# executions and the exit code of each target and the total; exits 1 if any
# target failed.  tests/fuzz/README.md says what to do with a reproducer.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# target:corpus, as in tests/fuzz/meson.build
all="rpc:rpc-message qmp:qmp-reply domain-xml:domain-xml
     cookie:migration-cookie migrate-stats:query-migrate preauth:preauth"

if [ $# -eq 0 ]; then
    targets=$all
else
    targets=
    for want in "$@"; do
        found=
        for t in $all; do
            [ "${t%%:*}" = "$want" ] && found=$t
        done
        if [ -z "$found" ]; then
            echo "$0: unknown target '$want'" >&2
            exit 2
        fi
        targets="$targets $found"
    done
fi

bdir=$top/build-fuzz
if [ ! -f "$bdir/build.ninja" ]; then
    # fuzzer-no-link gives the project's static libraries the coverage
    # instrumentation libFuzzer steers by; without it only the target file
    # itself would be instrumented and the parsers would be fuzzed blind.
    CC=clang meson setup "$bdir" "$top" -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link
fi
exes=
for t in $targets; do
    exes="$exes tests/fuzz/fuzz-${t%%:*}"
done
# shellcheck disable=SC2086
ninja -C "$bdir" $exes

# Make recoverable UBSan reports (in the libraries) fatal, so that libFuzzer
# saves the input.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
# Leaks inside Cyrus SASL's plugins are the library's (the file says which).
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/cyrus-sasl.lsan.supp}
export LSAN_OPTIONS

total=0
failed=0
summary=
for t in $targets; do
    name=${t%%:*}
    corpus=$top/tests/fuzz/${t#*:}
    scratch=$bdir/fuzz-corpus/$name
    artifacts=$bdir/fuzz-artifacts/$name
    log=$bdir/fuzz-logs/$name.log
    mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"

    echo "== fuzz-$name: ${secs}s, corpus $corpus"
    rc=0
    "$bdir/tests/fuzz/fuzz-$name" \
        -max_total_time="$secs" -max_len=65536 -malloc_limit_mb=256 \
        -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" \
        "$scratch" "$corpus" >"$log" 2>&1 || rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
            tail -n 1)
    if [ -z "$execs" ]; then
        # Killed before the final stats: take the last progress line.
        execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    execs=${execs:-0}
    total=$((total + execs))
    if [ "$rc" -eq 0 ]; then
        result="ok"
    else
        failed=1
        found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
                tail -n 1)
        result="FAILED (exit $rc) ${found:-see $log}"
        # The target's own message and the sanitizer's, without libFuzzer's
        # progress lines and stack frames.
        grep -v -E '^(#[0-9]|INFO:|stat::|Done |MS:|base unit|    #|$)' \
            "$log" | head -n 12 || true
    fi
    line=$(printf '%-16s %12s execs  %s' "fuzz-$name" "$execs" "$result")
    echo "$line"
    summary="$summary$line
"
done

echo
echo "== summary (${secs}s per target; logs in $bdir/fuzz-logs)"
printf '%s' "$summary"
echo "total: $total executions"
exit $failed
