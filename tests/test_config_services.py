"""The services setting and the values judged inside it: unknown keys anywhere are errors naming
the full path, wrong types are problems (never exceptions), digests are exact, no secret sits in
plain env or in any message, and open networks are judged as the pack and verify judge them."""
from __future__ import annotations

import pytest

from components.config import read_settings
from preflight.stack_files import load_stack_settings
from stack_variants import stack_variant

DEV_REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
HEX = "0123456789abcdef" * 4
SERVICE = "devsecops-platform:services"


def problems_of(tmp_path, changes: dict, base: str = "dev") -> list[str]:
    settings = load_stack_settings(stack_variant(tmp_path, base=base, changes=changes))
    _, problems = read_settings(settings.config, settings.secret_keys, settings.stack)
    return [str(p) for p in problems]


def named(problems: list[str], key: str) -> list[str]:
    return [p for p in problems if p.startswith(f"{key}: ")]


# (change, the full key named, words of the message)
UNKNOWN_KEYS = [
    ({"services.frontend.ingresCidrs": ["10.0.96.0/22"]}, f"{SERVICE}.frontend.ingresCidrs", "did you mean ingressCidrs?"),
    ({"services.frontend.privileged": True}, f"{SERVICE}.frontend.privileged", "no such setting (the settings of a service: image,"),
    ({"services.backend.hostNetwork": True}, f"{SERVICE}.backend.hostNetwork", "no such setting"),
    ({"services.backend.secretFILES": {"DB_PASSWORD_FILE": "db-password"}}, f"{SERVICE}.backend.secretFILES", "did you mean secretFiles?"),
    ({"services.backend.resources.request": {"cpu": "1"}}, f"{SERVICE}.backend.resources.request", "did you mean requests?"),
    ({"services.backend.resources.requests.cpus": "1"}, f"{SERVICE}.backend.resources.requests.cpus", "did you mean cpu?"),
    ({"services.backend.resources.limits.nvidia.com/gpu": "1"}, f"{SERVICE}.backend.resources.limits.nvidia", "(the resources of limits: cpu, memory)"),
]


@pytest.mark.parametrize("changes,key,words", UNKNOWN_KEYS, ids=[u[1].split(".", 1)[1] for u in UNKNOWN_KEYS])
def test_an_unknown_key_anywhere_in_services_is_named_by_its_full_path(tmp_path, changes, key, words):
    mine = named(problems_of(tmp_path, changes), key)
    assert len(mine) == 1 and words in mine[0], mine


WRONG_TYPES = [
    ("services", {"frontend": ["image"]}, f"{SERVICE}.frontend"),
    ("services.frontend", "nginx", f"{SERVICE}.frontend"),
    ("services.frontend", None, f"{SERVICE}.frontend"),
    ("services.frontend.image", 5, f"{SERVICE}.frontend.image"),
    ("services.frontend.image", ["a"], f"{SERVICE}.frontend.image"),
    ("services.frontend.port", "3000", f"{SERVICE}.frontend.port"),
    ("services.frontend.port", True, f"{SERVICE}.frontend.port"),
    ("services.frontend.port", 3000.5, f"{SERVICE}.frontend.port"),
    ("services.frontend.replicas", None, f"{SERVICE}.frontend.replicas"),
    ("services.postgres.replicas", True, f"{SERVICE}.postgres.replicas"),
    ("services.frontend.resources", [], f"{SERVICE}.frontend.resources"),
    ("services.frontend.resources.limits", "1Gi", f"{SERVICE}.frontend.resources"),
    ("services.frontend.resources.limits.cpu", 1, f"{SERVICE}.frontend.resources.limits.cpu"),
    ("services.frontend.resources.limits.memory", "1Gi\n", f"{SERVICE}.frontend.resources.limits.memory"),
    ("services.frontend.calls", "backend", f"{SERVICE}.frontend.calls"),
    ("services.frontend.calls", [["backend"]], f"{SERVICE}.frontend.calls"),
    ("services.frontend.healthPath", {"path": "/"}, f"{SERVICE}.frontend.healthPath"),
    ("services.backend.env", ["DB_HOST=postgres"], f"{SERVICE}.backend.env"),
    ("services.backend.env", {"DB_HOST": None}, f"{SERVICE}.backend.env"),
    ("services.backend.env", {"DB_HOST": {"nested": "x"}}, f"{SERVICE}.backend.env"),
    ("services.backend.secretFiles", "db-password", f"{SERVICE}.backend.secretFiles"),
    ("services.backend.secretFiles", {"DB_PASSWORD_FILE": ["db-password"]}, f"{SERVICE}.backend.secretFiles.DB_PASSWORD_FILE"),
    ("services.frontend.ingressCidrs", "10.0.96.0/22", f"{SERVICE}.frontend.ingressCidrs"),
    ("services.frontend.ingressCidrs", [167772160], f"{SERVICE}.frontend.ingressCidrs[0]"),
    ("services.frontend.ingressCidrs", [None], f"{SERVICE}.frontend.ingressCidrs[0]"),
]


@pytest.mark.parametrize("path,value,key", WRONG_TYPES, ids=[f"{w[0]}={w[1]!r}"[:50] for w in WRONG_TYPES])
def test_a_wrong_type_anywhere_in_services_is_a_problem_never_an_exception(tmp_path, path, value, key):
    assert named(problems_of(tmp_path, {path: value}), key)


@pytest.mark.parametrize("name", ["DB_PASS", "DB_PASSWORD", "PGPASSWORD", "GPG_PASSPHRASE", "API_KEY", "GITHUB_TOKEN",
                                  "AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET", "SIGNING_KEY", "db_pwd"])
def test_a_secret_looking_variable_in_plain_env_points_to_secret_files_and_hides_its_value(tmp_path, name):
    problems = problems_of(tmp_path, {f"services.backend.env.{name}": "pl41n-s3cr3t"})
    assert named(problems, f"{SERVICE}.backend.env.{name}") == [
        f"{SERVICE}.backend.env.{name}: got (value hidden); allowed: no secret in plain env (anyone who can read the "
        f"Deployment reads it): mount it as a file with secretFiles, {name}_FILE: <key of the app secret>, and have "
        f"the app read the file"]
    assert not any("pl41n-s3cr3t" in p for p in problems)


def test_a_url_with_a_password_is_a_secret_whatever_the_variable_is_called(tmp_path):
    problems = problems_of(tmp_path, {"services.backend.env.DATABASE_URL": "postgres://app:pl41n-s3cr3t@postgres/app"})
    assert named(problems, f"{SERVICE}.backend.env.DATABASE_URL")
    assert not any("pl41n-s3cr3t" in p for p in problems)


@pytest.mark.parametrize("changes", [
    {"services.backend.env": {"DB_PORT": 5432, "DB_PASSWORD": "pl41n-s3cr3t"}},
    {"services.backend.secretFiles": {"DB_PASSWORD_FILE": "pl41n-s3cr3t"}},
    {"services.backend": {"env": {"nested": {"API_KEY": "pl41n-s3cr3t"}}}},
    {"services.backend.calls": [{"token": "pl41n-s3cr3t"}]},
    {"services.backend.image": "postgres://app:pl41n-s3cr3t@db"},
    {"argocdRepoUrl": "https://bot:pl41n-s3cr3t@github.com/example-org/gitops.git"},
    {"accountId": {"secure": "v1:pl41n-s3cr3t"}},
])
def test_no_problem_ever_shows_a_secret_value(tmp_path, changes):
    problems = problems_of(tmp_path, changes)
    assert problems and not any("pl41n-s3cr3t" in p or "offline-secret-placeholder" in p for p in problems)


@pytest.mark.parametrize("digest", [
    "sha256:" + HEX[:63],
    "sha256:" + HEX + "0",
    "sha256:" + HEX.upper(),
    "sha512:" + HEX + HEX,
    "sha256:" + HEX + "\n",
    "sha256:" + HEX[:62] + "٠١",
    "sha256:" + HEX + "@sha256:" + HEX,
    "sha256:",
])
def test_a_service_image_digest_is_exactly_sha256_and_64_lower_case_hex(tmp_path, digest):
    image = f"{DEV_REGISTRY}/devsecops-dev/frontend@{digest}"
    mine = named(problems_of(tmp_path, {"services.frontend.image": image}), f"{SERVICE}.frontend.image")
    assert any("64 lower-case hex" in p for p in mine), mine


@pytest.mark.parametrize("digest", ["sha256:" + HEX[:63], "sha256:" + HEX + "0", "sha256:" + HEX.upper(), "sha256:" + HEX + "\n"])
def test_the_backup_image_digest_is_exact_too(tmp_path, digest):
    image = f"{DEV_REGISTRY}/devsecops-dev/db-backup@{digest}"
    assert named(problems_of(tmp_path, {"backupImage": image}), "devsecops-platform:backupImage")


@pytest.mark.parametrize("image", [
    f"{DEV_REGISTRY}/devsecops-dev/frontend@sha256:{HEX}",
    f"{DEV_REGISTRY}/devsecops-dev/frontend:1.4.2@sha256:{HEX}",
    f"{DEV_REGISTRY}/devsecops-dev/frontend:1.4.2",
    f"public.ecr.aws/docker/library/nginx:1.27@sha256:{HEX}",
])
def test_pinned_images_are_accepted(tmp_path, image):
    assert problems_of(tmp_path, {"services.frontend.image": image}) == []


@pytest.mark.parametrize("image", [
    f"{DEV_REGISTRY}/devsecops-dev/frontend:1.4.2\n",
    f"{DEV_REGISTRY}/devsecops-dev/frontend:",
    f"{DEV_REGISTRY}/devsecops-dev/frontend",
    f"{DEV_REGISTRY}/devsecops-dev/Frontend:1.4.2",
    f"public.ecr.aws/docker/library/nginx:1.27",
    f"public.ecr.aws/docker/library.evil.example/nginx@sha256:{HEX}",
])
def test_unpinned_or_malformed_images_are_refused(tmp_path, image):
    assert named(problems_of(tmp_path, {"services.frontend.image": image}), f"{SERVICE}.frontend.image")


OPEN_SETS = [
    ["0.0.0.0/0"],
    ["0.0.0.0/1", "128.0.0.0/1"],
    ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
    ["10.0.0.0/7"],
]


@pytest.mark.parametrize("cidrs", OPEN_SETS, ids=lambda c: "+".join(c))
def test_prod_service_ingress_open_to_the_internet_is_refused_in_every_shape(tmp_path, cidrs):
    problems = problems_of(tmp_path, {"services.frontend.ingressCidrs": cidrs}, base="prod")
    mine = [p for p in problems if p.startswith(f"{SERVICE}.frontend.ingressCidrs")]
    assert mine and all("never the whole internet" in p for p in mine), problems


@pytest.mark.parametrize("cidrs", [*OPEN_SETS, ["::/1", "8000::/1"], ["::ffff:0:0/97", "::ffff:128.0.0.0/97"], ["2000::/16"]],
                         ids=lambda c: "+".join(c))
def test_a_prod_public_endpoint_open_to_the_internet_is_refused_in_every_shape(tmp_path, cidrs):
    problems = problems_of(tmp_path, {"endpointPublicAccess": True, "publicAccessCidrs": cidrs}, base="prod")
    assert any(p.startswith("devsecops-platform:publicAccessCidrs") and "never the whole internet" in p for p in problems), problems


def test_prod_accepts_named_networks(tmp_path):
    assert problems_of(tmp_path, {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "2001:db8::/48"],
                                  "services.frontend.ingressCidrs": ["10.0.96.0/22"]}, base="prod") == []


@pytest.mark.parametrize("cidrs", [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"]], ids=["whole", "halves"])
def test_outside_prod_the_halves_are_judged_exactly_as_the_whole_internet(tmp_path, cidrs):
    # dev may open ingress explicitly (the pack's k8s-network-policy-no-open-ingress flags it); what
    # holds is that no shape of "everything" passes where 0.0.0.0/0 would not.
    whole = problems_of(tmp_path, {"services.frontend.ingressCidrs": ["0.0.0.0/0"]})
    assert bool(problems_of(tmp_path, {"services.frontend.ingressCidrs": cidrs})) == bool(whole)


@pytest.mark.parametrize("key,value", [
    ("accountId", "111111111111\n"),
    ("accountId", "١١١١١١١١١١١١"),
    ("namePrefix", "devsecops\n"),
    ("ciBranch", "main\n"),
    ("argocdRepoUrl", "https://github.com/example-org/devsecops-platform.git\n"),
    ("clusterAdminPrincipalArns", ["arn:aws:iam::111111111111:role/platform-deployer\n"]),
])
def test_a_trailing_newline_or_a_non_ascii_digit_never_satisfies_a_pattern(tmp_path, key, value):
    assert any(p.startswith(f"devsecops-platform:{key}") for p in problems_of(tmp_path, {key: value}))


def test_a_long_list_of_bad_calls_keeps_each_message_short(tmp_path):
    services = {f"svc{i}": {"image": "x", "port": 80, "replicas": 1, "calls": [f"nope{j}" for j in range(30)]} for i in range(40)}
    problems = problems_of(tmp_path, {"services": services})
    assert len(problems) > 1000 and max(len(p) for p in problems) < 1000
