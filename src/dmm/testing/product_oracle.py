"""Exact oracle for products (MATH.md §10): a Gaussian diffusion factor beside a one-coordinate
chain, with joint data ``p_0 = Σ_c π_c δ_c(x²) N(x¹; μ_c, v_c I)`` (the category shifts the mean).

Both kernels are known, so the joint marginal is a finite mixture in closed form,

    p_t(x¹, x²) = Σ_c π_c P_t(c, x²) N(x¹; α_t μ_c, (α_t² v_c + s_t²) I),   P_t = exp(B(t) R),

and so are the score of the continuous factor, ``∇_{x¹} log p_t = Σ_c w_c (α_t μ_c - x¹)/(α_t² v_c +
s_t²)`` with posterior weights ``w_c ∝`` the terms above, the chain's ratios
``p_t(x¹, v)/p_t(x¹, x²)`` and its posterior ``p(x²_0 = a | x_t)``. :meth:`ProductMixture.view`
serves them in the form a :class:`~dmm.scores.product.ProductModel` does, so the product loss
and sampler can be checked against the truth.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..processes.chains import ChainProcess
from ..processes.gaussian import GaussianDiffusion
from ..processes.product import ProductProcess


class ProductMixture:
    """Mixture data for ``product(GaussianDiffusion(d), ChainProcess(d=1, S))`` and its exact
    score coordinates (module doc). ``weights`` ``(S,)``, ``means`` ``(S, d)``, ``variances``
    ``(S,)``."""

    def __init__(
        self, process: ProductProcess, weights: Tensor, means: Tensor, variances: Tensor
    ) -> None:
        gauss, chain = process.factors
        if not isinstance(gauss, GaussianDiffusion) or not isinstance(chain, ChainProcess):
            raise TypeError("ProductMixture needs product(GaussianDiffusion, ChainProcess)")
        if chain.d != 1 or len(weights) != chain.S:
            raise ValueError("the chain factor must have one coordinate with S = len(weights)")
        self.process, self.gauss, self.chain = process, gauss, chain
        self.weights = torch.as_tensor(weights, dtype=torch.float64) / float(sum(weights))
        self.means = torch.as_tensor(means, dtype=torch.float64)
        self.variances = torch.as_tensor(variances, dtype=torch.float64)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Rows ``(x¹, c)`` of the data law."""
        c = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.means.shape[1], generator=generator, dtype=torch.float64)
        x = self.means[c] + self.variances[c].sqrt()[:, None] * z
        return self.process.space.join([x.to(torch.get_default_dtype()), c[:, None]])

    def logits(self, x: Tensor, v: Tensor, t: Tensor) -> Tensor:
        """``log [π_c P_t(c, v) N(x; α μ_c, var_c)]`` over ``c``: ``(n, S)`` for states ``v``
        ``(n,)``; also returns the component means and variances."""
        x = x.to(torch.float64)
        a = self.gauss.alpha(t).to(torch.float64)[:, None]
        s = self.gauss.std(t).to(torch.float64)[:, None]
        var = a**2 * self.variances[None] + s**2  # (n, S)
        mu = a[..., None] * self.means[None]  # (n, S, d)
        sq = ((x[:, None, :] - mu) ** 2).sum(-1)
        gauss = -0.5 * sq / var - 0.5 * x.shape[1] * torch.log(2 * math.pi * var)
        P = self.chain.chain.transition_matrix(self.chain.chain.integral(t))  # (n, n_states, ·)
        S = self.chain.S
        trans = torch.gather(P[:, :S, :], 2, v.long().reshape(-1, 1, 1).expand(-1, S, 1))[..., 0]
        return torch.log(self.weights)[None] + torch.log(trans.clamp_min(1e-300)) + gauss, mu, var

    def view(self, k: int):
        return _ScoreView(self) if k == 0 else _ChainView(self)


class _ScoreView:
    def __init__(self, oracle: ProductMixture) -> None:
        self.oracle = oracle

    def score(self, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        logits, mu, var = self.oracle.logits(x, context[:, 0], t)
        w = torch.softmax(logits, dim=1)
        comp = (mu - x.to(torch.float64)[:, None, :]) / var[..., None]
        return (w[..., None] * comp).sum(1).to(x.dtype)


class _ChainView:
    def __init__(self, oracle: ProductMixture) -> None:
        self.oracle = oracle

    def log_ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``log p_t(x¹, v) - log p_t(x¹, y)`` over ``v``: ``(n, 1, n_states)``."""
        n, n_states = y.shape[0], self.oracle.chain.n_states
        logp = torch.stack(
            [
                torch.logsumexp(self.oracle.logits(context, torch.full((n,), v), t)[0], dim=1)
                for v in range(n_states)
            ],
            dim=1,
        )
        lr = logp - torch.gather(logp, 1, y.long().reshape(n, 1))
        return lr.clamp(-60, 60).to(torch.get_default_dtype())[:, None, :]

    def ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratios(y, t, context))

    def x0_probs(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``p(x²_0 = a | x_t)`` over ``a < S``: ``(n, 1, S)``."""
        logits = self.oracle.logits(context, y[:, 0], t)[0]
        return torch.softmax(logits, dim=1).to(torch.get_default_dtype())[:, None, :]


__all__ = ["ProductMixture"]
