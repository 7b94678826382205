"""Denoising score matching (MATH.md §5a)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..processes.gaussian import GaussianDiffusion
from ..spaces.base import expand_batch
from .base import Loss, Noised

Weighting = Callable[[Process, Tensor, Tensor], Tensor]
#: ``target(process, x_t, x_0, t, context) -> (batch, ...)``: what the score is regressed on
Target = Callable[[Process, Tensor, Tensor, Tensor, Tensor | None], Tensor]


def conditional_target(
    process: Process, xt: Tensor, x0: Tensor, t: Tensor, context: Tensor | None = None
) -> Tensor:
    """``∇log p_{t|0}(x_t | x_0)``, each row's own conditional score (Vincent's DSM target)."""
    return process.conditional_score(xt, x0, t)


def batch_posterior_target(
    process: Process, xt: Tensor, x0: Tensor, t: Tensor, context: Tensor | None = None
) -> Tensor:
    """The stable target field (Xu et al. 2023): row ``i``'s conditional score averaged over the
    batch's data rows ``j`` under their posterior given ``x_t^i``,

        ŝ_i = Σ_j w_ij ∇log p_{t|0}(x_t^i | x_0^j),   w_ij ∝ p_{t|0}(x_t^i | x_0^j),

    a self-normalised estimate of ``E[∇log p_{t|0}(x_t | X_0) | x_t] = ∇log p_t(x_t)``, the
    minimiser of DSM. Row ``i``'s own ``x_0^i`` is among the ``j``, so where the kernel is narrow
    (small ``t``) the weights sit on it and ``ŝ_i`` is the DSM target; where it is wide, ``ŝ_i``
    averages out the noise of one draw. Bias ``O(1/n)`` in the batch size ``n``: consistent, not
    unbiased. With ``context`` only rows of the same context (exactly equal) enter, so a
    conditional model learns ``∇log p_t(x_t | c)``; continuous contexts reduce to DSM.

    For a Gaussian kernel ``N(α_t x_0, s_t² I)`` the conditional score is linear in ``x_0``:
    ``ŝ_i = -(x_t^i - α_t x̄_0^i) / s_t²`` with ``x̄_0^i = Σ_j w_ij x_0^j`` and
    ``log w_ij = (α_t x_t^i·x_0^j - ½ α_t² |x_0^j|²) / s_t² + const_i``; one ``n × n`` matrix.
    """
    if not isinstance(process, GaussianDiffusion):
        raise TypeError("the batch posterior target needs a Gaussian kernel N(α_t x_0, s_t² I)")
    n = x0.shape[0]
    a, s = process.kernel(t)
    a, s2 = a.reshape(n, 1), s.reshape(n, 1) ** 2
    rows, noisy = x0.reshape(n, -1), xt.reshape(n, -1)
    logits = (a * (noisy @ rows.T) - 0.5 * a**2 * (rows**2).sum(1)) / s2
    if context is not None:
        c = context.reshape(n, -1)
        logits = logits.masked_fill(~(c[:, None] == c[None]).all(-1), -math.inf)
    mean = torch.softmax(logits, dim=1) @ rows
    return (-(noisy - a * mean) / s2).reshape(xt.shape)


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
    (:func:`eps_weighting`). Needs the diffusion block and an exact transition.

    ``target`` replaces the conditional score by another estimate of ``∇log p_t(x_t)`` with the
    same minimiser, e.g. :func:`batch_posterior_target`; :meth:`kl_form` (the error report) always
    uses the conditional score, whose loss is the path KL up to a constant."""

    def __init__(
        self,
        process: Process,
        weighting: Weighting = kl_weighting,
        target: Target = conditional_target,
    ) -> None:
        process.block(Diffusion)
        process.require("exact_transition", "denoising score matching")
        super().__init__(process)
        self.weighting, self.target = weighting, target

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
        target = self.target(p, xt, x0, t, context)
        err = model.score(xt, t, context) - target
        w = self.weighting(p, xt, t)
        return 0.5 * (w * err**2).reshape(x0.shape[0], -1).sum(1)
