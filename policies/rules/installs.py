"""Platform installs: Kyverno policies in place (Enforce in prod), ArgoCD projects, pinned Helm charts."""
from __future__ import annotations

import re

from policies.severity import Severity

from policies.frameworks import cis_k8s, nist, nist_800_53
from policies.kyverno import required_policy_names
from policies.rule import UNDECIDED, Finding, Rule, config_value, each_resource, undecided
from policies.stack import depends_on, of_type
from policies.values import get, mapping, objects, strings, text

CUSTOM_RESOURCE = "kubernetes:apiextensions.k8s.io:CustomResource"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHART = "kubernetes:helm.sh/v4:Chart"
EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?")


def _is(resource_type, props, api_group: str, kind: str) -> bool:
    """Custom resources register as kubernetes:<group>/<version>:<kind> (or the generic token)."""
    if resource_type == CUSTOM_RESOURCE:
        return str(get(props, "apiVersion", default="")).startswith(api_group + "/") and get(props, "kind") == kind
    return resource_type.startswith(f"kubernetes:{api_group}/") and resource_type.endswith(f":{kind}")


KYVERNO_CONFIG = {
    "requireEnforce": {"type": "boolean", "default": False,
                       "description": "Every rule must block (Enforce) and the webhook fail closed."},
}


def _rule_actions(policy) -> list[tuple[str, object]]:
    actions = []
    for place, rule in objects(policy.props, "spec", "rules"):
        name = text(rule, "name", at=place)
        if get(rule, "validate") is not None:
            actions.append((name, text(rule, "validate", "failureAction", at=place)))
        for at, verify in objects(rule, "verifyImages", at=place):
            actions.append((name, text(verify, "failureAction", at=at)))
    return actions


def _kyverno_present(args, config):
    if not any(r.resource_type.startswith(("kubernetes:", "eks:index:Cluster", "aws:eks/cluster:")) for r in args.resources):
        return  # no cluster, nothing to admit
    enforce = config_value(config, KYVERNO_CONFIG, "requireEnforce")
    policies = [r for r in args.resources if _is(r.resource_type, r.props, "kyverno.io", "ClusterPolicy")]
    releases = [r for r in of_type(args.resources, HELM_RELEASE, HELM_CHART) if get(r.props, "chart") == "kyverno"]
    by_name = {}
    for policy in policies:
        try:
            by_name[text(policy.props, "metadata", "name")] = policy
        except UNDECIDED as e:  # a name that is unknown or not a string cannot count toward the required set
            yield Finding(policy.urn, undecided(e))
    missing = [n for n in required_policy_names() if n not in by_name]
    if missing:
        yield Finding(None, f"required Kyverno ClusterPolicies missing: {', '.join(missing)}")
    if policies and not releases:
        yield Finding(None, "ClusterPolicies are declared but the stack installs no Kyverno Helm release")

    def check(policy):
        if releases and not any(depends_on(policy, r) for r in releases):
            yield "ClusterPolicy does not depend on the Kyverno release; it may be applied before its CRD exists"
        if not enforce:
            return
        for rule, action in _rule_actions(policy):
            if action != "Enforce":
                yield f"rule {rule} has failureAction {action or 'unset (Audit)'}, not Enforce"
        failure = text(policy.props, "spec", "webhookConfiguration", "failurePolicy", default="Fail")
        if failure != "Fail":
            yield f"webhook failurePolicy is {failure}; admission fails open when Kyverno is down"
    yield from each_resource(policies, check)


def _no_default_project(args, config):
    if not _is(args.resource_type, args.props, "argoproj.io", "Application"):
        return
    project = text(args.props, "spec", "project")
    if project in (None, "", "default"):
        yield f"Application uses project {project or 'unset'}; the default project allows any repo and destination"


def _appproject(args, config):
    if not _is(args.resource_type, args.props, "argoproj.io", "AppProject"):
        return
    spec = mapping(args.props, "spec")
    repos = strings(spec, "sourceRepos", at="spec")
    if not repos or "*" in repos:
        yield "sourceRepos must list named repositories, not '*'"
    for place, destination in objects(spec, "destinations", at="spec"):
        for field in ("namespace", "server", "name"):
            if get(destination, field) == "*":
                yield f"{place}.{field} is '*'"
    for place, entry in objects(spec, "clusterResourceWhitelist", at="spec"):
        if "*" in (get(entry, "group"), get(entry, "kind")):
            yield f"{place} allows '*' cluster-scoped resources"


def _chart_pinned(args, config):
    version = text(args.props, "version")
    if not version:
        yield f"chart {text(args.props, 'chart')} has no version; each install may pull a different release"
    elif not EXACT_VERSION.fullmatch(version):
        yield f"chart {text(args.props, 'chart')} version {version!r} is a range, not an exact version"


_ARGO_URL = "https://argo-cd.readthedocs.io/en/stable/user-guide/projects/"

RULES = (
    Rule(
        name="kyverno-policies-present",
        description="The stack installs Kyverno and every ClusterPolicy of the workload catalogue, "
                    "enforcing in environments that require it.",
        severity=Severity.HIGH,
        controls=(nist("4.1.5"), cis_k8s("5.2.1")),
        tags=("kubernetes", "admission", "kyverno"),
        remediation="Register the catalogue's ClusterPolicies (policies.kyverno.cluster_policies) as "
                    "CustomResources depending on the Kyverno release; Enforce and failurePolicy Fail in prod.",
        url="https://kyverno.io/docs/policy-types/cluster-policy/",
        check=_kyverno_present,
        config=KYVERNO_CONFIG,
    ),
    Rule(
        name="argocd-no-default-project",
        description="ArgoCD Applications belong to a restricted project, never 'default'.",
        severity=Severity.HIGH,
        controls=(nist("4.3.1"),),
        tags=("kubernetes", "gitops", "argocd"),
        remediation="Set spec.project to the platform's AppProject.",
        url=_ARGO_URL,
        check=_no_default_project,
        resource_types=(CUSTOM_RESOURCE, APPLICATION),
    ),
    Rule(
        name="argocd-appproject-restricted",
        description="ArgoCD AppProjects name their source repositories and destinations and allow no "
                    "wildcard cluster-scoped resources.",
        severity=Severity.HIGH,
        controls=(nist("4.3.1"),),
        tags=("kubernetes", "gitops", "argocd"),
        remediation="List sourceRepos and destinations explicitly; whitelist only needed cluster resources.",
        url=_ARGO_URL,
        check=_appproject,
        resource_types=(CUSTOM_RESOURCE, APP_PROJECT),
    ),
    Rule(
        name="helm-chart-version-pinned",
        description="Helm releases pin an exact chart version.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("CM-2"),),
        tags=("kubernetes", "supply-chain", "helm"),
        remediation="Set version to an exact chart version (e.g. 3.3.4).",
        url="https://helm.sh/docs/topics/chart_best_practices/dependencies/#versions",
        check=_chart_pinned,
        resource_types=(HELM_RELEASE, HELM_CHART),
    ),
)
