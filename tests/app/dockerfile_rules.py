"""What an app image's Dockerfile must do, as a checker that lists every problem it finds.

Multi-stage; every base image pinned as `image:tag@sha256:<64 hex>`; the final stage runs as a
numeric non-root USER, declares its HEALTHCHECK (an exec-form command, or an explicit `NONE` for
a batch job that Kubernetes judges by its exit code), starts in exec form (no shell needed), and
neither compiles nor installs build tools.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

PINNED_IMAGE = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
NUMERIC_NON_ROOT_USER = re.compile(r"^(?!0(:|$))\d+(:\d+)?$")
# Compilers, package builders and language package managers: build-stage work only.
BUILD_COMMANDS = re.compile(
    r"(^|[\s;&|(])(pip3?|npm|npx|yarn|pnpm|gcc|g\+\+|cc|clang|make|cmake|go|cargo|rustc|mvn|gradle|javac)(\s|$)"
)
BUILD_PACKAGES = re.compile(r"(^|\s)(build-essential|gcc|g\+\+|make|cmake|git|[a-z0-9.+-]+-dev(el)?)(\s|$|=)")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args_of(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, args = full.partition(" ")
            result.append((keyword.upper(), args.strip()))
    return result


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            words = [word for word in args.split() if not word.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            found.append(Stage(image=words[0] if words else "", name=name))
        elif found:
            found[-1].instructions.append((keyword, args))
    return found


def _exec_form(args: str) -> bool:
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return False
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _final_stage_problems(final: Stage) -> list[str]:
    problems = []
    users = final.args_of("USER")
    if not users:
        problems.append("final stage has no USER (it would run as root)")
    elif not NUMERIC_NON_ROOT_USER.match(users[-1]):
        problems.append(f"final USER {users[-1]!r} is not a numeric non-root uid[:gid]")

    healthchecks = final.args_of("HEALTHCHECK")
    if not healthchecks:
        problems.append("final stage has no HEALTHCHECK")
    else:
        command = re.sub(r"^(--\S+\s+)*", "", healthchecks[-1])
        if command != "NONE" and (not command.startswith("CMD ") or not _exec_form(command[4:])):
            problems.append("HEALTHCHECK must be `CMD [...]` in exec form (no shell in the image) or NONE")

    starts = final.args_of("ENTRYPOINT") + final.args_of("CMD")
    if not starts:
        problems.append("final stage sets no ENTRYPOINT or CMD")
    problems += [f"start command {args!r} is not in exec form" for args in starts if not _exec_form(args)]

    for run in final.args_of("RUN"):
        if BUILD_COMMANDS.search(run) or BUILD_PACKAGES.search(run):
            problems.append(f"final stage runs build tooling: RUN {run}")
    return problems


def dockerfile_problems(text: str) -> list[str]:
    found = stages(text)
    if len(found) < 2:
        return ["not a multi-stage build (build tools must stay in a build stage)"]
    problems = []
    earlier_names: set[str] = set()
    for stage in found:
        if stage.image not in earlier_names and not PINNED_IMAGE.match(stage.image):
            problems.append(f"base image {stage.image!r} is not pinned as image:tag@sha256:<64 hex>")
        if stage.name:
            earlier_names.add(stage.name)
    return problems + _final_stage_problems(found[-1])
