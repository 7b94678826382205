"""Samplers for the backward chain (MATH.md §7), generic over the rate matrix.

With ``h = t - t_next`` and backward rates ``q_{i,v} = β(t) R(v, y_i) ρ_θ(y)_{i,v}``
(:func:`dmm.reversal.chains.backward_rates`), the factorised samplers move every coordinate
independently given ``y``:

* :class:`ChainEuler` — ``y_i → v`` w.p. ``h q_{i,v}`` (clipped so the stay probability is ``≥ 0``);
* :class:`TauLeaping` — Poisson counts ``N_{i,v} ~ Poisson(h q_{i,v})``; a coordinate with exactly
one
  jump takes it, one with more than one stays;
* :class:`TweedieStep` — the analytic step ``p(v) ∝ (ρ e^{-ΔB R})_v e^{ΔB R}(v, y_i)``,
  ``ΔB = B(t) - B(t_next)``: exact for each coordinate given the rest when ``ρ`` is exact.

:class:`ExactChainSampler` simulates the continuous-time backward chain itself by thinning
(uniformisation with a local rate bound); it is the reference for the others' discretisation error.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..processes.chains import Chain, categorical
from ..reversal import Reversal
from ..reversal.chains import backward_rates, chain_ratios
from .base import Sampler


class FactorisedChainSampler(Sampler):
    """A step that draws every coordinate independently from :meth:`coordinate_probs`."""

    supports: ClassVar[frozenset[type]] = frozenset({Chain})
    nfe_per_step: ClassVar[int] = 1  # the ratios at the step's start

    def coordinate_probs(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor) -> Tensor:
        """``(batch, d, n_states)`` law of each coordinate after the step, given ``y``."""
        raise NotImplementedError

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        return categorical(self.coordinate_probs(rev, y, t, t_next), generator)


def _with_stay(move: Tensor, y: Tensor) -> Tensor:
    stay = (1 - move.sum(-1, keepdim=True)).clamp_min(0)
    return move.scatter(-1, y.long()[..., None], stay)


class ChainEuler(FactorisedChainSampler):
    """Euler: ``P(y_i → v) = h q_{i,v}``; rows whose total exceeds 1 are rescaled to 1."""

    order: ClassVar[float] = 1.0

    def coordinate_probs(self, rev, y, t, t_next) -> Tensor:
        move = (t - t_next)[:, None, None] * backward_rates(rev, y, t)
        move = move / move.sum(-1, keepdim=True).clamp_min(1.0)
        return _with_stay(move, y)


class TauLeaping(FactorisedChainSampler):
    """τ-leaping: ``P(y_i → v) = h q_{i,v} e^{-h Σ_w q_{i,w}}`` (exactly one Poisson event), else
    stay."""

    order: ClassVar[float] = 1.0

    def coordinate_probs(self, rev, y, t, t_next) -> Tensor:
        lam = (t - t_next)[:, None, None] * backward_rates(rev, y, t)
        return _with_stay(lam * torch.exp(-lam.sum(-1, keepdim=True)), y)


class TweedieStep(FactorisedChainSampler):
    """Analytic ("Tweedie") step (module doc); needs only the ratios, for any rate matrix."""

    order: ClassVar[float | None] = None

    def coordinate_probs(self, rev, y, t, t_next) -> Tensor:
        chain = rev.process.block(Chain)
        db = chain.integral(t) - chain.integral(t_next)
        w = chain.kernel_apply(chain_ratios(rev, y, t), -db) * chain.kernel_column(y, db)
        w = w.clamp_min(0)
        return w / w.sum(-1, keepdim=True).clamp_min(1e-30)


class ExactChainSampler(Sampler):
    """Continuous-time simulation of the backward chain by thinning.

    From forward time ``s`` with state ``y``, candidate events come at rate ``Λ̄ = safety ·
    max(λ(y, t), λ(y, t_next))`` (``λ`` = total backward rate); a candidate at ``s'`` is accepted
    with probability ``λ(y, s')/Λ̄`` and moves to ``y^{i←v}`` with probability ``∝ q_{i,v}(s')``.
    This is exact whenever ``Λ̄ ≥ λ(y, ·)`` on the step, which holds for smooth rates on a fine
    enough grid; candidates where it fails are counted in ``violations`` (check it is 0).
    Cost grows with ``Λ̄ h``: small spaces only."""

    supports: ClassVar[frozenset[type]] = frozenset({Chain})
    order: ClassVar[float | None] = None
    nfe_per_step: ClassVar[None] = None  # random: one per candidate event, plus the bounds

    def __init__(self, safety: float = 2.0, max_events: int = 100_000) -> None:
        self.safety, self.max_events = float(safety), int(max_events)
        self.violations = 0

    def _total(self, rev: Reversal, y: Tensor, s: Tensor) -> Tensor:
        return backward_rates(rev, y, s).sum((1, 2))

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        y, s = y.clone(), t.clone()

        def bound(idx: Tensor) -> Tensor:
            r = rev.rows(idx)
            lam = torch.maximum(self._total(r, y[idx], s[idx]), self._total(r, y[idx], t_next[idx]))
            return (self.safety * lam).clamp_min(1e-12)

        idx = torch.arange(y.shape[0], device=y.device)
        lam_bar = bound(idx)
        for _ in range(self.max_events):
            if idx.numel() == 0:
                return y
            u = torch.rand(idx.shape, generator=generator, dtype=lam_bar.dtype, device=y.device)
            s_new = s[idx] + torch.log(u) / lam_bar  # s - Exp(Λ̄)
            live = s_new > t_next[idx]
            idx, lam_bar, s_new = idx[live], lam_bar[live], s_new[live]
            if idx.numel() == 0:
                return y
            s[idx] = s_new
            rates = backward_rates(rev.rows(idx), y[idx], s[idx])
            total = rates.sum((1, 2))
            self.violations += int((total > lam_bar * (1 + 1e-6)).sum())
            u = torch.rand(idx.shape, generator=generator, dtype=total.dtype, device=y.device)
            acc = u * lam_bar < total
            if acc.any():
                j = idx[acc]
                flat = categorical(rates[acc].reshape(int(acc.sum()), -1), generator)
                n = rates.shape[-1]
                y[j, flat // n] = flat % n
                lam_bar[acc] = bound(j)
        raise RuntimeError(
            f"ExactChainSampler: more than {self.max_events} candidate events in one "
            "step; use a finer grid"
        )


def sample_denoised(
    rev: Reversal, y: Tensor, t: Tensor, generator: torch.Generator | None
) -> Tensor:
    """Final denoising by sampling ``x_0^i ~ p_θ(x_0^i | y)`` independently per coordinate (the
    decoder of the NLL bound); ``process.denoise`` takes the argmax instead."""
    return categorical(rev.model.x0_probs(y, t, rev.context), generator)


__all__ = [
    "ChainEuler",
    "ExactChainSampler",
    "FactorisedChainSampler",
    "TauLeaping",
    "TweedieStep",
    "sample_denoised",
]
