"""CrossGuard rules for workloads, built from the catalogue Kyverno policies are generated from."""
from __future__ import annotations

from policies.pods import types_of_kinds
from policies.rule import Rule
from policies.workload_catalog import CATALOG, WorkloadControl


def _rule(control: WorkloadControl) -> Rule:
    def check(args, config):
        return control.check(args.resource_type, args.props, config)

    return Rule(
        name=control.rule,
        description=control.description,
        severity=control.severity,
        controls=control.controls,
        tags=("kubernetes", "workload", f"kyverno:{control.kyverno_policy}"),
        remediation=control.remediation,
        url=control.url,
        check=check,
        resource_types=types_of_kinds(control.crossguard_kinds),
        config=control.config,
    )


RULES = tuple(_rule(c) for c in CATALOG)
