"""Settings come from the environment only, so the same image runs in every stack."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_PORT = 5000


class SettingsError(Exception):
    """A required variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str = field(repr=False)  # carries the database password
    port: int
    host: str


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    database_url = environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("DATABASE_URL must be set to a postgresql:// URL")
    port_text = environ.get("PORT", str(DEFAULT_PORT))
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a TCP port number, got {port_text!r}")
    return Settings(database_url=database_url, port=int(port_text), host=environ.get("HOST", "0.0.0.0"))
