"""The smoke run itself, inside the network and PID namespaces that __main__.py made for it:
plan -> cluster -> pods started and probed -> a request end to end -> backups -> everything stopped.

Usage: python -m preflight.smoke.run (--stack NAME | --stack-file PATH)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from components.config import ConfigError
from components.config_rules import DATABASE_SERVICE
from preflight.engine import run_program
from preflight.smoke import SCRATCH_ENV
from preflight.smoke.cluster import Cluster, ClusterError, cluster_of
from preflight.smoke.loopback import add_pod_address, bring_up_loopback
from preflight.smoke.report import Report
from preflight.smoke.sandbox import MS_NODEV, MS_NOSUID, mount
from preflight.smoke.s3 import running_s3
from preflight.smoke.secret_values import SecretError
from preflight.smoke.serving import Serving
from preflight.smoke.steps import Site, backups, end_to_end
from preflight.stack_files import StackFileError

NAMESPACE_DOMAIN = "svc.cluster.local"


def hosts_files(cluster: Cluster, addresses: dict[str, str], namespace: str, directory: Path) -> dict[str, Path]:
    """Each pod's /etc/hosts: itself, and every Service by its short and qualified names at the
    address of the pod it selects (the smoke run's stand-in for cluster DNS)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost"]
    for name, spec in cluster.services.items():
        names = [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.{NAMESPACE_DOMAIN}"]
        lines.append(f"{addresses[cluster.backing(spec).name]}\t{' '.join(names)}")
    files = {}
    for workload, address in addresses.items():
        path = directory / f"hosts-{workload}"
        path.write_text("\n".join([*lines, f"{address}\t{workload}", ""]))
        files[workload] = path
    return files


def port_problems(cluster: Cluster) -> list[str]:
    """Pods share one network namespace here, so two may not listen on one port (in a cluster
    each has its own); and a Service's port must be its pod's port (there is no proxy to map one
    to the other). Both are refused rather than remapped: remapping would change what the pods
    are told and what their clients use, which is what the run is to prove."""
    problems, owners = [], {}
    for workload in cluster.serving():
        for port in workload.pod["containers"][0].get("ports", []):
            number = port["containerPort"]
            if number in owners:
                problems.append(f"{owners[number]} and {workload.name} both listen on {number}")
            owners[number] = workload.name
    for name, spec in cluster.services.items():
        backing = cluster.backing(spec)
        declared = {p.get("name"): p["containerPort"] for p in backing.pod["containers"][0].get("ports", [])}
        for port in spec["ports"]:
            target = port.get("targetPort", port["port"])
            if declared.get(target, target) != port["port"]:
                problems.append(f"Service {name} port {port['port']} targets {target} of {backing.name}")
    return problems


def smoke(args: argparse.Namespace, report: Report) -> None:
    try:
        plan = run_program(stack=args.stack, stack_file=args.stack_file)
    except ConfigError as error:
        for found in error.problems:
            report.line(False, "config", "settings", str(found))
        return
    except StackFileError as error:
        report.line(False, "config", "stack-file", str(error))
        return
    try:
        cluster = cluster_of(plan)
        problems = port_problems(cluster)
    except (ClusterError, SecretError) as error:
        report.line(False, "plan", "read", str(error))
        return
    for problem in problems:
        report.line(False, "network", "ports", problem)
    if problems:
        return
    namespace = plan.outputs.get("appNamespace", "default")
    workspace = private_scratch()
    addresses = {name: add_pod_address(index) for index, name in enumerate(cluster.workloads)}
    with running_s3(cluster.buckets) as endpoint:
        site = Site(cluster, workspace, hosts_files(cluster, addresses, namespace, workspace), addresses, endpoint)
        serving = Serving(report)
        try:
            if not (serving.start(cluster.serving(), cluster, workspace, site.hosts, addresses)
                    and serving.wait_until_probed()):
                report.skip("steps", "request", "the request and the backups need every workload started and probed")
                return
            postgres = serving.running[DATABASE_SERVICE].container
            ok, note = end_to_end(report, site, postgres)
            if ok:
                backups(report, site, postgres, note)
            serving.still_healthy()
        finally:
            serving.stop_all()


def private_scratch() -> Path:
    """A tmpfs on the scratch directory the launcher made, in the run's own mount namespace: whatever
    ends the run, none of its files stay. Not over /tmp, which may hold the project and its
    virtualenv (a CI checkout), and which the pods' root filesystems must still reach."""
    scratch = os.environ.get(SCRATCH_ENV)
    if not scratch or not os.path.isdir(scratch):
        raise SystemExit(f"smoke: {SCRATCH_ENV} must name the launcher's scratch directory")
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    tempfile.tempdir = scratch  # every temporary file of the run lands on it
    return Path(tempfile.mkdtemp(prefix="smoke-", dir=scratch))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight.smoke.run")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack")
    which.add_argument("--stack-file", type=Path)
    args = parser.parse_args(argv)
    if os.getpid() != 1:
        parser.error("run it as python -m preflight.smoke, which gives it namespaces of its own")
    bring_up_loopback()
    report = Report()
    smoke(args, report)
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
