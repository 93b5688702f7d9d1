"""Stack outputs as `verify` reads them: the JSON of `pulumi stack output --json`.

The outputs are an input to check, never the truth about what must exist (that comes from the
stack's settings, see expected.py). The file is read through safe_load, so its size and nesting
are bounded and its encoding is checked; each known output must have the shape the program
exports, and one that does not is reported, not used.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, load_json, read_text


class MissingOutput(LookupError):
    """A control needs a stack output that was not given or has the wrong type."""


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _whole_number(value: Any) -> bool:
    # bool is an int in Python; a number of days must not accept true/false.
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(_text(v) for v in value)


def _names(value: Any) -> bool:
    return isinstance(value, dict) and all(_text(k) and _text(v) for k, v in value.items())


def _trust(value: Any) -> bool:
    return isinstance(value, dict) and all(_text(value.get(k)) for k in ("provider", "issuer", "subject", "audience"))


# Every output a control reads: how to tell its shape, and how to say it.
SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "region": (_text, "a region name"),
    "accountId": (_text, "an account id"),
    "clusterName": (_text, "a cluster name"),
    "clusterLogGroupName": (_text, "a log group name"),
    "clusterLogRetentionDays": (_whole_number, "a whole number of days"),
    "endpointPublicAccess": (lambda v: isinstance(v, bool), "true or false"),
    "publicAccessCidrs": (_texts, "a list of CIDRs"),
    "authenticationMode": (_text, "an EKS authentication mode"),
    "kmsKeyArns": (_names, "a mapping of key purpose to key ARN"),
    "nodeGroupName": (_text, "a node group name"),
    "ecrRepositoryNames": (_names, "a mapping of image to repository name"),
    "backupBucketName": (_text, "a bucket name"),
    "backupKmsKeyArn": (_text, "a key ARN"),
    "evidenceBucketName": (_text, "a bucket name"),
    "evidenceKmsKeyArn": (_text, "a key ARN"),
    "evidenceRetentionDays": (_whole_number, "a whole number of days"),
    "ciRoleName": (_text, "a role name"),
    "ciTrust": (_trust, "an object with provider, issuer, subject and audience strings"),
    "alarmTopicName": (_text, "an SNS topic name"),
    "auditAlarmNames": (_texts, "a list of alarm names"),
    "reviewQueryNames": (_texts, "a list of saved query names"),
    "guardDutyManagedCentrally": (lambda v: isinstance(v, bool), "true or false"),
    "guardDutyFindingsRuleName": (_text, "an EventBridge rule name"),
}

_BYTE_ORDER_MARKS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def shape_problem(key: str, value: Any) -> str | None:
    """Why `value` cannot be the output `key`, or None when it can (or the key is not one verify reads)."""
    if key not in SHAPES:
        return None
    fits, described = SHAPES[key]
    return None if fits(value) else f"output {key!r} must be {described}, got {clipped(value)}"


def one_line(text: str, limit: int = 160) -> str:
    """Text for a one-line message: an outputs file or an endpoint may answer with megabytes."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def clipped(value: Any) -> str:
    return one_line(repr(value))


def key_line(text: str, key: str) -> int | None:
    """Line of the key's first appearance, so an error about an output points into the file."""
    found = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


@dataclass(frozen=True)
class StackOutputs:
    values: Mapping[str, Any] = field(default_factory=dict)
    # Where the outputs, and each value, came from, for error messages: a file (and line) or a command.
    source: str = "stack outputs"
    origins: Mapping[str, tuple[str, int | None]] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path, limits: Limits = DEFAULT_LIMITS) -> StackOutputs:
        """The outputs in a saved file; raises LoadError when it is not one bounded JSON object."""
        shown = path.as_posix()
        _refuse_byte_order_mark(path, shown)
        text = read_text(path, limits, shown)
        return cls.from_text(text, shown, limits)

    @classmethod
    def from_text(cls, text: str, source: str, limits: Limits = DEFAULT_LIMITS) -> StackOutputs:
        values = load_json(text, source, None, limits)
        if not isinstance(values, dict):
            raise LoadError(source, 1, f"expected a JSON object of stack outputs, got {type(values).__name__}")
        # Only the outputs verify reads can be the subject of an error; the file may hold many more.
        return cls(values, source, {key: (source, key_line(text, key)) for key in SHAPES if key in values})

    def merged(self, overrides: Mapping[str, Any]) -> StackOutputs:
        """These outputs with some given one by one on the command line (`--set`)."""
        origins = {**self.origins, **{key: (f"--set {key}", None) for key in overrides}}
        source = "--set" if overrides and not self.values else self.source
        return StackOutputs({**self.values, **overrides}, source, origins)

    def origin(self, key: str) -> tuple[str, int | None]:
        """Where the value of `key` came from; the outputs' source for a problem of the whole."""
        return self.origins.get(key, (self.source, None))

    def require(self, key: str, kind: type | tuple[type, ...] = str) -> Any:
        """The output `key` (a dotted path for nested objects, e.g. `kmsKeyArns.secrets`)."""
        value: Any = self.values
        for part in key.split("."):
            if not isinstance(value, Mapping) or value.get(part) is None:
                raise MissingOutput(f"stack output {key!r} is not given")
            value = value[part]
        # bool is an int in Python; an int output must not accept true/false.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MissingOutput(f"stack output {key!r} has the wrong type: {clipped(value)}")
        return value

    def label(self, key: str) -> str:
        """A resource label for reports, even when the output is missing."""
        try:
            return str(self.require(key, (str, int)))
        except MissingOutput:
            return f"<{key} not given>"


def _refuse_byte_order_mark(path: Path, shown: str) -> None:
    """JSON text carries no byte-order mark (RFC 8259, 8.1); `pulumi stack output --json` never
    writes one, so a file that has one was re-encoded by another tool and is not read."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(4)
    except OSError as err:
        raise LoadError(shown, None, f"cannot read: {err.strerror or err}") from None
    if start.startswith(_BYTE_ORDER_MARKS):
        raise LoadError(shown, 1, "starts with a byte-order mark, which JSON does not allow; "
                        "save the output of `pulumi stack output --json` as UTF-8 without one")
