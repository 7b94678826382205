"""The demo gallery: one panel per process family, each a small end-to-end run."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from torch import Tensor


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
    #: the package extras the panel needs besides ``plot`` (``dmm demo`` checks them first)
    needs: tuple[str, ...] = ()


def structure_metrics(samples: Tensor, reference: Tensor, seed: int) -> dict[str, float]:
    """The numbers a Euclidean panel quotes first: the C2ST AUC (0.5: the classifier cannot tell
    samples from data; ``nan`` without scikit-learn) and k-NN precision and recall (k = 3)
    between ``samples`` and fresh held-out ``reference`` draws, on the same rows."""
    from ..metrics import c2st_auc, precision_recall

    m = min(len(samples), len(reference))
    try:
        auc = c2st_auc(samples[:m], reference[:m], seed=seed)
    except ImportError:  # the metrics extra is optional
        auc = math.nan
    pr = precision_recall(samples[:m], reference[:m], k=3)
    return {"c2st_auc": auc, "precision": pr["precision"], "recall": pr["recall"]}


def structure_text(metrics: dict[str, float], prefix: str = "") -> str:
    """``C2ST AUC 0.52, precision 0.97, recall 0.95`` from :func:`structure_metrics`' keys
    (each key looked up as ``prefix + key``)."""
    auc = metrics[prefix + "c2st_auc"]
    auc_text = "n/a (no scikit-learn)" if math.isnan(auc) else f"{auc:.2f}"
    return (
        f"C2ST AUC {auc_text}, precision {metrics[prefix + 'precision']:.2f}, "
        f"recall {metrics[prefix + 'recall']:.2f}"
    )
