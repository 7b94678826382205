"""Backward jump block (MATH.md §2–§3), generic over every process with a :class:`Jumps` block.

Forward ``L_t f(x) = λ(t) ∫ [f(x ⊕ w) - f(x)] g(w) dw``. Backward rate of ``y → x``:
``←λ(y → x) = λ_t(x → y) ρ_θ(y, x, t) = λ(t) g(y ⊖ x) ρ_θ(y, x, t)``. Samplers propose ``x = y ⊕ w``
with ``w ~ g``, so the rate per unit proposal mass is ``λ(t) ρ_θ(y, y ⊕ w, t) g(-w) / g(w)`` (the
last factor is 1 for a symmetric law), and the total backward rate is its mean over ``w ~ g``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..processes.jumps import Jumps
from ..scores.jump_ratios import proposal_log_ratios
from ..spaces.base import expand_batch
from .base import Reversal


def propose(
    rev: Reversal,
    y: Tensor,
    t: Tensor,
    k: int,
    generator: torch.Generator | None,
    block: Jumps | None = None,
) -> Tensor:
    """``k`` jump proposals ``w ~ g_t`` per row at times ``t`` (``(batch,)``): shape ``(batch, k,
    *tangent_shape)``."""
    j = block or rev.process.block(Jumps)
    w = j.sample_law(t.reshape(-1, 1), (y.shape[0], k), generator, y)
    return w.reshape(y.shape[0], k, *rev.process.space.tangent_shape)


def backward_intensity(
    rev: Reversal, y: Tensor, w: Tensor, t: Tensor, block: Jumps | None = None
) -> tuple[Tensor, Tensor]:
    """Backward rates per proposal, ``λ(t) ρ_θ(y, y ⊕ w_k, t) g(-w_k)/g(w_k)``, shape ``(batch,
    k)``,
    and the destinations ``y ⊕ w_k`` (``(batch, k, *event)``)."""
    j = block or rev.process.block(Jumps)
    n, k = w.shape[0], w.shape[1]
    ys = y.repeat_interleave(k, dim=0)
    ws = w.reshape(n * k, *w.shape[2:])
    xs = j.jump_destination(rev.process.space, ys, ws)
    lr = proposal_log_ratios(rev.model, y, xs.reshape(n, k, *y.shape[1:]), t, rev.context)
    if not j.law.symmetric:
        flat = ws.reshape(n * k, -1)
        tk = t.repeat_interleave(k)
        lr = lr + (j.law_log_prob(-flat, tk) - j.law_log_prob(flat, tk)).reshape(n, k)
    rate = expand_batch(j.jump_rate(t), lr) * torch.exp(lr.clamp(max=60.0))
    return rate, xs.reshape(n, k, *y.shape[1:])


__all__ = ["backward_intensity", "propose"]
