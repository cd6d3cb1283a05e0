"""Validate a STIX 2.1 bundle with the OASIS stix2 library.

Usage: validate_stix.py BUNDLE.json. Prints a JSON report and exits 1 when the bundle is invalid.
Checks: stix2 parses every object strictly (no custom properties, indicator patterns valid),
every SCO ID equals the deterministic ID stix2 derives from its ID-contributing properties,
and every *_ref / *_refs property names an object in the bundle.
"""

import collections
import json
import sys

import stix2

# The TLP 2.0 marking definitions refer to this extension definition, which OASIS publishes
# separately, so a bundle may refer to it without containing it.
KNOWN_EXTERNAL = {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"}

SCO_TYPES = {
    "autonomous-system", "directory", "domain-name", "email-addr", "file", "ipv4-addr",
    "ipv6-addr", "mac-addr", "url", "user-account", "windows-registry-key",
}


def references(value):
    """Yield every ID that a *_ref or *_refs property of `value` names."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_ref") and isinstance(item, str):
                yield item
            elif key.endswith("_refs") and isinstance(item, list):
                yield from item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def main(path):
    errors = []
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    try:
        bundle = stix2.parse(raw, allow_custom=False)
    except Exception as error:  # stix2 raises many exception types for invalid content
        print(json.dumps({"ok": False, "errors": [f"stix2 rejects the bundle: {error}"]}))
        return 1

    ids = {obj["id"] for obj in raw["objects"]}
    for obj in raw["objects"]:
        if obj["type"] in SCO_TYPES:
            without_id = {key: value for key, value in obj.items() if key != "id"}
            derived = stix2.parse(without_id, allow_custom=False)
            if derived.id != obj["id"]:
                errors.append(f"{obj['id']}: stix2 derives {derived.id}")
        for ref in references(obj):
            if ref not in ids and ref not in KNOWN_EXTERNAL:
                errors.append(f"{obj['id']} refers to {ref}, which is not in the bundle")

    counts = collections.Counter(obj["type"] for obj in raw["objects"])
    report = {
        "ok": not errors,
        "errors": errors,
        "spec_version": bundle.objects[0].spec_version if bundle.objects else None,
        "counts": dict(sorted(counts.items())),
        "patterns": sorted(o["pattern"] for o in raw["objects"] if o["type"] == "indicator"),
        "sco_ids": sorted(o["id"] for o in raw["objects"] if o["type"] in SCO_TYPES),
    }
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
