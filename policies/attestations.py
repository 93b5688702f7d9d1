"""What admission verifies on a signed image beyond its signature: the attestations the images
pipeline makes with the stack's signing key, as Kyverno verifyImages fragments (pure functions).

- The SBOM: `cosign attest --type spdxjson` (syft's SPDX JSON document).
- The vulnerability scan: `cosign attest --type vuln` of `trivy image --format cosign-vuln`, no older
  than the stack's limit and reporting no CRITICAL finding. The pipeline scans every deployed digest
  again each day (`--replace`), so a running image stays admissible while nothing critical is found.

Any key of the stack's signing key list is accepted (one suffices), so a key is rotated without
refusing images signed by the key it replaces.
"""
from __future__ import annotations

SBOM_PREDICATE = "https://spdx.dev/Document"
VULN_PREDICATE = "https://cosign.sigstore.dev/attestation/vuln/v1"
# JMESPath over trivy's report inside the predicate: how many CRITICAL findings, 0 when none. A
# result without vulnerabilities has no Vulnerabilities list at all, hence the default.
CRITICAL_COUNT = ("{{ length(scanner.result.Results[].Vulnerabilities[] | [?Severity == 'CRITICAL'] || `[]`) }}")
SCAN_AGE = "{{ time_since('', '{{ metadata.scanFinishedOn }}', '') }}"
SPDX_VERSION = "{{ spdxVersion }}"


def attestors(public_keys: tuple[str, ...]) -> list[dict]:
    """One entry per trusted key; `count: 1` makes any one of them enough."""
    # No signatureAlgorithm: sha256 is Kyverno's default, and the field under `keys` is deprecated.
    entries = [{"keys": {
        "publicKeys": key,
        # The keys live in KMS, not in Sigstore's public infrastructure.
        "rekor": {"ignoreTlog": True},
        "ctlog": {"ignoreSCT": True},
    }} for key in public_keys]
    return [{"count": 1, "entries": entries}]


def attestations(public_keys: tuple[str, ...], scan_max_age_hours: int) -> list[dict]:
    return [
        {
            "type": SBOM_PREDICATE,
            "attestors": attestors(public_keys),
            "conditions": [{"all": [{"key": SPDX_VERSION, "operator": "Equals", "value": "SPDX-2.*",
                                     "message": "the SBOM attestation is not an SPDX 2 document"}]}],
        },
        {
            "type": VULN_PREDICATE,
            "attestors": attestors(public_keys),
            "conditions": [{"all": [
                {"key": SCAN_AGE, "operator": "LessThanOrEquals", "value": f"{scan_max_age_hours}h",
                 "message": f"the vulnerability scan is older than {scan_max_age_hours} hours"},
                {"key": CRITICAL_COUNT, "operator": "Equals", "value": 0,
                 "message": "the vulnerability scan reports a CRITICAL finding"},
            ]}],
        },
    ]
