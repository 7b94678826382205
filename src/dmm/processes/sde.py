"""A user-declared diffusion: give a drift and a diffusion coefficient, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ..spaces import Euclidean, Space
from .base import DiffusionBlock, ForwardProcess
from .references import Normal, Reference


class SDE(DiffusionBlock, ForwardProcess):
    """``dX = b(X, t) dt + σ(X, t) dW`` with diagonal ``σ``: ``L f = b·∇f + ½ diag(σ²) : ∇²f``.

    Backward generator: ``←L f = (-b + ∇·D + D ∇log p_t)·∇f + ½ D : ∇²f``, ``D = diag(σ²)``.
    No closed-form kernel: marginals are simulated (Euler–Maruyama) and models are trained with
    implicit score matching.
    """

    def __init__(
        self,
        drift: Callable[[Tensor, Tensor], Tensor],
        diffusion: Callable[[Tensor, Tensor], Tensor],
        space: Space | int,
        reference: Reference | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        state_dependent_diffusion: bool = True,
        simulation_steps: int = 100,
    ) -> None:
        self.space = Euclidean(space) if isinstance(space, int) else space
        self._drift, self._diffusion = drift, diffusion
        self.reference = reference or Normal(self.space.event_shape)
        self.T, self.t_min = float(T), float(t_min)
        self.state_dependent_diffusion = state_dependent_diffusion
        self.simulation_steps = int(simulation_steps)

    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        return self._drift(x, t)

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        return self._diffusion(x, t)
