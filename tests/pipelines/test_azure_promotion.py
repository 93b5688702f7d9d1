"""The Azure twins of the promotion and rescan workflows do the same jobs with the same guarantees.

Both systems' files are parsed (Azure templates expanded with their parameters, as Azure compiles
them) and the commands that move, check and sign images are compared line for line, so the twins
cannot drift. Where the two systems differ by nature (how a role session is made, where a stack's
registry and region are read), the tests compare what those pieces resolve to instead.
"""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from workflow_rules import load

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
AZURE = REPO_ROOT / "azure-pipelines"
INSTALLER = REPO_ROOT / "scripts" / "install_ci_tools.sh"
TOOLS = Path(sys.executable).parent  # check-jsonschema comes with requirements-dev.txt

# What moves, checks and signs images, and the loops and files that feed those commands. The stack
# registry lookup is left out: GitHub writes it to $GITHUB_OUTPUT, Azure evaluates it in
# templates/with-aws-role.yml (compared by test_each_aws_session_uses_the_same_role_stack_and_key).
COMPARED = ("cosign ", "trivy ", "python -m scripts.promote_images ", "python -m scripts.update_image_digest ",
            "while read ", "done < ", "mapfile ", 'echo "$service=')
TEMPLATE_PARAMETER = re.compile(r"\$\{\{\s*parameters\.(\w+)\s*\}\}")
INSERT = "${{ insert }}"


# --- Azure Pipelines: templates expanded as Azure compiles them ----------------------------------

@dataclass(frozen=True)
class AzureJob:
    name: str
    definition: dict
    steps: list[dict]  # with every step template expanded


def instantiate(path: Path, arguments: dict) -> dict:
    """A template's document with its parameters substituted; refuses arguments it does not allow."""
    document = yaml.safe_load(path.read_text())
    declared = {p["name"]: p for p in document.get("parameters", [])}
    for name, value in arguments.items():
        assert name in declared, f"{path.name}: no parameter {name}"
        assert value in declared[name].get("values", [value]), f"{path.name}: {name}={value!r} is not allowed"
    values = {name: p.get("default") for name, p in declared.items()} | arguments

    def substitute(node):
        if isinstance(node, str):
            whole = TEMPLATE_PARAMETER.fullmatch(node.strip())
            return values[whole[1]] if whole else TEMPLATE_PARAMETER.sub(lambda m: str(values[m[1]]), node)
        if isinstance(node, list):
            return [substitute(item) for item in node]
        if isinstance(node, dict):
            inserted = substitute(node[INSERT]) if INSERT in node else {}
            return {substitute(k): substitute(v) for k, v in node.items() if k != INSERT} | inserted
        return node

    return substitute({key: value for key, value in document.items() if key != "parameters"})


def expand_steps(steps: list[dict], directory: Path) -> list[dict]:
    expanded = []
    for step in steps:
        if "template" in step:
            path = directory / step["template"]
            expanded += expand_steps(instantiate(path, step.get("parameters", {}))["steps"], path.parent)
        else:
            expanded.append(step)
    return expanded


def azure_jobs(path: Path) -> dict[str, AzureJob]:
    pipeline = instantiate(path, {})
    stages = pipeline.get("stages") or [{"jobs": pipeline["jobs"]}]
    jobs = {}
    for job in (job for stage in stages for job in stage["jobs"]):
        name = job.get("job") or job["deployment"]
        steps = job["steps"] if "steps" in job else job["strategy"]["runOnce"]["deploy"]["steps"]
        jobs[name] = AzureJob(name, job, expand_steps(steps, path.parent))
    return jobs


def azure_script(step: dict) -> str:
    return step.get("script") or step.get("bash") or step.get("inputs", {}).get("inlineScript", "")


def aws_sessions(job: AzureJob) -> list[dict]:
    return [step for step in job.steps if step.get("task", "").startswith("AzureCLI@")]


# --- both systems ---------------------------------------------------------------------------------

def logical_lines(script: str) -> list[str]:
    """Lines with backslash continuations joined, whitespace collapsed, comments left out."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def compared_commands(scripts: list[str]) -> list[str]:
    lines = [re.sub(r"^\.venv/bin/python ", "python ", line) for script in scripts for line in logical_lines(script)]
    return [line for line in lines if line.startswith(COMPARED)]


def github_runs(workflow: str, job: str) -> list[str]:
    return [step["run"] for step in load(WORKFLOWS / workflow)["jobs"][job]["steps"] if "run" in step]


def azure_runs(job: AzureJob) -> list[str]:
    return [azure_script(step) for step in job.steps]


def github_variable(expression: str) -> str:
    return re.fullmatch(r"(awskms:///)?\$\{\{ vars\.(\w+) \}\}", expression)[2]


def azure_variable(expression: str) -> str:
    return re.fullmatch(r"(awskms:///)?\$\((\w+)\)", expression)[2]


PROMOTE = azure_jobs(AZURE / "images-promote.yml")
RESCAN = azure_jobs(AZURE / "images-rescan.yml")
NEW_FILES = [AZURE / "images-promote.yml", AZURE / "images-rescan.yml", AZURE / "templates" / "rescan-steps.yml"]


def test_every_github_workflow_run_on_its_own_has_an_azure_twin():
    started = {path.name for path in WORKFLOWS.glob("*.yml") if "workflow_call" not in load(path)[True]}
    assert {"images-promote.yml", "images-rescan.yml"} <= started
    assert started <= {path.name for path in AZURE.glob("*.yml")}


def test_the_new_pipelines_match_the_azure_pipelines_schema():
    # The vendored schema has patterns the default regex engine rejects; Python's accepts them.
    result = subprocess.run([str(TOOLS / "check-jsonschema"), "--regex-variant", "python", "--builtin-schema",
                             "vendor.azure-pipelines", *map(str, NEW_FILES)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


# --- promotion ------------------------------------------------------------------------------------

def test_promotion_runs_the_same_commands_in_the_same_order():
    expected = compared_commands(github_runs("images-promote.yml", "promote"))
    assert expected[0] == "python -m scripts.promote_images Pulumi.dev.yaml Pulumi.prod.yaml | tee promotions.txt"
    assert any(line.startswith("cosign copy ") for line in expected)
    assert compared_commands(azure_runs(PROMOTE["promote"])) == expected


def test_the_digest_pull_request_runs_the_same_update_and_names_the_dev_digests():
    github = github_runs("images-promote.yml", "gitops")
    azure = azure_runs(PROMOTE["digest_pr"])
    assert compared_commands(azure) == compared_commands(github)
    update = 'python -m scripts.update_image_digest Pulumi.prod.yaml "${updates[@]}" | tee digest-changes.txt'
    assert update in compared_commands(azure)
    # The table row: each service's dev image (source) beside the prod image of the same digest.
    row = [line for line in logical_lines("\n".join(github)) if line.startswith('echo "| $service |')]
    assert row and set(row) <= set(logical_lines("\n".join(azure)))
    pr = next(line for line in logical_lines("\n".join(azure)) if line.startswith("az repos pr create "))
    assert '--description "$(cat pr-body.md)"' in pr
    # Only after a whole promotion, and from its record (GitHub: needs promote, the promotion artifact).
    stages = {stage["stage"]: stage for stage in yaml.safe_load((AZURE / "images-promote.yml").read_text())["stages"]}
    assert stages["gitops"]["dependsOn"] == "promote"
    assert {"publish": "promotion", "artifact": "promotion"} in PROMOTE["promote"].steps
    assert {"download": "current", "artifact": "promotion"} in PROMOTE["digest_pr"].steps


def test_each_aws_session_uses_the_same_role_stack_and_key():
    """GitHub: configure-aws-credentials, then the steps that use it; Azure: one AzureCLI task each."""
    github_sessions = []
    for step in load(WORKFLOWS / "images-promote.yml")["jobs"]["promote"]["steps"]:
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
            stack = re.fullmatch(r"\$\{\{ steps\.plan\.outputs\.(\w+)_region \}\}", step["with"]["aws-region"])[1]
            github_sessions.append((github_variable(step["with"]["role-to-assume"]), stack, {}))
        elif github_sessions and "env" in step:
            github_sessions[-1][2].update({k: github_variable(v) for k, v in step["env"].items() if "awskms:" in v})
    azure_sessions = []
    for step in aws_sessions(PROMOTE["promote"]):
        script = step["inputs"]["inlineScript"]
        role = re.search(r'--role-arn "([^"]+)"', script)[1]
        stack = re.search(r'scripts\.stack_registry "Pulumi\.(\w+)\.yaml"', script)[1]
        assert step["inputs"]["azureSubscription"] == f"aws-{stack}-oidc"  # the connection the stack trusts
        azure_sessions.append((azure_variable(role), stack, {k: azure_variable(v) for k, v in step["env"].items()}))
    assert azure_sessions == github_sessions == [
        ("DEV_CI_ROLE_ARN", "dev", {"DEV_KEY": "DEV_COSIGN_KMS_KEY_ARN"}),
        ("AWS_CI_ROLE_ARN", "prod", {"PROD_KEY": "COSIGN_KMS_KEY_ARN"}),
    ]


def test_the_dev_session_only_verifies_and_the_prod_session_only_writes_prod():
    dev, prod = (logical_lines(step["inputs"]["inlineScript"]) for step in aws_sessions(PROMOTE["promote"]))
    dev_cosign = [line for line in dev if line.startswith("cosign ")]
    assert dev_cosign and all(line.startswith(("cosign verify ", "cosign verify-attestation ")) for line in dev_cosign)
    assert [line for line in prod if "$DEV_KEY" in line] == []
    assert all('"$target"' in line for line in prod if line.startswith(("cosign sign ", "cosign attest ")))


def test_prod_promotion_never_builds_an_image():
    everything = "\n".join(yaml.safe_dump(job.definition) + "\n".join(map(yaml.safe_dump, job.steps))
                           for job in PROMOTE.values())
    assert not re.search(r"\bdocker\s+(build|buildx|image\s+build|push|tag|commit|import|load)\b", everything)
    assert not re.search(r"\b(buildah|kaniko|podman|syft)\b|Docker@|image-steps\.yml", everything)
    # Only `docker login` and `cosign copy` touch registries; what is copied is dev's digest.
    assert set(re.findall(r"\bdocker\s+(\w+)", everything)) == {"login"}
    copies = [line for line in compared_commands(azure_runs(PROMOTE["promote"])) if line.startswith("cosign copy")]
    assert copies == ['cosign copy --force "$source" "$target"']


def test_promotion_starts_only_by_hand_from_the_dev_stack_file_in_the_prod_environment():
    pipeline = yaml.safe_load((AZURE / "images-promote.yml").read_text())
    assert pipeline["trigger"] == "none" and pipeline["pr"] == "none"
    assert "parameters" not in pipeline  # nothing to choose at queue time: the source is Pulumi.dev.yaml
    promote = PROMOTE["promote"].definition
    assert promote["environment"] == load(WORKFLOWS / "images-promote.yml")["jobs"]["promote"]["environment"] == "prod"
    assert pipeline["lockBehavior"] == "sequential"  # GitHub: concurrency without cancelling


def test_only_the_pull_request_job_can_push_to_the_repository():
    for job in PROMOTE.values():
        pushes = any(step.get("persistCredentials") == "true" for step in job.steps if "checkout" in step)
        token = "System.AccessToken" in yaml.safe_dump(job.steps)
        assert pushes == token == (job.name == "digest_pr"), job.name
    assert aws_sessions(PROMOTE["digest_pr"]) == []  # no cloud access where the repository token is


# --- rescan ---------------------------------------------------------------------------------------

def test_rescan_runs_the_same_commands_for_the_same_stacks():
    expected = compared_commands(github_runs("images-rescan.yml", "rescan"))
    assert expected[0] == 'python -m scripts.promote_images "Pulumi.$STACK.yaml" "Pulumi.$STACK.yaml" | tee images.txt'
    stacks = load(WORKFLOWS / "images-rescan.yml")["jobs"]["rescan"]["strategy"]["matrix"]["stack"]
    assert set(RESCAN) == {f"rescan_{stack}" for stack in stacks}
    for job in RESCAN.values():
        assert compared_commands(azure_runs(job)) == expected, job.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_rescan_job_reaches_only_its_own_stack(stack: str):
    job = RESCAN[f"rescan_{stack}"]
    assert {"name": "STACK", "value": stack} in job.definition["variables"]
    assert {"group": f"devsecops-platform-{stack}"} in job.definition["variables"]
    [session] = aws_sessions(job)
    assert session["inputs"]["azureSubscription"] == f"aws-{stack}-oidc"
    assert f'scripts.stack_registry "Pulumi.{stack}.yaml"' in session["inputs"]["inlineScript"]
    assert '--role-arn "$(AWS_CI_ROLE_ARN)"' in session["inputs"]["inlineScript"]
    assert session["env"] == {"COSIGN_KEY": "awskms:///$(COSIGN_KMS_KEY_ARN)"}
    github_env = next(step["env"] for step in load(WORKFLOWS / "images-rescan.yml")["jobs"]["rescan"]["steps"]
                      if "COSIGN_KEY" in step.get("env", {}))
    assert github_variable(github_env["COSIGN_KEY"]) == azure_variable(session["env"]["COSIGN_KEY"])
    assert not any(step.get("persistCredentials") for step in job.steps if "checkout" in step)
    assert "System.AccessToken" not in yaml.safe_dump(job.steps)


def test_rescan_runs_on_the_same_schedule_even_when_nothing_changed():
    github = load(WORKFLOWS / "images-rescan.yml")[True]
    azure = yaml.safe_load((AZURE / "images-rescan.yml").read_text())
    assert [s["cron"] for s in azure["schedules"]] == [s["cron"] for s in github["schedule"]]  # both UTC
    [schedule] = azure["schedules"]
    assert schedule["always"] == "true"  # Azure skips an unchanged branch's scheduled run otherwise
    assert schedule["branches"] == {"include": ["main"]}
    assert azure["trigger"] == azure["pr"] == "none"


# --- pinned tools ---------------------------------------------------------------------------------

ALL_JOBS = [*PROMOTE.values(), *RESCAN.values()]


@pytest.mark.parametrize("job", ALL_JOBS, ids=lambda job: job.name)
def test_every_tool_comes_pinned_from_the_checked_installer(job: AzureJob):
    installed: set[str] = set()
    for step in job.steps:
        lines = logical_lines(azure_script(step))
        for line in lines:
            if line.startswith("scripts/install_ci_tools.sh "):
                assert line.endswith('&& echo "##vso[task.prependpath]$(Agent.ToolsDirectory)/ci-bin"')
                installed |= set(line.split(" && ")[0].split()[2:])
        used = {line.split()[0] for line in lines} & {"cosign", "trivy", "syft", "pulumi"}
        assert used <= installed, f"{job.name}: {used - installed} used before install_ci_tools.sh installs it"
        text = "\n".join(lines)
        assert not re.search(r"\b(curl|wget|apt-get|npm|go install)\b", text)
        for pip in re.findall(r"pip install [^&\n]*", text):
            assert pip.strip() == "pip install --quiet \"$(grep '^PyYAML==' requirements.txt)\""
    assert all(re.fullmatch(r"\w+@\d+", step["task"]) for step in job.steps if "task" in step)


def test_trivy_is_the_version_the_github_twins_pin():
    installer = re.search(r"^TRIVY_VERSION=(\S+)$", INSTALLER.read_text(), re.MULTILINE)[1]
    for workflow, job in [("images-promote.yml", "promote"), ("images-rescan.yml", "rescan")]:
        [setup] = [s for s in load(WORKFLOWS / workflow)["jobs"][job]["steps"]
                   if s.get("uses", "").startswith("aquasecurity/setup-trivy@")]
        assert setup["with"]["version"] == f"v{installer}"
    assert re.search(r"^PyYAML==\S+$", (REPO_ROOT / "requirements.txt").read_text(), re.MULTILINE)
