"""A user-declared diffusion: give a drift and a diffusion coefficient, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ..spaces import Euclidean, Space
from ..spaces.base import whole_number
from .base import Process
from .diffusion import Diffusion
from .references import Reference


class SDE(Process):
    """``dX = b(X, t) dt + σ(X, t) dW`` with diagonal ``σ``: ``L f = b·∇f + ½ diag(σ²) : ∇²f``.

    Backward generator: ``←L f = (-b + ∇·D + D ∇log p_t)·∇f + ½ D : ∇²f``, ``D = diag(σ²)``.
    No closed-form kernel: marginals are simulated (Euler–Maruyama) and models are trained with
    implicit score matching. ``reference``: the law the backward process starts from; ``None``
    (the default) leaves it to :func:`~dmm.recipe.recipe`, which uses the law of ``X_T`` itself,
    simulated from the training rows, and says so in its notes (an SDE whose law at ``T`` is
    ``N(0, I)`` can say so: ``reference=Normal(shape)``).
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
        if not isinstance(space, Space):  # a dimension: R^d
            space = Euclidean(whole_number(space, "SDE's space (a Space or a dimension)"))
        block = Diffusion(drift, diffusion, state_dependent=state_dependent_diffusion)
        super().__init__(space, (block,), reference, T, t_min, simulation_steps)
