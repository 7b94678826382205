"""The backward process: the forward blocks with ``p_t`` replaced by the model ``φ_θ`` (MATH.md §2–§3).

``←L_τ f = [L_t^*(φ f) - f L_t^* φ] / φ`` at ``t = T - τ``. It is built once from the forward
process's blocks and the model's score coordinates; a new forward process gets its backward process
for free. Per-block formulas live in sibling modules (``diffusion``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..processes.base import Process


@dataclass
class Reversal:
    """Backward process of ``process`` driven by ``model`` (optionally conditioned on ``context``).

    ``model`` is any object with the score coordinates the process's blocks need (``score`` for a
    diffusion block); an exact oracle works as well as a trained network.
    """

    process: Process
    model: torch.nn.Module
    context: Tensor | None = None

    def score(self, y: Tensor, t: Tensor) -> Tensor:
        """``s_θ(y, t) = ∇ log φ_θ(y, t)``."""
        return self.model.score(y, t, self.context)

    def with_context(self, context: Tensor | None) -> Reversal:
        return Reversal(self.process, self.model, context)

    def rows(self, index: Tensor) -> Reversal:
        """The same backward process for the rows ``index`` of the batch (context follows)."""
        return self.with_context(None if self.context is None else self.context[index])
