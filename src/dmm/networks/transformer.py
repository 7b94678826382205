"""A small transformer over ``d`` positions for discrete states (a backbone, no process
mathematics)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .mlp import TimeEmbedding


class Transformer(nn.Module):
    """``net(x, t, context) -> (batch, d · dim_out)`` for one-hot inputs ``x`` of shape
    ``(batch, d · n_tokens)``.

    Each position's one-hot vector is embedded (a token embedding), a learned position embedding is
    added, and the time (and optional context) embedding is added to every token and modulates every
    block (adaptive LayerNorm shift and scale). ``depth`` pre-norm encoder blocks follow; a linear
    head gives ``dim_out`` values per position (zero-initialised).
    """

    def __init__(
        self,
        d: int,
        n_tokens: int,
        dim_out: int,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        context_dim: int = 0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if min(d, n_tokens, dim_out, width, depth, heads) <= 0 or width % heads:
            raise ValueError("Transformer sizes must be positive and width divisible by heads")
        self.d, self.n_tokens, self.dim_out, self.context_dim = d, n_tokens, dim_out, context_dim
        self.embed = nn.Linear(n_tokens, width, bias=False)
        self.position = nn.Parameter(0.02 * torch.randn(d, width))
        self.time = TimeEmbedding(width)
        self.context = nn.Linear(context_dim, width) if context_dim > 0 else None
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                width,
                heads,
                4 * width,
                dropout,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            for _ in range(depth)
        )
        self.modulation = nn.ModuleList(nn.Linear(width, 2 * width) for _ in range(depth))
        for m in self.modulation:
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, dim_out)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        n = x.shape[0]
        cond = self.time(t)
        if self.context is not None:
            if context is None:
                raise ValueError("this network was built with a context input; pass context")
            cond = cond + self.context(context.to(cond.dtype))
        h = self.embed(x.reshape(n, self.d, self.n_tokens)) + self.position + cond[:, None, :]
        act = nn.functional.silu(cond)
        for block, mod in zip(self.blocks, self.modulation, strict=True):
            shift, scale = mod(act)[:, None, :].chunk(2, dim=-1)
            h = block(h * (1 + scale) + shift)
        return self.head(self.norm(h)).reshape(n, self.d * self.dim_out)


__all__ = ["Transformer"]
