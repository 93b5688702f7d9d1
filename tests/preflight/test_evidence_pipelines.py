"""Both deploy pipelines keep evidence the same way: after `pulumi up`, verify's live results go into
a bundle that is checked, signed with the stack's KMS cosign key and copied to the evidence bucket."""
from __future__ import annotations

import re
import subprocess

import yaml

from preflight.stack_files import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "publish_evidence.sh"
GITHUB = PROJECT_ROOT / ".github" / "workflows" / "deploy-stack.yml"
AZURE = PROJECT_ROOT / "azure-pipelines" / "templates" / "up-steps.yml"


def commands(text: str) -> list[str]:
    """Shell lines without comments, continuation lines joined."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_script_is_valid_bash_and_stops_on_the_first_failure():
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0
    assert "set -euo pipefail" in commands(SCRIPT.read_text())


def test_the_bundle_is_made_from_every_source_checked_signed_privately_and_kept_in_the_bucket():
    lines = commands(SCRIPT.read_text())

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    made = first(r"python -m preflight evidence --stack \"\$stack\" --out \"\$out\" --verify \"\$verify\" "
                 r"--policy-reports \S+ --history \S+")
    checked = first(r"python -m preflight evidence verify \"\$out\"$")
    signed = first(r"^cosign sign-blob --yes --tlog-upload=false --key \"awskms:///\$COSIGN_KMS_KEY_ARN\" "
                   r"--output-signature \"\$out/SHA256SUMS.sig\" \"\$out/SHA256SUMS\"$")
    kept = first(r"^aws s3 cp --recursive --only-show-errors \"\$out\" \"s3://\$bucket/\$stack/\$name/\"$")
    assert made < checked < signed < kept
    assert first(r"^bucket=\"\$\(pulumi stack output evidenceBucketName --stack \"\$stack\"\)\"$") < made
    assert first(r"kubectl get policyreports,clusterpolicyreports -A -o json") < made
    assert lines[-1] == 'exit "$status"'  # the verdict, after the bundle is kept


def test_github_runs_it_after_verify_with_the_signing_key_and_cosign_installed():
    steps = yaml.safe_load(GITHUB.read_text())["jobs"]["up"]["steps"]
    names = [step.get("uses", "").split("@")[0] or step.get("name", "") for step in steps]
    evidence = next(step for step in steps if "scripts/publish_evidence.sh" in step.get("run", ""))
    assert names.index("sigstore/cosign-installer") < steps.index(evidence)
    assert evidence["env"]["COSIGN_KMS_KEY_ARN"] == "${{ vars.COSIGN_KMS_KEY_ARN }}"
    run = commands(evidence["run"])
    verify = next(i for i, line in enumerate(run) if 'preflight verify --stack "$STACK" --format json' in line)
    assert verify < next(i for i, line in enumerate(run) if "scripts/publish_evidence.sh" in line)


def test_azure_runs_it_after_verify_with_cosign_installed_and_the_signing_key():
    steps = yaml.safe_load(AZURE.read_text())["steps"]
    install = next(step["script"] for step in steps if "install_ci_tools.sh" in step.get("script", ""))
    assert "cosign" in install.split()
    evidence = next(step["parameters"] for step in steps if "scripts/publish_evidence.sh" in step.get("parameters", {}).get("script", ""))
    assert evidence["env"]["COSIGN_KMS_KEY_ARN"] == "$(COSIGN_KMS_KEY_ARN)"
    assert "--format json --output" in evidence["script"]
