"""The matrix, waived findings, waivers, evidence and the trend in every format: the matrix first in
HTML and Markdown, violations by severity then enforcement, waived findings with owner and expiry,
SARIF suppressions, the documented JSON."""
from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser

import jsonschema
import pytest

from policies.waivers import Waiver
from preflight.evaluation import Violation, evaluate, load_pack_config
from preflight.formats import renderer
from preflight.model import Plan
from preflight.report import EvidenceResult, Report, TrendPoint, WaivedFinding, WaiverUse
from preflight.stack_files import PROJECT_ROOT

URN = "urn:pulumi:dev::devsecops-platform::devsecops:app:App$kubernetes:apps/v1:Deployment::app-{}"
WAIVER = Waiver("k8s-read-only-root-fs", ("app/legacy",), ("dev",), "vendor image writes to /var/cache until 4.2",
                "team-reports@example.com", "SEC-42", date(2030, 6, 30), "policies/waivers.yaml", 12)
EXPIRED = Waiver("k8s-no-latest-image", ("app/old",), (), "migrated", "team-old@example.com", "", date(2030, 1, 1),
                 "policies/waivers.yaml", 20)
ORDERED = [("critical", "mandatory"), ("critical", "advisory"), ("high", "mandatory"), ("medium", "advisory")]


def _violation(rule: str, severity: str, level: str, name: str) -> Violation:
    return Violation(rule, severity, level, URN.format(name), f"description\n{rule} on {name}")


@pytest.fixture(scope="module")
def rich() -> Report:
    metadata = evaluate(Plan("p", "dev", (), {}), load_pack_config("policies/config/dev.json")).policies
    violations = (  # deliberately out of order
        _violation("k8s-resources-required", "medium", "advisory", "c"),
        _violation("k8s-no-privileged", "critical", "advisory", "b"),
        _violation("k8s-no-host-path", "high", "mandatory", "d"),
        _violation("k8s-no-host-namespaces", "critical", "mandatory", "a"),
    )
    failing = {v.policy for v in violations} | {"k8s-read-only-root-fs"}
    return Report(
        kind="evidence", stack="dev", policy_pack="devsecops-platform", policy_pack_version="1.0.0", resources=(),
        policies=metadata, violations=violations,
        passed=tuple(m.name for m in metadata if m.name not in failing),
        waived=(WaivedFinding(_violation("k8s-read-only-root-fs", "medium", "advisory", "legacy"), WAIVER),),
        waivers=(WaiverUse(WAIVER, "applied", 1), WaiverUse(EXPIRED, "expired", 0)),
        evidence=(EvidenceResult("admission", "k8s-no-latest-image", "admission:Deployment:app/x", "pass", "", "disallow-latest-tag/autogen-validate-image-tag"),),
        trend=(TrendPoint("2030-05-01 08:00", {"critical": 3, "high": 2, "medium": 1, "low": 0, "unspecified": 0}),
               TrendPoint("2030-05-20 08:00", {"critical": 2, "high": 1, "medium": 1, "low": 1, "unspecified": 0})),
    )


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h2", "tr"):
            self._in = tag
            if tag == "tr":
                self.rows.append([])
        if tag == "h2":
            self.headings.append("")

    def handle_data(self, data):
        if self._in == "h2":
            self.headings[-1] += data
        elif self._in == "tr":
            self.rows[-1].append(data)

    def handle_endtag(self, tag):
        if tag in ("h2", "tr"):
            self._in = None


def test_html_opens_with_the_compliance_matrix(rich):
    page = _Page()
    page.feed(renderer("html")(rich))
    assert page.headings[0] == "Compliance matrix"
    assert page.headings.index("Violations") < page.headings.index("Waived findings") < page.headings.index("Trend")


def test_html_violations_are_sorted_by_severity_then_enforcement(rich):
    page = _Page()
    page.feed(renderer("html")(rich))
    rows = [r for r in page.rows if r[:2] and r[0] in ("critical", "high", "medium") and r[1] in ("mandatory", "advisory")]
    assert [(r[0], r[1]) for r in rows] == ORDERED


def test_html_waived_findings_carry_owner_expiry_ticket_and_reason(rich):
    page = _Page()
    page.feed(renderer("html")(rich))
    waived = next(r for r in page.rows if "team-reports@example.com" in r)
    assert {"k8s-read-only-root-fs", "2030-06-30", "SEC-42", "vendor image writes to /var/cache until 4.2",
            "policies/waivers.yaml:12"} <= set(waived)
    expired = next(r for r in page.rows if "team-old@example.com" in r)
    assert expired[0] == "expired"


def test_html_trend_is_inline_svg_with_a_line_per_severity_and_a_point_per_bundle(rich):
    html = renderer("html")(rich)
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count("<polyline") == 5 and svg.count("<circle") == 5 * 3  # two earlier bundles and this report
    assert "2030-05-01 08:00" in svg and "this report" in svg


def test_html_is_one_file_that_fetches_nothing_and_has_print_styles(rich):
    html = renderer("html")(rich)
    page = _Page()
    page.feed(html)
    assert not {t for t, _ in page.tags} & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    assert not any({"src", "href", "xlink:href"} & set(attrs) for _, attrs in page.tags)
    assert "url(" not in html and "@import" not in html
    assert "@media print" in html and "@page" in html and "break-inside:avoid" in html


def test_markdown_opens_with_the_matrix_and_lists_waived_findings(rich):
    md = renderer("markdown")(rich)
    sections = [line for line in md.splitlines() if line.startswith("### ")]
    assert sections[0] == "### Compliance matrix" and "### Waived" in sections and "### Waivers" in sections
    assert "| Kubernetes Pod Security Standards restricted | " in md
    waived = next(line for line in md.splitlines() if "team-reports\\@example.com" in line)  # no mention
    assert "2030-06-30" in waived and "SEC-42" in waived
    cells = [tuple(cell.strip() for cell in line.split("|")[1:3]) for line in md.splitlines() if line.startswith("| ")]
    assert [c for c in cells if c[1] in ("mandatory", "advisory")] == ORDERED


def test_text_names_waived_findings_and_expired_waivers(rich):
    text = renderer("text")(rich)
    assert "WAIVED     k8s-read-only-root-fs" in text and "owner team-reports@example.com, expires 2030-06-30" in text
    assert "WAIVER     expired: k8s-no-latest-image (policies/waivers.yaml:20, expires 2030-01-01)" in text


def test_sarif_keeps_a_waived_finding_as_a_suppressed_result(rich):
    results = json.loads(renderer("sarif")(rich))["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["k8s-read-only-root-fs"]
    (suppression,) = suppressed[0]["suppressions"]
    assert suppression["kind"] == "external" and "team-reports@example.com" in suppression["justification"]
    sarif_schema = PROJECT_ROOT / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "sarif-2.1.0.json"
    jsonschema.validate(json.loads(renderer("sarif")(rich)), json.loads(sarif_schema.read_text()))


def test_json_is_the_documented_document_with_every_new_section(rich):
    document = json.loads(renderer("json")(rich))
    jsonschema.validate(document, json.loads((PROJECT_ROOT / "preflight" / "report.schema.json").read_text()))
    assert document["schemaVersion"] == "2.1" and document["summary"]["waived"] == 1
    assert [f["framework"] for f in document["compliance"]][:4] == [
        "CIS Amazon EKS Benchmark", "Kubernetes Pod Security Standards", "NIST SP 800-190",
        "AWS Foundational Security Best Practices"]
    assert document["waivers"][1]["status"] == "expired" and document["history"][0]["label"] == "2030-05-01 08:00"
    assert document["evidence"][0]["source"] == "admission"
