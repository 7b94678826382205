"""Diffusions on the positive orthant whose logarithm is a linear Gaussian SDE (MATH.md §6):
geometric Brownian motion and the geometric Ornstein–Uhlenbeck process.

With ``z = log X`` and a time change ``B(t) = ∫β`` (``β ≡ 1`` gives the rows of MATH.md §6),
``dz = β(t) a(z) dt + √β(t) σ dW`` with ``a`` affine, so

    log X_t | X_0 = x_0  ~  N( α_t log x_0 + c_t , v_t )      (per coordinate),

and in ``x``: ``b(x) = x ⊙ (β a(log x) + ½ β σ²)``, ``D(x) = β σ² diag(x²)``, ``∇·D = 2 β σ² x``.
Conditional score:
``∂_i log p_{t|0} = -1/x_i - (log x_i - α_t log x_{0,i} - c_{t,i}) / (v_{t,i} x_i)``.
Backward drift (MATH.md §2) ``←b = -b + ∇·D + D s``; stepped in log coordinates by
:class:`~dmm.spaces.PositiveOrthant` it is ``dz = [-β a(z) + β σ² + β σ² y ⊙ s] dτ + √β σ dW``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from ..spaces.positive import PositiveOrthant, exp_positive
from .base import CoordinateGaussian, Coordinates, Process
from .diffusion import Diffusion
from .references import Reference
from .schedules import ConstantSchedule, Schedule


def _vec(value: Tensor | float, dim: int) -> Tensor:
    v = torch.as_tensor(value, dtype=torch.get_default_dtype()).flatten()
    if v.numel() not in (1, dim):
        raise ValueError(f"expected a scalar or {dim} values, got {v.numel()}")
    return v.expand(dim).clone()


def log_moments(data: Tensor) -> tuple[Tensor, Tensor]:
    """Per-coordinate mean and standard deviation of ``log data`` (std floored at 1e-6); ``data``
    (rows of ``(0, ∞)^d``, a tensor or an array) is checked first: a
    :class:`~dmm.spaces.SupportError` names rows that are not positive and finite."""
    flat = torch.as_tensor(data)
    flat = flat.reshape(len(flat), math.prod(flat.shape[1:]))
    z = torch.log(PositiveOrthant(flat.shape[1]).validate(flat).to(torch.float64))
    std = z.std(0) if data.shape[0] > 1 else torch.ones(z.shape[1], dtype=torch.float64)
    dtype = torch.get_default_dtype()
    return z.mean(0).to(dtype), std.clamp_min(1e-6).to(dtype)


class LogNormal(Reference):
    """``log X ~ N(log_mean, diag(log_std²))`` on ``(0, ∞)^d`` (Lebesgue density in ``x``)."""

    def __init__(self, log_mean: Tensor, log_std: Tensor) -> None:
        self.log_mean = torch.as_tensor(log_mean, dtype=torch.get_default_dtype())
        self.log_std = torch.as_tensor(log_std, dtype=torch.get_default_dtype())
        if (self.log_std <= 0).any():
            raise ValueError("log_std must be positive")
        self.event_shape = tuple(self.log_mean.shape)

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        xi = torch.randn((n, *self.event_shape), generator=generator, device=device)
        return exp_positive(self.log_mean.to(xi) + self.log_std.to(xi) * xi)

    def log_prob(self, x: Tensor) -> Tensor:
        z = torch.log(x)
        u = (z - self.log_mean.to(x)) / self.log_std.to(x)
        lp = -0.5 * u**2 - torch.log(self.log_std.to(x)) - 0.5 * math.log(2 * math.pi) - z
        return lp.reshape(x.shape[0], -1).sum(1)

    def __repr__(self) -> str:
        return f"LogNormal(log_mean={self.log_mean.tolist()}, log_std={self.log_std.tolist()})"


@dataclass(frozen=True)
class StandardLog(Coordinates):
    """``u = (log x - m)/s`` elementwise, ``m`` and ``s`` per coordinate: ``slope = 1/(s x)``,
    ``curvature = -1/x``."""

    mean: Tensor
    std: Tensor

    def to(self, x: Tensor) -> Tensor:
        return (torch.log(x) - self.mean.to(x)) / self.std.to(x)

    def back(self, u: Tensor) -> Tensor:
        return exp_positive(self.mean.to(u) + self.std.to(u) * u)

    def slope(self, x: Tensor) -> Tensor:
        return 1 / (self.std.to(x) * x)

    def curvature(self, x: Tensor) -> Tensor:
        return -1 / x


class LogGaussianDiffusion(Process):
    """Base: ``log X`` is linear Gaussian. Subclasses give :meth:`log_drift` (``β a``),
    :meth:`log_kernel` (``α_t``, ``c_t``, ``v_t``) and the reference law.

    Generator ``L f = x⊙(β a + ½βσ²)·∇f + ½ β σ² Σ_i x_i² ∂_i² f``; backward generator
    ``←L f = (-b + 2βσ² y + βσ² y² ⊙ s_θ)·∇f + ½ β σ² Σ_i y_i² ∂_i² f``.
    """

    has_exact_transition: ClassVar[bool] = True
    has_denoiser: ClassVar[bool] = True

    def __init__(
        self,
        dim: int,
        sigma: Tensor | float,
        schedule: Schedule | None,
        T: float,
        t_min: float,
        data_log_mean: Tensor | float,
        data_log_std: Tensor | float,
    ) -> None:
        if int(dim) <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        if not 0 < t_min < T:
            raise ValueError(f"need 0 < t_min < T, got t_min={t_min}, T={T}")
        self.dim = int(dim)
        self.sigma = _vec(sigma, self.dim)
        if (self.sigma <= 0).any():
            raise ValueError("sigma must be positive")
        self.schedule = schedule or ConstantSchedule(1.0)
        self.data_log_mean = _vec(data_log_mean, self.dim)
        self.data_log_std = _vec(data_log_std, self.dim)
        space = PositiveOrthant(self.dim, self.data_log_mean, self.data_log_std)
        # the logarithm centred on the data and scaled per coordinate in proportion to σ_i, so
        # that every coordinate has the same noise level (what the straight path needs), the
        # scales averaging the data's log-std: exactly that log-std when σ_i ∝ s_{0,i} (the
        # catalogue's default, sigma_units=data)
        scale = self.sigma * (self.data_log_std / self.sigma).mean()
        self.coordinates = StandardLog(self.data_log_mean, scale)
        block = Diffusion(self.drift, self.diffusion, divergence=self.diffusion_divergence)
        super().__init__(space, (block,), None, T, t_min)  # subclasses set the reference

    # --- log-coordinate description ---------------------------------------------------------
    def log_drift(self, z: Tensor, t: Tensor) -> Tensor:
        """Drift ``β(t) a(z)`` of ``z = log X``."""
        raise NotImplementedError

    def log_kernel(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(α_t, c_t, v_t)`` of shapes ``(b, 1)``, ``(b, d)``, ``(b, d)``."""
        raise NotImplementedError

    def log_sigma(self, t: Tensor) -> Tensor:
        """``√β(t) σ`` of shape ``(b, d)``: the noise coefficient of ``log X``."""
        return self.schedule.beta(t)[:, None].sqrt() * self.sigma.to(t)

    # --- generator block in x coordinates ----------------------------------------------------
    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        return x * (self.log_drift(torch.log(x), t) + 0.5 * self.log_sigma(t) ** 2)

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        return self.log_sigma(t) * x

    def diffusion_divergence(self, x: Tensor, t: Tensor) -> Tensor:
        """``∂_i D_ii = 2 β σ_i² x_i`` (exact)."""
        return 2 * self.log_sigma(t) ** 2 * x

    # --- exact kernel --------------------------------------------------------------------------
    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        alpha, c, v = self.log_kernel(t)
        xi = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        return exp_positive(alpha * torch.log(x0) + c + v.sqrt() * xi)

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        alpha, c, v = self.log_kernel(t)
        return -(1 + (torch.log(xt) - alpha * torch.log(x0) - c) / v) / xt

    def gaussian_coordinates(self, t: Tensor) -> CoordinateGaussian:
        """``log X_t | x_0 ~ N(α_t log x_0 + c_t, diag v_t)``: Gaussian in ``u = (log x - m_0)/k``
        (:class:`StandardLog`; ``m_0`` the data's log-mean, ``k_i ∝ σ_i``), with ``α_t``, shift
        ``(c_t + (α_t - 1) m_0)/k`` and variance ``v_t/k²``, the same in every coordinate
        (``v_{t,i} ∝ σ_i²``): one column."""
        alpha, c, v = self.log_kernel(t)
        m, k = self.data_log_mean.to(t), self.coordinates.std.to(t)
        var = (v / k**2).mean(1, keepdim=True)  # equal columns, up to rounding
        return CoordinateGaussian(self.coordinates, alpha, (c + (alpha - 1) * m) / k, var)

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """``exp E[log X_0 | X_t = y]`` by Tweedie in log coordinates:
        ``E[log X_0 | y] = (log y - c_t + v_t (y ⊙ s_θ + 1)) / α_t``."""
        alpha, c, v = self.log_kernel(t)
        return exp_positive((torch.log(y) - c + v * (y * rev.score(y, t) + 1)) / alpha)

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``KL(p_{T|0}(·|x_0) || q)``: a KL between Gaussians in log coordinates (the map ``log``
        is a bijection, so the KL of the log-normals is the same)."""
        T = torch.full((x0.shape[0],), self.T, dtype=x0.dtype, device=x0.device)
        alpha, c, v = self.log_kernel(T)
        mean = alpha * torch.log(x0) + c
        m_q, s_q = self.reference.log_mean.to(x0), self.reference.log_std.to(x0)
        r = v / s_q**2
        return 0.5 * (r - 1 - torch.log(r) + (mean - m_q) ** 2 / s_q**2).sum(1)

    def with_log_step(self, log_step: bool) -> LogGaussianDiffusion:
        """A copy whose space steps in log coordinates (``True``) or plainly in ``x`` (``False``,
        kept for comparison: it can leave the orthant)."""
        other = copy.copy(self)
        other.space = self.space.with_log_step(log_step)
        return other

    def input_scale(self, t: Tensor) -> Tensor:
        """``1/√(mean_i Var[log X_{t,i}] / log_scale_i²)`` for data with the space's log-moments."""
        alpha, _, v = self.log_kernel(t)
        var = alpha**2 * self.data_log_std.to(t) ** 2 + v
        return torch.rsqrt((var / self.space.log_scale.to(t) ** 2).mean(1))


class GBM(LogGaussianDiffusion):
    """Geometric Brownian motion ``dX = β μ X dt + √β σ X dW`` on ``(0, ∞)^d``:
    ``L f = β μ x·∇f + ½ β σ² Σ_i x_i² ∂_i² f``;
    ``log X_t ~ N(log x_0 + (μ - σ²/2) B(t), σ² B(t))``.

    Backward: ``←b(y) = -β μ y + 2 β σ² y + β σ² y² ⊙ s``, i.e. in ``z = log y``
    ``dz = [-(μ - σ²/2) + σ² + σ² y ⊙ s] β dτ + √β σ dW``.
    Reference: log-normal with the moments of ``log X_T`` over the training data,
    ``N(m_0 + (μ - σ²/2) B(T), s_0² + σ² B(T))`` (``m_0``, ``s_0``: data log-mean and log-std).
    ``mu`` defaults to ``σ²/2`` (``log X`` a martingale).
    """

    def __init__(
        self,
        dim: int = 2,
        sigma: Tensor | float = 1.0,
        mu: Tensor | float | None = None,
        schedule: Schedule | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        data_log_mean: Tensor | float = 0.0,
        data_log_std: Tensor | float = 1.0,
    ) -> None:
        super().__init__(dim, sigma, schedule, T, t_min, data_log_mean, data_log_std)
        self.mu = 0.5 * self.sigma**2 if mu is None else _vec(mu, self.dim)
        T_ = torch.tensor([self.T])
        _, c, v = self.log_kernel(T_)
        self.reference = LogNormal(self.data_log_mean + c[0], (self.data_log_std**2 + v[0]).sqrt())

    @classmethod
    def from_data(cls, data: Tensor, sigma: float = 1.0, relative: bool = True, **kwargs) -> GBM:
        """GBM fitted to positive ``data``: log-moments for the reference and features; with
        ``relative=True`` ``σ_i = sigma · s_{0,i}`` (noise in units of each coordinate's
        log-spread)."""
        mean, std = log_moments(data)
        sig = sigma * std if relative else sigma
        return cls(data.shape[1], sig, data_log_mean=mean, data_log_std=std, **kwargs)

    def log_drift(self, z: Tensor, t: Tensor) -> Tensor:
        return self.schedule.beta(t)[:, None] * (self.mu - 0.5 * self.sigma**2).to(z)

    def log_kernel(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        B = self.schedule.integral(t)[:, None]
        a = (self.mu - 0.5 * self.sigma**2).to(t)
        return torch.ones_like(B), a * B, self.sigma.to(t) ** 2 * B

    def __repr__(self) -> str:
        return f"GBM(dim={self.dim}, sigma={self.sigma.tolist()}, T={self.T})"


class GeometricOU(LogGaussianDiffusion):
    """Geometric OU: ``d log X = β θ (m - log X) dt + √β σ dW`` on ``(0, ∞)^d``;
    ``log X_t ~ N(m + (log x_0 - m) e^{-θB}, σ² (1 - e^{-2θB}) / 2θ)``; reference log-normal
    ``(m, σ²/2θ)``. Generator ``L f = x⊙β(θ(m - log x) + σ²/2)·∇f + ½ β σ² Σ x_i² ∂_i² f``.

    Backward: in ``z = log y``, ``dz = [-θ(m - z) + σ² + σ² y ⊙ s] β dτ + √β σ dW``.
    """

    def __init__(
        self,
        dim: int = 2,
        theta: float = 1.0,
        m: Tensor | float = 0.0,
        sigma: Tensor | float = math.sqrt(2.0),
        schedule: Schedule | None = None,
        T: float = 5.0,
        t_min: float = 1e-3,
        data_log_mean: Tensor | float | None = None,
        data_log_std: Tensor | float | None = None,
    ) -> None:
        if theta <= 0:
            raise ValueError(f"theta must be positive, got {theta}")
        self.theta, self.m = float(theta), _vec(m, int(dim))
        stationary = _vec(sigma, int(dim)) / math.sqrt(2 * self.theta)
        super().__init__(
            dim,
            sigma,
            schedule,
            T,
            t_min,
            self.m if data_log_mean is None else data_log_mean,
            stationary if data_log_std is None else data_log_std,
        )
        self.reference = LogNormal(self.m, self.sigma / math.sqrt(2 * self.theta))

    @classmethod
    def from_data(cls, data: Tensor, theta: float = 1.0, **kwargs) -> GeometricOU:
        """Geometric OU whose stationary law has the log-mean and log-std of positive ``data``."""
        mean, std = log_moments(data)
        return cls(
            data.shape[1],
            theta,
            mean,
            std * math.sqrt(2 * theta),
            data_log_mean=mean,
            data_log_std=std,
            **kwargs,
        )

    def log_drift(self, z: Tensor, t: Tensor) -> Tensor:
        return self.schedule.beta(t)[:, None] * self.theta * (self.m.to(z) - z)

    def log_kernel(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        B = self.schedule.integral(t)[:, None]
        alpha = torch.exp(-self.theta * B)
        var = self.sigma.to(t) ** 2 * (-torch.expm1(-2 * self.theta * B)) / (2 * self.theta)
        return alpha, self.m.to(t) * (1 - alpha), var

    def __repr__(self) -> str:
        return f"GeometricOU(dim={self.dim}, theta={self.theta}, T={self.T})"


__all__ = [
    "GBM",
    "GeometricOU",
    "LogGaussianDiffusion",
    "LogNormal",
    "StandardLog",
    "log_moments",
]
