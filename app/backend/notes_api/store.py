"""Notes in PostgreSQL. One short-lived connection per call: the health check then proves that a
new connection can be made, a database restart needs no reconnect logic, and a rotated password
(the mounted secret file changes in place) is used from the next call on."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

MAX_NOTE_LENGTH = 500
CONNECT_TIMEOUT_S = 3

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    text       varchar({MAX_NOTE_LENGTH}) NOT NULL CHECK (length(text) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Note:
    id: int
    text: str
    created_at: datetime

    def as_json(self) -> dict:
        return {"id": self.id, "text": self.text, "created_at": self.created_at.isoformat()}


class NoteStore:
    def __init__(self, database_url: str, password_file: Path | None = None):
        self._database_url = database_url
        self._password_file = password_file
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _password(self) -> dict[str, str]:
        if self._password_file is None:
            return {}
        try:
            # Only the trailing newline an editor or `echo` adds is not part of the password.
            return {"password": self._password_file.read_text().removesuffix("\n")}
        except OSError as error:
            raise psycopg.OperationalError(f"cannot read the password file: {error.strerror}") from error

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self._database_url, connect_timeout=CONNECT_TIMEOUT_S, application_name="notes-api",
                               **self._password())

    def _ensure_schema(self) -> None:
        # Created on first use rather than at start-up, so the service starts before the database.
        with self._schema_lock:
            if not self._schema_ready:
                with self._connect() as conn:
                    conn.execute(SCHEMA)
                self._schema_ready = True

    def ping(self) -> None:
        """Raises psycopg.Error unless a new connection can run a query."""
        with self._connect() as conn:
            conn.execute("SELECT 1").fetchone()

    def add(self, text: str) -> Note:
        self._ensure_schema()
        with self._connect() as conn:
            row = conn.execute(
                "INSERT INTO notes (text) VALUES (%s) RETURNING id, text, created_at", (text,)
            ).fetchone()
        return Note(*row)

    def latest(self, limit: int = 50) -> list[Note]:
        self._ensure_schema()
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, text, created_at FROM notes ORDER BY id DESC LIMIT %s", (limit,)
            ).fetchall()
        return [Note(*row) for row in rows]
