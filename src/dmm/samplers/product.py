"""Steps over the factors of a product process (MATH.md §10): each factor's sampler steps its own
coordinates with the joint model. ``simultaneous=False`` (splitting): in turn, each at the row the
previous factors left; ``simultaneous=True``: every factor from the same row, which is the plain
Euler step of the summed backward generator, and reads one network evaluation for all factors
(:meth:`~dmm.scores.product.ProductModel.shared_outputs`). Both are first order in ``h``."""

from __future__ import annotations

import contextlib

from torch import Tensor

from ..processes.base import MissingCapability, Process
from ..processes.product import ProductProcess
from ..reversal import Reversal
from ..scores.product import ProductModel, factor_reversal
from .base import Sampler


class ProductSampler(Sampler):
    """``samplers[k]`` advances factor ``k`` over the step, with the other factors' current
    coordinates as context; the weak order is at most 1 (Lie–Trotter)."""

    def __init__(self, *samplers: Sampler, simultaneous: bool = False) -> None:
        if not samplers:
            raise ValueError("ProductSampler needs one sampler per factor")
        self.samplers, self.simultaneous = samplers, bool(simultaneous)
        orders = [s.order for s in samplers]
        self.order = None if None in orders else min(1.0, *orders)  # type: ignore[misc]
        self.multistep = any(s.multistep for s in samplers)  # type: ignore[misc]
        costs = [s.nfe_per_step for s in samplers]  # each factor's step calls the joint model
        if None in costs:
            self.nfe_per_step = None
        elif self.simultaneous:  # the evaluations at the step's row are shared, the others not
            self.nfe_per_step = 1 + sum(c - 1 for c in costs)  # type: ignore[operator]
        else:
            self.nfe_per_step = sum(costs)  # type: ignore[arg-type]

    def check(self, process: Process) -> None:
        if not isinstance(process, ProductProcess):
            raise MissingCapability(
                f"ProductSampler simulates product processes, not {process.name}"
            )
        if len(self.samplers) != len(process.factors):
            raise ValueError(
                f"need one sampler per factor ({len(process.factors)}), got {len(self.samplers)}"
            )
        for sampler, factor in zip(self.samplers, process.factors):
            sampler.check(factor)

    def start(self, rev: Reversal, grid: Tensor) -> None:
        # a factor's backward process depends on the other factors' current coordinates, which
        # a run has not drawn yet: the factors' samplers start with the joint one (a multistep
        # sampler only forgets its previous steps here)
        for sampler in self.samplers:
            sampler.start(rev, grid)

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        space = rev.process.space
        if not self.simultaneous:
            for k, sampler in enumerate(self.samplers):
                part = sampler.step(
                    factor_reversal(rev, k, y), space.part(y, k), t, t_next, generator
                )
                y = space.replace(y, k, part)
            return y
        shared = (
            rev.model.shared_outputs()
            if isinstance(rev.model, ProductModel)
            else contextlib.nullcontext()
        )
        with shared:
            parts = [
                sampler.step(factor_reversal(rev, k, y), space.part(y, k), t, t_next, generator)
                for k, sampler in enumerate(self.samplers)
            ]
        return space.join(parts)


__all__ = ["ProductSampler"]
