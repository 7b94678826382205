"""A multilayer perceptron with a sinusoidal time embedding and an optional context input."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class TimeEmbedding(nn.Module):
    """Sinusoidal features of ``t`` (log-spaced frequencies) followed by a linear map."""

    def __init__(self, dim: int, max_period: float = 1000.0) -> None:
        super().__init__()
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(half) / max(half - 1, 1))
        self.register_buffer("freqs", freqs * max_period / 4, persistent=False)
        self.proj = nn.Linear(2 * half, dim)

    def forward(self, t: Tensor) -> Tensor:
        arg = t.reshape(-1, 1) * self.freqs
        return self.proj(torch.cat([arg.sin(), arg.cos()], dim=1))


class FourierFeatures(nn.Module):
    """``x ↦ (x, sin(π 2^k x), cos(π 2^k x))_{k < n}`` per coordinate: fixed frequencies, so a
    small network can draw edges much sharper than its inputs' scale (Tancik et al. 2020)."""

    #: most frequencies a new run trains with (``dmm train`` checks it): from ``k = 20`` one
    #: float32 rounding step of an input of size 1 turns the phase by more than ``π/16`` (noise,
    #: not an edge)
    MAX = 20
    #: most frequencies that exist at all: ``π 2^k`` overflows float32 from ``k = 127``
    OVERFLOW = 127

    def __init__(self, dim: int, n: int) -> None:
        super().__init__()
        if not 0 <= n <= self.OVERFLOW:
            raise ValueError(
                f"the number of Fourier frequencies must be in [0, {self.OVERFLOW}] (at most "
                f"{self.MAX} for a new run), got {n}: pi 2^k overflows float32 from "
                f"k = {self.OVERFLOW} (NaN features)"
            )
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(n), persistent=False)
        self.dim_out = dim * (1 + 2 * n)

    def forward(self, x: Tensor) -> Tensor:
        arg = (x[..., None] * self.freqs).flatten(-2)
        return torch.cat([x, arg.sin(), arg.cos()], dim=-1)


class MLP(nn.Module):
    """``net(x, t, context) -> (batch, dim_out)``: residual SiLU blocks, time and context added to
    every hidden layer; with ``fourier = n > 0`` the input is first expanded by
    :class:`FourierFeatures` with ``n`` frequencies. A backbone only: it knows no mathematics of
    the process.

    ``x`` may also be ``(batch, group, dim_in)``, with ``t`` and ``context`` per batch row: the
    group's rows share one time (and context) embedding, and the result is
    ``(batch, group, dim_out)``."""

    def __init__(
        self,
        dim_in: int,
        dim_out: int,
        hidden: int = 256,
        depth: int = 3,
        context_dim: int = 0,
        fourier: int = 0,
    ) -> None:
        super().__init__()
        if dim_in <= 0 or dim_out <= 0 or hidden <= 0 or depth <= 0:
            raise ValueError("MLP dimensions and depth must be positive")
        self.dim_in, self.dim_out, self.context_dim = dim_in, dim_out, context_dim
        self.fourier = FourierFeatures(dim_in, fourier) if fourier else None
        self.inp = nn.Linear(self.fourier.dim_out if fourier else dim_in, hidden)
        self.time = TimeEmbedding(hidden)
        self.context = nn.Linear(context_dim, hidden) if context_dim > 0 else None
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, dim_out)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        cond = self.time(t)
        if self.context is not None:
            if context is None:
                raise ValueError("this network was built with a context input; pass context")
            cond = cond + self.context(context.to(cond.dtype))
        if x.dim() == 3:
            cond = cond[:, None]
        h = self.inp(x if self.fourier is None else self.fourier(x)) + cond
        for layer, norm in zip(self.layers, self.norms):
            h = h + layer(nn.functional.silu(norm(h)))
        return self.out(nn.functional.silu(h))
