"""IAM roles for Kubernetes service accounts (IRSA), each trusted by exactly one service account."""
from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.policy_documents import to_json, web_identity_trust


def irsa_trust(provider_arn: pulumi.Input[str], issuer: pulumi.Input[str], namespace: str, service_account: str) -> pulumi.Output[str]:
    """Trust pinned by `sub` to one namespace/service account and by `aud` to STS."""
    return pulumi.Output.from_input(issuer).apply(lambda host: host.removeprefix("https://")).apply(
        lambda host: to_json(web_identity_trust(
            provider_arn,
            {f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}", f"{host}:aud": "sts.amazonaws.com"},
        ))
    )


def irsa_role(
    name: str,
    *,
    role_name: str,
    provider_arn: pulumi.Input[str],
    issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    managed_policy_arns: Sequence[str] = (),
    inline_policy: pulumi.Input[str] | None = None,
    parent: pulumi.Resource,
) -> aws.iam.Role:
    opts = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name, name=role_name,
        description=f"IRSA for {namespace}/{service_account}",
        assume_role_policy=irsa_trust(provider_arn, issuer, namespace, service_account),
        opts=opts,
    )
    for index, policy_arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(f"{name}-attach-{index}", role=role.name, policy_arn=policy_arn, opts=opts)
    if inline_policy is not None:
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=inline_policy, opts=opts)
    return role
