"""Starts one container's process, run as root inside a private mount namespace (`unshare --mount
--propagation private`), with only the standard library: it is started as a script, by path.

It builds the container's root on a tmpfs: the host's system directories bound read-only (the
image's operating system), the image's own files and the pod's volumes at their mount paths,
/dev and a fresh /proc; remounts that root read-only (readOnlyRootFilesystem), so only the
writable volumes (emptyDirs, claims) take writes; changes root into it and replaces itself with `setpriv`, which takes the
pod's uid, gid and supplementary groups, clears every capability set, sets no_new_privs (unless
allowPrivilegeEscalation) and runs
the container's command with its environment. Its pid is the container's process from then on.

Usage: python3 -I sandbox.py SPEC.json (see pods.py for the spec it reads).
"""
from __future__ import annotations

import ctypes
import json
import os
import sys

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
SETPRIV = "/usr/bin/setpriv"

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(Exception):
    pass


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encoded = [None if value is None else value.encode() for value in (source, target, fstype, data)]
    if _libc.mount(encoded[0], encoded[1], encoded[2], ctypes.c_ulong(flags), encoded[3]) != 0:
        error = ctypes.get_errno()
        raise SandboxError(f"mount {source or fstype or ''} at {target}: {os.strerror(error)}")


def mount_point(root: str, target: str, is_file: bool) -> str:
    """The path under `root` to mount at, created when missing (only possible outside read-only binds)."""
    path = root + target
    if not os.path.lexists(path):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if is_file:
                open(path, "a").close()
            else:
                os.mkdir(path)
        except OSError as error:
            raise SandboxError(f"cannot create mount point {target}: {error.strerror} (inside a read-only host directory?)")
    return path


def build_root(spec: dict) -> None:
    root = spec["root"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for name, target in spec["symlinks"].items():
        os.symlink(target, root + name)
    for item in spec["mounts"]:
        kind, target = item["type"], item["target"]
        if kind == "proc":
            mount("proc", mount_point(root, target, False), "proc", MS_NOSUID | MS_NODEV)
        elif kind == "tmpfs":
            mount("tmpfs", mount_point(root, target, False), "tmpfs", MS_NOSUID | MS_NODEV, item["options"])
        else:
            path = mount_point(root, target, os.path.isfile(item["source"]))
            mount(item["source"], path, None, MS_BIND | (MS_REC if item.get("recursive") else 0))
            if item.get("readonly"):
                mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    if spec["readonly_root"]:
        mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as source:
        spec = json.load(source)
    try:
        build_root(spec)
        os.chroot(spec["root"])
        os.chdir(spec["workdir"])
    except (SandboxError, OSError) as error:
        print(f"smoke sandbox: {error}", file=sys.stderr, flush=True)
        sys.exit(127)
    os.execve(SETPRIV, [SETPRIV, *identity_options(spec), "--", *spec["argv"]], spec["env"])


def identity_options(spec: dict) -> list[str]:
    """setpriv's options for the pod's identity: uid, gid, groups, no capability, no_new_privs."""
    groups = ",".join(str(g) for g in spec["groups"])
    return [
        f"--reuid={spec['uid']}", f"--regid={spec['gid']}", f"--groups={groups}" if groups else "--clear-groups",
        "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", *(["--no-new-privs"] if spec["no_new_privs"] else []),
    ]


if __name__ == "__main__":
    main(sys.argv[1])
