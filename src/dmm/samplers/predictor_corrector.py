"""Predictor–corrector: an Euler–Maruyama predictor followed by Langevin corrector steps."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from torch import Tensor

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..reversal import Reversal
from .base import Sampler
from .euler_maruyama import EulerMaruyama


class PredictorCorrector(Sampler):
    """Predictor: one :class:`EulerMaruyama` step to ``t_next``. Corrector: ``n_corrector`` Langevin
    steps ``y ← y + δ s_θ(y, t_next) + √(2δ) ξ`` targeting ``p_{t_next}``, with
    ``δ = 2 snr² d / mean_batch |s_θ|²`` (Song et al. 2021, with ``E|ξ|² = d``). The step size is
    shared by the batch: a step size that depends on each sample's own position or noise would bias
    the Langevin chain. On ``grid`` (default uniform in time) when ``simulate`` is given none."""

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    order: ClassVar[float] = 1.0
    #: the predictor's score, then one per corrector step (2 with the default ``n_corrector=1``)
    nfe_per_step: ClassVar[int] = 2

    def __init__(
        self,
        n_corrector: int = 1,
        snr: float = 0.1,
        grid: Callable[[Process, int], Tensor] | None = None,
    ) -> None:
        if n_corrector < 0 or snr <= 0:
            raise ValueError(f"need n_corrector >= 0 and snr > 0, got {n_corrector}, {snr}")
        self.n_corrector, self.snr = int(n_corrector), float(snr)
        self.nfe_per_step = 1 + self.n_corrector  # type: ignore[misc]
        self.predictor = EulerMaruyama()
        self.grid = grid

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        y = self.predictor.step(rev, y, t, t_next, generator)
        space = rev.process.space
        for _ in range(self.n_corrector):
            s = rev.score(y, t_next)
            s_sq = (s.reshape(y.shape[0], -1) ** 2).sum(1).mean().clamp_min(1e-12)
            delta = 2 * self.snr**2 * space.dim / s_sq
            xi = space.noise(y.shape[0], generator, y)
            y = space.step(y, s, math.sqrt(2.0), delta, xi)
        return y
