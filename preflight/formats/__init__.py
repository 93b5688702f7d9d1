"""Output formats of preflight reports; each module renders a Report to a string."""
from __future__ import annotations

from typing import Callable

from preflight.report import Report


def renderer(name: str) -> Callable[..., str]:
    from preflight.formats import html, json_doc, markdown, sarif, text

    return {"text": text.render, "json": json_doc.render, "markdown": markdown.render, "html": html.render, "sarif": sarif.render}[name]


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


def resource_label(report: Report, urn: str) -> str:
    if not urn:
        return "(stack)"
    type_token = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""
    name = urn.rsplit("::", 1)[-1]
    return f"{name} ({type_token})" if type_token else name
