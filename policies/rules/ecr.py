"""ECR: immutable tags, scan on push, customer-managed KMS, lifecycle and repository policies."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import cis_eks, fsbp, nist
from policies.rule import Rule, each_resource
from policies.rules.iam_documents import allows, has_wildcard_principal, statement_id, statements
from policies.stack import companions, of_type
from policies.values import get, is_set, is_true, json_document, objects, text

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
TAGS = ("ecr", "supply-chain")
_URL = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/security-best-practices.html"


def _immutable(args, config):
    mutability = get(args.props, "imageTagMutability")
    if mutability != "IMMUTABLE":
        yield f"image tags are {mutability or 'MUTABLE (default)'}; a pushed tag can be overwritten"


def _scan_on_push(args, config):
    if not is_true(args.props, "imageScanningConfiguration", "scanOnPush"):
        yield "images are not scanned on push"


def _kms(args, config):
    configs = objects(args.props, "encryptionConfigurations")
    if not configs:
        yield "repository uses AES256 default encryption, not a customer-managed KMS key"
        return
    _, first = configs[0]
    encryption = text(first, "encryptionType", at="encryptionConfigurations[0]")
    if encryption != "KMS":
        yield f"encryption type is {encryption}, not KMS"
    elif not is_set(first, "kmsKey"):
        yield "KMS encryption without kmsKey uses the AWS managed key; name the customer-managed key"


def _lifecycle(args, config):
    attached = companions(args.resources, "repository", LIFECYCLE_POLICY)

    def check(repo):
        if not attached(repo, get(repo.props, "name")):
            yield "repository has no lifecycle policy; untagged and old images pile up"
    return each_resource(of_type(args.resources, REPOSITORY), check)


def _no_wildcard_principal(args, config):
    for i, statement in enumerate(statements(json_document(args.props, "policy"))):
        if allows(statement) and has_wildcard_principal(statement):
            yield f"statement {statement_id(statement, i)} allows principal '*'"


RULES = (
    Rule(
        name="ecr-immutable-tags",
        description="ECR repositories make image tags immutable.",
        severity=Severity.HIGH,
        controls=(fsbp("ECR.2"), nist("4.2.2")),
        tags=TAGS,
        remediation="Set imageTagMutability to IMMUTABLE and deploy by digest.",
        url=_URL,
        check=_immutable,
        resource_types=(REPOSITORY,),
    ),
    Rule(
        name="ecr-scan-on-push",
        description="ECR repositories scan every image on push.",
        severity=Severity.HIGH,
        controls=(cis_eks("5.1.1"), fsbp("ECR.1"), nist("4.1.1")),
        tags=TAGS + ("vulnerability",),
        remediation="Set imageScanningConfiguration.scanOnPush true.",
        url=_URL,
        check=_scan_on_push,
        resource_types=(REPOSITORY,),
    ),
    Rule(
        name="ecr-kms-encryption",
        description="ECR repositories are encrypted with a customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=(fsbp("ECR.5"),),
        tags=TAGS + ("encryption", "kms"),
        remediation="Set encryptionConfigurations [{encryptionType: KMS, kmsKey: <key ARN>}].",
        url=_URL,
        check=_kms,
        resource_types=(REPOSITORY,),
    ),
    Rule(
        name="ecr-lifecycle-policy",
        description="Every ECR repository has a lifecycle policy.",
        severity=Severity.LOW,
        controls=(fsbp("ECR.3"), nist("4.2.2")),
        tags=TAGS,
        remediation="Add an aws.ecr.LifecyclePolicy for the repository (expire untagged images, keep the last N).",
        url=_URL,
        check=_lifecycle,
    ),
    Rule(
        name="ecr-repository-policy-no-wildcard-principal",
        description="ECR repository policies grant nothing to principal '*' (or through NotPrincipal).",
        severity=Severity.CRITICAL,
        controls=(cis_eks("5.1.2"), nist("4.2.3")),
        tags=TAGS + ("iam",),
        remediation="Name the CI role (push) and node role (pull) as principals instead of '*'.",
        url=_URL,
        check=_no_wildcard_principal,
        resource_types=(REPOSITORY_POLICY,),
    ),
)
