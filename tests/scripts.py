"""Load a script of ``benchmarks/`` or ``examples/`` as a module, for its tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(folder: str, name: str) -> ModuleType:
    """``ROOT/folder/name.py`` as a module named ``name``; ``folder`` is on ``sys.path`` while it
    loads (the benchmarks import each other, e.g. ``from tabular import ...``)."""
    path = ROOT / folder
    spec = importlib.util.spec_from_file_location(f"{folder}_{name}", path / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path))
    return module
