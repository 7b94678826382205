"""τ-leaping for backward jumps with *anchored* (importance) proposals, on ``R^d`` (MATH.md §7).

:class:`~dmm.samplers.jumps.JumpTauLeaping` proposes ``x = y + w``, ``w ~ g``. Under a heavy-tailed
``p_t`` a point ``y`` far out must jump back to the bulk at total rate ``λ ∫ g(y - x) ρ(y, x) dx =
O(1)``, but a proposal from ``g`` lands in the bulk with probability ``≈ g(y) |bulk|``, so the
proposal mean is dominated by rare, huge terms and ``1 - exp(-h ·)`` clips them: the return rate is
underestimated unless ``h ≲ K g(y) |bulk|``. Anchored proposals
(:class:`~dmm.processes.anchor.AnchoredProposals`, shared with the jump losses) draw each ``x_k``
from ``q(x | y) = (1 - β) g(x - y) + β h(x)``, ``h`` a fixed heavy-tailed density around the bulk,
and weight it by ``g(y - x) / q(x | y)``:

    ←λ_k = λ(t) ρ_θ(y, x_k, t) g(y - x_k) / q(x_k | y),   total rate ≈ mean_k ←λ_k,

an unbiased estimate of the same total backward rate, with bounded weights where ``y`` is far out.
The step is then as in ``JumpTauLeaping``: jump with probability ``1 - exp(-h mean_k ←λ_k)`` to
``x_k`` chosen ``∝ ←λ_k``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..processes.anchor import AnchoredProposals
from ..processes.jump_laws import JumpLaw
from ..processes.jumps import Jumps
from ..reversal import Reversal
from ..scores.jump_ratios import proposal_log_ratios
from .base import Sampler
from .jumps import _choose


class AnchoredJumpTauLeaping(Sampler):
    """τ-leaping with ``proposals`` draws from ``(1 - β) g(· - y) + β h`` (``β = anchor_weight``).

    ``h = anchor``, a :class:`~dmm.processes.jump_laws.JumpLaw` used as a density on ``R^d``
    centred at 0; by default the multivariate Cauchy (Student-t, ``ν = 1``) of scale
    ``anchor_scale`` in the process's dimension, whose tail is heavier than any ``α, ν ≥ 1`` so the
    weights ``g/q`` stay bounded. Needs a Euclidean space (``x - y`` is the jump).
    """

    supports: ClassVar[frozenset[type]] = frozenset({Jumps})
    order: ClassVar[float] = 1.0
    nfe_per_step: ClassVar[int] = 1  # one model call on the batch × proposals rows

    def __init__(
        self,
        proposals: int = 16,
        anchor_weight: float = 0.5,
        anchor_scale: float = 1.0,
        anchor: JumpLaw | None = None,
    ) -> None:
        if proposals < 1:
            raise ValueError(f"proposals must be >= 1, got {proposals}")
        self.proposals = int(proposals)
        #: the proposal mixture (:class:`~dmm.processes.anchor.AnchoredProposals`)
        self.proposal = AnchoredProposals(anchor_weight, anchor_scale, anchor)
        self.anchor_weight, self.anchor_scale = self.proposal.weight, self.proposal.scale

    def intensity(self, rev: Reversal, y: Tensor, t: Tensor, generator) -> tuple[Tensor, Tensor]:
        """Weighted backward rates ``←λ_k`` (``(batch, k)``; their mean estimates the total
        backward rate without bias) and the proposed destinations ``(batch, k, *event)``."""
        p = rev.process
        j = p.block(Jumps)
        self.proposal.check(p.space)
        n, k = y.shape[0], self.proposals
        xs, log_w = self.proposal.propose(j, y.reshape(n, -1), t, k, generator)
        xs = xs.reshape(n, k, *y.shape[1:])
        lr = proposal_log_ratios(rev.model, y, xs, t, rev.context) + log_w
        rate = j.jump_rate(t).reshape(n, 1) * torch.exp(lr.clamp(max=60.0))
        return rate, xs

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        rate, xs = self.intensity(rev, y, t, generator)
        p_jump = -torch.expm1(-(t - t_next) * rate.mean(1))
        u = torch.rand(p_jump.shape, generator=generator, device=y.device, dtype=p_jump.dtype)
        return _choose(rate, xs, u < p_jump, y, generator)


__all__ = ["AnchoredJumpTauLeaping"]
