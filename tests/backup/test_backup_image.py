"""The backup image's Dockerfile and pins (the image cannot be built in the test run)."""
from __future__ import annotations

import re
from importlib.metadata import version

from backup_harness import SCRIPTS

DOCKERFILE = (SCRIPTS / "Dockerfile").read_text()
PINNED_IMAGE = re.compile(r"^\S+:\S+@sha256:[0-9a-f]{64}$")


def instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def test_every_base_image_is_pinned_by_digest():
    images = [args.split()[0] for args in instructions("FROM")]
    assert len(images) >= 2  # multi-stage
    assert [i for i in images if not PINNED_IMAGE.match(i)] == []


def test_runs_as_a_numeric_non_root_user_without_a_healthcheck_by_design():
    user = instructions("USER")[-1]
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user)
    assert instructions("HEALTHCHECK") == ["NONE"]


def test_image_ships_every_script():
    copied = {name for args in instructions("COPY") if not args.startswith("--from") for name in args.split()[:-1]}
    assert {p.name for p in SCRIPTS.glob("*.py")} <= copied


def test_image_pins_the_boto3_the_tests_ran_with():
    pins = dict(re.findall(r"^([\w.-]+)==(\S+)", (SCRIPTS / "requirements.txt").read_text(), re.MULTILINE))
    assert {name: version(name) for name in pins} == pins
    assert all("--hash=sha256:" in line for line in (SCRIPTS / "requirements.txt").read_text().splitlines()
               if line and not line.startswith("#"))
