"""What an image built from one of this repository's Dockerfiles starts with: the final stage's
ENTRYPOINT, CMD, USER, WORKDIR, ENV and STOPSIGNAL on top of what its base image sets."""
from __future__ import annotations

import json
import shlex
import signal
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

# What Docker gives an image that sets nothing.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class ImageConfig:
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: str = "0"
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH})
    stop_signal: signal.Signals = signal.SIGTERM


class DockerfileError(ValueError):
    pass


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: continuation lines joined, comments dropped."""
    found, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        pending = ""
        found.append((keyword.upper(), args.strip()))
    return found


def final_stage(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The base image of the last stage and that stage's instructions."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            stages.append(([w for w in args.split() if not w.startswith("--")][0], []))
        elif stages:
            stages[-1][1].append((keyword, args))
    if not stages:
        raise DockerfileError("no FROM")
    return stages[-1]


def _exec_form(keyword: str, args: str) -> tuple[str, ...]:
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DockerfileError(f"{keyword} {args}: only the exec form (a JSON list) runs without a shell")
    return tuple(value)


def _env_pairs(args: str) -> dict[str, str]:
    words = shlex.split(args)
    if words and "=" not in words[0]:  # the legacy form: ENV KEY value with spaces
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def apply(base: ImageConfig, stage: list[tuple[str, str]]) -> ImageConfig:
    """`base` with one stage's instructions applied, as `docker build` applies them."""
    config = replace(base, env=dict(base.env))
    for keyword, args in stage:
        if keyword == "ENV":
            config.env.update(_env_pairs(args))
        elif keyword == "WORKDIR":
            config = replace(config, workdir=str(PurePosixPath(config.workdir, args)))
        elif keyword == "USER":
            config = replace(config, user=args)
        elif keyword == "ENTRYPOINT":
            # A new ENTRYPOINT drops the CMD inherited from the base image.
            config = replace(config, entrypoint=_exec_form(keyword, args), cmd=())
        elif keyword == "CMD":
            config = replace(config, cmd=_exec_form(keyword, args))
        elif keyword == "STOPSIGNAL":
            config = replace(config, stop_signal=signal.Signals[args if args.startswith("SIG") else f"SIG{args}"])
    return config
