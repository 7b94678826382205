"""An exact ratio oracle for Lévy OU started at its stationary law (MATH.md §9).

With jumps that are Gaussian scale mixtures (``Z = √V ξ``) and no Brownian part, the stationary
law of :class:`~dmm.processes.levy_ou.LevyOU` is itself a scale mixture,
``q(x) = E_v N(x; 0, v I)`` with ``v = Σ_k e^{-2θ τ_k} V_k`` over the jumps of the past, a
function of ``|x|`` only. Started at ``q``, the process keeps ``p_t = q`` for every ``t``, so the
backward ratio ``ρ(y, x) = q(x)/q(y)`` is known: :class:`StationaryLevyRatio` tabulates
``log q`` by Monte Carlo over ``v`` (``m`` draws, with the process's own latent sampler run from
0 for a time of ``40/θ``, residual weight ``e^{-40}``) on a grid uniform in ``asinh |x|``, and
interpolates linearly. Any change of the law of ``|y|`` under the backward process with this
ratio is sampler error, and any loss must be minimised by it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..processes.levy_ou import LevyOU


class StationaryLevyRatio(nn.Module):
    """``log ρ(y, x) = log q(x) - log q(y)``, ``q`` the stationary density of ``process``
    (module doc); ``score`` is 0 (``σ = 0``: the backward drift does not read it)."""

    #: exact antisymmetry: ``log ρ(y, x) = -log ρ(x, y)``
    antisymmetric = True

    def __init__(
        self,
        process: LevyOU,
        m: int = 100_000,
        half_width: float = 12.0,
        nodes: int = 601,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if process.sigma != 0:
            raise ValueError("the stationary oracle is for Lévy OU without a Brownian part")
        d = process.dim
        g = torch.Generator().manual_seed(seed)
        x0 = torch.zeros(m, d, dtype=torch.float64)
        horizon = torch.tensor(40.0 / process.theta, dtype=torch.float64)
        v = process.sample_latent(x0, horizon, g)[1][:, -1].clamp_min(1e-300)
        self.half_width, self.nodes = float(half_width), int(nodes)
        r = torch.sinh(torch.linspace(0, half_width, nodes, dtype=torch.float64))
        log_norm = -0.5 * d * torch.log(2 * math.pi * v)
        rows = [torch.logsumexp(-0.5 * c[:, None] ** 2 / v + log_norm, 1) for c in r.split(64)]
        self.register_buffer("log_q", torch.cat(rows) - math.log(m))

    def log_density(self, x: Tensor) -> Tensor:
        """``log q(x)`` per row (float64), linear in ``asinh |x|`` between grid nodes."""
        r = x.double().reshape(x.shape[0], -1).norm(dim=1)
        pos = torch.asinh(r).clamp(max=self.half_width) / self.half_width * (self.nodes - 1)
        i = pos.floor().clamp(0, self.nodes - 2).long()
        f = pos - i
        return self.log_q[i] * (1 - f) + self.log_q[i + 1] * f

    def log_ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return (self.log_density(x) - self.log_density(y)).to(y.dtype)

    def log_ratios_to(
        self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None
    ) -> Tensor:
        n, k = x.shape[0], x.shape[1]
        lx = self.log_density(x.reshape(n * k, *x.shape[2:])).reshape(n, k)
        return (lx - self.log_density(y)[:, None]).to(y.dtype)

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.zeros_like(y)


__all__ = ["StationaryLevyRatio"]
