#!/usr/bin/env bash
# Rebuilds the sample case repository at the project root (casefile.toml, playbooks/ and
# incidents/) by running casefile on real Wazuh alerts from tests/fixtures/alerts with a pinned
# clock, in a throwaway repository, and copying the result here.
# Usage: scripts/sample-incidents.sh [CASEFILE_BINARY]
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
casefile=${1:-$project/target/release/casefile}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "Alice Analyst"
git config --global user.email alice@example.org
git config --global init.defaultBranch main
alerts=$project/tests/fixtures/alerts

cf() { CASEFILE_NOW=$at "$casefile" -q -C "$work/cases" "$@"; }
at=2026-11-02T08:00:00Z
"$casefile" -q init "$work/cases" >/dev/null
mkdir -p "$work/cases/playbooks"
cat > "$work/cases/playbooks/brute-force.toml" <<'TOML'
# Brute-force attempts against a login service.
description = "Password guessing or spraying against SSH, RDP, VPN or web logins"

[containment]
# Stop the source and watch the targeted account.
required = ["block-ip"]

[eradication]
required = ["enforce-mfa"]

[recovery]
required = ["verify-service"]
TOML
cat > "$work/cases/playbooks/malware.toml" <<'TOML'
# Malware found on an endpoint.
description = "A malicious file detected on a host by an antivirus or VirusTotal"

[containment]
required = ["isolate-host"]

[eradication]
required = ["remove-file"]

[recovery]
required = ["verify-service", "monitor-ioc"]
TOML
git -C "$work/cases" add playbooks && git -C "$work/cases" commit -qm "playbooks: add brute-force and malware"

# 1. A closed true positive: SSH brute force from one source.
id=$(cf open --alert "$alerts/sshd-5712.json")
at=2026-11-02T08:05:00Z; cf advance "$id"; cf take "$id"; cf advance "$id"
at=2026-11-02T08:30:00Z
cf timeline add "$id" "auth.log shows 8 invalid-user attempts for paco from 172.17.1.1 within 20 seconds" \
    --at 2022-05-11T12:29:00Z --kind finding --source auth.log
cf advance "$id"
cf verdict "$id" true-positive --reason "Automated guessing from one source; no such user exists"
cf advance "$id"
cf classify "$id" --type brute-force --severity medium --attack T1110.001 \
    --impact "No account compromised; sshd stayed available" --priority P3
cf advance "$id"
at=2026-11-02T09:00:00Z; cf action add "$id" block-ip 172.17.1.1 --status done --note "Dropped at the edge firewall"
cf advance "$id"
at=2026-11-02T10:00:00Z; cf action add "$id" enforce-mfa "sshd on localhost" --status done; cf advance "$id"
at=2026-11-02T11:00:00Z; cf action add "$id" verify-service "sshd on localhost" --status done; cf advance "$id"
cf summary "$id" "An SSH brute-force run from 172.17.1.1 tried the non-existent user paco. The source was blocked and password logins were disabled; no access was gained."
cf report "$id"; cf advance "$id"
cf recommend "$id" "Disable SSH password authentication on every host"
cf retro "$id" --went-well "The rule fired within seconds" --root-cause "Password logins were enabled"
cf lessons "$id"; cf advance "$id"
cf followup add "$id" siem-rule "Add an active response for rule 5712" --owner "Alice Analyst" --due 2026-12-15
cf advance "$id"

# 2. A closed false positive: the vulnerability scanner.
at=2026-11-03T09:00:00Z
id=$(cf open --alert "$alerts/sshd-5710.json")
cf advance "$id"; cf take "$id"; cf advance "$id"
cf timeline add "$id" "18.18.18.18 is the contracted external scanner; the scan window was announced" --kind finding
cf advance "$id"
cf verdict "$id" false-positive --reason "Authorized external vulnerability scan"
cf advance "$id"
cf summary "$id" "The login attempt came from the announced external vulnerability scan."
cf report "$id"; cf advance "$id"

# 3. Malware in containment: VirusTotal flagged a file.
at=2026-11-04T14:00:00Z
id=$(cf open --alert "$alerts/virustotal-87105.json")
cf advance "$id"; cf take "$id"; cf advance "$id"
cf timeline add "$id" "eicar.com was downloaded by a browser on the Ubuntu agent at 17:29" --at 2022-11-17T17:29:00Z --kind finding
cf advance "$id"
cf verdict "$id" true-positive --reason "66 of 68 engines detect the file"
cf advance "$id"
cf classify "$id" --type malware --severity high --attack T1204.002 --impact "One workstation; no spread seen yet"
cf advance "$id"
cf action add "$id" isolate-host Ubuntu --note "Waiting for the desktop team" >/dev/null

# 4. A web attack under investigation.
at=2026-11-05T10:00:00Z
id=$(cf open --alert "$alerts/web-31103.json")
cf advance "$id"; cf take "$id"; cf advance "$id"
cf timeline add "$id" "The access log shows 40 requests with SQL in the id parameter from 192.168.132.1" --kind finding

# 5. A file-integrity alert waiting for an owner.
at=2026-11-06T07:30:00Z
id=$(cf open --alert "$alerts/syscheck-550.json")
cf advance "$id"

"$casefile" -q -C "$work/cases" check
rm -rf "$project/incidents" "$project/playbooks"
cp -r "$work/cases/incidents" "$work/cases/playbooks" "$project/"
cp "$work/cases/casefile.toml" "$project/casefile.toml"
echo "sample incidents written to $project/incidents"
