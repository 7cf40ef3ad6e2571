#!/usr/bin/env python3
"""Generate data/aws-service-reference.json: every AWS service's IAM actions
with their access level and resource types, its resource types' ARN
formats and its condition keys, from the AWS Service Authorization
Reference as the parliament package (PyPI) ships it.

    scripts/aws-service-reference.py            # fetch parliament, write the file
    scripts/aws-service-reference.py --check    # exit 1 if the file is stale

The output is deterministic (sorted keys, one service per line) so a
regeneration shows as a readable diff. Descriptions are dropped: nhi needs
the names, the access levels and the ARN formats.
"""

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARLIAMENT = "parliament==1.6.4"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "aws-service-reference.json"


def fetch() -> list:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--dest", tmp, PARLIAMENT],
            check=True,
        )
        wheel = next(Path(tmp).glob("parliament-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return json.loads(z.read("parliament/iam_definition.json"))


def compact(definition: list) -> dict:
    services: dict = {}
    for service in definition:
        entry = services.setdefault(
            service["prefix"],
            {"names": [], "actions": {}, "resources": {}, "conditions": []},
        )
        if service["service_name"] not in entry["names"]:
            entry["names"].append(service["service_name"])
        for p in service["privileges"]:
            types = sorted(
                {r["resource_type"].rstrip("*") for r in p["resource_types"]} - {""}
            )
            action = entry["actions"].setdefault(
                p["privilege"], {"access": p["access_level"], "resources": []}
            )
            action["resources"] = sorted(set(action["resources"]) | set(types))
        for r in service["resources"]:
            entry["resources"][r["resource"]] = r["arn"]
        for c in service["conditions"]:
            if c["condition"] not in entry["conditions"]:
                entry["conditions"].append(c["condition"])
    for entry in services.values():
        entry["names"].sort()
        entry["conditions"].sort()
    return services


def render(services: dict) -> str:
    lines = [
        "{",
        f'"source": {json.dumps(PARLIAMENT + " (iam_definition.json): the AWS Service Authorization Reference")},',
        '"services": {',
    ]
    items = sorted(services.items())
    for i, (prefix, entry) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        body = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        lines.append(f"{json.dumps(prefix)}:{body}{comma}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


def main() -> int:
    text = render(compact(fetch()))
    if "--check" in sys.argv[1:]:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
