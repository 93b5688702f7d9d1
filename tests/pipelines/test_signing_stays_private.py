"""Private images are signed with the KMS key only: nothing about them goes to the public Rekor log."""
import re

from preflight.stack_files import PROJECT_ROOT

PIPELINES = [*sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml")), *sorted((PROJECT_ROOT / "azure-pipelines").rglob("*.yml"))]
SIGNING = re.compile(r"\bcosign (sign|attest) --[^\n]*")  # commands, not prose in comments


def test_every_signature_and_attestation_skips_the_public_transparency_log():
    commands = [(path.name, m.group(0)) for path in PIPELINES for m in SIGNING.finditer(path.read_text())]
    assert {verb for _, line in commands for verb in ("sign", "attest") if f"cosign {verb}" in line} == {"sign", "attest"}
    assert [c for c in commands if "--tlog-upload=false" not in c[1]] == []
