#!/usr/bin/env python3
"""Validate every ClusterSPIFFEID in the given manifests against the SPIRE
controller manager's own CRD (data/crds/, vendored verbatim), converted to
a JSON Schema that allows no property the CRD does not declare; exit 1 on
any failure, or if no ClusterSPIFFEID was found.

    spiffe_ids.py CRD.yaml MANIFEST.yaml…
"""

import sys

import jsonschema
import yaml


def strict(schema: dict) -> dict:
    """The CRD's openAPIV3Schema with additionalProperties: false on every
    object that lists its properties (Kubernetes prunes unknown fields
    instead; a renderer must not rely on that)."""
    out = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if out.get("type") == "object" and "properties" in out:
        out["properties"] = {k: strict(v) for k, v in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    if "items" in out:
        out["items"] = strict(out["items"])
    return out


def main(crd_path, paths) -> int:
    with open(crd_path, encoding="utf-8") as f:
        crd = next(d for d in yaml.safe_load_all(f) if d)
    version = crd["spec"]["versions"][0]
    schema = strict(version["schema"]["openAPIV3Schema"])
    # metadata is validated by the API server's own rules, not the CRD's
    schema["properties"]["metadata"] = {"type": "object"}
    api_version = f'{crd["spec"]["group"]}/{version["name"]}'
    checked = failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != crd["spec"]["names"]["kind"]:
                    continue
                checked += 1
                if doc.get("apiVersion") != api_version:
                    failed += 1
                    print(f"{path}: apiVersion {doc.get('apiVersion')} is not {api_version}")
                    continue
                for error in jsonschema.Draft7Validator(schema).iter_errors(doc):
                    failed += 1
                    print(f"{path}: {doc['metadata'].get('name')}: {error.json_path}: {error.message}")
    print(f"ClusterSPIFFEID: {checked} checked, {failed} failures", file=sys.stderr)
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
