"""The backend against a real PostgreSQL server: notes round-trip, input is checked, and the health
endpoint tells whether the database can be reached."""
import signal
import subprocess
import sys

import psycopg
import pytest

from backend_process import BACKEND_DIR, backend_env, running_backend
from pg_server import free_port


@pytest.fixture(scope="module")
def database(postgres_server):
    return postgres_server.create_database("notes_api_test")


@pytest.fixture(scope="module")
def backend(database):
    with running_backend(database.url) as process:
        yield process


@pytest.fixture(scope="module")
def backend_without_database():
    with running_backend(f"postgresql://notes:secret@127.0.0.1:{free_port()}/notes") as process:
        yield process


def test_health_checks_the_database(backend):
    reply = backend.request("GET", "/healthz")
    assert (reply.status, reply.body) == (200, {"status": "ok", "database": "ok"})


def test_a_note_is_stored_in_postgres_and_listed_newest_first(backend, database):
    first = backend.post_json("/api/notes", {"text": "  first note  "})
    second = backend.post_json("/api/notes", {"text": "'); DROP TABLE notes; --"})
    assert first.status == second.status == 201
    assert first.body["text"] == "first note"

    listed = [note["text"] for note in backend.request("GET", "/api/notes").body["notes"]]
    assert listed[:2] == ["'); DROP TABLE notes; --", "first note"]

    with psycopg.connect(database.url) as conn:
        stored = conn.execute("SELECT text FROM notes WHERE id = %s", (first.body["id"],)).fetchone()
    assert stored == ("first note",)


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "   "}, {"text": 42}, ["text"], {"text": "x" * 501}])
def test_refuses_a_bad_note(backend, payload):
    reply = backend.post_json("/api/notes", payload)
    assert reply.status == 400
    assert "text" in reply.body["error"]


def test_refuses_bodies_it_does_not_take(backend):
    assert backend.request("POST", "/api/notes", b"text=hi", "application/x-www-form-urlencoded").status == 415
    assert backend.request("POST", "/api/notes", b"{not json").status == 400
    assert backend.request("POST", "/api/notes", b'{"text": "' + b"x" * 5000 + b'"}').status == 413


def test_unknown_routes_are_404(backend):
    assert backend.request("GET", "/api/users").status == 404
    assert backend.request("POST", "/healthz", b"{}").status == 404


def test_without_a_database_it_runs_and_reports_unavailable(backend_without_database):
    health = backend_without_database.request("GET", "/healthz")
    assert (health.status, health.body["database"]) == (503, "unreachable")
    notes = backend_without_database.request("GET", "/api/notes")
    assert (notes.status, notes.body) == (503, {"error": "database unavailable"})


def probe(port: int) -> int:
    return subprocess.run(
        [sys.executable, "-m", "notes_api.healthcheck"], env=backend_env(PORT=str(port)), timeout=30
    ).returncode


def test_the_image_healthcheck_follows_the_health_endpoint(backend, backend_without_database):
    assert probe(backend.port) == 0
    assert probe(backend_without_database.port) == 1
    assert probe(free_port()) == 1


def test_stops_cleanly_on_sigterm(database):
    with running_backend(database.url) as process:
        process.process.send_signal(signal.SIGTERM)
        assert process.process.wait(timeout=10) == 0


def test_the_password_comes_from_its_file_at_every_connection(database, tmp_path):
    password_file = tmp_path / "db-password"
    password_file.write_text(database.password + "\n")  # a secret written with `echo` ends in a newline
    url = f"postgresql://{database.user}@{database.host}:{database.port}/{database.dbname}"
    with running_backend(url, DB_PASSWORD_FILE=str(password_file)) as backend:
        assert backend.request("GET", "/healthz").status == 200
        password_file.write_text("rotated-elsewhere\n")  # the mounted secret changes in place
        assert backend.request("GET", "/healthz").status == 503


def test_refuses_to_start_when_the_password_file_cannot_be_read(database):
    result = subprocess.run(
        [sys.executable, "-m", "notes_api"], env=backend_env(DATABASE_URL=database.url, DB_PASSWORD_FILE="/nonexistent/pw"),
        capture_output=True, text=True, timeout=30, cwd=BACKEND_DIR,
    )
    assert result.returncode == 2
    assert "DB_PASSWORD_FILE names /nonexistent/pw, which this user cannot read" in result.stderr


def test_refuses_to_start_without_a_database_url():
    result = subprocess.run(
        [sys.executable, "-m", "notes_api"], env=backend_env(DATABASE_URL=""),
        capture_output=True, text=True, timeout=30, cwd=BACKEND_DIR,
    )
    assert result.returncode == 2
    assert "DATABASE_URL must be set" in result.stderr
