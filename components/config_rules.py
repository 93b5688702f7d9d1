"""Checks on stack settings. Each check returns problems naming the setting, the value and what is allowed.

Pure functions over plain values, so they are tested without any Pulumi runtime.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Iterable

PROJECT = "devsecops-platform"

ENVIRONMENTS = ("dev", "staging", "prod")
# EKS versions in standard support; update when AWS moves the window.
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34")
# The only values CloudWatch Logs accepts for retentionInDays (0, never expire, is left out on purpose).
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
PROD_MIN_LOG_RETENTION_DAYS = 365
NAT_GATEWAY_MODES = ("perAz", "single")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
CI_PROVIDERS = ("github", "azure-devops")
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
CPU_QUANTITY = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
MEMORY_QUANTITY = re.compile(r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$")

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[\w./-]+$")
_REPO_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GIT_BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AZDO_CONNECTION = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_REGISTRY_PREFIX = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HTTP_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/%-]*)?$")
_GIT_REVISION = re.compile(r"^[A-Za-z0-9._/-]+$")
_CRON_FIELD = re.compile(r"^[0-9*/,-]+$")

KYVERNO_FAILURE_ACTIONS = ("Enforce", "Audit")
# The service the database component runs as a StatefulSet; every other service is a Deployment.
DATABASE_SERVICE = "postgres"
# Keys of the app secret that External Secrets syncs from Secrets Manager; secretEnv may name only these.
APP_SECRET_KEYS = ("db-password",)
PROD_MIN_BACKUP_RETENTION_DAYS = 30


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        shown = "(not set)" if self.value is None else repr(self.value)
        return f"{self.key}: got {shown}; allowed: {self.allowed}"


def _key(name: str) -> str:
    return name if ":" in name else f"{PROJECT}:{name}"


def _problem(name: str, value: Any, allowed: str) -> ConfigProblem:
    return ConfigProblem(_key(name), value, allowed)


def _in_range(name: str, value: int, low: int, high: int) -> list[ConfigProblem]:
    return [] if low <= value <= high else [_problem(name, value, f"a whole number from {low} to {high}")]


def _one_of(name: str, value: str, choices: Iterable[Any]) -> list[ConfigProblem]:
    choices = tuple(choices)
    return [] if value in choices else [_problem(name, value, "one of " + ", ".join(map(str, choices)))]


def _networks(name: str, cidrs: Iterable[str]) -> tuple[list[ConfigProblem], list[ipaddress.IPv4Network]]:
    problems, networks = [], []
    for index, cidr in enumerate(cidrs):
        try:
            networks.append(ipaddress.IPv4Network(cidr, strict=True))
        except ValueError:
            problems.append(_problem(f"{name}[{index}]", cidr, "an IPv4 network in CIDR form with no host bits set, e.g. 10.0.0.0/19"))
    return problems, networks


def check_network(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _in_range("azCount", s["azCount"], 2, 6)
    if s["environment"] == "prod" and s["azCount"] < 3:
        problems.append(_problem("azCount", s["azCount"], "3 or more when environment is prod"))
    problems += _one_of("natGatewayMode", s["natGatewayMode"], NAT_GATEWAY_MODES)
    if s["environment"] == "prod" and s["natGatewayMode"] != "perAz":
        problems.append(_problem("natGatewayMode", s["natGatewayMode"], "perAz when environment is prod"))

    try:
        vpc = ipaddress.IPv4Network(s["vpcCidr"], strict=True)
    except ValueError:
        return problems + [_problem("vpcCidr", s["vpcCidr"], "an IPv4 network in CIDR form, /16 to /24, e.g. 10.0.0.0/16")]
    if not 16 <= vpc.prefixlen <= 24:
        problems.append(_problem("vpcCidr", s["vpcCidr"], "a prefix length from /16 to /24 (what AWS allows for a VPC)"))

    placed: list[tuple[str, ipaddress.IPv4Network]] = []
    for name in ("privateSubnetCidrs", "publicSubnetCidrs"):
        cidrs = list(s[name])
        if len(cidrs) < s["azCount"]:
            problems.append(_problem(name, cidrs, f"at least azCount ({s['azCount']}) CIDRs, one per AZ"))
        bad, networks = _networks(name, cidrs[: max(s["azCount"], 0)])
        problems += bad
        for index, net in enumerate(networks):
            label = f"{name}[{index}]"
            if not net.subnet_of(vpc):
                problems.append(_problem(label, str(net), f"a network inside vpcCidr {vpc}"))
            if not 16 <= net.prefixlen <= 28:
                problems.append(_problem(label, str(net), "a prefix length from /16 to /28 (what AWS allows for a subnet)"))
            for other_label, other in placed:
                if net.overlaps(other):
                    problems.append(_problem(label, str(net), f"a network that does not overlap {other_label} ({other})"))
            placed.append((label, net))
    return problems


def check_cluster(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _one_of("kubernetesVersion", s["kubernetesVersion"], SUPPORTED_KUBERNETES_VERSIONS)
    if not s["nodeInstanceTypes"]:
        problems.append(_problem("nodeInstanceTypes", [], "at least one EC2 instance type, e.g. m6i.large"))
    for index, itype in enumerate(s["nodeInstanceTypes"]):
        if not _INSTANCE_TYPE.match(itype):
            problems.append(_problem(f"nodeInstanceTypes[{index}]", itype, "an EC2 instance type such as m6i.large"))
    problems += _in_range("nodeMinSize", s["nodeMinSize"], 1, 100)
    problems += _in_range("nodeMaxSize", s["nodeMaxSize"], 1, 100)
    if not s["nodeMinSize"] <= s["nodeDesiredSize"] <= s["nodeMaxSize"]:
        problems.append(_problem(
            "nodeDesiredSize", s["nodeDesiredSize"],
            f"a size between nodeMinSize ({s['nodeMinSize']}) and nodeMaxSize ({s['nodeMaxSize']})",
        ))
    problems += _in_range("nodeDiskSizeGib", s["nodeDiskSizeGib"], 20, 16384)
    problems += _one_of("nodeCapacityType", s["nodeCapacityType"], CAPACITY_TYPES)
    problems += _one_of("logRetentionDays", s["logRetentionDays"], CLOUDWATCH_RETENTION_DAYS)
    if s["environment"] == "prod" and s["logRetentionDays"] < PROD_MIN_LOG_RETENTION_DAYS:
        problems.append(_problem("logRetentionDays", s["logRetentionDays"], f"{PROD_MIN_LOG_RETENTION_DAYS} or more when environment is prod"))
    problems += check_endpoint(s)
    for name in ("clusterAdminPrincipalArns", "clusterViewerPrincipalArns"):
        for index, arn in enumerate(s[name]):
            if not _PRINCIPAL_ARN.match(arn):
                problems.append(_problem(f"{name}[{index}]", arn, "an IAM role or user ARN, e.g. arn:aws:iam::111111111111:role/platform-admin"))
    return problems


def check_endpoint(s: dict[str, Any]) -> list[ConfigProblem]:
    cidrs = list(s["publicAccessCidrs"])
    if not s["endpointPublicAccess"]:
        if cidrs:
            return [_problem("publicAccessCidrs", cidrs, "an empty list while endpointPublicAccess is false (the CIDRs would be ignored)")]
        return []
    if not cidrs:
        return [_problem("publicAccessCidrs", cidrs, "an explicit list of allowed networks when endpointPublicAccess is true")]
    problems = []
    for index, cidr in enumerate(cidrs):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            problems.append(_problem(f"publicAccessCidrs[{index}]", cidr, "a network in CIDR form, e.g. 203.0.113.0/24"))
            continue
        if cidr in OPEN_CIDRS and s["environment"] == "prod":
            problems.append(_problem(f"publicAccessCidrs[{index}]", cidr, "a specific network, never the whole internet, when environment is prod"))
    return problems


def check_keys_and_registry(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _in_range("kmsDeletionWindowDays", s["kmsDeletionWindowDays"], 7, 30)
    if s["environment"] == "prod" and s["kmsDeletionWindowDays"] != 30:
        problems.append(_problem("kmsDeletionWindowDays", s["kmsDeletionWindowDays"], "30 when environment is prod"))
    if not s["ecrImages"]:
        problems.append(_problem("ecrImages", [], "at least one image name"))
    if len(set(s["ecrImages"])) != len(s["ecrImages"]):
        problems.append(_problem("ecrImages", s["ecrImages"], "names without repeats"))
    for index, image in enumerate(s["ecrImages"]):
        if not _REPO_NAME.match(image):
            problems.append(_problem(f"ecrImages[{index}]", image, "lower-case letters and digits separated by . _ or -"))
    problems += _in_range("ecrKeepImageCount", s["ecrKeepImageCount"], 1, 1000)
    problems += _in_range("ecrUntaggedExpiryDays", s["ecrUntaggedExpiryDays"], 1, 365)
    return problems


def check_ci(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _one_of("ciProvider", s["ciProvider"], CI_PROVIDERS)
    if s["ciOidcProviderArn"] and not _OIDC_PROVIDER_ARN.match(s["ciOidcProviderArn"]):
        problems.append(_problem("ciOidcProviderArn", s["ciOidcProviderArn"], "empty (create the provider) or an IAM OIDC provider ARN"))
    if s["ciProvider"] == "github":
        if not _GITHUB_REPOSITORY.match(s["ciRepository"]):
            problems.append(_problem("ciRepository", s["ciRepository"], "owner/repository of the GitHub repository whose workflows deploy"))
        if not _GIT_BRANCH.match(s["ciBranch"]):
            problems.append(_problem("ciBranch", s["ciBranch"], "one branch name, no wildcards (the role trust is pinned to it)"))
    elif s["ciProvider"] == "azure-devops":
        if not _GUID.match(s["ciAzureDevOpsOrganizationId"]):
            problems.append(_problem("ciAzureDevOpsOrganizationId", s["ciAzureDevOpsOrganizationId"], "the Azure DevOps organization id, a GUID"))
        if not _AZDO_CONNECTION.match(s["ciAzureDevOpsServiceConnection"]):
            problems.append(_problem("ciAzureDevOpsServiceConnection", s["ciAzureDevOpsServiceConnection"], "organization/project/service-connection"))
    return problems


def check_image(name: str, image: Any, registry_host: str, allowed_registries: Iterable[str]) -> list[ConfigProblem]:
    """An image must be pinned: by digest, or by a tag of this stack's ECR registry (tags there are immutable)."""
    if not isinstance(image, str) or not image:
        return [_problem(name, image, "an image reference pinned by digest (repo@sha256:<64 hex>)")]
    reference = _DIGEST.sub("", image)
    last = reference.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    own_registry = reference.startswith(registry_host + "/")
    from_allowed = any(reference.startswith(prefix.rstrip("/") + "/") for prefix in allowed_registries)
    problems = []
    if tag == "latest":
        problems.append(_problem(name, image, "a digest or an immutable version tag, never latest"))
    elif not _DIGEST.search(image) and not (own_registry and tag):
        problems.append(_problem(name, image, f"a reference pinned by digest (@sha256:<64 hex>), or tagged in this stack's registry {registry_host}"))
    if not own_registry and not from_allowed:
        problems.append(_problem(name, image, f"an image from {registry_host} or from allowedImageRegistries"))
    return problems


def check_services(s: dict[str, Any], registry_host: str) -> list[ConfigProblem]:
    problems = []
    for index, prefix in enumerate(s["allowedImageRegistries"]):
        if not _REGISTRY_PREFIX.match(prefix):
            problems.append(_problem(f"allowedImageRegistries[{index}]", prefix, "a registry host with an optional path, e.g. public.ecr.aws/docker/library"))
    services = s["services"]
    if not services:
        return problems + [_problem("services", services, "at least one service")]
    for name, spec in services.items():
        key = f"services.{name}"
        if not _DNS_LABEL.match(name):
            problems.append(_problem(key, name, "a service name that is a DNS label (lower-case letters, digits, -)"))
        if not isinstance(spec, dict):
            problems.append(_problem(key, spec, "a mapping with image, port, replicas, resources, calls"))
            continue
        problems += check_image(f"{key}.image", spec.get("image"), registry_host, s["allowedImageRegistries"])
        port = spec.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            problems.append(_problem(f"{key}.port", port, "a port number from 1 to 65535"))
        replicas = spec.get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or not 1 <= replicas <= 50:
            problems.append(_problem(f"{key}.replicas", replicas, "a whole number from 1 to 50"))
        problems += _check_resources(key, spec.get("resources"))
        problems += _check_service_runtime(key, spec, s["environment"])
        calls = spec.get("calls", [])
        if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
            problems.append(_problem(f"{key}.calls", calls, "a list of service names"))
            continue
        for callee in calls:
            if callee not in services or callee == name:
                problems.append(_problem(f"{key}.calls", callee, "names of other declared services: " + ", ".join(sorted(set(services) - {name}))))
    return problems


def _check_service_runtime(key: str, spec: dict, environment: str) -> list[ConfigProblem]:
    """healthPath, env, secretEnv and ingressCidrs: the optional fields of a service."""
    problems = []
    health_path = spec.get("healthPath", "/healthz")
    if not isinstance(health_path, str) or not _HTTP_PATH.match(health_path):
        problems.append(_problem(f"{key}.healthPath", health_path, "an HTTP path starting with /, e.g. /healthz"))
    env = spec.get("env", {})
    secret_env = spec.get("secretEnv", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        problems.append(_problem(f"{key}.env", env, "a mapping of variable names to string values (quote numbers)"))
        env = {}
    if not isinstance(secret_env, dict):
        problems.append(_problem(f"{key}.secretEnv", secret_env, "a mapping of variable names to keys of the app secret"))
        secret_env = {}
    for name in [*env, *secret_env]:
        if not _ENV_NAME.match(name):
            problems.append(_problem(f"{key}.env", name, "variable names of letters, digits and _, not starting with a digit"))
    for name in set(env) & set(secret_env):
        problems.append(_problem(f"{key}.secretEnv", name, "a variable that is not also set in env"))
    for name, secret_key in secret_env.items():
        if secret_key not in APP_SECRET_KEYS:
            problems.append(_problem(f"{key}.secretEnv.{name}", secret_key, "a key of the app secret: " + ", ".join(APP_SECRET_KEYS)))
    cidrs = spec.get("ingressCidrs", [])
    if not isinstance(cidrs, list):
        return problems + [_problem(f"{key}.ingressCidrs", cidrs, "a list of networks in CIDR form")]
    bad, _ = _networks(f"{key}.ingressCidrs", cidrs)
    problems += bad
    for index, cidr in enumerate(cidrs):
        if cidr in OPEN_CIDRS and environment == "prod":
            problems.append(_problem(f"{key}.ingressCidrs[{index}]", cidr, "the load balancer's networks, never the whole internet, when environment is prod"))
    return problems


def _check_resources(key: str, resources: Any) -> list[ConfigProblem]:
    shape = "requests and limits, each with cpu (e.g. 250m) and memory (e.g. 256Mi)"
    if not isinstance(resources, dict) or not all(isinstance(resources.get(k), dict) for k in ("requests", "limits")):
        return [_problem(f"{key}.resources", resources, shape)]
    problems = []
    for kind in ("requests", "limits"):
        for resource, pattern in (("cpu", CPU_QUANTITY), ("memory", MEMORY_QUANTITY)):
            value = resources[kind].get(resource)
            if not isinstance(value, str) or not pattern.match(value):
                problems.append(_problem(f"{key}.resources.{kind}.{resource}", value, f"a Kubernetes {resource} quantity, e.g. {'250m' if resource == 'cpu' else '256Mi'}"))
    return problems


def check_database(s: dict[str, Any]) -> list[ConfigProblem]:
    spec = s["services"].get(DATABASE_SERVICE)
    if not isinstance(spec, dict):
        return [_problem("services", sorted(s["services"]), f"a service named {DATABASE_SERVICE} (the database)")]
    if spec.get("replicas") != 1:
        return [_problem(f"services.{DATABASE_SERVICE}.replicas", spec.get("replicas"), "1 (a single PostgreSQL primary; more replicas would be separate databases)")]
    return []


def check_backups(s: dict[str, Any], registry_host: str, stack: str) -> list[ConfigProblem]:
    fields = s["backupSchedule"].split()
    problems = []
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        problems.append(_problem("backupSchedule", s["backupSchedule"], "a five-field cron schedule, e.g. 0 2 * * *"))
    problems += _in_range("backupRetentionDays", s["backupRetentionDays"], 1, 3650)
    problems += _in_range("backupMaxAgeHours", s["backupMaxAgeHours"], 1, 720)
    if s["environment"] == "prod" and s["backupRetentionDays"] < PROD_MIN_BACKUP_RETENTION_DAYS:
        problems.append(_problem("backupRetentionDays", s["backupRetentionDays"], f"{PROD_MIN_BACKUP_RETENTION_DAYS} or more when environment is prod"))
    repository = f"{registry_host}/{s['namePrefix']}-{stack}/db-backup@sha256:"
    image = s["backupImage"]
    if not (image.startswith(repository) and _DIGEST.search(image)):
        problems.append(_problem("backupImage", image or None, f"the backup image of this stack's ECR repository pinned by digest: {repository}<64 hex>"))
    return problems


def check_admission_and_gitops(s: dict[str, Any], sso_secret_set: bool) -> list[ConfigProblem]:
    problems = _one_of("kyvernoFailureAction", s["kyvernoFailureAction"], KYVERNO_FAILURE_ACTIONS)
    if s["environment"] == "prod" and s["kyvernoFailureAction"] != "Enforce":
        problems.append(_problem("kyvernoFailureAction", s["kyvernoFailureAction"], "Enforce when environment is prod"))
    if not _HTTPS_URL.match(s["argocdRepoUrl"]):
        problems.append(_problem("argocdRepoUrl", s["argocdRepoUrl"] or None, "the https:// URL of the GitOps repository ArgoCD syncs from"))
    path = s["argocdRepoPath"]
    if not path or path.startswith("/") or ".." in path.split("/"):
        problems.append(_problem("argocdRepoPath", path, "a relative directory inside the repository, without .."))
    if not _GIT_REVISION.match(s["argocdRepoRevision"]) or s["argocdRepoRevision"] == "HEAD":
        problems.append(_problem("argocdRepoRevision", s["argocdRepoRevision"], "a branch, tag or commit (not HEAD, so the tracked revision is explicit)"))
    sso = {"argocdSsoIssuer": bool(s["argocdSsoIssuer"]), "argocdSsoClientId": bool(s["argocdSsoClientId"]), "argocdSsoClientSecret": sso_secret_set}
    if any(sso.values()) and not all(sso.values()):
        missing = [k for k, present in sso.items() if not present]
        problems.append(_problem(missing[0], None, "all of argocdSsoIssuer, argocdSsoClientId and argocdSsoClientSecret, or none (no SSO)"))
    if s["argocdSsoIssuer"] and not _HTTPS_URL.match(s["argocdSsoIssuer"]):
        problems.append(_problem("argocdSsoIssuer", s["argocdSsoIssuer"], "the https:// issuer URL of the OIDC provider"))
    if s["argocdUrl"] and not _HTTPS_URL.match(s["argocdUrl"]):
        problems.append(_problem("argocdUrl", s["argocdUrl"], "the https:// URL users reach ArgoCD at"))
    if all(sso.values()):
        # SSO turns the local admin off; without these nobody could log in or administer ArgoCD.
        if not s["argocdUrl"]:
            problems.append(_problem("argocdUrl", "", "the https:// URL users reach ArgoCD at (SSO redirects back to it)"))
        if not s["argocdAdminGroups"]:
            problems.append(_problem("argocdAdminGroups", [], "at least one SSO group given role:admin (the local admin is off with SSO)"))
    for name in ("argocdAdminGroups", "argocdReadonlyGroups"):
        for index, group in enumerate(s[name]):
            if not group.strip() or "," in group:
                problems.append(_problem(f"{name}[{index}]", group, "a group name as the SSO provider sends it, without commas"))
    return problems


def check_settings(s: dict[str, Any], region: str, sso_secret_set: bool, sso_secret_is_secret: bool, stack: str) -> list[ConfigProblem]:
    """Every check over every setting; an empty list means the settings are valid."""
    problems = []
    if not _REGION.match(region):
        problems.append(_problem("aws:region", region or None, "an AWS region such as eu-west-1 (pulumi config set aws:region ...)"))
    problems += _one_of("environment", s["environment"], ENVIRONMENTS)
    if not _ACCOUNT.match(s["accountId"]):
        problems.append(_problem("accountId", s["accountId"], "the 12-digit AWS account id of this stack"))
    if not _NAME_PREFIX.match(s["namePrefix"]):
        problems.append(_problem("namePrefix", s["namePrefix"], "2 to 20 lower-case letters, digits or -, starting with a letter"))
    problems += check_network(s)
    problems += check_cluster(s)
    problems += check_keys_and_registry(s)
    problems += check_ci(s)
    registry_host = f"{s['accountId']}.dkr.ecr.{region}.amazonaws.com"
    problems += check_services(s, registry_host)
    problems += check_database(s)
    problems += check_backups(s, registry_host, stack)
    problems += check_admission_and_gitops(s, sso_secret_set)
    if sso_secret_set and not sso_secret_is_secret:
        problems.append(_problem("argocdSsoClientSecret", "(plaintext value hidden)", "a secret value only: pulumi config set --secret argocdSsoClientSecret"))
    return problems
