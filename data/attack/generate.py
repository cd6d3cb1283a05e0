#!/usr/bin/env python3
"""Writes the compact ATT&CK Enterprise catalog that casefile embeds.

Input: a directory holding `enterprise-attack-v<VERSION>-techniques.jsonl` (one
JSON object per attack-pattern with id, name, tactics, is_subtechnique,
parent_id, revoked, revoked_by, deprecated) and
`enterprise-attack-v<VERSION>-tactics.json` (tactics in matrix order).
Output: two tab-separated files next to this script.

Usage: python3 data/attack/generate.py SOURCE_DIR [VERSION]
"""

import json
import pathlib
import sys


def flag(value):
    return "1" if value else "0"


def check_field(value, row_id):
    if "\t" in value or "\n" in value:
        sys.exit(f"{row_id}: field contains a tab or line break: {value!r}")
    return value


def write_techniques(source, out, version):
    path = source / f"enterprise-attack-v{version}-techniques.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows.sort(key=lambda row: row["id"])
    ids = {row["id"] for row in rows}
    lines = ["id\tname\ttactics\tis_subtechnique\tparent_id\trevoked\trevoked_by\tdeprecated"]
    for row in rows:
        if row["revoked_by"] and row["revoked_by"] not in ids:
            sys.exit(f"{row['id']} is revoked by unknown {row['revoked_by']}")
        fields = [
            row["id"],
            row["name"],
            ",".join(row["tactics"]),
            flag(row["is_subtechnique"]),
            row["parent_id"] or "",
            flag(row["revoked"]),
            row["revoked_by"] or "",
            flag(row["deprecated"]),
        ]
        lines.append("\t".join(check_field(field, row["id"]) for field in fields))
    out.joinpath(f"enterprise-attack-v{version}-techniques.tsv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    return len(rows)


def write_tactics(source, out, version):
    path = source / f"enterprise-attack-v{version}-tactics.json"
    tactics = sorted(json.loads(path.read_text(encoding="utf-8")), key=lambda t: t["order"])
    lines = ["id\tname\tshortname\torder"]
    for tactic in tactics:
        fields = [tactic["id"], tactic["name"], tactic["shortname"], str(tactic["order"])]
        lines.append("\t".join(check_field(field, tactic["id"]) for field in fields))
    out.joinpath(f"enterprise-attack-v{version}-tactics.tsv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    return len(tactics)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    source = pathlib.Path(sys.argv[1])
    version = sys.argv[2] if len(sys.argv) == 3 else "18.1"
    out = pathlib.Path(__file__).resolve().parent
    techniques = write_techniques(source, out, version)
    tactics = write_tactics(source, out, version)
    print(f"wrote {techniques} techniques and {tactics} tactics for ATT&CK v{version}")


if __name__ == "__main__":
    main()
