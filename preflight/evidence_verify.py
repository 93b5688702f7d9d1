"""`evidence verify DIR`: a bundle is exactly the files its SHA256SUMS lists, byte for byte.

SHA256SUMS is in the format `sha256sum` writes (`<64 hex>  <relative path>` per line), so an
auditor can check a bundle with coreutils alone (`sha256sum -c SHA256SUMS`); this command also
fails on what `sha256sum -c` lets pass: a file added to the bundle, a path outside it, a symbolic
link. The one file the list cannot hold is the signature over the list itself, SHA256SUMS.sig,
which `cosign verify-blob` checks.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"
MAX_SUMS_BYTES = 1024 * 1024
_LINE = re.compile(r"([0-9a-f]{64})  ([^\n]+)")


@dataclass(frozen=True)
class Verification:
    checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_files(directory: Path) -> list[str]:
    """Every entry under the bundle, as relative POSIX paths (links included, to be refused)."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_symlink() or p.is_file())


def sums_text(directory: Path, names: list[str]) -> str:
    return "".join(f"{sha256_of(directory / name)}  {name}\n" for name in names)


def verify_bundle(directory: Path) -> Verification:
    sums = directory / SUMS
    if not directory.is_dir():
        return Verification(0, (f"{directory}: not a directory",))
    if not sums.is_file() or sums.is_symlink():
        return Verification(0, (f"{SUMS}: missing: nothing says what the bundle holds",))
    if sums.stat().st_size > MAX_SUMS_BYTES:
        return Verification(0, (f"{SUMS}: larger than {MAX_SUMS_BYTES} bytes",))
    listed, problems = _parse(sums.read_bytes())
    present = set(bundle_files(directory)) - {SUMS, SIGNATURE}
    problems += [f"{name}: in the bundle but not in {SUMS}" for name in sorted(present - set(listed))]
    for name, expected in listed.items():
        path = directory / name
        if path.is_symlink():
            problems.append(f"{name}: a symbolic link, not a file of the bundle")
        elif not path.is_file():
            problems.append(f"{name}: listed in {SUMS} but missing")
        elif sha256_of(path) != expected:
            problems.append(f"{name}: its SHA-256 differs from {SUMS}: the file was changed")
    return Verification(len(listed), tuple(problems))


def _parse(data: bytes) -> tuple[dict[str, str], list[str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, [f"{SUMS}: not UTF-8 text"]
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.fullmatch(line)
        if not match:
            problems.append(f"{SUMS}:{number}: not '<sha256>  <path>'")
            continue
        digest, name = match.groups()
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or name != pure.as_posix() or name in (SUMS, SIGNATURE):
            problems.append(f"{SUMS}:{number}: {name[:200]!r} is not a file inside the bundle")
        elif name in listed:
            problems.append(f"{SUMS}:{number}: {name[:200]!r} is listed twice")
        else:
            listed[name] = digest
    if not text.endswith("\n") and text:
        problems.append(f"{SUMS}: the last line is cut short")
    return listed, problems
