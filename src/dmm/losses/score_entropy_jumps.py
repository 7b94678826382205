"""Implicit score entropy for continuous-space jumps (MATH.md §5d).

For a jump block ``λ_t(x → x ⊕ w) = λ(t) g(w)`` with symmetric ``g``:

    ℓ = λ(t) { E_{x~p_t, w~g} [ ρ_θ(x, x ⊕ w, t) ] - E_{z~p_t, w~g} [ log ρ_θ(z ⊕ w, z, t) ] },

``t ~ U(t_min, T)``. Up to a θ-free constant this is the jump part of the path KL of MATH.md §4 (per
unit time, averaged over ``t``). It needs only samples of ``p_t`` (exact kernel or forward
simulation) and stays unbiased when ``p_{t|0}`` has an atom. Both expectations are averaged over
``proposals`` independent jumps per sample (variance matters more than bias here).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import ForwardProcess
from ..spaces.base import _expand
from .base import Loss


class ImplicitScoreEntropy(Loss):
    """The §5d loss; ``model`` needs ``log_ratio(y, x, t, context)``
    (:mod:`dmm.scores.jump_ratios`).

    The same ``x ~ p_t`` serves as ``z`` in the second term with fresh jumps (unbiased: both
    terms are
    expectations under ``p_t``). ``t`` may be passed to :meth:`per_sample_at` for quadrature tests.
    """

    def __init__(self, process: ForwardProcess, proposals: int = 8) -> None:
        process.require("jumps", "implicit score entropy")
        if not process.jump_law.symmetric:
            raise ValueError("implicit score entropy needs a symmetric jump law g(-w) = g(w)")
        if proposals < 1:
            raise ValueError(f"proposals must be >= 1, got {proposals}")
        super().__init__(process)
        self.proposals = int(proposals)

    def per_sample(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        t = self.process.sample_times(x0.shape[0], generator, x0.device)
        with torch.no_grad():
            xt = self.process.sample_marginal(x0, t, generator)
        return self.per_sample_at(model, xt, t, generator, context)

    def per_sample_at(
        self,
        model: nn.Module,
        xt: Tensor,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """The loss at given samples ``x_t ~ p_t`` and times ``t`` (``(batch,)``)."""
        p, k, n = self.process, self.proposals, xt.shape[0]
        w = p.jump_law.sample((2, n, k), generator, xt).reshape(2, n * k, *p.space.tangent_shape)
        x = xt.repeat_interleave(k, dim=0)
        tk = t.repeat_interleave(k)
        ck = None if context is None else context.repeat_interleave(k, dim=0)
        # first term: ρ_θ(x, x ⊕ w); second: log ρ_θ(z ⊕ w', z) (backward jump from the later
        # position)
        up = model.log_ratio(x, p.jump_destination(x, w[0]), tk, ck)
        first = torch.exp(up.clamp(max=30.0)).reshape(n, k).mean(1)
        second = model.log_ratio(p.jump_destination(x, w[1]), x, tk, ck).reshape(n, k).mean(1)
        return _expand(p.jump_rate(t), first).reshape(n) * (first - second)


__all__ = ["ImplicitScoreEntropy"]
