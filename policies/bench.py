"""Benchmark: evaluates the pack over synthetic resources.

`python -m policies.bench [--resources N] [--engine direct|servicer|both]` prints resources per second
(direct: the default path; servicer: pulumi-policy's own analyzer, the reference). The mix cycles through the
types the rules target (workloads, network policies, IAM, KMS, S3 and their companions, log
groups), so both resource and stack rules do real work.
"""
from __future__ import annotations

import argparse
import json
import time

from preflight.evaluation import ENGINES, evaluate, load_pack_config
from preflight.model import Plan, RecordedResource
from policies.docs import ROOT

_POD = {
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{
        "name": "app", "image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "livenessProbe": {"tcpSocket": {"port": 80}}, "readinessProbe": {"tcpSocket": {"port": 80}},
    }],
}
_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def _one(i: int) -> list[RecordedResource]:
    """A group of five related resources, numbered i."""
    def r(type_token, name, inputs, deps=None):
        deps = deps or {}
        return RecordedResource(
            urn=f"urn:pulumi:bench::p::{type_token}::{name}", type=type_token, name=name, custom=True,
            inputs=inputs, dependencies=tuple(u for us in deps.values() for u in us),
            property_dependencies={k: tuple(v) for k, v in deps.items()})

    bucket = r("aws:s3/bucket:Bucket", f"b{i}", {"bucket": f"b{i}"})
    return [
        r("kubernetes:apps/v1:Deployment", f"d{i}", {"metadata": {"name": f"d{i}", "namespace": f"ns{i % 50}"},
          "spec": {"template": {"metadata": {"labels": {"app": f"d{i}"}}, "spec": _POD}}}),
        r("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"np{i}", {"metadata": {"namespace": f"ns{i % 50}"},
          "spec": {"podSelector": {"matchLabels": {"app": f"d{i}"}}, "ingress": [{}]}}),
        r("aws:iam/rolePolicy:RolePolicy", f"rp{i}", {"role": f"role{i}", "policy": _POLICY}),
        bucket,
        r("aws:s3/bucketVersioning:BucketVersioning", f"v{i}", {"bucket": f"b{i}",
          "versioningConfiguration": {"status": "Enabled"}}, {"bucket": [bucket.urn]}),
    ]


def synthetic_plan(count: int) -> Plan:
    resources: list[RecordedResource] = []
    i = 0
    while len(resources) < count:
        resources += _one(i)
        i += 1
    return Plan(project="bench", stack="bench", resources=tuple(resources[:count]), outputs={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--engine", choices=ENGINES, default="direct")
    args = parser.parse_args()
    plan = synthetic_plan(args.resources)
    config = load_pack_config(ROOT / "policies" / "config" / "prod.json")
    started = time.perf_counter()
    result = evaluate(plan, config, engine=args.engine)
    elapsed = time.perf_counter() - started
    print(f"{args.engine}: {len(plan.resources)} resources, {len(result.policies)} policies, {len(result.violations)} violations "
          f"in {elapsed:.2f}s: {len(plan.resources) / elapsed:.0f} resources/s")


if __name__ == "__main__":
    main()
