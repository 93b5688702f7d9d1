"""Customer-managed KMS keys: one per purpose, rotation on, explicit key policies; and the cosign signing key."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import account_root_admin, document, to_json

# Symmetric keys, one per purpose so that a grant for one never opens another. "secrets" wraps EKS
# secrets; "app-secrets" encrypts the app's Secrets Manager secrets (read by External Secrets).
KEY_PURPOSES = ("secrets", "logs", "ecr", "ebs", "backups", "app-secrets")


@dataclass(frozen=True)
class KeysArgs:
    prefix: str
    account_id: str
    region: str
    deletion_window_days: int


class Keys(pulumi.ComponentResource):
    """KMS keys for EKS secrets envelope encryption, logs, ECR, EBS volumes, backups and app secrets, plus cosign's key."""

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

        # cosign signs with this key inside KMS; the private half never leaves it.
        # Asymmetric keys cannot rotate automatically: a new key means re-signing, done deliberately.
        self.signing_key = aws.kms.Key(
            f"{name}-cosign",
            description=f"{args.prefix} cosign image signing",
            key_usage="SIGN_VERIFY",
            customer_master_key_spec="ECC_NIST_P256",
            enable_key_rotation=False,
            deletion_window_in_days=args.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=to_json(document(account_root_admin(args.account_id))),
            opts=child,
        )
        aws.kms.Alias(f"{name}-cosign-alias", name=f"alias/{args.prefix}-cosign", target_key_id=self.signing_key.key_id, opts=child)
        self.signing_public_key_pem: pulumi.Output[str] = aws.kms.get_public_key_output(
            key_id=self.signing_key.arn, opts=pulumi.InvokeOptions(parent=self)
        ).public_key_pem

        self.register_outputs({
            "keyArns": {purpose: key.arn for purpose, key in self.keys.items()},
            "signingKeyArn": self.signing_key.arn,
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
