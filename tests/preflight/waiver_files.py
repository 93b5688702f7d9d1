"""Waiver files and the waivers' clock for tests. The code reads both at call time
(policies.waivers.WAIVERS_FILE and policies.waivers.today), so a test moves them with monkeypatch:
the program under the mock engine, the pack, preflight and the Kyverno exceptions all follow."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies import waivers

TODAY = date(2030, 6, 1)


def waiver(rule: str, *resources: str, expires: date = TODAY + timedelta(days=30), **extra: Any) -> dict:
    return {"rule": rule, "resources": list(resources), "reason": "accepted until the vendor fix ships",
            "owner": "platform-team@example.com", "ticket": "SEC-1", "expires": expires, **extra}


@pytest.fixture
def waiver_file(monkeypatch, tmp_path):
    """Call with the entries (or raw text) of the waiver file and, optionally, the day it is."""

    def use(entries: list[dict] | str, today: date = TODAY) -> Path:
        path = tmp_path / "waivers.yaml"
        path.write_text(entries if isinstance(entries, str) else yaml.safe_dump(entries, sort_keys=False))
        monkeypatch.setattr(waivers, "WAIVERS_FILE", path)
        monkeypatch.setattr(waivers, "today", lambda: today)
        return path

    return use
