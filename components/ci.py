"""The image pipeline's IAM role: OIDC federation only, push to the app repositories and sign with cosign's key."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import CiSettings
from components.policy_documents import allow, document, to_json, web_identity_trust
from components.registry import PUSH_ACTIONS

GITHUB_ISSUER = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
AZURE_DEVOPS_ISSUER = "vstoken.dev.azure.com"
AZURE_DEVOPS_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class CiTrust:
    """Which tokens may assume the role: issuer host/path, audience and the exact subject claim."""

    provider: str
    issuer: str
    audience: str
    subject: str


def ci_trust(ci: CiSettings) -> CiTrust:
    if ci.provider == "github":
        return CiTrust("github", GITHUB_ISSUER, GITHUB_AUDIENCE, f"repo:{ci.repository}:ref:refs/heads/{ci.branch}")
    return CiTrust(
        "azure-devops",
        f"{AZURE_DEVOPS_ISSUER}/{ci.azure_devops_organization_id}",
        AZURE_DEVOPS_AUDIENCE,
        f"sc://{ci.azure_devops_service_connection}",
    )


@dataclass(frozen=True)
class CiRoleArgs:
    prefix: str
    settings: CiSettings
    repository_arns: list[str]
    signing_key_arn: pulumi.Input[str]


class CiRole(pulumi.ComponentResource):
    def __init__(self, name: str, args: CiRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:ci:CiRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.trust = ci_trust(args.settings)

        if args.settings.oidc_provider_arn:
            provider_arn: pulumi.Input[str] = args.settings.oidc_provider_arn
        else:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=f"https://{self.trust.issuer}", client_id_lists=[self.trust.audience], opts=child,
            ).arn

        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.prefix}-ci-images",
            description="Image pipeline: push app images and sign them with the cosign KMS key",
            assume_role_policy=to_json(web_identity_trust(
                provider_arn,
                {f"{self.trust.issuer}:aud": self.trust.audience, f"{self.trust.issuer}:sub": self.trust.subject},
            )),
            max_session_duration=3600,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-permissions",
            role=self.role.id,
            policy=to_json(document(
                # GetAuthorizationToken has no resource-level permissions; it only yields a registry login.
                allow(["ecr:GetAuthorizationToken"], "*", "RegistryLogin"),
                # Reading layers too: promotion copies a dev image, signatures and attestations with `cosign copy`.
                allow(list(PUSH_ACTIONS) + ["ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"], args.repository_arns, "PushAppImages"),
                allow(["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"], args.signing_key_arn, "CosignSign"),
            )),
            opts=child,
        )
        self.register_outputs({"roleArn": self.role.arn, "roleName": self.role.name})
