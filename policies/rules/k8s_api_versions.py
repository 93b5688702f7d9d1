"""API versions the cluster's Kubernetes version no longer serves, or serves deprecated.

Stack rules over every resource's type token, so no list of types has to name what they judge: a
resource rule must list its types, and the manifest scan reads those lists as the kinds the pack
judges (an apps/v1beta1 Deployment would then count as judged instead of an unjudged pod carrier).
The table follows the Kubernetes deprecation guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/). Review APIs that nothing
stores (TokenReview, SubjectAccessReview) are left out: no manifest declares them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from policies.severity import Severity

from policies.frameworks import nist_800_53
from policies.rule import Finding, Rule, config_value
from policies.values import WrongTypeError

TAGS = ("kubernetes", "api-version")
URL = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
VERSION_CONFIG = {
    "kubernetesVersion": {
        "type": "string", "default": "1.33", "pattern": r"^1\.[0-9]+$",
        "description": "The cluster's Kubernetes minor version (the stack's kubernetesVersion).",
    },
}


@dataclass(frozen=True)
class RetiredApi:
    api_version: str
    kind: str
    deprecated_in: str
    removed_in: str | None  # None: deprecated, no removal scheduled
    replacement: str

    @property
    def type_token(self) -> str:
        group_version = self.api_version if "/" in self.api_version else f"core/{self.api_version}"
        return f"kubernetes:{group_version}:{self.kind}"

    def removed_by(self, version: tuple[int, int]) -> bool:
        return self.removed_in is not None and _parsed(self.removed_in) <= version

    def deprecated_by(self, version: tuple[int, int]) -> bool:
        return _parsed(self.deprecated_in) <= version and not self.removed_by(version)


def _retired(api_version: str, kinds: str, deprecated_in: str, removed_in: str | None, replacement: str):
    return [RetiredApi(api_version, kind, deprecated_in, removed_in, replacement) for kind in kinds.split()]


RETIRED = {api.type_token: api for api in (
    *_retired("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", "1.9", "1.16", "apps/v1"),
    *_retired("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1"),
    *_retired("extensions/v1beta1", "PodSecurityPolicy", "1.10", "1.16", "Pod Security Admission"),
    *_retired("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1"),
    *_retired("apps/v1beta1", "Deployment StatefulSet ReplicaSet", "1.9", "1.16", "apps/v1"),
    *_retired("apps/v1beta2", "Deployment StatefulSet DaemonSet ReplicaSet", "1.9", "1.16", "apps/v1"),
    *_retired("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
              "1.16", "1.22", "admissionregistration.k8s.io/v1"),
    *_retired("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.16", "1.22", "apiextensions.k8s.io/v1"),
    *_retired("apiregistration.k8s.io/v1beta1", "APIService", "1.10", "1.22", "apiregistration.k8s.io/v1"),
    *_retired("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.19", "1.22", "certificates.k8s.io/v1"),
    *_retired("coordination.k8s.io/v1beta1", "Lease", "1.14", "1.22", "coordination.k8s.io/v1"),
    *_retired("networking.k8s.io/v1beta1", "Ingress IngressClass", "1.19", "1.22", "networking.k8s.io/v1"),
    *_retired("rbac.authorization.k8s.io/v1alpha1", "ClusterRole ClusterRoleBinding Role RoleBinding", "1.17",
              "1.22", "rbac.authorization.k8s.io/v1"),
    *_retired("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding", "1.17",
              "1.22", "rbac.authorization.k8s.io/v1"),
    *_retired("scheduling.k8s.io/v1alpha1", "PriorityClass", "1.14", "1.17", "scheduling.k8s.io/v1"),
    *_retired("scheduling.k8s.io/v1beta1", "PriorityClass", "1.14", "1.22", "scheduling.k8s.io/v1"),
    *_retired("storage.k8s.io/v1beta1", "StorageClass", "1.6", "1.22", "storage.k8s.io/v1"),
    *_retired("storage.k8s.io/v1beta1", "VolumeAttachment", "1.13", "1.22", "storage.k8s.io/v1"),
    *_retired("storage.k8s.io/v1beta1", "CSINode", "1.17", "1.22", "storage.k8s.io/v1"),
    *_retired("storage.k8s.io/v1beta1", "CSIDriver", "1.19", "1.22", "storage.k8s.io/v1"),
    *_retired("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1"),
    *_retired("discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1"),
    *_retired("events.k8s.io/v1beta1", "Event", "1.19", "1.25", "events.k8s.io/v1"),
    *_retired("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.22", "1.25", "autoscaling/v2"),
    *_retired("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1"),
    *_retired("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", "Pod Security Admission"),
    *_retired("node.k8s.io/v1beta1", "RuntimeClass", "1.22", "1.25", "node.k8s.io/v1"),
    *_retired("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", "1.23", "1.26",
              "flowcontrol.apiserver.k8s.io/v1"),
    *_retired("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.23", "1.26", "autoscaling/v2"),
    *_retired("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.24", "1.27", "storage.k8s.io/v1"),
    *_retired("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", "1.26", "1.29",
              "flowcontrol.apiserver.k8s.io/v1"),
    *_retired("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", "1.29", "1.32",
              "flowcontrol.apiserver.k8s.io/v1"),
    *_retired("v1", "Endpoints", "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
)}


def _parsed(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _cluster_version(config) -> tuple[str, tuple[int, int]]:
    """The configured version as written and as (major, minor)."""
    value = config_value(config, VERSION_CONFIG, "kubernetesVersion")
    try:
        return value, _parsed(value)
    except (AttributeError, ValueError):
        raise WrongTypeError("kubernetesVersion", value, "a Kubernetes minor version like 1.33") from None


def _retired_apis(stack, version: tuple[int, int], applies) -> Iterable[tuple[object, RetiredApi]]:
    for resource in stack.resources:
        api = RETIRED.get(resource.resource_type)
        if api is not None and applies(api, version):
            yield resource, api


def _removed(stack, config) -> Iterable[Finding]:
    shown, version = _cluster_version(config)
    for resource, api in _retired_apis(stack, version, RetiredApi.removed_by):
        yield Finding(resource.urn, f"{api.api_version} {api.kind} is not served since Kubernetes {api.removed_in} "
                                    f"(the cluster runs {shown}): use {api.replacement}")


def _deprecated(stack, config) -> Iterable[Finding]:
    _, version = _cluster_version(config)
    for resource, api in _retired_apis(stack, version, RetiredApi.deprecated_by):
        removal = f", removed in {api.removed_in}" if api.removed_in else ""
        yield Finding(resource.urn, f"{api.api_version} {api.kind} is deprecated since Kubernetes "
                                    f"{api.deprecated_in}{removal}: use {api.replacement}")


RULES = (
    Rule(
        name="k8s-api-version-removed",
        description="No resource uses an API version the cluster's Kubernetes version no longer serves.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("SA-22"),),
        tags=TAGS,
        remediation="Write the resource in the replacement API version the message names (kubectl convert "
                    "helps), and upgrade the chart that renders it.",
        url=URL,
        check=_removed,
        config=VERSION_CONFIG,
    ),
    Rule(
        name="k8s-api-version-deprecated",
        description="No resource uses an API version that is deprecated at the cluster's Kubernetes version.",
        severity=Severity.LOW,
        controls=(nist_800_53("SA-22"),),
        tags=TAGS,
        remediation="Move the resource to the replacement API version before the release that removes it.",
        url=URL,
        check=_deprecated,
        config=VERSION_CONFIG,
    ),
)
