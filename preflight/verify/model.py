"""The result of checking one control against the live account.

The rule names are the policy pack's, so an auditor can put a preview finding and its live
evidence side by side. `evidence` holds the API values read (JSON-serialisable), so a report
shows what AWS answered, not only a verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    # The control could not be read (missing resource, missing permission, missing stack output,
    # endpoint unreachable). Never counted as a pass.
    ERROR = "error"


@dataclass(frozen=True)
class ControlResult:
    rule: str
    resource: str
    status: Status
    message: str
    evidence: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "resource": self.resource,
            "status": self.status.value,
            "message": self.message,
            "evidence": self.evidence,
        }


def all_passed(results: list[ControlResult]) -> bool:
    return bool(results) and all(r.status is Status.PASS for r in results)
