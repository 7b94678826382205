"""Backward diffusion block (MATH.md §2, §7).

Forward ``L f = b·∇f + ½ D:∇²f``; backward ``←L f = ←b·∇f + ½ D:∇²f`` with
``←b(y) = -b(y) + ∇·D(y) + D(y) s_θ(y)``; probability-flow velocity (forward time)
``v(y) = b - ½∇·D - ½ D s_θ``.
"""

from __future__ import annotations

from torch import Tensor

from ..processes.diffusion import Diffusion
from .base import Reversal


def backward_drift(
    rev: Reversal,
    y: Tensor,
    t: Tensor,
    score: Tensor | None = None,
    block: Diffusion | None = None,
    sigma: Tensor | None = None,
) -> Tensor:
    """``←b(y, t) = -b + ∇·D + D s_θ`` (backward-time drift at forward time ``t``) of ``block``
    (default: the process's one diffusion block); ``sigma`` is ``σ_t(y)`` if already computed."""
    space, d = rev.process.space, block or rev.process.block(Diffusion)
    s = rev.score(y, t) if score is None else score
    sigma = d.diffusion(y, t) if sigma is None else sigma
    out = sigma**2 * s - d.tangent_drift(space, y, t)
    if d.state_dependent or d.has_divergence:
        out = out + d.diffusion_divergence(space, y, t)
    return out


def flow_velocity(
    rev: Reversal,
    y: Tensor,
    t: Tensor,
    score: Tensor | None = None,
    block: Diffusion | None = None,
) -> Tensor:
    """Probability-flow ODE velocity in forward time: ``dy/dt = b - ½∇·D - ½ D s_θ``."""
    space, d = rev.process.space, block or rev.process.block(Diffusion)
    s = rev.score(y, t) if score is None else score
    return (
        d.tangent_drift(space, y, t)
        - 0.5 * d.diffusion_divergence(space, y, t)
        - 0.5 * d.diffusion_matrix_diag(space, y, t) * s
    )
