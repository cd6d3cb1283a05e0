#!/usr/bin/env bash
# Times `casefile ingest` on a generated Wazuh alerts.json against jq doing the same
# selection and grouping, and reports wall time (hyperfine) and peak RSS (GNU time).
#
# Usage: benches/ingest/bench.sh [WORK_DIR] [SIZE_MB] [RUNS] [ATTACKERS...]
# Defaults: /tmp/casefile-ingest-bench, 500 MB, 3 runs, 300 and 1500 attackers.
# Run from the project root after `cargo build --release`; set CASEFILE to use another
# binary. Needs python3, jq, hyperfine, git and /usr/bin/time.
set -euo pipefail

work=${1:-/tmp/casefile-ingest-bench}
size_mb=${2:-500}
runs=${3:-3}
shift $(($# < 3 ? $# : 3))
attackers=("$@")
if [ ${#attackers[@]} -eq 0 ]; then
    attackers=(300 1500)
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
casefile=${CASEFILE:-${CARGO_TARGET_DIR:-$root/target}/release/casefile}
mkdir -p "$work"

# A case repository with a fixed identity and no global git configuration.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
# An old repository is moved aside, not removed. ext4 skips the inodes of files removed
# seconds before when it allocates new ones. Removing 20,000 files right before a run made
# that run's file creations several times slower than on a settled file system.
new_repo() {
    if [ -e "$1" ]; then
        mkdir -p "$1.old"
        mv "$1" "$1.old/$(date +%s%N)"
    fi
    git init -q "$1"
    git -C "$1" config user.name "Bench Analyst"
    git -C "$1" config user.email analyst@example.org
    "$casefile" init "$1" > /dev/null 2>&1
}
export -f new_repo
export casefile

peak_rss() {
    /usr/bin/time -f "%M" "$@" 2>&1 > /dev/null | tail -n 1
}

jq_filter='[.rule.id, .agent.id, (.data.srcip // "")]'

for count in "${attackers[@]}"; do
    input="$work/alerts-${size_mb}mb-${count}.json"
    if [ ! -f "$input" ]; then
        python3 "$root/benches/ingest/generate.py" "$input" "$size_mb" "$count"
    fi
    # Warm the page cache, so every command reads the input from memory.
    cat "$input" > /dev/null
    dry="$work/repo-dry-$count"
    full="$work/repo-full-$count"
    new_repo "$dry"

    echo "## $size_mb MB, $count attackers"
    hyperfine --runs "$runs" --export-markdown "$work/result-$count-read.md" \
        -n "jq | sort | uniq -c" \
        "jq -c '$jq_filter' $input | sort | uniq -c > /dev/null" \
        -n "casefile ingest --dry-run" \
        "$casefile -q -C $dry ingest --dry-run $input > /dev/null"
    hyperfine --runs "$runs" --export-markdown "$work/result-$count-full.md" \
        --shell bash --prepare "new_repo $full" \
        -n "casefile ingest" \
        "$casefile -q -C $full ingest $input > /dev/null"

    echo "peak RSS (KB):"
    echo "  jq:                       $(peak_rss jq -c "$jq_filter" "$input")"
    echo "  casefile ingest --dry-run: $(peak_rss "$casefile" -q -C "$dry" ingest --dry-run "$input")"
    new_repo "$full"
    echo "  casefile ingest:           $(peak_rss "$casefile" -q -C "$full" ingest "$input")"
    git -C "$full" fsck --no-progress
    echo "  incidents: $(ls "$full/incidents" | wc -l), files: $(git -C "$full" ls-files | wc -l)," \
        "pack: $(du -sh "$full/.git/objects/pack" | cut -f1)"
    rm -rf "$full.old" "$dry.old"
done
