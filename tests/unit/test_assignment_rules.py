"""Pure rules of the submission portal: late policy, windows, address lists, type sniffing, storage, guards."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from platform_api.core.errors import ProblemError
from platform_api.domain.assignments.models import Assignment
from platform_api.domain.assignments.policy import check_address, check_attempts, check_window, lateness
from platform_api.domain.assignments.storage import BlobStore, display_name, sniff
from platform_api.domain.exams.guards import (
    GuardContext,
    NoGuard,
    SafeExamBrowserGuard,
    first_refusal,
    registry,
    validate_guards,
)

DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _assignment(**fields: object) -> Assignment:
    base: dict[str, object] = {"id": 7, "due_at": DUE, "grace_minutes": 0, "late_penalty_per_day": 0.25}
    base.update(max_attempts=2, ip_allow=[], opens_at=None, cutoff_at=None)
    base.update(fields)
    return Assignment(**base)


@pytest.mark.parametrize(
    ("after", "grace", "days", "penalty"),
    [
        (timedelta(0), 0, 0, 0.0),
        (timedelta(seconds=1), 0, 1, 0.25),
        (timedelta(minutes=29), 30, 0, 0.0),
        (timedelta(minutes=31), 30, 1, 0.25),
        (timedelta(days=1, seconds=1), 0, 2, 0.5),
        (timedelta(days=9), 0, 9, 1.0),  # capped at the whole score
    ],
)
def test_lateness(after: timedelta, grace: int, days: int, penalty: float) -> None:
    late = lateness(_assignment(grace_minutes=grace), DUE + after)
    assert (late.days, late.penalty) == (days, penalty)


def test_lateness_reads_naive_sqlite_times_as_utc() -> None:
    naive = _assignment(due_at=DUE.replace(tzinfo=None))
    assert lateness(naive, DUE + timedelta(hours=1)).days == 1


def test_window_and_attempts() -> None:
    gated = _assignment(opens_at=DUE - timedelta(days=1), cutoff_at=DUE + timedelta(days=1))
    check_window(gated, DUE)
    with pytest.raises(ProblemError, match="opens at") as early:
        check_window(gated, DUE - timedelta(days=2))
    assert early.value.status == 409
    with pytest.raises(ProblemError, match="hard deadline"):
        check_window(gated, DUE + timedelta(days=1, seconds=1))
    check_attempts(gated, 1)
    with pytest.raises(ProblemError, match="all 2 attempt") as over:
        check_attempts(gated, 2)
    assert over.value.extra["attempts_used"] == 2


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.1.2.3", True),
        ("10.1.3.1", False),
        ("2001:db8::1", True),
        ("::1", False),
        ("testclient", False),
        ("", False),
    ],
)
def test_address_allow_list(address: str, allowed: bool) -> None:
    exam = _assignment(ip_allow=["10.1.2.0/24", "2001:db8::/32"])
    if allowed:
        check_address(exam, address)
    else:
        with pytest.raises(ProblemError, match="allow-list") as refused:
            check_address(exam, address)
        assert refused.value.status == 403
    check_address(_assignment(), address)  # an empty list allows everyone


@pytest.mark.parametrize(
    ("name", "content", "allowed", "expected"),
    [
        ("a.py", b"print(1)\n", ["python"], "python"),
        ("A.PDF", b"%PDF-1.7 ...", ["pdf"], "pdf"),
        ("notes.md", "Grüße".encode(), ["text"], "text"),
        ("shot.png", b"\x89PNG\r\n\x1a\n....", ["png", "pdf"], "png"),
    ],
)
def test_sniff_accepts_matching_content(name: str, content: bytes, allowed: list[str], expected: str) -> None:
    assert sniff(name, content, allowed).name == expected


@pytest.mark.parametrize(
    ("name", "content", "allowed", "needle"),
    [
        ("a.exe", b"MZ", ["python"], "'.exe' is not accepted"),
        ("noext", b"text", ["text"], "'(none)'"),
        ("a.py", b"ok\x00", ["python"], "UTF-8 text"),
        ("a.txt", b"\xff\xfe latin", ["text"], "UTF-8 text"),
        ("a.pdf", b"<html>", ["pdf"], "not a pdf file"),
        ("a.png", b"%PDF-1.7", ["png", "pdf"], "not a png file"),
    ],
)
def test_sniff_refuses(name: str, content: bytes, allowed: list[str], needle: str) -> None:
    with pytest.raises(ProblemError) as refused:
        sniff(name, content, allowed)
    assert refused.value.status == 415 and needle in refused.value.detail


def test_blob_store_is_content_addressed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"same bytes")
    assert store.put(b"same bytes") == digest == hashlib.sha256(b"same bytes").hexdigest()
    assert store.get(digest) == b"same bytes"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]
    for bad in ("../../etc/passwd", "A" * 64, digest[:-1]):
        with pytest.raises(ValueError, match="sha256"):
            store.path_of(bad)
    assert display_name("..\\..\\evil\u202e.py") == "evil.py"
    assert display_name("/tmp/" + "x" * 300) == "x" * 255


def _context(headers: dict[str, str], config: dict[str, object]) -> GuardContext:
    return GuardContext("start", 1, 2, "10.0.0.1", "https://lms.test/v1/assignments/1/admissions", headers, config)


def test_guard_registry_and_the_no_op_default() -> None:
    assert isinstance(registry()["none"], NoGuard)
    assert NoGuard().check(_context({}, {})).allowed
    validate_guards({"none": {}})
    with pytest.raises(ValueError, match="takes no configuration"):
        validate_guards({"none": {"x": 1}})
    with pytest.raises(ValueError, match="unknown exam guard"):
        validate_guards({"proctor-x": {}})
    with pytest.raises(ValueError, match="unknown safe_exam_browser settings"):
        validate_guards({"safe_exam_browser": {"config_keys": ["k"], "extra": 1}})


def test_safe_exam_browser_hash_binds_url_and_key() -> None:
    guard, config = SafeExamBrowserGuard(), {"config_keys": ["old", "new"]}
    url = "https://lms.test/v1/assignments/1/admissions"
    good = hashlib.sha256((url + "new").encode()).hexdigest()
    assert guard.check(_context({"X-SafeExamBrowser-ConfigKeyHash": good.upper()}, config)).allowed
    other_url = hashlib.sha256(("https://other.test/" + "new").encode()).hexdigest()
    assert not guard.check(_context({"X-SafeExamBrowser-ConfigKeyHash": other_url}, config)).allowed
    refusal = first_refusal({"none": {}, "safe_exam_browser": config}, _context({}, {}))
    assert refusal is not None and refusal[0] == "safe_exam_browser" and "Safe Exam Browser" in refusal[1].reason


def _install_plugin(root: Path, module: str, body: str) -> None:
    """A real installed distribution on sys.path whose entry point names a guard class."""
    (root / f"{module}.py").write_text(body)
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[pathwise.exam_guards]\nacme = {module}:Guard\n")


def test_guards_load_from_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(
        tmp_path,
        "acme_guard_ok",
        "class Guard:\n"
        "    def validate_config(self, config):\n"
        "        pass\n"
        "    def check(self, context):\n"
        "        from platform_api.domain.exams.guards import Verdict\n"
        "        return Verdict(context.client_ip.startswith('10.'), 'proctor not connected')\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    try:
        validate_guards({"acme": {}})
        assert first_refusal({"acme": {}}, _context({}, {})) is None
        outside = GuardContext("submit", 1, 2, "192.0.2.1", "https://lms.test/", {}, {})
        assert first_refusal({"acme": {}}, outside) == ("acme", registry()["acme"].check(outside))
    finally:
        registry.cache_clear()


def test_a_plugin_that_is_not_a_guard_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "acme_guard_broken", "class Guard:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    try:
        with pytest.raises(TypeError, match="'acme' does not implement ExamGuard"):
            registry()
    finally:
        registry.cache_clear()
