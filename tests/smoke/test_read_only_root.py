"""Under the smoke run a container writes only to its pod's writable volumes: anywhere else on its
root fails, as with readOnlyRootFilesystem, while the emptyDir at /tmp takes the write."""
from __future__ import annotations

import pytest

from preflight.engine import run_program
from preflight.smoke import pods
from preflight.smoke.cluster import cluster_of

WRITE = "import sys; open(sys.argv[1], 'w').write('x')"


@pytest.fixture(scope="module")
def backup_pod():
    cluster = cluster_of(run_program(stack="dev"))
    return cluster, cluster.workloads["db-backup"]


def write_in_pod(backup_pod, tmp_path, path: str) -> tuple[int, str]:
    cluster, workload = backup_pod
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1\tlocalhost\n")
    container = pods.start(workload, cluster, tmp_path / "pod", hosts, "127.0.0.1", command=["python3", "-c", WRITE, path])
    return container.process.wait(timeout=60), container.log.read_text()


def test_the_emptydir_takes_writes(backup_pod, tmp_path):
    assert write_in_pod(backup_pod, tmp_path, "/tmp/scratch") == (0, "")


@pytest.mark.parametrize("path", ["/app/stray.py", "/etc/stray", "/stray", "/var/run/secrets/app/stray"])
def test_a_write_anywhere_else_fails(backup_pod, tmp_path, path):
    code, log = write_in_pod(backup_pod, tmp_path, path)
    assert code == 1 and "Read-only file system" in log, log
