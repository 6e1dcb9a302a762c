"""``pathwise grade …``: grade code submissions, compare them, and benchmark the sandbox."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from pydantic import BaseModel

from pathwise.commands import bench_app

if TYPE_CHECKING:
    from models.code.hostile import CaseOutcome
    from models.code.report import GradeReport

grade_app = typer.Typer(help="Auto-grading: code submissions in a sandbox.", no_args_is_help=True)

EXIT_BAD_INPUT = 2
EXIT_NO_SANDBOX = 3


def _read(path: Path, label: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"pathwise: cannot read {label} {path}: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None


@grade_app.command("code")
def grade_code(
    submission: Annotated[Path, typer.Option(help="The learner's Python file")],
    tests: Annotated[Path | None, typer.Option(help="Visible pytest tests (import the submission as MODULE)")] = None,
    hidden: Annotated[Path | None, typer.Option(help="Hidden pytest tests (results only, no messages)")] = None,
    module: Annotated[str, typer.Option(help="Module name the tests import the submission as")] = "solution",
    on_forbidden: Annotated[str, typer.Option(help="reject (default) or flag forbidden constructs")] = "reject",
    test_timeout: Annotated[float, typer.Option(help="Wall-time limit per test, seconds")] = 5.0,
    cpu_s: Annotated[int, typer.Option(help="CPU-time limit per sandbox process, seconds")] = 10,
    memory_mb: Annotated[int, typer.Option(help="Address-space limit per process, MiB")] = 512,
    reveal_hidden: Annotated[bool, typer.Option(help="Show failure messages of hidden tests")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON")] = False,
) -> None:
    """Grade one submission: score, per-test results and containment events.

    Give visible tests (``--tests``), hidden tests (``--hidden``) or both.
    """
    from pydantic import ValidationError

    from models.code.analysis import AnalysisPolicy
    from models.code.grader import grade_submission
    from models.code.report import SandboxLimits
    from models.code.sandbox import SandboxUnavailable
    from models.code.suite import GradingInputError

    if on_forbidden not in ("reject", "flag"):
        typer.echo("pathwise: --on-forbidden must be 'reject' or 'flag'", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT)
    mode: Literal["reject", "flag"] = "reject" if on_forbidden == "reject" else "flag"
    if tests is None and hidden is None:
        typer.echo("pathwise: give --tests, --hidden or both", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT)
    source = _read(submission, "submission")
    visible = _read(tests, "tests") if tests is not None else None
    hidden_source = _read(hidden, "hidden tests") if hidden is not None else None
    try:
        limits = SandboxLimits(test_timeout_s=test_timeout, cpu_s=cpu_s, memory_mb=memory_mb)
        report = grade_submission(
            source,
            visible,
            hidden_source,
            limits=limits,
            policy=AnalysisPolicy(on_forbidden=mode),
            module=module,
            reveal_hidden_feedback=reveal_hidden,
        )
    except (GradingInputError, ValidationError) as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    except SandboxUnavailable as error:
        typer.echo(f"pathwise: sandbox unavailable: {error}", err=True)
        raise typer.Exit(code=EXIT_NO_SANDBOX) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)


def _print_report(report: GradeReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{report.status}[/bold]: score {report.score:.3f} "
        f"({report.points:g}/{report.points_possible:g} points, {report.wall_s:.1f}s)"
    )
    table = Table("suite", "test", "weight", "status", "cases", "feedback")
    for test in report.tests:
        table.add_row(
            test.suite,
            test.name,
            f"{test.weight:g}",
            test.status,
            f"{test.cases_passed}/{test.cases_total}",
            test.feedback[:120],
        )
    console.print(table)
    for event in report.events:
        console.print(f"event {event.kind.value} [{event.suite}] {event.test or ''} {event.detail}")


@grade_app.command("similarity")
def grade_similarity(
    files: Annotated[list[Path], typer.Argument(help="Two or more submissions")],
    threshold: Annotated[float, typer.Option(help="Only list pairs at least this similar")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Pairwise similarity from normalized AST fingerprints (plagiarism screening)."""
    from models.code.similarity import compare_all

    if len(files) < 2:
        typer.echo("pathwise: give at least two files", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT)
    sources = {str(path): _read(path, "submission") for path in files}
    pairs = compare_all(sources, threshold)
    if as_json:
        typer.echo(json.dumps([pair.model_dump() for pair in pairs], indent=2))
        return
    for pair in pairs:
        detail = f"winnow {pair.winnow_jaccard:.3f}, subtree {pair.subtree_overlap:.3f}"
        typer.echo(f"{pair.score:.3f}  {pair.a}  {pair.b}  ({detail})")


@bench_app.command("sandbox")
def bench_sandbox(
    out: Annotated[Path | None, typer.Option(help="Write the markdown results table here")] = None,
    case: Annotated[list[str] | None, typer.Option(help="Run only these cases (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Grade every hostile submission in the catalogue and report how each was contained."""
    from rich.progress import track

    from models.code.hostile import CASES, baseline_seconds, run_all
    from models.code.sandbox import SandboxUnavailable

    names = case or [item.name for item in CASES]
    unknown = sorted(set(names) - {item.name for item in CASES})
    if unknown:
        typer.echo(f"pathwise: unknown case(s) {', '.join(unknown)}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT)
    outcomes = []
    load_before = os.getloadavg()[0]
    try:
        baseline = statistics.median(baseline_seconds())
        for name in track(names, description="hostile submissions", transient=True):
            outcomes += run_all([name])
    except SandboxUnavailable as error:
        typer.echo(f"pathwise: sandbox unavailable: {error}", err=True)
        raise typer.Exit(code=EXIT_NO_SANDBOX) from None
    rows = [_bench_row(outcome) for outcome in outcomes]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        context = BenchContext(baseline_s=round(baseline, 2), load=(load_before, os.getloadavg()[0]))
        out.write_text(_bench_markdown(rows, outcomes, context))
    if as_json:
        typer.echo(json.dumps([row.model_dump() for row in rows], indent=2))
    else:
        for row in rows:
            typer.echo(f"{'ok ' if row.contained else 'FAIL'} {row.case:<22} {','.join(row.events)}")
    if not all(row.contained for row in rows):
        raise typer.Exit(code=1)


class BenchRow(BaseModel):
    case: str
    threat: str
    events: list[str]
    expected: list[str]
    hostile_test: str
    benign_test: str
    score: float
    sandbox_runs: int
    wall_s: float
    leftover_processes: int
    rejected_by_default_policy: bool
    contained: bool


def _bench_row(outcome: CaseOutcome) -> BenchRow:
    return BenchRow(
        case=outcome.case.name,
        threat=outcome.case.threat,
        events=sorted(event.value for event in outcome.events),
        expected=sorted(event.value for event in outcome.case.expect),
        hostile_test=outcome.status_of("test_hostile"),
        benign_test=outcome.status_of("test_benign"),
        score=outcome.report.score,
        sandbox_runs=outcome.report.sandbox_runs,
        wall_s=round(outcome.wall_s, 2),
        leftover_processes=len(outcome.leftover),
        rejected_by_default_policy=outcome.statically_rejected,
        contained=outcome.contained,
    )


def _tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10).stdout.strip()
    except OSError:
        return "unavailable"


class BenchContext(BaseModel):
    baseline_s: float
    load: tuple[float, float]


def _bench_markdown(rows: list[BenchRow], outcomes: list[CaseOutcome], context: BenchContext) -> str:
    limits = outcomes[0].report.limits if outcomes else None
    lines = [
        "# Sandbox: hostile submissions",
        "",
        "Produced by `pathwise bench sandbox --out experiments/results/sandbox.md` "
        f"on {datetime.now(UTC):%Y-%m-%d} ({_tool_version(['bwrap', '--version'])}, "
        f"Linux {platform.release()}, {platform.machine()}).",
        "",
        "Each case is graded with the static policy set to *flag*, so that the sandbox itself must contain it",
        "(with the default policy, *reject*, the cases marked in the last column never reach the sandbox).",
        "The tests call the hostile function first, then a benign test, then one hidden test; *contained* means",
        "every expected event was reported, the hostile test did not pass, the benign test was still graded",
        "(except where the submission hangs at import), and no sandbox process outlived the grading.",
        "",
        f"For reference, a well-behaved submission grades in {context.baseline_s}s (median of 3; one visible and one",
        "hidden suite, each a fresh sandbox running pytest). Wall times depend on the machine's load: the 1-minute",
        f"load average was {context.load[0]:.1f} before and {context.load[1]:.1f} after this run (2 cores, shared).",
        "",
    ]
    if limits is not None:
        lines += [
            f"Default limits: {limits.cpu_s}s CPU, {limits.memory_mb} MiB address space, {limits.processes} processes, "
            f"{limits.file_size_mb} MiB per file, {limits.open_files} open files, {limits.scratch_mb} MiB scratch, "
            f"stdout kept {limits.max_output_bytes // 1024} KiB and killed past "
            f"{limits.output_kill_bytes // 2**20} MiB; "
            "per-case overrides of the wall-time limits are in `models/code/hostile.py`.",
            "",
        ]
    lines += [
        "| case | threat | events reported | hostile test | benign test | score | runs | wall s | left over | "
        "rejected by default policy | contained |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        events = ", ".join(f"`{event}`" for event in row.events) or "none (import error reported)"
        lines.append(
            f"| {row.case} | {row.threat} | {events} | {row.hostile_test} | {row.benign_test} | "
            f"{row.score:.2f} | {row.sandbox_runs} | {row.wall_s} | {row.leftover_processes} | "
            f"{'yes' if row.rejected_by_default_policy else 'no'} | {'yes' if row.contained else '**NO**'} |"
        )
    contained = sum(row.contained for row in rows)
    lines += ["", f"{contained} of {len(rows)} hostile submissions contained.", ""]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.add_typer(grade_app, name="grade")
