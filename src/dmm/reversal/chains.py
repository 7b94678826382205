"""Backward chain block (MATH.md §2–§3), for any rate matrix.

Forward rate of ``x → y`` (one coordinate ``i`` changes, ``x_i = v → y_i``): ``β(t) R(v, y_i)``.
Backward rate of ``y → y^{i←v}``:

    ←Q(y, y^{i←v}) = Q_t(y^{i←v}, y) · p_t(y^{i←v}) / p_t(y) ≈ β(t) R(v, y_i) ρ_θ(y)_{i,v},

so ``←L f(y) = Σ_i Σ_{v≠y_i} β(t) R(v, y_i) ρ_θ(y)_{i,v} [f(y^{i←v}) - f(y)]``. The model supplies
the ratios ``ρ_θ(y)_{i,v}`` (shape ``(batch, d, n_states)``) through ``model.ratios(y, t,
context)``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..processes.chains import Chain
from .base import Reversal


def chain_ratios(rev: Reversal, y: Tensor, t: Tensor) -> Tensor:
    """``ρ_θ(y, t)_{i,v} ≈ p_t(y^{i←v}) / p_t(y)``, ``(batch, d, n_states)``."""
    return rev.model.ratios(y, t, rev.context)


def backward_rates(rev: Reversal, y: Tensor, t: Tensor, ratios: Tensor | None = None) -> Tensor:
    """``←Q(y, y^{i←v}) = β(t) R(v, y_i) ρ_θ(y)_{i,v}`` as ``(batch, d, n_states)``, zero at ``v =
    y_i`` and wherever the forward rate into ``y_i`` vanishes."""
    chain = rev.process.block(Chain)
    rho = chain_ratios(rev, y, t) if ratios is None else ratios
    into = chain.rates_into(y)
    rates = chain.beta(t)[:, None, None] * into * rho
    return torch.where(into > 0, rates, torch.zeros_like(rates))


def backward_generator_apply(
    rev: Reversal, f: Callable[[Tensor], Tensor], y: Tensor, t: Tensor
) -> Tensor:
    """``(←L f)(y)`` at forward time ``t`` (a loop over ``d · n_states`` neighbours; for checks)."""
    rates = backward_rates(rev, y, t)
    fy = f(y).to(rates.dtype)
    out = torch.zeros_like(fy)
    for i in range(y.shape[1]):
        for v in range(rates.shape[-1]):
            z = y.clone()
            z[:, i] = v
            out = out + rates[:, i, v] * (f(z).to(fy.dtype) - fy)
    return out


__all__ = ["backward_generator_apply", "backward_rates", "chain_ratios"]
