"""Denoising score entropy (MATH.md §5c): the exact CTMC ELBO of a factorised chain.

For ``t ~ U(t_min, T)``, ``y ~ p_{t|0}(·|x_0)``:

    ℓ(x_0) = (T - t_min) Σ_i Σ_{v≠y_i} β(t) R(v, y_i) [ρ_θ(y)_{i,v} - r_0 log ρ_θ(y)_{i,v} +
    K(r_0)],

``r_0 = p^i_{t|0}(v|x_0^i) / p^i_{t|0}(y_i|x_0^i)``, ``K(a) = a log a - a``. Each bracket is a
Bregman divergence of ``K`` (``≥ 0``, zero iff ``ρ = r_0``), and ``ℓ(x_0)`` is, in expectation, the
path KL between the forward path law given ``x_0`` and the model's backward path law on ``[t_min,
T]``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.chains import AbsorbingChain, Chain, ChainProcess, categorical
from .base import Loss, Noised


def k_function(r: Tensor) -> Tensor:
    """``K(r) = r log r - r`` with ``K(0) = 0``."""
    return torch.where(r > 0, r * torch.log(r.clamp_min(1e-30)) - r, torch.zeros_like(r))


def score_entropy_integrand(
    process: ChainProcess,
    y: Tensor,
    t: Tensor,
    log_ratios: Tensor,
    target: Tensor,
    entries: Tensor | None = None,
) -> Tensor:
    """``Σ_i Σ_{v≠y_i} β(t) R(v, y_i) [ρ - r log ρ + K(r)]`` per sample, for target ratios ``r``
    (the conditional ``r_0`` in the loss, the exact marginal ratio in the path KL); ``entries``
    (a mask of ``y``'s shape): the sum over ``i`` runs over them only."""
    chain = process.block(Chain)
    into = chain.rates_into(y)
    if entries is not None:
        into = into * entries.reshape(y.shape)[..., None]
    w = chain.beta(t)[:, None, None] * into
    term = torch.exp(log_ratios) - target * log_ratios + k_function(target)
    term = torch.where(into > 0, term, torch.zeros_like(term))
    return (w * term).sum((1, 2))


class ScoreEntropy(Loss):
    """Denoising score entropy with the ``K`` term (module doc): ``≥ 0`` per sample; the model needs
    ``log_ratios(y, t, context)`` (:mod:`dmm.scores.ratios`)."""

    per_unit_time = False  # the (T - t_min) factor is inside: the exact CTMC ELBO
    scores_entries = True

    def __init__(self, process: ChainProcess) -> None:
        process.block(Chain)
        process.require("exact_transition", "denoising score entropy")
        super().__init__(process)

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return Noised(self.process.sample_transition(x0, t, generator))

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        p, y = self.process, noised.xt
        r0 = p.conditional_ratio(y, x0, t)
        lr = model.log_ratios(y, t, context)
        return (p.T - p.t_min) * score_entropy_integrand(p, y, t, lr, r0, noised.scored)


class MaskedELBO(Loss):
    """Absorbing chain with the mean parameterisation (MATH.md §5c):
    ``ℓ = (T - t_min) β(t) α_t/(1-α_t) Σ_{i: y_i = MASK} -log p_θ(x_0^i | y)``, ``α_t = e^{-B(t)}``.

    Equal sample by sample to :class:`ScoreEntropy` for :class:`~dmm.scores.ratios.MeanRatios`
    (the ``ρ`` and ``K`` terms cancel); it reads only the posterior ``x0_probs``.
    """

    per_unit_time = False
    scores_entries = True

    def __init__(self, process: AbsorbingChain) -> None:
        if not isinstance(process, AbsorbingChain):
            raise TypeError(f"MaskedELBO needs an AbsorbingChain, got {type(process).__name__}")
        super().__init__(process)

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return Noised(self.process.sample_transition(x0, t, generator))

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        p, y = self.process, noised.xt
        probs = model.x0_probs(y, t, context)
        nll = -torch.log(torch.gather(probs, -1, x0.long()[..., None]).squeeze(-1).clamp_min(1e-30))
        masked = (y == p.S).to(nll.dtype)
        if noised.scored is not None:
            masked = masked * noised.scored.reshape(masked.shape)
        chain = p.chain
        alpha = torch.exp(-chain.integral(t))
        weight = chain.beta(t) * alpha / (-torch.expm1(-chain.integral(t)))
        return (p.T - p.t_min) * weight * (masked * nll).sum(1)


class ImplicitScoreEntropyChain(Loss):
    """Implicit score entropy for a chain block (the chain analogue of MATH.md §5d): needs only
    samples of ``p_t``, no kernel. With ``r = p_t(y^{i←v}) / p_t(y)`` the ``r log ρ`` term of §4
    becomes, by the change of variables ``x = y^{i←v}``, an expectation over forward moves:

        ℓ = E_{y~p_t} Σ_i Σ_{v≠y_i} β(t) R(v, y_i) ρ_θ(y)_{i,v}
            - E_{x~p_t} Σ_i Σ_{w≠x_i} β(t) R(x_i, w) log ρ_θ(x^{i←w})_{i, x_i},

    the path-KL integrand up to a θ-free constant. The second sum is estimated without bias by one
    forward move ``(i, w) ∝ R(x_i, w)`` weighted by the total rate ``λ(x) = β Σ_{i,w} R(x_i, w)``
    (the same draw of ``p_t`` serves both terms)."""

    def __init__(self, process: Process) -> None:
        self.chain = process.block(Chain)
        super().__init__(process)

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        y, chain, n = noised.xt.long(), self.chain, noised.xt.shape[0]
        beta = chain.beta(t)[:, None, None]
        into = chain.rates_into(y)
        rho = torch.exp(model.log_ratios(y, t, context).clamp(max=30.0))
        first = (beta * into * torch.where(into > 0, rho, torch.zeros_like(rho))).sum((1, 2))
        out = (beta * chain.rates_out(y)).reshape(n, -1)
        total = out.sum(1)
        move = categorical(out.clamp_min(0) + (total[:, None] == 0).to(out.dtype), generator)
        i, w = move // chain.n_states, move % chain.n_states
        rows = torch.arange(n, device=y.device)
        z = y.clone()
        z[rows, i] = w
        back = model.log_ratios(z, t, context)[rows, i, y[rows, i]]
        return first - torch.where(total > 0, total * back, torch.zeros_like(back))


__all__ = [
    "ImplicitScoreEntropyChain",
    "MaskedELBO",
    "ScoreEntropy",
    "k_function",
    "score_entropy_integrand",
]
