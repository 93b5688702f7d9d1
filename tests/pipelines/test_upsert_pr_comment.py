"""The PR comment step posts a report once, then edits that same comment on every re-run."""
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "upsert_pr_comment.sh"

# A stand-in for the GitHub CLI: records each call; the comment listing answers with the id in
# $FAKE_EXISTING_ID (what `--jq` would have selected), or nothing.
FAKE_GH = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_GH_LOG"
if [ "$2" != "--method" ] && [ -n "${FAKE_EXISTING_ID:-}" ]; then echo "$FAKE_EXISTING_ID"; fi
"""


@pytest.fixture
def fake_gh(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_GH_LOG": str(tmp_path / "gh.log"),
        "GITHUB_REPOSITORY": "example-org/devsecops-platform",
        "PR_NUMBER": "42",
    }


def run(env: dict[str, str], report: Path) -> list[str]:
    subprocess.run(["bash", str(SCRIPT), "preflight:dev", str(report)], env=env, check=True, timeout=30)
    return Path(env["FAKE_GH_LOG"]).read_text().splitlines()


def test_posts_a_new_comment_with_the_marker(fake_gh, tmp_path: Path):
    report = tmp_path / "report.md"
    report.write_text("## Policy results\nall passed\n")
    calls = run(fake_gh, report)
    assert calls[0].startswith("api --paginate repos/example-org/devsecops-platform/issues/42/comments")
    assert calls[1].startswith("api --method POST repos/example-org/devsecops-platform/issues/42/comments")
    assert "body=<!-- preflight:dev -->\n## Policy results" in Path(fake_gh["FAKE_GH_LOG"]).read_text()


def test_edits_the_earlier_comment(fake_gh, tmp_path: Path):
    report = tmp_path / "report.md"
    report.write_text("second run\n")
    calls = [line for line in run({**fake_gh, "FAKE_EXISTING_ID": "777"}, report) if line.startswith("api ")]
    assert calls[1].startswith("api --method PATCH repos/example-org/devsecops-platform/issues/comments/777")
    assert len(calls) == 2  # listed, then edited: no new comment


def test_cuts_a_report_too_long_for_a_comment(fake_gh, tmp_path: Path):
    report = tmp_path / "report.md"
    report.write_text("x" * 70000)
    run(fake_gh, report)
    log = Path(fake_gh["FAKE_GH_LOG"]).read_text()
    assert "x" * 60000 in log and "x" * 60001 not in log
    assert "cut at 60000 characters" in log
