"""Measured convergence orders: the slope that an oracle test compares with a sampler's order."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def measured_order(steps: Sequence[int], errors: Sequence[float]) -> float:
    """The least-squares slope of ``log(error)`` against ``log(1/steps)``: ``p`` when the error
    falls as ``steps^{-p}`` (step size ``h ∝ 1/steps``), in float64."""
    x = -torch.log(torch.tensor(list(steps), dtype=torch.float64))
    y = torch.log(torch.tensor(list(errors), dtype=torch.float64))
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / (x * x).sum())


__all__ = ["measured_order"]
