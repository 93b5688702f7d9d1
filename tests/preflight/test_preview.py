"""`make preview` (python -m preflight preview): the plan as a tree with counts, then the pack's verdict."""
from __future__ import annotations

import re

SHOWN_TYPES = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:kms/key:Key", "aws:ecr/repository:Repository", "eks:index:Cluster",
    "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role",
    "aws:ec2/natGateway:NatGateway", "kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:CronJob", "kubernetes:networking.k8s.io/v1:NetworkPolicy",
)


def counts(out: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+:\S+)\s+(\d+)$", out, re.MULTILINE)}


def test_preview_prints_the_tree_the_counts_and_the_verdict(preflight):
    run = preflight("preview", "--stack", "prod")
    assert run.status == 0
    tree, _, rest = run.out.partition("\ntype ")
    assert tree.startswith("pulumi:pulumi:Stack  devsecops-platform-prod")
    for type_token in SHOWN_TYPES:
        assert f"─ {type_token}  " in tree, type_token
    by_type = counts(rest)
    assert by_type["aws:ec2/natGateway:NatGateway"] == 3
    assert by_type["aws:ec2/subnet:Subnet"] == 6
    zones = set(re.findall(r"network-private-\d+  \((eu-west-1[a-z]),", tree))
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert re.search(r"^total\s+(\d+)$", rest, re.MULTILINE)
    assert "preflight check: stack prod:" in rest and rest.rstrip().endswith("verdict: pass")


def test_dev_preview_has_two_zones_and_one_nat(preflight):
    run = preflight("preview", "--stack", "dev")
    by_type = counts(run.out)
    assert by_type["aws:ec2/natGateway:NatGateway"] == 1 and by_type["aws:ec2/subnet:Subnet"] == 4


def test_preview_exits_1_on_a_mandatory_violation(preflight, tmp_path):
    strict = tmp_path / "strict.json"
    strict.write_text('{"cloudwatch-log-group-retention": {"enforcementLevel": "mandatory", "minimumDays": 365}}')
    run = preflight("preview", "--stack", "dev", "--policy-pack-config", strict)
    assert run.status == 1 and "verdict: fail" in run.out
