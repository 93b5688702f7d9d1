"""A copy of the dev stack whose service asks for something its app does not do fails the smoke
run with a line that says what: caught by the app's contract at config load, or by running it."""
from __future__ import annotations

from smoke_run import smoke
from stack_variants import stack_variant

SERVICE = "devsecops-platform:services"


def test_a_backend_url_the_backend_does_not_serve_fails_the_frontend_readiness(tmp_path):
    # The contract lists BACKEND_URL but not its value: only the running frontend finds out.
    run = smoke(stack_variant(tmp_path, changes={"services.frontend.env": {"BACKEND_URL": "http://backend:5001"}}))

    assert run.code == 1
    failed, = run.lines_of("FAIL", "frontend", "readinessProbe")
    assert "GET :3000/readyz" in failed and "HTTP 503" in failed
    assert run.lines_of("SKIP", "steps", "request")
    assert run.lines_of("PASS", "backend", "stop") and run.lines_of("PASS", "postgres", "stop")  # stopped on failure too


def test_a_port_the_backend_does_not_listen_on_is_a_config_error(tmp_path):
    run = smoke(stack_variant(tmp_path, changes={"services.backend.port": 5001}))

    assert run.code == 1
    assert [line for line in run.lines_of("FAIL", "config", "settings")
            if f"{SERVICE}.backend.port: got 5001; allowed: 5000, the port backend" in line]


def test_a_health_path_the_backend_does_not_serve_is_a_config_error(tmp_path):
    run = smoke(stack_variant(tmp_path, changes={"services.backend.healthPath": "/health"}))

    assert run.code == 1
    assert [line for line in run.lines_of("FAIL", "config", "settings")
            if f"{SERVICE}.backend.healthPath: got '/health'; allowed: /healthz, the liveness path backend" in line]
