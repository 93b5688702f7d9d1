"""Views over a stack's resources that stack rules share: by type, by parent, by dependency."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from policies.values import UnknownValueError, get


def of_type(resources: Iterable[Any], *types: str) -> list[Any]:
    return [r for r in resources if r.resource_type in types]


def children_of(resources: Iterable[Any], parent: Any, *types: str) -> list[Any]:
    """Resources whose parent chain reaches `parent` (pulumi-eks nests some children a level down)."""
    found = []
    for r in resources:
        if types and r.resource_type not in types:
            continue
        node = r.parent
        while node is not None:
            if node.urn == parent.urn:
                found.append(r)
                break
            node = node.parent
    return found


def ancestor_of_type(resource: Any, type_token: str) -> Any | None:
    node = resource.parent
    while node is not None:
        if node.resource_type == type_token:
            return node
        node = node.parent
    return None


def referenced(resource: Any, prop: str, *types: str) -> list[Any]:
    """Resources of `types` that `resource.prop` was computed from (its property dependencies)."""
    deps = resource.property_dependencies.get(prop) or []
    return [d for d in deps if not types or d.resource_type in types]


def depends_on(resource: Any, target: Any) -> bool:
    """True if `resource` (or a component it belongs to) lists `target` among its dependencies."""
    node = resource
    while node is not None:
        if any(d.urn == target.urn for d in node.dependencies):
            return True
        if any(d.urn == target.urn for deps in node.property_dependencies.values() for d in deps):
            return True
        node = node.parent
    return False


def companions(resources: Iterable[Any], prop: str, *types: str) -> Callable[[Any, Any], list[Any]]:
    """Finds the companion resources (policies, configurations) attached to an owner through `prop`.

    A companion belongs to its owner when `prop` was computed from the owner's outputs, or, when it
    was not computed from any resource, when it holds the owner's literal name. The index is built
    once, so relating every owner stays linear in the stack's size.
    """
    by_owner: dict[str, list[Any]] = {}
    by_name: dict[str, list[Any]] = {}
    unresolved: list[UnknownValueError] = []
    for r in of_type(resources, *types):
        deps = r.property_dependencies.get(prop) or []
        for d in deps:
            by_owner.setdefault(d.urn, []).append(r)
        if deps:
            continue
        try:
            name = get(r.props, prop)
        except UnknownValueError as unknown:  # e.g. computed by an invoke: no resource to follow
            unresolved.append(unknown)
            continue
        if isinstance(name, str):  # a name of another type names no owner (and is not hashable)
            by_name.setdefault(name, []).append(r)

    def find(owner: Any, owner_name: Any) -> list[Any]:
        found = by_owner.get(owner.urn, []) + (by_name.get(owner_name, []) if isinstance(owner_name, str) else [])
        if not found and unresolved:
            raise unresolved[0]  # one of the unknown references may be this owner's
        return found

    return find
