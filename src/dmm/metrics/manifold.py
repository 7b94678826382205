"""Precision and recall of the k-nearest-neighbour manifold kind (Kynkäänniemi et al. 2019,
"Improved precision and recall metric for assessing generative models").

The manifold of a point set ``A`` is the union of the closed balls ``B(a, r_k(a))``, ``a ∈ A``,
where ``r_k(a)`` is the distance from ``a`` to its ``k``-th nearest *other* point of ``A``.
**Precision** is the share of samples inside the manifold of the reference (are the samples
where the data are?); **recall** is the share of reference points inside the manifold of the
samples (is all of the data covered?). Unlike a distance between laws, the two separate the two
failures: mass in empty regions lowers precision, a missing mode lowers recall.

Rows are flattened, so ``(n, ...)`` tensors are ``n`` points of ``R^d``; distances are Euclidean,
computed in ``float64`` on the device of ``samples`` over blocks of rows, so memory stays at one
``(chunk, m)`` block of the pairwise matrix (``n = m = 2000`` in ``d = 64`` takes about a second
on one CPU core; the cost is ``O((n + m)^2 d)``).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from .two_sample import as_rows

__all__ = ["in_knn_manifold", "knn_radii", "precision_recall"]

_BLOCK_ELEMENTS = 1 << 20  # entries per block of the pairwise matrix (8 MiB in float64)


def _check_k(k: int, n: int, what: str) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k >= n:
        raise ValueError(f"k = {k} needs at least k + 1 = {k + 1} {what}, got {n}")


def _blocks(n_rows: int, width: int, chunk_size: int | None) -> Iterator[slice]:
    """Slices of at most ``chunk`` rows covering ``range(n_rows)``; by default a block of the
    ``(chunk, width)`` pairwise matrix holds about 2^20 entries."""
    chunk = chunk_size or max(1, _BLOCK_ELEMENTS // max(width, 1))
    for start in range(0, n_rows, chunk):
        yield slice(start, min(start + chunk, n_rows))


def _dists(block: Tensor, points: Tensor) -> Tensor:
    """``|block_i - points_j|`` for all pairs, from the differences themselves (not the
    ``|a|^2 + |b|^2 - 2ab`` expansion): equal rows are at distance exactly 0 and a pair's
    distance does not depend on the block it is computed in, so ties (discrete data, duplicated
    rows) are decided exactly."""
    return torch.cdist(block, points, compute_mode="donot_use_mm_for_euclid_dist")


def knn_radii(points: Tensor, k: int = 3, *, chunk_size: int | None = None) -> Tensor:
    """``(n,)`` float64 distances from each row of ``points`` to its ``k``-th nearest other row
    (a duplicate of a row counts as a neighbour at distance 0; the row itself does not)."""
    a = as_rows(points, name="points")
    _check_k(k, len(a), "points")
    radii = torch.empty(len(a), dtype=torch.float64, device=a.device)
    for rows in _blocks(len(a), len(a), chunk_size):
        d = _dists(a[rows], a)
        own = torch.arange(rows.start, rows.stop, device=a.device)
        d[own - rows.start, own] = torch.inf  # a row is not its own neighbour
        radii[rows] = torch.topk(d, k, dim=1, largest=False).values[:, -1]
    return radii


def in_knn_manifold(
    points: Tensor,
    centers: Tensor,
    radii: Tensor,
    *,
    chunk_size: int | None = None,
) -> Tensor:
    """``(n,)`` bool: whether each row of ``points`` lies in a closed ball ``B(c_j, radii_j)``
    around some row ``c_j`` of ``centers`` (``radii`` from :func:`knn_radii` of ``centers``); a
    row holding NaN lies in none."""
    p = as_rows(points, name="points", finite=False)
    c = as_rows(centers, p.device, "centers")
    if p.shape[1] != c.shape[1]:
        raise ValueError(f"points have {p.shape[1]} features per row but centers {c.shape[1]}")
    r = radii.to(device=p.device, dtype=torch.float64).reshape(-1)
    if len(r) != len(c):
        raise ValueError(f"{len(r)} radii for {len(c)} centers")
    inside = torch.zeros(len(p), dtype=torch.bool, device=p.device)
    if len(c) == 0:
        return inside
    for rows in _blocks(len(p), len(c), chunk_size):
        inside[rows] = (_dists(p[rows], c) <= r[None, :]).any(dim=1)
    return inside


def precision_recall(
    samples: Tensor, reference: Tensor, k: int = 3, *, chunk_size: int | None = None
) -> dict[str, float | int]:
    """k-NN precision and recall of ``samples`` against ``reference`` (module docstring).

    Returns:
        ``{"precision", "recall", "k", "n_samples", "n_reference"}``: precision is the share of
        samples inside the reference's k-NN manifold, recall the share of reference rows inside
        the samples' k-NN manifold; both in ``[0, 1]``.

    Raises:
        ValueError: ``k`` is not a positive integer, either set has ``k`` rows or fewer, or the
            two sets have different numbers of features per row.
    """
    x = as_rows(samples, name="samples")
    y = as_rows(reference, x.device, "reference")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"samples have {x.shape[1]} features per row but reference {y.shape[1]}")
    _check_k(k, len(y), "reference rows")
    _check_k(k, len(x), "samples")
    precision = in_knn_manifold(x, y, knn_radii(y, k, chunk_size=chunk_size), chunk_size=chunk_size)
    recall = in_knn_manifold(y, x, knn_radii(x, k, chunk_size=chunk_size), chunk_size=chunk_size)
    return {
        "precision": float(precision.double().mean()),
        "recall": float(recall.double().mean()),
        "k": k,
        "n_samples": len(x),
        "n_reference": len(y),
    }
