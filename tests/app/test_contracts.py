"""Each app's contract.yaml against the services that run its image: a service that does not give
the app what it needs, or gives it what it never reads, is a config error naming the setting."""
from __future__ import annotations

import pytest

from components.config import app_contracts, read_settings
from components.config_rules import AppContract, parse_contract
from preflight.stack_files import load_stack_settings
from stack_variants import stack_variant

SERVICE = "devsecops-platform:services"
HEX = "ab" * 32


def problems_of(tmp_path, changes: dict, base: str = "dev") -> list[str]:
    settings = load_stack_settings(stack_variant(tmp_path, base=base, changes=changes))
    _, problems = read_settings(settings.config, settings.secret_keys, settings.stack)
    return [str(p) for p in problems]


def test_every_contract_file_reads():
    contracts, unreadable = app_contracts()
    assert unreadable == ()
    assert contracts["backend"].files == {"DB_PASSWORD_FILE": "required"}
    assert (contracts["frontend"].port, contracts["frontend"].readiness_path) == (3000, "/readyz")


@pytest.mark.parametrize("base", ["dev", "prod"])
def test_the_shipped_stacks_give_each_app_what_it_needs(tmp_path, base):
    assert problems_of(tmp_path, {}, base) == []


MISMATCHES = [
    ({"services.backend.port": 5001}, f"{SERVICE}.backend.port: got 5001; allowed: 5000, the port backend"),
    ({"services.backend.healthPath": "/health"}, f"{SERVICE}.backend.healthPath: got '/health'; allowed: /healthz"),
    ({"services.frontend.readinessPath": "/healthz"}, f"{SERVICE}.frontend.readinessPath: got '/healthz'; allowed: /readyz"),
    ({"services.backend.env": {}}, f"{SERVICE}.backend.env.DATABASE_URL: got (not set); allowed: a value: backend"),
    ({"services.backend.env.DB_HOST": "postgres"},
     f"{SERVICE}.backend.env.DB_HOST: got 'postgres'; allowed: a variable backend (app/backend/contract.yaml) reads: "
     "DATABASE_URL, HOST, PORT (it does not read DB_HOST)"),
    ({"services.backend.secretFiles": {}}, f"{SERVICE}.backend.secretFiles.DB_PASSWORD_FILE: got (not set)"),
    ({"services.frontend.secretFiles": {"DB_PASSWORD_FILE": "db-password"}},
     f"{SERVICE}.frontend.secretFiles.DB_PASSWORD_FILE: got (value hidden); allowed: a variable frontend"),
    ({"services.backend.env.PORT": "5001"}, f"{SERVICE}.backend.port: got 5000; allowed: 5001"),
]


@pytest.mark.parametrize("changes,expected", MISMATCHES, ids=[m[1].split(": got")[0].split(".", 1)[1] for m in MISMATCHES])
def test_a_service_that_does_not_fit_its_app_is_named(tmp_path, changes, expected):
    problems = problems_of(tmp_path, changes)
    assert [p for p in problems if p.startswith(expected)], problems


def test_a_port_moved_by_the_apps_own_variable_fits(tmp_path):
    assert problems_of(tmp_path, {"services.backend.port": 5001, "services.backend.env.PORT": "5001"}) == []


def test_a_tagged_image_of_the_app_is_held_to_its_contract_too(tmp_path):
    image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/backend:1.4.2"
    assert problems_of(tmp_path, {"services.backend.image": image, "services.backend.healthPath": "/health"})


def test_an_image_from_elsewhere_has_no_contract(tmp_path):
    image = f"public.ecr.aws/docker/library/nginx:1.27@sha256:{HEX}"
    assert problems_of(tmp_path, {"services.frontend.image": image, "services.frontend.readinessPath": "/anything"}) == []


@pytest.mark.parametrize("doc", [
    None, [], {"port": 5000},
    {"port": "5000", "portVariable": "PORT", "health": {"liveness": "/", "readiness": "/"}, "env": {}, "files": {}},
    {"port": 5000, "portVariable": "PORT", "health": {"liveness": "healthz", "readiness": "/"}, "env": {}, "files": {}},
    {"port": 5000, "portVariable": "PORT", "health": {"liveness": "/", "readiness": "/"}, "env": {"X": "maybe"}, "files": {}},
])
def test_a_malformed_contract_is_a_problem_of_its_file(doc):
    found = parse_contract("backend", doc)
    assert not isinstance(found, AppContract) and str(found).startswith("app/backend/contract.yaml: ")
