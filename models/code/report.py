"""Pydantic models for code grading: limits, per-test results, containment events, the report.

These are the contract between the grader and its callers (CLI today, the API later).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SandboxLimits(BaseModel):
    """Resource limits for one sandboxed test run (per process unless noted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_s: int = Field(10, ge=1, le=600, description="RLIMIT_CPU per sandbox process")
    memory_mb: int = Field(512, ge=64, le=16384, description="RLIMIT_AS (address space) per process")
    processes: int = Field(16, ge=1, le=1024, description="RLIMIT_NPROC for the sandbox uid (threads count)")
    file_size_mb: int = Field(8, ge=1, le=1024, description="RLIMIT_FSIZE: largest file a process may write")
    open_files: int = Field(64, ge=16, le=4096, description="RLIMIT_NOFILE")
    scratch_mb: int = Field(32, ge=1, le=4096, description="size of the writable tmpfs at /scratch")
    test_timeout_s: float = Field(5.0, gt=0, le=600, description="wall time per test (setup + call + teardown)")
    startup_timeout_s: float = Field(20.0, gt=0, le=600, description="wall time to start and collect the tests")
    total_wall_s: float = Field(120.0, gt=0, le=3600, description="wall time for the whole grading")
    max_output_bytes: int = Field(64 * 1024, ge=0, le=16 * 1024 * 1024, description="stdout kept per suite")
    output_kill_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="stdout after which the run is killed")
    max_source_bytes: int = Field(256 * 1024, ge=1024, description="largest submission or test file accepted")


class EventKind(StrEnum):
    """What the sandbox or the static checks contained."""

    TIMEOUT = "timeout"
    #: The whole grading ran out of time (``total_wall_s``): not a verdict on the program.
    GRADING_BUDGET = "grading_budget"
    CPU_LIMIT = "cpu_limit"
    MEMORY_LIMIT = "memory_limit"
    PROCESS_LIMIT = "process_limit"
    FILE_SIZE_LIMIT = "file_size_limit"
    OPEN_FILES_LIMIT = "open_files_limit"
    SCRATCH_FULL = "scratch_full"
    OUTPUT_TRUNCATED = "output_truncated"
    OUTPUT_LIMIT = "output_limit"
    NETWORK_DENIED = "network_denied"
    FILE_ACCESS_DENIED = "file_access_denied"
    WRITE_DENIED = "write_denied"
    FORBIDDEN_CONSTRUCT = "forbidden_construct"
    CRASHED = "crashed"
    FORGED_RESULT_REJECTED = "forged_result_rejected"
    FORKED_RUNNER_IGNORED = "forked_runner_ignored"


#: Limits a program runs into by itself (an infinite loop, a runaway allocation, too many
#: processes or files, too much output): the test it happened in scores 0 and the learner reads
#: why. Everything else the sandbox contains (network, file access, writes, forged results, a
#: forked runner, a crash with no known cause, forbidden constructs) is for an instructor to read.
SCORED_LIMITS: frozenset[EventKind] = frozenset(
    {
        EventKind.TIMEOUT,
        EventKind.CPU_LIMIT,
        EventKind.MEMORY_LIMIT,
        EventKind.PROCESS_LIMIT,
        EventKind.FILE_SIZE_LIMIT,
        EventKind.OPEN_FILES_LIMIT,
        EventKind.SCRATCH_FULL,
        EventKind.OUTPUT_LIMIT,
        EventKind.OUTPUT_TRUNCATED,
    }
)


class ContainmentEvent(BaseModel):
    kind: EventKind
    suite: Literal["visible", "hidden", "static"]
    test: str | None = None
    detail: str = ""


TestStatus = Literal["passed", "failed", "error", "skipped", "timeout", "not_run"]


class CaseResult(BaseModel):
    """One pytest item (a parametrized test has several)."""

    nodeid: str
    status: TestStatus
    duration_s: float = 0.0
    message: str = ""


class TestResult(BaseModel):
    """One test function, as declared in the trusted test source, with its weight."""

    __test__ = False  # not a pytest class

    suite: Literal["visible", "hidden"]
    name: str
    weight: float
    status: TestStatus
    cases_passed: int
    cases_total: int
    points: float
    feedback: str = ""
    cases: list[CaseResult] = Field(default_factory=list)


class StaticFinding(BaseModel):
    rule: str
    line: int
    col: int
    message: str


class FunctionComplexity(BaseModel):
    name: str
    line: int
    complexity: int
    rank: str


class StyleIssue(BaseModel):
    code: str
    line: int
    col: int
    message: str


class AnalysisReport(BaseModel):
    syntax_error: str | None = None
    forbidden: list[StaticFinding] = Field(default_factory=list)
    complexity: list[FunctionComplexity] = Field(default_factory=list)
    max_complexity: int = 0
    style_issue_count: int = 0
    style: list[StyleIssue] = Field(default_factory=list)
    fingerprint_size: int = 0


class OutputSummary(BaseModel):
    visible_stdout: str = ""
    visible_bytes: int = 0
    hidden_bytes: int = 0
    truncated: bool = False


class GradeReport(BaseModel):
    """Everything a learner, an instructor or the API needs about one graded submission."""

    status: Literal["graded", "rejected"]
    score: float = Field(ge=0.0, le=1.0)
    points: float
    points_possible: float
    tests: list[TestResult] = Field(default_factory=list)
    events: list[ContainmentEvent] = Field(default_factory=list)
    analysis: AnalysisReport
    output: OutputSummary = Field(default_factory=OutputSummary)
    sandbox_runs: int = 0
    wall_s: float = 0.0
    limits: SandboxLimits
