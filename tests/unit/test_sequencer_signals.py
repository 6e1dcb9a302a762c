"""What the learner told us and how they engage move the ranking, and the reason says so."""

from __future__ import annotations

from pathwise.contract.catalog import Activity, Course
from pathwise.contract.sequencer import Signals, rank

COURSE = Course(
    id="c",
    activities=(
        Activity(id="1", title="Fractions practice", skill="7", skill_name="Fractions", difficulty=0.4),
        Activity(id="2", title="Decimals practice", skill="8", skill_name="Decimals", difficulty=0.45),
        Activity(id="3", title="Decimals video", skill="8", skill_name="Decimals", kind="lesson", format="video"),
    ),
)
MASTERY = {"7": 0.35, "8": 0.35}


def test_a_focus_skill_comes_first_and_the_reason_names_it() -> None:
    plain = [r.activity.id for r in rank(COURSE, MASTERY)]
    assert plain[-1] == "2"
    focused = rank(COURSE, MASTERY, signals=Signals(focus_skills=frozenset({"8"})))
    assert [r.activity.id for r in focused][:2] == ["3", "2"]
    assert "you chose to focus on Decimals" in focused[0].reason


def test_a_preferred_format_moves_up_and_a_watched_video_moves_down() -> None:
    videos = rank(COURSE, MASTERY, signals=Signals(formats=frozenset({"video"})))
    assert videos[0].activity.id == "3" and videos[0].reason.endswith("; you prefer video activities")
    watched = rank(COURSE, MASTERY, signals=Signals(formats=frozenset({"video"}), video_share={"8": 0.95}))
    video = next(r for r in watched if r.activity.id == "3")
    assert video.score < videos[0].score and "already watched most" in video.reason


def test_signals_read_the_learner_state_shapes() -> None:
    signals = Signals.of({"focus_skills": ["8"], "formats": ["video"]}, {"8": 0.5}, 6)
    assert signals == Signals(frozenset({"8"}), frozenset({"video"}), {"8": 0.5}, 6)
    assert Signals.of({}, {}, 0) == Signals()
