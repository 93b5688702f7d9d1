"""preflight: run the Pulumi program offline and report on it.

  python -m preflight preview --stack dev        plan as a resource tree, with counts by type
  python -m preflight preview --stack-file PATH  the same for any stack file

Exit status: 0 ok, 2 usage or configuration errors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from preflight.stack_files import StackFileError

EXIT_OK, EXIT_USAGE = 0, 2


def _stack_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="stack name; reads Pulumi.<stack>.yaml next to Pulumi.yaml")
    target.add_argument("--stack-file", type=Path, help="path to any stack settings file")


def _load_plan(args: argparse.Namespace):
    # Imported here so `--help` stays fast and needs no Pulumi runtime.
    from preflight.engine import run_program

    return run_program(stack=args.stack, stack_file=args.stack_file)


def cmd_preview(args: argparse.Namespace) -> int:
    from preflight.plan_tree import render_counts, render_tree

    plan = _load_plan(args)
    print(render_tree(plan))
    print()
    print(render_counts(plan))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", help="run the program offline and print the plan")
    _stack_arguments(preview)
    preview.set_defaults(run=cmd_preview)
    return parser


def main(argv: list[str] | None = None) -> int:
    from components.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, StackFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
