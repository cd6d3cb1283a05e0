#!/bin/sh
# The anchor of the mutation benchmark: writes one timeline entry by hand and commits it with
# `git add` and `git commit`, as an analyst without casefile would.
# Usage: manual_entry.sh DIR INCIDENT_ID
set -eu
dir=$1
id=$2
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
file="incidents/$id/timeline/$(date -u +%Y%m%d-%H%M%S)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n').toml"
cat > "$dir/$file" <<ENTRY
at = "$now"
recorded = "$now"
actor = "Bench <bench@example.org>"
kind = "note"
text = "Reviewed the proxy log"
ENTRY
git -C "$dir" add "$file"
git -C "$dir" commit -q -m "$id: add note entry"
