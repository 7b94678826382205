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


class SimulatedReference(Reference):
    """The law of ``X_T`` itself, simulated: draw stored training rows ``x_0`` uniformly and run the
    forward process to ``T``. Used for processes that declare no reference law; the terminal
    mismatch ``KL(p_T || q)`` is then zero up to the simulation error, and the backward process
    starts from (noised) training rows. No density (``log_prob`` is unavailable)."""

    def __init__(self, process, rows: Tensor, max_rows: int = 10000) -> None:
        if rows.shape[0] < 1:
            raise ValueError("a simulated reference needs at least one training row")
        if rows.shape[0] > max_rows:
            keep = torch.randperm(rows.shape[0], generator=torch.Generator().manual_seed(0))
            rows = rows[keep[:max_rows]]
        self.process, self.rows = process, rows

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        rows = self.rows.to(device) if device is not None else self.rows
        idx = torch.randint(0, rows.shape[0], (n,), generator=generator, device=rows.device)
        t = torch.full((n,), self.process.T, device=rows.device)
        return self.process.sample_marginal(rows[idx], t, generator)

    def log_prob(self, x: Tensor) -> Tensor:
        raise NotImplementedError("a simulated reference has no closed-form density")

    def __repr__(self) -> str:
        return f"SimulatedReference({self.process.name}, {self.rows.shape[0]} rows)"
