"""Validate a MISP event with PyMISP.

Usage: validate_misp.py EVENT.json. Prints a JSON report and exits 1 when the event is invalid.
Checks: PyMISP loads the event (unknown attribute types fail), each attribute's category is one
that MISP's describeTypes allows for its type, and tags are TLP or ATT&CK galaxy tags.
"""

import json
import os
import re
import sys

import pymisp

GALAXY_TAG = re.compile(r'^misp-galaxy:mitre-attack-pattern="[^"]+ - T\d{4}(\.\d{3})?"$')
TLP_TAG = re.compile(r"^tlp:(clear|green|amber|amber\+strict|red)$")


def describe_types():
    path = os.path.join(os.path.dirname(pymisp.__file__), "data", "describeTypes.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["result"]


def main(path):
    errors = []
    event = pymisp.MISPEvent()
    try:
        event.load_file(path)
    except Exception as error:  # PyMISP raises its own and standard exceptions
        print(json.dumps({"ok": False, "errors": [f"PyMISP rejects the event: {error}"]}))
        return 1

    types = describe_types()
    for attribute in event.attributes:
        allowed = types["category_type_mappings"].get(attribute.category, [])
        if attribute.type not in allowed:
            errors.append(f"{attribute.value}: type {attribute.type} not in {attribute.category}")
    tags = [tag.name for tag in event.tags]
    for tag in tags:
        if not (TLP_TAG.match(tag) or GALAXY_TAG.match(tag)):
            errors.append(f"unexpected tag {tag}")
    if not any(TLP_TAG.match(tag) for tag in tags):
        errors.append("the event has no TLP tag")

    report = {
        "ok": not errors,
        "errors": errors,
        "info": event.info,
        "tags": tags,
        "attributes": [
            {
                "type": a.type,
                "category": a.category,
                "value": a.value,
                "to_ids": a.to_ids,
                "tags": [t.name for t in a.tags],
            }
            for a in event.attributes
        ],
    }
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
