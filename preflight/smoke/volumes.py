"""A pod's volumes as the kubelet would provide them, made on this machine.

- emptyDir: a tmpfs mounted in the container's own namespace, 0777 (setgid and group fsGroup when
  the pod has one), no larger than its sizeLimit;
- secret and configMap: files written by root (the kubelet is root) with the volume's modes, group
  fsGroup and group-readable when the pod has one, mounted read-only;
- a StatefulSet's claim: a directory that stands for a fresh ext4 volume (root-owned, with
  lost+found), group fsGroup and group-writable as the kubelet leaves it; it outlives the container.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The kubelet's fsGroup ownership change: group read (and write where writable) on everything,
# group execute and setgid on directories.
FSGROUP_READ, FSGROUP_WRITE, FSGROUP_DIR = 0o440, 0o660, 0o2110
QUANTITY = re.compile(r"([0-9]+)(Ki|Mi|Gi|Ti|K|M|G|T)?")
UNITS = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


class VolumeError(ValueError):
    pass


@dataclass(frozen=True)
class Mount:
    """One entry of the sandbox spec: a bind of a host path, or a tmpfs with options."""

    target: str
    source: str = ""
    readonly: bool = False
    tmpfs_options: str = ""

    def spec(self) -> dict[str, Any]:
        if self.tmpfs_options:
            return {"type": "tmpfs", "target": self.target, "options": self.tmpfs_options}
        return {"type": "bind", "source": self.source, "target": self.target, "readonly": self.readonly}


def _bytes(quantity: str) -> int:
    match = QUANTITY.fullmatch(quantity)
    if not match:
        raise VolumeError(f"sizeLimit {quantity!r} is not a quantity the smoke run reads")
    return int(match.group(1)) * UNITS[match.group(2)]


def _own(path: Path, mode: int, fs_group: int | None) -> None:
    """Root-owned, as the kubelet writes it, then the fsGroup change."""
    if fs_group is None:
        os.chown(path, 0, 0)
        os.chmod(path, mode)
        return
    os.chown(path, 0, fs_group)
    os.chmod(path, mode | (FSGROUP_DIR | FSGROUP_READ if path.is_dir() else FSGROUP_READ))


def _files(directory: Path, data: dict[str, str], volume: dict[str, Any], default_mode: int, fs_group: int | None) -> None:
    directory.mkdir(parents=True)
    items = volume.get("items") or [{"key": key, "path": key} for key in data]
    for item in items:
        if item["key"] not in data:
            raise VolumeError(f"key {item['key']!r} is not in it")
        path = directory / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data[item["key"]])
        _own(path, item.get("mode", volume.get("defaultMode", default_mode)), fs_group)
    _own(directory, 0o755, fs_group)


def _claim(directory: Path, fs_group: int | None) -> None:
    (directory / "lost+found").mkdir(parents=True)
    os.chmod(directory / "lost+found", 0o700)
    if fs_group is not None:
        for path in (directory, directory / "lost+found"):
            os.chown(path, 0, fs_group)
            os.chmod(path, path.stat().st_mode | FSGROUP_WRITE | FSGROUP_DIR)


def pod_mounts(pod: dict[str, Any], container: dict[str, Any], claims: dict[str, dict], workdir: Path,
               config_maps: dict[str, dict[str, str]], secrets: dict[str, dict[str, str]]) -> list[Mount]:
    """The container's volume mounts, their sources made under `workdir` (claims persist there across runs)."""
    fs_group = pod.get("securityContext", {}).get("fsGroup")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = []
    for entry in container.get("volumeMounts", []):
        name, target = entry["name"], entry["mountPath"]
        if entry.get("subPath") or entry.get("subPathExpr"):
            raise VolumeError(f"volume {name}: subPath mounts are not made by the smoke run")
        readonly = bool(entry.get("readOnly"))
        volume = volumes.get(name)
        source = workdir / "volumes" / name
        if volume is None and name in claims:
            source = workdir / "claims" / name
            if not source.exists():
                _claim(source, fs_group)
            mounts.append(Mount(target, str(source), readonly))
        elif volume is not None and "emptyDir" in volume:
            size = volume["emptyDir"].get("sizeLimit")
            options = f"mode={'2777' if fs_group is not None else '0777'}" + (f",gid={fs_group}" if fs_group is not None else "")
            mounts.append(Mount(target, tmpfs_options=options + (f",size={_bytes(size)}" if size else "")))
        elif volume is not None and ("secret" in volume or "configMap" in volume):
            kind = "secret" if "secret" in volume else "configMap"
            ref = volume[kind]
            store = secrets if kind == "secret" else config_maps
            data = store.get(ref.get("secretName") or ref.get("name"))
            if data is None:
                raise VolumeError(f"volume {name}: no {kind} {ref.get('secretName') or ref.get('name')} in the plan")
            if not source.exists():
                try:
                    _files(source, data, ref, 0o644, fs_group)
                except VolumeError as error:
                    raise VolumeError(f"volume {name} ({kind}): {error}") from error
            # The kubelet mounts these read-only whatever the mount says.
            mounts.append(Mount(target, str(source), True))
        else:
            raise VolumeError(f"volume {name}: only emptyDir, secret, configMap and claims are made by the smoke run")
    return mounts
