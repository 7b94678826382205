"""Losses: each is the path-space KL of MATH.md §4 (or a named reweighting of it) up to a θ-free
constant, estimated on a batch of data ``x_0``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import ForwardProcess


class Loss:
    """``loss(model, x0, generator, context) -> scalar``; :meth:`per_sample` gives ``(batch,)``.

    Subclasses check at construction that the process declares what they need.
    """

    def __init__(self, process: ForwardProcess) -> None:
        self.process = process

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
