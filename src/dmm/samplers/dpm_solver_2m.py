"""DPM-Solver++(2M) (Lu et al. 2022): the second-order multistep exponential integrator in
data-prediction form, with the integral of its linear extrapolation taken exactly.

With ``h_k = λ_{t_{k+1}} - λ_{t_k}`` and ``r_k = h_{k-1} / h_k``, step ``k`` replaces the frozen
``x̂_0`` of :class:`~dmm.samplers.dpm_solver.DPMSolver1` by its linear extrapolation in ``λ``
through the previous step's prediction, ``x̂_0(λ) = x̂_0^k + (λ - λ_k) (x̂_0^k - x̂_0^{k-1}) /
h_{k-1}``, and integrates it against ``e^{-(λ_{k+1} - λ)}`` exactly
(``∫_0^h e^{-(h-τ)} τ dτ = h φ_2(h)``, ``φ_2(h) = 1 - (1 - e^{-h})/h``):

    y_{k+1} = (s_{t_{k+1}} / s_{t_k}) y_k + α_{t_{k+1}} [(1 - e^{-h_k}) x̂_0^k
              + φ_2(h_k) (x̂_0^k - x̂_0^{k-1}) / r_k].

(The paper's form ``(1 - e^{-h}) / (2 r)`` in place of ``φ_2(h) / r`` agrees to leading order in
``h``.) The first step has no previous prediction, and the last step
is taken at first order too (DPM-Solver's "lower order final"): on the grids used here it is the
longest step in ``λ``, where extrapolating ``x̂_0`` is least reliable, and one first-order step
leaves the global order at 2. Every step costs one network evaluation (the previous one is
reused).
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
    multistep: ClassVar[bool] = True

    def __init__(self, grid: Grid = logsnr_grid) -> None:
        super().__init__(grid)
        self._previous: tuple[Tensor, Tensor, Tensor] | None = None
        self._end: Tensor | None = None

    def start(self, rev: Reversal, grid: Tensor) -> None:
        self._previous = None
        self._end = grid[-1]

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        keep, mix, h = self.coefficients(rev, y, t, t_next)
        x0 = self.predict_x0(rev, y, t)
        out = keep * y + mix * x0
        previous, self._previous = self._previous, (t_next, x0, h)
        last = self._end is not None and bool((t_next == self._end).all())
        if previous is not None and not last:
            t_prev_next, x0_prev, h_prev = previous
            if t_prev_next.shape == t.shape and torch.equal(t_prev_next, t):
                phi2 = 1 + (-h).expm1() / h
                a_next = rev.process.kernel(t_next)[0]
                out = out + expand_batch(a_next * phi2 * h / h_prev, y) * (x0 - x0_prev)
        return out


__all__ = ["DPMSolver2M"]
