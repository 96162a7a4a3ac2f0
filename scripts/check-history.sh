#!/usr/bin/env bash
# Runs svix-distill on every version of message.rs in a svix-webhooks checkout (or bare clone)
# and checks what a reviewer would: the run succeeds (the tool itself refuses inexact or
# ungrounded lines), create_message is selected, and nothing of list/get/expunge or tests is.
# Usage: scripts/check-history.sh /path/to/svix-webhooks [--imports MODE]
set -euo pipefail

repo=${1:?usage: scripts/check-history.sh /path/to/svix-webhooks [--imports MODE]}
shift
file=server/svix-server/src/v1/endpoints/message.rs
here=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/svix-distill"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

versions=0
failures=0
while read -r commit path; do
    versions=$((versions + 1))
    src="$work/message.rs"
    git -C "$repo" show "$commit:$path" > "$src"
    if ! "$bin" "$src" -o "$work/out.jsonl" "$@" 2> "$work/err"; then
        echo "FAIL ${commit:0:8}: $(cat "$work/err")"
        failures=$((failures + 1))
        continue
    fi
    list=$("$bin" "$src" --list)
    if ! grep -q ' create_message ' <<< "$list"; then
        echo "FAIL ${commit:0:8}: create_message not selected"
        failures=$((failures + 1))
    fi
    forbidden='^[a-z]+ +(list_messages|get_message|expunge_message_content|router|test_[a-z_]+|[A-Za-z]*(List|Get)[A-Za-z]*) '
    if grep -Eq "$forbidden" <<< "$list"; then
        echo "FAIL ${commit:0:8}: selected something it must not: $(grep -E "$forbidden" <<< "$list" | head -1)"
        failures=$((failures + 1))
    fi
    printf '%s %s %s\n' "${commit:0:8}" "$(cat "$work/err")" "$(grep -c '' <<< "$list") items"
done < <(git -C "$repo" log --follow --format='%H' --name-only -- "$file" | awk 'NF == 1 && length($1) == 40 { c = $1; next } NF == 1 { print c, $1 }')

echo "$versions versions, $failures failures"
[ "$failures" -eq 0 ]
