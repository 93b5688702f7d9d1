"""The values of the Secrets that External Secrets syncs, from what the program generated.

An ExternalSecret copies keys of Secrets Manager secrets into a Kubernetes Secret. The program
creates those secrets, and writes their values as secret versions; a value that comes from a
RandomPassword is unknown until `pulumi up` (the mock engine answers a placeholder), so the smoke
run generates one by that RandomPassword's own rules (length, character classes, specials): the
workloads then meet a password of the shape they will meet in a cluster.
"""
from __future__ import annotations

import secrets
import string
from typing import Any

from preflight.model import Plan, RecordedResource

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
# pulumi_random's specials when overrideSpecial is not set.
DEFAULT_SPECIALS = "!@#$%&*()-_=+[]{}<>:?"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


class SecretError(LookupError):
    pass


def generated_password(inputs: dict[str, Any]) -> str:
    """A password as the RandomPassword with these inputs would make it."""
    alphabet = "".join(chars for flag, chars in (
        ("upper", string.ascii_uppercase), ("lower", string.ascii_lowercase), ("numeric", string.digits),
    ) if inputs.get(flag, True))
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial", DEFAULT_SPECIALS)
    return "".join(secrets.choice(alphabet) for _ in range(int(inputs.get("length", 16))))


def _plain(value: Any) -> Any:
    """A value the engine marked secret, unwrapped."""
    return value["value"] if isinstance(value, dict) and SECRET_SIG in value else value


def _version_value(plan: Plan, secret: RecordedResource) -> str:
    for version in plan.by_type(SECRET_VERSION):
        if secret.urn not in version.property_dependencies.get("secretId", ()):
            continue
        for urn in version.property_dependencies.get("secretString", ()):
            source = plan.by_urn(urn)
            if source.type == RANDOM_PASSWORD:
                return generated_password(source.inputs)
        value = _plain(version.inputs.get("secretString"))
        if isinstance(value, str):
            return value
    raise SecretError(f"Secrets Manager secret {secret.inputs.get('name')} has no secret version with a value")


def synced_secrets(plan: Plan) -> dict[str, dict[str, str]]:
    """Kubernetes Secret name -> key -> value, for every ExternalSecret of the plan."""
    by_name = {r.inputs.get("name"): r for r in plan.by_type(SECRET)}
    values: dict[str, str] = {}  # one value per Secrets Manager secret, however many keys copy it
    synced: dict[str, dict[str, str]] = {}
    for external in plan.by_type(EXTERNAL_SECRET):
        spec = external.inputs["spec"]
        target = spec.get("target", {}).get("name") or external.inputs["metadata"]["name"]
        if "template" in spec.get("target", {}) or spec.get("dataFrom"):
            raise SecretError(f"ExternalSecret {target}: templates and dataFrom are not rendered by the smoke run")
        keys = synced.setdefault(target, {})
        for item in spec.get("data", []):
            remote = item["remoteRef"]
            if remote.get("property") or remote["key"] not in by_name:
                raise SecretError(f"ExternalSecret {target}: {remote} is not a whole secret this stack creates")
            secret = by_name[remote["key"]]
            if secret.urn not in values:
                values[secret.urn] = _version_value(plan, secret)
            keys[item["secretKey"]] = values[secret.urn]
    return synced
