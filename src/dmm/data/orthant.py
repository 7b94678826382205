"""Positive data: Gaussian mixtures restricted to the orthant ``(0, ∞)^d``, and real positive data
sets from scikit-learn exported to ``.npy``.

A mixture ``Σ_k w_k N(μ_k, diag s_k²)`` restricted to the orthant and renormalised is again a
mixture, of truncated components, with weights ``∝ w_k Z_k`` (``Z_k`` the mass of component ``k``
on the orthant); with diagonal covariances each truncated component is a product of one-dimensional
truncated normals, sampled exactly by the inverse CDF. Components centred near an axis put a lot of
mass right at the boundary, where the score is singular.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from dmm.spaces.positive import log_bound

__all__ = ["OrthantMixture", "export_sklearn", "orthant_gmm_2d", "orthant_gmm_10d"]

_DTYPE = torch.float32


class OrthantMixture:
    """``p ∝ 1{x > 0} Σ_k w_k N(μ_k, diag s_k²)`` with exact sampling."""

    def __init__(self, weights: Tensor, means: Tensor, stds: Tensor) -> None:
        self.means = torch.as_tensor(means, dtype=torch.float64)
        self.stds = torch.as_tensor(stds, dtype=torch.float64).expand_as(self.means)
        w = torch.as_tensor(weights, dtype=torch.float64)
        self.lower_cdf = torch.special.ndtr(-self.means / self.stds)  # P(N_k,i <= 0)
        mass = (1 - self.lower_cdf).prod(1)  # Z_k
        self.weights = w * mass / (w * mass).sum()

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        if n < 0:
            raise ValueError(f"number of samples must be non-negative, got {n}")
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        u = torch.rand(n, self.dim, generator=generator, dtype=torch.float64)
        lo = self.lower_cdf[k]
        q = (lo + u * (1 - lo)).clamp(max=1 - 1e-16)
        x = self.means[k] + self.stds[k] * torch.special.ndtri(q)
        # a draw can round to 0 (probability ~1e-16 per coordinate): keep it in the float-safe
        # orthant
        return x.to(_DTYPE).clamp_min(math.exp(-log_bound(_DTYPE)))


def _mixture_2d() -> OrthantMixture:
    means = torch.tensor([[0.0, 2.0], [2.0, 0.0], [1.5, 1.5], [0.2, 0.2]])
    stds = torch.tensor([[0.3, 0.4], [0.4, 0.3], [0.3, 0.3], [0.15, 0.15]])
    return OrthantMixture(torch.tensor([0.3, 0.3, 0.25, 0.15]), means, stds)


def _mixture_10d() -> OrthantMixture:
    g = torch.Generator().manual_seed(1234)  # fixed layout, independent of the caller's seed
    k, d = 5, 10
    means = 0.5 + 2.5 * torch.rand(k, d, generator=g, dtype=torch.float64)
    touching = torch.rand(k, d, generator=g, dtype=torch.float64) < 0.4
    means[touching] = 0.0  # these components straddle the axis: half their mass is cut off
    stds = 0.2 + 0.4 * torch.rand(k, d, generator=g, dtype=torch.float64)
    return OrthantMixture(torch.full((k,), 1.0 / k), means, stds)


MIXTURE_2D = _mixture_2d()
MIXTURE_10D = _mixture_10d()


def orthant_gmm_2d(n: int, generator: torch.Generator) -> Tensor:
    """``(n, 2)`` samples of a 4-component mixture restricted to the quadrant; two components sit on
    the axes, one at the corner."""
    return MIXTURE_2D.sample(n, generator)


def orthant_gmm_10d(n: int, generator: torch.Generator) -> Tensor:
    """``(n, 10)`` samples of a 5-component mixture restricted to the orthant; about 40% of the
    component coordinates are centred on an axis."""
    return MIXTURE_10D.sample(n, generator)


def export_sklearn(name: str, path: str | Path) -> Path:
    """Write scikit-learn's ``load_wine`` (``name="wine"``, 178×13, all positive) or
    ``load_breast_cancer`` (``"breast-cancer"``, as ``dmm data`` names the table, or
    ``"breast_cancer"``; 569×30; 13 rows hold zeros, so the orthant processes reject it with a
    :class:`~dmm.spaces.SupportError` naming them) to ``path`` (.npy)."""
    from sklearn import datasets  # optional extra (metrics)

    loaders = {"wine": datasets.load_wine, "breast-cancer": datasets.load_breast_cancer}
    name = name.replace("_", "-")
    if name not in loaders:
        raise ValueError(f"unknown data set '{name}' (known: {sorted(loaders)})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(loaders[name]().data, dtype=np.float64))
    return path


def _register() -> None:
    from dmm.data.registry import BUILTIN_DATASETS, DatasetInfo, register_dataset
    from dmm.spaces import PositiveOrthant

    for name, fn, info in (
        (
            "orthant-gmm-2d",
            orthant_gmm_2d,
            DatasetInfo(
                PositiveOrthant(2), "4 Gaussians cut to the quadrant, two on the axes, one at 0"
            ),
        ),
        (
            "orthant-gmm-10d",
            orthant_gmm_10d,
            DatasetInfo(
                PositiveOrthant(10), "5 Gaussians cut to the orthant, 40% of their means on an axis"
            ),
        ),
    ):
        if name not in BUILTIN_DATASETS:
            register_dataset(name, fn, info)


_register()
