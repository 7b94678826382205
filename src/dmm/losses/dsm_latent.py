"""Denoising score matching over a latent kernel (MATH.md §5a with ``p_t = E_Γ p_{t|Γ}``).

For a process that declares ``has_latent_kernel`` (``sample_latent``, ``latent_log_density``),
``∇p_t = E_Γ ∇p_{t|Γ}``, so the §5a argument goes through with ``Γ`` in place of ``x_0``:

    ℓ = E_{t, x_0, Γ, y~p_{t|Γ}} ½ | s_θ(y, t) - ∇_y log p_{t|Γ}(y) |²_{D_t(y)},

equal to ``½ ∫ E_{p_t} |s_θ - ∇log p_t|²_D dt`` (the diffusion part of the path KL, MATH.md §4) up
to a θ-free constant. For :class:`~dmm.processes.LevyOU` with Gaussian-scale-mixture jumps,
``p_{t|Γ} = N(m, vI)`` and the target is ``-(y - m)/v``. The conditional score is taken by autograd
of ``latent_log_density`` (generic over processes). Atom rows (``p_{t|Γ}`` a point mass) have no
score and contribute 0: this is exact only where ``D = 0`` on them, as for Lévy OU with ``σ = 0``
(a process with atoms and ``D > 0`` has no score to match).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from .base import Loss, Noised
from .dsm import Weighting, kl_weighting


class LatentScoreMatching(Loss):
    """``ℓ = E ½ |s_θ(y, t) - ∇log p_{t|Γ}(y)|²_λ`` with ``(y, Γ) ~`` :meth:`sample_latent`;
    ``λ = D_t`` (KL weighting, default) or any :data:`~dmm.losses.dsm.Weighting`."""

    def __init__(self, process: Process, weighting: Weighting = kl_weighting, kernel=None) -> None:
        process.block(Diffusion)
        if kernel is None:
            process.require("latent_kernel", "latent score matching")
        #: the object with ``sample_latent``/``latent_log_density`` (default: the process)
        self.kernel = kernel or process
        super().__init__(process)
        self.weighting = weighting

    def kl_form(self) -> LatentScoreMatching:
        return LatentScoreMatching(self.process, kl_weighting, self.kernel)

    def noise_key(self) -> tuple:
        return ("latent", self.kernel)

    def target(self, y: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``∇_y log p_{t|Γ}(y)`` (autograd of :meth:`latent_log_density`)."""
        with torch.enable_grad():
            yg = y.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self.kernel.latent_log_density(yg, latent, t).sum(), yg)
        return g

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return Noised(*self.kernel.sample_latent(x0, t, generator))

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        return self.per_sample_at(model, noised.xt, noised.latent, noised.atom, t, context)

    def per_sample_at(
        self,
        model: nn.Module,
        y: Tensor,
        latent: Tensor,
        atom: Tensor,
        t: Tensor,
        context: Tensor | None = None,
    ) -> Tensor:
        """The loss at given ``(y, Γ, atom) ~ sample_latent`` and times ``t``."""
        n = y.shape[0]
        target = self.target(y, latent, t)
        err = model.score(y, t, context) - target
        w = self.weighting(self.process, y, t)
        per = 0.5 * (w * err**2).reshape(n, -1).sum(1)
        return torch.where(atom, torch.zeros_like(per), per)


__all__ = ["LatentScoreMatching"]
