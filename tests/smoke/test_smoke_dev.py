"""`make smoke` on the dev stack: every workload starts under its pod's identity, every declared
probe succeeds, a note goes through the frontend into PostgreSQL, and the backups work."""
from __future__ import annotations

import pytest

from components.database import BACKUP_WORKLOAD
from preflight.stack_files import PROJECT_ROOT
from smoke_run import smoke

PROBES = {
    "postgres": ("startupProbe", "readinessProbe", "livenessProbe"),
    "backend": ("readinessProbe", "livenessProbe"),
    "frontend": ("readinessProbe", "livenessProbe"),
}


@pytest.fixture(scope="module")
def dev_run():
    return smoke(PROJECT_ROOT / "Pulumi.dev.yaml")


def test_the_dev_stack_passes(dev_run):
    assert dev_run.code == 0, "\n".join(dev_run.lines)
    assert dev_run.lines[-1].startswith("smoke: PASS")
    assert dev_run.lines_of("FAIL") == [] and dev_run.lines_of("SKIP") == []


def test_each_workload_runs_restricted_and_each_declared_probe_succeeds(dev_run):
    for workload, kinds in PROBES.items():
        started, = dev_run.lines_of("PASS", workload, "start")
        assert "no capabilities, no_new_privs, read-only root" in started
        assert dev_run.lines_of("PASS", workload, "stop")
        for kind in kinds:
            assert len(dev_run.lines_of("PASS", workload, kind)) == 1, (workload, kind)


def test_a_note_goes_through_and_the_backups_restore_it(dev_run):
    assert dev_run.lines_of("PASS", "frontend->postgres", "request")
    assert dev_run.lines_of("PASS", BACKUP_WORKLOAD, "job")
    assert dev_run.lines_of("PASS", "restore", "README") and dev_run.lines_of("PASS", "restore", "data")
    assert dev_run.lines_of("PASS", f"{BACKUP_WORKLOAD}-freshness", "job")


def test_the_run_stays_quick(dev_run):
    assert dev_run.seconds < 90
