"""Check every control against the live account, in the order of the platform diagram."""
from __future__ import annotations

import boto3

from .account import Account
from .controls import backup_bucket, ci_role, cluster, keys, log_group, nodegroup, registry
from .model import ControlResult
from .outputs import StackOutputs

CONTROL_BUILDERS = (cluster, log_group, nodegroup, registry, keys, backup_bucket, ci_role)


def verify(
    outputs: StackOutputs,
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
) -> list[ControlResult]:
    """One result per control and resource; reads only (any write is refused before it is sent).

    `session` carries the credentials (default: the usual boto3 chain); the region is the stack's
    `region` output, else the session's. `endpoint_url` points every client at one endpoint (tests).
    """
    session = session or boto3.session.Session()
    region = outputs.values.get("region") or session.region_name
    account = Account(session, region, endpoint_url)
    return [control.run() for builder in CONTROL_BUILDERS for control in builder.controls(account, outputs)]
