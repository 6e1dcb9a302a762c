"""The learner loop: what the platform records reaches serving's learner state exactly once.

In process, :class:`serving.loop.LearnerLoop` over the in-memory store: redeliveries, revisions,
engagement signals and history already seeded from Feast. For real, ``pathwise serve consume`` on
a Redis stream the way the outbox relay writes it, killed mid-batch and restarted: every learner's
state counts each statement once, however often it was delivered, and loses none.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from features.events import EXT_VIDEO_PROGRESS, VIDEO
from features.xapi_vocabulary import (
    Extension,
    Verb,
    answered_statement,
    build_statement,
    learner_account,
    learner_agent,
    skill_activity,
)
from pathwise.cli import build_cli
from pathwise.contract.stream import PREFERENCES_EVENT, STATEMENT_EVENT, STATEMENTS_EVENT, Event, entry_events
from platform_api.events.relay import RedisStreamPublisher
from serving.loop import GROUP, LearnerLoop, StateConsumer
from serving.state import MemoryState, RedisState
from tests.conftest import REDIS_URL

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATHWISE = [sys.executable, "-m", "pathwise.cli"]


def _events(*statements: dict[str, Any]) -> list[Event]:
    """Statements as the stream's readers hand them to the loop: one event per statement, keyed by its id."""
    return [Event(STATEMENT_EVENT, s["id"], s) for s in statements]


def _answer(learner: int, skill: str, correct: bool, minutes: int) -> dict[str, Any]:
    at = T0 + timedelta(minutes=minutes)
    return answered_statement(learner_account(learner), f"item-{skill}-{minutes}", skill, correct, timestamp=at)


def _engagement(
    learner: int, verb: str, skill: str, minutes: int, seconds: float, progress: float | None = None
) -> dict[str, Any]:
    """A non-answer statement tagged with a skill: a video one carries the share watched, any one a duration."""
    result: dict[str, Any] = {"duration": f"PT{seconds:g}S"}
    if progress is not None:
        result["extensions"] = {EXT_VIDEO_PROGRESS: progress}
    return build_statement(
        learner_agent(learner_account(learner)),
        verb,
        f"https://pathwise.example/xapi/activities/{skill}-{minutes}",
        result=result,
        context={
            "contextActivities": {"category": [skill_activity(skill)]},
            "extensions": {Extension.SKILL_ID: skill},
        },
        timestamp=T0 + timedelta(minutes=minutes),
    )


# --- in process: the loop over the in-memory store ---------------------------------------------


def test_a_redelivered_statement_changes_nothing() -> None:
    state = MemoryState()
    loop = LearnerLoop(state)
    statements = [_answer(7, "11", n % 3 != 0, n) for n in range(6)] + [_answer(7, "12", True, 10)]
    first = loop.apply(_events(*statements))
    assert (first.answers, first.duplicates, first.learners) == (7, 0, {"7"})
    learner = state.load("7")
    assert learner is not None
    before = (learner.seq, dict(learner.attempts), list(learner.rows), dict(learner.streak), dict(learner.seconds))
    assert learner.attempts == {"11": 6, "12": 1}

    again = loop.apply(_events(*statements[2:], *statements))  # a relay retry, overlapping a consumer's restart
    assert (again.answers, again.signals, again.duplicates, again.learners) == (0, 0, 12, set())
    learner = state.load("7")
    assert learner is not None
    assert (learner.seq, learner.attempts, list(learner.rows), learner.streak, learner.seconds) == before


def test_a_revision_corrects_an_answer_and_is_no_new_answer() -> None:
    state = MemoryState()
    loop = LearnerLoop(state)
    answer = _answer(8, "11", False, 0)
    answer["context"]["extensions"][Extension.ATTEMPT_ID] = "attempt-1"
    revision = _answer(8, "11", True, 5)
    revision["context"]["extensions"].update({Extension.ATTEMPT_ID: "attempt-1", Extension.REVISES: {"success": False}})
    applied = loop.apply(_events(answer, revision))
    assert applied.answers == 1 and applied.duplicates == 0
    learner = state.load("8")
    assert learner is not None and learner.attempts == {"11": 1} and learner.seq == 1
    assert [row[2] for row in learner.rows] == [0]  # the regrade is not a second (correct) answer


def test_video_and_duration_statements_add_watch_share_time_and_streak() -> None:
    state = MemoryState()
    loop = LearnerLoop(state)
    statements = [
        _engagement(9, VIDEO + "played", "21", 0, 30, progress=0.4),
        _engagement(9, VIDEO + "paused", "21", 1, 15, progress=0.7),
        _engagement(9, VIDEO + "seeked", "21", 2, 5, progress=0.2),  # seeking back keeps the largest share
        _engagement(9, Verb.COMPLETED, "22", 60 * 24, 120),  # a lesson read the next day
        answered_statement(learner_account(9), "q1", "22", True, duration_s=45, timestamp=T0 + timedelta(days=1)),
    ]
    applied = loop.apply(_events(*statements))
    assert (applied.answers, applied.signals, applied.duplicates) == (1, 4, 0)
    learner = state.load("9")
    assert learner is not None
    assert learner.video_share == {"21": pytest.approx(0.7)}
    assert learner.seconds == {"21": pytest.approx(50.0), "22": pytest.approx(165.0)}
    assert learner.attempts == {"22": 1}  # only the answer is an attempt
    assert learner.active_days == 2 and learner.last_at == T0 + timedelta(days=1)
    assert loop.apply(_events(*statements)).duplicates == 5
    again = state.load("9")
    assert again is not None and again.seconds == {"21": pytest.approx(50.0), "22": pytest.approx(165.0)}


def test_statements_the_seeded_history_already_holds_are_skipped() -> None:
    state = MemoryState()
    until = T0 + timedelta(hours=1)
    seeded: list[str] = []

    def seeder(learner_ids: list[str]) -> None:  # what Feast replays: two answers up to ``until``
        for learner_id in learner_ids:
            seeded.append(learner_id)
            for correct in (False, True):
                state.record(learner_id, "11", "features:11", correct, 10.0, until)
            state.seed_history(learner_id, until)

    loop = LearnerLoop(state, seeder)
    old = _answer(10, "11", True, 30)  # stamped before the history ends: Feast counted it already
    at_the_end = _answer(10, "11", True, 60)
    new = _answer(10, "11", False, 90)
    applied = loop.apply(_events(old, at_the_end, new))
    assert seeded == ["10"]  # asked once, for the unseen learner
    assert (applied.answers, applied.duplicates) == (1, 2)
    learner = state.load("10")
    assert learner is not None and learner.attempts == {"11": 3} and learner.history_until == until
    assert [row[2] for row in learner.rows] == [0, 1, 0]

    preferences = Event(PREFERENCES_EVENT, "pref-1", {"learner_id": "10", "preferences": {"goal": "exam"}})
    assert loop.apply([preferences]).signals == 1 and loop.apply([preferences]).signals == 0
    learner = state.load("10")
    assert learner is not None and learner.preferences == {"goal": "exam"}
    assert loop.apply(_events(_answer(10, "11", False, 120))).answers == 1 and seeded == ["10"]  # seeded once


# --- for real: Redis stream, consumer group, `pathwise serve consume` ----------------------------


@pytest.fixture
def stream() -> Iterator[tuple[redis.Redis, str, str]]:
    """A Redis client, a fresh stream name and a fresh learner-state key prefix; all removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is required for integration tests at {REDIS_URL}: {error}")
    tag = uuid.uuid4().hex[:12]
    name, prefix = f"pathwise.test.{tag}", f"pathwise:test:{tag}:"
    try:
        yield client, name, prefix
    finally:
        client.delete(name)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        client.close()


def _publish(client: redis.Redis, stream_name: str, batches: list[list[dict[str, Any]]]) -> None:
    """What the outbox relay writes: one ``xapi.statements`` entry per transaction's statements."""
    publisher = RedisStreamPublisher(client, stream_name)
    for start in range(0, len(batches), 200):
        publisher.publish(
            [Event(STATEMENTS_EVENT, batch[0]["id"], batch, count=len(batch)) for batch in batches[start : start + 200]]
        )


def _applied_ids(client: redis.Redis, prefix: str, learners: list[int]) -> set[str]:
    """Every statement id the store has marked applied (the per-learner sets the WATCH guards)."""
    ids: set[str] = set()
    for learner in learners:
        ids |= {m.decode() for m in client.smembers(f"{prefix}learner:{learner}:events")}
    return ids


def _pending_with_effects(client: redis.Redis, stream_name: str, applied: set[str]) -> bool:
    """True when an entry delivered but not acknowledged already changed the state (a batch cut in half)."""
    pending = client.xpending_range(stream_name, GROUP, min="-", max="+", count=10_000)
    for row in pending:
        for _, fields in client.xrange(stream_name, min=row["message_id"], max=row["message_id"]):
            if any(event.key in applied for event in entry_events(fields)):
                return True
    return False


def _consume(env: dict[str, str], prefix: str, *extra: str) -> subprocess.Popen[str]:
    command = [*PATHWISE, "serve", "consume", "--name", "loop-test", "--prefix", prefix, "--batch", "50", *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_consume_killed_mid_batch_and_restarted_applies_every_statement_once(
    stream: tuple[redis.Redis, str, str], tmp_path: Path
) -> None:
    client, stream_name, prefix = stream
    rng = random.Random(7)
    learners, skills = list(range(900_001, 900_009)), ["31", "32", "33"]
    statements = [
        answered_statement(
            learner_account(rng.choice(learners)),
            f"item-{n}",
            rng.choice(skills),
            rng.random() < 0.6,
            timestamp=T0 + timedelta(seconds=n),
        )
        for n in range(600)
    ]
    batches = [statements[n : n + 5] for n in range(0, len(statements), 5)]
    # the relay may deliver a transaction twice (it died between XADD and marking the outbox row sent):
    # copies of earlier entries, some soon after the original, some at the very end
    copies = [*rng.sample(batches[:40], 6), *rng.sample(batches, 8)]
    _publish(client, stream_name, batches[:50] + copies[:6] + batches[50:] + copies[6:])
    expected = Counter(
        (s["actor"]["account"]["name"], s["context"]["extensions"][Extension.SKILL_ID]) for s in statements
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWISE_")}
    env.update(PATHWISE_HOME=str(tmp_path / "home"), PATHWISE_REDIS_URL=REDIS_URL, PATHWISE_EVENTS_STREAM=stream_name)
    refused = CliRunner().invoke(build_cli(), ["serve", "consume"])  # this process has no PATHWISE_REDIS_URL
    assert refused.exit_code == 2 and "PATHWISE_REDIS_URL is not set" in refused.output

    # 1. killed (SIGKILL: no clean-up at all) while a batch is half applied and unacknowledged
    first = _consume(env, prefix)
    deadline = time.monotonic() + 120
    try:
        while True:
            assert first.poll() is None, first.stdout.read() if first.stdout else ""
            applied = _applied_ids(client, prefix, learners)
            if len(applied) >= 150 and _pending_with_effects(client, stream_name, applied):
                break
            assert time.monotonic() < deadline, "the consumer never got under way"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    cut = _applied_ids(client, prefix, learners)
    assert 0 < len(cut) < len(statements), "killed before or after the stream, not in the middle of it"
    assert client.xpending(stream_name, GROUP)["pending"] > 0  # the interrupted batch was never acknowledged

    # 2. restarted under the same name: its unacknowledged entries first, then the rest of the stream
    second = _consume(env, prefix, "--exit-when-idle", "1.5")
    out, _ = second.communicate(timeout=180)
    assert second.returncode == 0, out
    skipped = re.search(r"(\d+) already applied", out)
    assert skipped and int(skipped.group(1)) > 0, out  # at least the half batch it had applied before the kill

    # exactly once: every statement counted, the copies and the redelivered half-batch not again
    assert _applied_ids(client, prefix, learners) == {s["id"] for s in statements}
    state = RedisState(REDIS_URL, prefix)
    for learner in learners:
        loaded = state.load(str(learner))
        assert loaded is not None
        want = {skill: expected[(str(learner), skill)] for skill in skills if expected[(str(learner), skill)]}
        assert loaded.attempts == want, learner
        assert loaded.seq == sum(want.values())
    assert client.xpending(stream_name, GROUP)["pending"] == 0


@pytest.mark.integration
def test_a_dead_consumers_entries_are_reclaimed_by_another(stream: tuple[redis.Redis, str, str]) -> None:
    """XAUTOCLAIM: entries a consumer read and never acknowledged are applied by the next one, once."""
    client, stream_name, prefix = stream
    statements = [_answer(n % 2 + 1, "41", True, n) for n in range(12)]
    _publish(client, stream_name, [statements[n : n + 3] for n in range(0, 12, 3)])
    state = RedisState(REDIS_URL, prefix)

    dead = StateConsumer(client, LearnerLoop(state), name="dead", stream=stream_name, count=2)
    dead.ensure_group()
    taken = dead._entries()  # read, half applied, then the process died: never acknowledged
    LearnerLoop(state).apply([e for _, fields in taken for e in entry_events(fields)][:4])

    heir = StateConsumer(client, LearnerLoop(state), name="heir", stream=stream_name, claim_idle_ms=200, block_ms=50)
    stop_after = time.monotonic() + 30
    while client.xpending(stream_name, GROUP)["pending"] or heir.applied.answers + 4 < len(statements):
        heir.poll_once()
        assert time.monotonic() < stop_after, "the dead consumer's entries were never reclaimed"
        time.sleep(0.05)
    assert heir.applied.answers == len(statements) - 4 and heir.applied.duplicates == 4
    for learner in ("1", "2"):
        loaded = state.load(learner)
        assert loaded is not None and loaded.attempts == {"41": 6}


def test_statements_stored_before_serving_started_are_left_to_the_history() -> None:
    """The backlog ``pathwise up`` relays at start is already in Feast: it seeds nobody and changes nothing."""
    state = MemoryState()
    seeded: list[list[str]] = []
    start = T0 + timedelta(days=1)
    loop = LearnerLoop(state, lambda learners: seeded.append(learners), since=start)
    backlog = {**_answer(30, "11", True, 0), "stored": (start - timedelta(seconds=1)).isoformat()}
    fresh = {**_answer(31, "11", False, 5), "stored": (start + timedelta(seconds=1)).isoformat()}
    applied = loop.apply(_events(backlog, fresh))
    assert seeded == [["31"]] and state.load("30") is None
    assert (applied.answers, applied.duplicates) == (1, 1)
