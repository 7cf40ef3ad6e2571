#!/usr/bin/env python3
"""Lint AWS identity policies with parliament (an IAM linter nhi does not
share code with); exit 1 on any finding.

    aws_policies.py POLICY.json…

One finding is filtered, with its reason: parliament reads every resource
type the service authorization reference marks for an action as required
together, where for the actions below AWS means "one of them" (an
InvokeModel call names a foundation model *or* an inference profile, …), so
a correctly scoped statement is reported as RESOURCE_MISMATCH.
"""

import sys

from parliament import analyze_policy_string

ONE_OF_RESOURCE_TYPES = {
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
}


def filtered(finding) -> bool:
    return finding.issue == "RESOURCE_MISMATCH" and all(
        d.get("action") in ONE_OF_RESOURCE_TYPES for d in (finding.detail or [])
    )


def main(paths) -> int:
    failures = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            policy = analyze_policy_string(f.read(), filepath=path)
        for finding in policy.findings:
            if filtered(finding):
                continue
            failures += 1
            print(f"{path}: {finding.severity} {finding.issue}: {finding.title}: {finding.detail}")
    print(f"parliament: {len(paths)} policies, {failures} findings", file=sys.stderr)
    return 1 if failures or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
