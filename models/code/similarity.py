"""Similarity between submissions from normalized AST fingerprints (plagiarism screening).

Two signals, both blind to identifiers, literals' values, comments and formatting:

- **winnowing** over the pre-order sequence of normalized node labels: k-gram hashes, and in
  every window of ``w`` consecutive hashes the minimum is kept (Schleimer, Wilkerson & Aiken,
  2003), which guarantees that any shared run of ``w + k - 1`` labels is detected;
- **subtree hashes**: a structural hash of every subtree of at least ``min_subtree`` nodes,
  which is insensitive to the order of functions and statements blocks.

Written here because no maintained package does AST-level fingerprinting of Python; the
hashes are blake2b (stable across processes, unlike ``hash``).
"""

from __future__ import annotations

import ast
import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel


def _label(node: ast.AST) -> str:
    """Node type plus what is structural in it (operators, constant types), never names."""
    name = type(node).__name__
    if isinstance(node, ast.Constant):
        return f"Constant:{type(node.value).__name__}"
    if isinstance(node, ast.BinOp | ast.BoolOp | ast.UnaryOp):
        return f"{name}:{type(node.op).__name__}"
    if isinstance(node, ast.Compare):
        return f"{name}:{','.join(type(op).__name__ for op in node.ops)}"
    if isinstance(node, ast.AugAssign):
        return f"{name}:{type(node.op).__name__}"
    return name


_SKIP = (ast.Load, ast.Store, ast.Del, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.expr_context)


def _children(node: ast.AST) -> list[ast.AST]:
    return [child for child in ast.iter_child_nodes(node) if not isinstance(child, _SKIP)]


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]


def _h(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Fingerprint:
    hashes: frozenset[int]  # winnowed k-gram hashes
    subtrees: Counter[int]  # structural subtree hashes (multiset)
    tokens: int


def _tokens_and_subtrees(tree: ast.AST, min_subtree: int) -> tuple[list[str], Counter[int]]:
    tokens: list[str] = []
    subtrees: Counter[int] = Counter()

    def walk(node: ast.AST) -> tuple[int, int]:
        label = _label(node)
        tokens.append(label)
        parts = [walk(child) for child in _children(node)]
        size = 1 + sum(size for _, size in parts)
        digest = _h(label + "(" + ",".join(str(h) for h, _ in parts) + ")")
        if size >= min_subtree:
            subtrees[digest] += 1
        return digest, size

    walk(tree)
    return tokens, subtrees


def winnow(values: list[int], window: int) -> set[int]:
    """Minimum hash of each window of ``window`` consecutive values (all values if fewer)."""
    if len(values) <= window:
        return set(values)
    return {min(values[i : i + window]) for i in range(len(values) - window + 1)}


def fingerprint(source: str, k: int = 5, window: int = 4, min_subtree: int = 4) -> Fingerprint:
    """Fingerprint a Python source; raises SyntaxError if it does not parse."""
    tree = ast.parse(source)
    _strip_docstrings(tree)
    tokens, subtrees = _tokens_and_subtrees(tree, min_subtree)
    grams = [_h("|".join(tokens[i : i + k])) for i in range(max(len(tokens) - k + 1, 1))]
    return Fingerprint(frozenset(winnow(grams, window)), subtrees, len(tokens))


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _multiset_dice(a: Counter[int], b: Counter[int]) -> float:
    total = sum(a.values()) + sum(b.values())
    return 2 * sum((a & b).values()) / total if total else 0.0


class SimilarityPair(BaseModel):
    a: str
    b: str
    score: float  # the larger of the two signals
    winnow_jaccard: float
    subtree_overlap: float


def similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, float, float]:
    """(score, winnowing Jaccard, subtree Dice), each in [0, 1]."""
    winnowed = _jaccard(a.hashes, b.hashes)
    subtree = _multiset_dice(a.subtrees, b.subtrees)
    return max(winnowed, subtree), winnowed, subtree


def compare_all(sources: dict[str, str], threshold: float = 0.0) -> list[SimilarityPair]:
    """Every pair of parsable submissions with score ≥ threshold, most similar first."""
    prints = {}
    for name, source in sources.items():
        try:
            prints[name] = fingerprint(source)
        except SyntaxError:
            continue
    pairs = []
    for (name_a, fp_a), (name_b, fp_b) in itertools.combinations(sorted(prints.items()), 2):
        score, winnowed, subtree = similarity(fp_a, fp_b)
        if score >= threshold:
            pairs.append(
                SimilarityPair(
                    a=name_a,
                    b=name_b,
                    score=round(score, 4),
                    winnow_jaccard=round(winnowed, 4),
                    subtree_overlap=round(subtree, 4),
                )
            )
    return sorted(pairs, key=lambda pair: (-pair.score, pair.a, pair.b))
