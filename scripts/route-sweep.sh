#!/usr/bin/env bash
# The route sweep over a svix-webhooks history: at N commits evenly spaced over the history of
# server/svix-server/src/v1/endpoints (and at HEAD), every route of every endpoint file becomes
# a profile of its own (examples/route_profiles.rs), run single-file on its file and in crate
# mode on server/svix-server; every dataset written is checked with `validate --source`.
# Prints each internal error (exit 2), each unexplained exit 1 and each validate failure, then
# the counts. Exits 1 when there is an exit 2 or a validate failure. REPO is only read: each
# commit is unpacked with `git archive` into a temporary folder.
# Usage: scripts/route-sweep.sh /path/to/svix-webhooks [N]
set -euo pipefail

repo=${1:?usage: scripts/route-sweep.sh /path/to/svix-webhooks [N]}
samples=${2:-4}
endpoints=server/svix-server/src/v1/endpoints
here=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin svix-distill --example route_profiles
bin="$here/target/release/svix-distill"
derive="$here/target/release/examples/route_profiles"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sample: N commits evenly spaced over the folder's history, oldest to newest, then HEAD.
mapfile -t history < <(git -C "$repo" log --reverse --format=%H -- "$endpoints")
total=${#history[@]}
if [ "$total" -eq 0 ]; then
    echo "route-sweep: error: $repo has no commit touching $endpoints" >&2
    exit 2
fi
commits=()
for ((i = 0; i < samples && i < total; i++)); do
    if [ "$samples" -eq 1 ]; then
        index=$((total - 1))
    else
        index=$((i * (total - 1) / (samples - 1)))
    fi
    commits+=("${history[$index]}")
done
commits+=("$(git -C "$repo" rev-parse HEAD)")
mapfile -t commits < <(printf '%s\n' "${commits[@]}" | awk '!seen[$0]++')

n_commits=0 n_files=0 n_routes=0 n_runs=0 exit0=0 exit1=0 exit1_explained=0 exit2=0
written=0 invalid=0 examples=0 dropped=0

# One generation run and the validation of what it wrote; counts as it goes.
sweep_run() {
    local label=$1 profile=$2 input=$3 elsewhere=$4 out="$work/out.jsonl" rc=0
    rm -f "$out"
    "$bin" -p "$profile" "$input" -o "$out" 2> "$work/err" || rc=$?
    n_runs=$((n_runs + 1))
    # An example whose text fails its check is left out with a warning: "UNIT (FILE, variant
    # N) left out: WHY: …".
    dropped=$((dropped + $(grep -c ') left out: ' "$work/err" || true)))
    case $rc in
        0) exit0=$((exit0 + 1)) ;;
        1)
            exit1=$((exit1 + 1))
            if [ "$elsewhere" = elsewhere ] && grep -q 'defined in another module' "$work/err"; then
                exit1_explained=$((exit1_explained + 1))
            else
                echo "EXIT 1 $label: $(head -c 400 "$work/err")"
            fi
            return
            ;;
        *)
            exit2=$((exit2 + 1))
            echo "EXIT $rc $label: $(head -c 400 "$work/err")"
            return
            ;;
    esac
    [ -s "$out" ] || return 0
    written=$((written + 1))
    examples=$((examples + $(grep -c '' "$out")))
    if ! "$bin" validate --source "$input" -p "$profile" "$out" > "$work/validate" 2>&1; then
        invalid=$((invalid + 1))
        echo "INVALID $label: $(grep -v '^tokens' "$work/validate" | head -5 | tr '\n' ' ')"
    fi
}

for commit in "${commits[@]}"; do
    n_commits=$((n_commits + 1))
    tree="$work/tree"
    rm -rf "$tree" "$work/profiles"
    mkdir -p "$tree"
    git -C "$repo" archive "$commit" server/svix-server | tar -x -C "$tree"
    crate="$tree/server/svix-server"
    n_files=$((n_files + $(find "$crate/src/v1/endpoints" -name '*.rs' | wc -l)))
    if ! "$derive" "$crate" "$work/profiles" > "$work/routes" 2> "$work/err"; then
        exit2=$((exit2 + 1))
        echo "EXIT 2 ${commit:0:9} (deriving the profiles): $(head -c 400 "$work/err")"
        continue
    fi
    while IFS=$'\t' read -r profile file method path elsewhere; do
        case $file in src/v1/endpoints/*) ;; *) continue ;; esac
        n_routes=$((n_routes + 1))
        label="${commit:0:9} $file ${method^^} $path"
        sweep_run "$label (single file)" "$profile" "$crate/$file" "$elsewhere"
        sweep_run "$label (crate)" "$profile" "$crate" here
    done < "$work/routes"
done

echo "commits $n_commits, endpoint files $n_files, routes $n_routes, runs $n_runs:" \
    "exit 0 $exit0, exit 1 $exit1 ($exit1_explained handler in another module), exit 2 $exit2;" \
    "datasets written $written, failing validate $invalid; examples $examples, dropped $dropped"
[ "$exit2" -eq 0 ] && [ "$invalid" -eq 0 ]
