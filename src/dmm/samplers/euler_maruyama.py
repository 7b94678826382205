"""Euler–Maruyama on the backward SDE (weak order 1), in the space's own geometry."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from torch import Tensor

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..reversal import Reversal, backward_drift
from .base import Sampler


class EulerMaruyama(Sampler):
    """``y ← step_E(y, ←b h + σ √h ξ)`` with ``h = t - t_next``, ``←b = -b + ∇·D + D s_θ``.

    ``step_E`` is the space's step: ``y + v`` in ``R^d``, a wrap on the torus, log coordinates on the
    orthant, a geodesic on SO(3). On ``grid`` (default uniform in time) when ``simulate`` is given
    none.
    """

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1

    def __init__(
        self,
        block: Diffusion | None = None,
        grid: Callable[[Process, int], Tensor] | None = None,
    ) -> None:
        self.block = block  # None: the process's one diffusion block
        self.grid = grid

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        space, block = rev.process.space, self.block or rev.process.block(Diffusion)
        xi = space.noise(y.shape[0], generator, y)
        sigma = block.diffusion(y, t)
        drift = backward_drift(rev, y, t, block=block, sigma=sigma)
        return space.step(y, drift, sigma, t - t_next, xi)
