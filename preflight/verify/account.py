"""Read-only access to the live account: boto3 clients that refuse to write, and memoised reads.

Several controls read the same API answer (one DescribeCluster serves five rules); memoising the
answer, or the error it raised, keeps the calls few and makes every dependent control report the
same error.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Verify must never change the account; anything that is not a read is refused before it is sent.
READ_ONLY_PREFIXES = ("Describe", "Get", "List")

# Bounded waits: an unreachable endpoint becomes a per-control error in seconds, not minutes.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})


class WriteRefused(RuntimeError):
    """Raised when code under verify tries to call an API that is not a read."""


def _refuse_writes(model: Any, **_: Any) -> None:
    if not model.name.startswith(READ_ONLY_PREFIXES):
        raise WriteRefused(f"verify is read-only; refused {model.service_model.service_name}:{model.name}")


class Account:
    def __init__(self, session: boto3.session.Session, region: str | None, endpoint_url: str | None = None):
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._answers: dict[tuple, tuple[bool, Any]] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self._session.client(
                service, region_name=self._region, endpoint_url=self._endpoint_url, config=CLIENT_CONFIG
            )
            client.meta.events.register("before-call", _refuse_writes)
            self._clients[service] = client
        return self._clients[service]

    def read(self, key: tuple, call: Callable[[], Any]) -> Any:
        """`call()` once per key; later reads return the same answer or raise the same error."""
        if key not in self._answers:
            try:
                self._answers[key] = (True, call())
            except Exception as error:  # noqa: BLE001 - replayed to every control that needs it
                self._answers[key] = (False, error)
        ok, answer = self._answers[key]
        if not ok:
            raise answer
        return answer

    def read_setting(self, key: tuple, call: Callable[[], Any], not_configured: str) -> Any:
        """Like `read`, but None when AWS answers with `not_configured` (the setting was never made).

        That answer is evidence about the resource (a fail for the control), unlike a missing
        resource or permission, which stays an error.
        """
        try:
            return self.read(key, call)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == not_configured:
                return None
            raise
