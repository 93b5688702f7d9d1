"""Exit non-zero when the newest good backup of PGDATABASE is older than BACKUP_MAX_AGE_HOURS.

No good backup at all is also a failure. Run it as its own CronJob (or after each backup) so an
alert fires when backups silently stop.

Environment: PGDATABASE, BACKUP_BUCKET, BACKUP_PREFIX, AWS_REGION, BACKUP_MAX_AGE_HOURS (default
26: a daily backup plus slack), optional BACKUP_NOW (ISO 8601, sets the clock), AWS_ENDPOINT_URL_S3.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys

from backup_catalog import ConfigError, Location, good_backups, log, now, s3_client


def max_age() -> dt.timedelta:
    text = os.environ.get("BACKUP_MAX_AGE_HOURS", "26").strip()
    try:
        hours = float(text)
    except ValueError as error:
        raise ConfigError(f"BACKUP_MAX_AGE_HOURS must be a number, got {text!r}") from error
    if hours <= 0:
        raise ConfigError(f"BACKUP_MAX_AGE_HOURS must be positive, got {text!r}")
    return dt.timedelta(hours=hours)


def main() -> int:
    try:
        location, limit, at = Location.from_env(), max_age(), now()
        newest = next(good_backups(s3_client(), location), None)
    except ConfigError as error:
        log(f"freshness: configuration: {error}")
        return 2
    except Exception as error:  # noqa: BLE001 - unreadable backups are not fresh backups
        log(f"freshness: cannot read backups: {type(error).__name__}: {error}")
        return 1
    if newest is None:
        log(f"freshness: FAIL no good backup of {location.database} under {location.url}")
        return 1
    age = at - newest.taken_at
    fresh = age <= limit
    print(json.dumps({
        "key": newest.key,
        "takenAt": newest.taken_at.isoformat(),
        "ageHours": round(age.total_seconds() / 3600, 2),
        "maxAgeHours": limit.total_seconds() / 3600,
        "fresh": fresh,
    }))
    log(f"freshness: {'OK' if fresh else 'FAIL'} newest backup {newest.key} is {age} old (limit {limit})")
    return 0 if fresh else 1


if __name__ == "__main__":
    sys.exit(main())
