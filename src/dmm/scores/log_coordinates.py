"""Score in log coordinates, for spaces of positive vectors (the orthant).

Near the axes the score of a density on ``(0, ∞)^d`` is singular (``∂_i log p ~ -1/x_i`` for the
conditional laws of GBM), but ``x ⊙ s`` — the gradient of ``log φ`` with respect to ``log x`` —
stays bounded. The network predicts that bounded quantity and the score follows by division.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..processes.base import Process
from ..spaces.positive import PositiveOrthant
from .models import ScoreModel


class LogScoreParam(ScoreModel):
    """The network predicts ``y ⊙ s_θ(y, t) = ∇_{log y} log φ_θ``; ``s_θ = net(y, t) / y``.

    Works for any forward process on :class:`~dmm.spaces.PositiveOrthant`. With the KL weighting
    ``D = σ² diag(y²)`` the DSM residual becomes ``σ (net - y ⊙ ∇log p_{t|0})``: no ``1/y`` factor
    reaches the loss, so data piled up at the axes cannot make it blow up.
    """

    def __init__(self, net: nn.Module | None, process: Process) -> None:
        if not isinstance(process.space, PositiveOrthant):
            raise TypeError(
                f"LogScoreParam needs a process on the positive orthant; {type(process).__name__} "
                f"lives on {process.space!r}"
            )
        super().__init__(net, process)

    def log_score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``y ⊙ s_θ(y, t)`` (what the network outputs)."""
        return self.raw(y, t, context)

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return out / y
