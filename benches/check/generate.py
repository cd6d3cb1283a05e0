#!/usr/bin/env python3
"""Generates a case repository of N incidents for the `casefile check` benchmark.

Each incident has incident.toml, notes.md, five timeline entries, three indicators and two
actions, in phases from detection to determination, so that the repository checks clean.
The repository is committed in one commit. Output is deterministic for a given N.

Usage: generate.py DIR [N]
"""

import os
import random
import subprocess
import sys

PHASES = ["detection", "triage", "investigation", "determination"]
ACTOR = "Bench Analyst <bench@example.org>"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def incident_toml(incident_id, day, phase_count, rng):
    lines = [
        f'id = "{incident_id}"',
        f'title = "SSH brute force against host-{rng.randrange(1000):03d}"',
        f'created = "2026-{day}T08:00:00Z"',
        f'detected_at = "2026-{day}T07:58:00Z"',
        f'phase = "{PHASES[phase_count - 1]}"',
        'tlp = "AMBER"',
    ]
    if phase_count >= 3:
        lines += [f'owner = "{ACTOR}"', f'acknowledged_at = "2026-{day}T08:05:00Z"']
    lines += ["", "[source]", 'kind = "analyst"', f'reported_by = "{ACTOR}"']
    for index, phase in enumerate(PHASES[:phase_count]):
        lines += [
            "",
            "[[phase_history]]",
            f'phase = "{phase}"',
            f'entered = "2026-{day}T08:{index * 10:02d}:00Z"',
            f'by = "{ACTOR}"',
        ]
    return "\n".join(lines) + "\n"


def timeline_entry(day, minute, kind, text):
    return (
        f'at = "2026-{day}T08:{minute:02d}:00Z"\n'
        f'recorded = "2026-{day}T08:{minute:02d}:30Z"\n'
        f'actor = "{ACTOR}"\nkind = "{kind}"\ntext = "{text}"\n'
    )


def ioc_record(day, kind, value):
    return (
        f'type = "{kind}"\nvalue = "{value}"\n'
        f'first_seen = "2026-{day}T07:58:00Z"\nlast_seen = "2026-{day}T08:01:00Z"\n'
        f'recorded = "2026-{day}T08:20:00Z"\nactor = "{ACTOR}"\nsource = "analyst"\n'
    )


def action_record(day, kind, target):
    return (
        f'phase = "containment"\nkind = "{kind}"\ntarget = "{target}"\nstatus = "planned"\n'
        f'recorded = "2026-{day}T08:30:00Z"\nactor = "{ACTOR}"\n'
    )


def write(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def generate_incident(root, number, rng):
    day = f"{1 + number % 12:02d}-{1 + number % 28:02d}"
    suffix = "".join(rng.choice(CROCKFORD) for _ in range(4))
    incident_id = f"IR-2026{day.replace('-', '')}-{suffix}"
    base = os.path.join(root, "incidents", incident_id)
    if os.path.exists(base):
        return False
    for sub in ("timeline", "iocs", "actions"):
        os.makedirs(os.path.join(base, sub))
    phase_count = 1 + number % len(PHASES)
    write(os.path.join(base, "incident.toml"), incident_toml(incident_id, day, phase_count, rng))
    write(os.path.join(base, "notes.md"), f"# {incident_id}\n\nFailed logins from one source.\n")
    stamp = day.replace("-", "")
    kinds = ["system", "note", "finding", "note", "communication"]
    for index, kind in enumerate(kinds):
        record = f"2026{stamp}-08{index:02d}30-{index:02d}{suffix.lower()}"
        text = f"Entry {index} of {incident_id}: reviewed auth.log on the host"
        write(os.path.join(base, "timeline", record + ".toml"),
              timeline_entry(day, index * 5, kind, text))
    ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
    digest = "%064x" % rng.getrandbits(256)
    iocs = [("ipv4", ip), ("sha256", digest), ("domain", f"c2-{number}.example.net")]
    for index, (kind, value) in enumerate(iocs):
        record = f"2026{stamp}-0820{index:02d}-{index:02d}{suffix.lower()}"
        write(os.path.join(base, "iocs", record + ".toml"), ioc_record(day, kind, value))
    for index, (kind, target) in enumerate([("block-ip", ip), ("isolate-host", "host-1")]):
        record = f"2026{stamp}-0830{index:02d}-{index:02d}{suffix.lower()}"
        write(os.path.join(base, "actions", record + ".toml"), action_record(day, kind, target))
    return True


def main():
    root = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(20260302)
    os.makedirs(os.path.join(root, "incidents"), exist_ok=True)
    write(os.path.join(root, "casefile.toml"), "")
    made = 0
    number = 0
    while made < count:
        if generate_incident(root, number, rng):
            made += 1
        number += 1
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.org")
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    subprocess.run(["git", "-C", root, "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", root, "commit", "-q", "-m", f"{count} generated incidents"],
                   check=True, env=env)


if __name__ == "__main__":
    main()
