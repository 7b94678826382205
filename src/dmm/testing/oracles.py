"""Exact oracles (MATH.md §9): Gaussian mixtures pushed through Gaussian kernels."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..processes.gaussian import GaussianDiffusion
from ..spaces.base import expand_batch


class GaussianMixture:
    """``p = Σ_k w_k N(μ_k, v_k I)`` on ``R^d`` with exact sampling, log-density and score.

    Under a kernel ``N(α x_0, s² I)`` it stays a mixture: ``p_t = Σ_k w_k N(α μ_k, (α² v_k + s²) I)``
    (:meth:`diffuse`), so ``∇ log p_t`` is exact at every ``t``.
    """

    def __init__(self, weights: Tensor, means: Tensor, variances: Tensor) -> None:
        self.weights = torch.as_tensor(weights, dtype=torch.float64)
        self.weights = self.weights / self.weights.sum()
        self.means = torch.as_tensor(means, dtype=torch.float64)
        self.variances = torch.as_tensor(variances, dtype=torch.float64).expand(len(self.weights))
        self.dim = self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        x = self.means[k] + self.variances[k].sqrt()[:, None] * z
        return x.to(torch.get_default_dtype())

    def _component_logits(
        self, x: Tensor, alpha: Tensor, std: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        # per-sample (alpha, std) of shape (n,); returns logits (n, K), means (n, K, d), vars (n, K)
        x = x.to(torch.float64)
        a, s = alpha.to(torch.float64)[:, None], std.to(torch.float64)[:, None]
        var = a**2 * self.variances[None] + s**2
        mu = a[..., None] * self.means[None]
        sq = ((x[:, None, :] - mu) ** 2).sum(-1)
        logits = (
            torch.log(self.weights)[None]
            - 0.5 * sq / var
            - 0.5 * self.dim * torch.log(2 * math.pi * var)
        )
        return logits, mu, var

    def log_prob(self, x: Tensor, alpha: Tensor | None = None, std: Tensor | None = None) -> Tensor:
        """``log p_t(x)`` for the diffused mixture (``alpha=1, std=0`` gives the data law)."""
        alpha = torch.ones(x.shape[0]) if alpha is None else alpha
        std = torch.zeros(x.shape[0]) if std is None else std
        logits, _, _ = self._component_logits(x, alpha, std)
        return torch.logsumexp(logits, dim=1).to(x.dtype)

    def score(self, x: Tensor, alpha: Tensor | None = None, std: Tensor | None = None) -> Tensor:
        """``∇ log p_t(x) = Σ_k π_k(x) (α μ_k - x)/(α² v_k + s²)`` (posterior weights ``π_k``)."""
        alpha = torch.ones(x.shape[0]) if alpha is None else alpha
        std = torch.zeros(x.shape[0]) if std is None else std
        logits, mu, var = self._component_logits(x, alpha, std)
        post = torch.softmax(logits, dim=1)
        comp = (mu - x.to(torch.float64)[:, None, :]) / var[..., None]
        return (post[..., None] * comp).sum(1).to(x.dtype)


class ExactScore(nn.Module):
    """The exact score ``∇ log p_t`` of mixture data under a Gaussian process, as a model object
    usable wherever a trained score model is (reversal, samplers, losses)."""

    def __init__(self, process: GaussianDiffusion, mixture: GaussianMixture) -> None:
        super().__init__()
        self.process, self.mixture = process, mixture

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.mixture.score(y, self.process.alpha(t), self.process.std(t))

    def forward(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.score(y, t, context)


def standard_mixture(dim: int = 2) -> GaussianMixture:
    """A fixed, well-separated 3-component mixture used across the oracle tests."""
    means = torch.zeros(3, dim, dtype=torch.float64)
    means[0, 0], means[1, 0], means[2, :2] = -2.0, 2.0, torch.tensor([0.0, 2.5])
    return GaussianMixture(torch.tensor([0.3, 0.3, 0.4]), means, torch.tensor([0.1, 0.2, 0.15]))


__all__ = ["ExactScore", "GaussianMixture", "standard_mixture", "expand_batch"]
