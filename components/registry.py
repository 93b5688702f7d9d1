"""ECR repositories per app image: immutable tags, scan on push, KMS, lifecycle and a named-principal policy."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, to_json

PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


def repository_name(prefix: str, image: str) -> str:
    return f"{prefix}/{image}"


def repository_arn(region: str, account_id: str, name: str) -> str:
    """ECR ARNs are fixed by name, so IAM policies can name repositories before they exist."""
    return f"arn:aws:ecr:{region}:{account_id}:repository/{name}"


def lifecycle_document(keep_count: int, untagged_days: int) -> str:
    return json.dumps({"rules": [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images after {untagged_days} days",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the {keep_count} most recent images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_count},
            "action": {"type": "expire"},
        },
    ]}, sort_keys=True)


@dataclass(frozen=True)
class RegistryArgs:
    prefix: str
    images: tuple[str, ...]
    kms_key_arn: pulumi.Input[str]
    keep_image_count: int
    untagged_expiry_days: int
    push_principal_arns: pulumi.Input[list[str]]
    pull_principal_arns: pulumi.Input[list[str]]


class Registry(pulumi.ComponentResource):
    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:registry:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repositories: dict[str, aws.ecr.Repository] = {}
        for image in args.images:
            repo = aws.ecr.Repository(
                f"{name}-{image}",
                name=repository_name(args.prefix, image),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)],
                # Images are evidence (signatures, SBOMs): a stack destroy must not silently delete them.
                force_delete=False,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{image}-lifecycle", repository=repo.name,
                policy=lifecycle_document(args.keep_image_count, args.untagged_expiry_days), opts=child,
            )
            aws.ecr.RepositoryPolicy(
                f"{name}-{image}-policy", repository=repo.name,
                policy=to_json(document(
                    {"Sid": "CiPushes", "Effect": "Allow", "Principal": {"AWS": args.push_principal_arns}, "Action": list(PUSH_ACTIONS)},
                    {"Sid": "NodesPull", "Effect": "Allow", "Principal": {"AWS": args.pull_principal_arns}, "Action": list(PULL_ACTIONS)},
                )),
                opts=child,
            )
            self.repositories[image] = repo
        self.register_outputs({
            "repositoryUrls": {image: repo.repository_url for image, repo in self.repositories.items()},
            "repositoryNames": {image: repo.name for image, repo in self.repositories.items()},
        })
