"""Where in the repository a program resource comes from, so SARIF alerts land on a real file."""
from __future__ import annotations

from pathlib import Path

from preflight.model import Plan
from preflight.report import Location
from preflight.stack_files import PROJECT_ROOT


def component_source(type_token: str, root: Path = PROJECT_ROOT) -> str | None:
    """devsecops:cluster:Cluster -> components/cluster.py, when that file exists."""
    parts = type_token.split(":")
    if len(parts) == 3 and parts[0] == "devsecops":
        candidate = Path("components") / f"{parts[1].replace('-', '_')}.py"
        if (root / candidate).is_file():
            return candidate.as_posix()
    return None


def program_locations(plan: Plan, stack_file: str, root: Path = PROJECT_ROOT) -> dict[str, Location]:
    """Each resource points at the source of its nearest component; findings about the stack at the stack file."""
    by_urn = {r.urn: r for r in plan.resources}
    locations: dict[str, Location] = {"": Location(stack_file)}
    for resource in plan.resources:
        current, source = resource, None
        for _ in range(len(plan.resources)):  # bounded walk up the parent chain
            source = component_source(current.type, root)
            if source or current.parent not in by_urn:
                break
            current = by_urn[current.parent]
        locations[resource.urn] = Location(source or "__main__.py")
    return locations
