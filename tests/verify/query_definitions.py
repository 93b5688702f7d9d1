"""CloudWatch Logs saved queries for moto's server, which has no such API: PutQueryDefinition and
DescribeQueryDefinitions answered with the request and response shapes the API reference documents
(queryDefinitions[] of queryDefinitionId, name, queryString, lastModified, logGroupNames; a prefix
filter; maxResults and nextToken pages), kept on moto's logs backend so a reset forgets them too.

So verify's control is tested against the documented answer through a real boto3 client and HTTP,
not against a guess of moto's; what AWS itself answers is beyond any test here.
"""
from __future__ import annotations

import json
import time
import uuid

from moto.logs.responses import LogsResponse


def _store(response: LogsResponse) -> dict[str, dict]:
    backend = response.logs_backend
    if not hasattr(backend, "saved_queries"):
        backend.saved_queries = {}
    return backend.saved_queries


def _put_query_definition(self: LogsResponse) -> str:
    saved = _store(self)
    query_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
    saved[query_id] = {
        "queryDefinitionId": query_id,
        "name": self._get_param("name"),
        "queryString": self._get_param("queryString"),
        "lastModified": int(time.time() * 1000),
        "logGroupNames": self._get_param("logGroupNames") or [],
    }
    return json.dumps({"queryDefinitionId": query_id})


def _describe_query_definitions(self: LogsResponse) -> str:
    prefix = self._get_param("queryDefinitionNamePrefix") or ""
    size = int(self._get_param("maxResults") or 1000)
    start = int(self._get_param("nextToken") or 0)
    found = sorted((q for q in _store(self).values() if q["name"].startswith(prefix)), key=lambda q: q["name"])
    page = {"queryDefinitions": found[start:start + size]}
    if start + size < len(found):
        page["nextToken"] = str(start + size)
    return json.dumps(page)


def serve_query_definitions() -> None:
    """Adds the two actions to moto's logs responses (idempotent; moto dispatches by action name)."""
    LogsResponse.put_query_definition = _put_query_definition
    LogsResponse.describe_query_definitions = _describe_query_definitions
