"""Runs the backend as its image does (`python -m notes_api`), on 127.0.0.1 at a free port."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pg_server import free_port

BACKEND_DIR = Path(__file__).resolve().parents[2] / "app" / "backend"
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict


@dataclass
class BackendProcess:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json") -> Reply:
        request = urllib.request.Request(f"{self.url}{path}", data=body, method=method,
                                         headers={"Content-Type": content_type} if body is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Reply(error.code, json.loads(error.read()))

    def post_json(self, path: str, value: object) -> Reply:
        return self.request("POST", path, json.dumps(value).encode())


def backend_env(**overrides: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(BACKEND_DIR), "PYTHONDONTWRITEBYTECODE": "1", **overrides}


def _wait_until_listening(backend: BackendProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if backend.process.poll() is not None:
            raise RuntimeError(f"backend exited with {backend.process.returncode}")
        try:
            backend.request("GET", "/no-such-route")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("backend did not start listening")


@contextlib.contextmanager
def running_backend(database_url: str, **env: str) -> Iterator[BackendProcess]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "notes_api"],
        env=backend_env(DATABASE_URL=database_url, PORT=str(port), HOST="127.0.0.1", **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    backend = BackendProcess(process, port)
    try:
        _wait_until_listening(backend)
        yield backend
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        process.stderr.close()
