"""Every output format renders the same report; SARIF is valid 2.1.0, HTML is one offline file."""
from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser

import jsonschema
import pytest

from preflight.evaluation import PolicyMetadata, Violation
from preflight.formats import renderer
from preflight.report import Location, Report, ResourceEntry
from preflight.stack_files import PROJECT_ROOT

MULTITOOL_DIR = PROJECT_ROOT / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux"
SARIF_SCHEMA = MULTITOOL_DIR / "sarif-2.1.0.json"
MULTITOOL = PROJECT_ROOT / "tools" / "node_modules" / ".bin" / "sarif-multitool"
REPO_URN = "urn:pulumi:prod::devsecops-platform::devsecops:registry:Registry$aws:ecr/repository:Repository::registry-frontend"


def _policy(name: str, severity: str, enforcement: str) -> PolicyMetadata:
    return PolicyMetadata(
        name=name, description=f"{name} <described> & checked", severity=severity, enforcement=enforcement, kind="resource",
        framework="CIS Amazon EKS Benchmark", framework_version="1.7.0", control="5.1.1", also="NIST SP 800-190 4.1.1",
        tags=("ecr",), remediation="Set imageTagMutability to IMMUTABLE.", url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
        config={},
    )


@pytest.fixture
def report() -> Report:
    policies = (
        _policy("ecr-immutable-tags", "high", "mandatory"),
        _policy("ecr-scan-on-push", "medium", "advisory"),
        _policy("kms-key-rotation", "critical", "mandatory"),
    )
    violations = (
        Violation("ecr-immutable-tags", "high", "mandatory", REPO_URN, "ECR repositories use immutable tags.\nimageTagMutability is MUTABLE"),
        Violation("ecr-scan-on-push", "medium", "advisory", REPO_URN, "ECR scans on push.\nscanOnPush is false <script>alert(1)</script>"),
    )
    return Report(
        kind="check", stack="prod", policy_pack="devsecops-platform", policy_pack_version="1.0.0",
        resources=(ResourceEntry(REPO_URN, "aws:ecr/repository:Repository", "registry-frontend", None, {"name": "x"}),),
        policies=policies, violations=violations, passed=("kms-key-rotation",),
        locations={REPO_URN: Location("components/registry.py", 1), "": Location("Pulumi.prod.yaml")},
    )


def test_text_lists_mandatory_first_and_colours_only_when_asked(report):
    plain = renderer("text")(report)
    lines = plain.splitlines()
    assert lines[1] == "by severity: critical 0, high 1, medium 1, low 0"
    assert lines[2].startswith("HIGH") and "mandatory ecr-immutable-tags  registry-frontend (aws:ecr/repository:Repository)  imageTagMutability is MUTABLE" in lines[2]
    assert lines[-1] == "verdict: fail"
    assert "\033[" not in plain
    assert "\033[31m" in renderer("text")(report, colour=True)


def test_markdown_has_totals_violations_with_control_and_remediation(report):
    md = renderer("markdown")(report)
    assert md.startswith("## ❌ Policy check for <code>prod</code>: fail")
    assert ("| high | mandatory | <code>ecr-immutable-tags</code> | registry-frontend (aws:ecr/repository:Repository) | "
            "imageTagMutability is MUTABLE | CIS Amazon EKS Benchmark 5.1.1 (also NIST SP 800-190 4.1.1) | "
            "Set imageTagMutability to IMMUTABLE. |") in md
    assert "- <code>kms-key-rotation</code>" in md


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_file_with_everything_an_auditor_needs(report, tmp_path):
    page = renderer("html")(report)
    parser = _Collector()
    parser.feed(page)
    tags = {t for t, _ in parser.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not any("src" in attrs or "href" in attrs for _, attrs in parser.tags)
    assert "url(" not in page and "@import" not in page
    csp = [a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
    text = " ".join(parser.text)
    for expected in ("FAIL", "Totals by severity", "Totals by control", "ecr-immutable-tags", "imageTagMutability is MUTABLE",
                     "CIS Amazon EKS Benchmark 5.1.1", "Set imageTagMutability to IMMUTABLE.", "Rules that passed", "kms-key-rotation"):
        assert expected in text
    assert "<script>alert(1)</script>" not in page  # messages are escaped


def test_json_is_the_documented_document(report):
    document = json.loads(renderer("json")(report))
    jsonschema.validate(document, json.loads((PROJECT_ROOT / "preflight" / "report.schema.json").read_text()))
    assert document["summary"]["bySeverity"] == {"critical": 0, "high": 1, "medium": 1, "low": 0, "unspecified": 0}
    assert document["summary"]["byControl"] == {"CIS Amazon EKS Benchmark 5.1.1": 2}
    assert document["violations"][0]["location"] == {"path": "components/registry.py", "line": 1}


def test_sarif_validates_against_the_official_2_1_0_schema(report, tmp_path):
    log = json.loads(renderer("sarif")(report))
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["ecr-immutable-tags", "ecr-scan-on-push", "kms-key-rotation"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [("ecr-immutable-tags", "error"), ("ecr-scan-on-push", "warning")]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "components/registry.py"
    assert run["tool"]["driver"]["rules"][2]["properties"]["security-severity"] == "9.5"


def test_sarif_passes_the_sarif_multitool_validator(report, tmp_path):
    source = tmp_path / "report.sarif"
    source.write_text(renderer("sarif")(report))
    out = tmp_path / "validation.sarif"
    completed = subprocess.run([str(MULTITOOL), "validate", str(source), "--output", str(out)], capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    findings = json.loads(out.read_text())["runs"][0]["results"]
    assert [f for f in findings if f.get("level") == "error"] == []
