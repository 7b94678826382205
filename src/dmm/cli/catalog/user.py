"""A user's own process on the command line: ``--process FILE.py:NAME`` or
``--process package.module:NAME``, where ``NAME`` is a :class:`~dmm.processes.Process` or a factory
taking the training data (a tensor) and returning one.

The model, loss and sampler come from :func:`dmm.recipe.recipe`. Every failure (missing file,
import error, missing or wrong ``NAME``, a factory that raises) is a one-line :class:`UsageError`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import reprlib
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from ...processes import Process
from ..errors import USER_ERRORS, UsageError
from .spec import Entry, Parts, recipe_parts

#: the parameters of a user's process (``t_min: None`` keeps the process's own)
USER_PARAMS: dict[str, Any] = {"hidden": 256, "depth": 3, "t_min": None}
USER_HELP: dict[str, str] = {
    "hidden": "width of the hidden layers of the recipe's MLP",
    "depth": "number of hidden layers of the recipe's MLP",
    "t_min": "smallest time trained and sampled (none: the process's own t_min)",
}
#: the one sampler of a user's process: the recipe's
DEFAULT_SAMPLER = "default"


@dataclass(frozen=True)
class UserProcess(Entry):
    """A user's process loaded from ``source`` (``FILE.py:NAME`` with an absolute path, or
    ``package.module:NAME``); ``file`` is the Python file it came from and ``code`` its bytes at
    load time (a run folder keeps a copy and their hash)."""

    name: str
    target: Any
    file: Path | None
    code: bytes
    summary: str = "your own process"
    params: Mapping[str, Any] = field(default_factory=lambda: dict(USER_PARAMS))
    help: Mapping[str, str] = field(default_factory=lambda: dict(USER_HELP))
    train_defaults: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def evaluate(process: Process, model: nn.Module, data: Tensor) -> dict[str, float]:
        """A chain's NLL bound (:func:`~dmm.metrics.chains.chain_evaluate`, as the catalogue's
        chains report it) when the recipe gave it a model of the clean state's probabilities;
        nothing for other processes."""
        from ...processes.chains import ChainProcess
        from .chains import chain_evaluate_spec

        if isinstance(process, ChainProcess) and hasattr(model, "x0_probs"):
            return chain_evaluate_spec(process, model, data)
        return {}

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.code).hexdigest()

    def make(self, data: Tensor, params: Mapping[str, Any]) -> Process:
        process = self.target
        if isinstance(process, type) and issubclass(process, Process):
            raise UsageError(
                f"'{self.name}' is the class {process.__name__}: name a process value or a "
                f"factory, e.g. def make(data): return {process.__name__}(...)"
            )
        if not isinstance(process, Process):
            try:
                process = self.target(data)
            except Exception as exc:  # the user's code: any failure is reported in one line
                raise UsageError(f"'{self.name}'(data) raised {_describe(exc)}") from None
            if not isinstance(process, Process):
                raise UsageError(
                    f"'{self.name}'(data) returned {reprlib.repr(process)} "
                    f"(a {type(process).__name__}), "
                    f"not a dmm.processes.Process"
                )
        if process.name == process.default_name():  # unnamed: call it by its source
            process.name = self.name.rpartition("/")[2]
        if params["t_min"] is not None:
            if not 0 < params["t_min"] < process.T:
                raise UsageError(f"need 0 < t_min < T = {process.T}, got t_min={params['t_min']}")
            process.t_min = float(params["t_min"])
        return process

    def parts(
        self, process: Process, data: Tensor, params: Mapping[str, Any], context_dim: int
    ) -> Parts:
        def samplers(sampler):
            return {DEFAULT_SAMPLER: lambda: sampler}

        try:  # the recipe runs the user's code (simulating the process, calibrating the heads)
            return recipe_parts(process, data, params, context_dim, samplers, DEFAULT_SAMPLER)
        except USER_ERRORS:
            raise
        except Exception as exc:
            where = self._frame_in_file(exc)
            if where is None:  # not raised in the user's file: dmm's own, with its traceback
                raise
            raise UsageError(
                f"setting up '{self.name}' failed at {where}: {_describe(exc)}"
            ) from None

    def _frame_in_file(self, exc: BaseException) -> str | None:
        """``FILE:LINE`` of the last frame of ``exc``'s traceback in the user's file."""
        if self.file is None:
            return None
        mine = self.file.resolve()
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == mine
        ]
        return f"{self.file.name}:{frames[-1].lineno}" if frames else None


def is_user_source(text: str) -> bool:
    """Whether ``--process text`` names a user's process (``...:NAME``) rather than a catalogue
    entry."""
    return ":" in str(text)


def record(source: str) -> str:
    """``source`` as a run folder records it: a file path made absolute."""
    target, _, attr = source.rpartition(":")
    return f"{Path(target).resolve()}:{attr}" if _is_file(target) else source


def load_user_process(
    source: str, copy: Path | None = None, sha256: str | None = None
) -> UserProcess:
    """Load ``source`` (``FILE.py:NAME`` or ``package.module:NAME``).

    For a run folder, ``copy`` is its copy of the file and ``sha256`` the hash recorded at training
    time (default: the copy's): when the original file is missing or its hash differs, the copy is
    loaded instead, with a one-line warning on stderr.
    """
    target, _, attr = source.rpartition(":")
    if not target or not attr.isidentifier():
        raise UsageError(
            f"--process '{source}': expected FILE.py:NAME or package.module:NAME "
            f"(NAME a Process or a factory data -> Process)"
        )
    if not target.endswith(".py") and Path(target).is_file():
        raise UsageError(f"--process '{source}': '{target}' is not a Python (.py) file")
    if not _is_file(target) and not all(part.isidentifier() for part in target.split(".")):
        raise UsageError(f"--process '{source}': '{target}' is neither a .py file nor a module")
    if copy is not None and copy.is_file():
        path = Path(target) if _is_file(target) else _module_file(target)
        expected = sha256 or hashlib.sha256(copy.read_bytes()).hexdigest()
        if path is None:  # a module name no sys.path entry finds here (PYTHONPATH, a venv)
            state = "is not importable here"
        elif not path.is_file():
            state = "is missing"
        elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            state = "has changed"
        else:
            state = ""
        if state:
            where = path or f"module {target}"
            print(
                f"dmm: warning: {where} {state}"
                + ("" if path is None else " since training")
                + f"; using the copy {copy}",
                file=sys.stderr,
            )
            beside = path.parent if path is not None and path.parent.is_dir() else None
            return _from_file(copy, attr, source, beside)  # modules next to the original import
    if _is_file(target):
        return _from_file(Path(target), attr, source)
    return _from_module(target, attr, source)


def _is_file(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except Exception:  # a parent package that fails to import: the copy stands in
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def _from_file(path: Path, attr: str, source: str, beside: Path | None = None) -> UserProcess:
    """Import ``path`` as ``python FILE.py`` would (modules next to it import), and those next
    to ``beside`` too (a run's copy stands in for an original there)."""
    if not path.is_file():
        raise UsageError(f"process file not found: '{path}' (from --process {source})")
    code = path.read_bytes()
    digest = hashlib.sha256(code).hexdigest()[:16]
    name = f"dmm_user_{path.stem if path.stem.isidentifier() else 'process'}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import '{path}' (from --process {source}): not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    folders = [str(path.resolve().parent)]
    folders += [str(beside.resolve())] if beside is not None else []
    sys.path[:0] = folders  # like `python FILE.py`: modules next to the file import
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code
        sys.modules.pop(name, None)
        raise UsageError(f"could not import '{path}': {_describe(exc)}") from None
    finally:
        for folder in folders:
            if folder in sys.path:
                sys.path.remove(folder)
    return UserProcess(record(source), _attribute(module, attr, source), path, code)


def _from_module(module_name: str, attr: str, source: str) -> UserProcess:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ModuleNotFoundError or the module's own failure
        raise UsageError(f"could not import module '{module_name}': {_describe(exc)}") from None
    file = getattr(module, "__file__", None)
    path = Path(file) if file and file.endswith(".py") else None
    code = path.read_bytes() if path is not None else b""
    return UserProcess(source, _attribute(module, attr, source), path, code)


def _attribute(module: Any, attr: str, source: str) -> Any:
    if not hasattr(module, attr):
        names = [n for n in vars(module) if not n.startswith("_") and callable(vars(module)[n])]
        listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise UsageError(f"'{source}': the module has no '{attr}' (it defines: {listed or '-'})")
    value = getattr(module, attr)
    if not isinstance(value, Process) and not callable(value):
        raise UsageError(
            f"'{source}' is a {type(value).__name__}; expected a dmm.processes.Process or a "
            f"factory taking the training data and returning one"
        )
    return value


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
