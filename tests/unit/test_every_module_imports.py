"""Every module of every package imports: a moved module leaves no stale import behind.

mypy runs with ``ignore_missing_imports`` (many third-party packages ship no stubs), which also hides a
first-party import of a module that no longer exists; importing everything catches it.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = ("pathwise", "models", "features", "pipelines", "serving", "platform_api", "experiments")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(root.__path__, f"{package}.")]
    return [name for name in names if ".migrations" not in name]


def test_every_module_imports() -> None:
    failed = {}
    for name in _modules():
        try:
            importlib.import_module(name)
        except Exception as error:  # collect them all, so one run names every stale import
            failed[name] = repr(error)
    if failed:
        pytest.fail("\n".join(f"{name}: {error}" for name, error in sorted(failed.items())))
