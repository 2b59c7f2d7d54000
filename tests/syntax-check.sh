#!/bin/sh
# House-style checks, one function each; prints "N passed, M failed".
#  - whitespace: no tabs, no trailing white space, lines of at most 100
#    columns in C sources and headers;
#  - potfiles: po/POTFILES lists exactly the sources that call _() or N_();
#  - outside: comments and docs point only inside the repository.
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

for c in whitespace potfiles outside; do
    if "check_$c"; then
        passed=$((passed + 1))
    else
        echo "syntax-check: $c FAILED"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
