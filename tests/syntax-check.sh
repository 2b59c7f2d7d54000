#!/bin/sh
# House-style checks, one function each; prints "N passed, M failed".
#  - whitespace: no tabs, no trailing white space, lines of at most 100
#    columns in C sources and headers;
#  - potfiles: po/POTFILES lists exactly the sources that call _() or N_();
#  - outside: comments and docs point only inside the repository;
#  - jobfields: only the job API (src/qemu/qemu-domain-job.c) writes a
#    domain's job fields;
#  - domainlist: only qemu-domain-list.c walks the domain list;
#  - layers: no include circle among the modules of src/qemu;
#  - format: every C file is as clang-format (.clang-format) writes it.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'tools/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find src tests tools -name '*.[ch]')
srcs=$(echo "$files" | grep '^src/')
passed=0
failed=0
tmp=${TMPDIR:-/tmp}/cvg-syntax.$$

check_whitespace() {
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
    return $bad
}

check_potfiles() {
    want=$(grep -lE '(^|[^A-Za-z0-9_])N?_\(' $srcs | sort)
    have=$(grep -v '^#' po/POTFILES | sed '/^$/d' | sort)
    [ "$want" = "$have" ] && return 0
    echo "po/POTFILES differs from the sources that use _():"
    printf '%s\n' "$want" > "$tmp.want"
    printf '%s\n' "$have" > "$tmp.have"
    comm -23 "$tmp.want" "$tmp.have" | sed 's/^/  missing: /'
    comm -13 "$tmp.want" "$tmp.have" | sed 's/^/  not using _(): /'
    rm -f "$tmp.want" "$tmp.have"
    return 1
}

check_outside() {
    # The shared folder beside a developer's clone is not part of the
    # project: what it says must be written into the repository itself.
    hits=$(git grep -nE 'shared/(reference|STYLE)|\.\./shared|\.\./\.library' -- \
        ':!tests/syntax-check.sh' 2>/dev/null)
    [ -z "$hits" ] && return 0
    echo "points outside the repository:"
    echo "$hits"
    return 1
}

check_jobfields() {
    bad=0
    # One job API: nobody else assigns to ->job or ->async_job.
    job_api=src/qemu/qemu-domain-job.c
    for f in $files; do
        [ "$f" = "$job_api" ] && continue
        if grep -nE -- '->(async_)?job[[:space:]]*=[^=]' "$f" | sed "s|^|$f:|" |
            grep .; then
            echo "$f: only $job_api may write a domain's job fields"; bad=1
        fi
    done
    return $bad
}

check_domainlist() {
    bad=0
    # One domain list: only its module (and the state that allocates it) uses
    # the driver's array.
    for f in $files; do
        case $f in
        src/qemu/qemu-domain-list.c|src/qemu/qemu-driver-state.c) continue ;;
        esac
        if grep -nE -- '(drv|DRV|driver)->domains([^_[:alnum:]]|$)' "$f" |
            sed "s|^|$f:|" | grep .; then
            echo "$f: the domain list is reached through qemu-domain-list.h"; bad=1
        fi
    done
    return $bad
}

check_layers() {
    bad=0
# Layers inside src/qemu: a module (X.c, X.h and a private X-priv.h) may
# include the headers of modules below it only, so the graph of
# '#include "qemu-*.h"' lines has no cycle.
if command -v python3 >/dev/null; then
    python3 - src/qemu <<'PY' || bad=1
import os, re, sys
d = sys.argv[1]
files = [f for f in os.listdir(d) if re.fullmatch(r"qemu-.*\.[ch]", f)]
def module(name):
    return re.sub(r"-priv$", "", name[:-2] if name.endswith((".c", ".h")) else name)
heads = {f for f in files if f.endswith(".h")}
graph = {}
for f in sorted(files):
    with open(os.path.join(d, f)) as fh:
        for inc in re.findall(r'^#include "(qemu-[^"]+\.h)"', fh.read(), re.M):
            if inc in heads and module(inc) != module(f):
                graph.setdefault(module(f), set()).add(module(inc))
state, stack = {}, []
def visit(m):
    state[m] = 1
    stack.append(m)
    for n in sorted(graph.get(m, ())):
        if state.get(n) == 1:
            cycle = stack[stack.index(n):] + [n]
            print("%s: include circle: %s" % (d, " -> ".join(cycle)))
            return False
        if not state.get(n) and not visit(n):
            return False
    stack.pop()
    state[m] = 2
    return True
sys.exit(0 if all(state.get(m) or visit(m) for m in sorted(graph)) else 1)
PY
fi
    return $bad
}

check_format() {
    # tools/install-deps.sh installs clang-format; without it, fail rather
    # than pass unchecked.
    if ! command -v clang-format >/dev/null; then
        echo "clang-format not found"
        return 1
    fi
    bad=0
    for f in $files; do
        if ! clang-format "$f" | cmp -s - "$f"; then
            echo "$f: not formatted (clang-format -i $f)"; bad=1
        fi
    done
    return $bad
}

for c in whitespace potfiles outside jobfields domainlist layers format; do
    if "check_$c"; then
        passed=$((passed + 1))
    else
        echo "syntax-check: $c FAILED"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
