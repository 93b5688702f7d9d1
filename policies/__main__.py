"""Entry point the Pulumi CLI runs for `--policy-pack policies`: it only builds the PolicyPack.

The CLI runs this file with the pack directory on sys.path, not the repository root, so the root is
added to make the `policies` package (shared with tests and preflight) importable.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.pack import PACK_NAME, policies  # noqa: E402

# Advisory unless the environment's config file (policies/config/<env>.json) says otherwise.
PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.ADVISORY)
