#!/usr/bin/env python3
"""The Python anchor of the `casefile check` benchmark: parses every TOML file under
incidents/ with tomllib and checks a few fields (ID against its directory, phase name,
RFC 3339 times with an offset).

Usage: python_check.py DIR
"""

import os
import sys
import tomllib
from datetime import datetime

PHASES = {
    "detection", "triage", "investigation", "determination", "classification",
    "containment", "eradication", "recovery", "reporting", "lessons-learned",
    "improvement", "closed",
}


def valid_time(value):
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


def main():
    root = os.path.join(sys.argv[1], "incidents")
    problems = 0
    for name in sorted(os.listdir(root)):
        base = os.path.join(root, name)
        if not os.path.isdir(base):
            continue
        with open(os.path.join(base, "incident.toml"), "rb") as handle:
            incident = tomllib.load(handle)
        problems += incident.get("id") != name
        problems += incident.get("phase") not in PHASES
        problems += not valid_time(incident.get("created"))
        for kind in ("timeline", "iocs", "actions"):
            directory = os.path.join(base, kind)
            for file_name in os.listdir(directory) if os.path.isdir(directory) else []:
                with open(os.path.join(directory, file_name), "rb") as handle:
                    record = tomllib.load(handle)
                problems += not valid_time(record.get("recorded"))
    print(f"{problems} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
