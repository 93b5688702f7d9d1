"""KMS rotation for every symmetric key the stack exports.

The cosign signing key is asymmetric (ECC_NIST_P256); AWS does not rotate asymmetric keys, so it
is not judged here.
"""
from __future__ import annotations

from ..account import Account
from ..control import Control, Verdict, unavailable
from ..outputs import MissingOutput, StackOutputs

RULE = "kms-key-rotation"


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    try:
        keys = dict(outputs.require("kmsKeyArns", dict))
    except MissingOutput as missing:
        return [Control(RULE, "<kmsKeyArns not given>", unavailable(missing))]
    keys.setdefault("backups", outputs.values.get("backupKmsKeyArn"))
    arns = dict.fromkeys(str(arn) for arn in keys.values() if arn)  # one control per key, in order
    return [Control(RULE, arn, _rotation(account, arn)) for arn in arns]


def _rotation(account: Account, arn: str):
    def evaluate() -> Verdict:
        status = account.read(("kms.rotation", arn), lambda: account.client("kms").get_key_rotation_status(KeyId=arn))
        enabled = status.get("KeyRotationEnabled")
        message = f"automatic rotation {'on' if enabled else 'off'}"
        return Verdict(enabled is True, message, {"KeyRotationEnabled": enabled})
    return evaluate
