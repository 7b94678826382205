"""A new block type in one file: a diffusion whose noise is correlated across coordinates.

The built-in ``Diffusion`` block has a diagonal ``σ``. ``CorrelatedDiffusion(drift, scale)`` is
``dX = b(X, t) dt + A dW`` on ``R^d`` with a constant ``d × d`` matrix ``A``, so ``D = A Aᵀ`` is full:

    generator       L_t f = b·∇f + ½ Σ_ij D_ij ∂_i ∂_j f
    backward drift  ←b = -b + ∇·D + D s_θ = -b + D s_θ      (MATH.md §2; D is constant)
    loss term       implicit score matching  ½ s_θᵀ D s_θ + ∇·(D s_θ)   (MATH.md §5b)
    sampler step    Euler–Maruyama  y ← y + ←b h + √h A ξ

:func:`correlated_ou` builds the process ``dX = -θX dt + A dW`` with ``A = chol(2θΣ)``, whose
stationary law ``N(0, Σ)`` is its reference. The last lines teach :func:`dmm.recipe.recipe` the
block, so ``recipe(correlated_ou(cov), data)`` needs nothing else (docs/extending.md).

A module to import, not a script: ``examples/extending.py`` trains and samples with it.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from dmm.losses import Loss
from dmm.networks import MLP
from dmm.processes import Block, Process, Reference
from dmm.recipe import BLOCK_RECIPES, BlockRecipe, register_block
from dmm.reversal import Reversal
from dmm.samplers import Sampler
from dmm.scores import ScoreParam
from dmm.spaces import Euclidean


class CorrelatedDiffusion(Block):
    """``dX = b(X, t) dt + A dW`` with a constant matrix ``A`` (``scale``), ``D = A Aᵀ``."""

    def __init__(self, drift, scale: Tensor) -> None:
        self.drift = drift
        self.scale = torch.as_tensor(scale, dtype=torch.get_default_dtype())
        self.D = self.scale @ self.scale.T

    def forward_step(self, space, x, t, h, generator) -> Tensor:
        """Euler–Maruyama: ``x + b h + √h A ξ``."""
        xi = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        h = h.reshape(-1, 1)
        return x + self.drift(x, t) * h + h.sqrt() * xi @ self.scale.T

    def generator(self, space, f, x, t) -> Tensor:
        """``b·∇f + ½ Σ_ij D_ij ∂_i ∂_j f`` (the Hessian by autograd, one row per coordinate)."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(
                f(x).sum(), x, create_graph=True, allow_unused=True, materialize_grads=True
            )
            second = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
            if grad.requires_grad:  # otherwise f is affine: no second derivatives
                for i in range(x.shape[1]):
                    (row,) = torch.autograd.grad(
                        grad[:, i].sum(), x, retain_graph=True, materialize_grads=True
                    )
                    second = second + (row * self.D[i]).sum(1)
        return ((self.drift(x, t) * grad).sum(1) + 0.5 * second).detach()


def backward_drift(rev: Reversal, y: Tensor, t: Tensor) -> Tensor:
    """``←b = -b + D s_θ`` (MATH.md §2 with constant ``D``)."""
    block = rev.process.block(CorrelatedDiffusion)
    return -block.drift(y, t) + rev.score(y, t) @ block.D.T


class CorrelatedScoreMatching(Loss):
    """``½ s_θᵀ D s_θ + ∇·(D s_θ)`` at ``x_t ~ p_t`` (simulated when there is no kernel)."""

    def __init__(self, process: Process) -> None:
        self.block = process.block(CorrelatedDiffusion)  # names the block if it is missing
        super().__init__(process)

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        xt = noised.xt.detach().requires_grad_(True)
        s = model.score(xt, t, context)
        ds = s @ self.block.D.T
        div = sum(
            torch.autograd.grad(ds[:, i].sum(), xt, create_graph=True)[0][:, i]
            for i in range(ds.shape[1])
        )
        return 0.5 * (s * ds).sum(1) + div


class CorrelatedEulerMaruyama(Sampler):
    """``y ← y + ←b h + √h A ξ``, ``h = t - t_next``."""

    supports: ClassVar[frozenset[type]] = frozenset({CorrelatedDiffusion})
    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1  # one backward drift (one score) per step

    def step(self, rev, y, t, t_next, generator) -> Tensor:
        block = rev.process.block(CorrelatedDiffusion)
        xi = torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
        h = (t - t_next).reshape(-1, 1)
        return y + backward_drift(rev, y, t) * h + h.sqrt() * xi @ block.scale.T


class GaussianReference(Reference):
    """``N(0, Σ)`` on ``R^d``."""

    def __init__(self, cov: Tensor) -> None:
        self.cov = torch.as_tensor(cov, dtype=torch.get_default_dtype())
        self.chol = torch.linalg.cholesky(self.cov)

    def sample(self, n: int, generator=None, device=None) -> Tensor:
        z = torch.randn(n, self.cov.shape[0], generator=generator)
        return (z @ self.chol.T).to(device)

    def log_prob(self, x: Tensor) -> Tensor:
        z = torch.linalg.solve_triangular(self.chol, x.T, upper=False).T
        half_logdet = torch.log(torch.diagonal(self.chol)).sum()
        return -0.5 * (z**2).sum(1) - half_logdet - 0.5 * x.shape[1] * math.log(2 * math.pi)


def correlated_ou(cov: Tensor, theta: float = 1.0, T: float = 5.0) -> Process:
    """``dX = -θX dt + A dW``, ``A Aᵀ = 2θΣ``: stationary ``N(0, Σ)``, reached up to ``e^{-θT}``."""
    cov = torch.as_tensor(cov, dtype=torch.get_default_dtype())
    block = CorrelatedDiffusion(lambda x, t: -theta * x, torch.linalg.cholesky(2 * theta * cov))
    space = Euclidean(cov.shape[0])
    return Process(space, (block,), GaussianReference(cov), T=T, name="CorrelatedOU")


if CorrelatedDiffusion not in BLOCK_RECIPES:  # importing this file twice registers it once
    register_block(
        CorrelatedDiffusion,
        BlockRecipe(
            model=lambda p, hidden, depth, context_dim: ScoreParam(
                MLP(p.space.dim, p.space.dim, hidden, depth, context_dim), p
            ),
            head=lambda p: ScoreParam(None, p),  # its slice of the joint network in a product
            loss=CorrelatedScoreMatching,
            sampler=lambda p: CorrelatedEulerMaruyama(),
            sample_steps=500,
        ),
    )
