"""The ``dmm`` command: ``train``, ``sample``, ``eval``, ``plot``, ``processes``, ``demo``.

Every user error (bad file, bad values, unknown names, an existing run folder, a corrupt
checkpoint) is printed as one line ``dmm: error: ...`` on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from collections.abc import Sequence

from .config import positive_whole
from .errors import USER_ERRORS, one_line


class _Parser(argparse.ArgumentParser):
    """argparse with the same one-line error format and exit status 2, and no prefix
    abbreviations (``--proces vp`` is an error, not ``--process vp``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        print(
            f"dmm: error: {one_line(ValueError(message))} (see {self.prog} --help)", file=sys.stderr
        )
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    from . import data, demo, eval, plot, processes, sample, train

    parser = _Parser(prog="dmm", description="Denoising Markov models: train, sample, evaluate.")
    parser.add_argument("--version", action="version", version=f"dmm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in (train, sample, eval, plot, processes, data, demo):
        module.add_parser(sub)
    for name in COMPUTING:
        sub.choices[name].add_argument(
            "--threads",
            type=positive_whole("--threads"),
            default=0,
            help="torch CPU threads (default: torch's own choice, one per core); give 1 to each "
            "of several jobs that share the machine",
        )
    return parser


#: errors of a file system that refuses a write (full, read-only, no permission, quota): the
#: user's to fix, one line
WRITE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
)

#: the commands that run networks, and so take ``--threads``
COMPUTING = ("train", "sample", "eval", "plot", "demo")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already printed (2)
        return int(exc.code or 0)
    threads = getattr(args, "threads", 0)
    if threads:  # for this command only: a caller of main() keeps its own count
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"dmm: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except FloatingPointError as exc:  # training.Divergence: the checkpoint before it is kept
        print(f"dmm: error: training diverged: {one_line(exc)}; try a smaller lr", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (dmm data | head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail
        return 141  # 128 + SIGPIPE, as a shell reports a process killed by it
    except (MemoryError, RuntimeError) as exc:  # a network or batch larger than the memory
        if not _out_of_memory(exc):
            raise
        smaller = {
            "train": "a smaller network (--set hidden=..., --set depth=...) or --batch-size",
            "demo": "fewer panels (--only NAME)",
        }.get(args.command, "fewer samples (-n)")
        print(
            f"dmm: error: out of memory ({_allocation(exc)}): give {smaller}",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:  # a disk or folder that refuses what the command writes
        if exc.errno not in WRITE_ERRORS:
            raise
        print(f"dmm: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        folder = getattr(args, "run_folder", None) or "DIR"
        hint = f"; the run continues from its last checkpoint with dmm train --resume {folder}"
        print(f"dmm: interrupted{hint if args.command == 'train' else ''}", file=sys.stderr)
        return 130
    finally:
        if threads:
            torch.set_num_threads(before)


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation that failed (torch's CPU allocator, CUDA, Python)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc)
    return "can't allocate memory" in text or "out of memory" in text.lower()


def _allocation(exc: BaseException) -> str:
    """The size torch tried to allocate, as ``40.0 GB``, or ``a failed allocation``."""
    match = re.search(r"allocate (\d+) bytes", str(exc))
    if match is None:
        return "a failed allocation"
    return f"an allocation of {int(match.group(1)) / 1e9:.1f} GB"


if __name__ == "__main__":
    sys.exit(main())
