#!/usr/bin/env python3
"""Apply what nhi renders for AWS to the IAM API on loopback, and read it back.

    aws_apply.py --nhi NHI --terraform-rc RC [--twice WORKSPACE] WORKSPACE...

For each workspace (copied to a temporary folder first) this script:

1. builds it with nhi, and starts moto's IAM API (`moto_server`) on
   127.0.0.1 at a free port, stopped when the workspace is done;
2. creates, as the estate that exists already, the roles and users the root
   imports (`existing: [aws]`), each with an inline policy and an attached
   managed policy granting everything, which adopting it must remove, and
   the prerequisites the workspace names but does not manage (a
   permissions boundary);
3. `terraform init` against the local provider mirror and `terraform apply`
   of dist/terraform/aws, the root nhi renders, with only a provider
   override pointing at moto (moto has no EKS access entry API, so those are
   switched off with the module's own variable and said so);
4. reads every role and user back through the API and compares its trust
   policy, inline policies, attached policies (none), permissions
   boundary, session duration, path, description and tags with the native
   JSON nhi rendered beside the Terraform (dist/aws/NAME/), and that
   nothing else lives under /nhi/;
5. `terraform plan -detailed-exitcode` expects no changes;
   then the round trip: exports the account with the AWS CLI (`aws iam
   get-account-authorization-details --endpoint-url …`), imports the
   export into a fresh workspace (`nhi import aws`), which must check
   without errors, builds it, and compares every role and user with the
   first build: name, path, trust policy, permissions policy (statements
   as sets, their ids aside), boundary and the tags nhi does not derive
   from review dates and file paths (the export carries no description or
   session duration, so those are not compared); `nhi drift aws` on the
   same export reports nothing, and after a managed policy is attached to
   a role and a role is created by hand through the API, exactly those
   two, high risk;
6. edits one role's inline policy behind Terraform's back and expects both
   the comparison and the plan to see it (or their silence proves nothing);
7. suspends one identity in the workspace (`state: suspended`), builds and
   applies again, and reads back that its role now denies everything;
8. `terraform destroy`, and reads back that nothing is left under /nhi/.

With --twice, it also uses one workspace's dist/aws as a module twice from
a root of its own, for two accounts with two name prefixes (moto takes a
12-digit access key as the account): `terraform validate`, apply, read
back that each account holds its own roles trusting its own OIDC
providers, and destroy.

Any disagreement fails the script with what differed.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = "terraform/aws"
MODULE = "aws/main.tf.json"
TIMEOUT = 300  # seconds for any one terraform command
DEFAULT_ACCOUNT = "123456789012"  # moto's


def fail(message: str) -> None:
    sys.exit(f"aws-apply: {message}")


def say(message: str) -> None:
    print(f"aws-apply: {message}", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto(port: int):
    """moto's server on loopback, stopped whatever happens."""
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    fail(f"moto_server did not start on 127.0.0.1:{port}")
                time.sleep(0.2)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def iam_client(port: int, account: str):
    """An IAM client acting in `account`: moto's default account directly,
    another through STS AssumeRole, as a team's provider would."""
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    if account != DEFAULT_ACCOUNT:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", **keys)
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/conformance", RoleSessionName="conformance")["Credentials"]
        keys = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **keys)


def terraform(rc: Path, folder: Path, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "AWS_"))
    }
    env.update(TF_CLI_CONFIG_FILE=str(rc), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    p = subprocess.run(
        ["terraform", *args, "-no-color", *([] if args[0] == "validate" else ["-input=false"])],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if p.returncode not in ok:
        print(p.stdout[-4000:], p.stderr[-4000:], sep="\n", file=sys.stderr)
        fail(f"terraform {args[0]} in {folder} exited {p.returncode}")
    return p


def build(nhi: str, ws: Path, out: Path) -> None:
    p = subprocess.run(
        [nhi, "-C", str(ws), "build", "--out", str(out)],
        env={**os.environ, "NHI_TODAY": "2026-11-22"},
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        print(p.stderr[-4000:], file=sys.stderr)
        fail(f"nhi build of {ws} exited {p.returncode}")


def override(port: int, account: str, region: str, access_entries: bool) -> dict:
    endpoint = f"http://127.0.0.1:{port}"
    provider = {
        "region": region,
        "access_key": "test",
        "secret_key": "test",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        "endpoints": {"iam": endpoint, "sts": endpoint, "eks": endpoint},
    }
    if account != DEFAULT_ACCOUNT:
        provider["assume_role"] = {"role_arn": f"arn:aws:iam::{account}:role/conformance"}
    doc = {"provider": {"aws": provider}}
    if access_entries:
        doc["module"] = {"nhi": {"manage_eks_access_entries": False}}
    return doc


def load(path: Path):
    return json.loads(path.read_text())


def expected_principals(dist: Path) -> dict:
    """Each rendered role or user, from the native JSON beside the Terraform."""
    out = {}
    for folder in sorted((dist / "aws").iterdir()):
        if not folder.is_dir():
            continue
        role = folder / "role.json"
        user = folder / "user.json"
        spec = load(role if role.exists() else user)
        out[folder.name] = {
            "kind": "role" if role.exists() else "user",
            "spec": spec,
            "trust": load(folder / "trust-policy.json") if role.exists() else None,
            "policy": load(folder / "permissions-policy.json"),
        }
    return out


def tags_of(items) -> dict:
    return {t["Key"]: t["Value"] for t in items or []}


def read_back(iam, module: dict, expected: dict, boundary: str | None) -> list[str]:
    """What differs between the account and what nhi rendered."""
    problems = []
    roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix="/nhi/")["Roles"]}
    users = {u["UserName"]: u for u in iam.list_users(PathPrefix="/nhi/")["Users"]}
    seen_roles, seen_users = set(), set()
    for name, want in expected.items():
        spec = want["spec"]
        if want["kind"] == "role":
            role_name = spec["RoleName"]
            seen_roles.add(role_name)
            if role_name not in roles:
                problems.append(f"{name}: role {role_name} is missing")
                continue
            got = iam.get_role(RoleName=role_name)["Role"]
            if got["AssumeRolePolicyDocument"] != want["trust"]:
                problems.append(f"{name}: trust policy differs:\n  got  {got['AssumeRolePolicyDocument']}\n  want {want['trust']}")
            for key, field in [("MaxSessionDuration", "MaxSessionDuration"), ("Path", "Path"), ("Description", "Description")]:
                if got.get(field) != spec.get(key):
                    problems.append(f"{name}: {field} is {got.get(field)!r}, rendered {spec.get(key)!r}")
            names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
            policies = {n: iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"] for n in names}
            attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
            tags = tags_of(iam.list_role_tags(RoleName=role_name)["Tags"])
        else:
            user_name = spec["UserName"]
            seen_users.add(user_name)
            if user_name not in users:
                problems.append(f"{name}: user {user_name} is missing")
                continue
            got = iam.get_user(UserName=user_name)["User"]
            names = iam.list_user_policies(UserName=user_name)["PolicyNames"]
            policies = {n: iam.get_user_policy(UserName=user_name, PolicyName=n)["PolicyDocument"] for n in names}
            attached = iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]
            tags = tags_of(iam.list_user_tags(UserName=user_name)["Tags"])
        if attached:
            problems.append(f"{name}: managed policies nhi does not render are attached: {[a['PolicyArn'] for a in attached]}")
        if policies != {"nhi-permissions": want["policy"]}:
            problems.append(f"{name}: inline policies differ:\n  got  {policies}\n  want {{'nhi-permissions': {want['policy']}}}")
        if tags != tags_of(spec.get("Tags")):
            problems.append(f"{name}: tags differ:\n  got  {tags}\n  want {tags_of(spec.get('Tags'))}")
        got_boundary = (got.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if got_boundary != boundary:
            problems.append(f"{name}: permissions boundary is {got_boundary}, expected {boundary}")
    for extra in sorted(set(roles) - seen_roles):
        problems.append(f"role {extra} under /nhi/ was not rendered")
    for extra in sorted(set(users) - seen_users):
        problems.append(f"user {extra} under /nhi/ was not rendered")
    return problems


def boundary_of(module: dict, account: str, prefix: str) -> str | None:
    variables = module["variable"]
    if variables["manage_permissions_boundary"]["default"]:
        return f"arn:aws:iam::{account}:policy/nhi/{prefix}nhi-boundary"
    return variables["permissions_boundary_arn"]["default"]


ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def prepare_estate(iam, dist: Path, module: dict) -> None:
    """What exists before the first apply: the identities marked existing,
    each with an inline policy and an attached policy of its own, which
    adopting it must remove, and a boundary the workspace names but does
    not manage."""
    root = load(dist / ROOT / "main.tf.json")
    legacy = None
    if root.get("import"):
        legacy = iam.create_policy(PolicyName="legacy-admin", PolicyDocument=ADMIN)["Policy"]["Arn"]
    for block in root.get("import", []):
        kind = block["to"].split(".")[2]
        if kind == "aws_iam_role":
            iam.create_role(
                RoleName=block["id"],
                Path="/nhi/",
                AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
                }),
                Description="made by hand, before nhi",
            )
            iam.put_role_policy(RoleName=block["id"], PolicyName="legacy", PolicyDocument=ADMIN)
            iam.attach_role_policy(RoleName=block["id"], PolicyArn=legacy)
        elif kind == "aws_iam_user":
            iam.create_user(UserName=block["id"], Path="/nhi/")
            iam.put_user_policy(UserName=block["id"], PolicyName="legacy", PolicyDocument=ADMIN)
            iam.attach_user_policy(UserName=block["id"], PolicyArn=legacy)
        else:
            fail(f"no way to make an existing {kind}")
    v = module["variable"]
    arn = v["permissions_boundary_arn"]["default"]
    if arn and not v["manage_permissions_boundary"]["default"]:
        path, name = re.match(r"arn:aws:iam::\d{12}:policy(/(?:.*/)?)([^/]+)$", arn).groups()
        iam.create_policy(
            PolicyName=name,
            Path=path,
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        )


def suspend(ws: Path, name: str) -> None:
    files = [p for p in (ws / "identities").rglob(f"{name}.yaml")]
    if len(files) != 1:
        fail(f"cannot find the file of {name} in {ws}")
    text = files[0].read_text()
    if re.search(r"^state:", text, flags=re.M):
        text = re.sub(r"^state:.*$", "state: suspended", text, flags=re.M)
    else:
        text = text.rstrip("\n") + "\nstate: suspended\n"
    files[0].write_text(text)


def denies_everything(policy: dict) -> bool:
    return any(
        s.get("Effect") == "Deny"
        and s.get("Action") in ("*", ["*"])
        and s.get("Resource") in ("*", ["*"])
        and not s.get("Condition")
        for s in policy["Statement"]
    )


def run(nhi: str, rc: Path, source: Path, scratch: Path) -> int:
    ws = scratch / "workspace"
    shutil.copytree(source, ws, ignore=shutil.ignore_patterns("dist", "target", ".git", "fuzz"))
    dist = ws / "dist-apply"
    build(nhi, ws, dist)
    if not (dist / ROOT / "main.tf.json").exists():
        return 0
    module = load(dist / MODULE)
    account = module["variable"]["account_id"]["default"]
    prefix = module["variable"]["name_prefix"]["default"]
    root = load(dist / ROOT / "main.tf.json")
    region = root.get("provider", {}).get("aws", {}).get("region", "us-east-1")
    access_entries = "aws_eks_access_entry" in module["resource"]
    if access_entries:
        say(f"{source}: NOT APPLIED: EKS access entries (moto has no API for them); terraform validate checks them")
    port = free_port()
    with moto(port):
        iam = iam_client(port, account)
        prepare_estate(iam, dist, module)
        folder = dist / ROOT
        (folder / "moto_override.tf.json").write_text(json.dumps(override(port, account, region, access_entries)))
        terraform(rc, folder, "init", "-backend=false")
        terraform(rc, folder, "apply", "-auto-approve")
        expected = expected_principals(dist)
        boundary = boundary_of(module, account, prefix)
        problems = read_back(iam, module, expected, boundary)
        if problems:
            fail(f"{source}: the account differs from what nhi rendered:\n" + "\n".join(problems))
        terraform(rc, folder, "plan", "-detailed-exitcode")
        round_trip(nhi, port, source, scratch, ws, expected)
        # the comparison and the plan must see a change made behind their back
        victim = next(
            (n for n, w in expected.items() if w["kind"] == "role" and not denies_everything(w["policy"])),
            None,
        )
        if victim is None:
            fail(f"{source}: no active role to edit and suspend")
        role_name = expected[victim]["spec"]["RoleName"]
        edited = json.loads(json.dumps(expected[victim]["policy"]))
        edited["Statement"].append({"Sid": "EditedByHand", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": ["*"]})
        iam.put_role_policy(RoleName=role_name, PolicyName="nhi-permissions", PolicyDocument=json.dumps(edited))
        if not read_back(iam, module, expected, boundary):
            fail(f"{source}: the read-back did not notice an edited policy")
        if terraform(rc, folder, "plan", "-detailed-exitcode", ok=(2,)).returncode != 2:
            fail(f"{source}: terraform plan did not notice an edited policy")
        # suspend one identity: its role stays and denies everything
        suspend(ws, victim)
        build(nhi, ws, dist)
        terraform(rc, folder, "apply", "-auto-approve")
        expected = expected_principals(dist)
        problems = read_back(iam, module, expected, boundary)
        if problems:
            fail(f"{source}: after suspending {victim}, the account differs:\n" + "\n".join(problems))
        policy = iam.get_role_policy(RoleName=role_name, PolicyName="nhi-permissions")["PolicyDocument"]
        if not denies_everything(policy):
            fail(f"{source}: suspended {victim}, but its role's policy does not deny everything: {policy}")
        terraform(rc, folder, "plan", "-detailed-exitcode")
        terraform(rc, folder, "destroy", "-auto-approve")
        left = iam.list_roles(PathPrefix="/nhi/")["Roles"] + iam.list_users(PathPrefix="/nhi/")["Users"]
        managed = [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Path"] == "/nhi/"]
        if left or managed:
            fail(f"{source}: destroy left {[x.get('RoleName') or x.get('UserName') for x in left]} {[p['PolicyName'] for p in managed]}")
    say(f"{source}: applied {len(expected)} principals, read back identical, planned 0 changes, "
        f"caught an edited policy, suspended {victim}, destroyed")
    return len(expected)


def export(port: int, out: Path) -> None:
    """The account's authorization details, as the AWS CLI writes them."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    cmd = [sys.executable, "-m", "awscli", "iam", "get-account-authorization-details",
           "--endpoint-url", f"http://127.0.0.1:{port}", "--output", "json"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        fail(f"aws iam get-account-authorization-details exited {p.returncode}: {p.stderr[-2000:]}")
    out.write_text(p.stdout)


def statements(policy: dict | None) -> list:
    """A policy's statements without their ids, in a canonical order."""
    if policy is None:
        return []
    out = []
    for s in policy["Statement"]:
        s = {k: v for k, v in s.items() if k != "Sid"}
        out.append(json.dumps(s, sort_keys=True))
    return sorted(out)


DERIVED_TAGS = ("nhi:source", "nhi:review-due")


def round_trip(nhi: str, port: int, source: Path, scratch: Path, ws: Path, expected: dict) -> None:
    details = scratch / "authorization-details.json"
    export(port, details)
    imported = scratch / "imported"
    p = subprocess.run([nhi, "import", "aws", str(details), "--into", str(imported)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        fail(f"{source}: nhi import aws exited {p.returncode}:\n{p.stderr[-4000:]}")
    p = subprocess.run([nhi, "-C", str(imported), "check", "--format", "json"],
                       env={**os.environ, "NHI_TODAY": "2026-11-22"}, capture_output=True, text=True)
    errors = [d for d in json.loads(p.stdout)["diagnostics"] if d["severity"] == "error"]
    if errors:
        fail(f"{source}: the imported workspace does not check: {errors[:5]}")
    again = scratch / "imported-dist"
    build(nhi, imported, again)
    got = {}
    for w in expected_principals(again).values():
        name = w["spec"].get("RoleName") or w["spec"].get("UserName")
        got[(w["spec"]["Path"], name)] = w
    problems = []
    for ident, w in expected.items():
        key = (w["spec"]["Path"], w["spec"].get("RoleName") or w["spec"].get("UserName"))
        g = got.pop(key, None)
        if g is None:
            problems.append(f"{ident}: {key} was not imported")
            continue
        if statements(g["trust"]) != statements(w["trust"]):
            problems.append(f"{ident}: trust differs:\n  got  {g['trust']}\n  want {w['trust']}")
        if statements(g["policy"]) != statements(w["policy"]):
            problems.append(f"{ident}: permissions differ:\n  got  {statements(g['policy'])}\n  want {statements(w['policy'])}")
        if g["spec"].get("PermissionsBoundary") != w["spec"].get("PermissionsBoundary"):
            problems.append(f"{ident}: boundary {g['spec'].get('PermissionsBoundary')} != {w['spec'].get('PermissionsBoundary')}")
        own = lambda spec: {k: v for k, v in tags_of(spec.get("Tags")).items() if k not in DERIVED_TAGS}
        if own(g["spec"]) != own(w["spec"]):
            problems.append(f"{ident}: tags {own(g['spec'])} != {own(w['spec'])}")
    if got:
        problems.append(f"imported principals that nhi did not render: {sorted(got)}")
    if problems:
        fail(f"{source}: the round trip through the AWS CLI's export changed the account:\n" + "\n".join(problems))
    say(f"{source}: exported with the AWS CLI, imported, rebuilt: {len(expected)} principals the same")
    drift_check(nhi, port, source, scratch, ws, expected)


def drift(nhi: str, ws: Path, details: Path) -> list:
    p = subprocess.run([nhi, "-C", str(ws), "drift", "aws", str(details), "--format", "json"],
                       env={**os.environ, "NHI_TODAY": "2026-11-22"}, capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        fail(f"nhi drift exited {p.returncode}:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout)["drifts"]


def drift_check(nhi: str, port: int, source: Path, scratch: Path, ws: Path, expected: dict) -> None:
    """`nhi drift` on the account as applied finds nothing; after a policy
    is attached to a role and a role is created by hand, exactly those two,
    high risk."""
    details = scratch / "authorization-details.json"
    found = drift(nhi, ws, details)
    if found:
        fail(f"{source}: nhi drift reports differences in the account as applied: {found}")
    iam = iam_client(port, DEFAULT_ACCOUNT)
    victim = next(w["spec"]["RoleName"] for w in expected.values() if w["kind"] == "role")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    policy = iam.create_policy(PolicyName="attached-by-hand", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=victim, PolicyArn=policy)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="made-by-hand", AssumeRolePolicyDocument=json.dumps(trust))
    try:
        export(port, details)
        found = drift(nhi, ws, details)
    finally:
        iam.detach_role_policy(RoleName=victim, PolicyArn=policy)
        iam.delete_policy(PolicyArn=policy)
        iam.delete_role(RoleName="made-by-hand")
    kinds = sorted((d["kind"], d["risk"]) for d in found)
    if kinds != [("grant-added", "high"), ("principal-unmanaged", "high")]:
        fail(f"{source}: after a policy attached by hand and a role made by hand, nhi drift reports {found}")
    unmanaged = next(d for d in found if d["kind"] == "principal-unmanaged")
    attached = next(d for d in found if d["kind"] == "grant-added")
    if not unmanaged["principal"].endswith(":role/made-by-hand") or policy not in attached["detail"] or not attached["principal"].endswith(f"/{victim}"):
        fail(f"{source}: nhi drift names the wrong principals: {found}")
    say(f"{source}: nhi drift finds nothing in the account as applied, and exactly a policy attached and a role made by hand")


def twice(nhi: str, rc: Path, source: Path, scratch: Path) -> None:
    ws = scratch / "workspace"
    shutil.copytree(source, ws, ignore=shutil.ignore_patterns("dist", "target", ".git", "fuzz"))
    dist = ws / "dist-twice"
    build(nhi, ws, dist)
    module = load(dist / MODULE)
    expected = expected_principals(dist)
    port = free_port()
    accounts = {"first": "111111111111", "second": "222222222222"}
    root = scratch / "root"
    root.mkdir()
    providers, modules = [], {}
    for alias, account in accounts.items():
        p = override(port, account, "eu-west-1", False)["provider"]["aws"]
        providers.append({"alias": alias, **p})
        call = {
            "source": str(dist / "aws"),
            "providers": {"aws": f"aws.{alias}"},
            "account_id": account,
            "name_prefix": f"{alias}-",
            "tags": {"environment": alias},
        }
        if "aws_eks_access_entry" in module["resource"]:
            call["manage_eks_access_entries"] = False
        modules[alias] = call
    (root / "main.tf.json").write_text(json.dumps({
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "provider": {"aws": providers},
        "module": modules,
        "output": {alias: {"value": f"${{module.{alias}.role_arns}}"} for alias in accounts},
    }, indent=2))
    terraform(rc, root, "init", "-backend=false")
    terraform(rc, root, "validate")
    with moto(port):
        terraform(rc, root, "apply", "-auto-approve")
        for alias, account in accounts.items():
            iam = iam_client(port, account)
            roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix="/nhi/")["Roles"]}
            want = {f"{alias}-{n}" for n, w in expected.items() if w["kind"] == "role"}
            if set(roles) != want:
                fail(f"--twice: account {account} holds {sorted(roles)}, expected {sorted(want)}")
            for name in want:
                role = iam.get_role(RoleName=name)["Role"]
                trust = json.dumps(role["AssumeRolePolicyDocument"])
                other = [a for a in accounts.values() if a != account]
                if any(f"arn:aws:iam::{a}:" in trust for a in other) or (
                    "oidc-provider" in trust and f"arn:aws:iam::{account}:oidc-provider/" not in trust
                ):
                    fail(f"--twice: {name} in {account} trusts another account's provider: {trust}")
                tags = tags_of(iam.list_role_tags(RoleName=name)["Tags"])
                if tags.get("environment") != alias or "nhi:owner" not in tags:
                    fail(f"--twice: {name} in {account} has tags {tags}")
        terraform(rc, root, "destroy", "-auto-approve")
    say(f"{source}: dist/aws used as a module twice, for accounts {', '.join(accounts.values())}: "
        f"validated, applied ({len(want)} roles each), read back, destroyed")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nhi", required=True)
    p.add_argument("--terraform-rc", required=True, type=Path)
    p.add_argument("--twice", type=Path)
    p.add_argument("workspaces", nargs="+", type=Path)
    args = p.parse_args()
    if args.twice:
        with tempfile.TemporaryDirectory() as scratch:
            twice(args.nhi, args.terraform_rc.resolve(), args.twice.resolve(), Path(scratch))
    total = 0
    for ws in args.workspaces:
        with tempfile.TemporaryDirectory() as scratch:
            total += run(args.nhi, args.terraform_rc.resolve(), ws.resolve(), Path(scratch))
    if total == 0:
        fail("no workspace renders for AWS: nothing was applied")
    say(f"{len(args.workspaces)} workspaces, {total} principals applied and read back")


if __name__ == "__main__":
    main()
