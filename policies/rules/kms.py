"""KMS: rotation, no lockout-check bypass, explicit key policies without open principals, deletion window."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import fsbp, nist_800_53
from policies.rule import Rule, config_value
from policies.rules.iam_documents import open_to_everyone
from policies.values import get, is_true, json_document, number, shown

KEY = "aws:kms/key:Key"
TAGS = ("kms", "encryption")
_URL = "https://docs.aws.amazon.com/kms/latest/developerguide/best-practices.html"


def _rotation(args, config):
    usage = get(args.props, "keyUsage", default="ENCRYPT_DECRYPT")
    spec = get(args.props, "keySpec") or get(args.props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if usage != "ENCRYPT_DECRYPT" or spec != "SYMMETRIC_DEFAULT":
        # AWS rotates only symmetric encryption keys; a signing key is replaced, not rotated.
        args.not_applicable(f"{spec} {usage} keys cannot rotate automatically")
    if not is_true(args.props, "enableKeyRotation"):
        yield "automatic key rotation is off"


def _no_lockout_bypass(args, config):
    if is_true(args.props, "bypassPolicyLockoutSafetyCheck"):
        yield "bypassPolicyLockoutSafetyCheck is true; a key policy can lock every admin out of the key"


def _key_policy(args, config):
    document = json_document(args.props, "policy")
    if document is None:
        yield "no explicit key policy; the default policy delegates everything to account IAM"
        return
    for sid in open_to_everyone(document):
        yield (f"statement {sid} allows principal '*' without a condition that "
               "constrains it (wildcard-only, Null, IfExists and ForAllValues conditions do not)")


DELETION_CONFIG = {
    "minimumDays": {"type": "integer", "default": 7,
                    "description": "Shortest pending-deletion window allowed (AWS allows 7 to 30)."},
}


def _deletion_window(args, config):
    minimum = config_value(config, DELETION_CONFIG, "minimumDays")
    days = number(args.props, "deletionWindowInDays")
    # AWS uses 30 days, the maximum, when the window is not set.
    if days is not None and days < minimum:
        yield f"deletion window {shown(days)} days is below the required {shown(minimum)}"


RULES = (
    Rule(
        name="kms-key-rotation",
        description="Symmetric customer-managed KMS keys rotate automatically (asymmetric and signing "
                    "keys are exempt: AWS cannot rotate them).",
        severity=Severity.HIGH,
        controls=(fsbp("KMS.4"),),
        tags=TAGS,
        remediation="Set enableKeyRotation true.",
        url="https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
        check=_rotation,
        resource_types=(KEY,),
    ),
    Rule(
        name="kms-no-lockout-bypass",
        description="KMS keys never bypass the policy lockout safety check.",
        severity=Severity.HIGH,
        controls=(nist_800_53("SC-12"),),
        tags=TAGS + ("iam",),
        remediation="Remove bypassPolicyLockoutSafetyCheck (or set it false).",
        url=_URL,
        check=_no_lockout_bypass,
        resource_types=(KEY,),
    ),
    Rule(
        name="kms-key-policy-no-wildcard-principal",
        description="KMS keys carry an explicit key policy that grants nothing to principal '*' (or through "
                    "NotPrincipal) unless a binding condition constrains it.",
        severity=Severity.CRITICAL,
        controls=(fsbp("KMS.5"),),
        tags=TAGS + ("iam",),
        remediation="Write the key policy explicitly: account root for administration, named roles and "
                    "service principals for use; constrain any '*' principal with a condition such as "
                    "StringEquals kms:CallerAccount or aws:PrincipalOrgID (not a wildcard-only, Null or "
                    "IfExists condition).",
        url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
        check=_key_policy,
        resource_types=(KEY,),
    ),
    Rule(
        name="kms-deletion-window",
        description="KMS keys wait at least the environment's minimum before deletion (30 days in prod).",
        severity=Severity.MEDIUM,
        controls=(fsbp("KMS.3"),),
        tags=TAGS + ("recovery",),
        remediation="Set deletionWindowInDays to at least the configured minimum (30 in prod).",
        url="https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
        check=_deletion_window,
        resource_types=(KEY,),
        config=DELETION_CONFIG,
    ),
)
