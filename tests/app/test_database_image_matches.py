"""The database and its backup image run the same PostgreSQL, so pg_dump and pg_restore match the server."""
import re

import yaml

from preflight.stack_files import PROJECT_ROOT

POSTGRES_BASE = re.compile(r"^FROM (\S*postgres:\S+@sha256:[0-9a-f]{64})", re.MULTILINE)


def test_stack_postgres_image_is_the_backup_images_base():
    [base] = POSTGRES_BASE.findall((PROJECT_ROOT / "app" / "db-backup" / "Dockerfile").read_text())
    for stack in ("dev", "prod"):
        config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert config["devsecops-platform:services"]["postgres"]["image"] == base, stack
