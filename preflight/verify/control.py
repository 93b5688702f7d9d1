"""One control: a rule name, the resource it judges, and a function that reads and decides."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .model import ControlResult, Status
from .outputs import MissingOutput, one_line


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    evidence: Any


@dataclass(frozen=True)
class Control:
    rule: str
    resource: str
    evaluate: Callable[[], Verdict]

    def run(self) -> ControlResult:
        try:
            verdict = self.evaluate()
        except MissingOutput as error:
            return self._error(str(error), None)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = one_line(str(details.get("Code", "ClientError")))
            return self._error(f"{error.operation_name}: {code}: {one_line(str(details.get('Message', '')))}".strip(),
                               {"error": code})
        except BotoCoreError as error:
            return self._error(f"AWS could not be read: {one_line(str(error))}", {"error": type(error).__name__})
        except EvidenceMissing as error:
            return self._error(str(error), error.evidence)
        except Exception as error:  # noqa: BLE001 - an answer of any other shape is unjudged, never a crash
            return self._error(f"could not be read or judged ({type(error).__name__}: {one_line(str(error))})",
                               {"error": type(error).__name__})
        status = Status.PASS if verdict.passed else Status.FAIL
        return ControlResult(self.rule, self.resource, status, verdict.message, verdict.evidence)

    def _error(self, message: str, evidence: Any) -> ControlResult:
        return ControlResult(self.rule, self.resource, Status.ERROR, message, evidence)


class EvidenceMissing(LookupError):
    """AWS answered, but without the value the control judges (so it can be neither pass nor fail)."""

    def __init__(self, message: str, evidence: Any = None):
        super().__init__(message)
        self.evidence = evidence


def unavailable(error: Exception) -> Callable[[], Verdict]:
    """An evaluate function for a control that cannot even be named without a missing input."""
    def evaluate() -> Verdict:
        raise error
    return evaluate
