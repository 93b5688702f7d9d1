"""The Azure PR comment step opens one thread per report and edits it on re-runs."""
import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "azure_pr_comment.sh"

# Stands in for curl: logs method, URL and body; a GET answers with $FAKE_THREADS.
FAKE_CURL = """#!/usr/bin/env bash
method=GET body=""
while [ $# -gt 0 ]; do
  case "$1" in --request) method="$2"; shift 2 ;; --header) shift 2 ;; --data) body="$(cat)"; shift 2 ;; --*) shift ;; *) url="$1"; shift ;; esac
done
jq -cn --arg m "$method" --arg u "$url" --arg b "$body" '{method: $m, url: $u, body: $b}' >> "$FAKE_CURL_LOG"
if [ "$method" = GET ]; then printf '%s' "$FAKE_THREADS"; fi
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "curl").write_text(FAKE_CURL)
    (tmp_path / "curl").chmod(0o755)
    return {
        **os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "FAKE_CURL_LOG": str(tmp_path / "log"),
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/example/", "SYSTEM_TEAMPROJECT": "platform",
        "BUILD_REPOSITORY_ID": "repo-id", "SYSTEM_PULLREQUEST_PULLREQUESTID": "7", "SYSTEM_ACCESSTOKEN": "token",
    }


def calls(env: dict[str, str], threads: list[dict], tmp_path: Path) -> list[dict]:
    report = tmp_path / "report.md"
    report.write_text("all rules passed\n")
    subprocess.run(["bash", str(SCRIPT), "preflight:dev", str(report)],
                   env={**env, "FAKE_THREADS": json.dumps({"value": threads})}, check=True, timeout=30)
    return [json.loads(line) for line in Path(env["FAKE_CURL_LOG"]).read_text().splitlines()]


THREADS_URL = "https://dev.azure.com/example/platform/_apis/git/repositories/repo-id/pullRequests/7/threads"


def test_opens_a_thread_with_the_marker(env, tmp_path: Path):
    listed, posted = calls(env, [{"id": 3, "comments": [{"content": "someone else"}]}], tmp_path)
    assert (listed["method"], posted["method"]) == ("GET", "POST")
    assert posted["url"] == f"{THREADS_URL}?api-version=7.1"
    assert json.loads(posted["body"])["comments"][0]["content"] == "<!-- preflight:dev -->\nall rules passed"


def test_edits_its_earlier_thread(env, tmp_path: Path):
    threads = [{"id": 3, "comments": [{"content": "someone else"}]},
               {"id": 9, "comments": [{"content": "<!-- preflight:dev -->\nold report"}]}]
    _, edited = calls(env, threads, tmp_path)
    assert edited["method"] == "PATCH"
    assert edited["url"] == f"{THREADS_URL}/9/comments/1?api-version=7.1"
    assert json.loads(edited["body"]) == {"content": "<!-- preflight:dev -->\nall rules passed"}
