"""Brownian motion on compact manifolds: the flat torus ``T^d`` and the rotation group SO(3).

Both are the diffusion block with zero drift and ``σ = √β(t)`` in an orthonormal tangent frame:

    L_t f = ½ β(t) Δ_M f,        ←L_τ f = β(t) ∇_M log p_t · ∇_M f + ½ β(t) Δ_M f   (t = T - τ),

so the generic reversal (``←b = -b + ∇·D + D s`` with ``b = 0``, ``∇·D = 0``) gives the backward
drift ``β ∇_M log p_t`` of MATH.md §2, and the generic samplers step along geodesics through
``space.step``. The kernels are heat kernels run for variance-time ``B(t) = ∫_0^t β``: the wrapped
normal on the torus and IGSO(3) (:mod:`dmm.processes.igso3`) on SO(3); the reference is the uniform
(Haar) law. Because the tangent coordinates are orthonormal, denoising score matching with the KL
weighting ``D = β I`` measures the score error in the manifold's metric.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from ..spaces import Space
from ..spaces.so3 import SO3, exp_map, log_map
from ..spaces.torus import (
    Torus,
    wrap,
    wrapped_normal_log_prob,
    wrapped_normal_score,
    wrapped_normal_terms,
)
from . import igso3
from .base import Process
from .diffusion import Diffusion
from .references import Reference
from .schedules import GeometricSchedule, Schedule
from .torus_jump import TorusUniform


class Haar(Reference):
    """The uniform (normalised Haar) law on SO(3): unit quaternions from normalised 4-D
    Gaussians."""

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        q = torch.randn(n, 4, generator=generator, device=device)
        return quaternion_to_matrix(q / q.norm(dim=1, keepdim=True))

    def log_prob(self, x: Tensor) -> Tensor:
        """Density 1 w.r.t. normalised Haar measure."""
        return torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)

    def __repr__(self) -> str:
        return "Haar()"


def quaternion_to_matrix(q: Tensor) -> Tensor:
    """Unit quaternions ``(w, x, y, z)`` of shape ``(…, 4)`` to rotation matrices ``(…, 3, 3)``."""
    w, x, y, z = q.unbind(-1)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


class ManifoldBrownian(Process):
    """``L_t = ½ β(t) Δ_M``: zero drift, ``σ = √β(t)`` in the space's orthonormal frame.

    Backward generator: ``←L_τ f = β ∇_M log p_t·∇_M f + ½ β Δ_M f``. Subclasses give the space, the
    heat kernel for variance-time ``B(t)`` and the reference law.
    """

    has_exact_transition: ClassVar[bool] = True

    def __init__(
        self, space: Space, reference: Reference, schedule: Schedule | None, T: float, t_min: float
    ) -> None:
        self.schedule = schedule or GeometricSchedule()
        block = Diffusion(self.drift, self.diffusion, state_dependent=False)
        super().__init__(space, (block,), reference, T, t_min)

    def variance_time(self, t: Tensor) -> Tensor:
        """``B(t) = ∫_0^t β``, the variance of the heat kernel at time ``t``."""
        return self.schedule.integral(t)

    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        return torch.zeros(x.shape[0], *self.space.tangent_shape, dtype=x.dtype, device=x.device)

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        sigma = self.schedule.beta(t).to(x.dtype).sqrt()
        return sigma.reshape(-1, *[1] * len(self.space.tangent_shape))


# --- the torus ------------------------------------------------------------------------------------


class TorusBrownian(ManifoldBrownian):
    """Brownian motion on ``T^d = [-π, π)^d``: ``L_t = ½β(t)Δ``; kernel ``p_{t|0}`` = wrapped normal
    with variance ``B(t)`` per coordinate; reference uniform.

    Backward: ``←b(y) = β(t) ∇log p_t(y)`` (wrapped Euler–Maruyama steps).
    """

    def __init__(
        self, d: int = 2, schedule: Schedule | None = None, T: float = 1.0, t_min: float = 1e-3
    ) -> None:
        super().__init__(Torus(d), TorusUniform(d), schedule, T, t_min)

    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        std = self.variance_time(t).to(x0.dtype).sqrt()[:, None]
        xi = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        return wrap(x0 + std * xi)

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        var = self.variance_time(t).to(torch.float64)[:, None].expand(xt.shape)
        delta = wrap((xt - x0).to(torch.float64))
        return wrapped_normal_score(delta, var).to(xt.dtype)

    def log_transition(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        """``log p_{t|0}(x_t | x_0)`` w.r.t. the normalised measure (for finite-difference
        checks)."""
        var = self.variance_time(t).to(torch.float64)[:, None].expand(xt.shape)
        return wrapped_normal_log_prob(wrap((xt - x0).to(torch.float64)), var).sum(-1)

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``d · KL(WN(B(T)) || uniform)`` per sample, by the trapezoid rule on 4001 points."""
        var = self.variance_time(torch.tensor(self.T, dtype=torch.float64))
        delta = torch.linspace(-math.pi, math.pi, 4001, dtype=torch.float64)
        lp = wrapped_normal_log_prob(delta, var.expand_as(delta))
        kl = torch.trapezoid(lp.exp() * lp, delta) / (2 * math.pi)
        return torch.full((x0.shape[0],), self.space.d * float(kl), dtype=x0.dtype)

    def __repr__(self) -> str:
        return f"TorusBrownian(d={self.space.d}, schedule={self.schedule!r}, T={self.T})"


# --- SO(3) ----------------------------------------------------------------------------------------


class SO3Brownian(ManifoldBrownian):
    """Brownian motion on SO(3) for ``L_t = ½β(t)Δ`` (bi-invariant metric, orthonormal hat basis);
    kernel IGSO(3) with variance-time ``B(t)``: ``x_t = x_0 exp((ω u)^)``, ``u`` uniform on the
    sphere, ``ω`` with density ``f(ω; B)(1 - cos ω)/π``; reference Haar.

    Conditional score (body frame at ``x_t``): ``∇ log p_{t|0} = (d log f/dω) v/ω``,
    ``v = log(x_0ᵀ x_t)``. Backward: ``←b(y) = β(t) ∇_M log p_t(y)``, geodesic steps
    ``y exp((←b h + √(β h) ξ)^)``.
    """

    def __init__(
        self,
        schedule: Schedule | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        atol: float = 1e-4,
    ) -> None:
        super().__init__(SO3(atol), Haar(), schedule, T, t_min)  # SO3 checks atol

    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        B = self.variance_time(t).to(torch.float64)
        omega = igso3.sample_angle(B, generator).to(x0.dtype)
        u = torch.randn(x0.shape[0], 3, generator=generator, dtype=x0.dtype, device=x0.device)
        u = u / u.norm(dim=1, keepdim=True)
        return self.space.exp(x0, omega[:, None] * u)

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        v = log_map((x0.transpose(-1, -2) @ xt).to(torch.float64))
        q = igso3.score_over_angle(v.norm(dim=1), self.variance_time(t).to(torch.float64))
        return (q[:, None] * v).to(xt.dtype)

    def log_transition(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        """``log f(ω; B(t))``, the IGSO(3) log-density w.r.t. normalised Haar measure."""
        omega = self.space.distance(x0.to(torch.float64), xt.to(torch.float64))
        return igso3.log_density(omega, self.variance_time(t).to(torch.float64))

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``KL(IGSO3(B(T)) || Haar)`` (the same for every ``x_0``), Simpson's rule in the angle."""
        B = float(self.variance_time(torch.tensor(self.T, dtype=torch.float64)))
        return torch.full((x0.shape[0],), igso3.kl_to_haar(B), dtype=x0.dtype)

    def __repr__(self) -> str:
        return f"SO3Brownian(schedule={self.schedule!r}, T={self.T})"


class SO3MixtureScore(torch.nn.Module):
    """Exact score of ``p_t`` under :class:`SO3Brownian` when ``p_0`` is a uniform mixture of point
    masses at ``modes`` (``(K, 3, 3)``): ``p_t = K^{-1} Σ_k f(ω_k; B(t))``, so
    ``∇ log p_t = Σ_k w_k q(ω_k) v_k`` with ``v_k = log(m_kᵀ y)``, ``w ∝ f(ω_k)``. An oracle usable
    wherever a trained model is (MATH.md §9)."""

    def __init__(self, process: SO3Brownian, modes: Tensor) -> None:
        super().__init__()
        self.process, self.modes = process, modes.to(torch.float64)

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        n, k = y.shape[0], self.modes.shape[0]
        rel = self.modes.transpose(-1, -2)[None] @ y.to(torch.float64)[:, None]  # (n, K, 3, 3)
        v = log_map(rel.reshape(-1, 3, 3)).reshape(n, k, 3)
        omega = v.norm(dim=-1)
        B = self.process.variance_time(t).to(torch.float64)[:, None].expand(n, k)
        w = torch.softmax(igso3.log_density(omega, B), dim=1)
        q = igso3.score_over_angle(omega, B)
        return (w[..., None] * q[..., None] * v).sum(1).to(y.dtype)

    def forward(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.score(y, t, context)


__all__ = [
    "GeometricSchedule",
    "Haar",
    "ManifoldBrownian",
    "SO3Brownian",
    "SO3MixtureScore",
    "TorusBrownian",
    "exp_map",
    "quaternion_to_matrix",
    "wrapped_normal_log_prob",
    "wrapped_normal_score",
    "wrapped_normal_terms",
]
