"""Splitting over the factors of a product process (MATH.md §10): each factor's sampler steps its
own coordinates with the joint model evaluated at the current row, in turn. First order in ``h``."""

from __future__ import annotations

from torch import Tensor

from ..processes.base import MissingCapability, Process
from ..processes.product import ProductProcess
from ..reversal import Reversal
from ..scores.product import factor_reversal
from .base import Sampler


class ProductSampler(Sampler):
    """``samplers[k]`` advances factor ``k`` over the step, with the other factors' current
    coordinates as context; the weak order is at most 1 (Lie–Trotter)."""

    def __init__(self, *samplers: Sampler) -> None:
        if not samplers:
            raise ValueError("ProductSampler needs one sampler per factor")
        self.samplers = samplers
        orders = [s.order for s in samplers]
        self.order = None if None in orders else min(1.0, *orders)  # type: ignore[misc]
        costs = [s.nfe_per_step for s in samplers]  # each factor's step calls the joint model
        self.nfe_per_step = None if None in costs else sum(costs)  # type: ignore[misc]

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
        for k, sampler in enumerate(self.samplers):
            part = sampler.step(factor_reversal(rev, k, y), space.part(y, k), t, t_next, generator)
            y = space.replace(y, k, part)
        return y


__all__ = ["ProductSampler"]
