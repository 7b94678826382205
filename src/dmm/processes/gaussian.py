"""Euclidean diffusions with Gaussian kernels: VP, VE, sub-VP and OU (MATH.md §6).

All four are linear SDEs ``dX = f(t) X dt + g(t) dW`` on ``R^d`` with
``p_{t|0}(x | x_0) = N(α_t x_0, s_t² I)``; they differ only in ``f``, ``g``, ``α`` and ``s``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from ..spaces import Euclidean
from ..spaces.base import expand_batch, whole_number
from .base import IDENTITY, CoordinateGaussian, MissingCapability, Process
from .diffusion import Diffusion
from .references import Normal
from .schedules import ConstantSchedule, LinearSchedule, Schedule


def gaussian_kernel(process: Process, what: str) -> GaussianDiffusion:
    """``process`` if it has a Gaussian kernel ``(α_t, s_t)``, else :class:`MissingCapability`
    naming ``what`` needed it."""
    if not isinstance(process, GaussianDiffusion):
        raise MissingCapability(
            f"{what} needs a Gaussian kernel N(α_t x_0, s_t² I) (VP, VE, sub-VP, OU); "
            f"{process.name} has none"
        )
    return process


class GaussianDiffusion(Process):
    """Linear diffusion ``L f = f(t) x·∇f + ½ g(t)² Δf`` with kernel ``N(α_t x_0, s_t² I)``.

    Backward generator: ``←L f = (-f(t) y + g(t)² ∇log p_t(y))·∇f + ½ g(t)² Δf``.
    Subclasses give ``drift_coeff`` (``f``), ``diffusion_sq`` (``g²``), ``alpha`` and ``std``.
    """

    has_exact_transition: ClassVar[bool] = True
    has_denoiser: ClassVar[bool] = True

    def __init__(self, dim: int, T: float, t_min: float, reference_std: float) -> None:
        if not 0 < t_min < T:
            raise ValueError(f"need 0 < t_min < T, got t_min={t_min}, T={T}")
        self.dim = whole_number(dim, f"{type(self).__name__}'s dim")
        block = Diffusion(self.drift, self.diffusion, state_dependent=False)
        reference = Normal((self.dim,), 0.0, reference_std)
        super().__init__(Euclidean(self.dim), (block,), reference, T, t_min)
        self.reference_std = float(reference_std)

    # generator blocks
    def drift_coeff(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def diffusion_sq(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def alpha(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def std(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        return expand_batch(self.drift_coeff(t), x) * x

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        return expand_batch(self.diffusion_sq(t).sqrt(), x)

    # exact kernel
    def kernel(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """``(α_t, s_t)`` together (one schedule evaluation where a subclass can share it)."""
        return self.alpha(t), self.std(t)

    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        a, s = self.kernel(t)
        return expand_batch(a, x0) * x0 + expand_batch(s, x0) * eps

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        a, s = self.kernel(t)
        a, s = expand_batch(a, xt), expand_batch(s, xt)
        return -(xt - a * x0) / s**2

    def gaussian_coordinates(self, t: Tensor) -> CoordinateGaussian:
        """``N(α_t x_0, s_t² I)`` in the coordinates ``x`` themselves."""
        a, s = self.kernel(t)
        return CoordinateGaussian(
            IDENTITY, a[:, None], torch.zeros_like(a)[:, None], s[:, None] ** 2
        )

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """Tweedie's mean ``E[X_0 | X_t = y] = (y + s_t² s_θ(y, t)) / α_t``."""
        a, s = expand_batch(self.alpha(t), y), expand_batch(self.std(t), y)
        return (y + s**2 * rev.score(y, t)) / a

    def input_scale(self, t: Tensor) -> Tensor:
        """``1/sqrt(α_t² + s_t²)``: keeps network inputs at unit scale for unit-scale data."""
        return torch.rsqrt(self.alpha(t) ** 2 + self.std(t) ** 2)

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``KL(N(α_T x_0, s_T² I) || N(0, v I))`` per sample, ``v`` the reference variance."""
        T = torch.full((x0.shape[0],), self.T, dtype=x0.dtype, device=x0.device)
        a2, s2, v = self.alpha(T) ** 2, self.std(T) ** 2, self.reference_std**2
        sq = (x0.reshape(x0.shape[0], -1) ** 2).sum(1)
        return 0.5 * (self.dim * (s2 / v - 1 - torch.log(s2 / v)) + a2 * sq / v)


class VP(GaussianDiffusion):
    """Variance-preserving SDE: ``b = -½β(t) x``, ``D = β(t) I``; ``α_t = e^{-B(t)/2}``,
    ``s_t² = 1 - α_t²``; reference ``N(0, I)``.

    Backward: ``←b(y) = ½β(t) y + β(t) ∇log p_t(y)``, ``←D = β(t) I``: generator ``L_t f =
    -½β(t) x·∇f + ½β(t) Δf``, backward generator ``←L_t f = ←b·∇f + ½β(t) Δf`` with the model's
    score ``s_θ`` for ``∇log p_t``.
    """

    def __init__(
        self, dim: int = 2, schedule: Schedule | None = None, T: float = 1.0, t_min: float = 1e-3
    ) -> None:
        super().__init__(dim, T, t_min, 1.0)
        self.schedule = schedule or LinearSchedule()

    def drift_coeff(self, t: Tensor) -> Tensor:
        return -0.5 * self.schedule.beta(t)

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return self.schedule.beta(t)

    def alpha(self, t: Tensor) -> Tensor:
        return torch.exp(-0.5 * self.schedule.integral(t))

    def std(self, t: Tensor) -> Tensor:
        return (-torch.expm1(-self.schedule.integral(t))).sqrt()

    def kernel(self, t: Tensor) -> tuple[Tensor, Tensor]:
        B = self.schedule.integral(t)
        return torch.exp(-0.5 * B), (-torch.expm1(-B)).sqrt()

    def input_scale(self, t: Tensor) -> Tensor:
        """``1``: ``α_t² + s_t² = 1`` for VP, so inputs of unit-scale data stay at unit scale."""
        return torch.ones_like(t)

    def __repr__(self) -> str:
        return f"VP(dim={self.dim}, schedule={self.schedule!r}, T={self.T})"


class OU(VP):
    """Ornstein–Uhlenbeck ``dX = -X dt + √2 dW`` (VP with constant ``β = 2``); ``α_t = e^{-t}``,
    ``s_t² = 1 - e^{-2t}``; reference ``N(0, I)``.

    Backward: ``←b(y) = y + 2 ∇log p_t(y)``, ``←D = 2 I``: generator ``L f = -x·∇f + Δf``,
    backward generator ``←L_t f = ←b·∇f + Δf``.
    """

    def __init__(self, dim: int = 2, T: float = 5.0, t_min: float = 1e-3) -> None:
        super().__init__(dim, ConstantSchedule(2.0), T, t_min)

    def __repr__(self) -> str:
        return f"OU(dim={self.dim}, T={self.T})"


class SubVP(VP):
    """Sub-VP SDE: ``b = -½β x``, ``D = β(1 - e^{-2B}) I``; ``α_t = e^{-B/2}``, ``s_t = 1 - α_t²``.

    Backward: ``←b(y) = ½β y + β(1 - e^{-2B}) ∇log p_t(y)``, same ``D``: generator ``L_t f =
    b·∇f + ½ D:∇²f``, backward generator ``←L_t f = ←b·∇f + ½ D:∇²f``.
    """

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return self.schedule.beta(t) * -torch.expm1(-2 * self.schedule.integral(t))

    def std(self, t: Tensor) -> Tensor:
        return -torch.expm1(-self.schedule.integral(t))

    kernel = GaussianDiffusion.kernel
    input_scale = GaussianDiffusion.input_scale  # α_t² + s_t² < 1 here

    def __repr__(self) -> str:
        return f"SubVP(dim={self.dim}, schedule={self.schedule!r}, T={self.T})"


class VE(GaussianDiffusion):
    """Variance-exploding SDE: ``b = 0``, ``D = dσ²/dt I`` with ``σ(t) = σ_min (σ_max/σ_min)^t``;
    kernel ``N(x_0, (σ(t)² - σ(0)²) I)``; reference ``N(0, σ_max² I)``.

    Backward: ``←b(y) = (dσ²/dt) ∇log p_t(y)``, ``←D = dσ²/dt I``: generator ``L_t f = ½
    (dσ²/dt) Δf``, backward generator ``←L_t f = ←b·∇f + ½ (dσ²/dt) Δf``.
    """

    def __init__(
        self,
        dim: int = 2,
        sigma_min: float = 0.01,
        sigma_max: float = 10.0,
        T: float = 1.0,
        t_min: float = 1e-3,
    ) -> None:
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
        if T != 1.0:
            raise ValueError("VE is defined on [0, 1]; T must be 1")
        super().__init__(dim, T, t_min, sigma_max)
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)

    def sigma(self, t: Tensor) -> Tensor:
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def drift_coeff(self, t: Tensor) -> Tensor:
        return torch.zeros_like(t)

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return 2 * self.sigma(t) ** 2 * math.log(self.sigma_max / self.sigma_min)

    def alpha(self, t: Tensor) -> Tensor:
        return torch.ones_like(t)

    def std(self, t: Tensor) -> Tensor:
        return (self.sigma(t) ** 2 - self.sigma_min**2).sqrt()

    def __repr__(self) -> str:
        return f"VE(dim={self.dim}, sigma_min={self.sigma_min}, sigma_max={self.sigma_max})"
