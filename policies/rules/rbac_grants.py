"""What the rules of a Role or ClusterRole grant, matched the way the Kubernetes RBAC authorizer
matches them: API group, resource (with its subresource), resource names and verb together.

A PolicyRule grants a request when its apiGroups hold the group or '*', its resources hold the
resource, '*' or '*/<subresource>' (but not '<resource>/*': RBAC has no such wildcard), its verbs
hold the verb or '*', and its resourceNames are empty or hold the object's name. A request that
creates an object, or deletes a whole collection, carries no name, so a rule with resourceNames
never grants `create` or `deletecollection` on a resource itself (it does on a named object's
subresource: `create` on pods/exec is a request on one pod).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from policies.values import known, objects, strings

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC = f"kubernetes:{RBAC_GROUP}/v1"
ROLE = f"{RBAC}:Role"
CLUSTER_ROLE = f"{RBAC}:ClusterRole"
ROLES = (ROLE, CLUSTER_ROLE)
ROLE_BINDING = f"{RBAC}:RoleBinding"
CLUSTER_ROLE_BINDING = f"{RBAC}:ClusterRoleBinding"
BINDINGS = (ROLE_BINDING, CLUSTER_ROLE_BINDING)
WILDCARD = "*"
NAMELESS_VERBS = ("create", "deletecollection")
# Labels that copy a ClusterRole's rules into the built-in roles every namespace admin hands out.
AGGREGATE_TO = {f"rbac.authorization.k8s.io/aggregate-to-{role}": role for role in ("admin", "edit", "view")}


@dataclass(frozen=True)
class Permission:
    """A permission an abuse path needs: any of `verbs` on `resource` ('pods/exec') of `group`.

    A subresource of '*' stands for every subresource ('userextras/*': any extra). Where naming the
    objects makes the grant harmless (a few named secrets), `narrowed_by_names` is true; elsewhere a
    named object is exactly what the abuse needs (the pod to exec into, the role to bind).
    """

    group: str
    resource: str
    verbs: tuple[str, ...]
    narrowed_by_names: bool = False

    @property
    def label(self) -> str:
        return f"{self.resource} in {self.group or 'the core group'}"


@dataclass(frozen=True)
class PolicyRule:
    place: str
    groups: tuple[str, ...]
    resources: tuple[str, ...]
    names: tuple[str, ...]
    verbs: tuple[str, ...]

    def reaches(self, permission: Permission) -> tuple[str, ...]:
        """The verbs of `permission` this rule grants; empty when it grants none of them."""
        if not (_any_is(self.groups, permission.group) and any(_covers(r, permission.resource) for r in self.resources)):
            return ()
        if self.names and permission.narrowed_by_names:
            return ()
        verbs = permission.verbs if WILDCARD in self.verbs else tuple(v for v in permission.verbs if v in self.verbs)
        if self.names and "/" not in permission.resource:
            verbs = tuple(v for v in verbs if v not in NAMELESS_VERBS)
        return verbs

    def describe(self, verbs: Iterable[str], permission: Permission) -> str:
        named = f" (named: {', '.join(self.names)})" if self.names else ""
        return f"{self.place} grants {', '.join(verbs)} on {permission.label}{named}"


def policy_rules(props: Any) -> list[PolicyRule]:
    """Every rule of a Role or ClusterRole, each field read with the type Kubernetes requires."""
    found = []
    for place, rule in objects(props, "rules"):
        found.append(PolicyRule(
            place=place,
            groups=tuple(strings(rule, "apiGroups", at=place)),
            resources=tuple(strings(rule, "resources", at=place)),
            names=tuple(strings(rule, "resourceNames", at=place)),
            verbs=tuple(strings(rule, "verbs", at=place)),
        ))
    return found


def grants(props: Any, permissions: Iterable[Permission]) -> Iterable[str]:
    """A message for every rule that reaches one of `permissions`."""
    permissions = tuple(permissions)
    for rule in policy_rules(props):
        for permission in permissions:
            verbs = rule.reaches(permission)
            if verbs:
                yield rule.describe(verbs, permission)


def aggregated_into(props: Any) -> list[str]:
    """The built-in roles (admin, edit, view) a ClusterRole's labels copy its rules into. It only
    adds to a finding, so a label unknown at preview is left out rather than hiding the finding."""
    roles = []
    for key, role in AGGREGATE_TO.items():
        is_known, value = known(props, "metadata", "labels", key)
        if is_known and value == "true":
            roles.append(role)
    return roles


def _any_is(values: tuple[str, ...], wanted: str) -> bool:
    return WILDCARD in values or wanted in values


def _covers(granted: str, wanted: str) -> bool:
    """RBAC's resource match: '*', the exact resource[/subresource], or '*/<subresource>'."""
    if granted in (WILDCARD, wanted):
        return True
    resource, _, subresource = wanted.partition("/")
    if subresource == WILDCARD:  # any subresource of `resource` is wanted
        return granted.startswith(f"{resource}/") or (granted.startswith("*/") and len(granted) > 2)
    return bool(subresource) and granted == f"*/{subresource}"
