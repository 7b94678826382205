"""Implicit score matching (MATH.md §5b): needs only samples of ``p_t``."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..spaces.base import exact_divergence
from .base import Loss, Noised


class ImplicitScoreMatching(Loss):
    """``ℓ = E_{x~p_t} [ ½ s_θᵀ D s_θ + ∇·(D s_θ) ]`` with ``x_t`` simulated (or sampled exactly).

    ``divergence="exact"`` differentiates each coordinate (cost ∝ d); ``"hutchinson"`` uses
    ``εᵀ ∂(D s_θ)/∂x ε`` with Rademacher ``ε`` (unbiased, one backward pass).
    """

    def __init__(
        self, process: Process, divergence: Literal["exact", "hutchinson"] = "exact"
    ) -> None:
        self.block = process.block(Diffusion)
        if divergence not in ("exact", "hutchinson"):
            raise ValueError(f"divergence must be 'exact' or 'hutchinson', got {divergence!r}")
        super().__init__(process)
        self.divergence = divergence

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        p = self.process
        n = x0.shape[0]
        xt = noised.xt.detach().requires_grad_(True)
        s = model.score(xt, t, context)
        ds = self.block.diffusion_matrix_diag(p.space, xt, t) * s
        quad = 0.5 * (s * ds).reshape(n, -1).sum(1)
        flat = ds.reshape(n, -1)
        if self.divergence == "exact":
            div = exact_divergence(ds, xt, create_graph=True)
        else:
            eps = torch.randint(0, 2, flat.shape, generator=generator, device=xt.device)
            eps = (2 * eps - 1).to(flat.dtype)
            (g,) = torch.autograd.grad((flat * eps).sum(), xt, create_graph=True)
            div = (g.reshape(n, -1) * eps).sum(1)
        return quad + div
