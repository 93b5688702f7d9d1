"""The restore procedure exactly as README.md documents it, so the tests run the documented steps."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def restore_procedure() -> str:
    """The first ```sh block under the heading "### Restore procedure"."""
    text = README.read_text()
    section = text.split("### Restore procedure", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    if not match:
        raise LookupError("README.md: no ```sh block under '### Restore procedure'")
    return match.group(1)
