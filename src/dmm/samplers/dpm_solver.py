"""Exponential integrators of the probability-flow ODE of a Gaussian-kernel process (DPM-Solver++,
Lu et al. 2022), in data-prediction form; first order here (= DDIM).

For a kernel ``N(α_t x_0, s_t² I)`` the probability-flow ODE ``dy/dt = f y - ½ g² s_θ`` is, with
Tweedie's mean ``x̂_0(y, t) = (y + s_t² s_θ(y, t)) / α_t`` and ``λ_t = log(α_t / s_t)``,

    y_{t_next} = (s_{t_next} / s_t) y_t + α_{t_next} ∫_{λ_t}^{λ_{t_next}} e^{-(λ_{t_next} - λ)} x̂_0 dλ,

exact in its linear part. Freezing ``x̂_0`` at ``(y_t, t)`` over the step (``h = λ_{t_next} - λ_t``):

    y_{t_next} = (s_{t_next} / s_t) y_t + α_{t_next} (1 - e^{-h}) x̂_0(y_t, t),

which is DDIM: ``α_{t_next} x̂_0 + s_{t_next} ε̂`` with ``ε̂ = (y_t - α_t x̂_0) / s_t``. One network
evaluation per step, global order 1 in ``h``. VE has ``α = 1``: ``λ = -log s_t`` is finite for
``t > 0``, and the same formula applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from torch import Tensor

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..reversal import Reversal
from ..spaces.base import expand_batch
from .base import Sampler
from .grids import gaussian_kernel, log_snr, logsnr_grid

#: a grid function, as :func:`~dmm.samplers.time_grid` or :func:`~dmm.samplers.grids.logsnr_grid`
Grid = Callable[[Process, int], Tensor]


class ExponentialIntegrator(Sampler):
    """Shared part of the exponential integrators: the check for a Gaussian kernel, the default grid
    (uniform in ``λ`` unless ``grid`` says otherwise), ``x̂_0`` and the step's coefficients."""

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    deterministic: ClassVar[bool] = True
    nfe_per_step: ClassVar[int] = 1

    def __init__(self, grid: Grid = logsnr_grid) -> None:
        self.grid = grid

    def check(self, process: Process) -> None:
        super().check(process)
        gaussian_kernel(process, type(self).__name__)

    @staticmethod
    def predict_x0(rev: Reversal, y: Tensor, t: Tensor) -> Tensor:
        """Tweedie's mean ``x̂_0(y, t)`` from the model's score (one network evaluation)."""
        return rev.process.denoise(rev, y, t)

    @staticmethod
    def coefficients(rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor):
        """``(s_{t_next}/s_t, α_{t_next}(1 - e^{-h}), h)``, the first two broadcast against ``y``,
        ``h = λ_{t_next} - λ_t`` of shape ``(batch,)``."""
        process = rev.process
        a_next, s_next = process.kernel(t_next)
        s = process.kernel(t)[1]
        h = log_snr(process, t_next) - log_snr(process, t)
        keep = expand_batch(s_next / s, y)
        mix = expand_batch(-a_next * (-h).expm1(), y)
        return keep, mix, h


class DPMSolver1(ExponentialIntegrator):
    """First-order exponential integrator (DDIM) in data-prediction form (module doc);
    deterministic, order 1, one network evaluation per step."""

    order: ClassVar[float] = 1.0

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        keep, mix, _ = self.coefficients(rev, y, t, t_next)
        return keep * y + mix * self.predict_x0(rev, y, t)


__all__ = ["DPMSolver1", "ExponentialIntegrator", "Grid"]
