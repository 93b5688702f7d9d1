"""Read-only access to the live account: boto3 clients that refuse to write, and memoised reads.

Several controls read the same API answer (one DescribeCluster serves five rules); memoising the
answer, or the error it raised, keeps the calls few and makes every dependent control report the
same error.

Every way the other end can fail becomes an exception inside the control that made the call
(so an error for that control, never a crash): an endpoint that is not AWS (a proxy's or a
captive portal's HTML page, other garbage), a timeout, a refused connection. Waits are bounded,
and an endpoint that could not be reached is not tried again, so a dead endpoint costs one
timeout per host, not one per control.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

# Verify must never change the account; anything that is not a read is refused before it is sent.
READ_ONLY_PREFIXES = ("Describe", "Get", "List")

# Bounded waits: an unreachable endpoint becomes a per-control error in seconds, not minutes.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 2, "mode": "standard"})

# Failures that say the endpoint itself cannot be reached (as opposed to an answer about a resource).
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)

JSON_PROTOCOLS = ("json", "rest-json")
_HTML = re.compile(rb"\s*(<\?xml[^>]*>\s*)?<(!doctype\s+html|html)\b", re.IGNORECASE)


class WriteRefused(RuntimeError):
    """Raised when code under verify tries to call an API that is not a read."""


class EndpointUnreachable(RuntimeError):
    """An endpoint that already failed to answer is not called again (and not retried)."""


class NotAnAwsAnswer(RuntimeError):
    """The endpoint answered with something no AWS API sends (an HTML page, text that is not JSON)."""


def _refuse_writes(model: Any, **_: Any) -> None:
    if not model.name.startswith(READ_ONLY_PREFIXES):
        raise WriteRefused(f"verify is read-only; refused {model.service_model.service_name}:{model.name}")


def _refuse_non_aws_answers(operation_model: Any, response_dict: dict, **_: Any) -> None:
    """botocore reads an HTML page as an answer with every field missing, which a control would
    take as "setting off" (a fail) instead of "not read" (an error); so refuse it before parsing."""
    body = response_dict.get("body") or b""
    if not body.strip():
        return
    where = f"{operation_model.name} answered with HTTP {response_dict.get('status_code')}"
    if _HTML.match(body[:512]):
        raise NotAnAwsAnswer(f"{where} and an HTML page, not an AWS API answer")
    if operation_model.service_model.resolved_protocol in JSON_PROTOCOLS:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            raise NotAnAwsAnswer(f"{where} and text that is not JSON, not an AWS API answer") from None
        if not isinstance(parsed, dict):
            raise NotAnAwsAnswer(f"{where} and JSON that is not an object, not an AWS API answer")


class Account:
    def __init__(self, session: boto3.session.Session | None, region: str | None, endpoint_url: str | None = None):
        # The session (credentials, profile) is made on first use, so a broken AWS configuration is
        # an error of each control, like any other failure to read.
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._answers: dict[tuple, tuple[bool, Any]] = {}
        self._unreachable: dict[str, Exception] = {}  # host -> the error that showed it

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._session = self._session or boto3.session.Session()
            client = self._session.client(
                service, region_name=self._region or self._session.region_name, endpoint_url=self._endpoint_url,
                config=CLIENT_CONFIG,
            )
            client.meta.events.register("before-call", _refuse_writes)
            client.meta.events.register("before-send", self._refuse_unreachable)
            client.meta.events.register("before-parse", _refuse_non_aws_answers)
            self._clients[service] = client
        return self._clients[service]

    def read(self, key: tuple, call: Callable[[], Any]) -> Any:
        """`call()` once per key; later reads return the same answer or raise the same error."""
        if key not in self._answers:
            try:
                self._answers[key] = (True, call())
            except Exception as error:  # noqa: BLE001 - replayed to every control that needs it
                self._remember_unreachable(error)
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

    def _remember_unreachable(self, error: Exception) -> None:
        if isinstance(error, UNREACHABLE):
            self._unreachable[urlsplit(str(error.kwargs.get("endpoint_url", ""))).netloc] = error

    def _refuse_unreachable(self, request: Any, **_: Any) -> None:
        host = urlsplit(request.url).netloc
        if host in self._unreachable:
            raise EndpointUnreachable(f"{host} could not be reached before: {self._unreachable[host]}")
