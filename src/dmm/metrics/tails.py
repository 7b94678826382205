"""Tails of ``|x|``: the Hill estimate of the tail index and quantile summaries.

For ``P(|x| > r) ~ C r^{-α}`` and the order statistics ``r_(1) ≥ r_(2) ≥ …`` of ``n`` draws, the
Hill estimator from the top ``k`` is

    α̂ = 1 / ( (1/k) Σ_{i ≤ k} log r_(i) - log r_(k+1) ),

consistent for ``k → ∞``, ``k/n → 0`` (Hill 1975); ``k = frac · n`` (default 1%). It reads the
tail index a heavy-tailed data set has (``levy-ou``'s ``nu=0`` matches its jump law to it) and
the index a model's samples have. Weissman's (1978) estimate of the quantile at level ``p`` beyond
the data extrapolates the power tail from ``r_(k+1)``:

    q̂_p = r_(k+1) · ( k / (n (1 - p)) )^{1/α̂},

what extreme-value theory reads off ``n`` rows far out: the yardstick for a model fitted to them.
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


def data_fraction(n: int) -> float:
    """The share of the top rows a data set's tail is read from: 1%, but at least 50 rows and at
    most 10% of them (``benchmarks/tail_index_estimates.py`` measures the choice)."""
    return min(max(0.01, 50 / n), 0.1)


def _top(x: Tensor, frac: float) -> tuple[Tensor, int]:
    """The radii sorted in descending order and ``k``, the number of top rows ``frac`` asks."""
    if not 0 < frac < 1:
        raise ValueError(f"frac must be in (0, 1), got {frac}")
    r = radii(x)
    if len(r) < 3:
        raise ValueError(f"the Hill estimate needs at least 3 finite rows, got {len(r)}")
    s = r.sort(descending=True).values
    return s, min(max(int(frac * len(s)), 2), len(s) - 1)


def hill_index(x: Tensor, frac: float = 0.01) -> float:
    """The Hill estimate of the tail index of ``|x|`` from the top ``frac`` of the rows of ``x``
    (``(n, *event)``; module doc). Raises ``ValueError`` with fewer than 3 finite rows or when
    the top radii are all equal (no tail to read)."""
    s, k = _top(x, frac)
    spread = (torch.log(s[:k]) - torch.log(s[k])).mean()
    if not spread > 0:
        raise ValueError("the largest radii are all equal: no tail to estimate an index from")
    return float(1.0 / spread)


def weissman_quantile(x: Tensor, level: float, frac: float = 0.01) -> float:
    """Weissman's estimate of the quantile of ``|x|`` at ``level`` (module doc): the power tail
    with the Hill index from the top ``frac`` of the rows, extrapolated from ``r_(k+1)``."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    s, k = _top(x, frac)
    return float(s[k] * (k / (len(s) * (1 - level))) ** (1 / hill_index(x, frac)))


def tail_summary(x: Tensor, levels: tuple[float, ...] = LEVELS) -> dict[str, float]:
    """Quantiles ``q<level>`` of ``|x|`` and the Hill index ``hill`` (top 1%)."""
    r = radii(x)
    out = {f"q{q}": float(torch.quantile(r, q)) for q in levels} if len(r) < 2**24 else {}
    out["hill"] = hill_index(r[:, None])
    return out


__all__ = ["LEVELS", "data_fraction", "hill_index", "radii", "tail_summary", "weissman_quantile"]
