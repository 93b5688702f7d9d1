"""Customer-managed KMS keys: one per purpose, rotation on, explicit key policies; and the cosign signing key."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import account_root_admin, document, to_json

# Symmetric keys, one per purpose so that a grant for one never opens another. "secrets" wraps EKS
# secrets; "app-secrets" encrypts the app's Secrets Manager secrets (read by External Secrets);
# "evidence" the signed evidence bundles in the evidence bucket; "alerts" the security alarm topic.
KEY_PURPOSES = ("secrets", "logs", "ecr", "ebs", "backups", "app-secrets", "evidence", "alerts")
# Services that publish to the alarm topic and so must encrypt with its key: CloudWatch alarms and
# EventBridge (GuardDuty findings).
ALERT_PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")


@dataclass(frozen=True)
class KeysArgs:
    prefix: str
    account_id: str
    region: str
    deletion_window_days: int
    # Names of the cosign signing keys, the current one first (cosignKeys).
    signing_keys: tuple[str, ...] = ("cosign",)


class Keys(pulumi.ComponentResource):
    """KMS keys for EKS secrets envelope encryption, logs, ECR, EBS volumes, backups, app secrets, evidence and
    alerts, plus cosign's signing keys."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:keys:Keys", name, None, opts)
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        self.keys: dict[str, aws.kms.Key] = {}
        for purpose in KEY_PURPOSES:
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"{args.prefix} {purpose} encryption",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=args.deletion_window_days,
                bypass_policy_lockout_safety_check=False,
                policy=to_json(self._policy(purpose)),
                opts=child,
            )
            aws.kms.Alias(f"{name}-{purpose}-alias", name=f"alias/{args.prefix}-{purpose}", target_key_id=key.key_id, opts=child)
            self.keys[purpose] = key

        # cosign signs inside KMS; the private halves never leave it. Asymmetric keys cannot rotate
        # automatically, so rotation is a list: the current key first, the keys it replaces after it
        # until every running image is signed again (admission trusts all of them meanwhile).
        self.signing_keys: dict[str, aws.kms.Key] = {}
        self.signing_public_key_pems: dict[str, pulumi.Output[str]] = {}
        for key_name in args.signing_keys:
            key = aws.kms.Key(
                f"{name}-{key_name}",
                description=f"{args.prefix} cosign image signing ({key_name})",
                key_usage="SIGN_VERIFY",
                customer_master_key_spec="ECC_NIST_P256",
                enable_key_rotation=False,
                deletion_window_in_days=args.deletion_window_days,
                bypass_policy_lockout_safety_check=False,
                policy=to_json(document(account_root_admin(args.account_id))),
                opts=child,
            )
            aws.kms.Alias(f"{name}-{key_name}-alias", name=f"alias/{args.prefix}-{key_name}", target_key_id=key.key_id, opts=child)
            self.signing_keys[key_name] = key
            self.signing_public_key_pems[key_name] = aws.kms.get_public_key_output(
                key_id=key.arn, opts=pulumi.InvokeOptions(parent=self)
            ).public_key_pem
        current = args.signing_keys[0]
        self.signing_key = self.signing_keys[current]
        self.signing_public_key_pem = self.signing_public_key_pems[current]

        self.register_outputs({
            "keyArns": {purpose: key.arn for purpose, key in self.keys.items()},
            "signingKeyArn": self.signing_key.arn,
            "signingKeyArns": [key.arn for key in self.signing_keys.values()],
            "signingPublicKeyPem": self.signing_public_key_pem,
        })

    def arn(self, purpose: str) -> pulumi.Output[str]:
        return self.keys[purpose].arn

    def _policy(self, purpose: str) -> dict:
        statements = [account_root_admin(self._args.account_id)]
        if purpose == "logs":
            statements.append(self._logs_service_statement())
        if purpose == "ebs":
            statements.extend(self._autoscaling_statements())
        if purpose == "alerts":
            statements.append(self._alert_publishers_statement())
        return document(*statements)

    def _logs_service_statement(self) -> dict:
        # CloudWatch Logs encrypts log groups itself; limit it to this account's log groups.
        a = self._args
        return {
            "Sid": "CloudWatchLogsUsesKey",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{a.region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{a.region}:{a.account_id}:log-group:*"}},
        }

    def _alert_publishers_statement(self) -> dict:
        # An encrypted topic accepts a message only from a publisher that may use its key; only
        # this account's alarms and rules may.
        return {
            "Sid": "AlertPublishersUseKey",
            "Effect": "Allow",
            "Principal": {"Service": list(ALERT_PUBLISHERS)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": self._args.account_id}},
        }

    def _autoscaling_statements(self) -> list[dict]:
        # Managed node groups launch encrypted volumes through the Auto Scaling service-linked role.
        role = f"arn:aws:iam::{self._args.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        return [
            {
                "Sid": "AutoScalingUsesKey",
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsForVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
