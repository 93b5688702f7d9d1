"""One view of an EKS cluster, whichever shape the preview shows.

pulumi-eks builds the cluster inside a remote component (`eks:index:Cluster`). A real preview shows
its child `aws:eks/cluster:Cluster`; the offline mock engine shows only the component's inputs. A
cluster rule reads the child when there is one and the component inputs otherwise, so each
cluster is reported exactly once. What pulumi-eks derives from its inputs (read from its source):
the child's `encryptionConfig` is `{provider: {keyArn: encryptionConfigKeyArn}, resources:
["secrets"]}`, `vpcConfig` carries the endpoint settings, and `accessConfig` is set only when
`authenticationMode` is, always with `bootstrapClusterCreatorAdminPermissions: true`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from policies.stack import ancestor_of_type, children_of, of_type
from policies.values import get, is_set, known, strings, text

COMPONENT = "eks:index:Cluster"
CHILD = "aws:eks/cluster:Cluster"


@dataclass(frozen=True)
class ClusterView:
    resource: Any
    is_component: bool

    @property
    def urn(self) -> str:
        return self.resource.urn

    @property
    def props(self) -> Any:
        return self.resource.props

    def name(self) -> str | None:
        return text(self.props, "name")

    def log_types(self) -> list[str]:
        return strings(self.props, "enabledClusterLogTypes")

    def has_encryption_key(self) -> bool:
        if self.is_component:
            return is_set(self.props, "encryptionConfigKeyArn")
        return is_set(self.props, "encryptionConfig", "provider", "keyArn")

    def encryption_key(self) -> tuple[bool, Any]:
        if self.is_component:
            return known(self.props, "encryptionConfigKeyArn")
        return known(self.props, "encryptionConfig", "provider", "keyArn")

    def encrypted_resources(self) -> list[str]:
        if self.is_component:
            return ["secrets"] if self.has_encryption_key() else []
        return strings(self.props, "encryptionConfig", "resources")

    def _vpc_path(self, key: str) -> tuple[str, ...]:
        return (key,) if self.is_component else ("vpcConfig", key)

    def _vpc(self, key: str) -> Any:
        return get(self.props, *self._vpc_path(key))

    def public_endpoint(self) -> bool:
        # EKS turns the public endpoint on when the setting is absent.
        return self._vpc("endpointPublicAccess") is not False

    def private_endpoint(self) -> bool:
        return self._vpc("endpointPrivateAccess") is True

    def public_cidrs(self) -> list[str]:
        # EKS opens the public endpoint to 0.0.0.0/0 when no CIDR list is given.
        return strings(self.props, *self._vpc_path("publicAccessCidrs")) or ["0.0.0.0/0"]

    def version(self) -> str | None:
        return text(self.props, "version")

    def authentication_mode(self) -> str | None:
        if self.is_component:
            return text(self.props, "authenticationMode")
        return text(self.props, "accessConfig", "authenticationMode")


def clusters(resources: Iterable[Any]) -> list[ClusterView]:
    resources = list(resources)
    views = []
    for component in of_type(resources, COMPONENT):
        children = children_of(resources, component, CHILD)
        if children:
            views += [ClusterView(child, False) for child in children]
        else:
            views.append(ClusterView(component, True))
    views += [
        ClusterView(child, False)
        for child in of_type(resources, CHILD)
        if ancestor_of_type(child, COMPONENT) is None
    ]
    return views
