"""The outputs given to verify, judged before any AWS call: which values the controls check, and
what is wrong with the outputs themselves.

With the stack's settings, the controls check what the settings say must exist; an output that
disagrees (a shorter repository list, another CI trust subject) is reported, and never narrows
what is checked. Without them, nothing says what must exist: the controls still read what the
outputs name, as evidence, but the run is an error, so an empty or partial file never passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .expected import BUCKET_KEYS, SETTLED, ExpectedStack
from .outputs import SHAPES, StackOutputs, clipped, shape_problem

NO_STACK = ("no stack settings given (--stack or --stack-file), so what must exist is unknown and the outputs "
            "cannot stand in for it: the verdict cannot be pass")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one output (`key`), or with the outputs as a whole (`key` empty)."""

    key: str
    message: str


@dataclass(frozen=True)
class Judgement:
    values: StackOutputs  # what the controls check
    problems: tuple[Problem, ...]


def against_stack(expected: ExpectedStack, given: StackOutputs) -> Judgement:
    keys, key_problems = _key_arns(expected, given.values)
    values = {**expected.settled, "kmsKeyArns": keys,
              **{output: keys[purpose] for output, purpose in expected.bucket_key_purposes.items()}}
    problems = [*_disagreements(expected, given.values), *key_problems]
    return Judgement(StackOutputs(values, given.source, given.origins), tuple(problems))


def without_stack(given: StackOutputs) -> Judgement:
    problems = [Problem("", NO_STACK)]
    usable = {}
    for key, value in given.values.items():
        problem = shape_problem(key, value)
        if problem:
            problems.append(Problem(key, problem))
        else:
            usable[key] = value
    missing = [key for key in SHAPES if key not in given.values]
    if missing:
        problems.append(Problem("", f"the outputs give no {', '.join(missing)}"))
    return Judgement(StackOutputs(usable, given.source, given.origins), tuple(problems))


def _disagreements(expected: ExpectedStack, given: dict[str, Any]) -> list[Problem]:
    problems = []
    for key in SETTLED:
        if key not in given:
            continue  # nothing claimed; the settings say what is checked
        want = expected.settled[key]
        problem = shape_problem(key, given[key])
        if problem:
            problems.append(Problem(key, f"{problem}; verify checks the settings' {clipped(want)}"))
        elif given[key] != want:
            problems.append(Problem(key, f"output {key!r} disagrees with the stack's settings "
                                         f"({_differences(given[key], want)}); verify checks the settings' value"))
    return problems


def _differences(given: Any, want: Any, shown: int = 4) -> str:
    """What differs, entry by entry for a mapping (a repository list, the CI trust), at most `shown` entries."""
    if not (isinstance(given, dict) and isinstance(want, dict)):
        return f"{clipped(given)} instead of {clipped(want)}"
    entries = [f"{name}: {clipped(given[name]) if name in given else 'missing'} instead of "
               f"{clipped(want[name]) if name in want else 'nothing'}"
               for name in sorted({*given, *want}) if given.get(name) != want.get(name)]
    more = f"; and {len(entries) - shown} more" if len(entries) > shown else ""
    return "; ".join(entries[:shown]) + more


def _key_arns(expected: ExpectedStack, given: dict[str, Any]) -> tuple[dict[str, str | None], list[Problem]]:
    """The key ARN of each purpose the stack creates, when the outputs give a key of its account and region.

    AWS assigns key ARNs, so only the outputs can name them; a key the stack does not create (in
    another account, or an alias) would make the encryption controls judge the wrong key.
    """
    region, account = expected.settled["region"], expected.settled["accountId"]
    key_arn = re.compile(rf"arn:aws[a-z-]*:kms:{re.escape(region)}:{re.escape(account)}:key/[A-Za-z0-9-]+")
    problems = []
    given_keys = given.get("kmsKeyArns", {})
    if shape_problem("kmsKeyArns", given_keys):
        problems.append(Problem("kmsKeyArns", shape_problem("kmsKeyArns", given_keys)))
        given_keys = {}
    keys: dict[str, str | None] = {}
    for purpose in expected.key_purposes:
        arn = given_keys.get(purpose)
        if arn is not None and not key_arn.fullmatch(arn):
            problems.append(Problem("kmsKeyArns", f"kmsKeyArns.{purpose} {clipped(arn)} is not a KMS key ARN "
                                                  f"of account {account} in {region}"))
            arn = None
        keys[purpose] = arn
    extra = sorted(set(given_keys) - set(expected.key_purposes))
    if extra:
        problems.append(Problem("kmsKeyArns", f"kmsKeyArns names keys the stack does not create: {clipped(extra)}"))
    for output in BUCKET_KEYS:
        purpose = expected.bucket_key_purposes[output]
        named, key = given.get(output), keys[purpose]
        if named is not None and key is not None and named != key:
            problems.append(Problem(output, f"output {output!r} is {clipped(named)}, not the stack's {purpose} key {key}"))
    return keys, problems
