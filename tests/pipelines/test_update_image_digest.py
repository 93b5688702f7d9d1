"""The GitOps digest update: changes exactly one line per service, refuses anything else untouched."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts.update_image_digest import main

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
OLD = "1" * 64
NEW = "2" * 64

# A stack file of the project's shape, with the things a line edit must not disturb: comments,
# a quoted image, a trailing comment, flow mappings, and keys that contain colons.
STACK_TEXT = f"""\
# dev stack: the digests below are written by the images pipeline.
config:
  aws:region: eu-west-1
  devsecops-platform:environment: dev
  devsecops-platform:accountId: "111111111111"
  devsecops-platform:namePrefix: devsecops
  devsecops-platform:services:
    frontend:
      # the public entry point
      image: {REGISTRY}/devsecops-dev/frontend@sha256:{OLD}   # bumped by CI
      port: 3000
      resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}
      calls: [backend]
    backend:
      image: "{REGISTRY}/devsecops-dev/backend@sha256:{OLD}"
      port: 5000
    postgres:
      image: public.ecr.aws/docker/library/postgres:16.4@sha256:{OLD}
      port: 5432
  devsecops-platform:backupImage: {REGISTRY}/devsecops-dev/db-backup@sha256:{OLD}
"""


def image(service: str, digest: str = NEW, registry: str = REGISTRY, repo_stack: str = "dev") -> str:
    return f"{registry}/devsecops-{repo_stack}/{service}@sha256:{digest}"


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK_TEXT)
    return path


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new) if a != b]


def test_changes_only_the_image_line_and_keeps_its_comment(stack_file: Path, capsys):
    assert main([str(stack_file), f"frontend={image('frontend')}"]) == 0

    after = stack_file.read_text()
    assert changed_lines(STACK_TEXT, after) == [(
        f"      image: {REGISTRY}/devsecops-dev/frontend@sha256:{OLD}   # bumped by CI",
        f"      image: {REGISTRY}/devsecops-dev/frontend@sha256:{NEW}   # bumped by CI",
    )]
    assert yaml.safe_load(after)["config"]["devsecops-platform:services"]["frontend"]["image"] == image("frontend")
    assert f"-> {image('frontend')}" in capsys.readouterr().out


def test_keeps_quotes_and_updates_several_services_at_once(stack_file: Path):
    assert main([str(stack_file), f"frontend={image('frontend')}", f"backend={image('backend')}"]) == 0

    changes = changed_lines(STACK_TEXT, stack_file.read_text())
    assert [new for _, new in changes] == [
        f"      image: {REGISTRY}/devsecops-dev/frontend@sha256:{NEW}   # bumped by CI",
        f'      image: "{REGISTRY}/devsecops-dev/backend@sha256:{NEW}"',
    ]


def test_the_backup_image_has_its_own_setting(stack_file: Path):
    assert main([str(stack_file), f"db-backup={image('db-backup')}"]) == 0
    assert changed_lines(STACK_TEXT, stack_file.read_text()) == [(
        f"  devsecops-platform:backupImage: {REGISTRY}/devsecops-dev/db-backup@sha256:{OLD}",
        f"  devsecops-platform:backupImage: {REGISTRY}/devsecops-dev/db-backup@sha256:{NEW}",
    )]


def test_is_idempotent(stack_file: Path, capsys):
    assert main([str(stack_file), f"backend={image('backend')}"]) == 0
    once = stack_file.read_bytes()
    modified = stack_file.stat().st_mtime_ns
    capsys.readouterr()

    assert main([str(stack_file), f"backend={image('backend')}"]) == 0
    assert stack_file.read_bytes() == once
    assert stack_file.stat().st_mtime_ns == modified  # not even rewritten
    assert capsys.readouterr().out.strip() == "backend: unchanged"


def test_keeps_windows_line_ends(stack_file: Path):
    stack_file.write_bytes(STACK_TEXT.replace("\n", "\r\n").encode())
    assert main([str(stack_file), f"frontend={image('frontend')}"]) == 0
    data = stack_file.read_bytes()
    assert data.count(b"\r\n") == STACK_TEXT.count("\n")
    assert NEW.encode() in data


def test_name_prefix_comes_from_the_project_defaults_when_the_stack_has_none(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text(
        "name: devsecops-platform\nconfig:\n  namePrefix:\n    type: string\n    default: acme\n"
    )
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(STACK_TEXT.replace("  devsecops-platform:namePrefix: devsecops\n", "")
                          .replace("devsecops-dev/", "acme-dev/"))
    assert main([str(stack_file), f"frontend={REGISTRY}/acme-dev/frontend@sha256:{NEW}"]) == 0
    assert main([str(stack_file), f"frontend={image('frontend')}"]) == 1


REFUSED = {
    "other account's registry": (["frontend=" + image("frontend", registry="222222222222.dkr.ecr.eu-west-1.amazonaws.com")],
                                 "not this stack's repository"),
    "other region's registry": (["frontend=" + image("frontend", registry="111111111111.dkr.ecr.us-east-1.amazonaws.com")],
                                "not this stack's repository"),
    "public registry": ([f"frontend=docker.io/library/nginx@sha256:{NEW}"], "not this stack's repository"),
    "another stack's repository": (["frontend=" + image("frontend", repo_stack="prod")], "not this stack's repository"),
    "another service's repository": (["frontend=" + image("backend")], "not this stack's repository"),
    "tag instead of digest": ([f"frontend={REGISTRY}/devsecops-dev/frontend:1.2.3"], "not pinned by digest"),
    "latest tag": ([f"frontend={REGISTRY}/devsecops-dev/frontend:latest"], "not pinned by digest"),
    "tag and digest": ([f"frontend={REGISTRY}/devsecops-dev/frontend:1.2.3@sha256:{NEW}"], "not this stack's repository"),
    "short digest": (["frontend=" + image("frontend", digest="2" * 12)], "not 64 lowercase hex"),
    "upper-case digest": (["frontend=" + image("frontend", digest="A" * 64)], "not 64 lowercase hex"),
    "unknown service": (["cache=" + image("cache")], "not a service of stack dev"),
    "one good and one bad": (["frontend=" + image("frontend"), "backend=" + image("backend", digest="2")],
                             "not 64 lowercase hex"),
    "same service twice": (["frontend=" + image("frontend"), "frontend=" + image("frontend")], "more than once"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refuses_and_leaves_the_file_untouched(stack_file: Path, capsys, case: str):
    updates, message = REFUSED[case]
    assert main([str(stack_file), *updates]) == 1
    assert stack_file.read_text() == STACK_TEXT
    error = capsys.readouterr().err
    assert message in error and "left unchanged" in error


def test_refuses_an_image_it_cannot_edit_on_its_own_line(stack_file: Path, capsys):
    flow_style = STACK_TEXT.replace(
        f'    backend:\n      image: "{REGISTRY}/devsecops-dev/backend@sha256:{OLD}"\n      port: 5000\n',
        f'    backend: {{image: "{REGISTRY}/devsecops-dev/backend@sha256:{OLD}", port: 5000}}\n',
    )
    stack_file.write_text(flow_style)
    assert main([str(stack_file), f"backend={image('backend')}"]) == 1
    assert stack_file.read_text() == flow_style
    assert "found 0" in capsys.readouterr().err


def test_refuses_a_missing_stack_file(tmp_path: Path, capsys):
    assert main([str(tmp_path / "Pulumi.dev.yaml"), f"frontend={image('frontend')}"]) == 1
    assert "no such stack file" in capsys.readouterr().err
    assert not (tmp_path / "Pulumi.dev.yaml").exists()


def test_runs_as_a_module_from_the_repository_root(stack_file: Path):
    result = subprocess.run(
        [sys.executable, "-m", "scripts.update_image_digest", str(stack_file), "frontend=" + image("frontend", digest="3")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "not 64 lowercase hex" in result.stderr
    assert stack_file.read_text() == STACK_TEXT
