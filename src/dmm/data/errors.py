"""The user-facing error type for data problems."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A problem with user-supplied data (missing file, bad values, wrong shape).

    The message is a single line meant for the end user: the CLI prints it and exits with status 2.
    """
