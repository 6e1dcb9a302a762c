"""Grade one Python submission: static analysis, then visible and hidden tests in the sandbox.

``grade_submission`` is a pure function of its inputs (no database, no files kept), so the CLI
and, later, the API can both call it. The visible and hidden suites run in separate sandboxes:
whatever the submission learns while the hidden tests run (their source, their inputs) cannot
leave, because that run's output is never shown and its failure messages are withheld.
"""

from __future__ import annotations

import time
from typing import Any

from models.code.analysis import AnalysisPolicy, analyze
from models.code.report import (
    AnalysisReport,
    CaseResult,
    ContainmentEvent,
    EventKind,
    GradeReport,
    OutputSummary,
    SandboxLimits,
    TestResult,
    TestStatus,
)
from models.code.sandbox import SCRATCH_DIR, TASK_DIR, Interpreter, SuiteOutcome, run_suite
from models.code.suite import DeclaredTest, GradingInputError, declared_tests, function_of

FEEDBACK_LIMIT = 500
_STATUS_ORDER: tuple[TestStatus, ...] = ("timeout", "error", "failed", "skipped", "not_run")
_PYTEST_INI = b"[pytest]\n"


def _errno_kind(errno: int | None, filename: str | None) -> EventKind | None:
    """Map an OSError raised in a test to the containment it reveals (None: an ordinary bug)."""
    outside = bool(filename) and str(filename).startswith("/") and not str(filename).startswith((SCRATCH_DIR, TASK_DIR))
    if errno == 11:
        return EventKind.PROCESS_LIMIT
    if errno == 27:
        return EventKind.FILE_SIZE_LIMIT
    if errno == 24:
        return EventKind.OPEN_FILES_LIMIT
    if errno == 28:
        return EventKind.SCRATCH_FULL
    if errno in (101, 113, 99, 97):
        return EventKind.NETWORK_DENIED
    if errno == 30 or (errno in (1, 13) and str(filename or "").startswith(TASK_DIR)):
        # Read-only mounts, or the task files (world-readable, so EACCES there means a write).
        return EventKind.WRITE_DENIED
    if errno in (1, 13, 2) and outside:
        return EventKind.FILE_ACCESS_DENIED
    return None


def classify(chain: list[dict[str, Any]]) -> list[tuple[EventKind, str]]:
    """Containment events revealed by the exceptions a test raised (builtin types only)."""
    found: list[tuple[EventKind, str]] = []
    for entry in chain:
        if entry.get("module") not in ("builtins", "socket"):
            continue
        kind: EventKind | None = None
        name = entry.get("type")
        message = str(entry.get("message", ""))
        if name == "MemoryError":
            kind = EventKind.MEMORY_LIMIT
        elif name == "gaierror":
            kind = EventKind.NETWORK_DENIED
        elif name == "RuntimeError" and "can't start new thread" in message:
            kind = EventKind.PROCESS_LIMIT
        elif "errno" in entry:
            kind = _errno_kind(entry.get("errno"), entry.get("filename"))
        if kind is not None:
            found.append((kind, f"{name}: {message}"[:300]))
    return found


def _clean(text: str) -> str:
    """Replace control characters (terminal escapes a submission may raise in a message)."""
    return "".join(ch if ch in "\n\t" or ch.isprintable() else "\ufffd" for ch in text)


def _truncate(text: str, limit: int = FEEDBACK_LIMIT) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[:limit] + " …"


def _function_result(
    suite: str, test: DeclaredTest, outcome: SuiteOutcome, reveal: bool
) -> tuple[TestResult, list[CaseResult]]:
    cases = [case for nodeid, case in outcome.cases.items() if function_of(nodeid) == test.name]
    if not cases:
        if outcome.collect_error:
            status: TestStatus = "error"
            feedback = "the tests could not be loaded" + (f": {outcome.collect_error}" if reveal else "")
        elif outcome.failure:
            status, feedback = "not_run", f"not run: {outcome.failure}"
        else:
            status, feedback = "not_run", "not run"
        result = TestResult(
            suite=suite,
            name=test.name,
            weight=test.weight,
            status=status,
            cases_passed=0,
            cases_total=0,
            points=0.0,
            feedback=_truncate(feedback),
        )
        return result, []
    passed = sum(case.status == "passed" for case in cases)
    status = "passed" if passed == len(cases) else next(s for s in _STATUS_ORDER if any(c.status == s for c in cases))
    failing = next((case for case in cases if case.status != "passed"), None)
    shown = [case.model_copy(update={"message": _clean(case.message)}) for case in cases]
    feedback = ""
    if failing is not None:
        if reveal:
            label = failing.nodeid.partition("::")[2]
            feedback = _truncate(f"{label}: {failing.message}" if len(cases) > 1 else failing.message)
        else:
            feedback = f"a hidden test case {failing.status.replace('_', ' ')}"
            # Parameter values of hidden cases would reveal their inputs: number them instead.
            shown = [
                CaseResult(
                    nodeid=f"{test.name}[{i}]" if len(cases) > 1 else test.name,
                    status=case.status,
                    duration_s=case.duration_s,
                )
                for i, case in enumerate(cases)
            ]
    result = TestResult(
        suite=suite,
        name=test.name,
        weight=test.weight,
        status=status,
        cases_passed=passed,
        cases_total=len(cases),
        points=round(test.weight * passed / len(cases), 6),
        feedback=feedback,
        cases=shown,
    )
    return result, cases


def _events(suite: str, outcome: SuiteOutcome, declared: set[str], reveal: bool) -> list[ContainmentEvent]:
    events = list(outcome.events)
    for nodeid, chain in outcome.exceptions.items():
        if function_of(nodeid) not in declared:
            continue
        for kind, detail in classify(chain):
            events.append(ContainmentEvent(kind=kind, suite=suite, test=nodeid, detail=detail))
    if outcome.stdout_total > len(outcome.stdout):
        events.append(
            ContainmentEvent(
                kind=EventKind.OUTPUT_TRUNCATED,
                suite=suite,
                detail=f"kept {len(outcome.stdout)} of {outcome.stdout_total} bytes of output",
            )
        )
    if not reveal:
        # Node ids carry parameter values and messages may quote inputs: keep only the test function.
        events = [
            event.model_copy(
                update={
                    "test": function_of(event.test) if event.test else None,
                    "detail": event.detail.split(":", 1)[0] if event.test else event.detail,
                }
            )
            for event in events
        ]
    unique: dict[tuple[str, str, str | None], ContainmentEvent] = {}
    for event in events:
        unique.setdefault((event.kind.value, event.suite, event.test), event)
    return list(unique.values())


def _validate(source: str, tests: str | None, hidden: str | None, module: str, limits: SandboxLimits) -> None:
    if not module.isidentifier() or module.startswith("test"):
        raise GradingInputError(f"module name {module!r} must be a Python identifier not starting with 'test'")
    if tests is None and hidden is None:
        raise GradingInputError("no tests: give visible tests, hidden tests or both")
    for label, text in (("submission", source), ("tests", tests or ""), ("hidden tests", hidden or "")):
        size = len(text.encode())
        if size > limits.max_source_bytes:
            raise GradingInputError(f"{label} is {size} bytes; the limit is {limits.max_source_bytes}")
        if "\x00" in text:
            raise GradingInputError(f"{label} contains a NUL byte")


def grade_submission(
    source: str,
    tests: str | None,
    hidden_tests: str | None = None,
    limits: SandboxLimits | None = None,
    policy: AnalysisPolicy | None = None,
    module: str = "solution",
    reveal_hidden_feedback: bool = False,
    interpreter: Interpreter | None = None,
) -> GradeReport:
    """Score ``source`` against the visible ``tests`` and the ``hidden_tests``; either may be
    ``None`` (not both). A suite is visible or hidden by the argument it comes in, never by
    how many suites there are: hidden-only tests stay hidden.

    Raises :class:`GradingInputError` for unusable tests or inputs over the limits, and
    :class:`~models.code.sandbox.SandboxUnavailable` when bubblewrap cannot run. Everything the
    submission does (syntax errors included) ends up in the report instead.
    """
    limits = limits or SandboxLimits()
    policy = policy or AnalysisPolicy()
    started = time.monotonic()
    _validate(source, tests, hidden_tests, module, limits)
    suites: list[tuple[str, str, list[DeclaredTest]]] = []
    if tests is not None:
        suites.append(("visible", tests, declared_tests(tests, "tests")))
    if hidden_tests is not None:
        suites.append(("hidden", hidden_tests, declared_tests(hidden_tests, "hidden tests")))
    possible = sum(test.weight for _, _, declared in suites for test in declared)
    analysis = analyze(source, policy)
    events = [
        ContainmentEvent(
            kind=EventKind.FORBIDDEN_CONSTRUCT, suite="static", detail=f"line {finding.line}: {finding.message}"
        )
        for finding in analysis.forbidden
    ]
    if analysis.syntax_error is not None or (analysis.forbidden and policy.on_forbidden == "reject"):
        return _not_run(analysis, events, suites, limits, possible, started)

    deadline = started + limits.total_wall_s
    results: list[TestResult] = []
    output = OutputSummary()
    runs = 0
    for suite, text, declared in suites:
        files = {f"{module}.py": source.encode(), f"test_{suite}.py": text.encode(), "pytest.ini": _PYTEST_INI}
        outcome = run_suite(suite, files, f"test_{suite}.py", limits, deadline, interpreter)
        runs += outcome.runs
        reveal = suite == "visible" or reveal_hidden_feedback
        results += [_function_result(suite, test, outcome, reveal)[0] for test in declared]
        events += _events(suite, outcome, {test.name for test in declared}, reveal)
        if suite == "visible":
            output.visible_stdout = outcome.stdout.decode(errors="replace")
            output.visible_bytes = outcome.stdout_total
        else:
            output.hidden_bytes = outcome.stdout_total
        output.truncated = output.truncated or outcome.stdout_total > len(outcome.stdout)
    points = sum(result.points for result in results)
    return GradeReport(
        status="graded",
        score=round(points / possible, 6) if possible else 0.0,
        points=round(points, 6),
        points_possible=possible,
        tests=results,
        events=events,
        analysis=analysis,
        output=output,
        sandbox_runs=runs,
        wall_s=round(time.monotonic() - started, 3),
        limits=limits,
    )


def _not_run(
    analysis: AnalysisReport,
    events: list[ContainmentEvent],
    suites: list[tuple[str, str, list[DeclaredTest]]],
    limits: SandboxLimits,
    possible: float,
    started: float,
) -> GradeReport:
    if analysis.syntax_error is not None:
        status, reason = "graded", f"the submission has a syntax error ({analysis.syntax_error})"
    else:
        status, reason = "rejected", "the submission uses forbidden constructs; the tests were not run"
    tests = [
        TestResult(
            suite=suite,
            name=test.name,
            weight=test.weight,
            status="not_run",
            cases_passed=0,
            cases_total=0,
            points=0.0,
            feedback=reason,
        )
        for suite, _, declared in suites
        for test in declared
    ]
    return GradeReport(
        status=status,
        score=0.0,
        points=0.0,
        points_possible=possible,
        tests=tests,
        events=events,
        analysis=analysis,
        wall_s=round(time.monotonic() - started, 3),
        limits=limits,
    )
