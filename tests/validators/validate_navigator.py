"""Validate an ATT&CK Navigator layer against the required fields of layer format 4.5.

Usage: validate_navigator.py LAYER.json. Prints a JSON report and exits 1 when it is invalid.
The field list follows the layer format 4.5 description in the mitre-attack/attack-navigator
repository (layers/LAYERFORMATv4_5.md). Needs only the standard library.
"""

import json
import re
import sys

TOP_LEVEL = {
    "name", "versions", "domain", "description", "filters", "sorting", "layout",
    "hideDisabled", "techniques", "gradient", "legendItems", "showTacticRowBackground",
    "tacticRowBackground", "selectTechniquesAcrossTactics", "selectSubtechniquesWithParent",
    "selectVisibleTechniques", "metadata", "links", "customDataURL",
}
TECHNIQUE_FIELDS = {
    "techniqueID", "tactic", "comment", "enabled", "metadata", "links", "showSubtechniques",
    "score", "color", "aggregateScore",
}
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")


def check(layer):
    errors = []
    if not isinstance(layer.get("name"), str):
        errors.append("name is missing or not a string")
    if layer.get("domain") not in {"enterprise-attack", "mobile-attack", "ics-attack"}:
        errors.append(f"domain {layer.get('domain')!r} is not an ATT&CK domain")
    versions = layer.get("versions", {})
    if versions.get("layer") != "4.5":
        errors.append(f"versions.layer is {versions.get('layer')!r}, not '4.5'")
    for key in ("attack", "navigator"):
        if not isinstance(versions.get(key), str):
            errors.append(f"versions.{key} is missing or not a string")
    errors += [f"unknown top-level field {key}" for key in layer if key not in TOP_LEVEL]
    for technique in layer.get("techniques", []):
        if not TECHNIQUE_ID.match(str(technique.get("techniqueID", ""))):
            errors.append(f"invalid techniqueID {technique.get('techniqueID')!r}")
        if "score" in technique and not isinstance(technique["score"], (int, float)):
            errors.append(f"{technique['techniqueID']}: score is not a number")
        errors += [
            f"{technique.get('techniqueID')}: unknown field {key}"
            for key in technique
            if key not in TECHNIQUE_FIELDS
        ]
    gradient = layer.get("gradient")
    if gradient is not None:
        if not (isinstance(gradient.get("colors"), list) and len(gradient["colors"]) >= 2):
            errors.append("gradient.colors needs at least two colors")
        for key in ("minValue", "maxValue"):
            if not isinstance(gradient.get(key), (int, float)):
                errors.append(f"gradient.{key} is not a number")
    return errors


def main(path):
    with open(path, encoding="utf-8") as handle:
        layer = json.load(handle)
    errors = check(layer)
    scores = {t["techniqueID"]: t.get("score") for t in layer.get("techniques", [])}
    print(json.dumps({"ok": not errors, "errors": errors, "scores": scores,
                      "versions": layer.get("versions")}))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
