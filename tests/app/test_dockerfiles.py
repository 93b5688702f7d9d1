"""Every app image's Dockerfile (app/*/Dockerfile) passes the checks of dockerfile_rules, and the
checker itself catches each kind of mistake."""
from pathlib import Path

import pytest

from dockerfile_rules import dockerfile_problems, stages

APP_DIR = Path(__file__).resolve().parents[2] / "app"
DOCKERFILES = sorted(APP_DIR.glob("*/Dockerfile"))
# Services whose runtime needs nothing but their language runtime: no shell at all.
DISTROLESS = {"frontend", "backend"}

DIGEST = "sha256:" + "ab" * 32
GOOD = f"""\
FROM python:3.11-slim@{DIGEST} AS build
RUN pip install --target /deps -r requirements.txt

FROM gcr.io/distroless/python3-debian12:nonroot@{DIGEST}
COPY --from=build /deps /deps
USER 65532:65532
HEALTHCHECK --interval=30s CMD ["/usr/bin/python3", "-m", "app.healthcheck"]
ENTRYPOINT ["/usr/bin/python3", "-m", "app"]
"""


def test_the_app_images_are_all_found():
    assert {path.parent.name for path in DOCKERFILES} >= DISTROLESS


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_dockerfile_passes_the_checks(dockerfile: Path):
    assert dockerfile_problems(dockerfile.read_text()) == []


@pytest.mark.parametrize("service", sorted(DISTROLESS))
def test_service_runtime_is_distroless_and_health_checked(service: str):
    final = stages((APP_DIR / service / "Dockerfile").read_text())[-1]
    assert final.image.startswith("gcr.io/distroless/")
    assert final.args_of("RUN") == []
    assert " CMD [" in f" {final.args_of('HEALTHCHECK')[-1]}"  # a server is probed, never NONE


def test_a_batch_image_may_switch_the_healthcheck_off_explicitly():
    assert dockerfile_problems(GOOD.replace('--interval=30s CMD ["/usr/bin/python3", "-m", "app.healthcheck"]', "NONE")) == []


def test_a_good_dockerfile_passes():
    assert dockerfile_problems(GOOD) == []


MISTAKES = {
    "single stage": (GOOD.split("\n\n", 1)[1], "not a multi-stage build"),
    "tag only": (GOOD.replace(f"python:3.11-slim@{DIGEST}", "python:3.11-slim"), "not pinned"),
    "digest without tag": (GOOD.replace(f"python:3.11-slim@{DIGEST}", f"python@{DIGEST}"), "not pinned"),
    "short digest": (GOOD.replace(DIGEST, "sha256:abc123"), "not pinned"),
    "image from a build argument": (GOOD.replace(f"python:3.11-slim@{DIGEST}", "${BASE}"), "not pinned"),
    "no user": (GOOD.replace("USER 65532:65532\n", ""), "no USER"),
    "root user": (GOOD.replace("USER 65532:65532", "USER 0"), "not a numeric non-root"),
    "named user": (GOOD.replace("USER 65532:65532", "USER nonroot"), "not a numeric non-root"),
    "back to root at the end": (GOOD.replace("USER 65532:65532", "USER 65532\nUSER root"), "not a numeric non-root"),
    "no healthcheck": (GOOD.replace('HEALTHCHECK --interval=30s CMD ["/usr/bin/python3", "-m", "app.healthcheck"]\n', ""),
                       "no HEALTHCHECK"),
    "shell healthcheck": (GOOD.replace('CMD ["/usr/bin/python3", "-m", "app.healthcheck"]', "CMD curl -f localhost"),
                          "exec form"),
    "shell entrypoint": (GOOD.replace('ENTRYPOINT ["/usr/bin/python3", "-m", "app"]', "ENTRYPOINT python3 -m app"),
                         "not in exec form"),
    "pip in the final stage": (GOOD + "RUN pip install flask\n", "build tooling"),
    "compiler package in the final stage": (GOOD + "RUN apt-get update && \\\n    apt-get install -y gcc libpq-dev\n",
                                            "build tooling"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_checker_catches(mistake: str):
    text, expected = MISTAKES[mistake]
    assert any(expected in problem for problem in dockerfile_problems(text)), dockerfile_problems(text)
