"""Static analysis of submissions, test discovery and weights, and exception → event mapping."""

from __future__ import annotations

import pytest

from models.code.analysis import AnalysisPolicy, analyze
from models.code.grader import classify
from models.code.report import EventKind
from models.code.suite import GradingInputError, declared_tests, function_of


@pytest.mark.parametrize(
    ("source", "rules"),
    [
        ("import os\n", ["forbidden-import"]),
        ("import os.path as p\n", ["forbidden-import"]),
        ("from subprocess import run\n", ["forbidden-import"]),
        ("import socket, math\n", ["forbidden-import"]),
        ("from . import helper\n", []),
        ("import math\nimport collections\n", []),
        ("eval('1+1')\n", ["forbidden-call"]),
        ("exec('x = 1')\n", ["forbidden-call"]),
        ("__import__('os')\n", ["forbidden-call"]),
        ("f = eval\n", ["forbidden-name"]),
        ("x = ().__class__.__bases__[0].__subclasses__()\n", ["forbidden-attribute"]),
        ("def f():\n    return f.__globals__\n", ["forbidden-attribute"]),
        ("import sys\nsys._getframe(1).f_back\n", ["forbidden-attribute", "forbidden-attribute"]),
        ("import sys\nsys.modules['os']\n", ["forbidden-attribute"]),
        ("def evaluate(x):\n    return x.eval_score\n", []),
    ],
)
def test_forbidden_constructs(source: str, rules: list[str]) -> None:
    report = analyze(source)
    assert [finding.rule for finding in report.forbidden] == rules


def test_policy_is_configurable() -> None:
    policy = AnalysisPolicy(forbidden_modules=("math",), forbidden_calls=(), forbidden_attributes=())
    report = analyze("import math\nimport os\neval('1')\n", policy)
    assert [(f.rule, f.line) for f in report.forbidden] == [("forbidden-import", 1)]


def test_complexity_per_function_most_complex_first() -> None:
    source = (
        "def simple(x):\n    return x\n\n\n"
        "def branchy(x):\n    if x > 1:\n        return 1\n    elif x < 0:\n        return 2\n"
        "    for i in range(x):\n        if i and x:\n            return 3\n    return 4\n"
    )
    report = analyze(source)
    assert [(item.name, item.complexity, item.rank) for item in report.complexity] == [
        ("branchy", 6, "B"),
        ("simple", 1, "A"),
    ]
    assert report.max_complexity == 6


def test_style_issues_are_listed_and_counted() -> None:
    report = analyze("import math\ndef f( x ):\n    return math.sqrt(x)\n", AnalysisPolicy(max_style_issues=1))
    assert report.style_issue_count >= 3
    assert len(report.style) == 1
    codes = {issue.code for issue in analyze("import math\ndef f( x ):\n    return x\n").style}
    assert {"E302", "E201", "E202"} <= codes


def test_clean_code_has_no_style_issues() -> None:
    assert analyze("def f(x):\n    return x + 1\n").style_issue_count == 0


def test_syntax_error_is_reported_not_raised() -> None:
    report = analyze("def f(:\n")
    assert report.syntax_error is not None and "line 1" in report.syntax_error
    assert report.forbidden == [] and report.complexity == []


def test_declared_tests_with_weights_classes_and_async() -> None:
    source = (
        "import pytest\n\n@pytest.mark.weight(3)\ndef test_a():\n    pass\n\n"
        "def helper():\n    pass\n\nasync def test_b():\n    pass\n\n"
        "@pytest.mark.weight(0.5)\nclass TestC:\n    def test_d(self):\n        pass\n"
        "    @pytest.mark.weight(2)\n    def test_e(self):\n        pass\n    def helper(self):\n        pass\n"
    )
    assert [(test.name, test.weight) for test in declared_tests(source)] == [
        ("test_a", 3.0),
        ("test_b", 1.0),
        ("TestC::test_d", 0.5),
        ("TestC::test_e", 2.0),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def test_x(:\n", "syntax error at line 1"),
        ("x = 1\n", "no test functions"),
        ("def test_a():\n    pass\ndef test_a():\n    pass\n", "defined twice: test_a"),
        ("import pytest\n@pytest.mark.weight(0)\ndef test_a():\n    pass\n", "must be positive"),
        ("import pytest\n@pytest.mark.weight(True)\ndef test_a():\n    pass\n", "literal number"),
        ("import pytest\n@pytest.mark.weight(1, 2)\ndef test_a():\n    pass\n", "exactly one number"),
        ("import pytest\nW = 2\n@pytest.mark.weight(W)\ndef test_a():\n    pass\n", "literal number"),
    ],
)
def test_declared_tests_bad_input(source: str, message: str) -> None:
    with pytest.raises(GradingInputError, match=message):
        declared_tests(source)


@pytest.mark.parametrize(
    ("nodeid", "function"),
    [
        ("test_visible.py::test_a", "test_a"),
        ("test_visible.py::test_a[1-2]", "test_a"),
        ("test_visible.py::TestC::test_d[x::y]", "TestC::test_d"),
    ],
)
def test_function_of(nodeid: str, function: str) -> None:
    assert function_of(nodeid) == function


def _os(name: str, errno: int, filename: str | None = None) -> dict[str, object]:
    return {"type": name, "module": "builtins", "errno": errno, "filename": filename, "message": "x"}


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ([{"type": "MemoryError", "module": "builtins", "message": ""}], [EventKind.MEMORY_LIMIT]),
        ([{"type": "MemoryError", "module": "solution", "message": ""}], []),  # a look-alike class
        ([_os("BlockingIOError", 11)], [EventKind.PROCESS_LIMIT]),
        (
            [{"type": "RuntimeError", "module": "builtins", "message": "can't start new thread"}],
            [EventKind.PROCESS_LIMIT],
        ),
        ([_os("OSError", 27, "/scratch/big")], [EventKind.FILE_SIZE_LIMIT]),
        ([_os("OSError", 24, "/dev/null")], [EventKind.OPEN_FILES_LIMIT]),
        ([_os("OSError", 28, "/scratch/x")], [EventKind.SCRATCH_FULL]),
        ([_os("OSError", 101)], [EventKind.NETWORK_DENIED]),
        ([{"type": "gaierror", "module": "socket", "errno": -3, "message": "x"}], [EventKind.NETWORK_DENIED]),
        ([_os("OSError", 30, "/usr/lib/x")], [EventKind.WRITE_DENIED]),
        ([_os("PermissionError", 13, "/task/test_visible.py")], [EventKind.WRITE_DENIED]),
        ([_os("FileNotFoundError", 2, "/etc/shadow")], [EventKind.FILE_ACCESS_DENIED]),
        ([_os("PermissionError", 13, "/proc/1/environ")], [EventKind.FILE_ACCESS_DENIED]),
        ([_os("FileNotFoundError", 2, "data.txt")], []),  # an ordinary bug, not containment
        ([_os("FileNotFoundError", 2, "/scratch/missing")], []),
        ([{"type": "AssertionError", "module": "builtins", "message": "assert 1 == 2"}], []),
    ],
)
def test_classify_exceptions(chain: list[dict[str, object]], expected: list[EventKind]) -> None:
    assert [kind for kind, _ in classify(chain)] == expected


def test_feedback_is_cleaned_of_control_characters() -> None:
    from models.code.grader import _truncate

    assert _truncate("bad \x1b[2J\x07 value\nnext\tcol") == "bad \ufffd[2J\ufffd value\nnext\tcol"
    assert _truncate("x" * 600).endswith(" …") and len(_truncate("x" * 600)) == 502
