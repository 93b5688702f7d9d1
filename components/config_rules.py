"""Checks on stack settings. Each check returns problems naming the setting, the value and what is allowed.

Pure functions over plain values, so they are tested without any Pulumi runtime. Every value here
comes from a stack file a pull request can change: checks accept values of any type and report a
wrong one, and a problem never shows a value that may be a secret.
"""
from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, Collection, Iterable, Mapping

from components.audit_detections import DETECTION_NAMES, PERIOD_SECONDS
from policies.networks import open_reasons
from policies.secret_names import looks_secret

PROJECT = "devsecops-platform"

# Every setting of the project namespace, with the type Pulumi.yaml declares for it ("object" for
# the untyped object settings). The loader reads exactly these; any other key is an error.
SETTINGS = {
    "environment": "string",
    "accountId": "string",
    "namePrefix": "string",
    "azCount": "integer",
    "vpcCidr": "string",
    "privateSubnetCidrs": "array",
    "publicSubnetCidrs": "array",
    "natGatewayMode": "string",
    "kubernetesVersion": "string",
    "nodeInstanceTypes": "array",
    "nodeMinSize": "integer",
    "nodeDesiredSize": "integer",
    "nodeMaxSize": "integer",
    "nodeDiskSizeGib": "integer",
    "nodeCapacityType": "string",
    "logRetentionDays": "integer",
    "endpointPublicAccess": "boolean",
    "publicAccessCidrs": "array",
    "clusterAdminPrincipalArns": "array",
    "clusterViewerPrincipalArns": "array",
    "kmsDeletionWindowDays": "integer",
    "ecrImages": "array",
    "ecrKeepImageCount": "integer",
    "ecrUntaggedExpiryDays": "integer",
    "ciProvider": "string",
    "ciRepository": "string",
    "ciBranch": "string",
    "ciOidcProviderArn": "string",
    "ciAzureDevOpsOrganizationId": "string",
    "ciAzureDevOpsServiceConnection": "string",
    "allowedImageRegistries": "array",
    "argocdSsoClientSecret": "string",
    "services": "object",
    "kyvernoFailureAction": "string",
    "argocdRepoUrl": "string",
    "argocdRepoPath": "string",
    "argocdRepoRevision": "string",
    "argocdSsoIssuer": "string",
    "argocdSsoClientId": "string",
    "argocdUrl": "string",
    "argocdAdminGroups": "array",
    "argocdReadonlyGroups": "array",
    "backupSchedule": "string",
    "restoreDrillSchedule": "string",
    "backupRetentionDays": "integer",
    "backupMaxAgeHours": "integer",
    "backupImage": "string",
    "evidenceRetentionDays": "integer",
    "alarmSubscribers": "array",
    "auditAlarmThresholds": "object",
    "guardDutyManagedCentrally": "boolean",
    "vulnerabilityScanMaxAgeHours": "integer",
    "cosignKeys": "array",
}
# The only settings that hold a secret; only they may be (and they must be) `secure:` values.
SECRET_SETTINGS = ("argocdSsoClientSecret",)
# Keys of other namespaces a stack may set. The program uses the default AWS provider, so these
# configure it: where it deploys, which local credentials profile, and the accounts it may touch.
# Everything else (aws:endpoints, aws:accessKey, kubernetes:*, pulumi:*) would change what a run
# does without this loader seeing it, so it is an error.
PROVIDER_SETTINGS = ("aws:region", "aws:profile", "aws:allowedAccountIds")
# Setting names by namespace, for "did you mean".
_NAMES_BY_NAMESPACE = {PROJECT: tuple(SETTINGS), "aws": tuple(k.split(":", 1)[1] for k in PROVIDER_SETTINGS)}

ENVIRONMENTS = ("dev", "staging", "prod")  # weakest first
# Stacks that are production whatever their `environment` says. A stack whose name has the word
# prod or production in it (prod, prod-eu, eu_production) is production too. The list lives in
# code, not in a stack setting, so the stack file it binds cannot change it.
PRODUCTION_STACKS = ("prod",)
_PRODUCTION_WORD = re.compile(r"(^|[-_.])(prod|production)($|[-_.])", re.IGNORECASE)

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
MAX_AZ_COUNT = 6
# Patterns are matched whole (fullmatch) and ASCII only: "$" would accept a trailing newline and
# \d any Unicode digit.
CPU_QUANTITY = re.compile(r"[0-9]+m|[0-9]+(\.[0-9]+)?", re.ASCII)
MEMORY_QUANTITY = re.compile(r"[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?", re.ASCII)

_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]", re.ASCII)
_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)
_AWS_PROFILE = re.compile(r"[A-Za-z0-9_.+-]{1,64}", re.ASCII)
_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]{1,19}", re.ASCII)
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+", re.ASCII)
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+", re.ASCII)
_OIDC_PROVIDER_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/[\w./-]+", re.ASCII)
_REPO_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", re.ASCII)
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", re.ASCII)
_GIT_BRANCH = re.compile(r"[A-Za-z0-9._/-]+", re.ASCII)
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)
_AZDO_CONNECTION = re.compile(r"[^/\s]+/[^/\s]+/[^/\s]+", re.ASCII)
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
# An image digest is exactly this: 63 or 65 hex digits, or upper case, pin nothing.
_SHA256_DIGEST = re.compile(r"sha256:[0-9a-f]{64}", re.ASCII)
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
# registry host[:port], then lower-case path components (the distribution reference grammar).
_IMAGE_REPOSITORY = re.compile(r"[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+", re.ASCII)
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", re.ASCII)
_REGISTRY_PREFIX = re.compile(r"[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*", re.ASCII)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_HTTP_PATH = re.compile(r"/[A-Za-z0-9._~/-]*", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,5}", re.ASCII)
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/%-]*)?", re.ASCII)
_GIT_REVISION = re.compile(r"[A-Za-z0-9._/-]+", re.ASCII)
_CRON_FIELD = re.compile(r"[0-9*/,-]+", re.ASCII)
# A URL carrying a password (postgres://app:hunter2@db/app): a secret whatever the variable is called.
_CREDENTIAL_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.ASCII)

KYVERNO_FAILURE_ACTIONS = ("Enforce", "Audit")
# The service the database component runs as a StatefulSet; every other service is a Deployment.
DATABASE_SERVICE = "postgres"
# Keys of the app secret that External Secrets syncs from Secrets Manager; secretFiles may name only these.
APP_SECRET_KEYS = ("db-password",)
PROD_MIN_BACKUP_RETENTION_DAYS = 30
# Audit evidence outlives a year of audits; Object Lock keeps it that long even from the account root.
PROD_MIN_EVIDENCE_RETENTION_DAYS = 365
MAX_ALARM_THRESHOLD = 10000
# A vulnerability scan older than a week no longer says what is known today; the images pipeline
# scans every deployed digest again daily, so a week leaves room for a failed night or two.
PROD_MAX_SCAN_AGE_HOURS = 168
# The current signing key and the keys it replaces while images are re-signed (an overlap, not a history).
MAX_SIGNING_KEYS = 3
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", re.ASCII)
# "cosign" or "cosign-<suffix>": never the name of another key of the stack.
_KEY_NAME = re.compile(r"cosign(-[a-z0-9]{1,20})?", re.ASCII)
# What a service, its resources and each of requests/limits may hold; anything else is an error
# (a misspelt ingressCidrs would otherwise silently mean "no ingress rule", a privileged: true
# would silently do nothing while a reader believes it does).
SERVICE_KEYS = ("image", "port", "replicas", "resources", "calls", "healthPath", "readinessPath", "env", "secretFiles",
                "ingressCidrs")
RESOURCE_KINDS = ("requests", "limits")
RESOURCE_NAMES = ("cpu", "memory")

HIDDEN = "(value hidden)"
SUGGESTED_KEYS = 100
_SHOWN_ITEMS = 8  # entries of a mapping or list a problem shows
_SHOWN_CHARS = 160  # characters of a string a problem shows
_SHOWN_LEVELS = 3


@dataclass(frozen=True)
class ConfigProblem:
    """One invalid setting: its key, the value as shown (bounded, secrets hidden), what is allowed."""

    key: str
    shown: str
    allowed: str

    def __str__(self) -> str:
        return _printable(f"{self.key}: got {self.shown}; allowed: {self.allowed}")


def problem(name: str, value: Any, allowed: str) -> ConfigProblem:
    """A problem with `name` (project settings may omit the namespace); the value is shown only as
    far as it is safe: never under a secret-looking name, never a URL with a password, never long."""
    key = f"{PROJECT}:{name}" if re.split(r"[.\[]", name, maxsplit=1)[0] in SETTINGS else name
    shown = "(not set)" if value is None else HIDDEN if looks_secret(_leaf(key)) else _render(value, _SHOWN_LEVELS)
    return ConfigProblem(_bounded(key), shown, allowed)


def hidden(found: ConfigProblem) -> ConfigProblem:
    return replace(found, shown=HIDDEN)


def _leaf(key: str) -> str:
    """The last name in a key path: DB_PASS of devsecops-platform:services.backend.env.DB_PASS."""
    name = key.split(":", 1)[-1]
    return re.sub(r"(\[[0-9]+\])+$", "", name).rsplit(".", 1)[-1]


def _render(value: Any, levels: int) -> str:
    """A bounded repr that hides secret-looking entries and credential URLs at every level shown."""
    if isinstance(value, str):
        if _CREDENTIAL_URL.search(value):
            return HIDDEN
        return repr(value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "...")
    if not isinstance(value, (dict, list)):
        return _bounded(repr(value))
    if levels <= 0:
        return "{...}" if isinstance(value, dict) else "[...]"
    more = ", ..." if len(value) > _SHOWN_ITEMS else ""
    if isinstance(value, dict):
        entries = (f"{_render(k, 1)}: {HIDDEN if looks_secret(k) else _render(v, levels - 1)}"
                   for k, v in islice(value.items(), _SHOWN_ITEMS))
        return "{" + ", ".join(entries) + more + "}"
    return "[" + ", ".join(_render(v, levels - 1) for v in islice(value, _SHOWN_ITEMS)) + more + "]"


def _bounded(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def _printable(text: str) -> str:
    """Control characters from a stack file (terminal escapes, newlines in a key) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt name (case-insensitive), when one is close."""
    if len(name) > 100:  # nobody misspells a setting by a hundred characters; keeps difflib cheap
        return None
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.75)
    return by_lower[close[0]] if close else None


def _unknown(name: str, choices: Iterable[str], what: str) -> str:
    choices = tuple(choices)
    close = did_you_mean(name, choices)
    hint = f"; did you mean {close}?" if close else ""
    return f"no such setting{hint} ({what}: {', '.join(choices)})"


def _in_range(name: str, value: int, low: int, high: int) -> list[ConfigProblem]:
    return [] if low <= value <= high else [problem(name, value, f"a whole number from {low} to {high}")]


def _one_of(name: str, value: str, choices: Iterable[Any]) -> list[ConfigProblem]:
    choices = tuple(choices)
    return [] if value in choices else [problem(name, value, "one of " + ", ".join(map(str, choices)))]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_production_stack(stack: str) -> bool:
    return stack in PRODUCTION_STACKS or _PRODUCTION_WORD.search(stack) is not None


def environment_class(environment: str, stack: str) -> str:
    """The environment a stack is judged as: prod for a production stack whatever it declares, and
    for a declaration that names no environment class (the strictest, never a guess)."""
    if is_production_stack(stack) or environment not in ENVIRONMENTS:
        return "prod"
    return environment


def check_keys(config: Mapping[str, str], secret_keys: Collection[str]) -> list[ConfigProblem]:
    """Every key is a known setting; secrets come only as secure values, and only secrets do."""
    known = {f"{PROJECT}:{name}" for name in SETTINGS} | set(PROVIDER_SETTINGS)
    problems = []
    unknown = 0
    for key in sorted(config):
        value = config[key]
        if key not in known:
            # Suggestions cost a string comparison per setting: a file of thousands of unknown keys
            # gets them for as many as a message shows.
            unknown += 1
            problems.append(problem(key, value, _unknown_key(key) if unknown <= SUGGESTED_KEYS else "no such setting"))
        elif key in secret_keys and key.split(":", 1)[1] not in SECRET_SETTINGS:
            problems.append(hidden(problem(key, value, "a plain value: this setting holds no secret "
                                           "(and a secure value could not be checked)")))
        elif looks_secret(key.split(":", 1)[1]) and key not in secret_keys and value:
            problems.append(problem(key, value, f"a secret value only: pulumi config set --secret {key}"))
    return problems


def _unknown_key(key: str) -> str:
    namespace, _, name = key.partition(":")
    if namespace not in _NAMES_BY_NAMESPACE:
        namespace = did_you_mean(namespace, _NAMES_BY_NAMESPACE) or namespace
    close = did_you_mean(name, _NAMES_BY_NAMESPACE.get(namespace, ()))
    if close:
        return f"no such setting; did you mean {namespace}:{close}?"
    if namespace == PROJECT:
        return "no such setting (Pulumi.yaml declares every setting the program reads)"
    return f"no such setting (outside {PROJECT}: only {', '.join(PROVIDER_SETTINGS)})"


def check_provider(provider: Mapping[str, str], account_id: str) -> list[ConfigProblem]:
    region = provider.get("aws:region", "")
    problems = []
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        problems.append(problem("aws:region", region or None, "an AWS region such as eu-west-1 (pulumi config set aws:region ...)"))
    profile = provider.get("aws:profile")
    if profile is not None and not (isinstance(profile, str) and _AWS_PROFILE.fullmatch(profile)):
        problems.append(problem("aws:profile", profile, "the name of an AWS credentials profile"))
    allowed = provider.get("aws:allowedAccountIds")
    if allowed is not None:
        problems += _check_allowed_accounts(allowed, account_id)
    return problems


def _check_allowed_accounts(raw: Any, account_id: str) -> list[ConfigProblem]:
    try:
        accounts = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        accounts = None
    if not isinstance(accounts, list) or not all(isinstance(a, str) and _ACCOUNT.fullmatch(a) for a in accounts):
        return [problem("aws:allowedAccountIds", raw, "a list of quoted 12-digit AWS account ids")]
    if account_id not in accounts:
        return [problem("aws:allowedAccountIds", accounts, f"a list that includes accountId ({account_id}), or no list")]
    return []


def check_environment(environment: str, stack: str) -> list[ConfigProblem]:
    """The environment class is bound to the stack: a production stack is judged as prod, always."""
    problems = _one_of("environment", environment, ENVIRONMENTS)
    if is_production_stack(stack) and environment != "prod":
        problems.append(problem("environment", environment, f"prod: stack {stack!r} is a production stack "
                                "(components/config_rules.py PRODUCTION_STACKS, or prod in its name), which "
                                "cannot declare a weaker environment"))
    return problems


def _ipv4_network(value: Any) -> ipaddress.IPv4Network | None:
    if not isinstance(value, str):  # ipaddress would also take an int or a tuple
        return None
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return None


def _networks(name: str, cidrs: Iterable[Any]) -> tuple[list[ConfigProblem], list[ipaddress.IPv4Network]]:
    problems, networks = [], []
    for index, cidr in enumerate(cidrs):
        network = _ipv4_network(cidr)
        if network is None:
            problems.append(problem(f"{name}[{index}]", cidr, "an IPv4 network in CIDR form with no host bits set, e.g. 10.0.0.0/19"))
        else:
            networks.append(network)
    return problems, networks


def _open_to_internet(name: str, cidrs: list[Any], allowed: str) -> list[ConfigProblem]:
    """CIDRs open to the internet, judged as config, the pack and verify judge them: any one too
    broad is named by index; a set that is open only together (two halves) is named as a whole."""
    problems = []
    for index, cidr in enumerate(cidrs):
        reasons = open_reasons([cidr])
        if reasons:
            problems.append(problem(f"{name}[{index}]", cidr, f"{allowed} ({'; '.join(reasons)})"))
    if not problems:
        reasons = open_reasons(cidrs)
        if reasons:
            problems.append(problem(name, cidrs, f"{allowed} ({'; '.join(reasons)})"))
    return problems


def check_network(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _in_range("azCount", s["azCount"], 2, MAX_AZ_COUNT)
    if s["environment"] == "prod" and s["azCount"] < 3:
        problems.append(problem("azCount", s["azCount"], "3 or more when environment is prod"))
    problems += _one_of("natGatewayMode", s["natGatewayMode"], NAT_GATEWAY_MODES)
    if s["environment"] == "prod" and s["natGatewayMode"] != "perAz":
        problems.append(problem("natGatewayMode", s["natGatewayMode"], "perAz when environment is prod"))

    vpc = _ipv4_network(s["vpcCidr"])
    if vpc is None:
        return problems + [problem("vpcCidr", s["vpcCidr"], "an IPv4 network in CIDR form, /16 to /24, e.g. 10.0.0.0/16")]
    if not 16 <= vpc.prefixlen <= 24:
        problems.append(problem("vpcCidr", s["vpcCidr"], "a prefix length from /16 to /24 (what AWS allows for a VPC)"))

    # Only as many subnets as AZs are used; never more than the most AZs, so overlap checks stay small.
    used = min(max(s["azCount"], 0), MAX_AZ_COUNT)
    placed: list[tuple[str, ipaddress.IPv4Network]] = []
    for name in ("privateSubnetCidrs", "publicSubnetCidrs"):
        cidrs = list(s[name])
        if len(cidrs) < s["azCount"]:
            problems.append(problem(name, cidrs, f"at least azCount ({s['azCount']}) CIDRs, one per AZ"))
        bad, networks = _networks(name, cidrs[:used])
        problems += bad
        for index, net in enumerate(networks):
            label = f"{name}[{index}]"
            if not net.subnet_of(vpc):
                problems.append(problem(label, str(net), f"a network inside vpcCidr {vpc}"))
            if not 16 <= net.prefixlen <= 28:
                problems.append(problem(label, str(net), "a prefix length from /16 to /28 (what AWS allows for a subnet)"))
            for other_label, other in placed:
                if net.overlaps(other):
                    problems.append(problem(label, str(net), f"a network that does not overlap {other_label} ({other})"))
            placed.append((label, net))
    return problems


def check_cluster(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _one_of("kubernetesVersion", s["kubernetesVersion"], SUPPORTED_KUBERNETES_VERSIONS)
    if not s["nodeInstanceTypes"]:
        problems.append(problem("nodeInstanceTypes", [], "at least one EC2 instance type, e.g. m6i.large"))
    for index, itype in enumerate(s["nodeInstanceTypes"]):
        if not _INSTANCE_TYPE.fullmatch(itype):
            problems.append(problem(f"nodeInstanceTypes[{index}]", itype, "an EC2 instance type such as m6i.large"))
    problems += _in_range("nodeMinSize", s["nodeMinSize"], 1, 100)
    problems += _in_range("nodeMaxSize", s["nodeMaxSize"], 1, 100)
    if not s["nodeMinSize"] <= s["nodeDesiredSize"] <= s["nodeMaxSize"]:
        problems.append(problem(
            "nodeDesiredSize", s["nodeDesiredSize"],
            f"a size between nodeMinSize ({s['nodeMinSize']}) and nodeMaxSize ({s['nodeMaxSize']})",
        ))
    problems += _in_range("nodeDiskSizeGib", s["nodeDiskSizeGib"], 20, 16384)
    problems += _one_of("nodeCapacityType", s["nodeCapacityType"], CAPACITY_TYPES)
    problems += _one_of("logRetentionDays", s["logRetentionDays"], CLOUDWATCH_RETENTION_DAYS)
    if s["environment"] == "prod" and s["logRetentionDays"] < PROD_MIN_LOG_RETENTION_DAYS:
        problems.append(problem("logRetentionDays", s["logRetentionDays"], f"{PROD_MIN_LOG_RETENTION_DAYS} or more when environment is prod"))
    problems += check_endpoint(s)
    for name in ("clusterAdminPrincipalArns", "clusterViewerPrincipalArns"):
        for index, arn in enumerate(s[name]):
            if not _PRINCIPAL_ARN.fullmatch(arn):
                problems.append(problem(f"{name}[{index}]", arn, "an IAM role or user ARN, e.g. arn:aws:iam::111111111111:role/platform-admin"))
    return problems


def check_endpoint(s: dict[str, Any]) -> list[ConfigProblem]:
    cidrs = list(s["publicAccessCidrs"])
    if not s["endpointPublicAccess"]:
        if cidrs:
            return [problem("publicAccessCidrs", cidrs, "an empty list while endpointPublicAccess is false (the CIDRs would be ignored)")]
        return []
    if not cidrs:
        return [problem("publicAccessCidrs", cidrs, "an explicit list of allowed networks when endpointPublicAccess is true")]
    problems = []
    for index, cidr in enumerate(cidrs):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            problems.append(problem(f"publicAccessCidrs[{index}]", cidr, "a network in CIDR form, e.g. 203.0.113.0/24"))
    if problems or s["environment"] != "prod":
        # Outside prod an open endpoint is an explicit choice the pack's eks-public-endpoint-restricted flags.
        return problems
    return _open_to_internet("publicAccessCidrs", cidrs, "specific networks, never the whole internet, when environment is prod")


def check_keys_and_registry(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _in_range("kmsDeletionWindowDays", s["kmsDeletionWindowDays"], 7, 30)
    if s["environment"] == "prod" and s["kmsDeletionWindowDays"] != 30:
        problems.append(problem("kmsDeletionWindowDays", s["kmsDeletionWindowDays"], "30 when environment is prod"))
    if not s["ecrImages"]:
        problems.append(problem("ecrImages", [], "at least one image name"))
    if len(set(s["ecrImages"])) != len(s["ecrImages"]):
        problems.append(problem("ecrImages", s["ecrImages"], "names without repeats"))
    for index, image in enumerate(s["ecrImages"]):
        if not _REPO_NAME.fullmatch(image):
            problems.append(problem(f"ecrImages[{index}]", image, "lower-case letters and digits separated by . _ or -"))
    problems += _in_range("ecrKeepImageCount", s["ecrKeepImageCount"], 1, 1000)
    problems += _in_range("ecrUntaggedExpiryDays", s["ecrUntaggedExpiryDays"], 1, 365)
    return problems


def check_ci(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _one_of("ciProvider", s["ciProvider"], CI_PROVIDERS)
    if s["ciOidcProviderArn"] and not _OIDC_PROVIDER_ARN.fullmatch(s["ciOidcProviderArn"]):
        problems.append(problem("ciOidcProviderArn", s["ciOidcProviderArn"], "empty (create the provider) or an IAM OIDC provider ARN"))
    if s["ciProvider"] == "github":
        if not _GITHUB_REPOSITORY.fullmatch(s["ciRepository"]):
            problems.append(problem("ciRepository", s["ciRepository"], "owner/repository of the GitHub repository whose workflows deploy"))
        if not _GIT_BRANCH.fullmatch(s["ciBranch"]):
            problems.append(problem("ciBranch", s["ciBranch"], "one branch name, no wildcards (the role trust is pinned to it)"))
    elif s["ciProvider"] == "azure-devops":
        if not _GUID.fullmatch(s["ciAzureDevOpsOrganizationId"]):
            problems.append(problem("ciAzureDevOpsOrganizationId", s["ciAzureDevOpsOrganizationId"], "the Azure DevOps organization id, a GUID"))
        if not _AZDO_CONNECTION.fullmatch(s["ciAzureDevOpsServiceConnection"]):
            problems.append(problem("ciAzureDevOpsServiceConnection", s["ciAzureDevOpsServiceConnection"], "organization/project/service-connection"))
    return problems


def _split_image(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference repository[:tag][@digest]."""
    name, at, digest = image.partition("@")
    head, slash, last = name.rpartition("/")
    last, colon, tag = last.partition(":")
    return head + slash + last, tag if colon else None, digest if at else None


def check_image(name: str, image: Any, registry_host: str, allowed_registries: Iterable[str]) -> list[ConfigProblem]:
    """An image must be pinned: by digest, or by a tag of this stack's ECR registry (tags there are immutable)."""
    if not isinstance(image, str) or not image:
        return [problem(name, image, "an image reference pinned by digest (repo@sha256:<64 hex>)")]
    repository, tag, digest = _split_image(image)
    own_registry = repository.startswith(registry_host + "/")
    problems = []
    if not _IMAGE_REPOSITORY.fullmatch(repository) or (tag is not None and not _IMAGE_TAG.fullmatch(tag)):
        problems.append(problem(name, image, "an image reference registry/path/name[:tag][@sha256:<64 hex>]"))
    if digest is not None and not _SHA256_DIGEST.fullmatch(digest):
        problems.append(problem(name, image, "a digest of exactly sha256: and 64 lower-case hex digits"))
    if tag == "latest":
        problems.append(problem(name, image, "a digest or an immutable version tag, never latest"))
    elif digest is None and not (own_registry and tag):
        problems.append(problem(name, image, f"a reference pinned by digest (@sha256:<64 hex>), or tagged in this stack's registry {registry_host}"))
    if not own_registry and not any(repository.startswith(prefix.rstrip("/") + "/") for prefix in allowed_registries):
        problems.append(problem(name, image, f"an image from {registry_host} or from allowedImageRegistries"))
    return problems


def check_services(s: dict[str, Any], registry_host: str, stack: str,
                   contracts: Mapping[str, AppContract]) -> list[ConfigProblem]:
    problems = []
    for index, prefix in enumerate(s["allowedImageRegistries"]):
        if not _REGISTRY_PREFIX.fullmatch(prefix):
            problems.append(problem(f"allowedImageRegistries[{index}]", prefix, "a registry host with an optional path, e.g. public.ecr.aws/docker/library"))
    services = s["services"]
    if not services:
        return problems + [problem("services", services, "at least one service")]
    for name, spec in services.items():
        key = f"services.{name}"
        if not _DNS_LABEL.fullmatch(name):
            problems.append(problem(key, name, "a service name that is a DNS label (lower-case letters, digits, -)"))
        if not isinstance(spec, dict):
            problems.append(problem(key, spec, "a mapping with image, port, replicas, resources, calls"))
            continue
        problems += _unknown_keys(key, spec, SERVICE_KEYS, "the settings of a service")
        problems += check_image(f"{key}.image", spec.get("image"), registry_host, s["allowedImageRegistries"])
        port = spec.get("port")
        if not _is_int(port) or not 1 <= port <= 65535:
            problems.append(problem(f"{key}.port", port, "a port number from 1 to 65535"))
        replicas = spec.get("replicas")
        if not _is_int(replicas) or not 1 <= replicas <= 50:
            problems.append(problem(f"{key}.replicas", replicas, "a whole number from 1 to 50"))
        problems += _check_resources(key, spec.get("resources"))
        problems += _check_env(key, spec)
        problems += _check_ingress(key, spec.get("ingressCidrs", []), s["environment"])
        problems += _check_calls(key, name, spec.get("calls", []), services)
        contract = _contract_of(spec.get("image"), f"{registry_host}/{s['namePrefix']}-{stack}/", contracts)
        if contract is not None:
            problems += check_contract(key, spec, contract)
    return problems


# --- app contracts: what each of this repository's apps needs from the platform ------------------

CONTRACT_KEYS = ("port", "portVariable", "health", "env", "files")
CONTRACT_PROBES = ("liveness", "readiness")
CONTRACT_NEEDS = ("required", "optional")


@dataclass(frozen=True)
class AppContract:
    """app/<app>/contract.yaml: where the app listens, which paths its probes may use, and every
    variable it reads (plain, or naming a file of the app secret), required or optional."""

    app: str
    port: int
    port_variable: str
    liveness_path: str
    readiness_path: str
    env: Mapping[str, str]    # variable -> required | optional
    files: Mapping[str, str]  # variable (set by secretFiles) -> required | optional

    @property
    def source(self) -> str:
        return f"app/{self.app}/contract.yaml"


def parse_contract(app: str, doc: Any) -> AppContract | ConfigProblem:
    """The contract of `app` from its parsed file, or the one problem that makes it unreadable."""
    source = f"app/{app}/contract.yaml"
    shape = (f"a mapping of {', '.join(CONTRACT_KEYS)}: port a number, portVariable and health.liveness/readiness "
             f"strings, env and files mappings of variable names to required or optional")
    if not isinstance(doc, dict) or set(doc) != set(CONTRACT_KEYS):
        return problem(source, doc, shape)
    health, env, files = doc["health"], doc["env"] or {}, doc["files"] or {}
    if (not _is_int(doc["port"]) or not isinstance(doc["portVariable"], str)
            or not isinstance(health, dict) or set(health) != set(CONTRACT_PROBES)
            or not all(isinstance(p, str) and _HTTP_PATH.fullmatch(p) for p in health.values())
            or not all(isinstance(m, dict) and all(_ENV_NAME.fullmatch(str(k)) and v in CONTRACT_NEEDS for k, v in m.items())
                       for m in (env, files))):
        return problem(source, doc, shape)
    return AppContract(app, doc["port"], doc["portVariable"], health["liveness"], health["readiness"], env, files)


def _contract_of(image: Any, repository_prefix: str, contracts: Mapping[str, AppContract]) -> AppContract | None:
    """The contract of the app whose image this is: <registry>/<namePrefix>-<stack>/<app>, any tag or digest."""
    if not isinstance(image, str) or not image.startswith(repository_prefix):
        return None
    repository, _, _ = _split_image(image)
    return contracts.get(repository[len(repository_prefix):])


def check_contract(key: str, spec: dict, contract: AppContract) -> list[ConfigProblem]:
    """A service running one of this repository's images gets what that app needs, and nothing it never reads.

    Judged only where the values have the types the other checks require (they report the rest).
    """
    env, secret_files = spec.get("env", {}), spec.get("secretFiles", {})
    if not (isinstance(env, dict) and isinstance(secret_files, dict) and _is_int(spec.get("port"))):
        return []
    where = f"{contract.app} ({contract.source})"
    problems = []
    port_text = env.get(contract.port_variable)
    if port_text is None or (isinstance(port_text, str) and _DIGITS.fullmatch(port_text)):
        listens = contract.port if port_text is None else int(port_text)
        if spec["port"] != listens:
            problems.append(problem(f"{key}.port", spec["port"], f"{listens}, the port {where} listens on "
                                    f"(default {contract.port}; env {contract.port_variable} moves it)"))
    health = spec.get("healthPath", "/healthz")
    readiness = spec.get("readinessPath", health)
    if isinstance(health, str) and health != contract.liveness_path:
        problems.append(problem(f"{key}.healthPath", health, f"{contract.liveness_path}, the liveness path {where} serves"))
    if isinstance(readiness, str) and readiness != contract.readiness_path:
        problems.append(problem(f"{key}.readinessPath", readiness, f"{contract.readiness_path}, the readiness path "
                                f"{where} serves (readinessPath defaults to healthPath)"))
    problems += _check_variables(f"{key}.env", env, contract.env, contract.files, "env", "secretFiles", where)
    problems += _check_variables(f"{key}.secretFiles", secret_files, contract.files, contract.env, "secretFiles", "env", where)
    return problems


def _check_variables(key: str, given: dict, read: Mapping[str, str], read_elsewhere: Mapping[str, str],
                     setting: str, other: str, where: str) -> list[ConfigProblem]:
    problems = [problem(f"{key}.{name}", None, f"a value: {where} needs it and has no default")
                for name, need in read.items() if need == "required" and name not in given]
    for name, value in given.items():
        # A secret-looking name in plain env is already reported, with how to fix it.
        if name in read or (setting == "env" and looks_secret(name)):
            continue
        if name in read_elsewhere:
            allowed = f"no {name} in {setting}: {where} reads it from {other}"
        else:
            allowed = f"a variable {where} reads: {', '.join(read) or 'none'} (it does not read {name})"
        problems.append(problem(f"{key}.{name}", value, allowed))
    return problems


def _unknown_keys(key: str, mapping: dict, allowed: tuple[str, ...], what: str) -> list[ConfigProblem]:
    return [problem(f"{key}.{name}", value, _unknown(name, allowed, what)) for name, value in mapping.items() if name not in allowed]


def _check_calls(key: str, name: str, calls: Any, services: dict) -> list[ConfigProblem]:
    if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
        return [problem(f"{key}.calls", calls, "a list of service names")]
    wrong = [callee for callee in calls if callee not in services or callee == name]
    if not wrong:
        return []
    # The names are spelled out only while the list is short enough to read (and cheap to build).
    others = sorted(set(services) - {name}) if len(services) <= 21 else []
    allowed = "names of other declared services" + (": " + ", ".join(others) if others else "")
    return [problem(f"{key}.calls", callee, allowed) for callee in wrong]


def _check_env(key: str, spec: dict) -> list[ConfigProblem]:
    """Probe paths, env and secretFiles: what the container is told; no secret ever in plain env."""
    problems = []
    for setting in ("healthPath", "readinessPath"):
        path = spec.get(setting, "/healthz")
        if not isinstance(path, str) or not _HTTP_PATH.fullmatch(path):
            problems.append(problem(f"{key}.{setting}", path, "an HTTP path starting with /, e.g. /healthz"))
    env = spec.get("env", {})
    secret_files = spec.get("secretFiles", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        problems.append(problem(f"{key}.env", env, "a mapping of variable names to string values (quote numbers)"))
        env = env if isinstance(env, dict) else {}
    if not isinstance(secret_files, dict):
        problems.append(problem(f"{key}.secretFiles", secret_files, "a mapping of variable names to keys of the app secret"))
        secret_files = {}
    for name in [*env, *secret_files]:
        if not _ENV_NAME.fullmatch(name):
            problems.append(problem(f"{key}.env", name, "variable names of letters, digits and _, not starting with a digit"))
    for name, value in env.items():
        if looks_secret(name) or (isinstance(value, str) and _CREDENTIAL_URL.search(value)):
            problems.append(problem(f"{key}.env.{name}", value, f"no secret in plain env (anyone who can read the "
                                    f"Deployment reads it): mount it as a file with secretFiles, {name}_FILE: "
                                    f"<key of the app secret>, and have the app read the file"))
    for name in sorted(set(env) & set(secret_files)):
        problems.append(problem(f"{key}.secretFiles", name, "a variable that is not also set in env"))
    for name, secret_key in secret_files.items():
        if not isinstance(secret_key, str) or secret_key not in APP_SECRET_KEYS:
            problems.append(problem(f"{key}.secretFiles.{name}", secret_key, "a key of the app secret: " + ", ".join(APP_SECRET_KEYS)))
    return problems


def _check_ingress(key: str, cidrs: Any, environment: str) -> list[ConfigProblem]:
    name = f"{key}.ingressCidrs"
    if not isinstance(cidrs, list):
        return [problem(name, cidrs, "a list of networks in CIDR form")]
    problems, _ = _networks(name, cidrs)
    if problems or environment != "prod":
        # Outside prod an open ingress is an explicit choice the pack's k8s-network-policy-no-open-ingress flags.
        return problems
    return _open_to_internet(name, cidrs, "the load balancer's networks, never the whole internet, when environment is prod")


def _check_resources(key: str, resources: Any) -> list[ConfigProblem]:
    shape = "requests and limits, each with cpu (e.g. 250m) and memory (e.g. 256Mi)"
    if not isinstance(resources, dict) or not all(isinstance(resources.get(k), dict) for k in RESOURCE_KINDS):
        return [problem(f"{key}.resources", resources, shape)]
    problems = _unknown_keys(f"{key}.resources", resources, RESOURCE_KINDS, "the parts of resources")
    for kind in RESOURCE_KINDS:
        problems += _unknown_keys(f"{key}.resources.{kind}", resources[kind], RESOURCE_NAMES, f"the resources of {kind}")
        for resource, pattern in (("cpu", CPU_QUANTITY), ("memory", MEMORY_QUANTITY)):
            value = resources[kind].get(resource)
            if not isinstance(value, str) or not pattern.fullmatch(value):
                problems.append(problem(f"{key}.resources.{kind}.{resource}", value, f"a Kubernetes {resource} quantity, e.g. {'250m' if resource == 'cpu' else '256Mi'}"))
    return problems


def check_database(s: dict[str, Any]) -> list[ConfigProblem]:
    spec = s["services"].get(DATABASE_SERVICE)
    if not isinstance(spec, dict):
        return [problem("services", sorted(s["services"]), f"a service named {DATABASE_SERVICE} (the database)")]
    replicas = spec.get("replicas")
    if not _is_int(replicas) or replicas != 1:
        return [problem(f"services.{DATABASE_SERVICE}.replicas", replicas, "1 (a single PostgreSQL primary; more replicas would be separate databases)")]
    return []


def _cron_problems(key: str, schedule: str, example: str) -> list[ConfigProblem]:
    fields = schedule.split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        return [problem(key, schedule, f"a five-field cron schedule, e.g. {example}")]
    return []


def check_backups(s: dict[str, Any], registry_host: str, stack: str) -> list[ConfigProblem]:
    problems = _cron_problems("backupSchedule", s["backupSchedule"], "0 2 * * *")
    problems += _cron_problems("restoreDrillSchedule", s["restoreDrillSchedule"], "0 4 * * 0")
    problems += _in_range("backupRetentionDays", s["backupRetentionDays"], 1, 3650)
    problems += _in_range("backupMaxAgeHours", s["backupMaxAgeHours"], 1, 720)
    if s["environment"] == "prod" and s["backupRetentionDays"] < PROD_MIN_BACKUP_RETENTION_DAYS:
        problems.append(problem("backupRetentionDays", s["backupRetentionDays"], f"{PROD_MIN_BACKUP_RETENTION_DAYS} or more when environment is prod"))
    repository = f"{registry_host}/{s['namePrefix']}-{stack}/db-backup@sha256:"
    image = s["backupImage"]
    if not (image.startswith(repository) and _HEX64.fullmatch(image[len(repository):])):
        problems.append(problem("backupImage", image or None, f"the backup image of this stack's ECR repository pinned by digest: {repository}<64 lower-case hex>"))
    return problems


def check_evidence(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _in_range("evidenceRetentionDays", s["evidenceRetentionDays"], 1, 36500)
    if s["environment"] == "prod" and s["evidenceRetentionDays"] < PROD_MIN_EVIDENCE_RETENTION_DAYS:
        problems.append(problem("evidenceRetentionDays", s["evidenceRetentionDays"], f"{PROD_MIN_EVIDENCE_RETENTION_DAYS} or more when environment is prod"))
    return problems


def check_detection(s: dict[str, Any]) -> list[ConfigProblem]:
    """Alarm subscribers and thresholds: prod alarms reach someone, and every threshold fires at all."""
    problems = []
    for index, address in enumerate(s["alarmSubscribers"]):
        if not _EMAIL.fullmatch(address):
            problems.append(problem(f"alarmSubscribers[{index}]", address, "an email address, e.g. security@example.org"))
    if s["environment"] == "prod" and not s["alarmSubscribers"]:
        problems.append(problem("alarmSubscribers", [], "at least one address when environment is prod (an alarm nobody receives detects nothing)"))
    thresholds = s["auditAlarmThresholds"]
    problems += _unknown_keys("auditAlarmThresholds", thresholds, DETECTION_NAMES, "the audit detections")
    for name in DETECTION_NAMES:
        if name in thresholds and not (_is_int(thresholds[name]) and 1 <= thresholds[name] <= MAX_ALARM_THRESHOLD):
            problems.append(problem(f"auditAlarmThresholds.{name}", thresholds[name],
                                    f"a whole number from 1 to {MAX_ALARM_THRESHOLD} (events in {PERIOD_SECONDS // 60} minutes)"))
    return problems


def check_supply_chain(s: dict[str, Any]) -> list[ConfigProblem]:
    """Scan attestations age out; signing keys are named, distinct and few (current first)."""
    problems = _in_range("vulnerabilityScanMaxAgeHours", s["vulnerabilityScanMaxAgeHours"], 1, 720)
    if s["environment"] == "prod" and s["vulnerabilityScanMaxAgeHours"] > PROD_MAX_SCAN_AGE_HOURS:
        problems.append(problem("vulnerabilityScanMaxAgeHours", s["vulnerabilityScanMaxAgeHours"],
                                f"{PROD_MAX_SCAN_AGE_HOURS} or fewer when environment is prod"))
    keys = s["cosignKeys"]
    if not 1 <= len(keys) <= MAX_SIGNING_KEYS:
        problems.append(problem("cosignKeys", list(keys), f"1 to {MAX_SIGNING_KEYS} key names, the current key first"))
    for index, name in enumerate(keys):
        if not _KEY_NAME.fullmatch(name):
            problems.append(problem(f"cosignKeys[{index}]", name, "cosign, or cosign-<lower-case letters and digits>, e.g. cosign-2026"))
        elif name in keys[:index]:
            problems.append(problem(f"cosignKeys[{index}]", name, "a name not already in the list"))
    return problems


def check_admission_and_gitops(s: dict[str, Any]) -> list[ConfigProblem]:
    problems = _one_of("kyvernoFailureAction", s["kyvernoFailureAction"], KYVERNO_FAILURE_ACTIONS)
    if s["environment"] == "prod" and s["kyvernoFailureAction"] != "Enforce":
        problems.append(problem("kyvernoFailureAction", s["kyvernoFailureAction"], "Enforce when environment is prod"))
    if not _HTTPS_URL.fullmatch(s["argocdRepoUrl"]):
        problems.append(problem("argocdRepoUrl", s["argocdRepoUrl"] or None, "the https:// URL of the GitOps repository ArgoCD syncs from"))
    path = s["argocdRepoPath"]
    if not path or path.startswith("/") or ".." in path.split("/"):
        problems.append(problem("argocdRepoPath", path, "a relative directory inside the repository, without .."))
    if not _GIT_REVISION.fullmatch(s["argocdRepoRevision"]) or s["argocdRepoRevision"] == "HEAD":
        problems.append(problem("argocdRepoRevision", s["argocdRepoRevision"], "a branch, tag or commit (not HEAD, so the tracked revision is explicit)"))
    sso = {"argocdSsoIssuer": bool(s["argocdSsoIssuer"]), "argocdSsoClientId": bool(s["argocdSsoClientId"]),
           "argocdSsoClientSecret": bool(s["argocdSsoClientSecret"])}
    if any(sso.values()) and not all(sso.values()):
        missing = [k for k, present in sso.items() if not present]
        problems.append(problem(missing[0], None, "all of argocdSsoIssuer, argocdSsoClientId and argocdSsoClientSecret, or none (no SSO)"))
    if s["argocdSsoIssuer"] and not _HTTPS_URL.fullmatch(s["argocdSsoIssuer"]):
        problems.append(problem("argocdSsoIssuer", s["argocdSsoIssuer"], "the https:// issuer URL of the OIDC provider"))
    if s["argocdUrl"] and not _HTTPS_URL.fullmatch(s["argocdUrl"]):
        problems.append(problem("argocdUrl", s["argocdUrl"], "the https:// URL users reach ArgoCD at"))
    if all(sso.values()):
        # SSO turns the local admin off; without these nobody could log in or administer ArgoCD.
        if not s["argocdUrl"]:
            problems.append(problem("argocdUrl", "", "the https:// URL users reach ArgoCD at (SSO redirects back to it)"))
        if not s["argocdAdminGroups"]:
            problems.append(problem("argocdAdminGroups", [], "at least one SSO group given role:admin (the local admin is off with SSO)"))
    for name in ("argocdAdminGroups", "argocdReadonlyGroups"):
        for index, group in enumerate(s[name]):
            if not group.strip() or "," in group:
                problems.append(problem(f"{name}[{index}]", group, "a group name as the SSO provider sends it, without commas"))
    return problems


def check_settings(s: dict[str, Any], provider: Mapping[str, str], stack: str, secret_keys: Collection[str],
                   contracts: Mapping[str, AppContract]) -> list[ConfigProblem]:
    """Every check over every setting; an empty list means the settings are valid.

    `s` holds the project settings by name, typed; `provider` the raw provider settings (aws:...);
    `contracts` what each of this repository's apps needs, by app (its image's repository name).
    A production stack is judged as prod even while its declared environment is reported wrong,
    so one run shows every problem the fixed file would still have.
    """
    problems = check_environment(s["environment"], stack)
    s = {**s, "environment": environment_class(s["environment"], stack)}
    problems += check_provider(provider, s["accountId"])
    if not _ACCOUNT.fullmatch(s["accountId"]):
        problems.append(problem("accountId", s["accountId"], "the 12-digit AWS account id of this stack"))
    if not _NAME_PREFIX.fullmatch(s["namePrefix"]):
        problems.append(problem("namePrefix", s["namePrefix"], "2 to 20 lower-case letters, digits or -, starting with a letter"))
    problems += check_network(s)
    problems += check_cluster(s)
    problems += check_keys_and_registry(s)
    problems += check_ci(s)
    registry_host = f"{s['accountId']}.dkr.ecr.{provider.get('aws:region', '')}.amazonaws.com"
    problems += check_services(s, registry_host, stack, contracts)
    problems += check_database(s)
    problems += check_backups(s, registry_host, stack)
    problems += check_evidence(s)
    problems += check_detection(s)
    problems += check_supply_chain(s)
    problems += check_admission_and_gitops(s)
    return [hidden(p) if _under_secret(p.key, secret_keys) else p for p in problems]


def _under_secret(key: str, secret_keys: Collection[str]) -> bool:
    """A problem about a secure setting, or about any part of one, never shows its value."""
    return any(key == secret or key.startswith((secret + ".", secret + "[")) for secret in secret_keys)
