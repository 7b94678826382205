"""Losses: each is the path-space KL of MATH.md §4 (or a named reweighting of it) up to a θ-free
constant, estimated on a batch of data ``x_0``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import Process


class Loss:
    """``loss(model, x0, generator, context) -> scalar``; :meth:`per_sample` gives ``(batch,)``.

    Subclasses check at construction that the process declares what they need.
    ``per_unit_time``: ``per_sample`` is the integrand at ``t ~ U(t_min, T)``, so the path-KL
    integral is ``(T - t_min)`` times its mean (``False`` for losses that already integrate over
    time, e.g. the chain ELBOs). :meth:`kl_form` is the same loss with the KL weighting, used by
    the error report; a loss trained with another named weighting overrides it.
    """

    per_unit_time: bool = True

    def __init__(self, process: Process) -> None:
        self.process = process

    def kl_form(self) -> Loss:
        """This loss with the KL weighting (itself unless it was built with another weighting)."""
        return self

    def per_sample(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        raise NotImplementedError

    def __call__(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        return self.per_sample(model, x0, generator, context).mean()


class SumLoss(Loss):
    """MATH.md §5e: a process with several blocks uses the sum of its block losses."""

    def __init__(self, *losses: Loss) -> None:
        super().__init__(losses[0].process)
        self.losses = losses

    def per_sample(self, model, x0, generator, context=None) -> Tensor:
        return sum(loss.per_sample(model, x0, generator, context) for loss in self.losses)

    def kl_form(self) -> SumLoss:
        if len({loss.per_unit_time for loss in self.losses}) > 1:
            raise ValueError("a SumLoss needs parts with the same time convention")
        out = SumLoss(*(loss.kl_form() for loss in self.losses))
        out.per_unit_time = self.losses[0].per_unit_time
        return out
