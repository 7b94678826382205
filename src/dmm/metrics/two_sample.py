"""Two-sample metrics between samples ``x`` of shape ``(n, ...)`` and ``y`` of shape ``(m, ...)``.

Trailing dimensions are flattened, so each row is one point of ``R^d``. Computations run in
``float64`` on the device of ``x``; pairwise sums are accumulated over row blocks, so memory stays
at one ``(chunk, m)`` block (``n = m = 5000`` in ``d = 64`` takes well under a second on a CPU).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

__all__ = [
    "Metric",
    "as_rows",
    "default_bandwidths",
    "energy_distance",
    "ks_per_feature",
    "mmd",
    "noise_floor",
    "sliced_wasserstein",
    "two_sample_report",
]

Metric = Callable[[torch.Tensor, torch.Tensor], float]
"""A two-sample metric ``metric(x, y) -> float``."""

_BLOCK_ELEMENTS = 1 << 20  # entries per block of the pairwise matrix (8 MiB in float64)


def as_rows(
    x: torch.Tensor | np.ndarray,
    device: torch.device | None = None,
    name: str = "x",
    finite: bool = True,
) -> torch.Tensor:
    """``x`` (a tensor or an array of shape ``(n, ...)``) as ``(n, d)`` float64 rows on
    ``device``; a ``ValueError`` for a 0-d input and, with ``finite``, for rows holding NaN or
    infinite values (diverged samples would otherwise give a number: a C2ST AUC of 1, a recall
    of 0)."""
    x = torch.as_tensor(x)
    if x.ndim == 0:
        raise ValueError(f"{name} needs a leading sample axis, got a 0-d value")
    flat = x.detach().reshape(x.shape[0], math.prod(x.shape[1:])).to(device, torch.float64)
    bad = ~torch.isfinite(flat).all(dim=1)
    if finite and bad.any():
        rows = bad.nonzero().flatten().tolist()
        shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
        raise ValueError(
            f"{name} has NaN or infinite values in {len(rows)} row(s) (counted from 0): {shown}"
        )
    return flat


def _pair(
    x: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, min_rows: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Flatten to ``(n, d)`` / ``(m, d)`` float64 on ``x``'s device and check the sizes agree."""
    a = as_rows(x)
    b = as_rows(y, a.device, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x has {a.shape[1]} features per sample but y has {b.shape[1]}")
    if min(len(a), len(b)) < min_rows:
        raise ValueError(f"need at least {min_rows} samples in each set, got {len(a)} and {len(b)}")
    return a, b


def _chunk(chunk_size: int | None, width: int) -> int:
    return chunk_size or max(1, _BLOCK_ELEMENTS // max(width, 1))


def _sq_dists(block: torch.Tensor, b: torch.Tensor, b_sq: torch.Tensor) -> torch.Tensor:
    d2 = block @ b.T
    d2.mul_(-2.0).add_((block * block).sum(dim=1)[:, None]).add_(b_sq[None, :])
    return d2.clamp_(min=0.0)


def _cross_mean(
    a: torch.Tensor,
    b: torch.Tensor,
    fn: Callable[[torch.Tensor], torch.Tensor],
    chunk_size: int | None,
) -> float:
    """``mean_{i,j} fn(|a_i - b_j|^2)`` accumulated over blocks of rows of ``a``."""
    chunk = _chunk(chunk_size, len(b))
    b_sq = (b * b).sum(dim=1)
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for start in range(0, len(a), chunk):
        total += fn(_sq_dists(a[start : start + chunk], b, b_sq)).sum()
    return float(total) / (len(a) * len(b))


def _within_mean(
    a: torch.Tensor,
    fn: Callable[[torch.Tensor], torch.Tensor],
    unbiased: bool,
    chunk_size: int | None,
) -> float:
    """``mean_{i != j} fn(|a_i - a_j|^2)`` (U-statistic) or ``mean_{i, j}`` (V-statistic).

    Only the upper triangle is computed: each block of rows is paired with itself and later rows.
    """
    n = len(a)
    chunk = _chunk(chunk_size, n)
    a_sq = (a * a).sum(dim=1)
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for start in range(0, n, chunk):
        block = a[start : start + chunk]
        d2 = _sq_dists(block, a[start:], a_sq[start:])
        rows = torch.arange(len(block), device=a.device)
        d2[rows, rows] = 0.0  # exact zeros, not round-off, on the diagonal
        values = fn(d2)
        if unbiased:
            values[rows, rows] = 0.0
        total += values[:, : len(block)].sum() + 2.0 * values[:, len(block) :].sum()
    return float(total) / (n * (n - 1) if unbiased else n * n)


def energy_distance(
    x: torch.Tensor, y: torch.Tensor, *, unbiased: bool = True, chunk_size: int | None = None
) -> float:
    """Energy distance ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` (the squared form).

    With ``unbiased=True`` the within-sample terms are U-statistics (diagonal excluded), so the
    estimate is unbiased and can be slightly negative when the laws agree. With ``unbiased=False``
    it is the V-statistic, which is always ``>= 0`` and biased upward by ``O(1/n)``.
    """
    a, b = _pair(x, y, min_rows=2 if unbiased else 1)
    # Distances are translation invariant; centring keeps |a|^2 + |b|^2 - 2ab precise.
    center = torch.cat([a, b]).mean(dim=0)
    a, b = a - center, b - center
    cross = _cross_mean(a, b, torch.sqrt, chunk_size)
    within_x = _within_mean(a, torch.sqrt, unbiased, chunk_size)
    within_y = _within_mean(b, torch.sqrt, unbiased, chunk_size)
    return 2.0 * cross - within_x - within_y


def default_bandwidths(z: torch.Tensor, max_points: int = 1000) -> tuple[float, float, float]:
    """The median pairwise distance ``h`` of ``z`` (on at most ``max_points`` evenly spaced rows)
    times ``(0.5, 1, 2)``; ``h = 1`` if the median is zero."""
    flat = as_rows(z, name="z")
    if len(flat) > max_points:
        idx = torch.linspace(0, len(flat) - 1, max_points, device=flat.device).round().long()
        flat = flat[idx]
    h = float(torch.pdist(flat).median()) if len(flat) > 1 else 0.0
    if not math.isfinite(h) or h <= 0.0:
        h = 1.0
    return (0.5 * h, h, 2.0 * h)


def mmd(
    x: torch.Tensor,
    y: torch.Tensor,
    bandwidths: Sequence[float] | None = None,
    *,
    unbiased: bool = True,
    chunk_size: int | None = None,
) -> float:
    """Squared maximum mean discrepancy with the kernel ``sum_h exp(-|a - b|^2 / (2 h^2))``.

    ``bandwidths`` defaults to :func:`default_bandwidths` of the pooled sample. With
    ``unbiased=True`` the within-sample terms exclude the diagonal (the unbiased MMD^2, which can
    be slightly negative); with ``unbiased=False`` it is the V-statistic, always ``>= 0``.
    """
    a, b = _pair(x, y, min_rows=2 if unbiased else 1)
    hs = tuple(bandwidths) if bandwidths is not None else default_bandwidths(torch.cat([a, b]))
    if not hs or any(h <= 0 for h in hs):
        raise ValueError(f"bandwidths must be a non-empty sequence of positive numbers, got {hs}")
    center = torch.cat([a, b]).mean(dim=0)
    a, b = a - center, b - center
    scales = [-0.5 / h**2 for h in hs]

    def kernel(d2: torch.Tensor) -> torch.Tensor:
        total = torch.exp(d2 * scales[0])
        for scale in scales[1:]:
            total += torch.exp(d2 * scale)
        return total

    cross = _cross_mean(a, b, kernel, chunk_size)
    within_x = _within_mean(a, kernel, unbiased, chunk_size)
    within_y = _within_mean(b, kernel, unbiased, chunk_size)
    return within_x + within_y - 2.0 * cross


def sliced_wasserstein(
    x: torch.Tensor,
    y: torch.Tensor,
    n_projections: int = 256,
    generator: torch.Generator | None = None,
) -> float:
    """Sliced 2-Wasserstein distance ``sqrt(E_u W2^2(u.X, u.Y))``, ``u`` uniform on the sphere.

    Each 1-D ``W2^2`` between the projected empirical laws is exact: it integrates the squared
    difference of the two quantile functions over the merged grid of their breakpoints (for
    ``n == m`` this is the mean squared difference of the sorted projections). ``generator``
    draws the directions; ``None`` means a fresh generator seeded with 0, so results repeat.
    """
    a, b = _pair(x, y)
    if n_projections < 1:
        raise ValueError(f"n_projections must be positive, got {n_projections}")
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    directions = torch.randn(a.shape[1], n_projections, generator=generator, dtype=torch.float64)
    directions = (directions / directions.norm(dim=0, keepdim=True)).to(a.device)
    pa = torch.sort(a @ directions, dim=0).values
    pb = torch.sort(b @ directions, dim=0).values
    n, m = len(pa), len(pb)
    if n == m:
        squared = ((pa - pb) ** 2).mean(dim=0)
    else:
        ends = torch.cat([torch.arange(1, k + 1, dtype=torch.float64) / k for k in (n, m)])
        ends = torch.sort(ends).values.to(a.device)
        starts = torch.cat([ends.new_zeros(1), ends[:-1]])
        mid = 0.5 * (starts + ends)
        ia = torch.clamp((mid * n).long(), max=n - 1)
        ib = torch.clamp((mid * m).long(), max=m - 1)
        squared = ((ends - starts)[:, None] * (pa[ia] - pb[ib]) ** 2).sum(dim=0)
    return math.sqrt(float(squared.mean()))


def ks_per_feature(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Two-sample Kolmogorov–Smirnov statistic ``sup_t |F_x(t) - F_y(t)|`` per flattened feature.

    Returns a ``float64`` tensor of shape ``(d,)``; ties are handled as in
    ``scipy.stats.ks_2samp`` (both empirical CDFs are right-continuous).
    """
    a, b = _pair(x, y)
    sa = torch.sort(a.T.contiguous(), dim=1).values
    sb = torch.sort(b.T.contiguous(), dim=1).values
    pooled = torch.cat([sa, sb], dim=1)
    cdf_a = torch.searchsorted(sa, pooled, right=True).double() / sa.shape[1]
    cdf_b = torch.searchsorted(sb, pooled, right=True).double() / sb.shape[1]
    return (cdf_a - cdf_b).abs().amax(dim=1)


def noise_floor(metric: Metric, data: torch.Tensor, n: int, generator: torch.Generator) -> float:
    """``metric`` between two disjoint random subsets of ``data`` with ``n`` rows each.

    This is the value the metric takes when both sets come from the same law at this sample
    size. If ``data`` has fewer than ``2 n`` rows, ``n = len(data) // 2`` is used.
    """
    n = min(n, len(data) // 2)
    if n < 2:
        raise ValueError(f"noise floor needs at least 4 rows of data and n >= 2, got {len(data)}")
    perm = torch.randperm(len(data), generator=generator).to(data.device)
    return float(metric(data[perm[:n]], data[perm[n : 2 * n]]))


def two_sample_report(
    samples: torch.Tensor,
    reference: torch.Tensor,
    floor_data: torch.Tensor,
    n: int,
    generator: torch.Generator,
) -> dict[str, float]:
    """Energy, MMD^2 and sliced W2 between ``samples`` and ``reference``, each with its noise floor.

    Both the value and its floor use the same ``n_eff = min(n, len(samples), len(reference),
    len(floor_data) // 2)`` rows, the same MMD bandwidths (from ``floor_data``) and the same SW
    directions. Energy and MMD^2 are the V-statistics here (``unbiased=False``): they are
    positive, so ``ratio = value / floor`` is well defined; a ratio near 1 means ``samples`` are as
    close to ``reference`` as two independent draws from ``floor_data`` (ideally held out from
    ``reference``) are to each other.

    Returns:
        ``{name, name_floor, name_ratio}`` for ``name`` in ``energy, mmd, sliced_w2``, plus
        ``n`` (the ``n_eff`` used).
    """
    n_eff = min(n, len(samples), len(reference), len(floor_data) // 2)
    if n_eff < 2:
        raise ValueError(f"need at least 2 rows per set for the report, got n_eff = {n_eff}")
    bandwidths = default_bandwidths(floor_data)
    projection_seed, split_seed = torch.randint(0, 2**62, (2,), generator=generator).tolist()

    def sliced(a: torch.Tensor, b: torch.Tensor) -> float:
        return sliced_wasserstein(a, b, generator=torch.Generator().manual_seed(projection_seed))

    metrics: dict[str, Metric] = {
        "energy": lambda a, b: energy_distance(a, b, unbiased=False),
        "mmd": lambda a, b: mmd(a, b, bandwidths, unbiased=False),
        "sliced_w2": sliced,
    }
    report: dict[str, float] = {"n": float(n_eff)}
    for name, metric in metrics.items():
        value = metric(samples[:n_eff], reference[:n_eff])
        floor = noise_floor(metric, floor_data, n_eff, torch.Generator().manual_seed(split_seed))
        report[name] = value
        report[f"{name}_floor"] = floor
        report[f"{name}_ratio"] = _ratio(value, floor)
    return report


def _ratio(value: float, floor: float) -> float:
    if floor > 0:
        return value / floor
    return math.inf if value > 0 else math.nan
