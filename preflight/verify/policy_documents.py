"""Reading IAM-style policy documents (bucket, repository and trust policies)."""
from __future__ import annotations

import json
from typing import Any


def parse(document: str | dict) -> dict:
    return json.loads(document) if isinstance(document, str) else document


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: dict) -> list[dict]:
    return as_list(document.get("Statement"))


def principal_values(statement: dict) -> list[str]:
    """Every principal a statement names, whatever its kind (AWS, Service, Federated or `*`)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [value for values in principal.values() for value in as_list(values)]
    return []


def has_wildcard_principal(statement: dict) -> bool:
    return "*" in principal_values(statement)
