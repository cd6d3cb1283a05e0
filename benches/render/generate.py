"""Write a case repository with one incident of N timeline entries and M indicators.

Usage: generate.py DIR ENTRIES IOCS. The files are written directly, in the layout casefile
reads, so that the benchmark measures rendering and not thousands of commits.
"""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

INCIDENT_ID = "IR-20260302-BNCH"
ACTOR = "Bench Analyst <bench@example.org>"


def record_id(time, index):
    # Record IDs are the recorded time plus six base-36 symbols; a counter keeps them unique.
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    suffix = ""
    for _ in range(6):
        index, rest = divmod(index, 36)
        suffix = digits[rest] + suffix
    return time.strftime("%Y%m%d-%H%M%S-") + suffix


def iso(time):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(root, entries, iocs):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    incident = os.path.join(root, "incidents", INCIDENT_ID)
    for sub in ("timeline", "iocs"):
        os.makedirs(os.path.join(incident, sub), exist_ok=True)
    with open(os.path.join(root, "casefile.toml"), "w", encoding="utf-8") as handle:
        handle.write("")
    with open(os.path.join(incident, "incident.toml"), "w", encoding="utf-8") as handle:
        handle.write(
            f'id = "{INCIDENT_ID}"\ntitle = "Benchmark incident"\n'
            f'created = "{iso(start)}"\ndetected_at = "{iso(start)}"\n'
            'phase = "investigation"\nseverity = "high"\nattack = ["T1110"]\n'
            'summary = "Generated for the render benchmark."\n\n'
            f'[[phase_history]]\nphase = "detection"\nentered = "{iso(start)}"\nby = "{ACTOR}"\n'
        )
    for index in range(entries):
        # Event times run backwards so that the sort has real work to do.
        event = start + timedelta(seconds=entries - index)
        recorded = start + timedelta(seconds=index)
        text = f"Failed password for user{index % 97} from 203.0.113.{index % 250} port {index}"
        path = os.path.join(incident, "timeline", record_id(recorded, index) + ".toml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                f'at = "{iso(event)}"\nrecorded = "{iso(recorded)}"\nactor = "{ACTOR}"\n'
                f'kind = "note"\ntext = "{text}"\n'
            )
    for index in range(iocs):
        seen = iso(start + timedelta(seconds=index))
        value = f"{(index >> 8) % 256 + 1}.{index % 256}.7.{index % 200 + 1}"
        path = os.path.join(incident, "iocs", record_id(start, index) + ".toml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                f'type = "ipv4"\nvalue = "{value}"\nfirst_seen = "{seen}"\nlast_seen = "{seen}"\n'
                f'recorded = "{seen}"\nactor = "{ACTOR}"\nsource = "auth.log"\n'
            )
    subprocess.run(["git", "init", "-q", root], check=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
