"""`python -m preflight.verify --outputs outputs.json [--set key=JSON ...]`: a plain table and an exit code.

The project's own `python -m preflight verify` renders the shared report formats; this entry
exists to run the checks alone. Exit code 0 only when every control passed.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import StackOutputs, all_passed, verify


def _override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare name or ARN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight.verify", description=__doc__)
    parser.add_argument("--outputs", help="file with the JSON of `pulumi stack output --json`")
    parser.add_argument("--set", dest="overrides", action="append", type=_override, default=[],
                        metavar="KEY=VALUE", help="give or replace one output (value is JSON or a plain string)")
    parser.add_argument("--endpoint-url", help="send every AWS call to this endpoint (testing)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    outputs = StackOutputs.from_file(args.outputs) if args.outputs else StackOutputs()
    results = verify(outputs.merged(dict(args.overrides)), endpoint_url=args.endpoint_url)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2, default=str))
    else:
        for r in results:
            print(f"{r.status.value.upper():5}  {r.rule:45}  {r.resource}  {r.message}")
    return 0 if all_passed(results) else 1


if __name__ == "__main__":
    sys.exit(main())
