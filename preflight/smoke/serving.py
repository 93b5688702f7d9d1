"""The plan's Deployments and StatefulSets, one pod each, started together as a cluster starts
them, probed as declared, and stopped as a cluster stops them."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from preflight.smoke import pods
from preflight.smoke.cluster import Cluster, Workload
from preflight.smoke.prober import Prober
from preflight.smoke.report import Report, log_tail

# However long the probes would allow in a cluster (postgres: ten minutes of startup), the smoke
# run waits at most this long for every probe to have its first answer.
READY_LIMIT_S = 75
STOP_LIMIT_S = 20


@dataclass
class Serving:
    report: Report
    running: dict[str, Prober] = field(default_factory=dict)
    exited: set[str] = field(default_factory=set)

    def start(self, workloads: list[Workload], cluster: Cluster, workspace: Path, hosts: dict[str, Path],
              addresses: dict[str, str]) -> bool:
        ok = True
        for workload in workloads:
            try:
                container = pods.start(workload, cluster, workspace / workload.name, hosts[workload.name],
                                       addresses[workload.name])
            except (LookupError, ValueError, OSError) as error:  # a pod the run cannot make, with the reason
                ok = self.report.line(False, workload.name, "start", f"{workload.kind}: {error}")
                continue
            prober = Prober(container)
            self.running[workload.name] = prober
            prober.start()
            self.report.line(True, workload.name, "start", f"{workload.kind} at {container.address}: {container.identity}")
        return ok

    def _crashed(self, name: str, prober: Prober) -> bool:
        code = prober.container.process.poll()
        if code is None or name in self.exited:
            return False
        self.exited.add(name)
        prober.stop()
        self.report.line(False, name, "running", f"the container exited with {code}")
        self.report.note(log_tail(prober.container.log))
        return True

    def wait_until_probed(self) -> bool:
        """Until every probe of every container has its first verdict; one line per probe."""
        deadline = time.monotonic() + READY_LIMIT_S
        reported: set[tuple[str, str]] = set()
        ok = True
        while True:
            pending = False
            for name, prober in self.running.items():
                if self._crashed(name, prober):
                    ok = False
                    continue
                if name in self.exited:
                    continue
                for kind, state in prober.states.items():
                    if (name, kind) in reported:
                        continue
                    if not state.decided:
                        pending = True
                        continue
                    reported.add((name, kind))
                    if state.failed is None:
                        self.report.line(True, name, kind, f"{prober.description(kind)}: {state.last} at attempt "
                                         f"{state.attempts}, {state.succeeded_at:.1f} s after start")
                    else:
                        ok = self.report.line(False, name, kind, f"{prober.description(kind)}: {state.failed}")
                        self.report.note(log_tail(prober.container.log))
            if not pending:
                return ok
            if not ok:
                self._skip_undecided(reported, "not judged: the run stops at the first failure")
                return False
            if time.monotonic() > deadline:
                for name, prober in self.running.items():
                    for kind, state in prober.states.items():
                        if (name, kind) not in reported and name not in self.exited:
                            self.report.line(False, name, kind, f"{prober.description(kind)}: no success within the "
                                             f"smoke run's {READY_LIMIT_S} s ({state.attempts} attempts, last: {state.last or 'none'})")
                return False
            time.sleep(0.2)

    def _skip_undecided(self, reported: set[tuple[str, str]], why: str) -> None:
        for name, prober in self.running.items():
            for kind in prober.states:
                if (name, kind) not in reported and name not in self.exited:
                    self.report.skip(name, kind, f"{prober.description(kind)}: {why}")

    def still_healthy(self) -> bool:
        """After the steps: no container exited, no probe failed since it first succeeded."""
        ok = True
        for name, prober in self.running.items():
            if self._crashed(name, prober):
                ok = False
                continue
            for kind, state in prober.states.items():
                if state.failed is not None and state.succeeded_at is not None:
                    ok = self.report.line(False, name, kind, f"failed after it had succeeded: {state.failed}")
        return ok

    def stop_all(self) -> None:
        """Every container gets its stop signal at once, as when pods are deleted; SIGKILL after its grace period."""
        for prober in self.running.values():
            prober.stop()
            pods.request_stop(prober.container)
        for name, prober in self.running.items():
            if name in self.exited:
                continue
            code, seconds = pods.wait_stopped(prober.container, STOP_LIMIT_S)
            signal_name = prober.container.stop_signal.name
            if code == 0:
                self.report.line(True, name, "stop", f"{signal_name}: exit 0 in {seconds:.1f} s")
            else:
                self.report.line(False, name, "stop", f"{signal_name}: {'killed after the grace period' if code is None else f'exit {code}'}")
                self.report.note(log_tail(prober.container.log))
