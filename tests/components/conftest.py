"""Plans of the shipped stacks, run once per session under the offline engine."""
import pytest

from preflight.engine import run_program
from preflight.model import Plan


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return run_program(stack="dev")


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return run_program(stack="prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def plan(request, dev_plan: Plan, prod_plan: Plan) -> Plan:
    return {"dev": dev_plan, "prod": prod_plan}[request.param]
