"""The demo gallery: one panel per process family, each a small end-to-end run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PanelResult:
    """What one panel produced: a figure, a few headline numbers and a one-line summary."""

    figure: Path
    metrics: dict[str, float] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class DemoPanel:
    """``run(out_dir, seed, quick)`` trains, samples, evaluates and draws one family's panel.

    ``quick=True`` is a much smaller budget used by the tests; the full demo budget of all panels
    together must stay under about 4 minutes on 2 CPU cores.
    """

    name: str
    title: str
    run: Callable[[Path, int, bool], PanelResult]
