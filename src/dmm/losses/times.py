"""Laws of the training time ``t``: Monte Carlo estimates of the path-KL time integral.

Every per-unit-time loss is ``∫_{t_min}^T ℓ(t) dt / (T - t_min) = E_{t~q} [w(t) ℓ(t)]`` with
``w(t) = 1 / ((T - t_min) q(t))`` for any time density ``q``: the objective, its minimiser and the
error report do not depend on ``q``, its variance does.

* :class:`UniformTimes` — ``q = U(t_min, T)``, ``w = 1`` (the default).
* :class:`LogUniformMixture` — ``q = (1 - a) U(t_min, T) + a LogU(t_min, T)``. Where the integrand
  grows like ``1/t`` at small ``t`` (a score of size ``1/σ_t`` with ``σ_t² ∝ t`` below the data's
  own scale), uniform draws put 1% of a batch on ``t < 0.01 T`` while those rows carry most of the
  gradient's variance; the mixture draws them ``~ a / log(T/t_min)`` of the time with weights
  below 1, and its uniform part keeps ``w ≤ 1/(1 - a)`` at large ``t``.
* :class:`StraightPathTimes` — for a kernel ``N(α_t u_0, s_t² I)`` in some coordinates ``u``,
  ``u = s_t/(α_t + s_t)`` uniform: the time law of rectified flow / flow matching carried to
  this process (its density, ``q(t) ∝ du/dt``, is what :func:`~dmm.losses.dsm.straight_weighting`
  is written against).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..processes.base import Process


class TimeLaw:
    """``draw(process, n, generator, device) -> (t, w)``: ``n`` times and their importance weights
    (``None`` for weight 1)."""

    def draw(
        self, process: Process, n: int, generator: torch.Generator | None, device=None
    ) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError


@dataclass(frozen=True)
class UniformTimes(TimeLaw):
    """``t ~ U(t_min, T)`` (``process.sample_times``), weight 1."""

    def draw(self, process, n, generator, device=None):
        return process.sample_times(n, generator, device), None


@dataclass(frozen=True)
class LogUniformMixture(TimeLaw):
    """``q = (1 - a) U(t_min, T) + a LogU(t_min, T)``, ``a = log_share``; weights
    ``w = 1 / ((T - t_min) q(t))`` (module doc)."""

    log_share: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.log_share < 1:
            raise ValueError(f"log_share must be in (0, 1), got {self.log_share}")

    def density(self, process: Process, t: Tensor) -> Tensor:
        span, logs = process.T - process.t_min, math.log(process.T / process.t_min)
        return (1 - self.log_share) / span + self.log_share / (t * logs)

    def draw(self, process, n, generator, device=None):
        lo, hi = process.t_min, process.T
        u = torch.rand(3, n, generator=generator, device=device)
        uniform = lo + (hi - lo) * u[1]
        log_uniform = lo * torch.exp(math.log(hi / lo) * u[2])
        t = torch.where(u[0] < self.log_share, log_uniform, uniform).clamp(lo, hi)
        return t, 1.0 / ((hi - lo) * self.density(process, t))


def straight_time(process: Process, t: Tensor) -> Tensor:
    """``u_t = s_t / (α_t + s_t)``, increasing from ``≈ 0`` to ``≈ 1``, for a kernel that is
    ``N(α_t u_0, s_t² I)`` in some coordinates ``u`` (:meth:`CoordinateGaussian.isotropic
    <dmm.processes.CoordinateGaussian.isotropic>`)."""
    a, s = process.gaussian_coordinates(t).isotropic("the straight-path time law")
    return (s / (a + s)).reshape(t.shape)


@dataclass(frozen=True)
class StraightPathTimes(TimeLaw):
    """``u_t = s_t/(α_t + s_t) ~ U(u_{t_min}, u_T)``, for any kernel with
    :func:`straight_time`: the time law of flow matching carried to this process.

    Drawn by the inverse of ``u`` interpolated linearly between ``knots`` times (uniform in
    ``t``): the draws' density is then piecewise constant, ``q̃(t) = Δu_k/Δt_k /
    (u_T - u_{t_min})`` on knot interval ``k``, within ``O(Δt)`` of ``du/dt / (u_T -
    u_{t_min})`` (for the Gaussian diffusions ``du/dt = u (1 - u) g_t² / (2 s_t²)``).
    :meth:`density` is ``q̃``, so the weights ``w = 1/((T - t_min) q̃(t))`` are exact for the
    draws. A handful of tensor operations per batch: no bisection loop in the training step."""

    knots: int = 1025

    def _table(self, process: Process, device, dtype) -> tuple[Tensor, Tensor, Tensor]:
        """The knot times, ``u`` there, and ``q̃`` on each knot interval."""
        knots = torch.linspace(process.t_min, process.T, self.knots, device=device, dtype=dtype)
        u = straight_time(process, knots)
        return knots, u, u.diff() / knots.diff() / (u[-1] - u[0])

    def density(self, process: Process, t: Tensor) -> Tensor:
        """``q̃(t)``, the density of the draws (class doc)."""
        knots, _, q = self._table(process, t.device, t.dtype)
        k = (torch.searchsorted(knots, t.contiguous(), right=True) - 1).clamp(0, len(q) - 1)
        return q[k]

    def draw(self, process, n, generator, device=None):
        lo, hi = process.t_min, process.T
        knots, u, q = self._table(process, device, torch.get_default_dtype())
        target = u[0] + (u[-1] - u[0]) * torch.rand(n, generator=generator, device=device)
        k = (torch.searchsorted(u, target, right=True) - 1).clamp(0, len(q) - 1)
        du = u[k + 1] - u[k]
        t = (knots[k] + (target - u[k]) * (knots[k + 1] - knots[k]) / du).clamp(lo, hi)
        return t, 1.0 / ((hi - lo) * q[k])


__all__ = [
    "LogUniformMixture",
    "StraightPathTimes",
    "TimeLaw",
    "UniformTimes",
    "straight_time",
]
