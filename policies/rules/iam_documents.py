"""Reading IAM-style policy documents (IAM, KMS key, ECR repository, S3 bucket policies)."""
from __future__ import annotations

from typing import Any, Iterable

from policies.values import as_list


def statements(document: Any) -> list[Any]:
    if not document:
        return []
    return as_list(document.get("Statement"))


def allows(statement: Any) -> bool:
    return statement.get("Effect") == "Allow"


def actions(statement: Any) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def principals(statement: Any) -> list[str]:
    """Every principal value, flattened; "*" stands for everyone."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    found: list[str] = []
    for value in principal.values():
        found += [p for p in as_list(value) if isinstance(p, str)]
    return found


def has_wildcard_principal(statement: Any) -> bool:
    return "*" in principals(statement)


def conditions(statement: Any) -> dict[str, dict[str, list[Any]]]:
    """Condition operator -> key -> values (values always a list)."""
    out: dict[str, dict[str, list[Any]]] = {}
    for operator, entries in (statement.get("Condition") or {}).items():
        out[operator] = {key: as_list(value) for key, value in (entries or {}).items()}
    return out


def condition_values(statement: Any, key_suffix: str, operators: Iterable[str]) -> list[Any] | None:
    """Values a condition key ending in `key_suffix` is held to under one of `operators`."""
    for operator, entries in conditions(statement).items():
        if operator not in operators:
            continue
        for key, values in entries.items():
            if key.endswith(key_suffix):
                return values
    return None
