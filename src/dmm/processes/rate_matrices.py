"""Per-coordinate rate matrices ``R`` (S×S, rows sum to 0) and the log-linear chain schedule."""

from __future__ import annotations

import torch
from torch import Tensor

from .schedules import Schedule


def uniform_rate_matrix(S: int) -> Tensor:
    """``R = (11ᵀ - S I)/S``: jump to a uniformly drawn value at rate ``1``; ``e^{bR} = e^{-b} I +
    (1 - e^{-b}) 11ᵀ/S``."""
    return (torch.ones(S, S, dtype=torch.float64) - S * torch.eye(S, dtype=torch.float64)) / S


def absorbing_rate_matrix(S: int) -> Tensor:
    """``(S+1)×(S+1)``: every value jumps to MASK ``= S`` at rate 1; MASK is absorbing.
    ``R² = -R`` so ``e^{bR} = I + (1 - e^{-b}) R``."""
    R = torch.zeros(S + 1, S + 1, dtype=torch.float64)
    R[torch.arange(S), torch.arange(S)] = -1.0
    R[:S, S] = 1.0
    return R


def ordinal_rate_matrix(
    S: int, kind: str = "birth_death", bandwidth: float | None = None
) -> Tensor:
    """A symmetric rate matrix for ordered values, scaled so its spectral gap is 1 (the slowest mode
    decays like ``e^{-B(t)}``, as in the uniform chain); stationary law uniform.

    ``kind="birth_death"``: nearest-neighbour jumps ``a → a±1`` (reflecting ends).
    ``kind="gaussian"``: ``R(a, b) ∝ exp(-(a-b)²/(2 w²))``, ``w = bandwidth`` (default ``S/8``), the
    continuous-time analogue of the discretised-Gaussian kernel of Austin et al.
    """
    if int(S) < 2:
        raise ValueError(f"S={S}: an ordinal chain needs at least 2 values")
    a = torch.arange(S, dtype=torch.float64)
    diff = a[:, None] - a[None, :]
    if kind == "birth_death":
        R = (diff.abs() == 1).to(torch.float64)
    elif kind == "gaussian":
        w = float(bandwidth) if bandwidth is not None else max(S / 8.0, 0.5)
        if not w > 0:
            raise ValueError(f"bandwidth={w:g}: the jumps' width must be > 0 (0: S/8)")
        R = torch.exp(-0.5 * diff**2 / w**2)
    else:
        raise ValueError(f"unknown ordinal kind {kind!r} (known: birth_death, gaussian)")
    R.fill_diagonal_(0.0)
    if not bool((R.sum(1) > 0).all()):  # a width so small that exp underflows: nothing moves
        raise ValueError(
            f"bandwidth={bandwidth:g}: too small for any jump between neighbouring values "
            "(give at least about 0.1)"
        )
    R = R - torch.diag(R.sum(1))
    return R / spectral_gap(R)


def spectral_gap(R: Tensor) -> float:
    """Smallest non-zero ``|Re λ|`` of ``R`` (the slowest relaxation rate)."""
    ev = torch.linalg.eigvals(R.to(torch.float64)).real.abs()
    ev = ev[ev > 1e-9 * ev.max()]
    return float(ev.min())


def check_rate_matrix(R: Tensor) -> Tensor:
    """Validate a user rate matrix: square, finite, off-diagonal ``≥ 0``; the diagonal is set to
    ``-Σ_{b≠a} R(a, b)`` (rows sum to 0). Returns a float64 copy."""
    R = torch.as_tensor(R, dtype=torch.float64)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] < 2:
        raise ValueError(f"rate matrix must be square S×S with S >= 2, got shape {tuple(R.shape)}")
    if not torch.isfinite(R).all():
        raise ValueError("rate matrix has NaN or infinite entries")
    off = R - torch.diag(torch.diagonal(R))
    if (off < 0).any():
        rows = torch.nonzero((off < 0).any(1)).flatten().tolist()
        raise ValueError(f"rate matrix has negative off-diagonal rates in rows {rows[:5]}")
    if (off.sum(1) <= 0).all():
        raise ValueError("rate matrix has no jumps")
    return off - torch.diag(off.sum(1))


def stationary_law(R: Tensor) -> Tensor:
    """``π`` with ``π R = 0``, ``Σ π = 1`` (least squares; unique for an irreducible ``R``)."""
    R = R.to(torch.float64)
    n = R.shape[0]
    A = torch.cat([R.T, torch.ones(1, n, dtype=torch.float64)])
    rhs = torch.zeros(n + 1, dtype=torch.float64)
    rhs[-1] = 1.0
    pi = torch.linalg.lstsq(A, rhs[:, None]).solution.flatten().clamp_min(0)
    return pi / pi.sum()


class LogLinearSchedule(Schedule):
    """``e^{-B(t)} = 1 - (1 - ε) t`` on ``[0, 1]``: ``β(t) = (1-ε)/(1 - (1-ε) t)``. The slowest mode
    of ``X_1`` keeps weight ``ε`` (Lou et al.'s schedule for discrete diffusion)."""

    def __init__(self, eps: float = 1e-3) -> None:
        if not 0 < eps < 1:
            raise ValueError(f"eps must be in (0, 1), got {eps}")
        self.eps = float(eps)

    def beta(self, t: Tensor) -> Tensor:
        return (1 - self.eps) / (1 - (1 - self.eps) * t)

    def integral(self, t: Tensor) -> Tensor:
        return -torch.log1p(-(1 - self.eps) * t)

    def __repr__(self) -> str:
        return f"LogLinearSchedule(eps={self.eps})"
