"""The database backup bucket: a private bucket encrypted with the stack's backups key."""
from __future__ import annotations

from ..account import Account
from ..control import Control
from ..outputs import StackOutputs
from .private_bucket import controls_for


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    return controls_for(account, outputs, "backupBucketName", "backupKmsKeyArn")
