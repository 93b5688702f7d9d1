"""HTTP routes: GET /healthz (checks the database), GET and POST /api/notes. JSON in and out."""
from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

from notes_api.store import MAX_NOTE_LENGTH, NoteStore

MAX_BODY_BYTES = 4096
log = logging.getLogger("notes_api")


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class NotesHandler(BaseHTTPRequestHandler):
    server_version = "notes-api"
    sys_version = ""  # do not advertise the Python version
    store: NoteStore  # set by make_server

    def do_GET(self) -> None:
        self._dispatch({"/healthz": self._health, "/api/notes": self._list_notes})

    def do_POST(self) -> None:
        self._dispatch({"/api/notes": self._add_note})

    def _dispatch(self, routes: dict) -> None:
        route = routes.get(self.path.split("?", 1)[0])
        try:
            if route is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "no such route")
            status, body = route()
        except ApiError as error:
            status, body = error.status, {"error": str(error)}
        except psycopg.Error as error:
            log.error("database error on %s %s: %s", self.command, self.path, type(error).__name__)
            status, body = HTTPStatus.SERVICE_UNAVAILABLE, {"error": "database unavailable"}
        self._send_json(status, body)

    def _health(self) -> tuple[HTTPStatus, dict]:
        try:
            self.store.ping()
        except psycopg.Error:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"status": "unavailable", "database": "unreachable"}
        return HTTPStatus.OK, {"status": "ok", "database": "ok"}

    def _list_notes(self) -> tuple[HTTPStatus, dict]:
        return HTTPStatus.OK, {"notes": [note.as_json() for note in self.store.latest()]}

    def _add_note(self) -> tuple[HTTPStatus, dict]:
        payload = self._read_json()
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ApiError(HTTPStatus.BAD_REQUEST, "expected a JSON object with a non-empty 'text'")
        if len(text) > MAX_NOTE_LENGTH:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"'text' is longer than {MAX_NOTE_LENGTH} characters")
        return HTTPStatus.CREATED, self.store.add(text.strip()).as_json()

    def _read_json(self) -> object:
        if self.headers.get_content_type() != "application/json":
            raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected application/json")
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
        if int(length) > MAX_BODY_BYTES:
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
        try:
            return json.loads(self.rfile.read(int(length)))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ApiError(HTTPStatus.BAD_REQUEST, "body is not valid JSON") from error

    def _send_json(self, status: HTTPStatus, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


def make_server(host: str, port: int, store: NoteStore) -> ThreadingHTTPServer:
    handler = type("BoundNotesHandler", (NotesHandler,), {"store": store})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
