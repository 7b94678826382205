"""Anchored jump proposals on ``R^d``: importance sampling of the jump law for heavy tails.

Backward jump rates and the jump losses are integrals over the jump law, ``∫ g(w) f(y, y + w)
dw``. Under a heavy-tailed ``p_t``, for ``y`` far out ``f`` is huge where ``y + w`` lands in the
bulk (the ratio ``ρ(y, x) = p_t(x)/p_t(y)``), which a draw from ``g`` reaches with probability
``≈ g(y) |bulk|``: the plain Monte Carlo mean is dominated by rare, huge terms. Anchored proposals
draw ``x = y + w`` from the mixture

    q(x | y) = (1 - β) g(x - y) + β h(x),

``h`` a fixed heavy-tailed density around the bulk (default: the multivariate Cauchy of scale
``s``, centred at 0), and weight each draw by ``g(x - y) / q(x | y) ≤ 1/(1 - β)``:
``E_q[(g/q) f] = ∫ g f``, the same integral, with the far-to-bulk terms drawn a share ``β`` of
the time and weighted down accordingly (MATH.md §7). The Cauchy's tail is heavier than any jump
law of index ``≥ 1``, so the weights stay bounded there too.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..spaces import Euclidean, Space
from .jump_laws import JumpLaw, StudentTJumps
from .jumps import Jumps


class AnchoredProposals:
    """``x ~ (1 - β) g(· - y) + β h`` with log-weights ``log g(x - y) - log q(x | y)``.

    ``weight = β ∈ (0, 1)``; ``h = law`` (a :class:`~dmm.processes.jump_laws.JumpLaw` used as a
    density centred at 0), by default the multivariate Cauchy of scale ``scale`` in the data's
    dimension."""

    def __init__(self, weight: float = 0.5, scale: float = 1.0, law: JumpLaw | None = None):
        if not 0 < weight < 1:
            raise ValueError(f"anchor weight must be in (0, 1), got {weight}")
        if not scale > 0:
            raise ValueError(f"anchor scale must be positive, got {scale}")
        self.weight, self.scale, self.law = float(weight), float(scale), law

    def __repr__(self) -> str:
        return f"AnchoredProposals(weight={self.weight}, scale={self.scale}, law={self.law!r})"

    @staticmethod
    def check(space: Space) -> None:
        """``TypeError`` unless ``space`` is Euclidean (``x - y`` is the jump)."""
        if not isinstance(space, Euclidean):
            raise TypeError("anchored proposals need a Euclidean space")

    def anchor(self, dim: int) -> JumpLaw:
        """``h`` in dimension ``dim``."""
        if self.law is None or self.law.dim != dim:
            self.law = StudentTJumps(dim, 1.0, self.scale)
        return self.law

    def propose(
        self, jumps: Jumps, y: Tensor, t: Tensor, k: int, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor]:
        """``k`` destinations per row of ``y`` ``(n, d)`` at times ``t`` ``(n,)``: ``x``
        ``(n, k, d)`` and ``log g(x - y) - log q(x | y)`` ``(n, k)``."""
        n, beta = y.shape[0], self.weight
        anchor = self.anchor(y.shape[1])
        local = y[:, None, :] + jumps.sample_law(t.reshape(n, 1), (n, k), generator, y)
        far = anchor.sample((n, k), generator, y)
        pick = torch.rand((n, k, 1), generator=generator, device=y.device, dtype=y.dtype) < beta
        x = torch.where(pick, far, local)
        log_g = jumps.law_log_prob(y[:, None, :] - x, t.reshape(n, 1))  # g symmetric
        log_q = torch.logaddexp(log_g + math.log(1 - beta), anchor.log_prob(x) + math.log(beta))
        return x, log_g - log_q


__all__ = ["AnchoredProposals"]
