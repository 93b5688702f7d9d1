"""Comparing KMS key references: APIs answer with a key ARN, a key id, or (ECR) either."""
from __future__ import annotations


def key_id(reference: str) -> str:
    return reference.rsplit(":key/", 1)[-1] if ":key/" in reference else reference


def same_key(actual: str | None, expected: str) -> bool:
    return bool(actual) and key_id(actual) == key_id(expected)
