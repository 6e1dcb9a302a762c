"""Rule errors that say where and what: line, column, what was expected."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule that cannot be parsed or validated, with a 1-based position into its source."""

    def __init__(
        self, message: str, *, line: int = 1, column: int = 1, expected: tuple[str, ...] = (), source: str = ""
    ):
        self.message = message
        self.line = line
        self.column = column
        self.expected = expected
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message}"
        if self.expected:
            text += f" (expected {', '.join(self.expected)})"
        return text

    def snippet(self) -> str:
        """The offending line with a caret under the column, for people reading the error."""
        lines = self.source.splitlines() or [""]
        if not 1 <= self.line <= len(lines):
            return ""
        line = lines[self.line - 1]
        return f"{line}\n{' ' * (self.column - 1)}^"

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "line": self.line, "column": self.column, "expected": list(self.expected)}
