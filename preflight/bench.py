"""`make bench`: how fast and how large preflight runs on this machine (a measurement, not a test).

Each `check` and `scan` runs as its own process, timed end to end, with the child's peak resident
memory from the kernel's rusage. Pack evaluation over 10,000 resources runs in-process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from preflight.stack_files import PROJECT_ROOT

SERVICE_COUNTS = (10, 50, 100)
SCAN_MANIFESTS = 1000
PACK_RESOURCES = 10_000


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float


def timed(argv: list[str]) -> Measured:
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    exit_code = os.waitstatus_to_exitcode(status)
    if exit_code not in (0, 1):  # 1 = mandatory violations found, still a completed run
        raise RuntimeError(f"{' '.join(argv)} exited {exit_code}: {process.stderr.read().decode()[-2000:]}")
    return Measured(elapsed, usage.ru_maxrss / 1024)


def preflight(*args: str) -> list[str]:
    return [sys.executable, "-m", "preflight", *args]


def services_stack(directory: Path, count: int) -> Path:
    """Pulumi.dev.yaml with `count` services: a chain (each calls the next), the last one calls postgres."""
    doc = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    config = doc["config"]
    registry = f"{config['devsecops-platform:accountId']}.dkr.ecr.{config['aws:region']}.amazonaws.com"
    shipped = config["devsecops-platform:services"]
    services = {}
    for index in range(count):
        name = f"svc-{index:03d}"
        services[name] = {
            **shipped["backend"],
            "image": f"{registry}/devsecops-dev/{name}@sha256:{index:064x}",
            "calls": [f"svc-{index + 1:03d}" if index + 1 < count else "postgres"],
        }
    services["postgres"] = shipped["postgres"]
    config["devsecops-platform:services"] = services
    path = directory / f"services-{count}" / "Pulumi.dev.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def scan_corpus(directory: Path, count: int) -> Path:
    """`count` manifest files, copies of the dev stack's exported Kubernetes resources, renamed."""
    exported = directory / "exported"
    timed(preflight("check", "--stack", "dev", "--manifests-out", str(exported)))
    sources = [yaml.safe_load(p.read_text()) for p in sorted(exported.glob("*.yaml"))]
    corpus = directory / "corpus"
    corpus.mkdir()
    for index in range(count):
        document = sources[index % len(sources)]
        document = {**document, "metadata": {**document.get("metadata", {}), "name": f"{document.get('metadata', {}).get('name', 'm')}-{index}"}}
        (corpus / f"m{index:04d}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return corpus


def pack_throughput(count: int) -> float:
    """Seconds to evaluate the pack (prod config) over `count` synthetic resources, in-process."""
    from policies.bench import synthetic_plan
    from preflight.analyzer import evaluate, load_pack_config

    plan = synthetic_plan(count)
    config = load_pack_config(PROJECT_ROOT / "policies" / "config" / "prod.json")
    start = time.perf_counter()
    evaluate(plan, config)
    return time.perf_counter() - start


def main() -> int:
    rows: list[tuple[str, str]] = []
    for stack in ("dev", "prod"):
        m = timed(preflight("check", "--stack", stack))
        rows.append((f"check --stack {stack}", f"{m.seconds:.2f} s, peak {m.peak_mib:.0f} MiB"))
    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        for count in SERVICE_COUNTS:
            m = timed(preflight("check", "--stack-file", str(services_stack(Path(tmp), count))))
            growth = f", +{(m.seconds - previous[1]) / (count - previous[0]) * 1000:.0f} ms per added service" if previous else ""
            rows.append((f"check with {count} services", f"{m.seconds:.2f} s, peak {m.peak_mib:.0f} MiB{growth}"))
            previous = (count, m.seconds)
        corpus = scan_corpus(Path(tmp), SCAN_MANIFESTS)
        m = timed(preflight("scan", str(corpus)))
        rows.append((f"scan {SCAN_MANIFESTS} manifests (end to end)", f"{m.seconds:.2f} s, {SCAN_MANIFESTS / m.seconds:.0f} manifests/s, peak {m.peak_mib:.0f} MiB"))
    seconds = pack_throughput(PACK_RESOURCES)
    rows.append((f"pack evaluation over {PACK_RESOURCES} resources", f"{seconds:.2f} s, {PACK_RESOURCES / seconds:.0f} resources/s"))

    width = max(len(name) for name, _ in rows)
    print(f"{'measurement'.ljust(width)}  result")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
