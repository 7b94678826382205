"""Denoising score matching (MATH.md §5a)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..processes.gaussian import GaussianDiffusion
from ..spaces.base import expand_batch
from .base import Loss, Noised

Weighting = Callable[[Process, Tensor, Tensor], Tensor]


def kl_weighting(process: Process, x: Tensor, t: Tensor) -> Tensor:
    """``λ = D_t(x)``: the KL weighting; the loss then equals the path KL up to a constant."""
    return process.block(Diffusion).diffusion_matrix_diag(process.space, x, t)


def time_scaled_weighting(scale: Callable[[Tensor], Tensor]) -> Weighting:
    """``λ = D_t(x) · c(t)``: the KL weighting rescaled over time by ``c`` (``scale``), a named
    reweighting with the same per-sample minimiser (``λ`` reads only ``t`` and ``x_t``). With
    ``c(t)`` proportional to the kernel's variance it is the ε-loss of that kernel: the targets'
    noise no longer grows like ``1/t`` and drowns the gradient at small ``t``."""

    def weighting(process: Process, x: Tensor, t: Tensor) -> Tensor:
        return kl_weighting(process, x, t) * expand_batch(scale(t), x)

    return weighting


def eps_weighting(process: Process, x: Tensor, t: Tensor) -> Tensor:
    """``λ = s_t²``: the usual ε-loss ``½|ε_θ - ε|²`` of Gaussian kernels (not a KL bound)."""
    if not isinstance(process, GaussianDiffusion):
        raise TypeError("eps_weighting needs a Gaussian kernel N(α_t x_0, s_t² I)")
    return expand_batch(process.std(t) ** 2, x)


class DenoisingScoreMatching(Loss):
    """``ℓ = E ½ | s_θ(x_t, t) - ∇log p_{t|0}(x_t | x_0) |²_λ``, ``t ~ U(t_min, T)``,
    ``x_t ~ p_{t|0}(·|x_0)``; ``λ = D_t`` (:func:`kl_weighting`, default) or ``s_t²``
    (:func:`eps_weighting`). Needs the diffusion block and an exact transition."""

    def __init__(self, process: Process, weighting: Weighting = kl_weighting) -> None:
        process.block(Diffusion)
        process.require("exact_transition", "denoising score matching")
        super().__init__(process)
        self.weighting = weighting

    def kl_form(self) -> DenoisingScoreMatching:
        return DenoisingScoreMatching(self.process, kl_weighting)

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return Noised(self.process.sample_transition(x0, t, generator))

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        p, xt = self.process, noised.xt
        target = p.conditional_score(xt, x0, t)
        err = model.score(xt, t, context) - target
        w = self.weighting(p, xt, t)
        return 0.5 * (w * err**2).reshape(x0.shape[0], -1).sum(1)
