"""The kubelet's probe workers for one running container, with the spec's timing.

Each declared probe has a worker that ticks every periodSeconds from the container's start and
probes once initialDelaySeconds have passed; readiness and liveness wait for the startup probe to
succeed. A startup or liveness probe that fails failureThreshold times in a row would have the
container killed: here that is a failure. Readiness has no such end in a cluster (the pod just
stays out of its Service), so the smoke run fails it after failureThreshold failures in a row.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from preflight.smoke.pods import Container
from preflight.smoke.probes import KINDS, attempt, describe


@dataclass
class ProbeState:
    kind: str
    probe: dict
    attempts: int = 0
    failures_in_a_row: int = 0
    succeeded_at: float | None = None  # seconds after the container started
    failed: str | None = None
    last: str = ""

    @property
    def decided(self) -> bool:
        return self.succeeded_at is not None or self.failed is not None


@dataclass
class Prober:
    container: Container
    states: dict[str, ProbeState] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        for kind in KINDS:
            if kind in self.container.spec:
                self.states[kind] = ProbeState(kind, self.container.spec[kind])

    def description(self, kind: str) -> str:
        return describe(self.states[kind].probe)

    def start(self) -> None:
        for state in self.states.values():
            threading.Thread(target=self._work, args=(state,), daemon=True, name=f"{self.container.workload}-{state.kind}").start()

    def stop(self) -> None:
        self.stopping.set()

    def started(self) -> bool:
        startup = self.states.get("startupProbe")
        return startup is None or startup.succeeded_at is not None

    def _work(self, state: ProbeState) -> None:
        probe = state.probe
        period, delay = probe.get("periodSeconds", 10), probe.get("initialDelaySeconds", 0)
        threshold = probe.get("failureThreshold", 3)
        begun = self.container.started
        tick = 0
        while not self.stopping.is_set():
            self.stopping.wait(max(0.0, begun + tick * period - time.monotonic()))
            tick += 1
            if self.stopping.is_set() or time.monotonic() - begun < delay:
                continue
            if state.kind == "startupProbe" and state.succeeded_at is not None:
                return
            if state.kind != "startupProbe" and not self.started():
                continue
            ok, seen = attempt(self.container, probe)
            with self.lock:
                state.attempts += 1
                state.last = seen
                if ok:
                    state.failures_in_a_row = 0
                    if state.succeeded_at is None:
                        state.succeeded_at = time.monotonic() - begun
                else:
                    state.failures_in_a_row += 1
                    if state.failures_in_a_row >= threshold and state.failed is None:
                        state.failed = f"{threshold} failures in a row, last: {seen}"
            if state.failed is not None and state.kind != "readinessProbe":
                return
