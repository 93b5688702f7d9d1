"""The JSON report: the documented, stable schema in preflight/report.schema.json."""
from __future__ import annotations

import json

from preflight.report import Report, to_json_document


def render(report: Report, **_: object) -> str:
    return json.dumps(to_json_document(report), indent=2, sort_keys=False) + "\n"
