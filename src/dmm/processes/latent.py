"""A latent Gaussian kernel for any process with a diffusion block on ``R^d``, from its simulation.

Simulate ``X`` with fine steps up to ``s = (1 - κ) t``, apply the other blocks over ``[s, t]``
(exactly, e.g. the jumps' compound-Poisson step), then take the diffusion block's Euler step of size
``δ = κ t`` last. Given ``Γ`` = everything drawn before that step, ``X_t`` is Gaussian,

    p_{t|Γ} = N(m, diag(v)),   m = y + b_s(y) δ,   v = σ_s(y)² δ,

so the simulated marginal is the mixture ``p_t = E_Γ p_{t|Γ}`` that the denoising losses over a latent
kernel need (MATH.md §5a with ``Γ`` in place of ``x_0``, and the denoising form of §5d for jumps).
This is the law of a scheme whose last step is coarse (``κ t``): the closer ``κ`` to 0, the closer to
the process and the noisier the targets (their variance grows like ``1/(κ t)``). Rows with ``v = 0``
are atoms.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..spaces import Euclidean
from .base import MissingCapability, Process, expand_time
from .diffusion import Diffusion


class SimulatedLatentKernel:
    """``sample_latent`` / ``latent_log_density`` for ``process`` (module doc); ``fraction`` is
    ``κ``. Needs a Euclidean space and one diffusion block."""

    def __init__(self, process: Process, fraction: float = 0.25) -> None:
        if not isinstance(process.space, Euclidean):
            raise MissingCapability(
                f"a simulated latent kernel needs a Euclidean space, not {process.space.name}"
            )
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        self.process, self.fraction = process, float(fraction)
        self.diffusion = process.block(Diffusion)

    def __repr__(self) -> str:
        return f"SimulatedLatentKernel({self.process.name}, fraction={self.fraction})"

    def __eq__(self, other: object) -> bool:  # one kernel per (process, κ): losses share draws
        return (
            isinstance(other, SimulatedLatentKernel)
            and other.process is self.process
            and other.fraction == self.fraction
        )

    def __hash__(self) -> int:
        return hash((id(self.process), self.fraction))

    def sample_latent(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        p, n = self.process, x0.shape[0]
        t = expand_time(t, n, x0)
        delta = self.fraction * t
        s = t - delta
        x = p.simulate_forward(x0, s, generator) if bool((s > 0).any()) else x0
        for block in p.blocks:  # the other blocks over [s, t], then the diffusion's step
            if block is not self.diffusion:
                x = block.forward_step(p.space, x, s, delta, generator)
        d = self.diffusion
        dd = delta.reshape(n, *[1] * (x0.ndim - 1))
        mean = x + d.tangent_drift(p.space, x, s) * dd
        var = (d.diffusion(x, s) ** 2 * dd).expand_as(x)
        xi = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        xt = mean + var.sqrt() * xi
        latent = torch.cat([mean.reshape(n, -1), var.reshape(n, -1)], 1)
        return xt, latent, (var.reshape(n, -1) == 0).all(1)

    def latent_log_density(self, x: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``log N(x; m, diag(v))`` with ``Γ = (m, v)`` (rows with ``v > 0``)."""
        n = x.shape[0]
        k = latent.shape[1] // 2
        mean, var = latent[:, :k], latent[:, k:].clamp_min(torch.finfo(x.dtype).tiny)
        sq = (x.reshape(n, -1) - mean) ** 2 / var
        return -0.5 * (sq + torch.log(2 * math.pi * var)).sum(1)


__all__ = ["SimulatedLatentKernel"]
