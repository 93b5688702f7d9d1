"""The Azure tool installer unpacks nothing whose checksum does not match its release's list."""
import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_ci_tools.sh"
ARCHIVE = "syft_1.46.0_linux_amd64.tar.gz"

# Stands in for curl: serves files from $FAKE_RELEASE by the last part of the URL.
FAKE_CURL = """#!/usr/bin/env bash
while [ $# -gt 0 ]; do
  case "$1" in --output) out="$2"; shift 2 ;; --*) shift ;; *) url="$1"; shift ;; esac
done
cp "$FAKE_RELEASE/${url##*/}" "$out"
"""


def syft_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"#!/bin/sh\necho syft\n"
        info = tarfile.TarInfo("syft")
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def release(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "release").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "curl").write_text(FAKE_CURL)
    (tmp_path / "bin" / "curl").chmod(0o755)
    archive = syft_archive()
    (tmp_path / "release" / ARCHIVE).write_bytes(archive)
    (tmp_path / "release" / "syft_1.46.0_checksums.txt").write_text(
        f"{hashlib.sha256(archive).hexdigest()}  {ARCHIVE}\n{'0' * 64}  syft_1.46.0_darwin_arm64.tar.gz\n"
    )
    return {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "FAKE_RELEASE": str(tmp_path / "release")}


def install(env: dict[str, str], dest: Path, *tools: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), str(dest), *tools], env=env, capture_output=True, text=True, timeout=60)


def test_installs_a_tool_whose_checksum_matches(release, tmp_path: Path):
    result = install(release, tmp_path / "tools", "syft")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tools" / "syft").read_bytes() == b"#!/bin/sh\necho syft\n"


def test_refuses_a_tampered_archive(release, tmp_path: Path):
    archive = Path(release["FAKE_RELEASE"]) / ARCHIVE
    archive.write_bytes(archive.read_bytes() + b"tampered")
    result = install(release, tmp_path / "tools", "syft")
    assert result.returncode != 0
    assert not (tmp_path / "tools" / "syft").exists()


def test_refuses_an_archive_missing_from_the_checksum_list(release, tmp_path: Path):
    sums = Path(release["FAKE_RELEASE"]) / "syft_1.46.0_checksums.txt"
    sums.write_text(sums.read_text().splitlines()[1] + "\n")
    assert install(release, tmp_path / "tools", "syft").returncode != 0
    assert not (tmp_path / "tools" / "syft").exists()


def test_refuses_an_unknown_tool(tmp_path: Path):
    result = install(dict(os.environ), tmp_path / "tools", "kubectl")
    assert result.returncode == 2 and "unknown tool: kubectl" in result.stderr
