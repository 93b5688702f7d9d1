"""preflight: run the Pulumi program and the policy pack offline, scan manifests, and report.

  python -m preflight preview --stack dev          the plan as a resource tree, with counts by type
  python -m preflight check --stack dev            program + policy pack offline, report violations
  python -m preflight scan PATH...                 the pack's Kubernetes rules over plain YAML manifests
  python -m preflight report EVENT_LOG             reports from a real preview's engine event log
  python -m preflight verify --stack dev           live evidence: the deployed account, read-only, per control
  python -m preflight evidence --stack dev --out DIR   every report and its inputs, hashed (SHA256SUMS)
  python -m preflight evidence verify DIR          checks a bundle: every file, byte for byte, nothing added

Exit status: 0 pass (every input read and judged, no mandatory violation), 1 a mandatory
violation, 2 error: an input that was not read or not judged, a usage or configuration error, or
an unexpected failure (one line; --debug shows the traceback). 2 takes precedence over 1.
Reports go to stdout (or --output); progress and errors go to stderr.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from preflight.safe_load import Limits

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
EXIT_STATUS = {"pass": EXIT_OK, "fail": EXIT_VIOLATIONS, "error": EXIT_ERROR}
FORMATS = ("text", "json", "markdown", "html", "sarif")


def _stack_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="stack name; reads Pulumi.<stack>.yaml next to Pulumi.yaml")
    target.add_argument("--stack-file", type=Path, help="path to any stack settings file")


def _report_arguments(parser: argparse.ArgumentParser, pack_config: bool = True) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    if pack_config:
        parser.add_argument("--policy-pack-config", type=Path, help="pack config JSON (default: policies/config/<environment>.json)")
    _limit_arguments(parser)


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected failure")
    limits = parser.add_argument_group("input limits (an input past one is an error, never read in part)")
    for flag, attribute, help_text in Limits.FLAGS:
        limits.add_argument(flag, dest=attribute, type=_positive, default=getattr(Limits(), attribute),
                            help=f"{help_text} (default: %(default)s)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(**{attribute: getattr(args, attribute) for _, attribute, _ in Limits.FLAGS})


def _progress(done: int, total: int) -> None:
    # Only long scans are worth narrating; stderr keeps stdout for the report.
    if total >= 50 and (done == total or done % 100 == 0):
        print(f"scanned {done}/{total} files", file=sys.stderr)


def cmd_preview(args: argparse.Namespace):
    """The plan as a tree and counts, then the pack's verdict on it (like `pulumi preview --policy-pack`)."""
    from preflight.commands import check_plan, pack_config_for, stack_path
    from preflight.engine import run_program
    from preflight.plan_tree import render_counts, render_tree

    path = stack_path(args.stack, args.stack_file)
    config = pack_config_for(path, args.policy_pack_config)
    plan = run_program(stack_file=path)
    print(render_tree(plan))
    print()
    print(render_counts(plan))
    print()
    return check_plan(plan, path, config)


def cmd_check(args: argparse.Namespace):
    from preflight.commands import check

    return check(args.stack, args.stack_file, args.policy_pack_config, args.manifests_out)


def cmd_scan(args: argparse.Namespace):
    from preflight.scan import scan

    return scan(args.paths, args.policy_pack_config, progress=_progress, limits=limits_of(args))


def cmd_report(args: argparse.Namespace):
    from preflight.event_report import report_from_event_log
    from preflight.policy_reports import join_policy_reports

    report = report_from_event_log(args.event_log, args.policy_pack_config, args.stack_file, args.stack, limits_of(args))
    return join_policy_reports(report, args.policy_reports, limits_of(args)) if args.policy_reports else report


def cmd_evidence(args: argparse.Namespace) -> int:
    from preflight.commands import UsageError
    from preflight.evidence import Sources, write
    from preflight.evidence_verify import verify_bundle
    from preflight.formats import printable

    if args.evidence_command == "verify":
        checked = verify_bundle(args.bundle)
        for problem in checked.problems:
            print(f"FAIL       {printable(problem)}")
        print(f"{checked.checked} files checked; bundle {'verified' if checked.ok else 'NOT verified'}")
        return EXIT_OK if checked.ok else EXIT_ERROR
    if not args.stack or not args.out:
        raise UsageError("evidence needs --stack NAME and --out DIR (or: evidence verify DIR)")
    report = write(args.out, args.stack, Sources(args.event_log, args.policy_reports, args.verify, args.history),
                   limits_of(args))
    print(f"evidence bundle for stack {printable(args.stack)} written to {printable(args.out)}; "
          f"verdict: {report.verdict}")
    return EXIT_STATUS[report.verdict]


def cmd_verify(args: argparse.Namespace):
    from preflight.verify_command import verify_live

    return verify_live(args.outputs, dict(args.overrides), args.stack, args.stack_file, args.endpoint_url, limits_of(args))


def _output_value(text: str) -> tuple[str, object]:
    """key=value for --set; the value is JSON when it parses, else a plain string (a name or ARN)."""
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value
    except (ValueError, RecursionError):  # a number past Python's digit limit, nesting past the parser's
        raise argparse.ArgumentTypeError(f"the value of {key} is JSON too large or too deep to read") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2])
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="run the program offline, print the plan and the pack's verdict")
    _stack_arguments(preview)
    _report_arguments(preview)
    preview.set_defaults(run=cmd_preview, reports=True)

    check = commands.add_parser("check", help="run the program and the policy pack offline")
    _stack_arguments(check)
    _report_arguments(check)
    check.add_argument("--manifests-out", type=Path, help="also write every Kubernetes resource as YAML into this directory")
    check.set_defaults(run=cmd_check, reports=True)

    scan = commands.add_parser("scan", help="run the pack's Kubernetes rules over YAML manifests")
    scan.add_argument("paths", nargs="+", type=Path, help="YAML files or directories")
    _report_arguments(scan)
    scan.set_defaults(run=cmd_scan, reports=True)

    report = commands.add_parser("report", help="reports from `pulumi preview --event-log FILE`")
    report.add_argument("event_log", type=Path)
    # The stack's pack config gives the level each rule must have; a log with weaker levels is an error.
    stack_of_log = report.add_mutually_exclusive_group()
    stack_of_log.add_argument("--stack", help="the stack the log must be of (default: the stack named in the log); "
                              "its pack config gives the enforcement level each rule must have")
    stack_of_log.add_argument("--stack-file", type=Path, help="stack file (default: Pulumi.<stack>.yaml of the log's stack)")
    report.add_argument("--policy-reports", type=Path, help="JSON of kubectl get policyreports,clusterpolicyreports -A "
                                                            "-o json: Kyverno's results joined under their CrossGuard twins")
    _report_arguments(report)
    report.set_defaults(run=cmd_report, reports=True)

    verify = commands.add_parser("verify", help="check the deployed account's controls with boto3 (read-only)")
    # The stack's settings say what must exist; without them the verdict is never pass.
    settings = verify.add_mutually_exclusive_group()
    settings.add_argument("--stack", help="stack name: Pulumi.<stack>.yaml says what must exist (without --stack or "
                                          "--stack-file the verdict is never pass); without --outputs or --set, its "
                                          "outputs are read with the pulumi CLI")
    settings.add_argument("--stack-file", type=Path, help="path to the stack settings file, instead of --stack")
    verify.add_argument("--outputs", type=Path, help="JSON of `pulumi stack output --json --stack NAME` saved to a file; "
                                                    "checked against the settings, never taken as the truth")
    verify.add_argument("--set", dest="overrides", action="append", type=_output_value, default=[], metavar="KEY=VALUE",
                        help="give or replace one output, e.g. the key ARNs AWS assigned (repeatable)")
    verify.add_argument("--endpoint-url", help="send every AWS call to this endpoint (testing against a local emulator)")
    _report_arguments(verify, pack_config=False)
    verify.set_defaults(run=cmd_verify, reports=True)

    evidence = commands.add_parser("evidence", help="write a hashed evidence bundle, or verify one (evidence verify DIR)")
    evidence.add_argument("--stack", help="the stack the evidence is of")
    evidence.add_argument("--out", type=Path, help="new, empty directory for the bundle")
    evidence.add_argument("--event-log", type=Path, help="a real preview's event log (default: the offline check)")
    evidence.add_argument("--policy-reports", type=Path, help="kubectl get policyreports,clusterpolicyreports -A -o json")
    evidence.add_argument("--verify", type=Path, help="the JSON report of preflight verify for this stack")
    evidence.add_argument("--history", type=Path, help="directory of earlier bundles, one per subdirectory (trend)")
    _limit_arguments(evidence)
    bundle = evidence.add_subparsers(dest="evidence_command")
    check_bundle = bundle.add_parser("verify", help="check a bundle against its SHA256SUMS (exit 0 only if it holds)")
    check_bundle.add_argument("bundle", type=Path)
    evidence.set_defaults(run=cmd_evidence, reports=False)
    return parser


class OutputError(Exception):
    """The report could not be written where --output says."""


def _emit(report, args: argparse.Namespace) -> int:
    from preflight.formats import renderer

    colour = args.format == "text" and args.output is None and sys.stdout.isatty()
    text = renderer(args.format)(report, colour=colour)
    if args.output:
        _write(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_STATUS[report.verdict]


def _write(path: Path, text: str) -> None:
    if path.is_dir():
        raise OutputError(f"--output {path}: is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise OutputError(f"--output {path}: cannot write the report: {err.strerror or err}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
        return _emit(result, args) if args.reports else result
    except (Exception, RecursionError, MemoryError) as err:  # fail closed: never a traceback, never exit 0
        from preflight.formats import printable

        if isinstance(err, _expected_errors()):
            # Messages quote inputs (file names, values): shown with control characters escaped.
            print("error: " + "\n".join(printable(line) for line in str(err).splitlines()), file=sys.stderr)
            return EXIT_ERROR
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        print(f"error: unexpected failure ({type(err).__name__}: {printable(_one_line(err))}); verdict: error"
              + ("" if getattr(args, "debug", False) else " (run with --debug for the traceback)"), file=sys.stderr)
        return EXIT_ERROR


def _expected_errors() -> tuple[type[BaseException], ...]:
    """The errors that are a bad input or setting, each said in one line. Imported only once one was
    raised: a scan does not load the program's config module (and, through it, the Pulumi runtime)."""
    from components.config import ConfigError
    from preflight.commands import UsageError
    from preflight.evaluation import ConfigError as PackConfigError
    from preflight.event_log import EventLogError
    from preflight.evidence import EvidenceError
    from preflight.evidence_history import HistoryError
    from preflight.live_evidence import LiveEvidenceError
    from preflight.parallel_map import WorkersError
    from preflight.policy_reports import PolicyReportError
    from preflight.safe_load import LoadError
    from preflight.stack_files import StackFileError

    return (ConfigError, PackConfigError, StackFileError, UsageError, EventLogError, LoadError, OutputError,
            EvidenceError, HistoryError, LiveEvidenceError, PolicyReportError, WorkersError)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:300] + ("..." if len(text) > 300 else "")


if __name__ == "__main__":
    status = main()
    # The run leaves a few hundred thousand SDK objects; frozen, the collector's passes at exit skip them.
    import gc

    gc.freeze()
    sys.exit(status)
