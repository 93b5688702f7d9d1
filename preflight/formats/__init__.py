"""Output formats of preflight reports; each module renders a Report to a string."""
from __future__ import annotations

import importlib
import re
from typing import Callable

from preflight.report import SEVERITIES


# Each format's module, imported only when that format is asked for.
_MODULES = {"text": "text", "json": "json_doc", "markdown": "markdown", "html": "html", "sarif": "sarif"}


def renderer(name: str) -> Callable[..., str]:
    return importlib.import_module(f"preflight.formats.{_MODULES[name]}").render


def detail(message: str) -> str:
    """The SDK prefixes every violation message with the policy description; keep the specific part."""
    head, _, rest = message.partition("\n")
    return rest.strip() or head.strip()


def control_label(meta) -> str:
    """"CIS Amazon EKS Benchmark 2.1.1 (also NIST SP 800-190 4.3.1)" for a PolicyMetadata, or ""."""
    if meta is None:
        return ""
    label = f"{meta.framework} {meta.control}".strip()
    return f"{label} (also {meta.also})" if meta.also else label


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_ENFORCEMENT_RANK = {"mandatory": 0, "remediate": 0, "advisory": 1, "disabled": 2}


def violation_order(violation) -> tuple:
    """Most severe first, then what blocks before what advises, then by rule and resource."""
    return (_SEVERITY_RANK.get(violation.severity, len(SEVERITIES)), _ENFORCEMENT_RANK.get(violation.enforcement, 3),
            violation.policy, violation.urn)


def resource_label(urn: str) -> str:
    """"name (type)" of a URN, "(stack)" for the stack as a whole, anything else as given."""
    if not urn:
        return "(stack)"
    type_token = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""
    name = urn.rsplit("::", 1)[-1]
    return f"{name} ({type_token})" if type_token else name


# C0 and C1 controls (escape sequences, carriage returns that overwrite a line), DEL, and the
# Unicode bidirectional and invisible formatting characters that make text read differently.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: object) -> str:
    """Untrusted text for a terminal: every control character shown as an escape, one line."""
    flat = str(text).replace("\r\n", "\n").replace("\n", " ").replace("\t", " ")
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), flat)


# Inline specials only: text is always inside a cell or list item, never at the start of a line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]!~|@])")


def markdown_text(text: object) -> str:
    """Untrusted text for one Markdown table cell or list item: no raw HTML, no links, images,
    mentions, code spans or emphasis, no cell breaks; shown literally."""
    flat = " ".join(printable(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
