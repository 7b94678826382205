"""The Cox–Ingersoll–Ross process on ``(0, ∞)``, an oracle for processes without a closed-form
kernel: its stationary law is known, so a free simulation can be checked against it.

``dX = κ(θ - X) dt + c √X dW``, generator ``L f = κ(θ - x) f' + ½ c² x f''``. Its stationary law is
``Gamma(shape 2κθ/c², scale c²/2κ)``; for ``2κθ >= c²`` (Feller) the axis is never reached. The
default ``κ = θ = c = 1`` is ``dX = (1 - X) dt + √X dW`` with stationary ``Gamma(2, 1/2)`` (99%
quantile 3.32), the process of issue 11 whose log-coordinate simulation blew up to ``10¹⁵``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..processes.references import Reference
from ..spaces.positive import PositiveOrthant, clamp_positive


class Gamma(Reference):
    """Independent ``Gamma(shape, scale)`` coordinates on ``(0, ∞)^d`` (Lebesgue density)."""

    def __init__(self, dim: int, shape: float, scale: float) -> None:
        if shape <= 0 or scale <= 0:
            raise ValueError(f"Gamma needs shape > 0 and scale > 0, got {shape}, {scale}")
        self.event_shape = (int(dim),)
        self.shape, self.scale = float(shape), float(scale)

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        # torch's own Gamma sampler takes no generator: Marsaglia–Tsang on the generator's device
        where = generator.device if generator is not None else device
        x = _standard_gamma((n, *self.event_shape), self.shape, generator, where) * self.scale
        return clamp_positive(x).to(device) if device is not None else clamp_positive(x)

    def log_prob(self, x: Tensor) -> Tensor:
        a, s = self.shape, self.scale
        lp = (a - 1) * torch.log(x) - x / s - math.lgamma(a) - a * math.log(s)
        return lp.reshape(x.shape[0], -1).sum(1)

    def __repr__(self) -> str:
        return f"Gamma(shape={self.shape}, scale={self.scale})"


def _standard_gamma(
    shape: tuple[int, ...], a: float, generator: torch.Generator | None, device
) -> Tensor:
    """``Gamma(a, 1)`` by Marsaglia–Tsang (``a >= 1``; ``a < 1`` through ``G(a+1) U^{1/a}``)."""
    boost = a < 1
    d = (a + 1 if boost else a) - 1 / 3
    c = 1 / math.sqrt(9 * d)
    n = math.prod(shape)
    draw = {"generator": generator, "dtype": torch.float64, "device": device}
    out = torch.empty(0, dtype=torch.float64, device=device)
    while out.numel() < n:  # acceptance > 95%: one round, rarely two
        z, u = torch.randn(2 * n, **draw), torch.rand(2 * n, **draw)
        v = (1 + c * z) ** 3
        ok = (v > 0) & (torch.log(u) < 0.5 * z**2 + d - d * v + d * torch.log(v.clamp_min(1e-300)))
        out = torch.cat([out, (d * v)[ok]])
    x = out[:n]
    if boost:
        x = x * torch.rand(n, **draw) ** (1 / a)
    return x.reshape(shape).to(torch.get_default_dtype())


def cir(
    kappa: float = 1.0,
    theta: float = 1.0,
    c: float = 1.0,
    T: float = 5.0,
    simulation_steps: int = 100,
    t_min: float = 1e-3,
    space: PositiveOrthant | None = None,
) -> Process:
    """``dX = κ(θ - X) dt + c √X dW`` on ``space`` (default ``PositiveOrthant(1, resolved=0.25)``,
    whose step leaves log coordinates where they are unresolved; the plain ``PositiveOrthant(1)``
    blows up) with its
    stationary Gamma law as the reference (by ``T = 5/κ`` the start is forgotten up to ``e^{-5}``).
    No closed-form kernel: marginals are simulated with ``simulation_steps`` steps."""
    space = space or PositiveOrthant(1, resolved=0.25)
    block = Diffusion(drift=lambda x, t: kappa * (theta - x), diffusion=lambda x, t: c * x.sqrt())
    reference = Gamma(1, 2 * kappa * theta / c**2, c**2 / (2 * kappa))
    return Process(
        space,
        (block,),
        reference=reference,
        T=T,
        t_min=t_min,
        simulation_steps=simulation_steps,
        name="CIR",
    )


__all__ = ["Gamma", "cir"]
