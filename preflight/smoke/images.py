"""Images as this machine can run them, without a registry or a container runtime.

- One of this repository's app images (`<namePrefix>-<stack>/<app>` in the stack's ECR registry)
  is its Dockerfile's final stage (ENTRYPOINT, CMD, USER, WORKDIR, ENV, STOPSIGNAL) with the
  app's source directory, app/<app>, at its WORKDIR.
- The official PostgreSQL image is Debian's PostgreSQL server with a stand-in for the image's
  entrypoint (postgres_entrypoint.py), which does what the image's does with the variables the
  stack sets; the db-backup image is built on it and inherits its PATH and PGDATA.
- An image's interpreter is this machine's: python3 is the virtualenv's (it holds the apps' pinned
  packages), node is Node.js from PATH. The rest of the image's filesystem is the host's /usr and
  /etc, read-only.
"""
from __future__ import annotations

import glob
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Mapping

from preflight.smoke.dockerfile import DEFAULT_PATH, ImageConfig, apply, final_stage
from preflight.stack_files import PROJECT_ROOT

APP_DIR = PROJECT_ROOT / "app"
VENV_BIN = Path(sys.executable).parent
POSTGRES_REPOSITORIES = ("postgres", "library/postgres", "docker.io/library/postgres", "public.ecr.aws/docker/library/postgres")
POSTGRES_ENTRYPOINT = Path(__file__).with_name("postgres_entrypoint.py")


class ImageError(LookupError):
    pass


@dataclass(frozen=True)
class LocalImage:
    config: ImageConfig
    # Image path -> host path, bound read-only: the app's sources, an entrypoint stand-in.
    files: Mapping[str, Path] = field(default_factory=dict)


def repository_of(image: str) -> str:
    """registry/path/name of a reference, without its tag or digest."""
    name = image.split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    return head + slash + last.split(":", 1)[0]


def postgres_bindir() -> Path:
    found = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    if not found:
        raise ImageError("no PostgreSQL server under /usr/lib/postgresql: install Debian's postgresql package (.ci/run does)")
    return Path(max(found, key=lambda path: int(Path(path).parts[-3]))).parent


def postgres_image() -> LocalImage:
    return LocalImage(
        config=ImageConfig(
            entrypoint=("python3", "/docker-entrypoint.py"), cmd=("postgres",), user="0", workdir="/",
            # The image's locale is en_US.utf8, which a Debian host may not have generated.
            env={"PATH": f"{DEFAULT_PATH}:{postgres_bindir()}", "PGDATA": "/var/lib/postgresql/data", "LANG": "C.UTF-8"},
            stop_signal=signal.SIGINT,  # the image's STOPSIGNAL: a fast shutdown
        ),
        files={"/docker-entrypoint.py": POSTGRES_ENTRYPOINT},
    )


def _app_image(app: str) -> LocalImage:
    base, stage = final_stage((APP_DIR / app / "Dockerfile").read_text())
    parent = postgres_image() if repository_of(base) in POSTGRES_REPOSITORIES else LocalImage(ImageConfig())
    config = apply(parent.config, stage)
    return LocalImage(config, {**parent.files, config.workdir: APP_DIR / app})


def local_image(image: str, app_repositories: Mapping[str, str]) -> LocalImage:
    """`app_repositories`: this stack's ECR repository name (e.g. devsecops-dev/backend) -> app."""
    repository = repository_of(image)
    if repository in POSTGRES_REPOSITORIES:
        return postgres_image()
    path = repository.split("/", 1)[1] if "/" in repository else repository
    app = app_repositories.get(path)
    if app is None or not (APP_DIR / app / "Dockerfile").is_file():
        raise ImageError(f"{image}: neither an app image of this repository nor one the smoke run stands in for")
    return _app_image(app)


def local_argv(argv: tuple[str, ...]) -> list[str]:
    """The command with the image's interpreter replaced by this machine's."""
    name = PurePosixPath(argv[0]).name
    if name.startswith("python"):
        return [str(VENV_BIN / "python3"), *argv[1:]]
    if name == "node":
        node = shutil.which("node")
        if node is None:
            raise ImageError("node is not on PATH: the frontend needs Node.js 20 or newer")
        return [node, *argv[1:]]
    return list(argv)
