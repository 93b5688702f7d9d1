"""`make bench`: how fast and how large preflight runs on this machine, against its targets and
against checkov on the same corpus, all in one run (a measurement, not a test).

Each `check`, `scan` and checkov run is its own process, timed end to end (the best of REPEAT runs,
for every tool alike), with the peak resident memory of its process tree from the kernel's rusage.
Pack evaluation over 10,000 resources runs in-process. The reference path (PREFLIGHT_ENGINE=servicer)
is measured beside the direct path, so the speed-up is a ratio from the same run too. The project's
modules are compiled to bytecode first, as an installed package's are (pip compiles them; a machine
with PYTHONDONTWRITEBYTECODE set would otherwise compile them again in every run measured).

    python -m preflight.bench [--checkov PATH]     (make bench installs checkov into build/bench-venv)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from preflight.evaluation import ENGINE_VARIABLE
from preflight.stack_files import PROJECT_ROOT

REPEAT = 3
SERVICE_COUNTS = (10, 50, 100)
SCAN_MANIFESTS = 1000
MEMORY_MANIFESTS = 5000
PACK_RESOURCES = 10_000
# The targets of the speed work: scan rate, scan vs checkov, pack rate, check time, scan memory.
TARGET_SCAN_RATE = 2000
TARGET_VS_CHECKOV = 25
TARGET_PACK_RATE = 10_000
TARGET_CHECK_SECONDS = 2.5
TARGET_PEAK_MIB = 200


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float


def timed(argv: list[str], engine: str = "direct", ok: tuple[int, ...] = (0, 1)) -> Measured:
    """The best of REPEAT runs; exit statuses outside `ok` (1 = violations found: a completed run) fail."""
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={**os.environ, ENGINE_VARIABLE: engine})
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        exit_code = os.waitstatus_to_exitcode(status)
        if exit_code not in ok:
            raise RuntimeError(f"{' '.join(argv)} exited {exit_code}: {process.stderr.read().decode()[-2000:]}")
        runs.append(Measured(elapsed, usage.ru_maxrss / 1024))
    return min(runs, key=lambda m: m.seconds)


def compile_project() -> None:
    import compileall

    for package in ("preflight", "policies", "components"):
        compileall.compile_dir(PROJECT_ROOT / package, quiet=1)


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


def corpus(directory: Path, count: int) -> Path:
    """`count` manifests: both stacks' exported manifests, then varied copies (preflight.bench_corpus)."""
    from preflight import bench_corpus

    exported = []
    for stack in ("dev", "prod"):
        out = directory / f"exported-{stack}"
        if not out.exists():
            status = subprocess.run(preflight("check", "--stack", stack, "--manifests-out", str(out)),
                                    cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL).returncode
            if status not in (0, 1):
                raise RuntimeError(f"check --stack {stack} --manifests-out exited {status}")
        exported.append(out)
    target = directory / f"corpus-{count}"
    bench_corpus.build(target, count, bench_corpus.exported(exported))
    return target


def pack_seconds(count: int, engine: str) -> float:
    """Seconds to evaluate the pack (prod config) over `count` synthetic resources, in-process."""
    from policies.bench import synthetic_plan
    from preflight.evaluation import evaluate, load_pack_config

    plan = synthetic_plan(count)
    config = load_pack_config(PROJECT_ROOT / "policies" / "config" / "prod.json")
    start = time.perf_counter()
    evaluate(plan, config, engine=engine)
    return time.perf_counter() - start


def checkov(executable: Path | None, directory: Path) -> Measured | str:
    """checkov over the corpus, or why it could not be measured."""
    if executable is None or not executable.exists():
        return "unavailable (not installed; `make bench` installs it)"
    argv = [str(executable), "-d", str(directory), "--framework", "kubernetes", "--quiet", "--compact",
            "--skip-download", "-o", "json"]
    try:
        return timed(argv)
    except (OSError, RuntimeError) as err:
        return f"unavailable ({str(err).splitlines()[0][:120]})"


@dataclass(frozen=True)
class Row:
    measure: str
    result: str
    target: str = ""
    met: bool | None = None


def verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "short")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", type=Path, help="the checkov executable (default: build/bench-venv/bin/checkov)",
                        default=PROJECT_ROOT / "build" / "bench-venv" / "bin" / "checkov")
    args = parser.parse_args(argv)
    compile_project()
    rows: list[Row] = []

    for stack in ("dev", "prod"):
        fast = timed(preflight("check", "--stack", stack))
        reference = timed(preflight("check", "--stack", stack), engine="servicer")
        rows.append(Row(f"check --stack {stack}", f"{fast.seconds:.2f} s, peak {fast.peak_mib:.0f} MiB "
                        f"(servicer path {reference.seconds:.2f} s: {reference.seconds / fast.seconds:.1f}x)",
                        f"<= {TARGET_CHECK_SECONDS} s" if stack == "dev" else "",
                        fast.seconds <= TARGET_CHECK_SECONDS if stack == "dev" else None))
    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        for count in SERVICE_COUNTS:
            m = timed(preflight("check", "--stack-file", str(services_stack(Path(tmp), count))))
            growth = f", +{(m.seconds - previous[1]) / (count - previous[0]) * 1000:.0f} ms per added service" if previous else ""
            rows.append(Row(f"check with {count} services", f"{m.seconds:.2f} s, peak {m.peak_mib:.0f} MiB{growth}"))
            previous = (count, m.seconds)

        one, small, large = (corpus(Path(tmp), n) for n in (1, SCAN_MANIFESTS, MEMORY_MANIFESTS))
        fixed = timed(preflight("scan", str(one)))
        rows.append(Row("scan 1 manifest (start-up, imports, exit)", f"{fixed.seconds:.2f} s"))
        scan = timed(preflight("scan", str(small)))
        reference = timed(preflight("scan", str(small)), engine="servicer")
        rate = SCAN_MANIFESTS / scan.seconds
        rows.append(Row(f"scan {SCAN_MANIFESTS} manifests (end to end)",
                        f"{scan.seconds:.2f} s, {rate:.0f} manifests/s ({(SCAN_MANIFESTS - 1) / (scan.seconds - fixed.seconds):.0f}"
                        f"/s past start-up), peak {scan.peak_mib:.0f} MiB (servicer path {reference.seconds:.2f} s: "
                        f"{reference.seconds / scan.seconds:.1f}x)", f">= {TARGET_SCAN_RATE} manifests/s",
                        rate >= TARGET_SCAN_RATE))
        theirs = checkov(args.checkov, small)
        if isinstance(theirs, Measured):
            ratio = theirs.seconds / scan.seconds
            rows.append(Row(f"checkov -d DIR --framework kubernetes, same {SCAN_MANIFESTS}",
                            f"{theirs.seconds:.2f} s, peak {theirs.peak_mib:.0f} MiB: scan is {ratio:.1f}x faster",
                            f">= {TARGET_VS_CHECKOV}x", ratio >= TARGET_VS_CHECKOV))
        else:
            rows.append(Row(f"checkov -d DIR --framework kubernetes, same {SCAN_MANIFESTS}", theirs,
                            f">= {TARGET_VS_CHECKOV}x", False))
        memory = timed(preflight("scan", str(large)))
        rows.append(Row(f"scan {MEMORY_MANIFESTS} manifests", f"{memory.seconds:.2f} s, "
                        f"{MEMORY_MANIFESTS / memory.seconds:.0f} manifests/s, peak {memory.peak_mib:.0f} MiB",
                        f"<= {TARGET_PEAK_MIB} MiB", memory.peak_mib <= TARGET_PEAK_MIB))

    seconds, reference_seconds = pack_seconds(PACK_RESOURCES, "direct"), pack_seconds(PACK_RESOURCES, "servicer")
    pack_rate = PACK_RESOURCES / seconds
    rows.append(Row(f"pack evaluation over {PACK_RESOURCES} resources",
                    f"{seconds:.2f} s, {pack_rate:.0f} resources/s (servicer path {reference_seconds:.2f} s: "
                    f"{reference_seconds / seconds:.1f}x)", f">= {TARGET_PACK_RATE} resources/s",
                    pack_rate >= TARGET_PACK_RATE))

    widths = [max(len(getattr(r, f)) for r in rows + [Row("measure", "result", "target")]) for f in ("measure", "result", "target")]
    print(f"{'measure'.ljust(widths[0])}  {'result'.ljust(widths[1])}  {'target'.ljust(widths[2])}")
    for row in rows:
        print(f"{row.measure.ljust(widths[0])}  {row.result.ljust(widths[1])}  {row.target.ljust(widths[2])}  "
              f"{verdict(row.met)}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
