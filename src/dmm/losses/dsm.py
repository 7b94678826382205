"""Denoising score matching (MATH.md §5a)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..spaces.base import expand_batch
from .base import Loss, Noised
from .times import StraightPathTimes

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

    It needs a kernel that is Gaussian in some coordinates ``u``
    (:meth:`~dmm.processes.Process.gaussian_coordinates`): ``u(X_t) | x_0 ~ N(α u(x_0) + c,
    diag v)``. The conditional score is then affine in ``u(x_0)``, so ``ŝ_i`` is the conditional
    score at the posterior mean ``ū_0^i = Σ_j w_ij u(x_0^j)``, and (the Jacobian of ``u`` at
    ``x_t^i`` does not depend on ``j``)

        log w_ij = Σ_k [α (u(x_t^i) - c)_k u(x_0^j)_k - ½ α² u(x_0^j)_k²] / v_k + const_i,

    one ``n × n`` matrix. For ``vp`` (``u = x``) ``ŝ_i = -(x_t^i - α_t ū_0^i) / s_t²``; for the
    orthant diffusions ``u`` is the standardised ``log x``.
    """
    kernel = process.gaussian_coordinates(t)
    n, to = x0.shape[0], kernel.coords.to
    rows, noisy = to(x0).reshape(n, -1), to(xt).reshape(n, -1)
    a = kernel.alpha.reshape(n, 1)
    precision = (a**2 / kernel.var).expand_as(noisy)
    logits = (a * (noisy - kernel.shift) / kernel.var) @ rows.T - 0.5 * precision @ (rows**2).T
    if context is not None:
        c = context.reshape(n, -1)
        logits = logits.masked_fill(~(c[:, None] == c[None]).all(-1), -math.inf)
    mean = torch.softmax(logits, dim=1) @ rows
    eps = (noisy - kernel.shift - a * mean) * torch.rsqrt(kernel.var)
    return kernel.noise_score(eps, xt.reshape(n, -1)).reshape(xt.shape)


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
    """``λ = v_t / (du/dx)²`` for a kernel that is ``N(α_t u_0 + c_t, diag v_t)`` in some
    coordinates ``u`` (:meth:`~dmm.processes.CoordinateGaussian.noise_weight`): the usual ε-loss
    ``½|ε_θ - ε|²`` (not a KL bound). ``λ = s_t²`` for the Gaussian diffusions, ``v_t x²`` for
    the orthant diffusions (``log X_t`` Gaussian)."""
    kernel = process.gaussian_coordinates(t)
    return kernel.noise_weight(x.reshape(x.shape[0], -1)).reshape(x.shape)


def velocity_weighting(process: Process, x: Tensor, t: Tensor) -> Tensor:
    """``λ = λ_ε (1 + σ_t)²``, with :func:`eps_weighting`'s ``λ_ε`` and ``σ_t = s_t/α_t`` for a
    kernel ``N(α_t u_0 + c_t, s_t² I)`` in some coordinates ``u``: at each time, flow matching's
    velocity error ``|v_θ - (ε - u_0)|²`` (``v̂ - v = (1 + σ_t)(ε̂ - ε)``), under whatever time
    law the loss draws. In ``u_0``'s units a term weighs ``(1 + α_t/s_t)² |û_0 - u_0|²``: at
    least 1 at every noise level, where the ε-loss weighs ``α_t²/s_t²``, which vanishes near
    pure noise, the very times at which a model shown a row's other cells
    (:class:`~dmm.losses.ObservedSubsets`) must learn what they say of the rest. Not a KL
    bound."""
    kernel = process.gaussian_coordinates(t)
    a, s = kernel.isotropic("velocity_weighting")
    flat = x.reshape(x.shape[0], -1)
    return (kernel.noise_weight(flat) * (1 + s / a) ** 2).reshape(x.shape)


def straight_weighting(process: Process, x: Tensor, t: Tensor) -> Tensor:
    """``λ = λ_ε (1 + σ_t)² (T - t_min) q(t)``, with :func:`eps_weighting`'s ``λ_ε``,
    ``σ_t = s_t/α_t`` for a kernel ``N(α_t u_0, s_t² I)`` in some coordinates ``u``, and ``q``
    the density of :class:`~dmm.losses.times.StraightPathTimes`: drawn from that law, each row's
    weight is ``w λ = λ_ε (1 + σ_t)²``, and the loss is conditional flow matching's (Lipman et
    al. 2022) for this kernel, ``E_u |v_θ - (ε - u_0)|²`` with ``u = s_t/(α_t + s_t) ~ U``
    (since ``v̂ - v = (1 + σ_t)(ε̂ - ε)``). It weights large noise far more than the ε-loss,
    which is what few-step samplers need. Not a KL bound. Draw ``t`` from that law
    (``loss.with_times(StraightPathTimes())``; the catalogue's ``weighting=straight`` does):
    under uniform times the weights span orders of magnitude near ``T``."""
    process.gaussian_coordinates(t).isotropic("straight_weighting")
    q = StraightPathTimes().density(process, t)[:, None]
    lam = velocity_weighting(process, x, t).reshape(x.shape[0], -1)
    return (lam * (process.T - process.t_min) * q).reshape(x.shape)


class DenoisingScoreMatching(Loss):
    """``ℓ = E ½ | s_θ(x_t, t) - ∇log p_{t|0}(x_t | x_0) |²_λ``, ``t ~ U(t_min, T)``,
    ``x_t ~ p_{t|0}(·|x_0)``; ``λ = D_t`` (:func:`kl_weighting`, default) or ``s_t²``
    (:func:`eps_weighting`). Needs the diffusion block and an exact transition.

    ``target`` replaces the conditional score by another estimate of ``∇log p_t(x_t)`` with the
    same minimiser, e.g. :func:`batch_posterior_target`; :meth:`kl_form` (the error report) always
    uses the conditional score, whose loss is the path KL up to a constant."""

    scores_entries = True

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
        terms = self.weighting(p, xt, t) * err**2
        if noised.scored is not None:
            terms = terms * noised.scored.reshape(terms.shape)
        return 0.5 * terms.reshape(x0.shape[0], -1).sum(1)
