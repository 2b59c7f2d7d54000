#!/bin/sh
# House-style checks that need no reformatting tool: no tabs, no trailing
# white space, lines of at most 100 columns in C sources and headers; only
# the job API (src/qemu/qemu-domain-job.c) writes a domain's job fields and
# only qemu-domain-list.c walks the domain list; no include circle among the
# modules of src/qemu.
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
# One job API: nobody else assigns to ->job or ->async_job.
job_api=src/qemu/qemu-domain-job.c
for f in $files; do
    [ "$f" = "$job_api" ] && continue
    if grep -nE -- '->(async_)?job[[:space:]]*=[^=]' "$f" | sed "s|^|$f:|" |
        grep .; then
        echo "$f: only $job_api may write a domain's job fields"; bad=1
    fi
done
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
if [ $bad = 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $bad
