"""Tails of ``|x|``: the Hill estimate of the tail index and quantile summaries.

For ``P(|x| > r) ~ C r^{-α}`` and the order statistics ``r_(1) ≥ r_(2) ≥ …`` of ``n`` draws, the
Hill estimator from the top ``k`` is

    α̂ = 1 / ( (1/k) Σ_{i ≤ k} log r_(i) - log r_(k+1) ),

consistent for ``k → ∞``, ``k/n → 0`` (Hill 1975); ``k = frac · n`` (default 1%). It reads the
tail index a heavy-tailed data set has (``levy-ou``'s ``nu=0`` matches its jump law to it) and
the index a model's samples have.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: the quantile levels of ``|x|`` reported by :func:`tail_summary`
LEVELS = (0.99, 0.999, 0.9999)


def radii(x: Tensor) -> Tensor:
    """``|x|`` per row (float64), non-finite rows dropped."""
    r = x.double().reshape(x.shape[0], -1).norm(dim=1)
    return r[torch.isfinite(r)]


def hill_index(x: Tensor, frac: float = 0.01) -> float:
    """The Hill estimate of the tail index of ``|x|`` from the top ``frac`` of the rows of ``x``
    (``(n, *event)``; module doc). Raises ``ValueError`` with fewer than 3 finite rows or when
    the top radii are all equal (no tail to read)."""
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in (0, 1), got {frac}")
    r = radii(x)
    if len(r) < 3:
        raise ValueError(f"the Hill estimate needs at least 3 finite rows, got {len(r)}")
    s = r.sort(descending=True).values
    k = min(max(int(frac * len(s)), 2), len(s) - 1)
    spread = (torch.log(s[:k]) - torch.log(s[k])).mean()
    if not spread > 0:
        raise ValueError("the largest radii are all equal: no tail to estimate an index from")
    return float(1.0 / spread)


def tail_summary(x: Tensor, levels: tuple[float, ...] = LEVELS) -> dict[str, float]:
    """Quantiles ``q<level>`` of ``|x|`` and the Hill index ``hill`` (top 1%)."""
    r = radii(x)
    out = {f"q{q}": float(torch.quantile(r, q)) for q in levels} if len(r) < 2**24 else {}
    out["hill"] = hill_index(r[:, None])
    return out


__all__ = ["LEVELS", "hill_index", "radii", "tail_summary"]
