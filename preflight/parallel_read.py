"""Reading many manifest files on every core: the files are split into contiguous runs, and each run
but the first is read and parsed by a forked worker while this process reads the first.

Parsing YAML is most of a large scan, and it is a pure function of each file, so it is what is
spread. Everything that depends on order (unique names, the scan's value budget, errors and
locations in file order) stays with the caller, which gets the parsed files back in the order
given: the outcome is the one reading them one after another gives (a parity test holds it so).

A worker that cannot be started, dies, or sends back anything but its whole answer costs nothing
but time: its files are read here instead. Nothing is skipped, so the gate still sees every file.
"""
from __future__ import annotations

import os
import pickle
import sys
from typing import Callable, Iterator, Sequence, TypeVar

Item = TypeVar("Item")
Parsed = TypeVar("Parsed")

# Below this many files per worker, starting one costs more than it saves.
MIN_FILES_PER_WORKER = 64
# Set to 1 to read every file in this process.
WORKERS_VARIABLE = "PREFLIGHT_WORKERS"


def workers_wanted() -> int:
    """One worker per core this process may run on, or PREFLIGHT_WORKERS (1 reads in-process)."""
    given = os.environ.get(WORKERS_VARIABLE, "").strip()
    if given.isdigit() and int(given) >= 1:
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_all(items: Sequence[Item], parse: Callable[[Item], Parsed], workers: int | None = None) -> Iterator[Parsed]:
    """`parse(item)` for every item, in order, the later runs parsed by forked workers."""
    workers = min(workers or workers_wanted(), len(items) // MIN_FILES_PER_WORKER)
    if workers < 2 or not hasattr(os, "fork"):
        yield from map(parse, items)
        return
    size = -(-len(items) // workers)
    runs = [items[start:start + size] for start in range(0, len(items), size)]
    started = [_start(run, parse) for run in runs[1:]]
    yield from map(parse, runs[0])
    for run, worker in zip(runs[1:], started):
        yield from _collect(worker, run, parse)


def _start(run: Sequence[Item], parse: Callable[[Item], Parsed]) -> tuple[int, int] | None:
    """(pid, read end of its pipe) of a worker parsing `run`; None when none could be started."""
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
    if pid == 0:  # the worker: parse, send everything in one pickle, and leave without cleanup
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump([parse(item) for item in run], out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(worker: tuple[int, int] | None, run: Sequence[Item], parse: Callable[[Item], Parsed]) -> list[Parsed]:
    """What the worker parsed, or the run parsed here if the worker did not deliver all of it."""
    if worker is None:
        return [parse(item) for item in run]
    pid, read_end = worker
    parsed = None
    try:
        with os.fdopen(read_end, "rb") as answer:
            parsed = pickle.load(answer)
    except Exception:  # a worker that died mid-answer: read its files here
        parsed = None
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0 or not isinstance(parsed, list) or len(parsed) != len(run):
        return [parse(item) for item in run]
    return parsed
