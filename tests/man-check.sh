#!/bin/sh
# man-check.sh PAGE...: each man page renders with groff's man macros and
# has a NAME section naming the page.
set -e
for page in "$@"; do
    name=$(basename "$page" | sed 's/\.[0-9]$//')
    out=$(groff -man -Tutf8 "$page" 2>&1 | sed 's/.\x08//g')
    printf '%s\n' "$out" | grep -q '^NAME' || {
        echo "$page: no NAME section in:"; printf '%s\n' "$out" | head; exit 1; }
    printf '%s\n' "$out" | grep -A1 '^NAME' | grep -q "$name" || {
        echo "$page: NAME does not name $name"; exit 1; }
    echo "ok $page"
done
