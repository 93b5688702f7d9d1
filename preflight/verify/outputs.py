"""Stack outputs as `verify` reads them: the JSON of `pulumi stack output --json`.

When no stack outputs are at hand, the same keys can be given one by one (explicit names and
ARNs); a control whose inputs are absent reports an error instead of guessing.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class MissingOutput(LookupError):
    """A control needs a stack output that was not given or has the wrong type."""


@dataclass(frozen=True)
class StackOutputs:
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> StackOutputs:
        values = json.loads(Path(path).read_text())
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a JSON object of stack outputs")
        return cls(values)

    def merged(self, overrides: Mapping[str, Any]) -> StackOutputs:
        return StackOutputs({**self.values, **overrides})

    def require(self, key: str, kind: type | tuple[type, ...] = str) -> Any:
        """The output `key` (a dotted path for nested objects, e.g. `kmsKeyArns.secrets`)."""
        value: Any = self.values
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise MissingOutput(f"stack output {key!r} is not given")
            value = value[part]
        # bool is an int in Python; an int output must not accept true/false.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MissingOutput(f"stack output {key!r} has the wrong type: {value!r}")
        return value

    def label(self, key: str) -> str:
        """A resource label for reports, even when the output is missing."""
        try:
            return str(self.require(key, (str, int)))
        except MissingOutput:
            return f"<{key} not given>"
