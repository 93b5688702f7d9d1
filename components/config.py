"""The stack's settings as one frozen, typed object, loaded and validated before anything is created.

Pulumi.yaml declares every setting with its type, description and default (the CLI, and the
offline engine, merge those defaults in). This module turns the raw strings Pulumi hands the
program into typed values and runs every check in components/config_rules.py, so one run reports
every problem at once: keys the program does not read (of any namespace), secrets that are not
secure values, wrong types, bad values. No problem ever shows a secret value.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from components.audit_detections import DEFAULT_THRESHOLDS
from components.config_rules import (
    HIDDEN, PROJECT, PROVIDER_SETTINGS, SETTINGS, AppContract, ConfigProblem, check_keys, check_settings, parse_contract,
    problem,
)


# A message lists this many problems; a file with thousands of bad entries must not make a huge one.
SHOWN_PROBLEMS = 100
# This repository's apps; each that declares what it needs (contract.yaml) is checked against the
# services that run its image.
APP_DIR = Path(__file__).resolve().parent.parent / "app"


class ConfigError(Exception):
    """Stack settings are invalid; carries every problem found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        lines = [f"  - {p}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"  - ... and {len(problems) - SHOWN_PROBLEMS} more")
        super().__init__(f"invalid stack configuration ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n" + "\n".join(lines))


@dataclass(frozen=True)
class Resources:
    requests: Mapping[str, str]
    limits: Mapping[str, str]


@dataclass(frozen=True)
class Service:
    name: str
    image: str
    port: int
    replicas: int
    resources: Resources
    calls: tuple[str, ...]
    # Liveness probe path, and the readiness probe's (the same unless the app serves its own).
    health_path: str
    readiness_path: str
    env: Mapping[str, str]
    # Variable name -> key of the app secret synced by External Secrets: the key is mounted as a
    # read-only file and the variable holds its path.
    secret_files: Mapping[str, str]
    # Networks outside the cluster allowed to reach this service (e.g. the load balancer's subnets).
    ingress_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class GitOpsSettings:
    repo_url: str
    path: str
    revision: str
    sso_issuer: str
    sso_client_id: str
    sso_client_secret: pulumi.Output[str] | None
    url: str
    admin_groups: tuple[str, ...]
    readonly_groups: tuple[str, ...]

    @property
    def sso_enabled(self) -> bool:
        return self.sso_client_secret is not None


@dataclass(frozen=True)
class BackupSettings:
    schedule: str
    retention_days: int
    max_age_hours: int
    image: str
    restore_drill_schedule: str


@dataclass(frozen=True)
class DetectionSettings:
    # Email addresses subscribed to the security alarm topic.
    subscribers: tuple[str, ...]
    # Detection name -> events in one alarm period that raise the alarm (defaults where not set).
    thresholds: Mapping[str, int]
    # The organisation's delegated administrator runs GuardDuty for this account; the stack
    # creates no detector but still routes the account's findings to its topic.
    guardduty_managed_centrally: bool


@dataclass(frozen=True)
class SupplyChainSettings:
    # Names of the cosign KMS keys, the current one first; admission trusts every one of them.
    signing_keys: tuple[str, ...]
    # Admission refuses an image whose newest vulnerability-scan attestation is older than this.
    scan_max_age_hours: int


@dataclass(frozen=True)
class CiSettings:
    provider: str
    repository: str
    branch: str
    oidc_provider_arn: str
    azure_devops_organization_id: str
    azure_devops_service_connection: str


@dataclass(frozen=True)
class StackConfig:
    stack: str
    environment: str
    region: str
    account_id: str
    name_prefix: str
    az_count: int
    vpc_cidr: str
    private_subnet_cidrs: tuple[str, ...]
    public_subnet_cidrs: tuple[str, ...]
    nat_gateway_mode: str
    kubernetes_version: str
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    node_disk_size_gib: int
    node_capacity_type: str
    log_retention_days: int
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    cluster_admin_principal_arns: tuple[str, ...]
    cluster_viewer_principal_arns: tuple[str, ...]
    kms_deletion_window_days: int
    ecr_images: tuple[str, ...]
    ecr_keep_image_count: int
    ecr_untagged_expiry_days: int
    ci: CiSettings
    allowed_image_registries: tuple[str, ...]
    services: Mapping[str, Service]
    kyverno_failure_action: str
    gitops: GitOpsSettings
    backup: BackupSettings
    evidence_retention_days: int
    detection: DetectionSettings
    supply_chain: SupplyChainSettings

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def resource_prefix(self) -> str:
        """Physical-name prefix of this stack, e.g. devsecops-dev."""
        return f"{self.name_prefix}-{self.stack}"

    @property
    def registry_host(self) -> str:
        return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com"

    @property
    def cluster_name(self) -> str:
        return self.resource_prefix


class _RawSettings:
    """Reads raw values and records a problem, instead of raising, when a value has the wrong type."""

    def __init__(self, config: Mapping[str, str], problems: list[ConfigProblem]):
        self._config = config
        self._problems = problems

    def read(self, name: str, kind: str) -> Any:
        parse, allowed, fallback = _KINDS[kind]
        raw = self._config.get(f"{PROJECT}:{name}")
        if raw is None:
            self._problems.append(problem(name, None, f"{allowed} (the setting is missing; Pulumi.yaml declares its default)"))
            return fallback()
        try:
            return parse(raw)
        except (ValueError, TypeError, OverflowError, RecursionError):
            self._problems.append(problem(name, raw, allowed))
            return fallback()


def _parse_string(raw: str) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


def _parse_int(raw: str) -> int:
    value = json.loads(raw)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ValueError(raw)
    return int(value)


def _parse_bool(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(raw)
    return raw == "true"


def _parse_string_list(raw: str) -> tuple[str, ...]:
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(raw)
    return tuple(value)


def _parse_mapping(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(raw)
    return value


# Pulumi.yaml type -> (parse the raw string, what is allowed, value to go on checking with)
_KINDS: dict[str, tuple[Callable[[str], Any], str, Callable[[], Any]]] = {
    "string": (_parse_string, "a string", str),
    "integer": (_parse_int, "a whole number", int),
    "boolean": (_parse_bool, "true or false", bool),
    "array": (_parse_string_list, "a list of strings", tuple),
    "object": (_parse_mapping, "a mapping of names to settings", dict),
}


@lru_cache(maxsize=1)
def app_contracts() -> tuple[dict[str, AppContract], tuple[ConfigProblem, ...]]:
    """What each app in app/ declares it needs, by app name, and the contract files that cannot be read."""
    contracts, problems = {}, []
    for path in sorted(APP_DIR.glob("*/contract.yaml")):
        try:
            doc = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as error:
            problems.append(problem(f"app/{path.parent.name}/contract.yaml", None, f"a readable YAML file ({error})"))
            continue
        parsed = parse_contract(path.parent.name, doc)
        if isinstance(parsed, AppContract):
            contracts[parsed.app] = parsed
        else:
            problems.append(parsed)
    return contracts, tuple(problems)


def read_settings(config: Mapping[str, str], secret_keys: Collection[str], stack: str) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The project settings by name, typed, and every problem with them and with the other keys.

    A pure function of the flat config map Pulumi hands a program ("namespace:key" -> string),
    so the offline gate and tests run exactly what `pulumi up` runs.
    """
    problems = check_keys(config, secret_keys)
    # Secret values are checked only for being set: no check, and so no message, ever holds one
    # (an accountId given as a secret would otherwise reappear inside the registry host).
    visible = {key: HIDDEN if key in secret_keys else value for key, value in config.items()}
    raw = _RawSettings(visible, problems)
    settings = {name: raw.read(name, kind) for name, kind in SETTINGS.items()}
    provider = {key: visible[key] for key in PROVIDER_SETTINGS if key in visible}
    contracts, unreadable = app_contracts()
    problems += [*unreadable, *check_settings(settings, provider, stack, secret_keys, contracts)]
    return settings, problems


def _runtime_config() -> dict[str, str]:
    """Every config key the engine handed this program, of every namespace.

    pulumi.Config only answers for keys asked by name; unknown keys (a misspelt setting) are found
    only by listing what the engine passed: set explicitly (the mock engine, newer language hosts)
    or in PULUMI_CONFIG.
    """
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_config() -> StackConfig:
    """Loads and validates the current stack's settings; raises ConfigError listing every problem."""
    config = _runtime_config()
    secret_keys = {key for key in config if pulumi.runtime.is_config_secret(key)}
    stack = pulumi.get_stack()
    settings, problems = read_settings(config, secret_keys, stack)
    if problems:
        raise ConfigError(problems)
    sso_secret = pulumi.Config().get_secret("argocdSsoClientSecret") if settings["argocdSsoClientSecret"] else None
    return _build(settings, config["aws:region"], stack, sso_secret)


def _build(s: dict[str, Any], region: str, stack: str, sso_secret: pulumi.Output[str] | None) -> StackConfig:
    services = {
        name: Service(
            name=name,
            image=spec["image"],
            port=int(spec["port"]),
            replicas=int(spec["replicas"]),
            resources=Resources(
                requests=dict(spec["resources"]["requests"]), limits=dict(spec["resources"]["limits"])
            ),
            calls=tuple(spec.get("calls", ())),
            health_path=spec.get("healthPath", "/healthz"),
            readiness_path=spec.get("readinessPath", spec.get("healthPath", "/healthz")),
            env=dict(spec.get("env", {})),
            secret_files=dict(spec.get("secretFiles", {})),
            ingress_cidrs=tuple(spec.get("ingressCidrs", ())),
        )
        for name, spec in s["services"].items()
    }
    return StackConfig(
        stack=stack,
        environment=s["environment"],
        region=region,
        account_id=s["accountId"],
        name_prefix=s["namePrefix"],
        az_count=s["azCount"],
        vpc_cidr=s["vpcCidr"],
        private_subnet_cidrs=s["privateSubnetCidrs"][: s["azCount"]],
        public_subnet_cidrs=s["publicSubnetCidrs"][: s["azCount"]],
        nat_gateway_mode=s["natGatewayMode"],
        kubernetes_version=s["kubernetesVersion"],
        node_instance_types=s["nodeInstanceTypes"],
        node_min_size=s["nodeMinSize"],
        node_desired_size=s["nodeDesiredSize"],
        node_max_size=s["nodeMaxSize"],
        node_disk_size_gib=s["nodeDiskSizeGib"],
        node_capacity_type=s["nodeCapacityType"],
        log_retention_days=s["logRetentionDays"],
        endpoint_public_access=s["endpointPublicAccess"],
        public_access_cidrs=s["publicAccessCidrs"],
        cluster_admin_principal_arns=s["clusterAdminPrincipalArns"],
        cluster_viewer_principal_arns=s["clusterViewerPrincipalArns"],
        kms_deletion_window_days=s["kmsDeletionWindowDays"],
        ecr_images=s["ecrImages"],
        ecr_keep_image_count=s["ecrKeepImageCount"],
        ecr_untagged_expiry_days=s["ecrUntaggedExpiryDays"],
        ci=CiSettings(
            provider=s["ciProvider"],
            repository=s["ciRepository"],
            branch=s["ciBranch"],
            oidc_provider_arn=s["ciOidcProviderArn"],
            azure_devops_organization_id=s["ciAzureDevOpsOrganizationId"],
            azure_devops_service_connection=s["ciAzureDevOpsServiceConnection"],
        ),
        allowed_image_registries=s["allowedImageRegistries"],
        services=services,
        kyverno_failure_action=s["kyvernoFailureAction"],
        gitops=GitOpsSettings(
            repo_url=s["argocdRepoUrl"],
            path=s["argocdRepoPath"],
            revision=s["argocdRepoRevision"],
            sso_issuer=s["argocdSsoIssuer"],
            sso_client_id=s["argocdSsoClientId"],
            sso_client_secret=sso_secret,
            url=s["argocdUrl"],
            admin_groups=s["argocdAdminGroups"],
            readonly_groups=s["argocdReadonlyGroups"],
        ),
        backup=BackupSettings(
            schedule=s["backupSchedule"],
            retention_days=s["backupRetentionDays"],
            max_age_hours=s["backupMaxAgeHours"],
            image=s["backupImage"],
            restore_drill_schedule=s["restoreDrillSchedule"],
        ),
        evidence_retention_days=s["evidenceRetentionDays"],
        detection=DetectionSettings(
            subscribers=s["alarmSubscribers"],
            thresholds={**DEFAULT_THRESHOLDS, **s["auditAlarmThresholds"]},
            guardduty_managed_centrally=s["guardDutyManagedCentrally"],
        ),
        supply_chain=SupplyChainSettings(
            signing_keys=s["cosignKeys"], scan_max_age_hours=s["vulnerabilityScanMaxAgeHours"],
        ),
    )
