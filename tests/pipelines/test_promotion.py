"""Promotion: prod receives the exact digests dev runs, copied with their signatures and attestations,
never rebuilt; its GitOps pull request names the dev digests it promotes."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from scripts.promote_images import PromotionError, main, promotions
from workflow_rules import load

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
PROMOTE = WORKFLOWS / "images-promote.yml"
DEV_REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev"
PROD_REGISTRY = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-prod"


def stacks(tmp_path: Path, dev_changes: dict | None = None) -> tuple[Path, Path]:
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    dev = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    for key, value in (dev_changes or {}).items():
        dev["config"][key] = value
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev))
    return tmp_path / "Pulumi.dev.yaml", tmp_path / "Pulumi.prod.yaml"


def run_steps(job: str) -> str:
    return "\n".join(step.get("run", "") for step in load(PROMOTE)["jobs"][job]["steps"])


def test_prod_gets_the_same_digest_in_its_own_repository(tmp_path):
    dev, prod = stacks(tmp_path)
    found = {p.service: p for p in promotions(dev, prod)}
    assert set(found) == {"frontend", "backend", "db-backup"}  # postgres is a public base image, not built here
    for service, promotion in found.items():
        assert promotion.source.startswith(f"{DEV_REGISTRY}/{service}@sha256:")
        assert promotion.target == f"{PROD_REGISTRY}/{service}@{promotion.digest}"


def test_a_dev_image_not_pinned_by_digest_cannot_be_promoted(tmp_path):
    services = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]["devsecops-platform:services"]
    services["backend"]["image"] = f"{DEV_REGISTRY}/backend:1.2.3"
    dev, prod = stacks(tmp_path, {"devsecops-platform:services": services})
    with pytest.raises(PromotionError, match="backend: .* not pinned by digest"):
        promotions(dev, prod)
    assert main([str(dev), str(prod)]) == 1


def test_the_workflow_copies_verified_dev_digests_and_never_builds():
    workflow = PROMOTE.read_text()
    assert not re.search(r"\bdocker (build|buildx)\b", workflow)
    promote = run_steps("promote")
    assert "python -m scripts.promote_images Pulumi.dev.yaml Pulumi.prod.yaml" in promote
    verify, copy = promote.index("cosign verify --key \"$DEV_KEY\""), promote.index('cosign copy --force "$source" "$target"')
    assert verify < promote.index("--type spdxjson \"$source\"") < promote.index("--type vuln \"$source\"") < copy
    # After the copy, prod's key signs what admission in prod verifies.
    assert copy < promote.index('cosign sign --yes --tlog-upload=false --key "$PROD_KEY" "$target"')


def test_the_pull_request_sets_prod_digests_and_names_the_dev_ones():
    gitops = run_steps("gitops")
    assert 'python -m scripts.update_image_digest Pulumi.prod.yaml "${updates[@]}"' in gitops
    assert '"| $service | \\`$source\\` | \\`$target\\` |"' in gitops  # dev (source) beside prod digest


def test_images_are_built_for_dev_only():
    images = load(WORKFLOWS / "images.yml")
    assert images["env"]["STACK"] == "dev" and images["jobs"]["build"]["environment"] == "dev"
    azure = yaml.safe_load((REPO_ROOT / "azure-pipelines" / "images.yml").read_text())
    assert [p["values"] for p in azure["parameters"] if p["name"] == "stack"] == [["dev"]]


@pytest.mark.parametrize("path", [WORKFLOWS / "images.yml", WORKFLOWS / "images-rescan.yml", PROMOTE,
                                  REPO_ROOT / "azure-pipelines" / "templates" / "image-steps.yml",
                                  REPO_ROOT / "azure-pipelines" / "images-promote.yml",
                                  REPO_ROOT / "azure-pipelines" / "templates" / "rescan-steps.yml"],
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_scan_attestation_replaces_the_last_one(path):
    """Admission judges every vuln attestation of an image; an old one left beside a fresh one would
    refuse the image once it ages, so each is replaced."""
    attests = re.findall(r"cosign attest [^\n]*--type vuln[^\n]*", path.read_text())
    assert attests and all("--replace" in a for a in attests)
