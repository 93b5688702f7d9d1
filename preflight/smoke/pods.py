"""A pod of the plan as a process on this machine: its container's command, environment, identity,
root filesystem and volumes, started through sandbox.py in a private mount namespace.

Only what a pod spec can say and this stack's workloads use is supported; anything else (a second
container, an init container, a capability added, a volume type or field not made here) is refused
with the reason, never silently dropped.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.smoke.cluster import Cluster, Workload
from preflight.smoke.images import VENV_BIN, LocalImage, local_argv, local_image
from preflight.smoke.sandbox import identity_options
from preflight.smoke.volumes import Mount, pod_mounts

SANDBOX = Path(__file__).with_name("sandbox.py")
# The image's operating system: the host's, read-only. /dev is the host's (a container's is a
# writable tmpfs of device nodes), /proc is mounted fresh.
SYSTEM_DIRS = ("/usr", "/etc")
MERGED_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class PodError(ValueError):
    pass


@dataclass
class Container:
    workload: str
    process: subprocess.Popen
    log: Path
    env: dict[str, str]
    spec: dict[str, Any]
    address: str
    stop_signal: signal.Signals
    grace_seconds: int
    started: float
    identity: str


def _user(pod: dict, container: dict, image: LocalImage) -> tuple[int, int]:
    pod_context, context = pod.get("securityContext", {}), container.get("securityContext", {})
    image_uid, _, image_gid = image.config.user.partition(":")
    if not image_uid.isdigit() or not (image_gid or "0").isdigit():
        raise PodError(f"image USER {image.config.user} is a name: only numeric users can be run without the image's /etc/passwd")
    uid = context.get("runAsUser", pod_context.get("runAsUser", int(image_uid)))
    gid = context.get("runAsGroup", pod_context.get("runAsGroup", int(image_gid or 0)))
    if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) and uid == 0:
        raise PodError("runAsNonRoot is set but the container would run as root: the kubelet refuses to start it")
    return uid, gid


def _check_context(pod: dict, container: dict) -> None:
    context = container.get("securityContext", {})
    if len(pod["containers"]) != 1 or pod.get("initContainers"):
        raise PodError("only pods of one container and no init containers are run")
    if context.get("privileged") or context.get("capabilities", {}).get("add"):
        raise PodError("a privileged container or an added capability: the smoke run gives no capability")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        raise PodError("host namespaces are not shared by the smoke run")


def _env(container: dict, image: LocalImage, cluster: Cluster, hostname: str) -> dict[str, str]:
    env = {**image.config.env, "HOSTNAME": hostname}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item.get("valueFrom", {})
        ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
        store = cluster.secrets if "secretKeyRef" in source else cluster.config_maps
        if ref is None or ref["key"] not in store.get(ref["name"], {}):
            raise PodError(f"env {item['name']}: {source} is not a key of a Secret or ConfigMap of the plan")
        env[item["name"]] = store[ref["name"]][ref["key"]]
    # The image's python3 is this machine's virtualenv (it holds the apps' pinned packages).
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env.setdefault("HOME", "/")
    return env


def _argv(container: dict, image: LocalImage) -> list[str]:
    """Kubernetes' rule: command replaces ENTRYPOINT, args replace CMD."""
    if container.get("command"):
        argv = [*container["command"], *container.get("args", [])]
    else:
        argv = [*image.config.entrypoint, *container.get("args", image.config.cmd)]
    if not argv:
        raise PodError("no command: neither the container nor the image names one")
    return local_argv(tuple(argv))


def _system_mounts() -> tuple[dict[str, str], list[dict[str, Any]]]:
    links = {path: os.readlink(path) for path in MERGED_USR_LINKS if os.path.islink(path)}
    mounts = [{"type": "bind", "source": path, "target": path, "readonly": True} for path in SYSTEM_DIRS]
    mounts += [{"type": "bind", "source": "/dev", "target": "/dev", "recursive": True}, {"type": "proc", "target": "/proc"}]
    return links, mounts


def _runtime_mounts() -> list[dict[str, Any]]:
    """The Python runtime, part of the image in a real pod. Bound after the pod's volumes: a
    virtualenv under /tmp (a CI checkout) must stay visible under an emptyDir mounted at /tmp."""
    runtimes = sorted({sys.prefix, sys.base_prefix} - {"/usr"})
    return [{"type": "bind", "source": path, "target": path, "readonly": True} for path in runtimes]


def launch_spec(workload: Workload, cluster: Cluster, workdir: Path, hosts_file: Path,
                command: list[str] | None = None, extra_env: dict[str, str] | None = None,
                working_dir: str | None = None) -> tuple[dict[str, Any], dict[str, Any], LocalImage, list[Mount]]:
    """The sandbox spec of the workload's pod; `command`, `extra_env` and `working_dir` override the
    container's (to run another command in the same pod, as `kubectl exec` or a drill would)."""
    pod = workload.pod
    container = pod["containers"][0]
    _check_context(pod, container)
    image = local_image(container["image"], cluster.app_repositories)
    uid, gid = _user(pod, container, image)
    context, pod_context = container.get("securityContext", {}), pod.get("securityContext", {})
    # The process is also in the pod's fsGroup and supplementalGroups, as the kubelet sets them.
    groups = sorted({gid, *pod_context.get("supplementalGroups", []), *([pod_context["fsGroup"]] if "fsGroup" in pod_context else [])})
    volumes = pod_mounts(pod, container, workload.claims, workdir, cluster.config_maps, cluster.secrets)
    links, mounts = _system_mounts()
    mounts += [{"type": "bind", "source": str(host), "target": path, "readonly": True} for path, host in image.files.items()]
    mounts += [m.spec() for m in sorted(volumes, key=lambda m: m.target.count("/"))]
    mounts += _runtime_mounts()
    mounts.append({"type": "bind", "source": str(hosts_file), "target": "/etc/hosts", "readonly": True})
    env = {**_env(container, image, cluster, workload.name), **(extra_env or {})}
    spec = {
        "root": str(workdir / "root"),
        "symlinks": links,
        "mounts": mounts,
        "readonly_root": context.get("readOnlyRootFilesystem", False),
        "no_new_privs": context.get("allowPrivilegeEscalation", True) is False,
        "workdir": working_dir or container.get("workingDir") or image.config.workdir,
        "uid": uid, "gid": gid, "groups": groups,
        "env": env,
        "argv": local_argv(tuple(command)) if command else _argv(container, image),
    }
    return spec, container, image, volumes


def start(workload: Workload, cluster: Cluster, workdir: Path, hosts_file: Path, address: str, **overrides) -> Container:
    spec, container, image, volumes = launch_spec(workload, cluster, workdir, hosts_file, **overrides)
    (workdir / "root").mkdir(parents=True, exist_ok=True)
    spec_file = workdir / "sandbox.json"
    spec_file.write_text(json.dumps(spec))
    log = workdir / "container.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", sys.executable, "-I", str(SANDBOX), str(spec_file)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=spec["env"],
        )
    writable = ", ".join(m.target for m in volumes if not m.readonly) or "nothing"
    identity = (f"uid {spec['uid']} gid {spec['gid']} groups {','.join(map(str, spec['groups']))}, no capabilities"
                f"{', no_new_privs' if spec['no_new_privs'] else ''}, "
                f"{'read-only root' if spec['readonly_root'] else 'WRITABLE root'}, writable: {writable}")
    return Container(workload.name, process, log, spec["env"], container, address, image.config.stop_signal,
                     workload.termination_grace_seconds, time.monotonic(), identity)


def exec_in(container: Container, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Runs a command inside the running container (its mount namespace, root, cwd, identity and
    environment), as an exec probe or `kubectl exec` does."""
    spec = json.loads((container.log.parent / "sandbox.json").read_text())
    return subprocess.run(
        ["nsenter", f"--target={container.process.pid}", "--mount", "--root", "--wd", "--",
         "/usr/bin/setpriv", *identity_options(spec), "--", *argv],
        env=container.env, capture_output=True, text=True, timeout=timeout,
    )


def request_stop(container: Container) -> None:
    """The image's stop signal, as the kubelet sends it first."""
    if container.process.poll() is None:
        container.process.send_signal(container.stop_signal)


def wait_stopped(container: Container, grace_limit: float) -> tuple[int | None, float]:
    """Waits the pod's grace period (at most `grace_limit`), then SIGKILL; returns the exit code
    (None when it had to be killed) and the seconds it took."""
    began = time.monotonic()
    try:
        code = container.process.wait(timeout=min(container.grace_seconds, grace_limit))
    except subprocess.TimeoutExpired:
        container.process.kill()
        container.process.wait()
        code = None
    return code, time.monotonic() - began


def stop(container: Container, grace_limit: float) -> tuple[int | None, float]:
    request_stop(container)
    return wait_stopped(container, grace_limit)
