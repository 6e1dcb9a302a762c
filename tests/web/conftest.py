"""A running ``pathwise up`` and Debian's Chromium for the browser tests.

One stack serves every console test of the run, whichever pytest-xdist worker runs it (starting one
costs minutes; ``shared_stack.py``). So each test makes or picks its own data (``stack.emails`` has
learners no other test uses) instead of assuming a fresh database. The learner app's tests read the
demo as seeded (its recommendations, its mastery), so that file starts a stack of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from experiments.browser import AXE_JS, launch
from experiments.loop_bench import Stack, running_stack
from tests.web.shared_stack import shared_stack

#: Where the tests leave their screenshots: `make screenshots` points this at docs/screenshots.
SHOTS = os.environ.get("PATHWISE_SCREENSHOTS")


def _check_built() -> None:
    if not (Path(AXE_JS).parents[2] / "dist" / "index.html").exists():
        pytest.fail("the web app is not built: run `make web`")


def _start_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _check_built()
    with running_stack(tmp_path_factory.mktemp("web") / "home") as running:
        yield running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if "PYTEST_XDIST_WORKER" not in os.environ:  # no workers: the run is this process, and the stack is its own
        yield from _start_stack(tmp_path_factory)
    else:  # the run's folder, above every worker's own
        yield shared_stack(tmp_path_factory.getbasetemp().parent, before_start=_check_built)


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
