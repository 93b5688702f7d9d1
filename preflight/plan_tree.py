"""Renders an offline plan as the resource tree `pulumi preview` would show, plus a count by type."""
from __future__ import annotations

from collections import Counter, defaultdict

from preflight.model import Plan, RecordedResource


# A few inputs worth seeing in the tree: where each subnet sits and what it holds.
_DETAIL_INPUTS = {
    "aws:ec2/subnet:Subnet": ("availabilityZone", "cidrBlock"),
    "aws:eks/addon:Addon": ("addonName",),
    "eks:index:Cluster": ("version",),
}


def _detail(resource: RecordedResource) -> str:
    values = [str(resource.inputs[k]) for k in _DETAIL_INPUTS.get(resource.type, ()) if k in resource.inputs]
    return f"  ({', '.join(values)})" if values else ""


def render_tree(plan: Plan) -> str:
    urns = {r.urn for r in plan.resources}
    children: dict[str | None, list[RecordedResource]] = defaultdict(list)
    for resource in plan.resources:
        parent = resource.parent if resource.parent in urns else None
        children[parent].append(resource)

    lines = [f"pulumi:pulumi:Stack  {plan.project}-{plan.stack}"]

    def walk(parent: str | None, indent: str) -> None:
        items = children.get(parent, [])
        for index, resource in enumerate(items):
            last = index == len(items) - 1
            flags = "  [protect]" if resource.protect else ""
            lines.append(f"{indent}{'└─ ' if last else '├─ '}{resource.type}  {resource.name}{_detail(resource)}{flags}")
            walk(resource.urn, indent + ("   " if last else "│  "))

    walk(None, "")
    return "\n".join(lines)


def render_counts(plan: Plan) -> str:
    counts = Counter(r.type for r in plan.resources)
    width = max(len(t) for t in counts) if counts else 0
    lines = [f"{'type'.ljust(width)}  count"]
    lines += [f"{t.ljust(width)}  {n}" for t, n in sorted(counts.items())]
    lines.append(f"{'total'.ljust(width)}  {sum(counts.values())}")
    return "\n".join(lines)
