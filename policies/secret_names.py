"""Which names look like they hold a secret: one judgement for the stack settings loader, the pack's
plain-secret rule, its Kyverno twin (the pattern is RE2, as Kyverno's regex_match needs) and report
redaction, so a name one of them treats as secret the others do too.

Broad on purpose: a false positive costs moving a value into secretEnv; a miss leaks a secret.
"""
from __future__ import annotations

import re

# DB_PASS, PGPASSWORD, GPG_PASSPHRASE, DB_PWD, CLIENT_SECRET, GITHUB_TOKEN, API_KEY, AWS_ACCESS_KEY,
# PRIVATE_KEY, SIGNING_KEY, CREDENTIALS, SAS, CONNECTION_STRING, and any name ending in KEY.
SECRET_NAME_PATTERN = (
    r"(?i)(pass|pwd|secret|token|api_?key|access_?key|private_?key|signing_?key|encryption_?key"
    r"|credential|connection_?string|conn_?str|(^|[_.-])sas($|[_.-])|(^|[_.-])key$)"
)
_SECRET_NAME = re.compile(SECRET_NAME_PATTERN)


def looks_secret(name: object) -> bool:
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None
