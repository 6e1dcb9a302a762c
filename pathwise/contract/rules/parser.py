"""Parse instructor rules with a Lark LALR(1) grammar, then validate names, arity and units.

Why Lark in LALR mode: the grammar is declared once and readable, the parser runs in linear
time with no backtracking (a hostile rule cannot make it hang), the lexer is contextual (so
``not``/``and``/``min`` stay keywords only where they may appear) and every error carries a
line, a column and the terminals that would have been accepted. Nothing is ever evaluated
as Python: the tree is converted into the typed nodes of :mod:`pathwise.contract.rules.ast`.

Limits (size, nesting, number of actions) are checked before or while converting so that
huge or deeply nested input gets a clear :class:`RuleError`, never a ``RecursionError``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from pathwise.contract.rules.ast import (
    Action,
    And,
    Call,
    Comparison,
    Condition,
    Dimension,
    Not,
    Operand,
    Or,
    Quantity,
    Rule,
    Verb,
)
from pathwise.contract.rules.errors import RuleError
from pathwise.contract.rules.names import Names, UnresolvedName

MAX_SOURCE_CHARS = 2000
MAX_DEPTH = 16
MAX_ACTIONS = 10
MAX_TARGET_CHARS = 200

GRAMMAR = r"""
?start: rule
rule: _IF condition _THEN action ("," action)*

?condition: disjunction
?disjunction: conjunction (_OR conjunction)*
?conjunction: negation (_AND negation)*
?negation: _NOT negation -> negate
         | primary
?primary: comparison
        | "(" condition ")"
comparison: operand COMPARATOR operand
?operand: call | quantity
call: NAME "(" [STRING ("," STRING)*] ")"
quantity: NUMBER [UNIT]
action: VERB STRING

_IF: "if"i
_THEN: "then"i
_AND: "and"i
_OR: "or"i
_NOT: "not"i
VERB: "recommend"i | "require"i | "block"i | "hide"i | "prioritize"i
COMPARATOR: ">=" | "<=" | "==" | "!=" | ">" | "<"
UNIT: /%|(?:minutes|minute|mins|min|hours|hour|hrs|h|seconds|second|secs|sec|s|days|day|d)(?![A-Za-z0-9_])/i
NUMBER: /[0-9]{1,9}(?:\.[0-9]{1,6})?/
NAME: /(?!(?:if|then|and|or|not|recommend|require|block|hide|prioritize)(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]{0,63}/i
STRING: /"[^"\\\r\n]*"/ | /'[^'\\\r\n]*'/

%ignore /[ \t\r\n]+/
"""

#: How each terminal is named in an error message.
TERMINAL_WORDS: dict[str, str] = {
    "_IF": '"if"',
    "_THEN": '"then"',
    "_AND": '"and"',
    "_OR": '"or"',
    "_NOT": '"not"',
    "VERB": "an action (recommend, require, block, hide, prioritize)",
    "COMPARATOR": "a comparison (>=, <=, >, <, ==, !=)",
    "UNIT": "a unit (%, min, h, s, days)",
    "NUMBER": "a number",
    "NAME": "a function such as mastery(...)",
    "STRING": "a quoted name",
    "LPAR": '"("',
    "RPAR": '")"',
    "COMMA": '","',
    "$END": "the end of the rule",
}


@dataclass(frozen=True)
class FunctionSpec:
    """A learner-state function: how many skill arguments it takes and what it returns."""

    min_args: int
    max_args: int
    dimension: Dimension
    help: str
    arg_kind: str = "skill"  # "skill": a skill name, resolved to its id; "date": an ISO date, kept as written


FUNCTIONS: dict[str, FunctionSpec] = {
    "mastery": FunctionSpec(1, 1, Dimension.RATIO, 'mastery("Skill"): probability the skill is mastered, 0-100%'),
    "time_on_task": FunctionSpec(0, 1, Dimension.DURATION, 'time_on_task("Skill"): practice time, e.g. 30 min'),
    "attempts": FunctionSpec(0, 1, Dimension.COUNT, 'attempts("Skill"): number of answers given'),
    "streak": FunctionSpec(0, 1, Dimension.COUNT, 'streak("Skill"): consecutive correct answers'),
    "days_since_last_activity": FunctionSpec(0, 0, Dimension.DAYS, "days_since_last_activity(): whole days idle"),
    "days_since": FunctionSpec(
        1, 1, Dimension.DAYS, 'days_since("2026-09-01"): whole days since a date (negative before it)', "date"
    ),
}

#: The comparison operators, in the order a person would pick them.
COMPARATORS: tuple[str, ...] = (">=", ">", "<=", "<", "==", "!=")

#: Unit spelling → (dimension, factor to the dimension's base unit).
UNITS: dict[str, tuple[Dimension, float]] = {
    "%": (Dimension.RATIO, 0.01),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), (Dimension.DURATION, 1.0)),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), (Dimension.DURATION, 60.0)),
    **dict.fromkeys(("h", "hrs", "hour", "hours"), (Dimension.DURATION, 3600.0)),
    **dict.fromkeys(("d", "day", "days"), (Dimension.DAYS, 1.0)),
}

#: Invisible or direction-changing characters that could make a rule read differently than it parses.
_SUSPICIOUS_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)


def parse_rule(source: str, names: Names | None = None) -> Rule:
    """Parse and validate one rule; raise :class:`RuleError` with its position on any problem.

    With ``names``, every skill and activity name is resolved to its id (see :mod:`pathwise.contract.rules.names`).
    """
    if not isinstance(source, str):
        raise RuleError("a rule must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise RuleError(f"the rule is {len(source)} characters long; at most {MAX_SOURCE_CHARS} are allowed", source="")
    _check_characters(source)
    if not source.strip():
        raise RuleError("the rule is empty", expected=('"if"',), source=source)
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(error, source) from None
    return _Converter(source, names).rule(tree)


def _check_characters(source: str) -> None:
    line, column = 1, 1
    for char in source:
        if char == "\n":
            line, column = line + 1, 1
            continue
        if char not in "\t\r" and unicodedata.category(char) in _SUSPICIOUS_CATEGORIES:
            raise RuleError(
                f"invisible or control character U+{ord(char):04X} "
                f"({unicodedata.name(char, 'unnamed')}) is not allowed",
                line=line,
                column=column,
                source=source,
            )
        column += 1


def _syntax_error(error: UnexpectedInput, source: str) -> RuleError:
    line = max(1, int(getattr(error, "line", 1) or 1))
    column = max(1, int(getattr(error, "column", 1) or 1))
    expected: set[str] = set()
    if isinstance(error, UnexpectedToken):
        expected = set(error.accepts or error.expected)
        token = error.token
        found = "the end of the rule" if token.type == "$END" else repr(str(token))
        if token.type == "$END":
            line, column = _end_position(source)
        message = f"unexpected {found}"
    elif isinstance(error, UnexpectedCharacters):
        expected = set(error.allowed or ())
        message = f"unexpected {_word_at(source, error.pos_in_stream or 0)!r}"
    elif isinstance(error, UnexpectedEOF):
        expected = set(error.expected)
        line, column = _end_position(source)
        message = "the rule ends too early"
    else:  # pragma: no cover - every lark input error is one of the above
        message = "cannot parse the rule"
    words = tuple(sorted({TERMINAL_WORDS.get(name, name) for name in expected}))
    return RuleError(message, line=line, column=column, expected=words, source=source)


def _word_at(source: str, position: int) -> str:
    """The word (or the single character) where lexing stopped, to quote in the message."""
    match = re.match(r"[A-Za-z0-9_]{1,30}", source[position:])
    return match.group(0) if match else source[position : position + 1]


def _end_position(source: str) -> tuple[int, int]:
    lines = source.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


class _Converter:
    """Lark tree → typed AST, checking names, arity, units and depth (iterative limits, no recursion blow-up)."""

    def __init__(self, source: str, names: Names | None = None) -> None:
        self.source, self.names = source, names
        #: (kind, name, token) of every quoted name, resolved once the rule is otherwise valid
        self.mentions: list[tuple[str, str, Token]] = []

    def _resolved(self, rule: Rule) -> Rule:
        """The rule with names replaced by ids; the first unknown or ambiguous name (in reading order) fails."""
        assert self.names is not None
        ids: dict[tuple[str, str], str] = {}
        for kind, text, token in sorted(self.mentions, key=lambda m: (m[2].line or 0, m[2].column or 0)):
            try:
                ids[kind, text] = self.names.skill(text) if kind == "skill" else self.names.activity(text)
            except UnresolvedName as error:
                raise self._error(str(error), token, tuple(repr(c) for c in error.candidates)) from None

        def condition(node: Condition) -> Condition:
            if isinstance(node, Comparison):
                return Comparison(operand(node.left), node.op, operand(node.right))
            if isinstance(node, Not):
                return Not(condition(node.operand))
            parts = tuple(condition(part) for part in node.operands)
            return And(parts) if isinstance(node, And) else Or(parts)

        def operand(node: Operand) -> Operand:
            if isinstance(node, Call) and FUNCTIONS[node.name].arg_kind == "skill":
                return Call(node.name, tuple(ids["skill", a] for a in node.args), node.dimension, labels=node.args)
            return node

        actions = tuple(Action(a.verb, ids["activity", a.target], label=a.target) for a in rule.actions)
        return Rule(condition=condition(rule.condition), actions=actions, source=rule.source)

    def _error(self, message: str, token: Token | None, expected: tuple[str, ...] = ()) -> RuleError:
        line = getattr(token, "line", None) or 1
        column = getattr(token, "column", None) or 1
        return RuleError(message, line=line, column=column, expected=expected, source=self.source)

    def rule(self, tree: Tree) -> Rule:
        condition_tree, *action_trees = tree.children
        if len(action_trees) > MAX_ACTIONS:
            raise self._error(f"a rule may have at most {MAX_ACTIONS} actions", _first_token(action_trees[MAX_ACTIONS]))
        condition = self.condition(condition_tree, depth=1)
        actions = tuple(self.action(child) for child in action_trees)
        rule = Rule(condition=condition, actions=actions, source=self.source)
        return self._resolved(rule) if self.names is not None else rule

    def condition(self, node: Tree | Token, depth: int) -> Condition:
        if depth > MAX_DEPTH:
            raise self._error(f"conditions may nest at most {MAX_DEPTH} levels deep", _first_token(node))
        assert isinstance(node, Tree)
        if node.data == "comparison":
            return self.comparison(node)
        children = [self.condition(child, depth + 1) for child in node.children]
        if node.data == "negate":
            return Not(children[0])
        if node.data == "conjunction":
            return And(tuple(children))
        if node.data == "disjunction":
            return Or(tuple(children))
        raise self._error(f"unexpected {node.data}", _first_token(node))  # pragma: no cover

    def comparison(self, node: Tree) -> Comparison:
        left_tree, op_token, right_tree = node.children
        assert isinstance(op_token, Token)
        left, right = self.operand(left_tree), self.operand(right_tree)
        if isinstance(left, Quantity) and isinstance(right, Quantity):
            raise self._error("a comparison needs a learner function on at least one side", op_token)
        left_dim = left.dimension if isinstance(left, Call) else None
        right_dim = right.dimension if isinstance(right, Call) else None
        dimension = left_dim or right_dim
        assert dimension is not None
        left = self.fit(left, dimension, left_tree)
        right = self.fit(right, dimension, right_tree)
        return Comparison(left, str(op_token), right)

    def fit(self, operand: Operand, dimension: Dimension, tree: Tree | Token) -> Operand:
        """Check that a side measures ``dimension`` and convert a bare number where that is unambiguous."""
        token = _first_token(tree)
        if isinstance(operand, Call):
            if operand.dimension != dimension:
                raise self._error(f"cannot compare {operand.dimension} with {dimension}", token)
            return operand
        if operand.dimension is None:
            if dimension == Dimension.DURATION:
                raise self._error(f"{operand.text} needs a time unit", token, ("min", "h", "s"))
            if dimension == Dimension.RATIO:
                if operand.value > 1:
                    raise self._error(f"mastery is a percentage: write {operand.text}%", token, ('"%"',))
                return operand
            return Quantity(operand.value, dimension, operand.text)
        if operand.dimension != dimension:
            raise self._error(f"{operand.text} is a {operand.dimension}, but the other side is a {dimension}", token)
        if dimension == Dimension.RATIO and not 0 <= operand.value <= 1:
            raise self._error(f"{operand.text} is not a percentage between 0% and 100%", token)
        return operand

    def operand(self, node: Tree | Token) -> Operand:
        assert isinstance(node, Tree)
        if node.data == "call":
            return self.call(node)
        number = node.children[0]
        assert isinstance(number, Token)
        value = float(number)
        if len(node.children) == 1:
            return Quantity(value, None, str(number))
        unit_token = node.children[1]
        assert isinstance(unit_token, Token)
        dimension, factor = UNITS[str(unit_token).lower()]
        return Quantity(value * factor, dimension, f"{number}{'' if unit_token == '%' else ' '}{unit_token}")

    def call(self, node: Tree) -> Call:
        name_token, *arg_tokens = node.children
        assert isinstance(name_token, Token)
        name = str(name_token)
        spec = FUNCTIONS.get(name.lower())
        if spec is None:
            raise self._error(f"unknown function {name!r}", name_token, tuple(f"{fn}(...)" for fn in sorted(FUNCTIONS)))
        args = tuple(self.string(token) for token in arg_tokens if isinstance(token, Token))
        if not spec.min_args <= len(args) <= spec.max_args:
            wanted = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} to {spec.max_args}"
            raise self._error(
                f"{name.lower()}() takes {wanted} skill name(s), got {len(args)}: {spec.help}", name_token
            )
        tokens = [token for token in arg_tokens if isinstance(token, Token)]
        if spec.arg_kind == "date":
            for arg, token in zip(args, tokens, strict=True):
                if not _is_date(arg):
                    raise self._error(f"{arg!r} is not a date written as YYYY-MM-DD", token, ('"2026-09-01"',))
            return Call(name.lower(), args, spec.dimension)
        self.mentions += [("skill", arg, token) for arg, token in zip(args, tokens, strict=True)]
        return Call(name.lower(), args, spec.dimension)

    def action(self, node: Tree | Token) -> Action:
        assert isinstance(node, Tree)
        verb_token, target_token = node.children
        assert isinstance(verb_token, Token) and isinstance(target_token, Token)
        verb_word = str(verb_token).lower()
        verb = Verb.BLOCK if verb_word == "hide" else Verb(verb_word)
        target = self.string(target_token)
        self.mentions.append(("activity", target, target_token))
        return Action(verb, target)

    def string(self, token: Token) -> str:
        text = unicodedata.normalize("NFC", str(token)[1:-1]).strip()
        if not text:
            raise self._error("a quoted name may not be empty", token)
        if len(text) > MAX_TARGET_CHARS:
            raise self._error(f"a quoted name may have at most {MAX_TARGET_CHARS} characters", token)
        return text


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _first_token(node: Tree | Token) -> Token | None:
    """The leftmost token under ``node`` (iteratively), for error positions."""
    stack: list[Tree | Token] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Token):
            return current
        stack.extend(reversed(current.children))
    return None
