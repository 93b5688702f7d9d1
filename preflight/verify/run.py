"""Check every control against the live account, in the order of the platform diagram."""
from __future__ import annotations

import boto3

from .account import Account
from .controls import (
    backup_bucket, ci_role, cluster, detection, evidence_bucket, guardduty, keys, log_group, nodegroup, registry,
)
from .model import ControlResult
from .outputs import StackOutputs, one_line

CONTROL_BUILDERS = (cluster, log_group, nodegroup, registry, keys, backup_bucket, evidence_bucket, ci_role, detection,
                    guardduty)


def verify(
    outputs: StackOutputs,
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
) -> list[ControlResult]:
    """One result per control and resource; reads only (any write is refused before it is sent).

    `outputs` are the values to check (judged against the stack's settings first, see
    judgement.py). `session` carries the credentials (default: the usual boto3 chain); the region
    is the `region` output, else the session's. `endpoint_url` points every client at one
    endpoint (tests).
    """
    account = Account(session, _region(outputs), endpoint_url)
    return [control.run() for builder in CONTROL_BUILDERS for control in builder.controls(account, outputs)]


def wrong_account(
    outputs: StackOutputs,
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
) -> str | None:
    """Why the credentials may not open the stack's account (None when they do).

    The controls read whatever account the credentials open, and the names they look for are the
    same in every account; so evidence counts only from the account the stack is deployed to.
    """
    expected = outputs.values.get("accountId")
    if not isinstance(expected, str):
        return "no accountId to check the credentials' account against"
    try:
        actual = Account(session, _region(outputs), endpoint_url).client("sts").get_caller_identity()["Account"]
    except Exception as error:  # noqa: BLE001 - any failure leaves the account unknown
        return f"the credentials' account could not be read ({type(error).__name__}: {one_line(str(error))})"
    if actual != expected:
        return f"the credentials open account {one_line(str(actual))}, not the stack's account {expected}"
    return None


def _region(outputs: StackOutputs) -> str | None:
    region = outputs.values.get("region")
    return region if isinstance(region, str) else None
