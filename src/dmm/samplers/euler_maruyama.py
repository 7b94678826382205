"""Euler–Maruyama on the backward SDE (weak order 1), in the space's own geometry."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from ..reversal import Reversal, backward_drift
from .base import Sampler


class EulerMaruyama(Sampler):
    """``y ← step_E(y, ←b h + σ √h ξ)`` with ``h = t - t_next``, ``←b = -b + ∇·D + D s_θ``.

    ``step_E`` is the space's step: ``y + v`` in ``R^d``, a wrap on the torus, log coordinates on the
    orthant, a geodesic on SO(3).
    """

    supports: ClassVar[frozenset[str]] = frozenset({"diffusion"})
    order: ClassVar[float] = 1.0

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        space = rev.process.space
        xi = space.noise(y.shape[0], generator, y)
        return space.step(y, backward_drift(rev, y, t), rev.process.diffusion(y, t), t - t_next, xi)
