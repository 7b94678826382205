"""Probability-flow ODE ``dy/dt = b - ½∇·D - ½ D s_θ``, integrated from ``T`` down to ``t_min``."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ..processes.base import Process
from ..processes.diffusion import Diffusion
from ..reversal import Reversal, flow_velocity
from .base import Sampler


def _move(rev: Reversal, y: Tensor, velocity: Tensor, h: Tensor) -> Tensor:
    # a deterministic step backwards in time: y ← y - h v, in the space's geometry
    zero = torch.zeros_like(velocity)
    return rev.process.space.step(y, -velocity, 0.0, h, zero)


class FlowEuler(Sampler):
    """Euler on the probability-flow ODE: ``y ← y - h v(y, t)`` (order 1, deterministic); on
    ``grid`` (default uniform in time) when ``simulate`` is given none."""

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    deterministic: ClassVar[bool] = True
    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1

    def __init__(self, grid: Callable[[Process, int], Tensor] | None = None) -> None:
        self.grid = grid

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        return _move(rev, y, flow_velocity(rev, y, t), t - t_next)


class FlowHeun(Sampler):
    """Heun (explicit trapezoid) on the probability-flow ODE (order 2, deterministic); on
    ``grid`` (default uniform in time) when ``simulate`` is given none."""

    supports: ClassVar[frozenset[type]] = frozenset({Diffusion})
    deterministic: ClassVar[bool] = True
    order: ClassVar[float] = 2.0
    #: both velocities at every step, the last one included (no evaluation is saved)
    nfe_per_step: ClassVar[int] = 2

    def __init__(self, grid: Callable[[Process, int], Tensor] | None = None) -> None:
        self.grid = grid

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        h = t - t_next
        v1 = flow_velocity(rev, y, t)
        v2 = flow_velocity(rev, _move(rev, y, v1, h), t_next)
        return _move(rev, y, 0.5 * (v1 + v2), h)
