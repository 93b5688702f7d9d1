"""Settings come from the environment only, so the same image runs in every stack.

The database password is never in the environment: DB_PASSWORD_FILE names a file (the app secret,
mounted read-only) that holds it, and DATABASE_URL carries everything else.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 5000


class SettingsError(Exception):
    """A required variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str = field(repr=False)  # may carry a password outside the platform (tests, laptops)
    password_file: Path | None
    port: int
    host: str


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    database_url = environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("DATABASE_URL must be set to a postgresql:// URL")
    password_file = Path(environ["DB_PASSWORD_FILE"]) if environ.get("DB_PASSWORD_FILE") else None
    # A mount that is missing shows at start, in the log, rather than as a failing health check.
    if password_file is not None and not os.access(password_file, os.R_OK):
        raise SettingsError(f"DB_PASSWORD_FILE names {password_file}, which this user cannot read")
    port_text = environ.get("PORT", str(DEFAULT_PORT))
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a TCP port number, got {port_text!r}")
    return Settings(database_url=database_url, password_file=password_file, port=int(port_text),
                    host=environ.get("HOST", "0.0.0.0"))
