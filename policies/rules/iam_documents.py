"""Reading IAM-style policy documents (IAM, KMS key, ECR repository, S3 bucket policies).

A document AWS would refuse (a statement that is not an object, a Condition block that is a list)
raises WrongTypeError: the rule cannot judge it, and says so, rather than reading past it.
"""
from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, Iterable

from policies.values import WrongTypeError, as_list


def statements(document: Any) -> list[Any]:
    if not document:
        return []
    found = as_list(document.get("Statement"))
    for i, statement in enumerate(found):
        if not isinstance(statement, Mapping):
            raise WrongTypeError(f"Statement[{i}]", statement, "an object")
    return found


def statement_id(statement: Any, index: int) -> str:
    """The statement's Sid, or its position when it has no Sid that is a string."""
    sid = statement.get("Sid")
    return sid if isinstance(sid, str) else str(index)


def allows(statement: Any) -> bool:
    return statement.get("Effect") == "Allow"


def actions(statement: Any) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def grants_action(statement: Any, action: str) -> bool:
    """Whether the statement's Action covers `action`: IAM matches actions case-insensitively, with
    '*' and '?' wildcards ('sts:*' and '*' grant AssumeRoleWithWebIdentity too)."""
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in actions(statement))


def principals(statement: Any, kind: str | None = None) -> list[str]:
    """Every principal value (of one kind, e.g. "Federated", if given), flattened; "*" stands for
    everyone, and a bare "*" principal is of every kind."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    if not isinstance(principal, Mapping):
        raise WrongTypeError("Principal", principal, "'*' or an object")
    if kind is not None:
        return [p for p in as_list(principal.get(kind)) if isinstance(p, str)]
    found: list[str] = []
    for value in principal.values():
        found += [p for p in as_list(value) if isinstance(p, str)]
    return found


def has_wildcard_principal(statement: Any) -> bool:
    """Everyone is a principal: '*' in Principal, or a NotPrincipal (everyone but those named)."""
    return "*" in principals(statement) or statement.get("NotPrincipal") is not None


def conditions(statement: Any) -> dict[str, dict[str, list[Any]]]:
    """Condition operator -> key -> values (values always a list)."""
    out: dict[str, dict[str, list[Any]]] = {}
    block = statement.get("Condition") or {}
    if not isinstance(block, Mapping):
        raise WrongTypeError("Condition", block, "an object")
    for operator, entries in block.items():
        entries = entries or {}
        if not isinstance(entries, Mapping):
            raise WrongTypeError(f"Condition.{operator}", entries, "an object")
        out[operator] = {key: as_list(value) for key, value in entries.items()}
    return out


def _binding(operator: str) -> bool:
    """Null only tests whether a key is present; ...IfExists and ForAllValues: operators hold when
    the key is absent from the request. None of them narrows anything by itself."""
    return operator != "Null" and not operator.endswith("IfExists") and not operator.startswith("ForAllValues:")


def _matches_anything(operator: str, values: list[Any]) -> bool:
    """A (String|Arn)Like operator whose every pattern is only wildcards matches every value."""
    like = "Like" in operator and "NotLike" not in operator
    return like and all(isinstance(v, str) and "*" in v and set(v) <= {"*", "?"} for v in values)


def has_constraining_condition(statement: Any) -> bool:
    """Whether some condition narrows who or what the statement applies to."""
    return any(_binding(operator) and not _matches_anything(operator, values)
               for operator, entries in conditions(statement).items() for values in entries.values())


def open_to_everyone(document: Any) -> list[str]:
    """Sids (or positions) of Allow statements whose principal is everyone and no condition narrows it."""
    return [statement_id(statement, i) for i, statement in enumerate(statements(document))
            if allows(statement) and has_wildcard_principal(statement) and not has_constraining_condition(statement)]


def condition_values(statement: Any, key_suffix: str, operators: Iterable[str]) -> list[Any] | None:
    """Values a condition key ending in `key_suffix` is held to under one of `operators`."""
    for operator, entries in conditions(statement).items():
        if operator not in operators:
            continue
        for key, values in entries.items():
            if key.endswith(key_suffix):
                return values
    return None
