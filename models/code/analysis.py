"""Static analysis of a submission: forbidden constructs, complexity (radon) and style (pycodestyle).

The forbidden-construct check is a policy and feedback layer, not the security boundary: a
determined submission can reach any builtin through indirection, which is why every
submission also runs in the sandbox. Its default list names the modules and attributes a
submission would need to break out of, or introspect, the test process.
"""

from __future__ import annotations

import ast
from typing import Literal

import pycodestyle
from pydantic import BaseModel, ConfigDict, Field
from radon.complexity import cc_rank, cc_visit

from models.code.report import AnalysisReport, FunctionComplexity, StaticFinding, StyleIssue

DEFAULT_FORBIDDEN_MODULES = (
    "os",
    "subprocess",
    "socket",
    "ctypes",
    "shutil",
    "multiprocessing",
    "threading",
    "signal",
    "resource",
    "importlib",
    "gc",
    "inspect",
    "pty",
    "urllib",
    "http",
    "requests",
    "pathlib",
    "builtins",
)
DEFAULT_FORBIDDEN_CALLS = ("exec", "eval", "compile", "__import__", "breakpoint", "globals", "vars")
DEFAULT_FORBIDDEN_ATTRIBUTES = (
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__code__",
    "__closure__",
    "f_back",
    "f_globals",
    "f_locals",
    "gi_frame",
    "_getframe",
    "modules",
)


class AnalysisPolicy(BaseModel):
    """What the static checks look for and what happens when a forbidden construct is found."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    forbidden_modules: tuple[str, ...] = DEFAULT_FORBIDDEN_MODULES
    forbidden_calls: tuple[str, ...] = DEFAULT_FORBIDDEN_CALLS
    forbidden_attributes: tuple[str, ...] = DEFAULT_FORBIDDEN_ATTRIBUTES
    on_forbidden: Literal["reject", "flag"] = Field(
        "reject", description="reject: score 0 without running; flag: report and still run the tests"
    )
    max_line_length: int = Field(100, ge=40, le=400)
    max_style_issues: int = Field(50, ge=0, le=10000, description="style issues listed (all are counted)")


class _ForbiddenVisitor(ast.NodeVisitor):
    def __init__(self, policy: AnalysisPolicy) -> None:
        self.policy = policy
        self.findings: list[StaticFinding] = []

    def _add(self, node: ast.AST, rule: str, message: str) -> None:
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        self.findings.append(StaticFinding(rule=rule, line=line, col=col, message=message))

    def _module(self, node: ast.AST, name: str) -> None:
        root = name.split(".", 1)[0]
        if root in self.policy.forbidden_modules:
            self._add(node, "forbidden-import", f"import of {name!r} is not allowed")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._module(node, node.module)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in self.policy.forbidden_calls:
            self._add(node, "forbidden-call", f"call to {node.func.id}() is not allowed")
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        # Referencing eval without calling it (f = eval) is the same construct.
        if node.id in self.policy.forbidden_calls:
            self._add(node, "forbidden-name", f"use of {node.id!r} is not allowed")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in self.policy.forbidden_attributes:
            self._add(node, "forbidden-attribute", f"attribute {node.attr!r} is not allowed")
        self.generic_visit(node)


def forbidden_constructs(tree: ast.AST, policy: AnalysisPolicy) -> list[StaticFinding]:
    visitor = _ForbiddenVisitor(policy)
    visitor.visit(tree)
    return sorted(visitor.findings, key=lambda finding: (finding.line, finding.col, finding.rule))


def complexity(source: str) -> list[FunctionComplexity]:
    """Cyclomatic complexity of every function and method (radon), most complex first."""
    blocks = cc_visit(source)
    result = [
        FunctionComplexity(
            name=block.fullname if hasattr(block, "fullname") else block.name,
            line=block.lineno,
            complexity=block.complexity,
            rank=cc_rank(block.complexity),
        )
        for block in blocks
    ]
    return sorted(result, key=lambda item: (-item.complexity, item.line))


class _CollectingReport(pycodestyle.BaseReport):
    """pycodestyle report that keeps the issues instead of printing them."""

    def __init__(self, options: object) -> None:
        super().__init__(options)
        self.issues: list[StyleIssue] = []

    def error(self, line_number: int, offset: int, text: str, check: object) -> str | None:
        code = super().error(line_number, offset, text, check)
        if code:
            self.issues.append(StyleIssue(code=code, line=line_number, col=offset + 1, message=text[5:]))
        return code


def style_issues(source: str, max_line_length: int) -> list[StyleIssue]:
    guide = pycodestyle.StyleGuide(quiet=True, max_line_length=max_line_length, reporter=_CollectingReport)
    checker = pycodestyle.Checker(filename="solution.py", lines=source.splitlines(keepends=True), options=guide.options)
    checker.check_all()
    issues: list[StyleIssue] = checker.report.issues
    return issues


def analyze(source: str, policy: AnalysisPolicy | None = None) -> AnalysisReport:
    """All static checks; a syntax error is reported, not raised (it is feedback for the learner)."""
    from models.code.similarity import fingerprint

    policy = policy or AnalysisPolicy()
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return AnalysisReport(syntax_error=f"line {error.lineno}: {error.msg}")
    functions = complexity(source)
    issues = style_issues(source, policy.max_line_length)
    return AnalysisReport(
        forbidden=forbidden_constructs(tree, policy),
        complexity=functions,
        max_complexity=max((item.complexity for item in functions), default=0),
        style_issue_count=len(issues),
        style=issues[: policy.max_style_issues],
        fingerprint_size=len(fingerprint(source).hashes),
    )
