"""One console stack for a whole test run, whichever pytest-xdist worker runs each console test.

Starting a stack costs minutes on this machine, and the console tests need nothing of a fresh one
(each makes or picks its own data). The first worker to ask starts it and writes where it runs to a
file in the run's folder (the folder above every worker's own); the others read that file. The run's
end, in the process that ran the workers, stops it (``tests/conftest.py``, ``pytest_sessionfinish``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from experiments.loop_bench import Stack, start_stack, stop_pid


def _record(run_root: Path) -> Path:
    return run_root / "console-stack.json"


def shared_stack(run_root: Path, before_start: Callable[[], None]) -> Stack:
    """The run's console stack, started here if no worker has started it yet."""
    with FileLock(run_root / "console-stack.lock"):
        record = _record(run_root)
        if not record.exists():
            before_start()
            (run_root / "console-stack").mkdir(exist_ok=True)
            started, _ = start_stack(run_root / "console-stack" / "home")  # stopped by stop_shared_stack
            record.write_text(started.to_json())
        return Stack.from_json(record.read_text())


def stop_shared_stack(run_root: Path) -> None:
    record = _record(run_root)
    if record.exists():
        stop_pid(Stack.from_json(record.read_text()).pid)
        record.unlink()
