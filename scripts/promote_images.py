"""Which images prod receives: exactly the digests the dev stack runs, in prod's own repositories.

A digest names the image's content, so the same digest in prod's registry is the same image that
was built, scanned, signed and attested for dev; promotion copies it (`cosign copy`, with its
signatures and attestations) and never builds again. Reads the image settings of the source stack
file (services.<name>.image and backupImage, as scripts/update_image_digest.py edits them) and prints
one line per image of the source stack's own registry:

    <service> <source image> <target image>

Images from other registries (the pinned public base images) are left out: they are not built here.

Usage: python -m scripts.promote_images Pulumi.dev.yaml Pulumi.prod.yaml
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from scripts.stack_registry import StackFileError, load_stack_registry, read_yaml_mapping
from scripts.update_image_digest import DIGEST, IMAGE_REF, SERVICES_KEY, STANDALONE_IMAGE_SETTINGS, current_image


class PromotionError(Exception):
    """The source stack's images cannot be promoted as they are."""


@dataclass(frozen=True)
class Promotion:
    service: str
    source: str
    target: str

    @property
    def digest(self) -> str:
        return self.source.rsplit("@", 1)[1]


def _services(config: dict) -> list[str]:
    services = config.get(SERVICES_KEY) or {}
    return [*services, *(s for s in STANDALONE_IMAGE_SETTINGS if current_image_or_none(config, s) is not None)]


def current_image_or_none(config: dict, service: str) -> object:
    try:
        return current_image(config, service)
    except KeyError:
        return None


def promotions(source_file: Path, target_file: Path) -> list[Promotion]:
    source, target = load_stack_registry(source_file), load_stack_registry(target_file)
    config = read_yaml_mapping(source_file)["config"]
    found = []
    for service in _services(config):
        image, own = current_image(config, service), source.repository(service)
        if not isinstance(image, str) or not image.startswith((own + "@", own + ":")):
            continue  # not built by this repository's pipeline
        match = IMAGE_REF.match(image)
        if not match or not DIGEST.match(match["digest"]) or match["repository"] != source.repository(service):
            raise PromotionError(f"{service}: {image!r} in {source_file.name} is not pinned by digest; only a digest can be promoted")
        found.append(Promotion(service, image, f"{target.repository(service)}@sha256:{match['digest']}"))
    if not found:
        raise PromotionError(f"{source_file.name} names no image of its own registry {source.host}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List the images a stack promotes to another, by digest.")
    parser.add_argument("source", type=Path, help="Pulumi.<source stack>.yaml, e.g. Pulumi.dev.yaml")
    parser.add_argument("target", type=Path, help="Pulumi.<target stack>.yaml, e.g. Pulumi.prod.yaml")
    args = parser.parse_args(argv)
    try:
        for promotion in promotions(args.source, args.target):
            print(promotion.service, promotion.source, promotion.target)
    except (PromotionError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
