"""A pure function over many items on every core: the items are split into contiguous runs, and each
run but the first goes to a forked worker while this process works through the first.

A large scan spends its time reading files (parsing YAML) and judging resources, each a pure
function of one file or one resource, so those are what is spread. Everything that depends on order
(unique names, the scan's value budget, errors, findings) stays with the caller, which gets the
answers back in the order of the items: the outcome is the one working through them one after
another gives (parity tests hold it so).

A worker that cannot be started, dies, stalls, or sends back anything but its whole answer costs
nothing but time: its items are worked through here instead. Nothing is skipped, so the gate sees
everything. A process that runs other threads (gRPC's, under the Pulumi runtime) is never forked:
a lock one of them holds would stay held in the worker for good.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from typing import Callable, Iterator, Sequence, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")

# Below this many items per worker, starting one costs more than it saves.
MIN_ITEMS_PER_WORKER = 64
# How long a worker may take past the time this process took for its own run (a multiple, and a floor
# in seconds), before it is stopped and its run done here.
STALL_FACTOR, STALL_FLOOR = 4, 30.0
# Set to 1 to work through every item in this process.
WORKERS_VARIABLE = "PREFLIGHT_WORKERS"


class WorkersError(ValueError):
    """PREFLIGHT_WORKERS is not a whole number of at least 1."""


def workers_wanted() -> int:
    """One worker per core this process may run on, or PREFLIGHT_WORKERS (1: all in-process)."""
    given = os.environ.get(WORKERS_VARIABLE)
    if given is not None:
        if not (given.strip().isdigit() and int(given) >= 1):
            raise WorkersError(f"{WORKERS_VARIABLE}={given[:40]!r}: give a whole number of processes, at least 1")
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def ordered_map(items: Sequence[Item], function: Callable[[Item], Answer], workers: int | None = None,
                weight: Callable[[Answer], int] | None = None, cap: int | None = None) -> Iterator[Answer]:
    """`function(item)` for every item, in order, the later runs worked through by forked workers.

    Given `weight` and `cap`, a worker holds answers weighing at most about `cap` (it stops past
    it, and the rest of its run is done here, one item at a time): what a worker holds stays bounded
    whatever the items, as it does when they are done one after another.
    """
    workers = min(workers or workers_wanted(), len(items) // MIN_ITEMS_PER_WORKER)
    if workers < 2 or not hasattr(os, "fork") or _threads() > 1:
        yield from map(function, items)
        return
    size = -(-len(items) // workers)
    runs = [items[start:start + size] for start in range(0, len(items), size)]
    pending = [_start(run, function, weight, cap) for run in runs[1:]]
    try:
        began = time.monotonic()
        yield from map(function, runs[0])
        deadline = time.monotonic() + max(STALL_FLOOR, STALL_FACTOR * (time.monotonic() - began))
        for index, run in enumerate(runs[1:]):
            worker, pending[index] = pending[index], None
            yield from _collect(worker, run, function, deadline)
    finally:  # the caller stopped early (an error): no worker is left waiting to be read
        for worker in pending:
            if worker is not None:
                _stop(worker)


def _start(run: Sequence[Item], function: Callable[[Item], Answer], weight: Callable[[Answer], int] | None,
           cap: int | None) -> tuple[int, int] | None:
    """(pid, read end of its pipe) of a worker doing `run`; None when none could be started."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the worker: answer every item, send the answers in one pickle, leave without cleanup
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(_answers(run, function, weight, cap), out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _answers(run: Sequence[Item], function: Callable[[Item], Answer], weight: Callable[[Answer], int] | None,
             cap: int | None) -> list[Answer]:
    """The answers for a prefix of `run`: all of it, or as far as `cap` allows."""
    answers, held = [], 0
    for item in run:
        answers.append(function(item))
        if weight is not None and cap is not None:
            held += weight(answers[-1])
            if held > cap:
                break
    return answers


def _collect(worker: tuple[int, int] | None, run: Sequence[Item], function: Callable[[Item], Answer],
             deadline: float) -> list[Answer]:
    """What the worker answered, or the run done here if the worker did not deliver all of it in time."""
    if worker is None:
        return [function(item) for item in run]
    answer = _read_until(worker[1], deadline)
    if answer is None:
        _stop(worker)
        return [function(item) for item in run]
    _, status = os.waitpid(worker[0], 0)
    os.close(worker[1])
    try:
        answers = pickle.loads(answer) if status == 0 else None
    except Exception:  # a worker that died mid-answer: its items are done here
        answers = None
    if not isinstance(answers, list) or len(answers) > len(run):
        return [function(item) for item in run]
    return answers + [function(item) for item in run[len(answers):]]  # what a worker stopped short of


def _read_until(read_end: int, deadline: float) -> bytes | None:
    """Everything the worker writes until it closes its end; None past the deadline."""
    chunks = []
    while True:  # ends at end of file or at the deadline
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
            return None
        chunk = os.read(read_end, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _threads() -> int:
    """Threads of this process, the runtime's own included (Python's count misses those)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _stop(worker: tuple[int, int]) -> None:
    pid, read_end = worker
    os.close(read_end)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
