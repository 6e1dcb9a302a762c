"""The trusted list of tests and their weights, read from the test source outside the sandbox.

Scores are computed against this list, never against what the sandbox says exists, so a
submission that kills the runner or hides tests cannot shrink the denominator.

Weights come from ``@pytest.mark.weight(N)`` on a test function or a ``Test*`` class
(default 1). A parametrized test is one entry; its points are shared by its cases.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


class GradingInputError(ValueError):
    """A submission or test file the grader cannot use (the message says why)."""


@dataclass(frozen=True)
class DeclaredTest:
    name: str  # "test_x" or "TestClass::test_x", as in a pytest node id after the file
    weight: float
    line: int


def _weight(decorators: list[ast.expr], default: float, where: str) -> float:
    for decorator in decorators:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            continue
        target = decorator.func
        if target.attr != "weight" or not (isinstance(target.value, ast.Attribute) and target.value.attr == "mark"):
            continue
        if len(decorator.args) != 1 or decorator.keywords:
            raise GradingInputError(f"{where}: pytest.mark.weight takes exactly one number")
        try:
            value = ast.literal_eval(decorator.args[0])
        except ValueError:
            value = None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise GradingInputError(f"{where}: pytest.mark.weight needs a literal number")
        if not 0 < value < float("inf"):
            raise GradingInputError(f"{where}: pytest.mark.weight must be positive and finite, got {value}")
        return float(value)
    return default


def declared_tests(source: str, label: str = "tests") -> list[DeclaredTest]:
    """Test functions (``test*``) and methods of ``Test*`` classes at module level, with weights."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise GradingInputError(f"{label}: syntax error at line {error.lineno}: {error.msg}") from None
    found: list[DeclaredTest] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            weight = _weight(node.decorator_list, 1.0, f"{label}:{node.lineno}")
            found.append(DeclaredTest(node.name, weight, node.lineno))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_weight = _weight(node.decorator_list, 1.0, f"{label}:{node.lineno}")
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and member.name.startswith("test"):
                    weight = _weight(member.decorator_list, class_weight, f"{label}:{member.lineno}")
                    found.append(DeclaredTest(f"{node.name}::{member.name}", weight, member.lineno))
    names = [test.name for test in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise GradingInputError(f"{label}: tests defined twice: {', '.join(duplicates)}")
    if not found:
        raise GradingInputError(f"{label}: no test functions (def test_...) found")
    return found


def function_of(nodeid: str) -> str:
    """``file.py::TestC::test_x[p]`` → ``TestC::test_x``."""
    _, _, rest = nodeid.partition("::")
    return rest.split("[", 1)[0]
