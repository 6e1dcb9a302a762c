"""A running ``pathwise up`` and Debian's Chromium for the browser tests.

One stack serves the consoles' browser tests a pytest worker runs (starting one costs minutes), so
each test makes or picks its own data (``stack.emails`` has learners no other test uses) instead of
assuming a fresh database. The learner app's tests read the demo as seeded (its recommendations, its
mastery), so that file starts a stack of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from experiments.browser import AXE_JS, launch
from experiments.loop_bench import Stack, running_stack

#: Where the tests leave their screenshots: `make screenshots` points this at docs/screenshots.
SHOTS = os.environ.get("PATHWISE_SCREENSHOTS")


def _start_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (Path(AXE_JS).parents[2] / "dist" / "index.html").exists():
        pytest.fail("the web app is not built: run `make web`")
    with running_stack(tmp_path_factory.mktemp("web") / "home") as running:
        yield running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _start_stack(tmp_path_factory)


@pytest.fixture(scope="module")
def seeded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of the module's own: the demo exactly as seeded, whatever other files did to theirs."""
    yield from _start_stack(tmp_path_factory)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = launch(playwright)
    print(f"Chromium {launched.version}")
    yield launched
    launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
