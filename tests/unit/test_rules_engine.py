"""Scoped rules: precedence over each other and over the model, overrides, and the cohort dry run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pathwise.contract.rules import (
    Candidate,
    LearnerContext,
    LearnerState,
    Override,
    Scope,
    ScopedRule,
    ScopeKind,
    Verb,
    apply,
    decide,
    preview,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
CTX = LearnerContext("u1", course_id="c1", cohort_ids=frozenset({"k1"}), org_unit_ids=frozenset({"school", "district"}))
MODEL = [
    Candidate("a1", "Fractions drill", "model pick 1"),
    Candidate("a2", "Practice Set B", "model pick 2"),
    Candidate("a3", "Algebra challenge", "model pick 3"),
]


def rule(
    id: str, source: str, kind: ScopeKind = ScopeKind.COURSE, scope_id: str = "c1", priority: int = 0
) -> ScopedRule:
    return ScopedRule.from_source(id, f"rule {id}", source, Scope(kind, scope_id), priority)


@pytest.mark.parametrize(
    ("scope", "applies"),
    [
        (Scope(ScopeKind.LEARNER, "u1"), True),
        (Scope(ScopeKind.LEARNER, "u2"), False),
        (Scope(ScopeKind.COURSE, "c1"), True),
        (Scope(ScopeKind.COURSE, "c2"), False),
        (Scope(ScopeKind.COHORT, "k1"), True),
        (Scope(ScopeKind.ORG_UNIT, "district"), True),
        (Scope(ScopeKind.ORG_UNIT, "other"), False),
    ],
)
def test_scope_matching(scope: Scope, applies: bool) -> None:
    assert CTX.in_scope(scope) is applies


def test_rules_take_precedence_over_the_model_and_say_so() -> None:
    rules = [
        rule("r1", 'if mastery("Algebra") >= 80% then recommend "Algebra challenge", hide "Fractions drill"'),
        rule("r2", 'if attempts() < 5 then recommend "Intro video"'),
    ]
    state = LearnerState("u1", mastery={"Algebra": 0.9})
    ranked = apply(decide(rules, CTX, state, now=NOW), MODEL)
    assert [c.title for c in ranked] == ["Algebra challenge", "Intro video", "Practice Set B"]
    assert ranked[0].source == "rule" and ranked[0].rule_id == "r1"
    assert "rule r1" in ranked[0].reason and "mastery('Algebra') >= 80%" in ranked[0].reason
    assert ranked[0].reason.endswith("model pick 3")  # the model's own reason is kept after the rule's


def test_more_specific_scope_wins_then_priority() -> None:
    rules = [
        rule("org", 'if attempts() >= 0 then recommend "Practice Set B"', ScopeKind.ORG_UNIT, "school", priority=99),
        rule("learner", 'if attempts() >= 0 then block "Practice Set B"', ScopeKind.LEARNER, "u1"),
        rule("low", 'if attempts() >= 0 then block "Algebra challenge"', priority=1),
        rule("high", 'if attempts() >= 0 then prioritize "Algebra challenge"', priority=5),
    ]
    decision = decide(rules, CTX, LearnerState("u1"), now=NOW)
    effective = {(a.source, a.verb, a.target) for a in decision.effective}
    assert ("learner", Verb.BLOCK, "Practice Set B") in effective
    assert ("high", Verb.PRIORITIZE, "Algebra challenge") in effective
    shadowed = {(a.source, a.shadowed_by) for a in decision.applied if a.shadowed_by}
    assert shadowed == {("org", "learner"), ("low", "high")}
    assert [c.title for c in apply(decision, MODEL)] == ["Algebra challenge", "Fractions drill"]


def test_require_puts_the_work_first_and_withholds_the_models_other_picks_until_it_no_longer_holds() -> None:
    rules = [
        rule("gate", 'if mastery("Fractions") < 40% then require "Fractions review", prioritize "Algebra challenge"'),
        rule("later", 'if mastery("Fractions") < 40% then recommend "Practice Set B"', priority=-1),
    ]
    weak = apply(decide(rules, CTX, LearnerState("u1", mastery={"Fractions": 0.2}), now=NOW), MODEL)
    assert [c.title for c in weak] == ["Fractions review", "Practice Set B", "Algebra challenge"]
    assert weak[0].source == "rule" and "require" in weak[0].reason
    assert "model pick 3" in weak[2].reason  # a picked activity the model ranked keeps the model's reason too
    assert "Fractions drill" not in {c.title for c in weak}

    strong = apply(decide(rules, CTX, LearnerState("u1", mastery={"Fractions": 0.9}), now=NOW), MODEL)
    assert strong == MODEL


def test_a_hidden_activity_stays_hidden_when_a_lower_rule_requires_it() -> None:
    rules = [
        rule("hide", 'if attempts() >= 0 then hide "Practice Set B"', kind=ScopeKind.LEARNER, scope_id="u1"),
        rule("need", 'if attempts() >= 0 then require "Practice Set B"'),
    ]
    decision = decide(rules, CTX, LearnerState("u1"), now=NOW)
    assert [(a.source, a.verb) for a in decision.effective] == [("hide", Verb.BLOCK)]
    assert [c.title for c in apply(decision, MODEL)] == ["Fractions drill", "Algebra challenge"]


def test_disabled_and_out_of_scope_rules_do_nothing() -> None:
    off = rule("off", 'if attempts() >= 0 then block "Fractions drill"')
    off = ScopedRule(off.id, off.name, off.rule, off.scope, enabled=False)
    other = rule("other", 'if attempts() >= 0 then block "Fractions drill"', ScopeKind.COURSE, "c9")
    assert apply(decide([off, other], CTX, LearnerState("u1"), now=NOW), MODEL) == MODEL


def test_manual_override_beats_rules_and_can_replace_the_model() -> None:
    rules = [rule("r", 'if attempts() >= 0 then block "Practice Set B"')]
    override = Override("u1", recommend=("Practice Set B", "Tutor session"), replace_model=True, note="exam prep")
    ranked = apply(decide(rules, CTX, LearnerState("u1"), now=NOW, override=override), MODEL)
    assert [c.title for c in ranked] == ["Practice Set B", "Tutor session"]
    assert all(c.source == "override" and "exam prep" in c.reason for c in ranked)


def test_expired_or_foreign_override_is_ignored() -> None:
    expired = Override("u1", block=("Fractions drill",), expires_at=NOW - timedelta(days=1))
    foreign = Override("u2", block=("Fractions drill",))
    for override in (expired, foreign):
        assert apply(decide([], CTX, LearnerState("u1"), now=NOW, override=override), MODEL) == MODEL


def test_k_truncates_after_rules_are_applied() -> None:
    rules = [rule("r", 'if attempts() >= 0 then recommend "New thing"')]
    assert [c.title for c in apply(decide(rules, CTX, LearnerState("u1"), now=NOW), MODEL, k=2)] == [
        "New thing",
        "Fractions drill",
    ]


def test_preview_reports_who_is_affected_and_how_without_side_effects() -> None:
    rules = [
        rule("fast", 'if mastery("Algebra") >= 80% then recommend "Algebra challenge"'),
        rule("idle", 'if days_since_last_activity() > 7 days then recommend "Welcome back"', ScopeKind.COHORT, "k1"),
    ]
    cohort = []
    for i in range(10):
        ctx = LearnerContext(f"u{i}", course_id="c1", cohort_ids=frozenset({"k1"}) if i % 2 else frozenset())
        state = LearnerState(f"u{i}", mastery={"Algebra": i / 10}, last_activity_at=NOW - timedelta(days=i * 2))
        cohort.append((ctx, state))
    report = preview(rules, cohort, now=NOW)
    assert report.learners == 10
    assert report.counts == {"recommend:Algebra challenge": 2, "recommend:Welcome back": 3}
    assert sorted(p.learner_id for p in report.affected) == ["u5", "u7", "u8", "u9"]
    assert report.affected_count == 4


def test_override_accepts_the_json_shape_of_user_config() -> None:
    raw = {"recommend": ["a"], "block": ["b"], "expires_at": "2026-11-25T00:00:00+00:00", "note": "n"}
    override = Override("u1", **raw)  # type: ignore[arg-type]
    assert (override.recommend, override.block) == (("a",), ("b",))
    assert override.active(NOW) and not override.active(NOW + timedelta(days=2))
    naive = Override("u1", recommend=("a",), expires_at="2026-11-25T00:00:00")  # type: ignore[arg-type]
    assert naive.expires_at == datetime(2026, 11, 25, tzinfo=UTC)
