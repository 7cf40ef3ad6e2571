"""The MCP gateways' Cedar, checked by cedarpy (PyPI: the Cedar engine
built separately from nhi's, at another version): each gateway folder's
policies.cedar must validate against the schema rendered beside it.

    gateways.py DIR...

Each DIR holds policies.cedar and one .cedarschema. Exit 1 on any
validation error, naming the folder and the error.
"""

import pathlib
import sys

import cedarpy


def check(folder: pathlib.Path) -> list[str]:
    schemas = sorted(folder.glob("*.cedarschema"))
    if len(schemas) != 1:
        return [f"{folder}: expected one .cedarschema, found {len(schemas)}"]
    policies = (folder / "policies.cedar").read_text()
    result = cedarpy.validate_policies(policies, schemas[0].read_text())
    if result.validation_passed:
        return []
    return [f"{folder}: {error}" for error in result.errors] or [f"{folder}: does not validate"]


def main(folders: list[str]) -> int:
    problems = [p for f in folders for p in check(pathlib.Path(f))]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
