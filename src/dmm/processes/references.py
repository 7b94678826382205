"""Reference laws ``q``: what the backward process starts from."""

from __future__ import annotations

import math

import torch
from torch import Tensor


class Reference:
    """A law on the state space that is easy to sample."""

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        raise NotImplementedError

    def log_prob(self, x: Tensor) -> Tensor:
        raise NotImplementedError


class Normal(Reference):
    """Isotropic Gaussian ``N(mean, std² I)`` on ``R^{event_shape}`` (mean and std broadcast)."""

    def __init__(
        self, event_shape: tuple[int, ...], mean: float | Tensor = 0.0, std: float | Tensor = 1.0
    ) -> None:
        self.event_shape = tuple(event_shape)
        self.mean = torch.as_tensor(mean, dtype=torch.get_default_dtype())
        self.std = torch.as_tensor(std, dtype=torch.get_default_dtype())
        if (self.std <= 0).any():
            raise ValueError("reference std must be positive")

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        z = torch.randn((n, *self.event_shape), generator=generator, device=device)
        return self.mean.to(z.device) + self.std.to(z.device) * z

    def log_prob(self, x: Tensor) -> Tensor:
        z = (x - self.mean) / self.std
        lp = -0.5 * z**2 - torch.log(self.std) - 0.5 * math.log(2 * math.pi)
        return lp.reshape(x.shape[0], -1).sum(1)

    def __repr__(self) -> str:
        return f"Normal(mean={self.mean.tolist()}, std={self.std.tolist()})"
