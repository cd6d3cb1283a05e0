#!/bin/sh
# Benchmarks `casefile check` and one `casefile timeline add` in a generated repository of
# 10,000 incidents, side by side with a Python tomllib script, `cat` of every file, and a
# timeline entry written by hand with `git add` + `git commit`.
#
# Usage: benches/check/bench.sh [DIR] [COUNT]
# Needs: a release build (cargo build --release), python3 >= 3.11, hyperfine, git.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-/tmp/casefile-bench}
count=${2:-10000}
casefile=${CASEFILE:-${CARGO_TARGET_DIR:-$here/../../target}/release/casefile}
if [ ! -x "$casefile" ]; then
    echo "no release build at $casefile; run cargo build --release or set CASEFILE" >&2
    exit 1
fi

if [ ! -d "$dir/incidents" ]; then
    python3 "$here/generate.py" "$dir" "$count"
fi
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org
git -C "$dir" config user.name Bench
git -C "$dir" config user.email bench@example.org

# Read the files once so that every command runs against a warm page cache.
find "$dir/incidents" -type f -exec cat {} + > /dev/null

hyperfine --warmup 1 --runs 5 --ignore-failure \
    --export-markdown "$dir/check.md" \
    -n "casefile check" "$casefile -C $dir check -q" \
    -n "python3 tomllib" "python3 $here/python_check.py $dir" \
    -n "cat every file" "find $dir/incidents -type f -exec cat {} + > /dev/null"

id=$(ls "$dir/incidents" | head -n 1)
hyperfine --warmup 2 --runs 20 \
    --export-markdown "$dir/mutation.md" \
    -n "casefile timeline add" "$casefile -C $dir -q timeline add $id 'Reviewed the proxy log'" \
    -n "file + git add + git commit" "sh $here/manual_entry.sh $dir $id"
