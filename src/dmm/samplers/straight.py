"""Flow matching's integrators on the straight path of a Gaussian kernel.

For a kernel that is ``N(α_t u_0 + c_t, s_t² I)`` in some coordinates ``u``
(:meth:`~dmm.processes.Process.gaussian_coordinates`: ``u = x`` for the Gaussian diffusions, the
standardised logarithm for the orthant ones), the rescaled state ``z = (u(y) - c_t)/(α_t + s_t)``
at the straight path's time ``τ = s_t/(α_t + s_t)`` is ``(1 - τ) u_0 + τ ε``. Along the
probability-flow ODE it obeys ``dz/dτ = v(z, τ) = E[ε - u_0 | z]``, the velocity that conditional
flow matching regresses (Lipman et al. 2022; Liu et al. 2022), read here from the model's score:
``ε̂`` by inverting the kernel's score (:meth:`~dmm.processes.CoordinateGaussian.score_noise`),
``û_0 = (u - c_t - s_t ε̂)/α_t``, ``v̂ = ε̂ - û_0``. These samplers step ``z`` in ``τ`` as the
flow-matching libraries do (Euler, midpoint, Heun), on the straight-path grid (uniform in ``τ``)
by default, so that a model trained with the straight-path loss is sampled exactly as a
flow-matching model would be. Every step ends by mapping ``z`` back to the state
(``u = (α + s) z + c``, ``y = u^{-1}``): on the orthant the samples stay positive.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..losses.times import straight_time
from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..reversal import Reversal
from .base import Sampler
from .dpm_solver import Grid
from .grids import straight_grid, time_of_log_snr


def straight_state(rev: Reversal, y: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(z, τ, v̂)`` at ``(y, t)``: the rescaled state, the straight time (``(batch, 1)``) and the
    model's velocity (one network evaluation); ``z`` and ``v̂`` flattened, ``(batch, d)``."""
    kernel = rev.process.gaussian_coordinates(t)
    a, s = kernel.isotropic("the straight-path samplers")
    n = y.shape[0]
    flat = y.reshape(n, -1)
    u = kernel.coords.to(flat) - kernel.shift
    eps = kernel.score_noise(rev.score(y, t).reshape(n, -1), flat)
    return u / (a + s), s / (a + s), eps - (u - s * eps) / a


def from_straight(process: Process, z: Tensor, t: Tensor, like: Tensor) -> Tensor:
    """The state whose rescaled straight-path coordinates at ``t`` are ``z``, shaped as ``like``."""
    kernel = process.gaussian_coordinates(t)
    a, s = kernel.isotropic("the straight-path samplers")
    return kernel.coords.back((a + s) * z + kernel.shift).reshape(like.shape)


class StraightPath(Sampler):
    """Shared part: the check for a kernel with a straight path, the straight-path grid by
    default, and the deterministic, network-counted steps."""

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    deterministic: ClassVar[bool] = True

    def __init__(self, grid: Grid | None = None) -> None:
        self.grid = grid or straight_grid

    def check(self, process: Process) -> None:
        super().check(process)
        process.gaussian_coordinates(torch.full((1,), process.T)).isotropic(type(self).__name__)


class StraightEuler(StraightPath):
    """Euler in ``τ``: ``z ← z + (τ_next - τ) v̂(z, τ)`` (order 1; one evaluation per step).
    Exact in one step when the data are one point (``v̂`` is then constant). It is DDIM step for
    step (``z_next = (1 - τ_next) û_0 + τ_next ε̂``), so for the Gaussian diffusions it equals
    ``dpm1`` on the same grid; for the orthant diffusions it is DDIM in the standardised log."""

    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        z, tau, v = straight_state(rev, y, t)
        tau_next = straight_time(rev.process, t_next)[:, None]
        return from_straight(rev.process, z + (tau_next - tau) * v, t_next, y)


class StraightMidpoint(StraightPath):
    """The explicit midpoint rule in ``τ`` (order 2; two evaluations per step): a half Euler step
    to ``τ_m = (τ + τ_next)/2``, then the full step with the velocity there. The time of ``τ_m``
    is found by bisection on the log-SNR (``τ = 1/(1 + e^λ)``)."""

    order: ClassVar[float] = 2.0
    nfe_per_step: ClassVar[int] = 2

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        p = rev.process
        z, tau, v = straight_state(rev, y, t)
        tau_next = straight_time(p, t_next)[:, None]
        tau_mid = 0.5 * (tau + tau_next)
        lam_mid = (torch.log1p(-tau_mid) - torch.log(tau_mid)).reshape(t.shape)
        t_mid = time_of_log_snr(p, lam_mid, t_next, t)
        y_mid = from_straight(p, z + (tau_mid - tau) * v, t_mid, y)
        v_mid = straight_state(rev, y_mid, t_mid)[2]
        return from_straight(p, z + (tau_next - tau) * v_mid, t_next, y)


class StraightHeun(StraightPath):
    """Heun's rule in ``τ`` (order 2; two evaluations per step, the last one included): an Euler
    predictor to ``τ_next``, then the mean of the two velocities."""

    order: ClassVar[float] = 2.0
    nfe_per_step: ClassVar[int] = 2

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        p = rev.process
        z, tau, v = straight_state(rev, y, t)
        h = straight_time(p, t_next)[:, None] - tau
        v_next = straight_state(rev, from_straight(p, z + h * v, t_next, y), t_next)[2]
        return from_straight(p, z + 0.5 * h * (v + v_next), t_next, y)


__all__ = [
    "StraightEuler",
    "StraightHeun",
    "StraightMidpoint",
    "StraightPath",
    "from_straight",
    "straight_state",
]
