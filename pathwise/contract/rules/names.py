"""Rules are written with names people know ("mastery of Algebra"); they run on ids.

:class:`Names` lists the skills and activities a rule may name. The parser resolves each quoted
name through it once, at compile time: an unknown name, or one that several skills (or activities)
share, is an error at that name's line and column. A name may also be written as the id itself.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _index(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    by_name: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for ident, name in pairs:
        by_name[_fold(name)].add(ident)
        labels[ident] = name
    return {name: tuple(sorted(ids)) for name, ids in by_name.items()}, labels


class UnresolvedName(ValueError):
    """A name that resolves to no id, or to several (``candidates`` lists them)."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class Names:
    """Skill and activity names → ids (``*_labels``: id → the display name)."""

    skills: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skill_labels: Mapping[str, str] = field(default_factory=dict)
    activities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    activity_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, skills: Iterable[tuple[str, str]], activities: Iterable[tuple[str, str]] = ()) -> Names:
        """From (id, name) pairs of skills and of activities."""
        skill_index, skill_labels = _index(skills)
        activity_index, activity_labels = _index(activities)
        return cls(skill_index, skill_labels, activity_index, activity_labels)

    def skill(self, text: str) -> str:
        return self._resolve(text, self.skills, self.skill_labels, "skill")

    def activity(self, text: str) -> str:
        return self._resolve(text, self.activities, self.activity_labels, "activity")

    @staticmethod
    def _resolve(text: str, index: Mapping[str, tuple[str, ...]], labels: Mapping[str, str], kind: str) -> str:
        ids = index.get(_fold(text), ())
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise UnresolvedName(f"{kind} name {text!r} is ambiguous: ids {', '.join(ids)} share it; write one id", ids)
        if text in labels:  # written as the id itself
            return text
        close = difflib.get_close_matches(_fold(text), list(index), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(labels[index[c][0]]) for c in close)}?" if close else ""
        raise UnresolvedName(f"unknown {kind} {text!r}{hint}", tuple(labels[index[c][0]] for c in close))
