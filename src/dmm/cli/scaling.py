"""A per-column affine map ``x ↦ (x - mean) / scale``: how a run standardises its data (the
processes on ``R^d``) and its context rows, recorded in ``config.yaml`` and inverted for samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class ColumnScaling:
    """``encode(x) = (x - mean) / scale`` per coordinate of a row (trailing axes flattened):
    from :meth:`fit`, the coordinate's mean and standard deviation (1 where that is 0); from
    :meth:`robust`, the midpoint of its quartiles (in ``mean``, the centre) and half their
    distance."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]

    @classmethod
    def fit(cls, rows: Tensor) -> ColumnScaling:
        """Mean and spread of the rows whose coordinates are all finite (others are left to the
        state space's check, which names them)."""
        flat = rows.reshape(len(rows), -1).double()
        flat = flat[torch.isfinite(flat).all(dim=1)]
        if len(flat) == 0:
            return cls((0.0,) * rows[0].numel(), (1.0,) * rows[0].numel())
        std = flat.std(dim=0, unbiased=False)
        scale = torch.where(std > 0, std, torch.ones_like(std))
        return cls(tuple(flat.mean(0).tolist()), tuple(scale.tolist()))

    @classmethod
    def robust(cls, rows: Tensor, unit_spread: float) -> ColumnScaling:
        """Centre and spread of the rows whose coordinates are all finite, from the coordinate's
        quartiles ``q₁ ≤ q₃``: the centre (in ``mean``) is their midpoint ``(q₁ + q₃)/2``, and
        ``scale`` is half their distance ``(q₃ - q₁)/2`` over ``unit_spread`` (that of the law
        whose spread counts as 1). Where the quartiles tie (most rows share one value: a
        zero-inflated coordinate) the spread is the median distance of the other rows to that
        value, and 1 where there are none (a constant coordinate). For a law symmetric about
        ``m`` these are its median ``m`` and its median absolute deviation ``q₃ - m``. Both exist for laws
        without a mean or a variance (heavy tails, where a standard deviation is ruled by a few
        rows), move with an affine map of the data, and stay between the modes of data with
        two balanced modes, where the median and the deviation from it land on either mode
        and at a fraction of its width (a coordinate of four narrow Gaussians at ±2 came out
        centred on 1.86 and scaled by 0.44, putting half the rows 8.8 spreads from the centre).
        """
        flat = rows.reshape(len(rows), -1).double()
        flat = flat[torch.isfinite(flat).all(dim=1)]
        if len(flat) == 0:
            return cls((0.0,) * rows[0].numel(), (1.0,) * rows[0].numel())
        q1, q3 = _quantile(flat, 0.25), _quantile(flat, 0.75)
        centre, spread = (q1 + q3) / 2, (q3 - q1) / 2 / unit_spread
        for k in torch.nonzero(spread == 0).flatten().tolist():  # tied quartiles: the median
            off = flat[flat[:, k] != centre[k], k : k + 1]  # distance of the other rows to the tie
            if len(off):
                spread[k] = _quantile((off - centre[k]).abs(), 0.5)[0] / unit_spread
        scale = torch.where(spread > 0, spread, torch.ones_like(spread))
        return cls(tuple(centre.tolist()), tuple(scale.tolist()))

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> ColumnScaling:
        """From ``{"mean": [...], "scale": [...]}`` (``ValueError`` if malformed)."""
        try:
            mean = tuple(float(v) for v in entry["mean"])
            scale = tuple(float(v) for v in entry["scale"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"a column scaling needs numeric mean and scale lists ({exc})"
            ) from None
        if len(mean) != len(scale) or any(not s > 0 for s in scale):
            raise ValueError("a column scaling needs as many positive scales as means")
        return cls(mean, scale)

    def to_config(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "scale": list(self.scale)}

    def _tensors(self, like: Tensor) -> tuple[Tensor, Tensor]:
        shape = like.shape[1:]
        mean = torch.tensor(self.mean, dtype=torch.float64, device=like.device).reshape(shape)
        scale = torch.tensor(self.scale, dtype=torch.float64, device=like.device).reshape(shape)
        return mean, scale

    def encode(self, x: Tensor) -> Tensor:
        """Rows in the model's coordinates (the dtype of ``x`` if floating, else float32)."""
        mean, scale = self._tensors(x)
        dtype = x.dtype if x.is_floating_point() else torch.float32
        return ((x.double() - mean) / scale).to(dtype)

    def decode(self, y: Tensor) -> Tensor:
        """Rows back in the data's coordinates."""
        mean, scale = self._tensors(y)
        return (y.double() * scale + mean).to(y.dtype)


def _quantile(flat: Tensor, q: float) -> Tensor:
    """The ``q``-quantile of each column of ``flat`` ``(n, k)``, interpolated linearly between
    order statistics as ``torch.quantile`` does (which refuses more than 2^24 elements)."""
    ordered = flat.sort(dim=0).values
    at = q * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (at - low) * (ordered[high] - ordered[low])


__all__ = ["ColumnScaling"]
