"""Noise schedules: a rate ``β(t) ≥ 0`` and its integral ``B(t) = ∫_0^t β(s) ds``."""

from __future__ import annotations

import math

import torch
from torch import Tensor


class Schedule:
    """A rate ``β(t)`` with closed-form integral ``B(t)``; both take and return tensors."""

    def beta(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def integral(self, t: Tensor) -> Tensor:
        raise NotImplementedError


class ConstantSchedule(Schedule):
    """``β(t) = c``, ``B(t) = c t``."""

    def __init__(self, rate: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = float(rate)

    def beta(self, t: Tensor) -> Tensor:
        return torch.full_like(t, self.rate)

    def integral(self, t: Tensor) -> Tensor:
        return self.rate * t

    def __repr__(self) -> str:
        return f"ConstantSchedule({self.rate})"


class LinearSchedule(Schedule):
    """``β(t) = β_min + t (β_max - β_min)``, ``B(t) = β_min t + ½ t² (β_max - β_min)`` (Song et al.)."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0) -> None:
        if not 0 <= beta_min <= beta_max or beta_max <= 0:
            raise ValueError(
                f"need 0 <= beta_min <= beta_max, beta_max > 0; got {beta_min}, {beta_max}"
            )
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)

    def beta(self, t: Tensor) -> Tensor:
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def integral(self, t: Tensor) -> Tensor:
        return self.beta_min * t + 0.5 * t**2 * (self.beta_max - self.beta_min)

    def __repr__(self) -> str:
        return f"LinearSchedule({self.beta_min}, {self.beta_max})"


class ExponentialSchedule(Schedule):
    """``β(t) = β_min (β_max/β_min)^t``, ``B(t) = β_min ((β_max/β_min)^t - 1) / log(β_max/β_min)``:
    ``B`` grows by the same factor per unit time, so a uniform time grid gives every decade of
    ``B`` the same share of its points (used for jump rates, where ``p_t`` changes on the scale
    of ``log B``)."""

    def __init__(self, beta_min: float = 0.45, beta_max: float = 181.5) -> None:
        if not 0 < beta_min < beta_max:
            raise ValueError(f"need 0 < beta_min < beta_max, got {beta_min}, {beta_max}")
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)
        self._log_ratio = math.log(beta_max / beta_min)

    def beta(self, t: Tensor) -> Tensor:
        return self.beta_min * torch.exp(self._log_ratio * t)

    def integral(self, t: Tensor) -> Tensor:
        return self.beta_min * torch.expm1(self._log_ratio * t) / self._log_ratio

    def __repr__(self) -> str:
        return f"ExponentialSchedule({self.beta_min}, {self.beta_max})"


class CosineSchedule(Schedule):
    """Cosine schedule (Nichol–Dhariwal): ``e^{-B(t)} = cos²(θ(t)) / cos²(θ(0))``,
    ``θ(t) = (π/2)(c t + s)/(1 + s)``, ``β(t) = π c/(1+s) · tan θ(t)``.

    ``c < 1`` is chosen so that ``B(1) = final_integral`` (finite, so ``β`` stays bounded on [0, 1]).
    """

    def __init__(self, s: float = 0.008, final_integral: float = 10.0) -> None:
        if s < 0 or final_integral <= 0:
            raise ValueError(f"need s >= 0 and final_integral > 0, got {s}, {final_integral}")
        self.s, self.final_integral = float(s), float(final_integral)
        theta0 = 0.5 * math.pi * s / (1 + s)
        theta1 = math.acos(math.cos(theta0) * math.exp(-0.5 * final_integral))
        self._theta0 = theta0
        self.c = theta1 * 2 * (1 + s) / math.pi - s

    def _theta(self, t: Tensor) -> Tensor:
        return 0.5 * math.pi * (self.c * t + self.s) / (1 + self.s)

    def beta(self, t: Tensor) -> Tensor:
        return math.pi * self.c / (1 + self.s) * torch.tan(self._theta(t))

    def integral(self, t: Tensor) -> Tensor:
        b = 2 * (math.log(math.cos(self._theta0)) - torch.log(torch.cos(self._theta(t))))
        return b.clamp_min(0.0)  # rounding can make B(0) = -1e-20, which would give sqrt(-0) = nan

    def __repr__(self) -> str:
        return f"CosineSchedule(s={self.s}, final_integral={self.final_integral})"


class GeometricSchedule(Schedule):
    """``B(t) = σ_min² ((σ_max/σ_min)^{2t} - 1)``, ``β(t) = 2 log(σ_max/σ_min) σ_min²
    (σ_max/σ_min)^{2t}``: the noise scale ``√B`` grows geometrically (VE-like), ``B(1) ≈
    σ_max²``."""

    def __init__(self, sigma_min: float = 0.02, sigma_max: float = 3.0) -> None:
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self._log_ratio = math.log(sigma_max / sigma_min)

    def beta(self, t: Tensor) -> Tensor:
        return 2 * self._log_ratio * self.sigma_min**2 * torch.exp(2 * self._log_ratio * t)

    def integral(self, t: Tensor) -> Tensor:
        return self.sigma_min**2 * torch.expm1(2 * self._log_ratio * t)

    def __repr__(self) -> str:
        return f"GeometricSchedule({self.sigma_min}, {self.sigma_max})"
