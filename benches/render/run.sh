#!/usr/bin/env bash
# Time `casefile report` on incidents of 1,000 to 10,000 timeline entries and 1,000 IOCs.
# Usage: benches/render/run.sh [RUNS]   (needs a release build: cargo build --release)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../../target}"
casefile="$target/release/casefile"
runs="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

[ -x "$casefile" ] || { echo "build first: cargo build --release" >&2; exit 1; }

printf '%-8s %-6s %-8s %-10s %-10s\n' entries iocs format median_s min_s
for entries in 1000 2000 5000 10000; do
  repo="$work/repo-$entries"
  python3 "$here/generate.py" "$repo" "$entries" 1000
  for format in markdown html; do
    times=()
    for _ in $(seq "$runs"); do
      start=$(date +%s.%N)
      "$casefile" -C "$repo" report IR-20260302-BNCH --format "$format" -o - >/dev/null 2>&1
      end=$(date +%s.%N)
      times+=("$(echo "$end - $start" | bc -l)")
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -g)
    median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
    min=$(echo "$sorted" | head -1)
    printf '%-8s %-6s %-8s %-10.3f %-10.3f\n' "$entries" 1000 "$format" "$median" "$min"
  done
done
