"""Samplers for the backward jump block (MATH.md §7), generic over processes with jumps.

* :class:`JumpTauLeaping` — ``K`` proposals ``w_k ~ g``; jump with probability
  ``1 - exp(-h mean_k ←λ_k)``, destination ``y ⊕ w_k`` with probability ``∝ ←λ_k``;
* :class:`JumpThinning` — exact simulation of the backward jump process by thinning, given a bound
  ``M ≥ ρ_θ`` on the ratios (the reference for the discretisation error of τ-leaping);
* :class:`Splitting` — operator splitting of a sum of blocks: one sampler per block, applied in turn
  (e.g. Euler–Maruyama for the drift/diffusion, then a jump step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ..processes.jumps import Jumps
from ..reversal import Reversal
from ..reversal.jumps import backward_intensity, propose
from .base import Sampler


def _choose(rate: Tensor, xs: Tensor, jump: Tensor, y: Tensor, generator) -> Tensor:
    """Rows with ``jump`` move to ``xs[i, k]``, ``k`` drawn with probability ``∝ rate[i, k]``."""
    if not bool(jump.any()):
        return y
    probs = rate[jump].double().clamp_min(0) + 1e-300
    k = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    out = y.clone()
    out[jump] = xs[jump][torch.arange(k.shape[0], device=y.device), k]
    return out


class JumpTauLeaping(Sampler):
    """τ-leaping with ``proposals`` draws ``w_k ~ g`` per step (rates frozen at the step's start).

    Over ``h = t - t_next`` the total backward rate ``∫ ←λ(y → x) dx = E_{w~g} λ ρ_θ(y, y⊕w)`` is
    estimated by the proposal mean; at most one jump per step.
    """

    supports: ClassVar[frozenset[type]] = frozenset({Jumps})
    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1  # one model call on the batch × proposals rows

    def __init__(self, proposals: int = 16) -> None:
        if proposals < 1:
            raise ValueError(f"proposals must be >= 1, got {proposals}")
        self.proposals = int(proposals)

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        w = propose(rev, y, t, self.proposals, generator)
        rate, xs = backward_intensity(rev, y, w, t)
        p_jump = -torch.expm1(-(t - t_next) * rate.mean(1))
        u = torch.rand(p_jump.shape, generator=generator, device=y.device, dtype=p_jump.dtype)
        return _choose(rate, xs, u < p_jump, y, generator)


class JumpThinning(Sampler):
    """Exact backward jump simulation by thinning (Lewis–Shedler) on each interval ``[t_next, t]``.

    Candidates arrive at rate ``λ̄ M`` (``λ̄ = max(λ(t), λ(t_next))``, exact when ``λ`` is monotone on
    the step; ``M = ratio_bound`` or ``ratio_bound(t_next)``, which must bound ``ρ_θ`` on the
    whole step); a candidate ``w ~ g`` at time ``s`` is
    accepted with probability ``λ(s) ρ_θ(y, y ⊕ w, s) / (λ̄ M)``. ``max_excess`` records the largest
    ``ρ/M`` seen: a value above 1 means the bound was violated (those acceptances were clipped).
    """

    supports: ClassVar[frozenset[type]] = frozenset({Jumps})
    order: ClassVar[None] = None
    nfe_per_step: ClassVar[None] = None  # random: one per candidate event

    def __init__(self, ratio_bound: float | Callable[[Tensor], Tensor]) -> None:
        self.ratio_bound = ratio_bound
        self.max_excess = 0.0
        self.candidates = 0

    def _bound(self, t: Tensor) -> Tensor:
        if callable(self.ratio_bound):
            return self.ratio_bound(t)
        return torch.full_like(t, float(self.ratio_bound))

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        p = rev.process
        j = p.block(Jumps)
        bound = torch.maximum(j.jump_rate(t), j.jump_rate(t_next)) * self._bound(t_next)
        s = t.clone()
        y = y.clone()
        while True:
            e = torch.empty_like(s).exponential_(1.0, generator=generator)
            s = s - e / bound
            active = s > t_next
            if not bool(active.any()):
                return y
            idx = torch.nonzero(active).flatten()
            ya, sa = y[idx], s[idx]
            w = propose(rev, ya, sa, 1, generator)
            rate, xs = backward_intensity(rev.rows(idx), ya, w, sa)
            accept_p = rate[:, 0] / bound[idx]
            self.max_excess = max(self.max_excess, float(accept_p.max()))
            self.candidates += idx.numel()
            u = torch.rand(
                accept_p.shape, generator=generator, device=y.device, dtype=accept_p.dtype
            )
            acc = u < accept_p
            y[idx[acc]] = xs[acc, 0]


class Splitting(Sampler):
    """Lie–Trotter splitting: each sampler advances its own block(s) over the same step, in order.

    ``Splitting(EulerMaruyama(), JumpTauLeaping(16))`` simulates a jump-diffusion; the weak
    order is the
    smallest of the parts' orders (at most 1 for this splitting).
    """

    def __init__(self, *samplers: Sampler) -> None:
        if not samplers:
            raise ValueError("Splitting needs at least one sampler")
        self.samplers = samplers
        self.supports = frozenset().union(*(s.supports for s in samplers))  # type: ignore[misc]
        orders = [s.order for s in samplers]
        self.order = None if None in orders else min(1.0, *orders)  # type: ignore[misc]
        costs = [s.nfe_per_step for s in samplers]
        self.nfe_per_step = None if None in costs else sum(costs)  # type: ignore[misc]
        self.multistep = any(s.multistep for s in samplers)  # type: ignore[misc]

    def start(self, rev: Reversal, grid: Tensor) -> None:
        for sampler in self.samplers:
            sampler.start(rev, grid)

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        for sampler in self.samplers:
            y = sampler.step(rev, y, t, t_next, generator)
        return y


__all__ = ["JumpThinning", "JumpTauLeaping", "Splitting"]
