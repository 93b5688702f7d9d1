"""KMS rotation for every symmetric key the stack exports.

The cosign signing key is asymmetric (ECC_NIST_P256); AWS does not rotate asymmetric keys, so it
is not judged here.
"""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict, unavailable
from ..outputs import MissingOutput, StackOutputs

RULE = "kms-key-rotation"


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    try:
        keys = dict(outputs.require("kmsKeyArns", dict))
    except MissingOutput as missing:
        return [Control(RULE, "<kmsKeyArns not given>", unavailable(missing))]
    if not keys:
        return [Control(RULE, "<no key named>", unavailable(MissingOutput("stack output 'kmsKeyArns' names no key")))]
    keys.setdefault("backups", outputs.values.get("backupKmsKeyArn"))
    missing = [purpose for purpose, arn in keys.items() if not arn]
    arns = dict.fromkeys(str(arn) for arn in keys.values() if arn)  # one control per key, in order
    return [
        *(Control(RULE, f"<kmsKeyArns.{purpose} not given>",
                  unavailable(MissingOutput(f"stack output 'kmsKeyArns.{purpose}' is not given"))) for purpose in missing),
        *(Control(RULE, arn, _rotation(account, arn)) for arn in arns),
    ]


def _rotation(account: Account, arn: str):
    def evaluate() -> Verdict:
        status = account.read(("kms.rotation", arn), lambda: account.client("kms").get_key_rotation_status(KeyId=arn))
        enabled = status.get("KeyRotationEnabled")
        if not isinstance(enabled, bool):  # AWS always answers with it; without it nothing was read
            raise EvidenceMissing("GetKeyRotationStatus returned no KeyRotationEnabled", {"KeyRotationEnabled": enabled})
        message = f"automatic rotation {'on' if enabled else 'off'}"
        return Verdict(enabled is True, message, {"KeyRotationEnabled": enabled})
    return evaluate
