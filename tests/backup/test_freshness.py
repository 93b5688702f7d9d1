"""freshness.py: passes on a fresh backup, fails on an old one or none (clock set by BACKUP_NOW)."""
from __future__ import annotations

import json

TAKEN_AT = "2030-06-01T02:00:00Z"


def backup_at(setup, when: str) -> dict:
    result = setup.run("backup.py", BACKUP_NOW=when)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_fresh_backup_passes(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int)")
    assert backup_setup.run("backup.py").returncode == 0  # taken now, by the real clock

    result = backup_setup.run("freshness.py")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fresh"] is True


def test_backup_older_than_the_interval_fails(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int)")
    backup_at(backup_setup, TAKEN_AT)

    within = backup_setup.run("freshness.py", BACKUP_NOW="2030-06-02T03:59:00Z", BACKUP_MAX_AGE_HOURS="26")
    beyond = backup_setup.run("freshness.py", BACKUP_NOW="2030-06-02T04:01:00Z", BACKUP_MAX_AGE_HOURS="26")

    assert within.returncode == 0, within.stderr
    assert beyond.returncode == 1
    assert json.loads(beyond.stdout)["fresh"] is False


def test_the_newest_backup_counts(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int)")
    backup_at(backup_setup, "2030-05-01T02:00:00Z")
    newest = backup_at(backup_setup, TAKEN_AT)

    result = backup_setup.run("freshness.py", BACKUP_NOW="2030-06-01T12:00:00Z")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["key"] == newest["key"]


def test_no_backup_fails(backup_setup):
    result = backup_setup.run("freshness.py")

    assert result.returncode == 1
    assert "no good backup" in result.stderr


def test_unreadable_bucket_fails(backup_setup):
    result = backup_setup.run("freshness.py", BACKUP_BUCKET="no-such-bucket")

    assert result.returncode == 1
    assert "NoSuchBucket" in result.stderr
