"""The model ``φ_θ`` seen through its score coordinates (MATH.md §3).

A score model wraps a backbone network and a forward process and exposes ``score(y, t)``
``= ∇ log φ_θ(y, t)``, the only coordinate the diffusion part of the backward generator reads.
Each class here is one parameterisation of that same quantity.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.gaussian import GaussianDiffusion
from ..spaces.base import expand_batch
from .conversions import eps_to_score, x0_to_score


class ScoreModel(nn.Module):
    """Base: ``score(y, t, context) -> ∇ log φ_θ(y, t)`` in the tangent shape of the space."""

    def __init__(self, net: nn.Module, process: Process) -> None:
        super().__init__()
        self.net = net
        self.process = process

    def features(self, y: Tensor, t: Tensor) -> Tensor:
        """What the backbone reads: the space's features, scaled by the process's input scale."""
        return self.process.space.features(y) * self.process.input_scale(t)[:, None]

    def raw(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """The backbone's output reshaped to the tangent shape."""
        out = self.net(self.features(y, t), t / self.process.T, context)
        return out.reshape(y.shape[0], *self.process.space.tangent_shape)

    @property
    def out_dim(self) -> int:
        """Width of the backbone's output this parameterisation reads."""
        return self.process.space.dim

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        """The score from the backbone's output ``out`` (tangent shape) at ``(y, t)``."""
        raise NotImplementedError

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.from_raw(self.raw(y, t, context), y, t)

    def forward(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.score(y, t, context)


class ScoreParam(ScoreModel):
    """The network outputs the score directly: ``s_θ = net(y, t)``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return out


class _GaussianParam(ScoreModel):
    def __init__(self, net: nn.Module | None, process: Process) -> None:
        if not isinstance(process, GaussianDiffusion):
            raise TypeError(
                f"{type(self).__name__} needs a Gaussian kernel N(α_t x_0, s_t² I); "
                f"{type(process).__name__} has none (use ScoreParam or PotentialParam)"
            )
        super().__init__(net, process)


class EpsParam(_GaussianParam):
    """The network predicts the noise: ``s_θ = -ε_θ(y, t) / s_t``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return eps_to_score(out, expand_batch(self.process.std(t), y))


class X0Param(_GaussianParam):
    """The network predicts the clean data: ``s_θ = (α_t x̂_0(y, t) - y) / s_t²``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        p = self.process
        return x0_to_score(out, y, expand_batch(p.alpha(t), y), expand_batch(p.std(t), y))


class PotentialParam(ScoreModel):
    """The network outputs a scalar potential ``U_θ = log φ_θ``; ``s_θ = ∇U_θ`` (conservative by
    construction), the gradient taken in the space's metric. The backbone must have ``dim_out = 1``."""

    @property
    def out_dim(self) -> int:
        return 1

    def potential(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        out = self.net(self.features(y, t), t / self.process.T, context)
        return out.reshape(y.shape[0])

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        # the space's gradient: autograd in flat coordinates, the Riemannian gradient in tangent
        # coordinates on a manifold (e.g. SO(3)); differentiable whenever autograd is on (training)
        return self.process.space.gradient(
            lambda z: self.potential(z, t, context), y, create_graph=torch.is_grad_enabled()
        )
