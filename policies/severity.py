"""How severe a rule's finding is: the SDK's four severities, without importing the SDK.

The pulumi_policy package imports the whole Pulumi runtime (a fifth of a second), which a manifest
scan never needs; rules name their severity with this enum, and `Rule.to_policy` hands the SDK its
own member of the same value.
"""
from __future__ import annotations

from enum import Enum


class Severity(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
