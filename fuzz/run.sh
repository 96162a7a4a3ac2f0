#!/usr/bin/env bash
# Fuzz the whole pipeline, seeded with the fixtures so libFuzzer mutates real-looking files.
# Usage: fuzz/run.sh [SECONDS]   (default 600)
# cargo fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
# --no-cfg-fuzzing: proc-macro2 turns span locations off under cfg(fuzzing), and the pipeline
# slices by span, so the fuzzed build must keep them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
corpus=fuzz/corpus/pipeline
mkdir -p "$corpus"
cp fixtures/*.rs "$corpus/"
RUSTC_BOOTSTRAP=1 cargo fuzz run --no-cfg-fuzzing pipeline "$corpus" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=1
