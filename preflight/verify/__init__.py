"""Live evidence: check the deployed AWS account, read-only, against the policy pack's controls.

    expected = ExpectedStack.from_plan(run_program(stack="dev"))       # what must exist
    judgement = against_stack(expected, StackOutputs.from_file(Path("outputs.json")))
    results = verify(judgement.values)                                  # plus judgement.problems
"""
from .model import ControlResult, Status, all_passed
from .outputs import MissingOutput, StackOutputs
from .rules import VERIFY_RULES
from .run import verify, wrong_account

__all__ = ["ControlResult", "MissingOutput", "StackOutputs", "Status", "VERIFY_RULES", "all_passed", "verify", "wrong_account"]
