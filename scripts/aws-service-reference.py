#!/usr/bin/env python3
"""Generate data/aws-service-reference.json: every AWS service's IAM actions
with their access level, resource types and whether AWS evaluates tag
conditions for them, its resource types' ARN formats and its condition
keys, from the AWS Service Authorization Reference as the parliament
package (PyPI) ships it.

An action's `tags` says which tag condition AWS evaluates for it:
`request` for an action that creates what it is authorized on and takes
the new resource's tags (`aws:RequestTag/KEY`: it lists the key, it is a
write, and its verb creates: Create, Run, Start, Import…), `resource` for
one that acts on resources which all carry tags (`aws:ResourceTag/KEY`:
each required resource type, or each type when none is marked required,
lists the key for the action or for the type); absent when neither holds
(an action on `*` only, or on an untaggable resource such as an S3
object), and then no tag condition can narrow it.

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


RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
REQUEST_TAG = "aws:RequestTag/${TagKey}"


# verbs of actions that create the resource they are authorized on
CREATE_VERBS = (
    "Allocate", "Clone", "Copy", "Create", "Duplicate", "Import", "Instantiate",
    "Launch", "Provision", "Purchase", "Register", "Request", "Reserve",
    "Restore", "Run", "Start",
)
WRITES = ("Write", "Permissions management")


def tags(privilege: dict, tagged_types: set) -> str:
    """The tag condition AWS evaluates for one privilege: "request",
    "resource" or ""."""
    keys = privilege["resource_types"]
    request = any(REQUEST_TAG in r["condition_keys"] for r in keys)
    if (
        request
        and privilege["access_level"] in WRITES
        and privilege["privilege"].startswith(CREATE_VERBS)
    ):
        return "request"
    rows = [r for r in keys if r["resource_type"]]
    required = [r for r in rows if r["resource_type"].endswith("*")] or rows
    resource = bool(required) and all(
        RESOURCE_TAG in r["condition_keys"] or r["resource_type"].rstrip("*") in tagged_types
        for r in required
    )
    return "resource" if resource else ""


def compact(definition: list) -> dict:
    services: dict = {}
    for service in definition:
        tagged_types = {
            r["resource"] for r in service["resources"] if RESOURCE_TAG in r["condition_keys"]
        }
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
            tag = tags(p, tagged_types)
            known = p["privilege"] in entry["actions"]
            action = entry["actions"].setdefault(
                p["privilege"], {"access": p["access_level"], "resources": []}
            )
            action["resources"] = sorted(set(action["resources"]) | set(types))
            # listed twice (one prefix, two service names): the two must agree
            # for a tag condition to be relied on
            if tag and (not known or action.get("tags") == tag):
                action["tags"] = tag
            else:
                action.pop("tags", None)
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
