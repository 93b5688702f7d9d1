"""The waiver file: what it must hold, what it may not, when a waiver is in force, and what it matches."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from policies import waivers
from waiver_files import TODAY, waiver, waiver_file  # noqa: F401 - the fixture

URN = "urn:pulumi:dev::devsecops-platform::devsecops:cluster:Cluster$eks:index:Cluster::cluster-eks"


def problems_of(waiver_file, entries) -> list[str]:
    waiver_file(entries)
    with pytest.raises(waivers.WaiverError) as raised:
        waivers.load_shipped()
    return [p.message for p in raised.value.problems]


def test_a_complete_entry_loads_with_its_source_line(waiver_file):
    path = waiver_file([waiver("k8s-no-latest-image", "app/legacy-*", stacks=["dev"])])
    loaded = waivers.load_shipped()
    (entry,) = loaded.entries
    assert (entry.rule, entry.resources, entry.stacks, entry.ticket) == ("k8s-no-latest-image", ("app/legacy-*",), ("dev",), "SEC-1")
    assert entry.expires == TODAY + timedelta(days=30) and entry.line == 1 and entry.path == path.as_posix()


@pytest.mark.parametrize("missing", ["reason", "owner", "expires", "rule", "resources"])
def test_an_entry_without_a_required_field_is_rejected(waiver_file, missing):
    entry = waiver("k8s-no-latest-image", "app/x")
    del entry[missing]
    assert any(m.startswith(f"no {missing}:") for m in problems_of(waiver_file, [entry]))


def test_the_ticket_is_optional():
    entry = waiver("k8s-no-latest-image", "app/x")
    del entry["ticket"]
    assert waivers._entry(entry, ("w.yaml", 1), frozenset({"k8s-no-latest-image"}))[1] == []


@pytest.mark.parametrize("entry, expected", [
    (waiver("k8s-no-lateest-image", "app/x"), "rule 'k8s-no-lateest-image' is not a rule of the pack"),
    (waiver("k8s-no-latest-image", "App/X"), "resource 'App/X' is neither a URN glob"),
    (waiver("k8s-no-latest-image", "app/x", stacks=["dev prod"]), "stack 'dev prod' is not a stack name"),
    (waiver("k8s-no-latest-image", "app/x", stacks=[]), "stacks must be a non-empty list of text"),
    (waiver("k8s-no-latest-image", "app/x", expires="next week"), "expires must be a date"),
    (waiver("k8s-no-latest-image", "app/x", owner="  "), "owner must be non-empty text"),
    (waiver("k8s-no-latest-image", "app/x", expiry=TODAY), "unknown key 'expiry'"),
    ({**waiver("k8s-no-latest-image", "app/x"), "resources": "app/x"}, "resources must be a non-empty list of text"),
])
def test_an_entry_that_says_something_wrong_is_rejected(waiver_file, entry, expected):
    assert any(m.startswith(expected) for m in problems_of(waiver_file, [entry]))


def test_every_problem_of_every_entry_is_reported_at_once_with_its_line(waiver_file):
    waiver_file([waiver("k8s-no-latest-image", "app/x"), {"rule": "nope"}, "text"])
    with pytest.raises(waivers.WaiverError) as raised:
        waivers.load_shipped()
    lines = {p.line for p in raised.value.problems}
    assert lines == {8, 9} and len(raised.value.problems) == 6  # the second entry's five, the third's one


@pytest.mark.parametrize("text, expected", [
    ("rule: k8s-no-latest-image\n", "expected a list of waivers, got a mapping"),
    ("- &a {rule: x}\n- *a\n", "alias"),
    ("- rule: x\n- rule: x\n  rule: y\n", "duplicate key"),
])
def test_a_file_that_is_not_a_list_of_entries_is_rejected(waiver_file, text, expected):
    waiver_file(text)
    with pytest.raises(waivers.WaiverError) as raised:
        waivers.load_shipped()
    assert expected in str(raised.value)


def test_an_empty_file_waives_nothing(waiver_file):
    waiver_file("# nothing accepted\n")
    assert waivers.load_shipped().entries == ()


def test_the_shipped_file_is_valid():
    assert waivers.load(waivers.WAIVERS_FILE, known_rules=_rule_names()) is not None


def test_a_waiver_is_in_force_through_its_expiry_day_and_waives_nothing_after(waiver_file):
    waiver_file([waiver("eks-public-endpoint-restricted", "urn:pulumi:dev::*", expires=TODAY)])
    loaded = waivers.load_shipped()
    subject = waivers.Subject(URN)
    assert loaded.waiving("eks-public-endpoint-restricted", "dev", subject, TODAY) is not None
    assert loaded.waiving("eks-public-endpoint-restricted", "dev", subject, TODAY + timedelta(days=1)) is None


def test_expiry_further_ahead_than_the_limit_is_a_problem_only_for_the_stacks_it_applies_to(waiver_file):
    waiver_file([waiver("k8s-no-latest-image", "app/x", expires=TODAY + timedelta(days=91), stacks=["prod"]),
                 waiver("k8s-no-latest-image", "app/y", expires=TODAY + timedelta(days=90))])
    loaded = waivers.load_shipped()
    assert [p.line for p in loaded.beyond("prod", 90, TODAY)] == [1]
    assert loaded.beyond("dev", 90, TODAY) == [] and loaded.beyond("prod", 91, TODAY) == []


def test_urn_globs_match_urns_and_namespace_name_globs_match_kubernetes_objects(waiver_file):
    waiver_file([waiver("k8s-no-latest-image", "app/front*", f"{URN[:-11]}*")])
    (entry,) = waivers.load_shipped().entries
    deployment = waivers.subject("urn:x", "kubernetes:apps/v1:Deployment", {"metadata": {"name": "frontend", "namespace": "app"}})
    assert deployment.kubernetes_name == "app/frontend" and entry.covers("k8s-no-latest-image", "dev", deployment)
    other = waivers.subject("urn:x", "kubernetes:apps/v1:Deployment", {"metadata": {"name": "backend", "namespace": "app"}})
    assert not entry.covers("k8s-no-latest-image", "dev", other)
    assert entry.covers("k8s-no-latest-image", "dev", waivers.Subject(URN))
    assert not entry.covers("k8s-no-privileged", "dev", waivers.Subject(URN))  # one rule only


def test_an_aws_resource_or_a_kubernetes_name_unknown_at_preview_has_no_kubernetes_name():
    class Unknown:
        def get(self, key):
            raise RuntimeError("unknown at preview")

    assert waivers.subject("urn:x", "aws:s3/bucket:Bucket", {"metadata": {"name": "n"}}).kubernetes_name is None
    assert waivers.subject("urn:x", "kubernetes:core/v1:Pod", Unknown()).kubernetes_name is None


def test_a_waiver_limited_to_stacks_applies_to_none_other_and_not_to_a_manifest_scan(waiver_file):
    waiver_file([waiver("k8s-no-latest-image", "app/x", stacks=["dev"])])
    (entry,) = waivers.load_shipped().entries
    assert entry.applies_to("dev") and not entry.applies_to("prod") and not entry.applies_to(None)


def test_the_stack_of_a_finding_about_the_whole_stack_is_the_stack_urn():
    assert waivers.stack_urn(URN) == "urn:pulumi:dev::devsecops-platform::pulumi:pulumi:Stack::devsecops-platform-dev"
    assert waivers.stack_of(URN) == "dev" and waivers.stack_of("not-a-urn") is None


def test_the_clock_is_today_in_utc():
    assert abs((waivers.today() - date.today()).days) <= 1


def _rule_names() -> list[str]:
    from policies.pack import RULES

    return [r.name for r in RULES]
