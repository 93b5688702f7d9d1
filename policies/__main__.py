"""Entry point the Pulumi CLI runs for `--policy-pack policies`: it only builds the PolicyPack.

The CLI runs this file with the pack directory on sys.path, not the repository root, so the root is
added to make the `policies` package (shared with tests and preflight) importable.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies import waivers  # noqa: E402
from policies.pack import PACK_NAME, policies  # noqa: E402

# Waived findings are not reported. A file that cannot be used waives nothing, and the rule
# policy-waivers-valid reports why, so the preview shows the problem instead of a pack that will not start.
try:
    in_force = waivers.load_shipped()
except waivers.WaiverError:
    in_force = waivers.Waivers()

# Advisory unless the environment's config file (policies/config/<env>.json) says otherwise.
PolicyPack(name=PACK_NAME, policies=policies(in_force), enforcement_level=EnforcementLevel.ADVISORY)
