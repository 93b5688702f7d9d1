"""One probe attempt as the kubelet makes it: httpGet to the pod's address (success is 200 to 399),
tcpSocket, or exec inside the container; each within the probe's timeoutSeconds."""
from __future__ import annotations

import http.client
import socket
import subprocess
from typing import Any

from preflight.smoke.pods import Container, exec_in

KINDS = ("startupProbe", "readinessProbe", "livenessProbe")


class ProbeError(ValueError):
    pass


def _port(container: Container, port: Any) -> int:
    if isinstance(port, int):
        return port
    for declared in container.spec.get("ports", []):
        if declared.get("name") == port:
            return declared["containerPort"]
    raise ProbeError(f"port {port!r} is not a port of the container")


def describe(probe: dict[str, Any]) -> str:
    """What the probe does and when, as the spec says it."""
    if "httpGet" in probe:
        action = f"GET :{probe['httpGet']['port']}{probe['httpGet'].get('path', '/')}"
    elif "tcpSocket" in probe:
        action = f"TCP :{probe['tcpSocket']['port']}"
    else:
        action = "exec " + " ".join(probe.get("exec", {}).get("command", []))
    timing = (f"every {probe.get('periodSeconds', 10)}s after {probe.get('initialDelaySeconds', 0)}s, "
              f"timeout {probe.get('timeoutSeconds', 1)}s, {probe.get('failureThreshold', 3)} failures")
    return f"{action} ({timing})"


def attempt(container: Container, probe: dict[str, Any]) -> tuple[bool, str]:
    """(succeeded, what was seen)."""
    timeout = probe.get("timeoutSeconds", 1)
    try:
        if "httpGet" in probe:
            get = probe["httpGet"]
            if get.get("scheme", "HTTP") != "HTTP" or get.get("httpHeaders"):
                raise ProbeError("only plain HTTP GET probes are made")
            connection = http.client.HTTPConnection(container.address, _port(container, get["port"]), timeout=timeout)
            try:
                connection.request("GET", get.get("path", "/"), headers={"User-Agent": "kube-probe/smoke"})
                status = connection.getresponse().status
            finally:
                connection.close()
            return 200 <= status < 400, f"HTTP {status}"
        if "tcpSocket" in probe:
            with socket.create_connection((container.address, _port(container, probe["tcpSocket"]["port"])), timeout=timeout):
                return True, "connected"
        if "exec" in probe:
            result = exec_in(container, probe["exec"]["command"], timeout)
            output = (result.stdout + result.stderr).strip().splitlines()
            return result.returncode == 0, f"exit {result.returncode}" + (f": {output[-1]}" if output else "")
        raise ProbeError("a probe with no httpGet, tcpSocket or exec")
    except ProbeError as error:
        return False, str(error)
    except (OSError, http.client.HTTPException) as error:
        return False, f"{type(error).__name__}: {error}"
    except subprocess.TimeoutExpired:
        return False, f"no answer within {timeout}s"
