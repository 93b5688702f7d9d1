"""Live evidence: check the deployed AWS account, read-only, against the policy pack's controls.

    from preflight.verify import StackOutputs, verify
    results = verify(StackOutputs.from_file("outputs.json"))
"""
from .model import ControlResult, Status, all_passed
from .outputs import MissingOutput, StackOutputs
from .rules import VERIFY_RULES
from .run import verify

__all__ = ["ControlResult", "MissingOutput", "StackOutputs", "Status", "VERIFY_RULES", "all_passed", "verify"]
