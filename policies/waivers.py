"""Waivers: accepted risks, one file for the whole platform (policies/waivers.yaml).

A waiver names one rule, the resources it covers, optionally the stacks it is limited to, why, who
owns it, a ticket, and the day it expires. Resources are globs: `urn:pulumi:...` globs match the
URN of any resource; `namespace/name` globs match a Kubernetes object by its metadata (an object
without a namespace has namespace ""). A finding about the stack as a whole has the stack's URN.

The same waivers are applied by the pack in a real preview (policies.rule), by preflight to every
report (preflight.waivers), and as Kyverno PolicyExceptions (components.admission). One clock,
`today()`, decides what has expired; tests replace it to move time.

The file is read through preflight's bounded loader: a pull request can change it, so no shape of
it can exhaust the runner. Every problem is reported at once, each with its line.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import yaml

from preflight.safe_load import Limits, LoadError, load_yaml, read_text

REPOSITORY = Path(__file__).resolve().parent.parent
WAIVERS_FILE = REPOSITORY / "policies" / "waivers.yaml"
# The file is small and reviewed; these limits refuse anything a reviewer could not read.
LIMITS = Limits(max_file_bytes=1024 * 1024, max_documents=1, max_aliases=0, max_depth=10, max_nodes=100_000,
                raisable=False)
REQUIRED = ("rule", "resources", "reason", "owner", "expires")
OPTIONAL = ("stacks", "ticket")
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# namespace/name, each part a glob of the characters Kubernetes names use.
KUBERNETES_GLOB = re.compile(r"[a-z0-9*?.\-\[\]]*/[a-z0-9*?.\-\[\]]+")


def today() -> date:
    """The waivers' clock (UTC). Tests replace this function; nothing else moves time."""
    return datetime.now(timezone.utc).date()


class Problem(NamedTuple):
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class WaiverError(ValueError):
    """The waiver file cannot be used: every problem, each with file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the waiver file:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Subject:
    """What a finding is about, as waivers match it."""

    urn: str
    kubernetes_name: str | None = None  # "namespace/name" of a Kubernetes object


@dataclass(frozen=True)
class Waiver:
    rule: str
    resources: tuple[str, ...]
    stacks: tuple[str, ...]  # empty: every stack
    reason: str
    owner: str
    ticket: str
    expires: date
    path: str
    line: int

    @property
    def source(self) -> str:
        """How reports name it: "policies/waivers.yaml:12"."""
        return f"{self.path}:{self.line}"

    @property
    def key(self) -> str:
        """A name that stays the same when entries are reordered (PolicyException names use it)."""
        text = "|".join((self.rule, *self.resources, "", *self.stacks))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def expired(self, on: date) -> bool:
        """In force through its expiry day; from the next day on it waives nothing."""
        return on > self.expires

    def applies_to(self, stack: str | None) -> bool:
        """A waiver limited to stacks applies only to runs of one of them (a manifest scan has none)."""
        return not self.stacks or stack in self.stacks

    def covers(self, rule: str, stack: str | None, subject: Subject) -> bool:
        return rule == self.rule and self.applies_to(stack) and any(_matches(g, subject) for g in self.resources)

    def kubernetes_globs(self) -> tuple[tuple[str, str], ...]:
        """(namespace glob, name glob) of each resources entry that names Kubernetes objects."""
        return tuple(tuple(g.split("/", 1)) for g in self.resources if not g.startswith("urn:"))


def _matches(glob: str, subject: Subject) -> bool:
    if glob.startswith("urn:"):
        return fnmatchcase(subject.urn, glob)
    return subject.kubernetes_name is not None and fnmatchcase(subject.kubernetes_name, glob)


@dataclass(frozen=True)
class Waivers:
    entries: tuple[Waiver, ...] = ()
    source: str = "policies/waivers.yaml"

    def for_stack(self, stack: str | None) -> tuple[Waiver, ...]:
        return tuple(w for w in self.entries if w.applies_to(stack))

    def waiving(self, rule: str, stack: str | None, subject: Subject, on: date) -> Waiver | None:
        """The first waiver in force that covers this finding; an expired one waives nothing."""
        return next((w for w in self.entries if not w.expired(on) and w.covers(rule, stack, subject)), None)

    def beyond(self, stack: str | None, max_days: int, on: date) -> list[Problem]:
        """A problem for each waiver of this stack that expires further ahead than `max_days`."""
        return [Problem(w.path, w.line, f"the waiver of {w.rule} expires {w.expires.isoformat()}, "
                        f"{(w.expires - on).days} days from {on.isoformat()}; this environment allows at most "
                        f"{max_days} days")
                for w in self.for_stack(stack) if (w.expires - on).days > max_days]


def subject(urn: str, type_token: str, props: Any) -> Subject:
    """The subject of a finding on a resource; `props` may be the SDK's proxy of unknown values,
    so a name unknown at preview gives no Kubernetes name (only URN globs can match then)."""
    if not type_token.startswith("kubernetes:"):
        return Subject(urn)
    try:
        metadata = props.get("metadata") if hasattr(props, "get") else None
        namespace = metadata.get("namespace") if hasattr(metadata, "get") else None
        name = metadata.get("name") if hasattr(metadata, "get") else None
    except Exception:  # an unknown value at preview raises on access: no name to match
        return Subject(urn)
    if not isinstance(name, str) or not (namespace is None or isinstance(namespace, str)):
        return Subject(urn)
    return Subject(urn, f"{namespace or ''}/{name}")


def stack_urn(resource_urn: str) -> str:
    """The URN of the stack a resource URN belongs to: what a finding about the whole stack is on."""
    stack, project = _stack_and_project(resource_urn)
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


def stack_of(urn: str) -> str | None:
    return _stack_and_project(urn)[0] if urn.startswith("urn:pulumi:") and urn.count("::") >= 3 else None


def _stack_and_project(urn: str) -> tuple[str, str]:
    head, project, *_ = urn.split("::")
    return head[len("urn:pulumi:"):], project


def load_shipped() -> Waivers:
    """The platform's waiver file (WAIVERS_FILE), judged against the pack's rules."""
    from policies.pack import RULES  # not at the top: the pack's rules import this module

    return load(WAIVERS_FILE, known_rules=[r.name for r in RULES])


def load(path: Path, *, known_rules: Iterable[str]) -> Waivers:
    """The waiver file; raises WaiverError listing every problem (a file that cannot be read is one)."""
    shown = _shown(path)
    try:
        document = load_yaml(path, LIMITS, shown)
        lines = _entry_lines(read_text(path, LIMITS, shown))
    except LoadError as err:
        raise WaiverError([Problem(err.path, err.line, err.message)]) from None
    if document is None:
        return Waivers((), shown)
    if not isinstance(document, list):
        raise WaiverError([Problem(shown, 1, f"expected a list of waivers, got {_kind(document)}")])
    known = frozenset(known_rules)
    problems: list[Problem] = []
    entries = []
    for index, entry in enumerate(document):
        where = (shown, lines[index] if index < len(lines) else 1)
        waiver, found = _entry(entry, where, known)
        problems += found
        if waiver is not None:
            entries.append(waiver)
    if problems:
        raise WaiverError(problems)
    return Waivers(tuple(entries), shown)


def _entry(entry: Any, where: tuple[str, int], known: frozenset[str]) -> tuple[Waiver | None, list[Problem]]:
    if not isinstance(entry, dict):
        return None, [Problem(*where, f"a waiver is a mapping of {', '.join(REQUIRED)}, got {_kind(entry)}")]
    said = [f"unknown key {str(k)[:40]!r} (allowed: {', '.join(REQUIRED + OPTIONAL)})"
            for k in entry if k not in REQUIRED + OPTIONAL]
    said += [f"no {k}: every waiver says {_WHY[k]}" for k in REQUIRED if k not in entry]
    rule = entry.get("rule")
    if "rule" in entry and (not isinstance(rule, str) or rule not in known):
        said.append(f"rule {str(rule)[:80]!r} is not a rule of the pack")
    for key in ("reason", "owner", "ticket"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            said.append(f"{key} must be non-empty text")
    resources = _strings(entry, "resources", said)
    for glob in resources:
        if not glob.startswith("urn:") and not KUBERNETES_GLOB.fullmatch(glob):
            said.append(f"resource {glob[:80]!r} is neither a URN glob (urn:pulumi:...) nor a Kubernetes "
                        "namespace/name glob")
    stacks = _strings(entry, "stacks", said)
    said += [f"stack {s[:80]!r} is not a stack name" for s in stacks if not STACK_NAME.fullmatch(s)]
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            pass
    if "expires" in entry and type(expires) is not date:  # a datetime is not a day
        said.append(f"expires must be a date (YYYY-MM-DD), got {str(entry['expires'])[:40]!r}")
    if said:
        return None, [Problem(*where, message) for message in said]
    return Waiver(rule, resources, stacks, entry["reason"].strip(), entry["owner"].strip(),
                  entry.get("ticket", "").strip(), expires, *where), []


_WHY = {"rule": "which rule it waives", "resources": "which resources it covers", "reason": "why the risk is accepted",
        "owner": "who owns the risk", "expires": "when it ends (a date)"}


def _strings(entry: dict, key: str, said: list[str]) -> tuple[str, ...]:
    if key not in entry:
        return ()
    value = entry[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        said.append(f"{key} must be a non-empty list of text")
        return ()
    return tuple(value)


def _entry_lines(text: str) -> list[int]:
    """The line each entry of the top-level list starts on (the text was already read within limits)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return [item.start_mark.line + 1 for item in node.value] if isinstance(node, yaml.SequenceNode) else []


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPOSITORY).as_posix()
    except ValueError:
        return path.as_posix()
