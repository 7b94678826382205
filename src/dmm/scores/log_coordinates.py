"""Score in log coordinates, for spaces of positive vectors (the orthant).

Near the axes the score of a density on ``(0, ∞)^d`` is singular (``∂_i log p ~ -1/x_i`` for the
conditional laws of GBM), but ``x ⊙ s`` — the gradient of ``log φ`` with respect to ``log x`` —
stays bounded. The network predicts that bounded quantity and the score follows by division.
"""

from __future__ import annotations

import torch
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


class LogEpsParam(LogScoreParam):
    """The network predicts the noise of ``log X_t``: for a process whose logarithm is Gaussian,
    ``log X_t | x_0 ~ N(α_t log x_0 + c_t, v_t)``, so ``y ⊙ ∇ log p_{t|0} = -1 - ε / √v_t`` with
    ``ε`` the standard normal noise of ``log X_t``; hence ``y ⊙ s_θ = -1 - ε_θ(y, t) / √v_t``.

    The analogue of :class:`~dmm.scores.EpsParam` in log coordinates: the network's target is of
    size one at every ``t``, where :class:`LogScoreParam`'s grows like ``1/√v_t`` as ``t → 0``.
    With the ``log-eps`` weighting (``λ = v_t y²``) the DSM loss is ``½|ε_θ - ε|²``.
    """

    def __init__(self, net: nn.Module | None, process: Process) -> None:
        super().__init__(net, process)
        if not hasattr(process, "log_kernel"):
            raise TypeError(
                f"LogEpsParam needs a process whose logarithm has a Gaussian kernel "
                f"(log_kernel); {type(process).__name__} has none (use LogScoreParam)"
            )

    def log_score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self._log_score(self.raw(y, t, context), t)

    def _log_score(self, out: Tensor, t: Tensor) -> Tensor:
        _, _, v = self.process.log_kernel(t)
        return -1 - out * torch.rsqrt(v).to(out)

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return self._log_score(out, t) / y
