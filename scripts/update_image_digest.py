"""Point services of a stack at new image digests: the GitOps step of the images pipeline.

Edits only the image settings in `Pulumi.<stack>.yaml`: `devsecops-platform:services.<name>.image`,
and `devsecops-platform:backupImage` for the db-backup image. Each is edited in place on its own
line, so comments, key order and formatting stay as they are. An image is accepted only as
`<stack registry>/<namePrefix>-<stack>/<service>@sha256:<64 hex>`: the stack's own ECR repository,
pinned by digest. All updates are checked, and the edited text is re-parsed and compared with the
intended change, before the file is replaced; on any error the file is left as it was. Running it
again with the same images changes nothing.

Usage: python -m scripts.update_image_digest Pulumi.dev.yaml frontend=<image> [backend=<image> ...]
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.stack_registry import PROJECT, StackFileError, StackRegistry, load_stack_registry, read_yaml_mapping

SERVICES_KEY = f"{PROJECT}:services"
# Images that are not app services have a setting of their own.
STANDALONE_IMAGE_SETTINGS = {"db-backup": (f"{PROJECT}:backupImage",)}
IMAGE_REF = re.compile(r"^(?P<repository>[^@\s]+)@sha256:(?P<digest>[^@\s]*)$")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
# A block-mapping key line: `  key: rest`. A key may hold colons (`aws:region`), so it ends at the
# first colon followed by a space or the end of the line.
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>\"[^\"]*\"|'[^']*'|[^\s#\"'-][^#]*?):(?=\s|$)(?P<rest>.*)$")
SEQUENCE_ITEM = re.compile(r"^(?P<indent> *)- ")
# The value part of the image line: one plain or quoted scalar, then an optional comment.
SCALAR_VALUE = re.compile(r"^(?P<lead>\s*)(?P<quote>[\"']?)(?P<value>[^\s\"'#]*)(?P=quote)(?P<tail>\s*(#.*)?)$")


class DigestUpdateError(Exception):
    """The update was refused; the stack file is unchanged."""


@dataclass(frozen=True)
class ImageUpdate:
    service: str
    image: str


def parse_update(text: str) -> ImageUpdate:
    service, sep, image = text.partition("=")
    if not sep or not service or not image:
        raise argparse.ArgumentTypeError(f"expected <service>=<image>, got {text!r}")
    return ImageUpdate(service, image)


def check_image(registry: StackRegistry, update: ImageUpdate) -> None:
    expected = f"{registry.repository(update.service)}@sha256:<64 hex>"
    match = IMAGE_REF.match(update.image)
    if not match:
        raise DigestUpdateError(
            f"{update.service}: {update.image!r} is not pinned by digest (tags are not accepted); expected {expected}"
        )
    if not DIGEST.match(match["digest"]):
        raise DigestUpdateError(
            f"{update.service}: digest {match['digest']!r} is not 64 lowercase hex characters; expected {expected}"
        )
    if match["repository"] != registry.repository(update.service):
        raise DigestUpdateError(
            f"{update.service}: {match['repository']!r} is not this stack's repository; expected {expected}"
        )


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


def find_line(lines: list[str], path: tuple[str, ...]) -> int:
    """Index of the line holding the block-mapping key at `path` (from the document root)."""
    open_keys: list[tuple[int, str]] = []  # (indent, key) of the mappings that enclose the line
    found: list[int] = []
    for index, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = SEQUENCE_ITEM.match(line)
        match = KEY_LINE.match(line)
        if item:
            indent, key = len(item["indent"]), "-"  # nothing inside a sequence is a target
        elif match:
            indent, key = len(match["indent"]), _unquote(match["key"].strip())
        else:
            continue
        while open_keys and open_keys[-1][0] >= indent:
            open_keys.pop()
        open_keys.append((indent, key))
        if tuple(key for _, key in open_keys) == path:
            found.append(index)
    if len(found) != 1:
        raise DigestUpdateError(f"expected one block-style line for {'.'.join(path)}, found {len(found)}")
    return found[0]


def replace_value(line: str, new_value: str) -> str:
    match = KEY_LINE.match(line.rstrip("\r\n"))
    value = SCALAR_VALUE.match(match["rest"]) if match else None
    if not value:
        raise DigestUpdateError(f"cannot edit this line in place: {line.strip()!r}")
    ending = line[len(line.rstrip("\r\n")):]
    head = line[: len(match["indent"]) + len(match["key"]) + 1]
    return f"{head}{value['lead']}{value['quote']}{new_value}{value['quote']}{value['tail']}{ending}"


def setting_path(service: str) -> tuple[str, ...]:
    """Where a service's image is set, as keys under `config`."""
    return STANDALONE_IMAGE_SETTINGS.get(service, (SERVICES_KEY, service, "image"))


def current_image(config: dict, service: str) -> object:
    """The image set now for the service; KeyError when the stack has no such setting."""
    value: object = config
    for key in setting_path(service):
        if not isinstance(value, dict):
            raise KeyError(key)
        value = value[key]
    return value


def updated_text(text: str, document: dict, updates: list[ImageUpdate]) -> str:
    lines = text.splitlines(keepends=True)
    for update in updates:
        index = find_line(lines, ("config", *setting_path(update.service)))
        lines[index] = replace_value(lines[index], update.image)
    new_text = "".join(lines)

    # The line edit must change exactly the image values and nothing else.
    expected = copy.deepcopy(document)
    for update in updates:
        *parents, last = setting_path(update.service)
        target = expected["config"]
        for key in parents:
            target = target[key]
        target[last] = update.image
    if yaml.safe_load(new_text) != expected:
        raise DigestUpdateError("the edit would change more than the image settings; edit the file by hand")
    return new_text


def apply_updates(stack_file: Path, updates: list[ImageUpdate]) -> list[str]:
    """Check and apply the updates; returns one line of report per service."""
    registry = load_stack_registry(stack_file)
    document = read_yaml_mapping(stack_file)
    if len({update.service for update in updates}) != len(updates):
        raise DigestUpdateError("a service is named more than once")
    report = []
    for update in updates:
        try:
            current = current_image(document["config"], update.service)
        except KeyError:
            known = sorted((document["config"].get(SERVICES_KEY) or {}).keys() | STANDALONE_IMAGE_SETTINGS.keys())
            raise DigestUpdateError(
                f"{update.service}: not a service of stack {registry.stack} with an image setting "
                f"(known: {', '.join(known)})"
            ) from None
        check_image(registry, update)
        report.append(f"{update.service}: unchanged" if current == update.image else f"{update.service}: {current} -> {update.image}")

    text = stack_file.read_bytes().decode("utf-8")  # keeps CRLF line ends as they are
    new_text = updated_text(text, document, updates)
    if new_text != text:
        _replace_file(stack_file, new_text)
    return report


def _replace_file(path: Path, text: str) -> None:
    """Write beside the file, then rename over it, so a failure never leaves half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", newline="") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Set services' image digests in a stack file.")
    parser.add_argument("stack_file", type=Path, help="Pulumi.<stack>.yaml")
    parser.add_argument("updates", nargs="+", type=parse_update, metavar="SERVICE=IMAGE",
                        help="e.g. frontend=<registry>/<prefix>-<stack>/frontend@sha256:<64 hex>")
    args = parser.parse_args(argv)
    try:
        for line in apply_updates(args.stack_file, args.updates):
            print(line)
    except (DigestUpdateError, StackFileError) as error:
        print(f"error: {error}; {args.stack_file} left unchanged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
