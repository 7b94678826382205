"""DPM-Solver++(2M) (Lu et al. 2022): the second-order multistep exponential integrator in
data-prediction form.

With ``h_k = λ_{t_{k+1}} - λ_{t_k}`` and ``r_k = h_{k-1} / h_k``, step ``k`` replaces the frozen
``x̂_0`` of :class:`~dmm.samplers.dpm_solver.DPMSolver1` by a linear extrapolation in ``λ`` through
the previous step's prediction:

    D_k = (1 + 1/(2 r_k)) x̂_0(y_k, t_k) - 1/(2 r_k) x̂_0(y_{k-1}, t_{k-1}),
    y_{k+1} = (s_{t_{k+1}} / s_{t_k}) y_k + α_{t_{k+1}} (1 - e^{-h_k}) D_k.

The first step has no previous prediction and is first order; every step costs one network
evaluation (the previous one is reused), and the global order is 2 in ``h``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..reversal import Reversal
from ..spaces.base import expand_batch
from .dpm_solver import ExponentialIntegrator, Grid
from .grids import logsnr_grid


class DPMSolver2M(ExponentialIntegrator):
    """Second-order multistep exponential integrator (module doc); deterministic.

    It keeps the previous step's ``(t_next, x̂_0, h)``. :func:`~dmm.samplers.simulate` clears it in
    :meth:`start`; a step whose ``t`` is not the previous step's ``t_next`` (a new run driven by
    hand, or through a wrapper that does not forward :meth:`start`) takes a first-order step instead
    of extrapolating from an unrelated prediction. One object serves one run at a time.
    """

    order: ClassVar[float] = 2.0

    def __init__(self, grid: Grid = logsnr_grid) -> None:
        super().__init__(grid)
        self._previous: tuple[Tensor, Tensor, Tensor] | None = None

    def start(self, rev: Reversal, grid: Tensor) -> None:
        self._previous = None

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        keep, mix, h = self.coefficients(rev, y, t, t_next)
        x0 = self.predict_x0(rev, y, t)
        d = x0
        if self._previous is not None:
            t_prev_next, x0_prev, h_prev = self._previous
            if t_prev_next.shape == t.shape and torch.equal(t_prev_next, t):
                d = x0 + expand_batch(h / (2 * h_prev), y) * (x0 - x0_prev)
        self._previous = (t_next, x0, h)
        return keep * y + mix * d


__all__ = ["DPMSolver2M"]
