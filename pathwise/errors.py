"""Errors whose message already tells the user what to do.

The CLI prints them on one line and exits 2 instead of showing a stack trace. The module is tiny
so that ``pathwise`` can catch them without importing the code that raises them.
"""

from __future__ import annotations


class UserFacingError(RuntimeError):
    """A failure caused by the environment or the input, explained in its message."""
