"""User errors at the command line: one line on stderr and exit status 2."""

from __future__ import annotations

from ..data import DataError
from ..processes.base import CoefficientError, MissingCapability, SimulationError
from ..spaces.base import SupportError
from ..training import CheckpointError


class UsageError(ValueError):
    """A mistake in the command, its files or its parameters; the message is one line."""


#: exceptions that are the user's doing and are reported without a traceback
USER_ERRORS: tuple[type[BaseException], ...] = (
    UsageError,
    DataError,
    SupportError,
    CheckpointError,
    MissingCapability,
    SimulationError,
    CoefficientError,
)


def require_plotting(command: str) -> None:
    """:class:`UsageError` naming the extra to install when matplotlib or pillow (the optional
    ``plot`` extra) is missing."""
    try:
        import matplotlib  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"{command} draws figures and needs {exc.name or 'matplotlib'}: "
            "pip install 'denoising-markov-models[plot]'"
        ) from None


def one_line(exc: BaseException) -> str:
    """The exception's message collapsed to one line."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
